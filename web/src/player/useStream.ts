import type Hls from "hls.js";
import type { ErrorData } from "hls.js";
import { useCallback, useEffect, useRef, useState, type RefObject } from "react";
import { ApiError, parseRetryAfter, unanswered, videoErrorSentence, waitMs } from "../api/errors";
import type { StreamTokenGrant } from "../api/schema";
import type { StreamCaption } from "./captions";
import { firstEstimate, keepEstimate } from "./bandwidth";
import { hlsChunkGone, loadHls, type HlsModule } from "./hlsChunk";
import { parseStoryboard, type StoryboardCue } from "./storyboard";
import { StoryboardSheets } from "./storyboardSheets";
import { StreamGrants, type StreamSource } from "./streamToken";

/** What the player says of a video it cannot play, whatever the cause: plain, and what to do. */
export const CANNOT_PLAY = "This video can't be played right now. Try again later.";

/** How the video gets its pictures. */
export type Delivery = "hls" | "native-hls" | "progressive";

/** One rung of the HLS ladder, as the quality menu offers it. */
export interface Quality {
  /** hls.js level index. */
  index: number;
  /** 0 where the master playlist gives no RESOLUTION. */
  width: number;
  height: number;
  bitrate: number;
}

/**
 * The hls.js player driving the video, with its library's event names: hls.js
 * is loaded only when needed, so other modules cannot import its values.
 */
export interface HlsDriver {
  player: Hls;
  Events: typeof Hls.Events;
}

export interface StreamState {
  delivery: Delivery | null;
  /** Set once hls.js plays the video; null for the browser's own HLS and the original file. */
  hls: HlsDriver | null;
  qualities: Quality[];
  /** The chosen level; -1 is Auto. */
  level: number;
  /** The level hls.js is playing now (what Auto picked). */
  playing: number | null;
  storyboard: StoryboardCue[];
  /** The storyboard's sprite sheets, each loaded once for the item (null between items). */
  sheets: StoryboardSheets | null;
  /** Loads the storyboard's cues now if they are not yet (the viewer points at the seek bar). */
  wantStoryboard: () => void;
  /** The subtitle tracks of the grant in force (their URLs carry its token). */
  captions: StreamCaption[];
  error: string | null;
  /**
   * The server could not be reached (a renewal went unanswered, or hls.js stopped loading
   * after a fatal network error), and the video has not played on since.
   */
  serverLost: boolean;
  setLevel: (level: number) => void;
  /**
   * Loads the video from `time` (s) when nothing or only its start is loaded yet: the viewer
   * answered the resume question, or seeks before the video knows its length.
   */
  loadFrom: (time: number) => void;
}

/** Where a session starts loading: read when it opens. */
export interface StreamOpening {
  /** The first time to load (s): a link's moment; null for the start. */
  start: number | null;
  /**
   * Load nothing yet (the resume question waits for its answer; an embed on another site's page
   * waits for its reader's play): loadFrom, or play, starts.
   */
  held: boolean;
}

/**
 * Points the video at a new URL without losing the viewer's place: the
 * position and play/pause state are restored once the new source loads.
 * Only for sources hls.js does not drive (the progressive original, Safari's
 * own HLS), where a new token means a new `src`.
 */
export function swapSource(video: HTMLVideoElement, url: string): void {
  keepPlace(video);
  video.src = url;
}

/** Puts `video` back where it is, playing if it plays, once its next source has loaded. */
function keepPlace(video: HTMLVideoElement): void {
  const time = video.currentTime;
  const wasPlaying = !video.paused && !video.ended;
  const restore = () => {
    if (Number.isFinite(time) && time > 0) video.currentTime = time;
    if (wasPlaying) video.play()?.catch(() => undefined);
  };
  video.addEventListener("loadedmetadata", restore, { once: true });
}

/** Whether this browser has Media Source Extensions (hls.js needs them). */
export function hasMediaSource(): boolean {
  return typeof window !== "undefined" && ("MediaSource" in window || "ManagedMediaSource" in window);
}

