import { Link } from "react-router";
import type { MediaItem } from "../api/schema";
import { formatDuration } from "../lib/format";

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
      {item.status === "draft" && <span className="badge draft">Draft</span>}
    </li>
  );
}
