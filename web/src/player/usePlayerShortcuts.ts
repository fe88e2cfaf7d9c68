import { useEffect, type RefObject } from "react";
import type { StreamCaption } from "./captions";
import type { KeyFact } from "./ShortcutNews";
import { setVolumeLevel } from "./useVolume";

export const SPEEDS = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2] as const;

/** How far (s) the arrow keys move the video: on the page and on the focused seek bar alike. */
export const ARROW_SEEK_S = 5;

/** The next playback speed up (+1) or down (-1) from `rate`, within SPEEDS. */
export function stepSpeed(rate: number, direction: 1 | -1): number {
  const index = SPEEDS.findIndex((s) => s >= rate - 1e-9);
  const current = index === -1 ? SPEEDS.length - 1 : index;
  const next = Math.min(SPEEDS.length - 1, Math.max(0, current + direction));
  return SPEEDS[next] ?? 1;
}

/** Input types whose keys are not text: the player's shortcuts still apply there. */
const NOT_TEXT = new Set(["range", "checkbox", "radio", "button"]);

/** Whether keys pressed on `target` are typed text, which no player shortcut takes. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target instanceof HTMLInputElement) return !NOT_TEXT.has(target.type);
  return target.isContentEditable || ["TEXTAREA", "SELECT"].includes(target.tagName);
}

/**
 * Where moving `by` seconds from `time` lands, within 0 and `duration` (no
 * end while it is unknown): the page's keys and the seek bar's arrows alike.
 */
export function seekedBy(time: number, duration: number, by: number): number {
  const end = Number.isFinite(duration) ? duration : Number.POSITIVE_INFINITY;
  return Math.min(end, Math.max(0, time + by));
}

/** Moves `video` by `by` seconds; what a listener is told of it. */
function seek(video: HTMLVideoElement, by: number): KeyFact {
  const to = seekedBy(video.currentTime, video.duration, by);
  video.currentTime = to;
  return { kind: "seek", by, to, duration: video.duration };
}

/** How much ↑/↓ change the volume: the volume slider's step. */
export const VOLUME_STEP = 0.05;

/**
 * Raises (by > 0) or lowers the volume, within 0..1: up from muted unmutes,
 * going on from the level kept; down to 0 mutes, keeping the level to return to.
 */
export function stepVolume(video: HTMLVideoElement, by: number): void {
  const from = video.muted ? (by > 0 ? video.volume : 0) : video.volume;
  // Whole percents, as the slider shows: 0.4 + 0.05 is 0.45000000000000007 otherwise.
  setVolumeLevel(video, Math.round((from + by) * 100) / 100);
}

/** Where the volume is now, to tell the viewer after a volume key. */
function loudness(video: HTMLVideoElement): KeyFact {
  return { kind: "volume", level: video.volume, muted: video.muted };
}

/**
 * Whether ↑/↓ are the volume's: with the focus in the player, or full screen;
 * elsewhere they scroll the page. Not on an input: a slider's arrows are its own.
 */
function arrowsAreVolume(target: EventTarget | null, frame: HTMLElement | null): boolean {
  if (target instanceof HTMLInputElement) return false;
  return document.fullscreenElement != null || (target instanceof Node && frame?.contains(target) === true);
}

/** Plays a paused video, pauses a playing one (the play button, a click on the picture, space/k). */
export function togglePlay(video: HTMLVideoElement | null): void {
  if (!video) return;
  if (video.paused) void video.play()?.catch(() => undefined);
  else video.pause();
}

/** Leaves full screen, or shows `element` full screen (the button and f); settled once the browser did (or refused). */
export function toggleFullscreen(element: HTMLElement | null): Promise<void> | undefined {
  if (document.fullscreenElement) return document.exitFullscreen?.();
  return element?.requestFullscreen?.();
}

