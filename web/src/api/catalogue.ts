import { api, getFreshAccessToken, request, requestChange } from "./client";
import { LIMITS } from "./limits";
import type {
  CatalogueItem,
  DescribedChapters,
  DescriptionToRead,
  EditedMediaItem,
  LibraryCounts,
  MediaPage,
  StreamTokenGrant,
  TagCount,
  UpdateMediaItem,
  ViewedMediaItem,
  WatchedPage,
  WatchProgress,
  paths,
} from "./schema";

export type CatalogueQuery = NonNullable<paths["/api/v1/catalogue"]["get"]["parameters"]["query"]>;
export type SortOrder = NonNullable<CatalogueQuery["sort"]>;
export type StatusFilter = NonNullable<CatalogueQuery["status"]>;
export type ProcessingFilter = NonNullable<CatalogueQuery["processing"]>;
export type VisibilityFilter = NonNullable<CatalogueQuery["visibility"]>;

/** Public: personalised when signed in, anonymous when the session has ended. */
export function listCatalogue(query: CatalogueQuery, signal?: AbortSignal): Promise<MediaPage> {
  // An empty filter means no filter: leave it out of the query string.
  const params = { query: { ...query, q: query.q || undefined, tag: query.tag || undefined } };
  return request((headers) => api.GET("/api/v1/catalogue", { headers, params, signal }), "optional");
}

/** The Atom feed of new videos, which feed readers follow (typed so that a renamed route fails the build). */
const VIDEO_FEED = "/api/v1/catalogue/feeds/videos.atom" satisfies keyof paths;

/** The address of the new videos' feed, or of one tag's when `tag` is given. */
export function videoFeedUrl(tag?: string): string {
  return tag ? `${VIDEO_FEED}?${new URLSearchParams({ tag })}` : VIDEO_FEED;
}

/**
 * Every item `query` lists, read page by page (as many as one request may ask for) before
 * anything is done to them: acting on one may take it off the list.
 */
export async function listEvery(query: Omit<CatalogueQuery, "page" | "page_size">): Promise<CatalogueItem[]> {
  const items: CatalogueItem[] = [];
  for (let page = 1; ; page++) {
    const listed = await listCatalogue({ ...query, page, page_size: LIMITS.pageSize });
    items.push(...listed.items);
    if (listed.items.length === 0 || items.length >= listed.total) return items;
  }
}

/**
 * The catalogue's tags, most used first, as many as one request may ask for: an admin's
 * count every item (drafts too), anyone else's the published ones.
 */
export async function listTags(signal?: AbortSignal): Promise<TagCount[]> {
  const params = { query: { limit: LIMITS.tagsListed } };
  const listed = await request((headers) => api.GET("/api/v1/catalogue/tags", { headers, params, signal }), "optional");
  return listed.tags;
}

/**
 * How many videos each choice of the Library's Status and Processing filters shows, and
 * how many comments have reports waiting (admins).
 */
export function getLibraryCounts(): Promise<LibraryCounts> {
  return request((headers) => api.GET("/api/v1/catalogue/counts", { headers }));
}

/** The chapters a description typed in a form makes, and why none if so (admins; nothing stored). */
export function describedChapters(body: DescriptionToRead, signal?: AbortSignal): Promise<DescribedChapters> {
  return request((headers) => api.POST("/api/v1/catalogue/description-chapters", { headers, body, signal }));
}

/** The item; for a signed-in caller who played it, with their `progress`. */
export function getItem(id: string, signal?: AbortSignal): Promise<ViewedMediaItem> {
  const params = { path: { item_id: id } };
  return request((headers) => api.GET("/api/v1/catalogue/{item_id}", { headers, params, signal }), "optional");
}

/** What to watch after an item, the first to play next (public, as the item is). */
export async function listRelated(id: string, signal?: AbortSignal): Promise<CatalogueItem[]> {
  const params = { path: { item_id: id } };
  const related = await request(
    (headers) => api.GET("/api/v1/catalogue/{item_id}/related", { headers, params, signal }),
    "optional",
  );
  return related.items;
}