/**
 * hls.js wherever MediaSource exists (every desktop browser, Android, iPadOS
 * 17+ and iOS 17.1+ through ManagedMediaSource); the browser's own HLS where it
 * has that but no MSE (older iPhones); the original file otherwise.
 */
export function chooseDelivery(grant: StreamTokenGrant, video: HTMLVideoElement, mse: boolean): Delivery {
  if (!grant.hls_url) return "progressive";
  if (mse) return "hls";
  if (video.canPlayType("application/vnd.apple.mpegurl")) return "native-hls";
  return "progressive";
}

function failureText(err: unknown, gone: string): string {
  if (err instanceof ApiError && err.status === 404) return gone;
  if (err instanceof ApiError && err.status === 429) return "Many videos were opened in a short while: this one starts in a moment.";
  return videoErrorSentence(err);
}

function qualitiesOf(hls: Hls): Quality[] {
  return hls.levels.map((level, index) => ({
    index,
    width: level.width || 0,
    height: level.height,
    bitrate: level.bitrate,
  }));
}

/** A token that died under us (expired while asleep, taken down): 404 on a file. */
function isGoneToken(data: ErrorData): boolean {
  return data.response?.code === 404 || data.response?.code === 403;
}

/** A file the server failed to give (5xx: the media store away) or no answer: not the token's doing. */
function isServerTrouble(data: ErrorData): boolean {
  const code = data.response?.code ?? 0;
  return code === 0 || code >= 500;
}

/** The Retry-After (s) of the failed request hls.js reports (its XMLHttpRequest), if any. */
function retryAfterOf(data: ErrorData): number | null {
  const request = data.networkDetails as Partial<Pick<XMLHttpRequest, "getResponseHeader">> | null;
  return parseRetryAfter(request?.getResponseHeader?.("Retry-After") ?? null);
}

/**
 * An explicit choice switches at once (the buffer ahead is dropped and
 * refilled in that quality); -1 (Auto) lets the bandwidth estimate decide.
 * Chromium goes on showing the pictures it had decoded until the next key
 * frame (up to a segment's length of the old quality) after such a flush, so
 * once the chosen level's first fragment is in, the video seeks to where it
 * is (see followHls): that shows the new quality from there.
 */
function switchLevel(session: Session, hls: Hls, level: number): void {
  hls.currentLevel = level;
  session.switchingTo = level === -1 ? null : level;
}

interface Session {
  grants: StreamGrants;
  hls: Hls | null;
  delivery: Delivery | null;
  /** The level a viewer chose, until its first fragment is buffered (see switchLevel). */
  switchingTo: number | null;
  /** The hook let go of this session (new item, unmount): late answers change nothing. */
  closed: boolean;
  /**
   * hls.js stopped loading after a fatal network error (it gives up within seconds while
   * the browser says it is online: a server restarting, refusing, Wi-Fi without internet);
   * the next grant loads again (see resumeLoading).
   */
  loadStopped: boolean;
  /** The item's storyboard sheets, let go with the session. */
  sheets: StoryboardSheets;
  /** Loads the storyboard's cues, until it ran (see deferStoryboard); null once run, or without one. */
  wantStoryboard: (() => void) | null;
  /** Where hls.js starts loading (s; null: the start), until it is made. */
  startAt: number | null;
  /** hls.js loads nothing until loadFrom or play (see StreamOpening). */
  held: boolean;
  /** The viewer pressed play once: hls.js buffers its full minute ahead (see START_BUFFER). */
  played: boolean;
}

/** What a session reports to the hook's state as it goes. */
interface StreamReport {
  setDelivery: (delivery: Delivery) => void;
  setDriver: (driver: HlsDriver | null) => void;
  setQualities: (qualities: Quality[]) => void;
  setPlaying: (level: number) => void;
  setStoryboard: (cues: StoryboardCue[]) => void;
  setSheets: (sheets: StoryboardSheets | null) => void;
  setCaptions: (captions: StreamCaption[]) => void;
  setError: (error: string | null) => void;
  setServerLost: (lost: boolean) => void;
}

