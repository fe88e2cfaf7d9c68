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

/**
 * Whether the page-wide keys are on ("on", the default, or "off"), across
 * visits: WCAG 2.1.4 wants a way to turn single-letter keys off.
 */
export const SHORTCUTS_KEY = "streamstack.shortcuts";

/** Input types whose keys are not text: the player's letter keys still apply there. */
const NOT_TEXT = new Set(["range", "checkbox", "radio", "button", "submit", "reset", "image", "color", "file"]);

/** Whether keys pressed on `target` are typed text (or pick in a select), which no player shortcut takes. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof Element)) return false;
  if (target instanceof HTMLInputElement) return !NOT_TEXT.has(target.type);
  // Not isContentEditable alone: jsdom, where the tests run, has none.
  if (target.closest('[contenteditable]:not([contenteditable="false"])')) return true;
  const typedInto = ["textbox", "combobox", "searchbox"].includes(target.getAttribute("role") ?? "");
  return typedInto || ["TEXTAREA", "SELECT"].includes(target.tagName);
}

/** The role a control has for its keys: its own `role` (a checkbox shown as a switch), else its element's. */
function controlRole(target: Element): string | null {
  const role = target.getAttribute("role");
  if (role) return role;
  if (target instanceof HTMLInputElement) {
    const byType: Record<string, string> = { checkbox: "checkbox", radio: "radio", range: "slider" };
    return byType[target.type] ?? "button";
  }
  if (target instanceof HTMLButtonElement || target.tagName === "SUMMARY") return "button";
  return target instanceof HTMLAnchorElement && target.hasAttribute("href") ? "link" : null;
}

/** Controls that space (and Enter) press or tick. */
const PRESSED_ROLES = new Set(["button", "link", "checkbox", "switch"]);

/** Widgets that choose or move with the arrows too (ARIA's patterns: a radio group, a slider, tabs, a menu). */
const MOVED_ROLES = new Set([
  "radio",
  "slider",
  "spinbutton",
  "option",
  "tab",
  "menuitem",
  "menuitemcheckbox",
  "menuitemradio",
  "treeitem",
  "gridcell",
]);

const MOVING_KEYS = new Set(["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown"]);

/**
 * Whether `key` pressed on `target` is the focused control's own: any key in
 * a text field or select; space and Enter on a button, link, checkbox or
 * switch (they press or tick it); those and the arrows on a radio, slider,
 * tab and the like (they choose or move it). Letters mean nothing to a
 * button or a checkbox, and stay the player's.
 */
function isControlsKey(target: EventTarget | null, key: string): boolean {
  if (!(target instanceof Element)) return false;
  if (isTyping(target)) return true;
  const role = controlRole(target) ?? "";
  const pressing = key === " " || key === "Enter";
  if (PRESSED_ROLES.has(role)) return pressing;
  return MOVED_ROLES.has(role) && (pressing || MOVING_KEYS.has(key));
}

/**
 * Whether the page's keys are someone else's now: a modal dialog is open
 * (the Save dialog: the player behind it is not what the viewer works
 * with), the key is the focused control's own (isControlsKey), or a
 * handler before ours already answered it (a dialog's Escape).
 */
function keyIsNotThePlayers(event: KeyboardEvent): boolean {
  return modalOpen() || event.defaultPrevented || isControlsKey(event.target, event.key);
}

