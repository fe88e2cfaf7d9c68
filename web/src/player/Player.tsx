import {
  useCallback,
  useEffect,
  useImperativeHandle,
  useMemo,
  useRef,
  useState,
  type CSSProperties,
  type Ref,
  type ReactNode,
  type RefObject,
} from "react";
import { getStreamToken } from "../api/catalogue";
import type { CatalogueItem, ViewedMediaItem } from "../api/schema";
import { FormError } from "../components/ErrorMessage";
import { isWithin } from "../lib/moment";
import {
  SHORTCUTS_KEY,
  toggleFullscreen,
  togglePlay,
  usePlayerShortcuts,
  type ShortcutTargets,
} from "./usePlayerShortcuts";
import { CaptionTracks, useCaptions } from "./captions";
import { ControlBar } from "./ControlBar";
import { CopyMomentLink } from "./CopyMomentLink";
import { playFrom, whenMetadata } from "./playback";
import { useRememberedSwitch } from "./preference";
import {
  BigPlayButton,
  HoldupNotice,
  ResumeOffer,
  resumable,
  useHoldup,
  useResumeQuestion,
  WaitingSpinner,
} from "./PlayerOverlays";
import { ShortcutAnnouncer, useShortcutNews } from "./ShortcutNews";
import { useControlsVisibility, type ControlsVisibility } from "./useControlsVisibility";
import { useClock, useEndScreen, useStarted, useWaiting, type Clock } from "./useMediaState";
import { AUTOPLAY_NEXT_KEY, UpNextOverlay } from "./UpNext";
import { chapterKeysLabel, useChapterKeys } from "./useChapterKeys";
import type { Chapter } from "../lib/chapters";
import { useProgressSaver } from "./useProgress";
import { useStream } from "./useStream";
import { useTouchSkip } from "./useTouchSkip";
import { focusLost, scrollBehavior } from "../lib/focus";
import { watchPath } from "../lib/paths";
import type { StreamSource } from "./streamToken";

/**
 * Where a player's stream comes from and what it keeps: the item's own route for a signed-in
 * viewer (see watchSource), or a share link's, which keeps no place and links moments to the
 * link's page (an account's watch page would not open for the one it was sent to).
 */
export interface PlaySource extends StreamSource {
  /** Whether the viewer's place in the video is saved (see useProgressSaver). */
  savesProgress: boolean;
  /** The address of a moment of the video, which "Copy link at" copies. */
  momentPath: (seconds: number) => string;
}

/** A signed-in viewer's: grants from the item's route, the place saved, moments on its watch page. */
export function watchSource(itemId: string): PlaySource {
  return {
    grant: () => getStreamToken(itemId),
    gone: "This video is not available.",
    savesProgress: true,
    momentPath: (seconds) => watchPath(itemId, seconds),
  };
}

/**
 * Puts the video at `time` (a link to a moment) once it knows its length;
 * only once: a later source (a renewed token) restores its own position.
 * A time at or past the end is ignored rather than ending the video at once.
 */
function useStartAt(videoRef: RefObject<HTMLVideoElement | null>, time: number | null, autoplay: boolean): void {
  useEffect(() => {
    const video = videoRef.current;
    if (!video || (time === null && !autoplay)) return;
    return whenMetadata(video, () => {
      if (time !== null && isWithin(time, video.duration)) video.currentTime = time;
      // A browser that refuses to play unasked keeps the big play button.
      if (autoplay) void video.play()?.catch(() => undefined);
    });
  }, [videoRef, time, autoplay]);
}

/** What the page around the player can ask of it. */
export interface PlayerHandle {
  /** Plays from `time` (s), e.g. a timestamp in the description; past the end: nothing. */
  seekTo: (time: number) => void;
  /** Where the picture is now (s), e.g. the frame an admin makes the thumbnail of; null before it loads. */
  currentTime: () => number | null;
}