/**
 * Plays one item in `videoRef`: asks `source` for a stream token (and each renewal), picks the delivery,
 * keeps the token fresh (hls.js requests are rewritten onto the newest token,
 * so a renewal never reloads anything), loads the storyboard when first
 * wanted (its sheets once for the item, whatever the token) and exposes the
 * quality levels and, for the audio menu, the hls.js player.
 */
export function useStream(
  itemId: string,
  source: StreamSource,
  videoRef: RefObject<HTMLVideoElement | null>,
  opening: StreamOpening = { start: null, held: false },
): StreamState {
  // The first opening only: a later item or source starts where its player says again.
  const [firstOpening] = useState(opening);
  const { grant, gone, onGone, recheckMs } = source;
  const [delivery, setDelivery] = useState<Delivery | null>(null);
  const [driver, setDriver] = useState<HlsDriver | null>(null);
  const [qualities, setQualities] = useState<Quality[]>([]);
  const [level, setLevelState] = useState(-1);
  const [playing, setPlaying] = useState<number | null>(null);
  const [storyboard, setStoryboard] = useState<StoryboardCue[]>([]);
  const [sheets, setSheets] = useState<StoryboardSheets | null>(null);
  const [captions, setCaptions] = useState<StreamCaption[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [serverLost, setServerLost] = useState(false);
  const session = useRef<Session | null>(null);

  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    const report: StreamReport = {
      setDelivery,
      setDriver,
      setQualities,
      setPlaying,
      setStoryboard,
      setSheets,
      setCaptions,
      setError,
      setServerLost,
    };
    return openSession({ grant, gone, onGone, recheckMs }, video, report, session, firstOpening);
  }, [itemId, grant, gone, onGone, recheckMs, videoRef, firstOpening]);

  const { setLevel, wantStoryboard, loadFrom } = useSessionAsks(session, videoRef, setLevelState);

  return {
    delivery,
    hls: driver,
    qualities,
    level,
    playing,
    storyboard,
    sheets,
    wantStoryboard,
    captions,
    error,
    serverLost,
    setLevel,
    loadFrom,
  };
}

/** What the player asks of the session in force: a quality, the storyboard, loading from a time. */
function useSessionAsks(
  session: RefObject<Session | null>,
  videoRef: RefObject<HTMLVideoElement | null>,
  setLevelState: (level: number) => void,
) {
  const setLevel = useCallback(
    (next: number) => {
      const current = session.current;
      if (!current?.hls) return;
      switchLevel(current, current.hls, next);
      setLevelState(next);
    },
    [session, setLevelState],
  );
  const wantStoryboard = useCallback(() => session.current?.wantStoryboard?.(), [session]);
  const loadFrom = useCallback(
    (time: number) => {
      const current = session.current;
      const video = videoRef.current;
      if (current && video) loadSessionFrom(current, video, time);
    },
    [session, videoRef],
  );
  return { setLevel, wantStoryboard, loadFrom };
}

/**
 * Loads `current` from `time`: a held session starts there; hls.js still before the video's
 * metadata (loading the start) starts again there; not made yet, it will start there.
 */
function loadSessionFrom(current: Session, video: HTMLVideoElement, time: number): void {
  if (current.closed) return;
  const held = current.held;
  current.held = false;
  if (!held && video.readyState > 0) return;
  if (!current.hls) {
    current.startAt = time;
    return;
  }
  // Before its playlist is in, hls.js starts at its configured position, whatever startLoad said.
  current.hls.config.startPosition = time;
  current.hls.startLoad(time);
}

/**
 * Starts playing the grants of `source` in `video` (the first token picks the delivery, the
 * next ones move it onto theirs) and keeps the session in `sessionRef`; the
 * returned function ends it and empties the video.
 */
