import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { LIMITS } from "../api/limits";
import {
  copyPlaylist,
  deletePlaylist,
  editPlaylist,
  getPlaylist,
  movePlaylistItem,
  removeFromPlaylist,
} from "../api/playlists";
import type { CatalogueItem, Playlist, PlaylistChanges, PlaylistSummary } from "../api/schema";
import { ActionButton } from "../components/ActionButton";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { FormError } from "../components/ErrorMessage";
import { DoneNotice } from "../components/FocusedMessage";
import { LoadFailure } from "../components/LoadFailure";
import { RestoredDraftNotice } from "../components/RestoredDraftNotice";
import { Thumbnail, titleAndDuration } from "../components/MediaCard";
import { LeaveGuard, useLeaveGuard } from "../lib/leaveGuard";
import { playlistPath, playlistWatchPath } from "../lib/paths";
import { useAction } from "../lib/useAction";
import { useAsync } from "../lib/useAsync";
import { useRestoredScroll } from "../lib/scrollMemory";
import { useConditionalSave } from "../lib/useConditionalSave";
import { useKeptDraft, useSessionDraft } from "../lib/useSessionDraft";
import { SubmitButton } from "../components/SubmitButton";
import { UnavailableNote } from "../components/UnavailableNote";
import { PageTitle } from "../components/SiteName";
import { SharePanel } from "./PlaylistShare";

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
 * twice) and title, each a link to play it here; move up/down and remove for its owner.
 */
function PlaylistRow({
  item,
  playlistId,
  index,
  count,
  busy,
  editable,
  onMove,
  onRemove,
}: {
  item: CatalogueItem;
  playlistId: string;
  index: number;
  count: number;
  busy: boolean;
  /** The viewer owns the playlist: they may reorder it and remove items. */
  editable: boolean;
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
      {editable && (
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
      )}
    </li>
  );
}

type PlaylistFields = { title: string; description: string };

/** What the rename form edits of the playlist, as its fields show it. */
const fieldsOf = (playlist: Playlist): PlaylistFields => ({ title: playlist.title, description: playlist.description });

/** Only what the rename form changed, as the API takes it: a field sent unchanged would put back another tab's rename. */
function renameOf(changes: Partial<PlaylistFields>): PlaylistChanges {
  const edit: PlaylistChanges = {};
  if (changes.title !== undefined) edit.title = changes.title.trim();
  if (changes.description !== undefined) edit.description = changes.description;
  return edit;
}

/**
 * "Rename": the title and description (kept if the session ends meanwhile; leaving the page
 * with them unsaved asks first). Only what changed is sent, and only while no other tab
 * renamed the playlist since it was read (`useConditionalSave`, as the library's edit form).
 */
function RenameForm({
  playlist,
  busy,
  onSubmit,
  onSaved,
  onChanged,
  onCancel,
}: {
  playlist: Playlist;
  busy: boolean;
  /** Runs the save as the page's action (busy buttons, its failure said). */
  onSubmit: (save: () => Promise<void>) => void;
  onSaved: (saved: PlaylistSummary) => void;
  /** The playlist as the server has it now, read again after a rename was refused. */
  onChanged: (playlist: Playlist) => void;
  onCancel: () => void;
}) {
  const draft = useSessionDraft({ form: "playlist", id: playlist.id }, fieldsOf(playlist));
  const save = useConditionalSave(playlist.etag, draft, {
    update: (edit: PlaylistChanges, ifMatch) => editPlaylist(playlist.id, edit, ifMatch),
    reread: () => getPlaylist(playlist.id),
    fieldsOf,
    onSaved,
    onChanged,
  });
  useLeaveGuard(`playlist-${playlist.id}`, draft.dirty);
  const { title, description } = draft.values;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const edit = renameOf(draft.changes);
    // Nothing changed: nothing to send (an empty edit is a 400), the form just closes.
    return Object.keys(edit).length === 0 ? onCancel() : onSubmit(() => save(edit));
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
  const rename = (save: () => Promise<void>) => void run("rename", "Could not rename the playlist", save);
  // The playlist as saved: its items as they were (the answer has none).
  const saved = (summary: PlaylistSummary) => setData((p) => ({ ...p, ...summary, items: p.items }));
  const share = (visibility: Playlist["visibility"]) =>
    void run("share", "Could not change who can see the playlist", async () => saved(await editPlaylist(id, { visibility })));
  const [copy, setCopy] = useState<PlaylistSummary | null>(null);
  const saveCopy = () =>
    void run("copy", "Could not save the playlist to yours", async () => setCopy(await copyPlaylist(id)));
  const destroy = () =>
    void run("delete", "Could not delete the playlist", async () => {
      await deletePlaylist(id);
      await navigate("/playlists");
    });
  return { ...action, removed, placed, move, remove, rename, saved, share, copy, saveCopy, destroy };
}

/** What the playlist page does to its playlist (usePlaylistChanges). */
type PageChanges = ReturnType<typeof usePlaylistChanges>;

