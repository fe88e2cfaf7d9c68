import { api, request, requestChange } from "./client";
import type { CatalogueItem, LikedItem, LikedPage, Liking, ViewedMediaItem } from "./schema";

export type { LikedItem, LikedPage, Liking };

/** What a Like button shows of an item: its count, and whether the signed-in viewer likes it. */
export type ViewedLike = { liked?: boolean | undefined; like_count: number };

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
 * else, and in lists, which do not say).
 */
export function likingOf(item: CatalogueItem | ViewedMediaItem): ViewedLike {
  return { liked: "liked" in item ? item.liked : undefined, like_count: item.like_count ?? 0 };
}
