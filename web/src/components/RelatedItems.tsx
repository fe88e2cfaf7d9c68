import type { MediaItem } from "../api/schema";
import { formatDuration, formatViews } from "../lib/format";
import { watchPath } from "../lib/paths";
import { Link } from "react-router";
import { Thumbnail } from "./MediaCard";

/** How wide a related item's picture is shown: a small still beside its title. */
const RELATED_SIZES = "10rem";

/**
 * Beside (or under) the player: what to watch after this item, the first of
 * which the player offers once it ends. Nothing when there is nothing else.
 */
export function RelatedItems({ items }: { items: readonly MediaItem[] }) {
  if (items.length === 0) return null;
  return (
    <section className="related" aria-labelledby="related-title">
      <h2 id="related-title">Up next</h2>
      <ol className="related-list">
        {items.map((item) => (
          <li key={item.id} data-testid="related-item">
            <Link to={watchPath(item.id)} className="related-link">
              <Thumbnail item={item} className="related-still" sizes={RELATED_SIZES} />
              <span className="related-text">
                <span className="related-title">{item.title}</span>
                <span className="muted small">
                  {[formatDuration(item.duration_seconds), formatViews(item.view_count, { compact: true })]
                    .filter(Boolean)
                    .join(" · ")}
                </span>
              </span>
            </Link>
          </li>
        ))}
      </ol>
    </section>
  );
}
