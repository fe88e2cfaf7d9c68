import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { LIMITS } from "../api/limits";
import { deletePlaylist, editPlaylist, getPlaylist, movePlaylistItem, removeFromPlaylist } from "../api/playlists";
import type { CatalogueItem, Playlist } from "../api/schema";
import { ActionButton } from "../components/ActionButton";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { FormError } from "../components/ErrorMessage";
import { DoneNotice } from "../components/FocusedMessage";
import { LoadFailure } from "../components/LoadFailure";
import { RestoredDraftNotice } from "../components/RestoredDraftNotice";
import { Thumbnail, titleAndDuration } from "../components/MediaCard";
import { playlistWatchPath } from "../lib/paths";
import { useAction } from "../lib/useAction";
import { useAsync } from "../lib/useAsync";
import { useKeptDraft, useSessionDraft } from "../lib/useSessionDraft";
import { SubmitButton } from "../components/SubmitButton";

/** Which button to give the focus back to after a move: the moved item's, in its new place. */
interface Moved {
  itemId: string;
  direction: "up" | "down";
}

/** The id of an item's move button, to find it again once the list is in its new order. */
const moveButtonId = (itemId: string, direction: Moved["direction"]) => `move-${direction}-${itemId}`;

/**
 * Moving an item takes its button with it: once the move is done (`busy`
 * over, the list in its new order), focus goes back to that button (or its
 * other one, at an end of the list), so the keyboard can go on moving it.
 */
function useFocusAfterMove(busy: boolean): (moved: Moved) => void {
  const moved = useRef<Moved | null>(null);
  useEffect(() => {
    const done = moved.current;
    if (!done || busy) return;
    moved.current = null;
    const same = document.getElementById(moveButtonId(done.itemId, done.direction));
    const other = document.getElementById(moveButtonId(done.itemId, done.direction === "up" ? "down" : "up"));
    const target = same instanceof HTMLButtonElement && !same.disabled ? same : other;
    target?.focus();
  }, [busy]);
  return useCallback((done: Moved) => {
    moved.current = done;
  }, []);
}

/** An item's "Move up" or "Move down" (an arrow, named for the item), found again by its id after a move. */
function MoveButton({
  item,
  direction,
  busy,
  atEnd,
  onMove,
}: {
  item: CatalogueItem;
  direction: Moved["direction"];
  busy: boolean;
  /** The item is first (for up) or last (for down): it cannot go further. */
  atEnd: boolean;
  onMove: (direction: Moved["direction"]) => void;
}) {
  return (
    <ActionButton
      id={moveButtonId(item.id, direction)}
      className="button ghost"
      label={`Move ${item.title} ${direction}`}
      busy={busy}
      disabled={atEnd}
      onClick={() => onMove(direction)}
    >
      {direction === "up" ? "↑" : "↓"}
    </ActionButton>
  );
}

/**
 * One item of the playlist: its still (with its length, as on Browse's cards: the row told it
 * twice) and title, each a link to play it here, move up/down and remove.
 */
function PlaylistRow({
  item,
  playlistId,
  index,
  count,
  busy,
  onMove,
  onRemove,
}: {
  item: CatalogueItem;
  playlistId: string;
  index: number;
  count: number;
  busy: boolean;
  onMove: (direction: Moved["direction"]) => void;
  onRemove: () => void;
}) {
  const to = playlistWatchPath(item.id, playlistId);
  return (
    <li className="history-entry playlist-row" data-testid="playlist-item">
      <Link to={to} tabIndex={-1} aria-hidden="true">
        <Thumbnail item={item} sizes="(max-width: 37.5rem) 7rem, 10rem" />
      </Link>
      <div>
        <Link to={to} className="card-title" aria-label={titleAndDuration(item)}>
          {item.title}
        </Link>
      </div>
      <div className="button-row">
        <MoveButton item={item} direction="up" busy={busy} atEnd={index === 0} onMove={onMove} />
        <MoveButton item={item} direction="down" busy={busy} atEnd={index === count - 1} onMove={onMove} />
        <ActionButton
          className="button ghost"
          label={`Remove ${item.title} from the playlist`}
          busy={busy}
          onClick={onRemove}
        >
          Remove
        </ActionButton>
      </div>
    </li>
  );
}

