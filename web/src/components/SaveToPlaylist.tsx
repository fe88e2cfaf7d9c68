import { useCallback, useEffect, useId, useRef, useState, type RefObject } from "react";
import { addToPlaylist, createPlaylist, listPlaylists, removeFromPlaylist } from "../api/playlists";
import { LIMITS } from "../api/limits";
import type { PlaylistSummary } from "../api/schema";
import { useAction } from "../lib/useAction";
import { useAsync } from "../lib/useAsync";
import { Modal } from "./ConfirmDialog";
import { ErrorMessage, FormError } from "./ErrorMessage";
import { NewPlaylistForm } from "./NewPlaylistForm";

/** The watch page's "Save" button: opens the dialog that puts the item in (or out of) the viewer's playlists. */
export function SaveToPlaylist({ itemId }: { itemId: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="button" aria-haspopup="dialog" onClick={() => setOpen(true)}>
        Save
      </button>
      {open && <SaveDialog itemId={itemId} onClose={() => setOpen(false)} />}
    </>
  );
}

/**
 * My playlists, each with a checkbox that says whether it holds the item:
 * ticking adds it at once, unticking removes it; "New playlist" makes one
 * with the item in it. Escape or Done closes it, focus returns to Save.
 */
function SaveDialog({ itemId, onClose }: { itemId: string; onClose: () => void }) {
  const titleId = useId();
  const doneRef = useRef<HTMLButtonElement>(null);
  const fetchMine = useCallback(
    (signal: AbortSignal) => listPlaylists({ item: itemId, page_size: LIMITS.playlists }, signal),
    [itemId],
  );
  const { data, error, reload, setData } = useAsync(fetchMine);
  const newRef = useFirstStepWhenEmpty(data?.playlists.length === 0, doneRef);
  const { running, error: problem, run } = useAction();
  const holds = (id: string, value: boolean) =>
    setData((page) => ({
      ...page,
      playlists: page.playlists.map((p) => (p.id === id ? { ...p, holds_item: value } : p)),
    }));

  // The box turns at once, and back if the change fails.
  const toggle = (playlist: PlaylistSummary, on: boolean) => {
    holds(playlist.id, on);
    void run(playlist.id, `Could not change ${playlist.title}`, async () => {
      try {
        await (on ? addToPlaylist(playlist.id, itemId) : removeFromPlaylist(playlist.id, itemId));
      } catch (err) {
        holds(playlist.id, !on);
        throw err;
      }
    });
  };
  const create = (title: string) =>
    run(
      "new",
      "Could not create the playlist",
      async () => {
        const made = await createPlaylist({ title });
        await addToPlaylist(made.id, itemId);
        reload();
      },
    );

  return (
    <Modal labelledBy={titleId} initialFocus={doneRef} onCancel={onClose}>
      <h2 id={titleId}>Save to playlist</h2>
      <ErrorMessage error={error} onRetry={reload} />
      {data && data.playlists.length === 0 && <p className="muted">You have no playlists yet.</p>}
      {data && data.playlists.length > 0 && (
        <PlaylistChoices playlists={data.playlists} running={running} onToggle={toggle} />
      )}
      <NewPlaylistForm busy={running === "new"} onCreate={create} fieldRef={newRef} />
      <FormError message={problem} />
      <div className="modal-actions">
        <button ref={doneRef} type="button" className="button primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Modal>
  );
}

/**
 * The New playlist field's ref, focused once the viewer's playlists are read and there are
 * none (`empty`): the dialog opened on Done while they loaded, and making one is the only thing
 * to do. Not when the focus has moved on from Done meanwhile.
 */
function useFirstStepWhenEmpty(empty: boolean, doneRef: RefObject<HTMLButtonElement | null>) {
  const newRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (empty && document.activeElement === doneRef.current) newRef.current?.focus();
  }, [empty, doneRef]);
  return newRef;
}

/**
 * A checkbox per playlist, ticked when it holds the item. One whose change is
 * on its way does nothing but stays focusable (`aria-disabled`, as ActionButton):
 * a disabled box loses the focus in Chromium, and with it went the dialog's
 * Escape and Tab, for a viewer who ticked it with Space.
 */
function PlaylistChoices({
  playlists,
  running,
  onToggle,
}: {
  playlists: PlaylistSummary[];
  running: string | null;
  onToggle: (playlist: PlaylistSummary, on: boolean) => void;
}) {
  return (
    <ul className="playlist-choices">
      {playlists.map((playlist) => (
        <li key={playlist.id}>
          <label>
            <input
              type="checkbox"
              checked={playlist.holds_item === true}
              aria-disabled={running === playlist.id || undefined}
              onChange={(e) => {
                if (running !== playlist.id) onToggle(playlist, e.target.checked);
              }}
            />
            {playlist.title}
          </label>
        </li>
      ))}
    </ul>
  );
}
