import { Link } from "react-router";
import { createPlaylist, listPlaylists } from "../api/playlists";
import type { PlaylistSummary } from "../api/schema";
import { ErrorMessage, FormError } from "../components/ErrorMessage";
import { NewPlaylistForm } from "../components/NewPlaylistForm";
import { KeptRows, LoadingLine } from "../components/KeptRows";
import { Pagination } from "../components/Pagination";
import { formatDate } from "../lib/format";
import { playlistPath } from "../lib/paths";
import { useAction } from "../lib/useAction";
import { usePagedList } from "../lib/usePagedList";

export const PLAYLISTS_PAGE_SIZE = 24;

/** One playlist in the list: its first video's still, title, how many videos, whether shared, when changed. */
function PlaylistEntry({ playlist }: { playlist: PlaylistSummary }) {
  const videos = playlist.item_count === 1 ? "1 video" : `${playlist.item_count} videos`;
  const count = playlist.visibility === "unlisted" ? `${videos} · Shared by link` : videos;
  return (
    <li className="history-entry playlist-entry" data-testid="playlist-entry">
      <div className="thumb">
        {playlist.thumbnail_url ? <img src={playlist.thumbnail_url} alt="" /> : <div className="thumb-empty" />}
      </div>
      <div>
        <Link to={playlistPath(playlist.id)} className="card-title">{playlist.title}</Link>
        <p className="small">{`${count} · ${formatDate(playlist.updated_at)}`}</p>
      </div>
    </li>
  );
}

/**
 * The signed-in viewer's playlists, the most recently changed first, "New playlist", and the
 * way to their Liked videos (beside the playlists, as YouTube's Library has it: the header
 * had no room for one more link).
 */
export function PlaylistsPage() {
  const { data, shown, error, loading, reload, page, turnPage } = usePagedList(listPlaylists, PLAYLISTS_PAGE_SIZE);
  const creating = useAction();
  const create = (title: string) =>
    creating.run(
      "new",
      "Could not create the playlist",
      async () => {
        await createPlaylist({ title });
        reload();
      },
    );

  return (
    <section className="page narrow" aria-labelledby="playlists-title">
      <div className="page-head">
        <h1 id="playlists-title">Playlists</h1>
        <Link to="/liked" className="button ghost">
          Liked videos
        </Link>
      </div>
      <NewPlaylistForm busy={creating.running !== null} onCreate={create} />
      <FormError message={creating.error} />
      <LoadingLine loading={loading} />
      <ErrorMessage error={error} onRetry={reload} />
      {data && data.total === 0 && (
        <div className="empty" data-testid="empty-state">
          <h2>No playlists yet</h2>
          <p>
            Make one here, or press Save under a video. <Link to="/">Browse videos</Link>
          </p>
        </div>
      )}
      {/* While the next page (or the list after a new playlist) is read, the playlists shown stay, busy. */}
      {shown && shown.playlists.length > 0 && (
        <>
          <KeptRows busy={loading}>
            <ul className="history-list" aria-label="Your playlists">
              {shown.playlists.map((playlist) => (
                <PlaylistEntry key={playlist.id} playlist={playlist} />
              ))}
            </ul>
          </KeptRows>
          <Pagination page={page} pageSize={shown.page_size} total={shown.total} onPage={turnPage} />
        </>
      )}
    </section>
  );
}