/** Answers the page's `seekTo` (a timestamp clicked in the description) on this player. */
function usePlayerHandle(
  ref: Ref<PlayerHandle> | undefined,
  videoRef: RefObject<HTMLVideoElement | null>,
  frameRef: RefObject<HTMLElement | null>,
  loadFrom: (time: number) => void,
): void {
  useImperativeHandle(
    ref,
    () => ({
      seekTo: (time) => {
        const video = videoRef.current;
        if (!video || !isWithin(time, video.duration)) return;
        loadFrom(time);
        playFrom(video, time);
        // The description is below the player: bring the picture into view.
        frameRef.current?.scrollIntoView?.({ block: "nearest", behavior: scrollBehavior() });
      },
      currentTime: () => {
        const video = videoRef.current;
        return video && video.readyState > 0 ? video.currentTime : null;
      },
    }),
    [videoRef, frameRef, loadFrom],
  );
}

interface PlayerProps {
  item: ViewedMediaItem;
  /** Where to start (s), from a link to a moment; read when the player mounts. No resume offer then. */
  start?: number | null;
  ref?: Ref<PlayerHandle>;
  /** What plays after this item: offered over the picture once it ends. */
  next?: CatalogueItem | null;
  /** Where `next` is watched, when not its own watch page (the playlist played). */
  nextPath?: string | undefined;
  /** Start playing once loaded: the viewer asked for this item (Up next). */
  autoplay?: boolean;
  /** Where the stream comes from; the item's own route by default. Memoised by the page (a new one starts over). */
  source?: PlaySource | undefined;
  /** Over the top of the picture, shown with the control bar (at the start, paused, touched): an embedded player's title. */
  heading?: ReactNode;
  /** The tools under the picture (Copy link at, the keys); left out where the player fills another site's frame. */
  tools?: boolean;
  /**
   * Load no video until the viewer presses play (the poster and at most the playlists): a player
   * on another site's page, whose readers mostly scroll past it.
   */
  waitsForPlay?: boolean;
}

/** The player's elements: the video, and the frame around it that goes full screen. */
interface PlayerElements {
  videoRef: RefObject<HTMLVideoElement | null>;
  frameRef: RefObject<HTMLDivElement | null>;
}

/** No chapter keys: what useChapterKeys is given while the keys are turned off. */
const NO_CHAPTERS: readonly Chapter[] = [];

/**
 * The page-wide keys, on unless the viewer turned them off in the settings
 * (remembered, as the other player choices), and the news of what they did.
 */
function usePlayerKeys(
  elements: PlayerElements,
  chapters: readonly Chapter[],
  keyed: Pick<ShortcutTargets, "onSpeed" | "onCaptions">,
) {
  const { videoRef, frameRef } = elements;
  const [shortcuts, onShortcuts] = useRememberedSwitch(SHORTCUTS_KEY);
  const [shortcutNews, tell, forget] = useShortcutNews();
  usePlayerShortcuts(videoRef, { enabled: shortcuts, fullscreenRef: frameRef, onFact: tell, ...keyed });
  useChapterKeys(videoRef, shortcuts ? chapters : NO_CHAPTERS, tell);
  const forgetUpNext = useCallback(() => forget((fact) => fact.kind === "up-next"), [forget]);
  return { shortcuts, onShortcuts, shortcutNews, tell, forget, forgetUpNext };
}

/**
 * A player the viewer asked for (Up next) takes the focus, which went with
 * the page it replaced (to the body): keys and Tab go on from the player, as
 * after "Play video". Not when something else has the focus by then.
 */
function useFocusWhenAsked(frameRef: RefObject<HTMLElement | null>, asked: boolean): void {
  useEffect(() => {
    if (asked && focusLost()) frameRef.current?.focus();
  }, [frameRef, asked]);
}