function openSession(
  source: StreamSource,
  video: HTMLVideoElement,
  report: StreamReport,
  sessionRef: RefObject<Session | null>,
  opening: StreamOpening,
): () => void {
  const current: Session = {
    grants: new StreamGrants(
      source.grant,
      (grant, first) => applyGrant(grant, first, video, current, report),
      (err) => grantRefused(err, source, current, report),
    ),
    hls: null,
    delivery: null,
    switchingTo: null,
    closed: false,
    loadStopped: false,
    sheets: new StoryboardSheets((url) => current.grants.rewrite(url)),
    wantStoryboard: null,
    startAt: opening.start,
    held: opening.held,
    played: false,
  };
  sessionRef.current = current;
  report.setSheets(current.sheets);
  const stopFollowing = followVideo(video, current, report);
  const stopRechecking = recheckWhilePlaying(video, current, source.recheckMs);
  void current.grants.renew().catch(() => undefined);

  return () => {
    current.closed = true;
    current.grants.stop();
    if (current.hls) keepEstimate(current.hls);
    current.hls?.destroy();
    current.sheets.close();
    report.setDriver(null);
    report.setSheets(null);
    if (current.wantStoryboard) video.removeEventListener("canplay", current.wantStoryboard);
    stopFollowing();
    stopRechecking();
    video.removeAttribute("src");
    sessionRef.current = null;
  };
}

/**
 * The events of the video and the window a session follows: a source that
 * fails; the viewer pressing play or seeking, or the browser coming online,
 * which start loading stopped by an outage at once (on the grant in force
 * while it holds) rather than at the next retry; and the video playing on,
 * which ends an outage. The returned function stops.
 */
function followVideo(video: HTMLVideoElement, current: Session, report: StreamReport): () => void {
  const wake = () => {
    if (current.loadStopped) current.grants.resume();
  };
  const reached = () => report.setServerLost(false);
  const onPicture = () => keepOnPicture(video, current.hls);
  const sheetsWait = () => current.sheets.yieldToSeek();
  const sheetsGo = () => current.sheets.resume();
  // The page may never come back (closed, the phone's tab discarded): the last moment to keep it.
  const keep = () => {
    if (document.visibilityState === "hidden" && current.hls) keepEstimate(current.hls);
  };
  // Play pressed while loading is held (the resume question open, an embed not played yet): it
  // loads from where it is, or from the link's moment before the video knows where it is.
  const heldPlay = () => {
    const where = video.readyState > 0 ? video.currentTime : (current.startAt ?? video.currentTime);
    if (current.held) loadSessionFrom(current, video, where);
  };
  const firstPlay = () => {
    current.played = true;
    if (current.hls) current.hls.config.maxMaxBufferLength = ABR_TUNING.maxMaxBufferLength;
  };
  const followed: [EventTarget, string, () => void][] = [
    [video, "error", renewOnVideoError(current, report)],
    [video, "play", wake],
    [video, "play", heldPlay],
    [video, "play", firstPlay],
    [video, "seeking", wake],
    [video, "seeking", onPicture],
    [video, "seeking", sheetsWait],
    [video, "seeked", sheetsGo],
    [video, "emptied", sheetsGo],
    [window, "online", wake],
    [document, "visibilitychange", keep],
    [video, "playing", reached],
    [video, "canplay", reached],
  ];
  for (const [target, name, listener] of followed) target.addEventListener(name, listener);
  return () => {
    for (const [target, name, listener] of followed) target.removeEventListener(name, listener);
  };
}

/**
 * Every `everyMs` while the video plays (and as it starts playing), asks the server whether the
 * grant in force still holds, by a HEAD of its first file (the master playlist, else the
 * original: no bytes, a token check): a grant that ended (404, 403) gets a renewal, whose
 * refusal for good ends the player with the source's words (see grantRefused). Playing all
 * from the buffer, a stopped link's video played on to its end. No answer changes nothing: the
 * buffer plays on, and loading says an outage as ever. The returned function stops.
 */
