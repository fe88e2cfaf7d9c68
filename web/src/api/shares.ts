import { api, request, requestChange } from "./client";
import type { ShareLink, ShareLinkList, SharedItem, StreamTokenGrant } from "./schema";

export type { ShareLink, ShareLinkList, SharedItem };

/**
 * The refusals of a new share link, as the API codes them. (A link that does not work is a 404
 * `share_not_found` whatever the reason; a throttled stream token a 429 `stream_tokens_throttled`,
 * which the player waits out as on the watch page.)
 */
export const SHARE_REFUSALS = {
  itemNotPublished: "item_not_published",
  tooMany: "too_many_share_links",
} as const;

/** A new share link to `itemId`, lasting `expiresInDays` (null: until it is stopped). */
export function createShareLink(itemId: string, expiresInDays: number | null): Promise<ShareLink> {
  const params = { path: { item_id: itemId } };
  const body = { expires_in_days: expiresInDays };
  return requestChange("sharing a video by link", (headers) =>
    api.POST("/api/v1/catalogue/{item_id}/shares", { headers, params, body }),
  );
}

/** The video's share links, newest first, those that ended too, and the sites that may embed them. */
export function listShareLinks(itemId: string, signal?: AbortSignal): Promise<ShareLinkList> {
  const params = { path: { item_id: itemId } };
  return request((headers) => api.GET("/api/v1/catalogue/{item_id}/shares", { headers, params, signal }));
}

/**
 * How many live share links (working, or paused while their video is unpublished) the account
 * made: all of them stop for good once it is no longer an admin.
 */
export async function countShareLinksMadeBy(userId: string, signal?: AbortSignal): Promise<number> {
  const params = { query: { made_by: userId } };
  const made = await request((headers) => api.GET("/api/v1/catalogue/shares", { headers, params, signal }));
  return made.count;
}

/** Stops a share link: it no longer works, and what plays by it stops within seconds. */
export async function stopShareLink(shareId: string): Promise<void> {
  const params = { path: { share_id: shareId } };
  await requestChange("stopping a share link", (headers) =>
    api.DELETE("/api/v1/catalogue/shares/{share_id}", { headers, params }),
  );
}

/** The video a link shares; anyone may ask, no account needed (so no bearer is sent). */
export function getSharedItem(secret: string, signal?: AbortSignal): Promise<SharedItem> {
  const params = { path: { secret } };
  return request((headers) => api.GET("/api/v1/catalogue/shared/{secret}", { headers, params, signal }), "none");
}

/** A stream grant for the video a link shares, as a viewer's (no original, no download). */
export function getSharedStreamToken(secret: string, signal?: AbortSignal): Promise<StreamTokenGrant> {
  const params = { path: { secret } };
  return request(
    (headers) => api.POST("/api/v1/catalogue/shared/{secret}/stream-token", { headers, params, signal }),
    "none",
  );
}

/**
 * Counts one play of the link: the page that opened it (`ticket`: its `play_ticket`) started
 * playing. Once per ticket; no account, nothing about the viewer is sent.
 */
export async function reportSharedPlay(secret: string, ticket: string): Promise<void> {
  const params = { path: { secret } };
  const body = { ticket };
  await request((headers) => api.POST("/api/v1/catalogue/shared/{secret}/plays", { headers, params, body }), "none");
}