/** Plays `item` in `videoRef`, with everything the controls follow and the page-wide shortcuts. */
function usePlayer(
  item: ViewedMediaItem,
  source: PlaySource,
  opening: { start: number | null; autoplay: boolean; waitsForPlay: boolean },
  ref: Ref<PlayerHandle> | undefined,
  elements: PlayerElements,
) {
  const { videoRef, frameRef } = elements;
  // The first start only: the page's URL follows later seeks (a timestamp clicked).
  const [startAt] = useState(opening.start);
  const [speed, setSpeed] = useState(1);
  const [settingsOpen, setSettingsOpen] = useState(false);
  // Before useStream: its clean-up detaches the source, after which the
  // position would read 0; this one saves the position first.
  useProgressSaver(item.id, videoRef, source.savesProgress, source.onGone);
  // Nothing loads while the resume question waits (the start may not be wanted), nor before play where asked.
  const stream = useStream(item.id, source, videoRef, {
    start: startAt,
    held: opening.waitsForPlay || (startAt === null && resumable(item) !== null),
  });
  const captions = useCaptions(videoRef, stream.captions);
  const chapters = item.chapters ?? NO_CHAPTERS;
  const keys = usePlayerKeys(elements, chapters, {
    onSpeed: setSpeed,
    // No c for an item without captions: nothing to turn on, nothing to say.
    onCaptions: stream.captions.length > 0 ? captions.toggle : undefined,
  });
  useStartAt(videoRef, startAt, opening.autoplay);
  useFocusWhenAsked(frameRef, opening.autoplay);
  usePlayerHandle(ref, videoRef, frameRef, stream.loadFrom);
  const [clock, seek] = useSeekableClock(videoRef, item, stream.loadFrom);
  const visibility = useControlsVisibility(clock.paused, settingsOpen);
  // "Playing" or "Paused" said by a key, no longer true once the video paused or played otherwise.
  const { forget } = keys;
  useEffect(() => forget((fact) => fact.kind === "play" && fact.playing === clock.paused), [forget, clock.paused]);
  const [resume, answerResume] = useResumeQuestion(item, videoRef, startAt === null);
  const [ended, dismissEnd] = useEndScreen(videoRef);
  const [autoplayNext, onAutoplayNext] = useRememberedSwitch(AUTOPLAY_NEXT_KEY);
  const waiting = useWaiting(videoRef);
  // The picture's holdup first: captions matter once it plays.
  const holdup = useHoldup(waiting, stream.serverLost) ?? (captions.failing ? "captions" : null);
  const overlay = { waiting, holdup, started: useStarted(videoRef), resume, answerResume };
  const end = { ended, dismissEnd, autoplayNext, onAutoplayNext, tell: keys.tell, forgetUpNext: keys.forgetUpNext };
  const controls = {
    clock,
    onSeek: seek,
    stream,
    captions,
    speed,
    onSpeed: setSpeed,
    chapters,
    autoplayNext,
    onAutoplayNext,
    shortcuts: keys.shortcuts,
    onShortcuts: keys.onShortcuts,
  };
  const menu = { visibility, settingsOpen, onSettingsOpen: setSettingsOpen };
  return { ...controls, ...menu, overlay, end, shortcutNews: keys.shortcutNews, tell: keys.tell };
}

/**
 * The clock, its length the item's own until the video's metadata gives it: the seek bar is
 * usable as the page opens, where it stayed disabled for seconds on a slow link.
 */
function withItemLength(clock: Clock, item: ViewedMediaItem): Clock {
  if ((Number.isFinite(clock.duration) && clock.duration > 0) || !item.duration_seconds) return clock;
  return { ...clock, duration: item.duration_seconds };
}

/**
 * The video's clock, its length the item's until the metadata's (withItemLength), and the seek
 * bar's seek, which before the metadata makes hls.js load from there (the video goes there once it can).
 */
function useSeekableClock(
  videoRef: RefObject<HTMLVideoElement | null>,
  item: ViewedMediaItem,
  loadFrom: (time: number) => void,
): [Clock, (time: number) => void] {
  const [clock, seekVideo] = useClock(videoRef);
  const seek = useCallback(
    (time: number) => {
      loadFrom(time);
      seekVideo(time);
    },
    [loadFrom, seekVideo],
  );
  return [withItemLength(clock, item), seek];
}

/** One player's state and parts, as usePlayer makes them. */
type PlayerModel = ReturnType<typeof usePlayer>;

/**
 * A portrait video's shape (width / height), which the stylesheet sizes it by:
 * as wide as the window's height below the header allows, never wider than
 * the page, so it is shown large from the first paint, not at its pixel size.
 * Undefined for a landscape video (a 16:9 box).
 */
