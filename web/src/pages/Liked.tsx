import { Link } from "react-router";
import { listLikedItems, unlikeItem, type LikedItem } from "../api/likes";
import type { CatalogueItem } from "../api/schema";
import { ActionButton } from "../components/ActionButton";
import { Thumbnail } from "../components/MediaCard";
import { PageOfList } from "../components/Pagination";
import { formatAge, formatDate, formatDuration } from "../lib/format";
import { watchPath } from "../lib/paths";
import { useListChange, usePagedList } from "../lib/usePagedList";

export const LIKED_PAGE_SIZE = 20;

/** One liked video: its thumbnail, title, length and when it was liked, and its Remove. */
function LikedEntry({ entry, onRemove, busy }: { entry: LikedItem; onRemove: () => void; busy: boolean }) {
  const { item, liked_at: likedAt } = entry;
  const duration = formatDuration(item.duration_seconds);
  return (
    <li className="liked-entry" data-testid="liked-entry">
      <Link to={watchPath(item.id)} tabIndex={-1} aria-hidden="true">
        <Thumbnail item={item} sizes="(max-width: 37.5rem) 7rem, 10rem" />
      </Link>
      <div>
        <Link to={watchPath(item.id)} className="card-title">
          {item.title}
        </Link>
        <p className="small">
          {duration && <>{duration} · </>}
          <time dateTime={likedAt} title={formatDate(likedAt)}>
            liked {formatAge(likedAt)}
          </time>
        </p>
      </div>
      <ActionButton
        className="button ghost"
        label={`Remove from Liked videos: ${item.title}`}
        busy={busy}
        onClick={onRemove}
      >
        Remove from Liked videos
      </ActionButton>
    </li>
  );
}

/** The videos the signed-in viewer liked, most recently liked first, each with its Remove. */
export function LikedVideosPage() {
  const list = usePagedList(listLikedItems, LIKED_PAGE_SIZE);
  const { busy, change, ...changes } = useListChange(list.reload);
  const remove = ({ id, title }: CatalogueItem) =>
    change(id, `Could not remove “${title}” from your Liked videos`, () => unlikeItem(id), `Removed “${title}” from your Liked videos.`);

  return (
    <section className="page narrow" aria-labelledby="liked-title">
      <h1 id="liked-title">Liked videos</h1>
      <PageOfList label="Liked videos" className="liked-list" list={list} changes={changes} empty={<NothingLiked />} unavailableWhere="in your liked videos" entry={(liked) => (
        <LikedEntry key={liked.item.id} entry={liked} busy={busy} onRemove={() => void remove(liked.item)} />
      )} />
    </section>
  );
}

/** No liked videos, and where to find some. */
function NothingLiked() {
  return (
    <div className="empty" data-testid="empty-state">
      <p>
        You have not liked any videos yet. <Link to="/">Browse videos</Link>
      </p>
    </div>
  );
}
