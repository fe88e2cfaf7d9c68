import { Link } from "react-router";
import type { CatalogueItem, Playlist } from "../api/schema";
import { playlistPath, playlistWatchPath } from "../lib/paths";
import { RelatedLink } from "./RelatedItems";

/** The item after `currentId` in the playlist; null at its end, or when the item is not in it. */
export function nextInPlaylist(playlist: Playlist, currentId: string): CatalogueItem | null {
  const index = playlist.items.findIndex((item) => item.id === currentId);
  return index < 0 ? null : (playlist.items[index + 1] ?? null);
}

/**
 * Beside the player when it plays from a playlist: the playlist's items in
 * order, the one playing marked (`aria-current`), each a link to play it
 * there; the title leads to the playlist's own page.
 */
export function PlaylistPanel({ playlist, currentId }: { playlist: Playlist; currentId: string }) {
  const index = playlist.items.findIndex((item) => item.id === currentId);
  return (
    <section className="related playlist-panel" aria-labelledby="playlist-panel-title">
      <h2 id="playlist-panel-title">
        <Link to={playlistPath(playlist.id)}>{playlist.title}</Link>
      </h2>
      <p className="muted small" data-testid="playlist-position">
        {index >= 0 ? `${index + 1} of ${playlist.items.length}` : `${playlist.items.length} videos`}
      </p>
      <ol className="related-list">
        {playlist.items.map((item) => (
          <li
            key={item.id}
            data-testid="playlist-panel-item"
            className={item.id === currentId ? "current" : undefined}
            aria-current={item.id === currentId ? "true" : undefined}
          >
            <RelatedLink item={item} to={playlistWatchPath(item.id, playlist.id)} />
          </li>
        ))}
      </ol>
    </section>
  );
}