/** Changes full screen, then tells `onFact` where it is: the browser may refuse, or take a moment. */
function toggleFullscreenTold(element: HTMLElement | null, onFact: (fact: KeyFact) => void): null {
  toggleFullscreen(element)?.then(
    () => onFact({ kind: "fullscreen", on: document.fullscreenElement != null }),
    () => undefined,
  );
  return null;
}

/** What the page's player lets its shortcuts change, and where they tell what they did. */
export interface ShortcutTargets {
  /** The speed the keys set, for the settings menu to show. */
  onSpeed: (rate: number) => void;
  /** What goes full screen (the player's frame, with its controls); the video when absent. */
  fullscreenRef?: RefObject<HTMLElement | null>;
  /** Turns captions on or off, answering the track now shown (null: off); absent for an item with none. */
  onCaptions?: (() => StreamCaption | null) | undefined;
  /** Told what each key did, to say it (see useShortcutNews); not the controls' own use. */
  onFact: (fact: KeyFact) => void;
}

/**
 * The keyboard shortcuts viewers know from other players, on the whole page
 * (no need to focus the video first): space/k play-pause, j/l ∓10 s,
 * ←/→ ∓5 s, ↑/↓ volume ±5 % (with the focus in the player, `fullscreenRef`,
 * or full screen: elsewhere they scroll the page), f fullscreen, m mute,
 * c captions (`onCaptions`: the player's menu follows), < > speed. Each
 * tells `onFact` what it did, for a listener who cannot see it and a viewer
 * whose controls are hidden. Keys typed into a field, or pressed with
 * Ctrl/Alt/Meta, are left alone (the chapter keys, Ctrl+←/→, are
 * useChapterKeys'); so are space on a button or link (it presses them) and
 * the arrows on a slider (it moves itself).
 */
export function usePlayerShortcuts(videoRef: RefObject<HTMLVideoElement | null>, targets: ShortcutTargets): void {
  const { onSpeed, fullscreenRef, onCaptions, onFact } = targets;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const video = videoRef.current;
      if (!video || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
      // The seek bar moves itself with the arrows (by ARROW_SEEK_S too); buttons and links take space.
      const onSlider = event.target instanceof HTMLInputElement && event.target.type === "range";
      const onButton = event.target instanceof HTMLButtonElement || event.target instanceof HTMLAnchorElement;
      const speed = (direction: 1 | -1): KeyFact => {
        const rate = (video.playbackRate = stepSpeed(video.playbackRate, direction));
        onSpeed(rate);
        return { kind: "speed", rate };
      };
      const volume = (by: number): KeyFact => {
        stepVolume(video, by);
        return loudness(video);
      };
      // Each answers what it did, or null when that is told later (full screen) or not at all.
      const act: Record<string, () => KeyFact | null> = {
        k: () => {
          togglePlay(video);
          return { kind: "play", playing: !video.paused };
        },
        j: () => seek(video, -10),
        l: () => seek(video, 10),
        f: () => toggleFullscreenTold(fullscreenRef?.current ?? video, onFact),
        m: () => {
          video.muted = !video.muted;
          return loudness(video);
        },
        "<": () => speed(-1),
        ">": () => speed(1),
      };
      if (onCaptions) act.c = () => ({ kind: "captions", track: onCaptions() });
      if (!onButton) act[" "] = act.k!;
      if (!onSlider) {
        act.ArrowLeft = () => seek(video, -ARROW_SEEK_S);
        act.ArrowRight = () => seek(video, ARROW_SEEK_S);
      }
      if (arrowsAreVolume(event.target, fullscreenRef?.current ?? video)) {
        act.ArrowUp = () => volume(VOLUME_STEP);
        act.ArrowDown = () => volume(-VOLUME_STEP);
      }
      const action = act[event.key.length === 1 ? event.key.toLowerCase() : event.key] ?? act[event.key];
      if (!action) return;
      event.preventDefault();
      const fact = action();
      if (fact) onFact(fact);
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [videoRef, onSpeed, fullscreenRef, onCaptions, onFact]);
}
