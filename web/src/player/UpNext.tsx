import { useCallback, useEffect, useId, useRef, useState, type RefObject } from "react";
import { Link, useNavigate } from "react-router";
import type { CatalogueItem } from "../api/schema";
import { watchPath } from "../lib/paths";
import type { KeyFact } from "./ShortcutNews";
import { modalOpen } from "./usePlayerShortcuts";

/** How long the end screen counts down before the next item plays. */
export const UP_NEXT_SECONDS = 8;

/** Whether the next item plays by itself after the countdown: "on" (the default) or "off", across visits. */
export const AUTOPLAY_NEXT_KEY = "streamstack.autoplay-next";

/** What the watch page tells the next item's player: start playing, it was asked for. */
export interface UpNextState {
  autoplay: true;
}

const AUTOPLAY: UpNextState = { autoplay: true };

/** The end screen's countdown: the seconds left, whether it runs, and what stops or restarts it. */
interface UpNextCountdown {
  left: number;
  counting: boolean;
  /** Stops it for good (the viewer is here: the screen waits for Play now). */
  hold: () => void;
  /** From the top (Autoplay turned back on). */
  restart: () => void;
}

/**
 * Counts down from UP_NEXT_SECONDS while `running` and not held, then goes to `target`.
 */
function useUpNextCountdown(running: boolean, target: string): UpNextCountdown {
  const navigate = useNavigate();
  const [left, setLeft] = useState(UP_NEXT_SECONDS);
  const [held, setHeld] = useState(false);
  const counting = running && !held;
  useEffect(() => {
    if (!counting) return;
    if (left <= 0) {
      void navigate(target, { state: AUTOPLAY });
      return;
    }
    const id = window.setTimeout(() => setLeft((s) => s - 1), 1000);
    return () => window.clearTimeout(id);
  }, [counting, left, navigate, target]);
  const hold = useCallback(() => setHeld(true), []);
  const restart = () => {
    setLeft(UP_NEXT_SECONDS);
    setHeld(false);
  };
  return { left, counting, hold, restart };
}

/**
 * While the end screen shows, a key pressed anywhere stops its countdown: someone reading
 * the page, or on their way to Cancel by Tab, needs longer than 8 s (WCAG 2.2.1). Escape in
 * the player (or with the focus nowhere) cancels the screen, unless something in it answered
 * Escape first (the settings menu) or a dialog is open.
 */
function useEndScreenKeys(screenRef: RefObject<HTMLElement | null>, hold: () => void, onCancel: () => void): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      hold();
      if (event.key !== "Escape" || event.defaultPrevented || modalOpen()) return;
      const frame = screenRef.current?.parentElement;
      const target = event.target instanceof Node ? event.target : null;
      if (target === document.body || (frame && frame.contains(target))) onCancel();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [screenRef, hold, onCancel]);
}

/** Tells the countdown's start once (not each second), and takes it back once it no longer runs. */
function useCountdownTold(
  counting: boolean,
  title: string,
  onCountdown: (fact: KeyFact) => void,
  onCountdownOver: () => void,
): void {
  useEffect(() => {
    if (!counting) return;
    onCountdown({ kind: "up-next", title, seconds: UP_NEXT_SECONDS });
    return onCountdownOver; // cancelled, stopped, Autoplay off, or the screen gone: no longer true
  }, [counting, title, onCountdown, onCountdownOver]);
}

/**
 * Puts the focus on Cancel as the screen comes up when it was on the player (its bar's
 * Replay, the frame) or nowhere, so that a keyboard or screen-reader user can stay with
 * Enter rather than 8 Tabs away during the countdown; not from a field elsewhere on the
 * page (a comment being typed). That focus is ours, not the viewer's: it does not stop the
 * countdown (see `moving`, read by the screen's onFocus).
 */
