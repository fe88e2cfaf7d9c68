import { api, request, requestChange } from "./client";
import type { CommentAuthor, ModeratedComment, ModeratedCommentPage } from "./schema";

export type { CommentAuthor, ModeratedComment, ModeratedCommentPage };

/** What the admins' list is narrowed to: the reported ones, one member's alone (their account id), or both. */
export interface CommentFilter {
  reported: boolean;
  author: string | null;
}

/** The error codes of reports and the admins' comments page, as the API answers them. */
export const MODERATION_REFUSALS = {
  ownComment: "own_comment",
  /** Missing, or not the caller's to read (its video hidden from them, or comments off). */
  notFound: "comment_not_found",
  throttled: "reports_throttled",
  invalidCursor: "invalid_cursor",
} as const;

/** Reports someone else's comment to the admins, with why (blank: no reason); reporting again keeps the first. */
export async function reportComment(commentId: string, reason: string): Promise<void> {
  const params = { path: { comment_id: commentId } };
  const body = { reason: reason.trim() === "" ? null : reason };
  await requestChange("reporting a comment", (headers) =>
    api.POST("/api/v1/catalogue/comments/{comment_id}/reports", { headers, params, body }),
  );
}

/**
 * A page of every video's comments for admins, newest first, from `cursor` (the previous page's
 * `next`); `reported`: only those with reports, the most recently reported first; `author`:
 * that member's alone (the page's `author` then names them and counts their comments).
 */
export function listAllComments(cursor: string | undefined, { reported, author }: CommentFilter, signal?: AbortSignal) {
  const params = { query: { cursor, reported: reported || undefined, author: author ?? undefined } };
  return request((headers) => api.GET("/api/v1/catalogue/comments", { headers, params, signal }));
}

/** How many comments the member wrote, replies included (what deleting them takes), as the admins' list counts them. */
export async function countCommentsBy(author: string, signal?: AbortSignal): Promise<number> {
  const params = { query: { author, limit: 1 } };
  const page = await request((headers) => api.GET("/api/v1/catalogue/comments", { headers, params, signal }));
  return page.author?.comments ?? 0;
}

/** Deletes every comment the member wrote at once (others' replies to them stay); how many went. */
export async function deleteCommentsBy(author: string): Promise<number> {
  const params = { query: { author } };
  const { deleted } = await requestChange("deleting a member's comments", (headers) =>
    api.DELETE("/api/v1/catalogue/comments", { headers, params }),
  );
  return deleted;
}

/** Clears a comment's reports: the comment stays. */
export async function dismissReports(commentId: string): Promise<void> {
  const params = { path: { comment_id: commentId } };
  await requestChange("dismissing a comment's reports", (headers) =>
    api.DELETE("/api/v1/catalogue/comments/{comment_id}/reports", { headers, params }),
  );
}
