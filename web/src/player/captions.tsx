import { useCallback, useEffect, useLayoutEffect, useRef, useState, type RefObject } from "react";
import type { GrantedCaption } from "../api/schema";
import { trackName } from "../lib/language";
import { PlayerMenu } from "./PlayerMenu";
import { closestLanguage, remember, remembered } from "./preference";

/** One subtitle track of the stream grant: a WebVTT file under the item's token. */
export type StreamCaption = GrantedCaption;

/** The viewer's captions choice across items and visits: a language, or "" for off. */
const CAPTIONS_KEY = "streamstack.captions";
/** Off, in storage and in the menu: no language tag is empty. */
const OFF = "";

/**
 * The track to show when a page opens: the remembered language, else one of
 * the same primary language (`en` for `en-GB`); off when the viewer turned
 * captions off or never on, or this item has no track in their language.
 */
function initialCaption(
  captions: readonly StreamCaption[],
  choice: string | null = remembered(CAPTIONS_KEY),
): string | null {
  if (!choice) return null;
  return closestLanguage(captions, choice, (c) => c.language)?.language ?? null;
}

export interface Captions {
  /** The language shown, or null for off. */
  chosen: string | null;
  /** Show `language` (null: off) and remember the choice. */
  choose: (language: string | null) => void;
  /**
   * Off when on; on (the last language shown, else the first track) when
   * off: the `c` key. Answers the track now shown, null for off.
   */
  toggle: () => StreamCaption | null;
  /** The chosen track's file could not load (it is tried again: see useCaptionLoads). */
  failing: boolean;
  /** Each track's attempt and what came of it, for CaptionTracks. */
  loads: CaptionLoads;
}

/** Each track's load: its attempt (a new `<track>` each), the ones that failed, and how they end. */
export interface CaptionLoads {
  attempts: Readonly<Record<string, number>>;
  failed: readonly string[];
  /** The `<track>` of `language` loaded (`ok`) or failed. */
  settle: (language: string, ok: boolean) => void;
}

/** The first wait before a failed caption file is tried again (ms); it doubles up to CAPTION_RETRY_MAX_MS. */
export const CAPTION_RETRY_MS = 2_000;
export const CAPTION_RETRY_MAX_MS = 60_000;

/**
 * The caption files' loads. A `<track>` whose load failed (a blip, a tunnel) never loads
 * again, so a failed one is replaced by a new `<track>`: after a wait that doubles with each
 * failure, when the browser is back online, or when the viewer chooses it again (`retry`).
 */
function useCaptionLoads(): CaptionLoads & { retry: (language?: string) => void } {
  const [state, setState] = useState<Omit<CaptionLoads, "settle">>({ attempts: {}, failed: [] });
  const settle = useCallback((language: string, ok: boolean) => {
    setState(({ attempts, failed }) => {
      const rest = failed.filter((l) => l !== language);
      return { attempts, failed: ok ? rest : [...rest, language] };
    });
  }, []);
  const retry = useCallback((language?: string) => {
    setState((was) => {
      const again = was.failed.filter((l) => language === undefined || l === language);
      if (again.length === 0) return was;
      const attempts = { ...was.attempts };
      for (const l of again) attempts[l] = (attempts[l] ?? 0) + 1;
      return { attempts, failed: was.failed.filter((l) => !again.includes(l)) };
    });
  }, []);
  const { attempts, failed } = state;
  const tries = Math.max(0, ...failed.map((l) => attempts[l] ?? 0));
  useEffect(() => {
    if (failed.length === 0) return;
    const again = () => retry();
    const timer = setTimeout(again, Math.min(CAPTION_RETRY_MS * 2 ** tries, CAPTION_RETRY_MAX_MS));
    window.addEventListener("online", again);
    return () => {
      clearTimeout(timer);
      window.removeEventListener("online", again);
    };
  }, [failed, tries, retry]);
  return { attempts, failed, settle, retry };
}

/**
 * The captions choice of one player and its `<track>` modes: exactly the
 * chosen track is "showing", every other one "disabled" (see showOnly). The
 * `<track>` elements are the video's children, rendered by CaptionTracks.
 */
export function useCaptions(videoRef: RefObject<HTMLVideoElement | null>, captions: readonly StreamCaption[]): Captions {
  const [choice, setChoice] = useState<{ language: string | null } | null>(null);
  const last = useRef<string | null>(null);
  const { retry, ...loads } = useCaptionLoads();
  // Until the viewer picks, the remembered preference applies (the track list arrives with the grant).
  const wanted = choice ? choice.language : initialCaption(captions);
  const chosen = captions.some((c) => c.language === wanted) ? wanted : null;

  // With the commit that renders the tracks, not a frame later: a track
  // never starts loading, or shows, in a mode it is about to leave.
  useLayoutEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    showOnly(video, chosen);
    if (chosen !== null) last.current = chosen;
  }, [videoRef, chosen, captions, loads.attempts]);

  useForeignTracksOff(videoRef);

  const choose = useCallback(
    (language: string | null) => {
      setChoice({ language });
      remember(CAPTIONS_KEY, language ?? OFF);
      if (language !== null) retry(language);
    },
    [retry],
  );

  const toggle = useCallback(() => {
    if (chosen !== null) {
      choose(null);
      return null;
    }
    const again = captions.find((c) => c.language === last.current) ?? captions[0];
    if (again) choose(again.language);
    return again ?? null;
  }, [captions, chosen, choose]);

  const failing = chosen !== null && loads.failed.includes(chosen);
  return { chosen, choose, toggle, failing, loads };
}