export function portraitStyle(item: Pick<ViewedMediaItem, "width" | "height">): CSSProperties | undefined {
  const { width, height } = item;
  if (!width || !height || height <= width) return undefined;
  return { "--portrait-aspect": (width / height).toFixed(4) } as CSSProperties;
}

/**
 * The video's own element: a click plays or pauses, a double click goes full screen; on a
 * touch screen a double tap on its left or right third skips 10 s (useTouchSkip).
 */
function PlayerVideo({
  item,
  player,
  videoRef,
  frameRef,
  waitsForPlay,
}: { item: ViewedMediaItem; player: PlayerModel; waitsForPlay: boolean } & PlayerElements) {
  const { stream } = player;
  const portrait = portraitStyle(item);
  const touchSkip = useTouchSkip(videoRef, player.tell);
  return (
    <video
      ref={videoRef}
      className={portrait ? "player portrait" : "player"}
      style={portrait}
      data-testid="player"
      playsInline
      // The browser's own HLS and the original file load nothing before play either, where asked.
      preload={waitsForPlay ? "none" : "metadata"}
      // The large still: the player is shown far wider than a card.
      poster={item.poster_url ?? item.thumbnail_url ?? undefined}
      aria-label={`${item.video_codec === null ? "Sound" : "Video"}: ${item.title}`}
      onPointerDown={touchSkip.onPointerDown}
      onClick={(event) => {
        const onlyShows = player.visibility.tapOnlyShows();
        touchSkip.onClick(event, () => {
          if (!onlyShows) togglePlay(videoRef.current);
        });
      }}
      onDoubleClick={() => {
        if (!touchSkip.skipped()) void toggleFullscreen(frameRef.current);
      }}
      onRateChange={(e) => player.onSpeed(e.currentTarget.playbackRate)}
    >
      <CaptionTracks captions={stream.captions} loads={player.captions.loads} />
    </video>
  );
}

/**
 * What shows where a file of sound alone has no picture: a note in the top
 * corner (over the cover art when it has one), clear of the big play button
 * in the middle; clicks go through to the video.
 */
function SoundOnly({ hasStill }: { hasStill: boolean }) {
  return (
    <div className={hasStill ? "player-sound-only over-still" : "player-sound-only"} data-testid="sound-only">
      <span aria-hidden="true">♪</span>
      <small>Sound only</small>
    </div>
  );
}

/**
 * Where a button pressed over the picture leaves the focus as its overlay
 * goes: the player (its keys, then Tab to its bar), not the page's body.
 */
function focusPlayer(frameRef: RefObject<HTMLDivElement | null>): void {
  frameRef.current?.focus();
}

/**
 * Over the picture: the spinner while it waits (and why, when the network
 * holds it up), and the resume question or the big play button before it plays.
 */
function PlayerOverlay({
  player,
  videoRef,
  frameRef,
}: {
  player: PlayerModel;
  videoRef: RefObject<HTMLVideoElement | null>;
  frameRef: RefObject<HTMLDivElement | null>;
}) {
  const { waiting, holdup, started, resume, answerResume } = player.overlay;
  return (
    <>
      {waiting && <WaitingSpinner />}
      <HoldupNotice holdup={holdup} />
      {resume ? (
        <ResumeOffer
          progress={resume}
          videoRef={videoRef}
          onAnswer={(time) => {
            player.stream.loadFrom(time);
            answerResume();
            focusPlayer(frameRef);
          }}
        />
      ) : (
        !started && <BigPlayButton videoRef={videoRef} onPlay={() => focusPlayer(frameRef)} />
      )}
    </>
  );
}

/**
 * Once the video ended, what plays next (when something does). After the
 * control bar in the page's order, though drawn above it: Tab from the bar's
 * Replay goes on into the end screen rather than back past it. The focus on
 * Replay (or on the player) as the video ends goes to its Cancel (UpNextOverlay).
 */
