import { api, request, requestChange } from "./client";
import type { NewPlaylist, Playlist, PlaylistChanges, PlaylistPage, PlaylistSummary, paths } from "./schema";

export type PlaylistQuery = NonNullable<paths["/api/v1/catalogue/me/playlists"]["get"]["parameters"]["query"]>;

/** The signed-in viewer's playlists, the most recently changed first; with `item`, whether each holds it. */
export function listPlaylists(query: PlaylistQuery = {}, signal?: AbortSignal): Promise<PlaylistPage> {
  return request((headers) => api.GET("/api/v1/catalogue/me/playlists", { headers, params: { query }, signal }));
}

export function createPlaylist(body: NewPlaylist): Promise<PlaylistSummary> {
  return requestChange(`creating the playlist “${body.title}”`, (headers) => api.POST("/api/v1/catalogue/me/playlists", { headers, body }));
}

/**
 * The playlist its link opens, with the items the viewer may see, in order: one of theirs
 * (`mine`), or another's its owner shared by link (unlisted), which they may not change.
 */
export function getPlaylist(id: string, signal?: AbortSignal): Promise<Playlist> {
  const params = { path: { playlist_id: id } };
  return request((headers) => api.GET("/api/v1/catalogue/playlists/{playlist_id}", { headers, params, signal }));
}

/**
 * Changes the viewer's playlist. With `ifMatch` (its `etag` as the edit read it), the server
 * refuses it (412 `changed_elsewhere`, nothing changed) when its title or description were
 * changed since.
 */
export function editPlaylist(id: string, body: PlaylistChanges, ifMatch?: string): Promise<PlaylistSummary> {
  const params = { path: { playlist_id: id }, header: ifMatch ? { "If-Match": ifMatch } : undefined };
  return requestChange(body.title === undefined ? "changing a playlist" : `renaming a playlist to “${body.title}”`, (headers) => api.PATCH("/api/v1/catalogue/me/playlists/{playlist_id}", { headers, params, body }));
}

/** A private copy of a playlist its link opens, in the viewer's own playlists. */
export function copyPlaylist(id: string): Promise<PlaylistSummary> {
  const params = { path: { playlist_id: id } };
  return requestChange("saving a copy of a playlist", (headers) => api.POST("/api/v1/catalogue/playlists/{playlist_id}/copies", { headers, params }));
}

export async function deletePlaylist(id: string): Promise<void> {
  const params = { path: { playlist_id: id } };
  await requestChange("deleting a playlist", (headers) => api.DELETE("/api/v1/catalogue/me/playlists/{playlist_id}", { headers, params }));
}

const ENTRY = "/api/v1/catalogue/me/playlists/{playlist_id}/items/{item_id}";

/** Puts the item at the playlist's end (nothing changes when it is in it already). */
export function addToPlaylist(id: string, itemId: string): Promise<PlaylistSummary> {
  const params = { path: { playlist_id: id, item_id: itemId } };
  return requestChange("adding a video to a playlist", (headers) => api.PUT(ENTRY, { headers, params }));
}

export async function removeFromPlaylist(id: string, itemId: string): Promise<void> {
  const params = { path: { playlist_id: id, item_id: itemId } };
  await requestChange("removing a video from a playlist", (headers) => api.DELETE(ENTRY, { headers, params }));
}

/** Moves the item to `position` (0 first); the playlist in its new order. */
export function movePlaylistItem(id: string, itemId: string, position: number): Promise<Playlist> {
  const params = { path: { playlist_id: id, item_id: itemId } };
  return requestChange("moving a video in a playlist", (headers) => api.PATCH(ENTRY, { headers, params, body: { position } }));
}
