import type { CatalogueItem } from "../api/schema";
import { formatViews } from "../lib/format";
import { watchPath } from "../lib/paths";
import { Link } from "react-router";
import { Thumbnail } from "./MediaCard";

/** How wide a related item's picture is shown: a small still beside its title. */
const RELATED_SIZES = "10rem";

/** One item beside the player: its still, title, length and views, a link to `to` (its watch page). */
export function RelatedLink({ item, to = watchPath(item.id) }: { item: CatalogueItem; to?: string }) {
  return (
    // The text first, the still after it, shown before it by CSS: the link is named by its
    // text in reading order (title, views, then the still's duration), not "0:02 <title>".
    <Link to={to} className="related-link">
      <span className="related-text">
        <span className="related-title">{item.title}</span>
        <span className="muted small">{formatViews(item.view_count, { compact: true })}</span>
      </span>
      <Thumbnail item={item} className="related-still" sizes={RELATED_SIZES} />
    </Link>
  );
}

/**
 * Beside (or under) the player: what to watch after this item, the first of
 * which the player offers once it ends. Nothing when there is nothing else.
 */
export function RelatedItems({ items }: { items: readonly CatalogueItem[] }) {
  if (items.length === 0) return null;
  return (
    <section className="related" aria-labelledby="related-title">
      <h2 id="related-title">Up next</h2>
      <ol className="related-list">
        {items.map((item) => (
          <li key={item.id} data-testid="related-item">
            <RelatedLink item={item} />
          </li>
        ))}
      </ol>
    </section>
  );
}
