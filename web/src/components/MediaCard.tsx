import { Link } from "react-router";
import type { CatalogueItem, WatchProgress } from "../api/schema";
import { formatDay, formatDuration, formatViews, wholePercent } from "../lib/format";
import { watchPath } from "../lib/paths";
import { ProcessingBadge } from "./ProcessingStatus";
import { TagLinks } from "./TagLinks";

/** How much of the item the viewer has watched, 0–100 (a finished one is 100). */
export function watchedPercent(item: CatalogueItem, progress: WatchProgress): number {
  if (progress.completed) return 100;
  const length = progress.duration_seconds ?? item.duration_seconds;
  if (!length || length <= 0) return 0;
  return wholePercent(progress.position_seconds / length);
}

/** The nominal widths of an item's two stills (never upscaled: a small source's are narrower). */
const THUMBNAIL_WIDTH = 640;
const POSTER_WIDTH = 1280;
/** How wide a card's picture is shown: the whole width of a phone, a grid column elsewhere. */
const CARD_SIZES = "(max-width: 40rem) 100vw, 20rem";

/**
 * The still's `srcset`: the thumbnail, and the poster (the same frame, larger)
 * for a picture shown wider than the thumbnail on this screen (a phone's
 * full-width card at 3×); undefined when the item has no poster.
 */
function stillSrcSet(item: CatalogueItem): string | undefined {
  if (!item.thumbnail_url || !item.poster_url || item.poster_url === item.thumbnail_url) return undefined;
  return `${item.thumbnail_url} ${THUMBNAIL_WIDTH}w, ${item.poster_url} ${POSTER_WIDTH}w`;
}

/** How far a picture's shape may be from 16:9 and still fill a card's box, cropped a little. */
const WIDE_TOLERANCE = 0.1;

/**
 * Whether the item's still is shown whole over a blurred copy of itself
 * instead of cropped to the 16:9 box: a sound's cover (most are square; the
 * crop cut album titles in half) and a picture of another shape (portrait,
 * 4:3, scope). A video of unknown size is taken for 16:9.
 */
export function showsWholeStill(item: CatalogueItem): boolean {
  if (item.video_codec === null) return true;
  if (!item.width || !item.height) return false;
  return Math.abs(item.width / item.height - 16 / 9) > WIDE_TOLERANCE;
}

export function Thumbnail({
  item,
  className,
  progress,
  sizes = CARD_SIZES,
}: {
  item: CatalogueItem;
  className?: string;
  progress?: WatchProgress | undefined;
  /** The `sizes` of the picture: how wide it is shown (a CSS length or media conditions). */
  sizes?: string;
}) {
  const watched = progress ? watchedPercent(item, progress) : 0;
  const srcSet = stillSrcSet(item);
  const whole = showsWholeStill(item);
  return (
    <div className={`thumb ${className ?? ""}`}>
      {item.thumbnail_url && whole && (
        <img className="thumb-backdrop" src={item.thumbnail_url} alt="" loading="lazy" decoding="async" />
      )}
      {item.thumbnail_url ? (
        <img
          data-testid="still"
          className={whole ? "thumb-whole" : undefined}
          src={item.thumbnail_url}
          srcSet={srcSet}
          sizes={srcSet ? sizes : undefined}
          alt=""
          loading="lazy"
          decoding="async"
        />
      ) : (
        <div className="thumb-placeholder" aria-hidden="true">
          {item.video_codec === null ? "♪" : "▶"}
        </div>
      )}
      {item.duration_seconds != null && (
        <span className="duration" data-testid="media-duration">
          {formatDuration(item.duration_seconds)}
        </span>
      )}
      {watched > 0 && (
        <span className="watch-progress" data-testid="watch-progress" title={`Watched ${watched} %`}>
          <span style={{ width: `${watched}%` }} />
        </span>
      )}
    </div>
  );
}

/**
 * A video's title and its length ("Sunset, 1:05"): the name of a link to it whose still shows
 * the length, a badge that reads out of order or not at all (a still hidden from assistive
 * technology).
 */
export function titleAndDuration(item: CatalogueItem): string {
  const duration = formatDuration(item.duration_seconds);
  return duration ? `${item.title}, ${duration}` : item.title;
}

/**
 * A card link's name: its title and length, and how much the viewer watched ("Sunset, 1:05,
 * watched 37 %"), which the still's bar shows only to the eye.
 */
function cardName(item: CatalogueItem, progress: WatchProgress | undefined): string {
  const watched = progress ? watchedPercent(item, progress) : 0;
  return watched > 0 ? `${titleAndDuration(item)}, watched ${watched} %` : titleAndDuration(item);
}

export function MediaCard({ item, progress }: { item: CatalogueItem; progress?: WatchProgress | undefined }) {
  return (
    <li className="card" data-testid="media-card">
      <Link to={watchPath(item.id)} className="card-link" aria-label={cardName(item, progress)}>
        {/* The title first, the still (with its duration) after it, shown above it by
            CSS: the link's text reads as its name does, "<title>, <duration>" (WCAG 2.5.3).
            The space keeps the title's last word and the duration apart in that text. */}
        <span className="card-title">{item.title}</span>{" "}
        <Thumbnail item={item} progress={progress} />
      </Link>
      <p className="card-meta">
        {formatViews(item.view_count, { compact: true })} ·{" "}
        <time dateTime={item.published_at ?? item.created_at}>{formatDay(item.published_at ?? item.created_at)}</time>
      </p>
      <TagLinks tags={item.tags} className="card-tags" label={`Tags of ${item.title}`} />
      {item.status === "draft" && <span className="badge draft">Draft</span>}
      {/* Only admins meet an unlisted video in a list: say why viewers do not. */}
      {item.status === "published" && item.visibility === "unlisted" && <span className="badge unlisted">Unlisted</span>}
      {/* Where its transcoding stands is the library's business: shown where the server sent
          the library's fields (to admins; a viewer's card shows nothing but a video that plays). */}
      {"processing_detail" in item && <ProcessingBadge item={item} />}
    </li>
  );
}