function EndScreen({
  player,
  frameRef,
  next,
  nextPath,
}: {
  player: PlayerModel;
  frameRef: RefObject<HTMLDivElement | null>;
  next: CatalogueItem | null;
  nextPath: string | undefined;
}) {
  const { ended, dismissEnd, autoplayNext, onAutoplayNext, tell, forgetUpNext } = player.end;
  if (!ended || !next) return null;
  return (
    <UpNextOverlay
      next={next}
      to={nextPath}
      autoplay={autoplayNext}
      onAutoplay={onAutoplayNext}
      onCancel={() => {
        dismissEnd();
        focusPlayer(frameRef);
      }}
      onCountdown={tell}
      onCountdownOver={forgetUpNext}
    />
  );
}

/**
 * The shortcuts, under the player (not on a phone: see .player-keys); the
 * ones the item has a use for, and where they are turned off; or, while
 * they are off, where they are turned on.
 */
function PlayerKeys({ on, captions, chapters }: { on: boolean; captions: boolean; chapters: boolean }) {
  if (!on) {
    return (
      <small className="hint player-keys" data-testid="player-keys">
        Keyboard shortcuts are off: Settings in the player turns them on.
      </small>
    );
  }
  return (
    <small className="hint player-keys" data-testid="player-keys">
      Keys: space or k play/pause · j/l ∓10 s · ←/→ ∓5 s · ↑/↓ volume, Home/End start/end (in the player) · 0–9
      to 0–90 % · f fullscreen · m mute
      {captions && " · c captions"}
      {chapters && ` · ${chapterKeysLabel()} chapters`} · &lt; &gt; speed (Settings in the player turns them off)
    </small>
  );
}

/** The frame's classes: the bar hidden (the cursor too), and focus that came by keyboard (its ring). */
function frameClass(visibility: ControlsVisibility): string {
  const classes = ["player-frame"];
  if (!visibility.shown) classes.push("controls-hidden");
  if (visibility.keyboardFocus) classes.push("keyboard-focus");
  return classes.join(" ");
}

/**
 * The watch page's player: HLS through hls.js (or the browser's own HLS, or
 * the original file) under a control bar of our own over the picture — play,
 * a seek bar with the buffer and storyboard previews, volume, the clock,
 * captions, a settings menu (quality, audio, captions, speed), picture in
 * picture, full screen — that hides while the video plays untouched; below
 * it a link to the current moment; and the page-wide keyboard shortcuts.
 */
export function Player({
  item,
  start = null,
  ref,
  next = null,
  nextPath,
  autoplay = false,
  source: given,
  heading,
  tools = true,
  waitsForPlay = false,
}: PlayerProps) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const frameRef = useRef<HTMLDivElement>(null);
  const source = useMemo(() => given ?? watchSource(item.id), [given, item.id]);
  const player = usePlayer(item, source, { start, autoplay, waitsForPlay }, ref, { videoRef, frameRef });
  const { visibility } = player;
  return (
    <div className="player-wrap">
      <div
        ref={frameRef}
        className={frameClass(visibility)}
        data-delivery={player.stream.delivery ?? undefined}
        // Focusable by a click on the picture, so that ↑/↓ then set the volume rather than scroll.
        tabIndex={-1}
        {...visibility.frame}
      >
        <PlayerVideo item={item} player={player} videoRef={videoRef} frameRef={frameRef} waitsForPlay={waitsForPlay} />
        {heading && <div className="player-heading">{heading}</div>}
        {item.video_codec === null && <SoundOnly hasStill={Boolean(item.thumbnail_url)} />}
        <PlayerOverlay player={player} videoRef={videoRef} frameRef={frameRef} />
        <ControlBar
          {...player}
          videoRef={videoRef}
          frameRef={frameRef}
          hasPicture={item.video_codec !== null}
          hasNext={next !== null}
        />
        <EndScreen player={player} frameRef={frameRef} next={next} nextPath={nextPath} />
        <ShortcutAnnouncer news={player.shortcutNews} />
      </div>
      {tools && (
        <div className="player-tools">
          <CopyMomentLink momentPath={source.momentPath} videoRef={videoRef} />
          <PlayerKeys
            on={player.shortcuts}
            captions={player.stream.captions.length > 0}
            chapters={player.chapters.length > 0}
          />
        </div>
      )}
      <FormError message={player.stream.error} />
    </div>
  );
}