function recheckWhilePlaying(video: HTMLVideoElement, current: Session, everyMs: number | undefined): () => void {
  if (everyMs === undefined) return () => undefined;
  const check = () => {
    const grant = current.grants.current;
    if (current.closed || video.paused || !grant) return;
    const url = current.grants.rewrite(grant.hls_url ?? grant.stream_url);
    void fetch(url, { method: "HEAD", credentials: "same-origin" })
      .then((answer) => {
        if (!current.closed && (answer.status === 404 || answer.status === 403))
          void current.grants.renew().catch(() => undefined);
      })
      .catch(() => undefined);
  };
  const timer = setInterval(check, everyMs);
  video.addEventListener("play", check);
  return () => {
    clearInterval(timer);
    video.removeEventListener("play", check);
  };
}

/**
 * How far before the picture's end a seek to the end lands (s): within the last frame, which
 * lasts a frame's time (16 ms at 60 frames a second), so that frame is what shows.
 */
export const LAST_PICTURE_S = 0.001;

/**
 * Where the picture ends (s) in hls.js's package: its video playlist's length, which the
 * sound's outlasts by a few ms (its last AAC frame) and sets the video's duration; null
 * before a rung's playlist is read.
 */
function pictureEnd(hls: Hls | null): number | null {
  const details = hls?.levels.find((level) => level.details)?.details;
  return details && details.totalduration > 0 ? details.totalduration : null;
}

/**
 * Where a seek to `time` should land to show a picture: before `end`, the picture's end,
 * where a seek to the video's duration (the bar's end, End, l at the end) left the picture
 * of before the seek on screen under "3:00 / 3:00". Playing on from there ends the video.
 */
export function onThePicture(time: number, end: number | null): number {
  if (end === null || time <= end - LAST_PICTURE_S) return time;
  return Math.max(0, end - LAST_PICTURE_S);
}

/** A seek past the picture's end (hls.js's sound outlasting it) is moved onto its last frame. */
function keepOnPicture(video: HTMLVideoElement, hls: Hls | null): void {
  const time = video.currentTime;
  const landing = onThePicture(time, pictureEnd(hls));
  if (landing !== time) video.currentTime = landing;
}

/**
 * A new grant: the first picks the delivery and starts it; a renewal moves a non-hls.js source
 * onto its token, and the original onto the package when one is ready now (a viewer's token no
 * longer plays the original of an item with a package).
 */
function applyGrant(
  grant: StreamTokenGrant,
  first: boolean,
  video: HTMLVideoElement,
  current: Session,
  report: StreamReport,
): void {
  report.setError(null);
  // The server answers; while loading stays stopped, the outage ends when the video plays on.
  if (!current.loadStopped) report.setServerLost(false);
  report.setCaptions(grant.captions ?? []);
  if (!first) {
    // hls.js: the next request uses the new token; only loading stopped by an outage starts
    // again, and hls.js itself when its chunk did not load.
    if (current.delivery === "hls" && !current.hls && current.loadStopped) {
      current.loadStopped = false;
      void attachHls(grant, video, current, report);
    }
    if (current.delivery === "hls") resumeLoading(current);
    if (current.delivery === "native-hls") swapSource(video, grant.hls_url!);
    if (current.delivery !== "progressive") return;
    // The package got ready while the original played: a viewer's token plays the package alone.
    const chosen = chooseDelivery(grant, video, hasMediaSource());
    if (chosen === "progressive") swapSource(video, grant.stream_url);
    else {
      keepPlace(video);
      startDelivery(chosen, grant, video, current, report);
    }
    return;
  }
  startDelivery(chooseDelivery(grant, video, hasMediaSource()), grant, video, current, report);
}

