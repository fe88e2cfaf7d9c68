import { api, request, requestChange } from "./client";
import type { CatalogueItem, Comment, CommentPage, LinkedComment } from "./schema";

export type { Comment, CommentPage, LinkedComment };

/**
 * A page of the item's top-level comments, newest first, from `cursor` (the previous page's
 * `next`); public, as the item is. `total` counts the replies too. When comments are off,
 * viewers get none and `enabled` false.
 */
export function listComments(itemId: string, cursor?: string, signal?: AbortSignal) {
  const params = { path: { item_id: itemId }, query: { cursor } };
  return request((headers) => api.GET("/api/v1/catalogue/{item_id}/comments", { headers, params, signal }), "optional");
}

/**
 * One of the item's comments, as a link to it opens it: with the comment it answers when it is
 * a reply (`parent`); 404 once it is gone (deleted, its video unpublished, comments off).
 */
export function getLinkedComment(itemId: string, commentId: string, signal?: AbortSignal) {
  const params = { path: { item_id: itemId, comment_id: commentId } };
  return request((headers) => api.GET("/api/v1/catalogue/{item_id}/comments/{comment_id}", { headers, params, signal }), "optional");
}

/** A page of a top-level comment's replies, oldest first (a conversation reads down), from `cursor`. */
export function listReplies(commentId: string, cursor?: string, signal?: AbortSignal) {
  const params = { path: { comment_id: commentId }, query: { cursor } };
  return request((headers) => api.GET("/api/v1/catalogue/comments/{comment_id}/replies", { headers, params, signal }), "optional");
}

/**
 * Posts a comment as the signed-in viewer, or a reply to the top-level comment `replyTo`
 * (409 `comments_off`, `display_name_required`; 429 `comments_throttled`).
 */
export function postComment(itemId: string, body: string, replyTo?: string) {
  const params = { path: { item_id: itemId } };
  return requestChange(replyTo ? "posting a reply" : "posting a comment", (headers) =>
    api.POST("/api/v1/catalogue/{item_id}/comments", { headers, params, body: { body, reply_to: replyTo } }),
  );
}

/** Changes the text of one of the viewer's own comments. */
export function editComment(commentId: string, body: string) {
  const params = { path: { comment_id: commentId } };
  return requestChange("editing a comment", (headers) =>
    api.PATCH("/api/v1/catalogue/comments/{comment_id}", { headers, params, body: { body } }),
  );
}

/** Deletes a comment (and its replies): the viewer's own, or anyone's for an admin. */
export async function deleteComment(commentId: string): Promise<void> {
  const params = { path: { comment_id: commentId } };
  await requestChange("deleting a comment", (headers) =>
    api.DELETE("/api/v1/catalogue/comments/{comment_id}", { headers, params }),
  );
}

/** Whether new comments may be posted on the item (true until an admin turns them off). */
export function commentsEnabled(item: CatalogueItem): boolean {
  return item.comments_enabled ?? true;
}
