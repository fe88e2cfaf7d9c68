import { api, request } from "./client";
import type { NewPlaylist, Playlist, PlaylistChanges, PlaylistPage, PlaylistSummary, paths } from "./schema";

export type PlaylistQuery = NonNullable<paths["/api/v1/catalogue/me/playlists"]["get"]["parameters"]["query"]>;

/** The signed-in viewer's playlists, the most recently changed first; with `item`, whether each holds it. */
export function listPlaylists(query: PlaylistQuery = {}, signal?: AbortSignal): Promise<PlaylistPage> {
  return request((headers) => api.GET("/api/v1/catalogue/me/playlists", { headers, params: { query }, signal }));
}

export function createPlaylist(body: NewPlaylist): Promise<PlaylistSummary> {
  return request((headers) => api.POST("/api/v1/catalogue/me/playlists", { headers, body }));
}

/** One of the viewer's playlists with the items they may see, in order. */
export function getPlaylist(id: string, signal?: AbortSignal): Promise<Playlist> {
  const params = { path: { playlist_id: id } };
  return request((headers) => api.GET("/api/v1/catalogue/me/playlists/{playlist_id}", { headers, params, signal }));
}

export function editPlaylist(id: string, body: PlaylistChanges): Promise<PlaylistSummary> {
  const params = { path: { playlist_id: id } };
  return request((headers) => api.PATCH("/api/v1/catalogue/me/playlists/{playlist_id}", { headers, params, body }));
}

export async function deletePlaylist(id: string): Promise<void> {
  const params = { path: { playlist_id: id } };
  await request((headers) => api.DELETE("/api/v1/catalogue/me/playlists/{playlist_id}", { headers, params }));
}

const ENTRY = "/api/v1/catalogue/me/playlists/{playlist_id}/items/{item_id}";

/** Puts the item at the playlist's end (nothing changes when it is in it already). */
export function addToPlaylist(id: string, itemId: string): Promise<PlaylistSummary> {
  const params = { path: { playlist_id: id, item_id: itemId } };
  return request((headers) => api.PUT(ENTRY, { headers, params }));
}

export async function removeFromPlaylist(id: string, itemId: string): Promise<void> {
  const params = { path: { playlist_id: id, item_id: itemId } };
  await request((headers) => api.DELETE(ENTRY, { headers, params }));
}

/** Moves the item to `position` (0 first); the playlist in its new order. */
export function movePlaylistItem(id: string, itemId: string, position: number): Promise<Playlist> {
  const params = { path: { playlist_id: id, item_id: itemId } };
  return request((headers) => api.PATCH(ENTRY, { headers, params, body: { position } }));
}