/** "Rename": the title and description, saved together (kept if the session ends meanwhile). */
function RenameForm({
  playlist,
  busy,
  onSave,
  onCancel,
}: {
  playlist: Playlist;
  busy: boolean;
  onSave: (title: string, description: string) => void;
  onCancel: () => void;
}) {
  const draft = useSessionDraft(
    { form: "playlist", id: playlist.id },
    { title: playlist.title, description: playlist.description },
  );
  const { title, description } = draft.values;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSave(title.trim(), description);
  };
  return (
    <form className="form" onSubmit={submit} aria-label="Rename the playlist">
      <RestoredDraftNotice draft={draft} what="playlist" />
      <label>
        Title
        <input value={title} onChange={(e) => draft.change("title", e.target.value)} maxLength={LIMITS.title} required />
      </label>
      <label>
        Description
        <textarea
          value={description}
          onChange={(e) => draft.change("description", e.target.value)}
          maxLength={LIMITS.description}
          rows={3}
        />
      </label>
      <div className="button-row">
        <SubmitButton className="button primary" busy={busy || title.trim() === ""}>
          Save
        </SubmitButton>
        <button type="button" className="button ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The changes the playlist page makes, each followed by the playlist as the server has it. */
function usePlaylistChanges(id: string, setData: (update: (current: Playlist) => Playlist) => void) {
  const navigate = useNavigate();
  const action = useAction();
  const { run } = action;
  const focusMoved = useFocusAfterMove(action.running !== null);
  // A removed item's row goes with its focused Remove: the focus goes to this instead.
  const [removed, setRemoved] = useState<string | null>(null);
  // A moved item's button keeps the focus: its new place is said, not seen only.
  const [placed, setPlaced] = useState("");
  const move = (playlist: Playlist, item: CatalogueItem, direction: Moved["direction"]) => {
    const index = playlist.items.findIndex((i) => i.id === item.id);
    void run(item.id, `Could not move ${item.title}`, async () => {
      const moved = await movePlaylistItem(id, item.id, index + (direction === "up" ? -1 : 1));
      setData(() => moved);
      const at = moved.items.findIndex((i) => i.id === item.id) + 1;
      setPlaced(`${item.title} moved to position ${at} of ${moved.items.length}.`);
      focusMoved({ itemId: item.id, direction });
    });
  };
  const remove = (item: CatalogueItem) =>
    void run(item.id, `Could not remove ${item.title}`, async () => {
      setRemoved(null);
      await removeFromPlaylist(id, item.id);
      setData((p) => ({ ...p, items: p.items.filter((i) => i.id !== item.id), item_count: p.item_count - 1 }));
      setRemoved(`Removed “${item.title}” from the playlist.`);
    });
  const rename = (title: string, description: string) =>
    run("rename", "Could not rename the playlist", async () => {
      const saved = await editPlaylist(id, { title, description });
      setData((p) => ({ ...p, title: saved.title, description: saved.description }));
    });
  const destroy = () =>
    void run("delete", "Could not delete the playlist", async () => {
      await deletePlaylist(id);
      await navigate("/playlists");
    });
  return { ...action, removed, placed, move, remove, rename, destroy };
}

/** What the playlist page does to its playlist (usePlaylistChanges). */
type PageChanges = ReturnType<typeof usePlaylistChanges>;

/** The playlist's items in order, each with its buttons; where to find some when there are none. */
function PlaylistItems({ playlist, busy, changes }: { playlist: Playlist; busy: boolean; changes: PageChanges }) {
  if (playlist.items.length === 0) {
    return (
      <div className="empty" data-testid="empty-state">
        <p>
          Nothing here yet: press Save under a video to add it. <Link to="/">Browse videos</Link>
        </p>
      </div>
    );
  }
  return (
    <ol className="history-list" aria-label="Videos in the playlist">
      {playlist.items.map((item, index) => (
        <PlaylistRow
          key={item.id}
          item={item}
          playlistId={playlist.id}
          index={index}
          count={playlist.items.length}
          busy={busy}
          onMove={(direction) => changes.move(playlist, item, direction)}
          onRemove={() => changes.remove(item)}
        />
      ))}
    </ol>
  );
}

/** The playlist's title, Play all (from its first item), Rename and Delete. */
function PlaylistHead(props: { playlist: Playlist; busy: boolean; onRename: () => void; onDelete: () => void }) {
  const { playlist, busy } = props;
  const first = playlist.items[0];
  return (
    <div className="page-head">
      <h1 id="playlist-title">{playlist.title}</h1>
      <div className="button-row">
        {first && (
          <Link className="button primary" to={playlistWatchPath(first.id, playlist.id)}>
            Play all
          </Link>
        )}
        <ActionButton className="button ghost" busy={busy} onClick={props.onRename}>
          Rename
        </ActionButton>
        <ActionButton className="button ghost" busy={busy} onClick={props.onDelete}>
          Delete
        </ActionButton>
      </div>
    </div>
  );
}

/** What the page says of a playlist it cannot find, and where it leads instead. */
const PLAYLIST_GONE = { gone: "It may have been deleted.", back: { to: "/playlists", label: "Your playlists" } };

/** One playlist: play all, its items in order (move up/down, remove), rename, delete (asked first). */
export function PlaylistPage() {
  const { id = "" } = useParams();
  const fetchPlaylist = useCallback((signal: AbortSignal) => getPlaylist(id, signal), [id]);
  const { data: playlist, error, loading, reload, setData } = useAsync(fetchPlaylist);
  const changes = usePlaylistChanges(id, setData);
  // Open from the start when the session ended under a rename: its draft is restored.
  const [renaming, setRenaming] = useState(useKeptDraft({ form: "playlist", id }));
  const [confirming, setConfirming] = useState(false);
  const busy = changes.running !== null;

  if (loading && !playlist) return <p className="status-line" role="status">Loading…</p>;
  if (!playlist) return <LoadFailure what="playlist" error={error} onRetry={reload} {...PLAYLIST_GONE} />;
  return (
    <section className="page narrow" aria-labelledby="playlist-title">
      <title>{`${playlist.title} · StreamStack`}</title>
      <PlaylistHead playlist={playlist} busy={busy} onRename={() => setRenaming(true)} onDelete={() => setConfirming(true)} />
      {renaming && (
        <RenameForm
          playlist={playlist}
          busy={busy}
          onCancel={() => setRenaming(false)}
          onSave={(title, description) => void changes.rename(title, description).then((done) => done && setRenaming(false))}
        />
      )}
      {playlist.description && <p className="description">{playlist.description}</p>}
      <FormError message={changes.error} />
      <DoneNotice message={changes.removed} />
      <p className="visually-hidden" role="status" data-testid="playlist-moved">
        {changes.placed}
      </p>
      <PlaylistItems playlist={playlist} busy={busy} changes={changes} />
      {confirming && (
        <ConfirmDialog
          title="Delete this playlist?"
          confirmLabel="Delete playlist"
          destructive
          busy={busy}
          onCancel={() => setConfirming(false)}
          onConfirm={changes.destroy}
        >
          {`"${playlist.title}" goes; its videos stay on the site.`}
        </ConfirmDialog>
      )}
    </section>
  );
}