/** The playlist's items in order, each with its buttons (its owner's); what to do when there are none. */
function PlaylistItems({ playlist, busy, changes }: { playlist: Playlist; busy: boolean; changes: PageChanges }) {
  const hidden = playlist.unavailable_count ?? 0;
  const unavailable = <UnavailableNote count={hidden} where="in this playlist" />;
  if (playlist.items.length === 0) {
    return (
      <div className="empty" data-testid="empty-state">
        {hidden > 0 ? (
          unavailable
        ) : playlist.mine ? (
          <p>
            Nothing here yet: press Save under a video to add it. <Link to="/">Browse videos</Link>
          </p>
        ) : (
          <p>Nothing in this playlist that you can watch.</p>
        )}
      </div>
    );
  }
  return (
    <>
      <PlaylistList playlist={playlist} busy={busy} changes={changes} />
      {unavailable}
    </>
  );
}

/** The playlist's watchable items in order, each with its buttons (its owner's). */
function PlaylistList({ playlist, busy, changes }: { playlist: Playlist; busy: boolean; changes: PageChanges }) {
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
          editable={playlist.mine}
          onMove={(direction) => changes.move(playlist, item, direction)}
          onRemove={() => changes.remove(item)}
        />
      ))}
    </ol>
  );
}

/**
 * The playlist's title, Play all (from its first item), then Rename and Delete for its owner,
 * or Save to my playlists for another who opened its link.
 */
function PlaylistHead(props: { playlist: Playlist; busy: boolean; changes: PageChanges; onRename: () => void; onDelete: () => void }) {
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
        {playlist.mine ? (
          <>
            <ActionButton className="button ghost" busy={busy} onClick={props.onRename}>
              Rename
            </ActionButton>
            <ActionButton className="button ghost" busy={busy} onClick={props.onDelete}>
              Delete
            </ActionButton>
          </>
        ) : (
          <ActionButton className="button ghost" busy={busy} onClick={props.changes.saveCopy}>
            Save to my playlists
          </ActionButton>
        )}
      </div>
    </div>
  );
}

/** Said on another's playlist opened by its link: whose it is to change, and the copy once saved. */
function SharedWithYou({ copy }: { copy: PlaylistSummary | null }) {
  return (
    <>
      <p className="muted small" data-testid="playlist-shared">
        Shared with you by its link: only its owner can change it.
      </p>
      <DoneNotice message={copy && `Saved “${copy.title}” to your playlists.`} />
      {copy && <Link to={playlistPath(copy.id)}>Open your copy</Link>}
    </>
  );
}

/** What the page says of a playlist it cannot find, and where it leads instead. */
const PLAYLIST_GONE = {
  gone: "It may have been deleted, or its owner stopped sharing it.",
  back: { to: "/playlists", label: "Your playlists" },
};

/**
 * One playlist, opened by its link: play all and its items in order for anyone it opens for;
 * for its owner also move up/down, remove, rename, share by link and delete (asked first);
 * for another, Save to my playlists.
 */
export function PlaylistPage() {
  const { id = "" } = useParams();
  const fetchPlaylist = useCallback((signal: AbortSignal) => getPlaylist(id, signal), [id]);
  const { data: playlist, error, loading, reload, setData } = useAsync(fetchPlaylist);
  useRestoredScroll(playlist !== null);

  if (loading && !playlist) return <p className="status-line" role="status">Loading…</p>;
  if (!playlist) return <LoadFailure what="playlist" error={error} onRetry={reload} {...PLAYLIST_GONE} />;
  // Asks before the page is left while the rename form holds unsaved text.
  return (
    <LeaveGuard>
      <PlaylistView key={playlist.id} playlist={playlist} setData={setData} />
    </LeaveGuard>
  );
}

/** The playlist page once its playlist is read (see PlaylistPage). */
function PlaylistView({ playlist, setData }: { playlist: Playlist; setData: (update: (current: Playlist) => Playlist) => void }) {
  const changes = usePlaylistChanges(playlist.id, setData);
  // Open from the start when the session ended under a rename: its draft is restored.
  const [renaming, setRenaming] = useState(useKeptDraft({ form: "playlist", id: playlist.id }));
  const [confirming, setConfirming] = useState(false);
  const busy = changes.running !== null;
  return (
    <section className="page narrow" aria-labelledby="playlist-title">
      <PageTitle title={playlist.title} />
      <PlaylistHead
        playlist={playlist}
        busy={busy}
        changes={changes}
        onRename={() => setRenaming(true)}
        onDelete={() => setConfirming(true)}
      />
      {renaming && playlist.mine && (
        <RenameForm
          playlist={playlist}
          busy={busy}
          onCancel={() => setRenaming(false)}
          onSubmit={changes.rename}
          onSaved={(summary) => {
            changes.saved(summary);
            setRenaming(false);
          }}
          onChanged={(now) => setData(() => now)}
        />
      )}
      {playlist.description && <p className="description">{playlist.description}</p>}
      {playlist.mine ? <SharePanel playlist={playlist} busy={busy} onShare={changes.share} /> : <SharedWithYou copy={changes.copy} />}
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
