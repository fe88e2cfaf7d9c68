import type { Client } from "openapi-fetch";
import { api as appApi, request, requestChange } from "./client";
import type { CatalogueItem } from "./schema";
import type { LikedPage, LikesPaths, Liking, ViewedLike } from "./likes.types";

export type { LikedItem, LikedPage, Liking, ViewedLike } from "./likes.types";

// TEMPORARY: the app's one client, typed with the likes routes until they are generated.
const api = appApi as unknown as Client<LikesPaths>;

/** Likes the item for the signed-in viewer (liking twice counts once); its count after. */
export function likeItem(itemId: string): Promise<Liking> {
  const params = { path: { item_id: itemId } };
  return requestChange("liking a video", (headers) =>
    api.PUT("/api/v1/catalogue/{item_id}/like", { headers, params }),
  );
}

/** Takes the viewer's like back (nothing to take back: the count as it is). */
export function unlikeItem(itemId: string): Promise<Liking> {
  const params = { path: { item_id: itemId } };
  return requestChange("removing a video from your liked videos", (headers) =>
    api.DELETE("/api/v1/catalogue/{item_id}/like", { headers, params }),
  );
}

/** The viewer's liked videos, most recently liked first; those they can no longer watch left out. */
export function listLikedItems(
  query: { page?: number; page_size?: number } = {},
  signal?: AbortSignal,
): Promise<LikedPage> {
  return request((headers) => api.GET("/api/v1/catalogue/me/likes", { headers, params: { query }, signal }));
}

/**
 * The item's like count, and whether the signed-in viewer likes it (undefined for anyone
 * else). TEMPORARY: the item's own `like_count` and `liked` once the types are generated.
 */
export function likingOf(item: CatalogueItem | (CatalogueItem & ViewedLike)): ViewedLike {
  if (!("like_count" in item)) return { like_count: 0 };
  return { liked: item.liked, like_count: item.like_count };
}