/** Plays the grant by `chosen`, and loads its storyboard when it can. */
function startDelivery(
  chosen: Delivery,
  grant: StreamTokenGrant,
  video: HTMLVideoElement,
  current: Session,
  report: StreamReport,
): void {
  current.delivery = chosen;
  report.setDelivery(chosen);
  if (chosen === "hls") void attachHls(grant, video, current, report);
  else video.src = chosen === "native-hls" ? grant.hls_url! : grant.stream_url;
  deferStoryboard(grant, video, current, report);
}

/**
 * No token: say why, and ask again later unless the server refused for good
 * (4xx). No answer at all while the item plays is said over the picture
 * once the viewer waits for it (see serverLost), not under the player.
 */
function grantRefused(err: unknown, source: StreamSource, current: Session, report: StreamReport) {
  if (err instanceof ApiError && err.status === 404) source.onGone?.(err);
  if (current.delivery !== null && unanswered(err)) report.setServerLost(true);
  else report.setError(failureText(err, source.gone));
  // Too many videos opened in a short while: the server says when the next grant comes.
  if (err instanceof ApiError && err.status === 429) current.grants.retryIn(waitMs(err.retryAfter, 3));
  // Try again later: a network blip must not end a long session; sooner while nothing plays.
  else if (!(err instanceof ApiError && err.status >= 400 && err.status < 500))
    current.grants.retryIn(current.loadStopped ? 5_000 : 15_000);
}

/**
 * hls.js loads again after a fatal network error stopped it: the master
 * playlist when it never arrived (hls.js's startLoad does not retry it:
 * video-dev/hls.js#834), else from where the video is.
 */
function resumeLoading(current: Session): void {
  const hls = current.hls;
  if (!hls || !current.loadStopped || current.closed) return;
  current.loadStopped = false;
  if (hls.levels.length === 0 && hls.url) hls.loadSource(hls.url);
  else hls.startLoad();
}

/**
 * A source hls.js does not drive that fails (e.g. the token expired while
 * the laptop slept) gets one fresh token, then we stop and show the error.
 */
function renewOnVideoError(current: Session, report: StreamReport): () => void {
  let lastErrorRenewal = 0;
  return () => {
    if (current.closed || current.delivery === null || current.delivery === "hls") return;
    const now = Date.now();
    if (now - lastErrorRenewal < 30_000) {
      report.setError(CANNOT_PLAY);
      return;
    }
    lastErrorRenewal = now;
    void current.grants.renew().catch(() => undefined);
  };
}

/**
 * How Auto picks a rung. Its first guess is what this device last measured
 * (see firstEstimate): a fixed 2 Mbit/s started every video at the top rung,
 * 11 s to the first picture on a 400 kbit/s link where 240p took 3.5 s. And no
 * rung larger than the player (times the screen's pixel ratio) is loaded: a
 * phone need not fetch 1080p to show 360 px. And no more than a minute is
 * buffered ahead: hls.js fills up to 60 MB, up to 10 minutes of a low rung, so
 * after the link got faster the picture stayed at 240p for two minutes of
 * what was buffered, and what a viewer leaving never sees was fetched anyway.
 * And Auto trusts a link that got faster sooner: its estimate is the lower of
 * a fast and a slow average, each sample weighted by its download time, so a
 * fast link's 0.1 s downloads barely move a slow average of 9 s (hls.js's):
 * 8 segments of 240p were fetched at 8 Mbit/s, 32 s of picture, before Auto
 * climbed. 5 s (shaka-player's) makes it 6; falling back on a slower link
 * follows the fast average, unchanged.
 */
export const ABR_TUNING = {
  capLevelToPlayerSize: true,
  maxMaxBufferLength: 60,
  abrEwmaSlowVoD: 5,
} as const;

/**
 * What hls.js buffers ahead before the viewer first presses play, where it loads at once (a watch
 * or share page: whoever opened it came to watch, and the first picture comes sooner): two 4 s
 * segments, not the minute ahead that cost each page view a minute of video nobody may watch.
 */
export const START_BUFFER = { maxMaxBufferLength: 8 } as const;

