import { useEffect, useState } from "react";
import { Link, useNavigate } from "react-router";
import type { MediaItem } from "../api/schema";
import { watchPath } from "../lib/paths";

/** How long the end screen counts down before the next item plays. */
export const UP_NEXT_SECONDS = 8;

/** What the watch page tells the next item's player: start playing, it was asked for. */
export interface UpNextState {
  autoplay: true;
}

const AUTOPLAY: UpNextState = { autoplay: true };

/**
 * Over the picture once the video has ended: the next item, played after a
 * short countdown (or at once with "Play now"); "Cancel" stays here. The next
 * page's player starts playing by itself, as the viewer asked for it.
 */
export function UpNextOverlay({ next, onCancel }: { next: MediaItem; onCancel: () => void }) {
  const navigate = useNavigate();
  const [left, setLeft] = useState(UP_NEXT_SECONDS);
  const target = watchPath(next.id);

  useEffect(() => {
    if (left <= 0) {
      void navigate(target, { state: AUTOPLAY });
      return;
    }
    const id = window.setTimeout(() => setLeft((s) => s - 1), 1000);
    return () => window.clearTimeout(id);
  }, [left, navigate, target]);

  return (
    <div className="up-next" role="region" aria-label={`Up next: ${next.title}`} data-testid="up-next">
      <p className="up-next-label">Up next in {left} s</p>
      {next.thumbnail_url && <img src={next.thumbnail_url} alt="" className="up-next-still" />}
      <p className="up-next-title">{next.title}</p>
      <div className="button-row">
        <Link className="button on-overlay" to={target} state={AUTOPLAY}>
          Play now
        </Link>
        <button type="button" className="button ghost on-overlay" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
