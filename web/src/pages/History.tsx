import { useState } from "react";
import { Link } from "react-router";
import { clearHistory, removeFromHistory, watchHistory } from "../api/catalogue";
import { errorMessage } from "../api/errors";
import type { CatalogueItem, WatchedItem } from "../api/schema";
import { ActionButton } from "../components/ActionButton";
import { ConfirmDialog, type ConfirmAnswers } from "../components/ConfirmDialog";
import { Thumbnail, watchedPercent } from "../components/MediaCard";
import { PageOfList } from "../components/Pagination";
import { formatClock, formatDate } from "../lib/format";
import { watchPath } from "../lib/paths";
import { useListChange, usePagedList } from "../lib/usePagedList";

export const HISTORY_PAGE_SIZE = 20;

function HistoryEntry({ entry, onRemove, busy }: { entry: WatchedItem; onRemove: () => void; busy: boolean }) {
  const { item, progress } = entry;
  const watched = watchedPercent(item, progress);
  return (
    <li className="history-entry" data-testid="history-entry">
      <Link to={watchPath(item.id)} tabIndex={-1} aria-hidden="true">
        <Thumbnail item={item} progress={progress} sizes="(max-width: 37.5rem) 7rem, 10rem" />
      </Link>
      <div>
        <Link to={watchPath(item.id)} className="card-title">
          {item.title}
        </Link>
        <p className="small">
          {progress.completed
            ? "Watched"
            : `Stopped at ${formatClock(progress.position_seconds)} (${watched} %)`}
          {progress.updated_at && <> · {formatDate(progress.updated_at)}</>}
        </p>
      </div>
      <ActionButton
        className="button ghost"
        label={`Remove ${item.title} from history`}
        busy={busy}
        onClick={onRemove}
      >
        Remove
      </ActionButton>
    </li>
  );
}

/** What the signed-in viewer watched, newest first; remove one entry or clear them all. */
export function HistoryPage() {
  const list = usePagedList(watchHistory, HISTORY_PAGE_SIZE);
  const { data, reload } = list;
  const { busy, change, ...changes } = useListChange(reload);
  const remove = ({ id, title }: CatalogueItem) =>
    change(id, errorMessage, () => removeFromHistory(id), `Removed “${title}” from your history.`);
  const [confirming, setConfirming] = useState(false);

  return (
    <section className="page narrow" aria-labelledby="history-title">
      <div className="page-head">
        <h1 id="history-title">History</h1>
        {/* Entries not available now are in the history too: they are cleared with it. */}
        {data && data.total + (data.unavailable_count ?? 0) > 0 && (
          <ActionButton className="button ghost" busy={busy} onClick={() => setConfirming(true)}>
            Clear history
          </ActionButton>
        )}
      </div>
      <PageOfList label="Watched videos" className="history-list" list={list} changes={changes} empty={<NothingWatched />} unavailableWhere="in your history" entry={(watched) => (
        <HistoryEntry key={watched.item.id} entry={watched} busy={busy} onRemove={() => void remove(watched.item)} />
      )} />
      {confirming && (
        <ClearHistoryDialog
          busy={busy}
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void change("clear", errorMessage, clearHistory, "Your history is cleared.");
          }}
        />
      )}
    </section>
  );
}

/** An empty history, and where to find something to watch. */
function NothingWatched() {
  return (
    <div className="empty" data-testid="empty-state">
      <h2>Nothing watched yet</h2>
      <p>
        Videos you play appear here, newest first. <Link to="/">Browse videos</Link>
      </p>
    </div>
  );
}

/** Asks before clearing: the whole history goes, and the Continue watching row with it. */
function ClearHistoryDialog(props: ConfirmAnswers) {
  return (
    <ConfirmDialog title="Clear your history?" confirmLabel="Clear history" destructive {...props}>
      Every video leaves your history and the Continue watching row. This cannot be undone.
    </ConfirmDialog>
  );
}