/** Whether a modal dialog (Modal, aria-modal) is open: what is behind it takes no keys. */
export function modalOpen(): boolean {
  return document.querySelector('[aria-modal="true"]') !== null;
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
export function seek(video: HTMLVideoElement, by: number): KeyFact {
  const to = seekedBy(video.currentTime, video.duration, by);
  video.currentTime = to;
  return { kind: "seek", by, to, duration: video.duration };
}

/** Moves `video` to `to` seconds, which a listener is told as `label` ("Start", "50 %"). */
function jump(video: HTMLVideoElement, to: number, label: string): KeyFact {
  video.currentTime = to;
  return { kind: "jump", label, to, duration: video.duration };
}

/**
 * The keys that jump to a place in `video`, as other players have them: Home to the start,
 * End to the end and 0–9 to 0–90 % (those two once its length is known), with `inPlayer`
 * (Home and End elsewhere scroll the page, as ↑/↓ do).
 */
function jumpActions(video: HTMLVideoElement, inPlayer: boolean): Record<string, () => KeyFact> {
  const act: Record<string, () => KeyFact> = {};
  const { duration } = video;
  const known = Number.isFinite(duration) && duration > 0;
  if (inPlayer) act.Home = () => jump(video, 0, "Start");
  if (inPlayer && known) act.End = () => jump(video, duration, "End");
  if (!known) return act;
  for (let digit = 0; digit <= 9; digit += 1) {
    act[String(digit)] = () => jump(video, (duration * digit) / 10, `${digit * 10} %`);
  }
  return act;
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
 * Whether ↑/↓ are the volume's, and Home/End the video's start and end: with the focus in
 * the player, or full screen; elsewhere they scroll the page. Not on an input: a slider's
 * keys are its own.
 */
function focusInPlayer(target: EventTarget | null, frame: HTMLElement | null): boolean {
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
  return element?.requestFullscreen?.().then(() => turnSideways(element));
}

/** The screen's orientation, with the lock Chrome on Android has (not in TypeScript's DOM types). */
type LockableOrientation = ScreenOrientation & { lock?: (orientation: "landscape") => Promise<void> };

/**
 * A wide video shown full screen on a phone held upright turns the screen sideways, as
 * video apps do: else it is a strip across the middle of a tall screen. Browsers release
 * the lock as full screen ends; those without one (desktops, iOS) refuse, harmlessly.
 */
function turnSideways(element: HTMLElement): void {
  const video = element instanceof HTMLVideoElement ? element : element.querySelector("video");
  const orientation = screen.orientation as LockableOrientation | undefined;
  if (!video || !orientation?.lock || !orientation.type.startsWith("portrait")) return;
  if (video.videoWidth <= video.videoHeight) return;
  orientation.lock("landscape").catch(() => undefined);
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
  /** Whether the keys are on at all (the settings menu's "Keyboard shortcuts": SHORTCUTS_KEY). */
  enabled: boolean;
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
 * What each key does to `video` for `target` (the focused element): each
 * answers what it did, or null when that is told later (full screen).
 */
function shortcutActions(
  video: HTMLVideoElement,
  target: EventTarget | null,
  targets: ShortcutTargets,
): Record<string, () => KeyFact | null> {
  const { onSpeed, fullscreenRef, onCaptions, onFact } = targets;
  const speed = (direction: 1 | -1): KeyFact => {
    const rate = (video.playbackRate = stepSpeed(video.playbackRate, direction));
    onSpeed(rate);
    return { kind: "speed", rate };
  };
  const volume = (by: number): KeyFact => {
    stepVolume(video, by);
    return loudness(video);
  };
  const play = (): KeyFact => {
    togglePlay(video);
    return { kind: "play", playing: !video.paused };
  };
  const act: Record<string, () => KeyFact | null> = {
    k: play,
    " ": play,
    j: () => seek(video, -10),
    l: () => seek(video, 10),
    f: () => toggleFullscreenTold(fullscreenRef?.current ?? video, onFact),
    m: () => {
      video.muted = !video.muted;
      return loudness(video);
    },
    "<": () => speed(-1),
    ">": () => speed(1),
    ArrowLeft: () => seek(video, -ARROW_SEEK_S),
    ArrowRight: () => seek(video, ARROW_SEEK_S),
  };
  if (onCaptions) act.c = () => ({ kind: "captions", track: onCaptions() });
  const inPlayer = focusInPlayer(target, fullscreenRef?.current ?? video);
  if (inPlayer) {
    act.ArrowUp = () => volume(VOLUME_STEP);
    act.ArrowDown = () => volume(-VOLUME_STEP);
  }
  return { ...act, ...jumpActions(video, inPlayer) };
}

/**
 * The keyboard shortcuts viewers know from other players, on the whole page
 * (no need to focus the video first): space/k play-pause, j/l ∓10 s,
 * ←/→ ∓5 s, ↑/↓ volume ±5 % and Home/End start/end (with the focus in the player,
 * `fullscreenRef`, or full screen: elsewhere they scroll the page), 0–9 to 0–90 %, f fullscreen, m mute,
 * c captions (`onCaptions`: the player's menu follows), < > speed. Each
 * tells `onFact` what it did, for a listener who cannot see it and a viewer
 * whose controls are hidden. None while `enabled` is off (WCAG 2.1.4), while
 * a dialog is open, or for a key the focused control has a use for (typing,
 * space on a button or checkbox, a slider's arrows: keyIsNotThePlayers);
 * nor with Ctrl/Alt/Meta (the chapter keys, Ctrl+←/→, are useChapterKeys').
 */
export function usePlayerShortcuts(videoRef: RefObject<HTMLVideoElement | null>, targets: ShortcutTargets): void {
  const { enabled, onSpeed, fullscreenRef, onCaptions, onFact } = targets;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (event: KeyboardEvent) => {
      const video = videoRef.current;
      if (!video || event.ctrlKey || event.metaKey || event.altKey || keyIsNotThePlayers(event)) return;
      const act = shortcutActions(video, event.target, { enabled, onSpeed, fullscreenRef, onCaptions, onFact });
      const action = act[event.key.length === 1 ? event.key.toLowerCase() : event.key] ?? act[event.key];
      if (!action) return;
      event.preventDefault();
      const fact = action();
      if (fact) onFact(fact);
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [videoRef, enabled, onSpeed, fullscreenRef, onCaptions, onFact]);
}