/**
 * Starts loading hls.js as a watch page opens, beside the item and its stream token: after
 * the token it added its whole download (14 s on a 400 kbit/s link) to the first video's start.
 */
export function preloadHls(): void {
  if (hasMediaSource()) void loadHls().catch(() => undefined); // the player asks again as it plays
}

/**
 * Loads hls.js (its own chunk) and plays the grant's master playlist through it, or the
 * original without MSE; a chunk that does not load is said and loaded again (see hlsUnloaded).
 */
async function attachHls(grant: StreamTokenGrant, video: HTMLVideoElement, current: Session, report: StreamReport) {
  let HlsPlayer: HlsModule["default"];
  try {
    ({ default: HlsPlayer } = await loadHls());
  } catch {
    if (!current.closed) await hlsUnloaded(grant, video, current, report);
    return;
  }
  if (current.closed) return;
  if (!HlsPlayer.isSupported()) {
    current.delivery = "progressive";
    report.setDelivery("progressive");
    video.src = grant.stream_url;
    return;
  }
  const hls = new HlsPlayer({
    // Every playlist, init segment and media segment goes out on the token
    // in force: after a renewal the old token's URLs hls.js resolved are
    // moved onto the new one here, with no reload and no seek.
    xhrSetup: (xhr, url) => xhr.open("GET", current.grants.rewrite(url), true),
    // The page's <track> elements are the one set of subtitles (every
    // delivery has them); hls.js would add a second set from the master
    // playlist's SUBTITLES group and load it into tracks of its own.
    subtitleStreamController: undefined,
    subtitleTrackController: undefined,
    timelineController: undefined,
    // A link's moment or the resumed place loads first, not the start and then a seek
    // there; while the resume question waits, nothing loads (the start may not be wanted).
    startPosition: current.startAt ?? -1,
    autoStartLoad: !current.held,
    abrEwmaDefaultEstimate: firstEstimate(),
    ...ABR_TUNING,
    ...(current.played ? {} : START_BUFFER),
  });
  current.hls = hls;
  report.setDriver({ player: hls, Events: HlsPlayer.Events });
  followHls(hls, HlsPlayer, current, report);
  hls.loadSource(grant.hls_url!);
  hls.attachMedia(video);
}

/** What the player says when the page's build is gone from the server, with the chunk it needs. */
export const NEW_VERSION_WORDS = "This site was updated since the page opened: reload the page to play the video.";

/**
 * hls.js's chunk did not load (offline, a flaky link, a server restarted): the browser's own
 * HLS plays the package now where it has one; else the player says so over the picture, as a
 * server out of reach, and loads it again on the grant in force (every 5 s, or as the viewer
 * presses play or the browser comes online; a new token only when the grant is due). A chunk
 * gone with a new build is no use waiting for: a reload is.
 */
async function hlsUnloaded(grant: StreamTokenGrant, video: HTMLVideoElement, current: Session, report: StreamReport) {
  if (video.canPlayType("application/vnd.apple.mpegurl")) {
    current.delivery = "native-hls";
    report.setDelivery("native-hls");
    video.src = grant.hls_url!;
    return;
  }
  const gone = await hlsChunkGone();
  if (current.closed) return;
  if (gone) {
    current.grants.stop();
    report.setError(NEW_VERSION_WORDS);
    return;
  }
  current.loadStopped = true;
  report.setServerLost(true);
  // The token holds: it is the chunk that did not load.
  current.grants.retryIn(5_000, true);
}

/**
 * The hls.js events the player shows (levels, the level playing) and its
 * errors: a dead token is renewed, a fatal media error recovered, a fatal
 * network error retried (see resumeLoading) for as long as the viewer stays;
 * anything else ends playback.
 */
