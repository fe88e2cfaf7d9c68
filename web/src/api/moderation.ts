import type { Client } from "openapi-fetch";
import { api, request, requestChange } from "./client";
import type { Comment } from "./schema";
import type { ModerationPaths, ReportableComment } from "./moderation.types";

export type { ModeratedComment, ModeratedCommentPage, NewCommentReport, ReportableComment } from "./moderation.types";
export { REPORT_REASON_MAX } from "./moderation.types";

/** The error codes of reports and the admins' comments page, as the API answers them. */
export const MODERATION_REFUSALS = {
  ownComment: "own_comment",
  /** Missing, or not the caller's to read (its video hidden from them, or comments off). */
  notFound: "comment_not_found",
  throttled: "comments_throttled",
  invalidCursor: "invalid_cursor",
} as const;

// TEMPORARY: the app's one client, typed with the moderation routes until they are generated.
const moderationApi = api as unknown as Client<ModerationPaths>;

/** Reports someone else's comment to the admins, with why (blank: no reason); reporting again keeps the first. */
export async function reportComment(commentId: string, reason: string): Promise<void> {
  const params = { path: { comment_id: commentId } };
  const body = { reason: reason.trim() === "" ? null : reason };
  await requestChange("reporting a comment", (headers) =>
    moderationApi.POST("/api/v1/catalogue/comments/{comment_id}/reports", { headers, params, body }),
  );
}

/**
 * A page of every video's comments for admins, newest first, from `cursor` (the previous page's
 * `next`); `reported`: only those with reports, the most recently reported first.
 */
export function listAllComments(cursor: string | undefined, reported: boolean, signal?: AbortSignal) {
  const params = { query: { cursor, reported: reported || undefined } };
  return request((headers) => moderationApi.GET("/api/v1/catalogue/comments", { headers, params, signal }));
}

/** Clears a comment's reports: the comment stays. */
export async function dismissReports(commentId: string): Promise<void> {
  const params = { path: { comment_id: commentId } };
  await requestChange("dismissing a comment's reports", (headers) =>
    moderationApi.DELETE("/api/v1/catalogue/comments/{comment_id}/reports", { headers, params }),
  );
}

/** Whether the signed-in viewer reported the comment (TEMPORARY: `Comment.reported` once generated). */
export function reportedByViewer(comment: Comment | ReportableComment): boolean {
  return "reported" in comment && comment.reported;
}
