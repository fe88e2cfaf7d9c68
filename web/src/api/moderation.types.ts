// TEMPORARY: replaced by generated types at merge
// The moderation routes are built on another branch: these are the contract's shapes
// (/work/moderation-contract.md) and its paths, as `npm run gen:api` will write them.
import type { Comment, ErrorBody } from "./schema";

/** TEMPORARY: the generated LIMITS will carry it. Characters of a report's reason. */
export const REPORT_REASON_MAX = 500;

/** A comment as the API will answer it: whether the caller reported it (false for their own, and anonymous). */
export type ReportableComment = Comment & { reported: boolean };

export interface NewCommentReport {
  /** Trimmed; blank or null: no reason given. */
  reason?: string | null;
}

/** A comment as the admins' page lists it: with its video's title and its reports. */
export type ModeratedComment = ReportableComment & {
  item_title: string;
  /** How many accounts reported it. */
  reports: number;
  /** The non-blank reasons, newest first, at most 10. */
  reasons: string[];
  last_reported_at: string | null;
};

export interface ModeratedCommentPage {
  comments: ModeratedComment[];
  next: string | null;
}

type Json<T> = { headers: { [name: string]: unknown }; content: { "application/json": T } };
type Refused = Json<ErrorBody>;
type NoContent = { headers: { [name: string]: unknown }; content?: never };
type NoParameters = { query?: never; header?: never; path?: never; cookie?: never };
type Operation<Path, Responses> = {
  parameters: { query?: never; header?: never; path: Path; cookie?: never };
  requestBody?: never;
  responses: Responses & { 404: Refused };
};

/** The moderation routes, in the generated `paths` shape (openapi-typescript's). */
export interface ModerationPaths {
  "/api/v1/catalogue/comments": {
    parameters: NoParameters;
    get: {
      parameters: { query?: { cursor?: string; limit?: number; reported?: boolean }; header?: never; path?: never; cookie?: never };
      requestBody?: never;
      responses: { 200: Json<ModeratedCommentPage>; 400: Refused; 403: Refused };
    };
  };
  "/api/v1/catalogue/comments/{comment_id}/reports": {
    parameters: NoParameters;
    post: Omit<Operation<{ comment_id: string }, { 204: NoContent; 400: Refused; 409: Refused; 429: Refused }>, "requestBody"> & {
      requestBody: { content: { "application/json": NewCommentReport } };
    };
    delete: Operation<{ comment_id: string }, { 204: NoContent; 403: Refused }>;
  };
}
