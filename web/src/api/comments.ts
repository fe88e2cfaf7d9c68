import type { Client } from "openapi-fetch";
import { api, request, requestChange } from "./client";
import type { CatalogueItem } from "./schema";
import type { Comment, CommentedItem, CommentPage, CommentPaths, CommentsEdit } from "./comments.types";
import { COMMENT_LIMITS } from "./comments.types";

export type { Comment, CommentedItem, CommentPage, CommentsEdit };
export { COMMENT_LIMITS };

/** The one client, seeing the comment routes the generated paths do not have yet (the seam goes at merge). */
const commentsApi = api as unknown as Client<CommentPaths>;

/**
 * A page of the item's comments, newest first, from `cursor` (the previous page's `next`);
 * public, as the item is. When comments are off, viewers get none and `enabled` false.
 */
export function listComments(itemId: string, cursor?: string, signal?: AbortSignal): Promise<CommentPage> {
  const params = { path: { item_id: itemId }, query: { cursor } };
  return request((headers) => commentsApi.GET("/api/v1/catalogue/{item_id}/comments", { headers, params, signal }), "optional");
}

/** Posts a comment as the signed-in viewer (409 `comments_off`, `display_name_required`; 429 `comments_throttled`). */
export function postComment(itemId: string, body: string): Promise<Comment> {
  const params = { path: { item_id: itemId } };
  return requestChange("posting a comment", (headers) =>
    commentsApi.POST("/api/v1/catalogue/{item_id}/comments", { headers, params, body: { body } }),
  );
}

/** Changes the text of one of the viewer's own comments. */
export function editComment(commentId: string, body: string): Promise<Comment> {
  const params = { path: { comment_id: commentId } };
  return requestChange("editing a comment", (headers) =>
    commentsApi.PATCH("/api/v1/catalogue/comments/{comment_id}", { headers, params, body: { body } }),
  );
}

/** Deletes a comment: the viewer's own, or anyone's for an admin. */
export async function deleteComment(commentId: string): Promise<void> {
  const params = { path: { comment_id: commentId } };
  await requestChange("deleting a comment", (headers) =>
    commentsApi.DELETE("/api/v1/catalogue/comments/{comment_id}", { headers, params }),
  );
}

/** Whether new comments may be posted on the item (true until an admin turns them off). */
export function commentsEnabled(item: CatalogueItem): boolean {
  return (item as CommentedItem).comments_enabled ?? true;
}