/**
 * Changes the item. With `ifMatch` (the item's `etag` as the edit read it), the server refuses
 * it (412 `changed_elsewhere`, nothing changed) when someone changed its title, description or
 * tags meanwhile; without, it is made whatever the item holds. The answer of an unpublishing
 * counts the share links it paused (`paused_share_links`).
 */
export function updateItem(id: string, patch: UpdateMediaItem, ifMatch?: string): Promise<EditedMediaItem> {
  const params = { path: { item_id: id }, header: ifMatch ? { "If-Match": ifMatch } : undefined };
  return requestChange(itemChange(patch), (headers) => api.PATCH("/api/v1/catalogue/{item_id}", { headers, params, body: patch }));
}

/** An item's change in words, for `requestChange`. */
function itemChange(patch: UpdateMediaItem): string {
  if (patch.status === "published") return "publishing a video";
  if (patch.status === "draft") return "unpublishing a video";
  if (patch.publish_at !== undefined) return patch.publish_at === null ? "cancelling a video's schedule" : "scheduling a video";
  return patch.title === undefined ? "saving changes to a video" : `saving changes to “${patch.title}”`;
}

export async function deleteItem(id: string): Promise<void> {
  const params = { path: { item_id: id } };
  await requestChange("deleting a video", (headers) => api.DELETE("/api/v1/catalogue/{item_id}", { headers, params }));
}

/** How long the access token asking for a stream grant must still live: a grant ends with it. */
export const GRANT_TOKEN_MARGIN_MS = 2 * 60_000;

/**
 * A stream grant for the item. It lasts no longer than the access token that
 * asks, so the token is refreshed first when it has less than
 * GRANT_TOKEN_MARGIN_MS left: a renewal a minute before a grant's end then
 * gets a grant for the new token's lifetime, not for the minute the old one had.
 */
export async function getStreamToken(id: string, signal?: AbortSignal): Promise<StreamTokenGrant> {
  await getFreshAccessToken(GRANT_TOKEN_MARGIN_MS);
  const params = { path: { item_id: id } };
  return request((headers) =>
    api.POST("/api/v1/catalogue/{item_id}/stream-token", { headers, params, signal }),
  );
}

/**
 * Records where the signed-in viewer is in an item. `keepalive` lets the
 * request outlive the page (saving when the tab is hidden or closed); unlike
 * `sendBeacon` it can carry the bearer token.
 */
export function saveProgress(
  id: string,
  positionSeconds: number,
  durationSeconds: number | null,
  { keepalive = false } = {},
): Promise<WatchProgress> {
  const params = { path: { item_id: id } };
  const body = { position_seconds: positionSeconds, duration_seconds: durationSeconds };
  return request((headers) =>
    api.PUT("/api/v1/catalogue/{item_id}/progress", { headers, params, body, keepalive }),
  );
}

export type WatchedQuery = { page?: number; page_size?: number };

/** Items the viewer started and did not finish, most recently watched first. */
export function continueWatching(query: WatchedQuery = {}, signal?: AbortSignal): Promise<WatchedPage> {
  return request((headers) =>
    api.GET("/api/v1/catalogue/me/continue-watching", { headers, params: { query }, signal }),
  );
}

/** Everything the viewer watched, newest first. */
export function watchHistory(query: WatchedQuery = {}, signal?: AbortSignal): Promise<WatchedPage> {
  return request((headers) => api.GET("/api/v1/catalogue/me/history", { headers, params: { query }, signal }));
}

export async function removeFromHistory(id: string): Promise<void> {
  const params = { path: { item_id: id } };
  await requestChange("removing a video from your history", (headers) => api.DELETE("/api/v1/catalogue/me/history/{item_id}", { headers, params }));
}

export async function clearHistory(): Promise<void> {
  await requestChange("clearing your history", (headers) => api.DELETE("/api/v1/catalogue/me/history", { headers }));
}
