import { Link } from "react-router";
import type { MediaItem } from "../api/schema";
import { formatDay, formatDuration } from "../lib/format";
import { ProcessingBadge } from "./ProcessingStatus";

export function Thumbnail({ item, className }: { item: MediaItem; className?: string }) {
  return (
    <div className={`thumb ${className ?? ""}`}>
      {item.thumbnail_url ? (
        <img src={item.thumbnail_url} alt="" loading="lazy" decoding="async" />
      ) : (
        <div className="thumb-placeholder" aria-hidden="true">
          ▶
        </div>
      )}
      {item.duration_seconds != null && (
        <span className="duration" data-testid="media-duration">
          {formatDuration(item.duration_seconds)}
        </span>
      )}
    </div>
  );
}

export function MediaCard({ item }: { item: MediaItem }) {
  const duration = formatDuration(item.duration_seconds);
  return (
    <li className="card" data-testid="media-card">
      <Link
        to={`/watch/${encodeURIComponent(item.id)}`}
        className="card-link"
        aria-label={duration ? `${item.title}, ${duration}` : item.title}
      >
        <Thumbnail item={item} />
        <span className="card-title">{item.title}</span>
      </Link>
      <p className="card-meta">
        <time dateTime={item.published_at ?? item.created_at}>{formatDay(item.published_at ?? item.created_at)}</time>
      </p>
      {item.tags.length > 0 && (
        <ul className="card-tags" aria-label={`Tags of ${item.title}`}>
          {item.tags.map((tag) => (
            <li key={tag}>
              <Link className="tag" to={`/?tag=${encodeURIComponent(tag)}`}>
                {tag}
              </Link>
            </li>
          ))}
        </ul>
      )}
      {item.status === "draft" && <span className="badge draft">Draft</span>}
      <ProcessingBadge item={item} />
    </li>
  );
}