function followHls(hls: Hls, HlsPlayer: typeof Hls, current: Session, report: StreamReport) {
  hls.on(HlsPlayer.Events.MANIFEST_PARSED, () => report.setQualities(qualitiesOf(hls)));
  hls.on(HlsPlayer.Events.LEVEL_SWITCHED, (_event, data) => report.setPlaying(data.level));
  hls.on(HlsPlayer.Events.FRAG_BUFFERED, (_event, { id, frag }) => {
    const media = hls.media;
    // The video's fragments ("main", hls.js's enum, whose values are not loaded here), not audio's.
    if (String(id) !== "main" || frag.level !== current.switchingTo || !media) return;
    current.switchingTo = null;
    // A seek to the same time: Chromium drops the old quality's decoded pictures.
    const at = media.currentTime;
    media.currentTime = at;
  });
  hls.on(HlsPlayer.Events.ERROR, (_event, data) => {
    if (current.closed) return;
    // hls.js retries the failed request; by then it carries a fresh token.
    if (isGoneToken(data)) void current.grants.renew().catch(() => undefined);
    if (!data.fatal) return;
    if (data.type === HlsPlayer.ErrorTypes.MEDIA_ERROR) {
      hls.recoverMediaError();
    } else if (data.type === HlsPlayer.ErrorTypes.NETWORK_ERROR && data.response?.code === 404 && hls.levels.length > 0) {
      // A file of a package whose master playlist was read. A master refused at its first
      // load is the token's (issued in the second its item changed): loaded again below.
      fileMissing(hls, current, report);
    } else if (data.type === HlsPlayer.ErrorTypes.NETWORK_ERROR) {
      // Loading starts again: on the same token after a wait where the server failed or did not
      // answer (a fresh token cures nothing there: during an S3 outage each viewer got one a
      // second), else on a fresh token now; sooner as the viewer presses play or seeks, or the
      // browser comes online.
      current.loadStopped = true;
      report.setServerLost(true);
      if (isServerTrouble(data)) current.grants.retryIn(waitMs(retryAfterOf(data), 5), true);
      else void current.grants.renew().catch(() => undefined);
    } else {
      report.setError(CANNOT_PLAY);
    }
  });
}

/**
 * hls.js gave up on a file of the package (404 on every rung it tried; it retries no 4xx): a
 * fresh grant tells an ended one (its refusal ends the player, see grantRefused) from a file
 * gone from storage, which no retry cures. Then the player says so and pauses, where it
 * loaded again every few seconds under a spinner that never stopped.
 */
function fileMissing(hls: Hls, current: Session, report: StreamReport): void {
  hls.stopLoad();
  void current.grants
    .renew()
    .then(() => {
      if (current.closed) return;
      report.setError(CANNOT_PLAY);
      hls.media?.pause();
    })
    .catch(() => undefined);
}

/**
 * The storyboard's cues load once the video can play (its first segments are
 * in) or the viewer points at the seek bar, whichever comes first: not beside
 * the first segments on a slow link, where every request delays the picture.
 */
function deferStoryboard(grant: StreamTokenGrant, video: HTMLVideoElement, current: Session, report: StreamReport) {
  if (!grant.storyboard_url) return;
  const want = () => {
    if (current.wantStoryboard !== want) return;
    current.wantStoryboard = null;
    video.removeEventListener("canplay", want);
    void loadStoryboard(grant, current, report);
  };
  current.wantStoryboard = want;
  video.addEventListener("canplay", want);
}

/** The storyboard's cues, for the seek bar's previews; none when it is missing or unreadable. */
async function loadStoryboard(grant: StreamTokenGrant, current: Session, report: StreamReport) {
  if (!grant.storyboard_url) return;
  const url = new URL(current.grants.rewrite(grant.storyboard_url), location.href).toString();
  try {
    // Low: the segments the picture waits for go first.
    const answer = await fetch(url, { credentials: "same-origin", priority: "low" });
    if (!answer.ok) return; // no previews is not an error worth showing
    const cues = parseStoryboard(await answer.text(), url);
    if (!current.closed) report.setStoryboard(cues);
  } catch {
    // The same: seeking works without pictures.
  }
}
