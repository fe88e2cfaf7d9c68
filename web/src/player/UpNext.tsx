import { useCallback, useEffect, useRef, useState, type RefObject } from "react";
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
  useEndScreenKeys(screenRef, hold, onCancel);
  useCountdownTold(counting, next.title, onCountdown, onCountdownOver);
  const choose = (on: boolean) => {
    restart();
    onAutoplay(on);
  };

  // Focus in it or the pointer moved over it stops the countdown (not a pointer left resting
  // where the screen came up), as a key does (useEndScreenKeys). Play now and Cancel come
  // first in its order; the Autoplay switch after them, drawn beside the countdown (.up-next).
  return (
    <div
      ref={screenRef}
      className="up-next"
      role="region"
      aria-label={`Up next: ${next.title}`}
      data-testid="up-next"
      onFocus={hold}
      onPointerMove={hold}
    >
      <p className="up-next-label">{counting ? `Up next in ${left} s` : "Up next"}</p>
      {next.thumbnail_url && <img src={next.thumbnail_url} alt="" className="up-next-still" />}
      <p className="up-next-title">{next.title}</p>
      <div className="button-row">
        <Link className="button on-overlay" to={to} state={AUTOPLAY}>
          Play now
        </Link>
        <button type="button" className="button ghost on-overlay" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <label className="up-next-autoplay">
        <input type="checkbox" role="switch" checked={autoplay} onChange={(e) => choose(e.target.checked)} />
        Autoplay
      </label>
    </div>
  );
}
