import { useEffect, useState } from "react";
import { Link, useNavigate } from "react-router";
import type { CatalogueItem } from "../api/schema";
import { watchPath } from "../lib/paths";
import type { KeyFact } from "./ShortcutNews";

/** How long the end screen counts down before the next item plays. */
export const UP_NEXT_SECONDS = 8;

/** Whether the next item plays by itself after the countdown: "on" (the default) or "off", across visits. */
export const AUTOPLAY_NEXT_KEY = "streamstack.autoplay-next";

/** What the watch page tells the next item's player: start playing, it was asked for. */
export interface UpNextState {
  autoplay: true;
}

const AUTOPLAY: UpNextState = { autoplay: true };

/**
 * Counts down from UP_NEXT_SECONDS while `running`, then goes to `target`:
 * the seconds left, and a restart (from the top: Autoplay turned back on).
 */
function useUpNextCountdown(running: boolean, target: string): [number, () => void] {
  const navigate = useNavigate();
  const [left, setLeft] = useState(UP_NEXT_SECONDS);
  useEffect(() => {
    if (!running) return;
    if (left <= 0) {
      void navigate(target, { state: AUTOPLAY });
      return;
    }
    const id = window.setTimeout(() => setLeft((s) => s - 1), 1000);
    return () => window.clearTimeout(id);
  }, [running, left, navigate, target]);
  return [left, () => setLeft(UP_NEXT_SECONDS)];
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
  const [left, restart] = useUpNextCountdown(autoplay, to);
  useEffect(() => {
    if (!autoplay) return;
    onCountdown({ kind: "up-next", title: next.title, seconds: UP_NEXT_SECONDS });
    return onCountdownOver; // cancelled, Autoplay off, or the screen gone: no longer true
  }, [autoplay, next.title, onCountdown, onCountdownOver]);
  const choose = (on: boolean) => {
    restart();
    onAutoplay(on);
  };

  return (
    <div className="up-next" role="region" aria-label={`Up next: ${next.title}`} data-testid="up-next">
      <div className="up-next-head">
        <p className="up-next-label">{autoplay ? `Up next in ${left} s` : "Up next"}</p>
        <label className="up-next-autoplay">
          <input type="checkbox" role="switch" checked={autoplay} onChange={(e) => choose(e.target.checked)} />
          Autoplay
        </label>
      </div>
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
    </div>
  );
}