function useCancelFocused(screenRef: RefObject<HTMLElement | null>, cancelRef: RefObject<HTMLElement | null>) {
  const moving = useRef(false);
  useEffect(() => {
    const active = document.activeElement;
    const frame = screenRef.current?.parentElement;
    if (active && active !== document.body && !frame?.contains(active)) return;
    moving.current = true;
    cancelRef.current?.focus();
    moving.current = false;
  }, [screenRef, cancelRef]);
  return moving;
}

/** The end screen's Play now and Cancel; Cancel says Escape does the same. */
function UpNextChoices({
  to,
  cancelRef,
  onCancel,
}: {
  to: string;
  cancelRef: RefObject<HTMLButtonElement | null>;
  onCancel: () => void;
}) {
  const escapeHint = useId();
  return (
    <>
      <div className="button-row">
        <Link className="button on-overlay" to={to} state={AUTOPLAY}>
          Play now
        </Link>
        <button
          ref={cancelRef}
          type="button"
          className="button ghost on-overlay"
          onClick={onCancel}
          aria-keyshortcuts="Escape"
          aria-describedby={escapeHint}
        >
          Cancel
        </button>
      </div>
      <span id={escapeHint} className="visually-hidden">
        Or press Escape.
      </span>
    </>
  );
}

/**
 * Over the picture once the video has ended: the next item (of the playlist
 * played, else the first related one), played after a short countdown (or at
 * once with "Play now"); "Cancel" stays here. With Autoplay off (a switch
 * here and in the settings menu, under AUTOPLAY_NEXT_KEY) it waits for "Play now"
 * instead of counting down. The next page's player starts playing by itself,
 * as the viewer asked for it. The control bar stays in reach over its bottom
 * (see .up-next): a seek back or Replay there ends it (useEndScreen). The
 * countdown's start is told once to `onCountdown` (the player's status
 * region), not each second: the label is not a live region; `onCountdownOver`
 * takes it back when it stops.
 */
export function UpNextOverlay({
  next,
  to = watchPath(next.id),
  autoplay,
  onAutoplay,
  onCancel,
  onCountdown,
  onCountdownOver,
}: {
  next: CatalogueItem;
  /** Where the next item is watched (its watch page in the playlist played). */
  to?: string | undefined;
  autoplay: boolean;
  onAutoplay: (on: boolean) => void;
  onCancel: () => void;
  onCountdown: (fact: KeyFact) => void;
  /** The countdown told is over without going (see onCountdown). */
  onCountdownOver: () => void;
}) {
  const { left, counting, hold, restart } = useUpNextCountdown(autoplay, to);
  const screenRef = useRef<HTMLDivElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEndScreenKeys(screenRef, hold, onCancel);
  const movingFocus = useCancelFocused(screenRef, cancelRef);
  useCountdownTold(counting, next.title, onCountdown, onCountdownOver);
  const choose = (on: boolean) => {
    restart();
    onAutoplay(on);
  };

  // The viewer's focus in it or the pointer moved over it stops the countdown (not a pointer
  // left resting where the screen came up, nor the focus put on Cancel: useCancelFocused), as a
  // key does (useEndScreenKeys). Play now and Cancel come first in its order; the Autoplay
  // switch after them, drawn beside the countdown (.up-next). Cancel says Escape does the same.
  return (
    <div
      ref={screenRef}
      className="up-next"
      role="region"
      aria-label={`Up next: ${next.title}`}
      data-testid="up-next"
      onFocus={() => {
        if (!movingFocus.current) hold();
      }}
      onPointerMove={hold}
    >
      <p className="up-next-label">{counting ? `Up next in ${left} s` : "Up next"}</p>
      {next.thumbnail_url && <img src={next.thumbnail_url} alt="" className="up-next-still" />}
      <p className="up-next-title">{next.title}</p>
      <UpNextChoices to={to} cancelRef={cancelRef} onCancel={onCancel} />
      <label className="up-next-autoplay">
        <input type="checkbox" role="switch" checked={autoplay} onChange={(e) => choose(e.target.checked)} />
        Autoplay
      </label>
    </div>
  );
}