/** Our tracks whose mode this page has changed, which the browser then leaves alone. */
const claimed = new WeakSet<TextTrack>();

/**
 * Exactly the `<track>` of `chosen` showing, every other disabled. While a
 * track shows, Chromium turns on the first track the page never configured
 * (its automatic selection, run again as tracks load): a second set of
 * captions over ours. Setting the mode a track already has does not count as
 * configuring it, so each passes through "hidden" once, loading its file;
 * with captions off no track is claimed, and none loads.
 */
export function showOnly(video: HTMLVideoElement, chosen: string | null): void {
  for (const element of video.querySelectorAll("track")) {
    const track = element.track as TextTrack | undefined; // jsdom has none
    if (!track) continue;
    const mode = element.srclang === chosen ? "showing" : "disabled";
    if (chosen !== null && !claimed.has(track)) {
      if (track.mode === mode) track.mode = "hidden";
      claimed.add(track);
    }
    track.mode = mode;
  }
}

/**
 * Keeps every subtitle track that is not one of our `<track>` elements off:
 * a browser playing HLS itself (Safari) adds the master playlist's subtitle
 * renditions as tracks of its own and may show one (AUTOSELECT), which would
 * be a second set beside ours.
 */
function useForeignTracksOff(videoRef: RefObject<HTMLVideoElement | null>): void {
  useEffect(() => {
    const video = videoRef.current;
    const list: TextTrackList | undefined = video?.textTracks;
    if (!video || typeof list?.addEventListener !== "function") return; // jsdom: no track list
    const quiet = () => disableForeignTracks(video);
    quiet();
    list.addEventListener("addtrack", quiet);
    list.addEventListener("change", quiet);
    return () => {
      list.removeEventListener("addtrack", quiet);
      list.removeEventListener("change", quiet);
    };
  }, [videoRef]);
}

function disableForeignTracks(video: HTMLVideoElement): void {
  const ours = new Set([...video.querySelectorAll("track")].map((element) => element.track));
  for (const track of video.textTracks) {
    const subtitles = track.kind === "subtitles" || track.kind === "captions";
    if (subtitles && !ours.has(track) && track.mode !== "disabled") track.mode = "disabled";
  }
}

/**
 * One `<track>`. Its URL carries the stream token, which is renewed: a track
 * not loaded yet (or whose load failed) moves onto the new token, while a
 * loaded one keeps its cues instead of fetching them again.
 */
function CaptionTrack({ caption, settle }: { caption: StreamCaption; settle: CaptionLoads["settle"] }) {
  const ref = useRef<HTMLTrackElement>(null);
  const [firstUrl] = useState(caption.url);
  useEffect(() => {
    const element = ref.current;
    if (element && element.readyState !== 2 /* LOADED */ && element.getAttribute("src") !== caption.url) {
      element.src = caption.url;
    }
  }, [caption.url]);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const loaded = () => settle(caption.language, true);
    const failed = () => settle(caption.language, false);
    element.addEventListener("load", loaded);
    element.addEventListener("error", failed);
    return () => {
      element.removeEventListener("load", loaded);
      element.removeEventListener("error", failed);
    };
  }, [caption.language, settle]);
  return <track ref={ref} kind="subtitles" src={firstUrl} srcLang={caption.language} label={trackName(caption.label, caption.language)} />;
}

/** The video's subtitle tracks (children of the `<video>`): a new `<track>` for each attempt. */
export function CaptionTracks({ captions, loads }: { captions: readonly StreamCaption[]; loads: CaptionLoads }) {
  return captions.map((caption) => (
    <CaptionTrack
      key={`${caption.language}#${loads.attempts[caption.language] ?? 0}`}
      caption={caption}
      settle={loads.settle}
    />
  ));
}

/** "Captions: Off / each track", in the settings menu beside quality and speed. */
export function CaptionsMenu({ captions, state }: { captions: readonly StreamCaption[]; state: Captions }) {
  if (captions.length === 0) return null;
  const choices = [{ value: OFF, label: "Off" }, ...captions.map((c) => ({ value: c.language, label: trackName(c.label, c.language) }))];
  return (
    <PlayerMenu
      label="Captions"
      value={state.chosen ?? OFF}
      choices={choices}
      onChange={(value) => state.choose(value === OFF ? null : value)}
    />
  );
}
