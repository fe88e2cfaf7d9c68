// TEMPORARY: replaced by generated types at merge
// Hand-written copies of the comments contract's shapes (/work/comments-contract.md) until the
// API branch is merged and `npm run gen:api` names them; imported only by comments.ts.
import type { CatalogueItem, ErrorBody, UpdateMediaItem } from "./schema";

export type Comment = {
  id: string;
  item_id: string;
  body: string;
  author_name: string | null;
  mine: boolean;
  created_at: string;
  edited_at: string | null;
};

export type CommentPage = {
  comments: Comment[];
  total: number;
  enabled: boolean;
  next: string | null;
};

export type NewComment = { body: string };

export type CommentChange = { body: string };

/** ItemShown's two new fields (optional, as the generated view_count is: they have defaults). */
export type CommentedItem = CatalogueItem & { comments_enabled?: boolean; comment_count?: number };

export type CommentsEdit = UpdateMediaItem & { comments_enabled?: boolean };

/** contracts/limits.py's COMMENT_MAX, as the generated LIMITS will give it. */
export const COMMENT_LIMITS = { comment: 2000 } as const;

type Json<T> = { headers: { [name: string]: unknown }; content: { "application/json": T } };
type Refused = { 400: Json<ErrorBody>; 401: Json<ErrorBody>; 404: Json<ErrorBody>; 409: Json<ErrorBody>; 429: Json<ErrorBody> };
type Operation<Params, Responses> = {
  parameters: Params & { header?: never; cookie?: never };
  requestBody?: never;
  responses: Responses & Refused;
};
type Sending<Body, Params, Responses> = Omit<Operation<Params, Responses>, "requestBody"> & {
  requestBody: { content: { "application/json": Body } };
};
type NoParams = { query?: never; header?: never; path?: never; cookie?: never };
type Unused = { put?: never; options?: never; head?: never; trace?: never };

/** The contract's routes, in the generated `paths` shape, for the typed client. */
export type CommentPaths = {
  "/api/v1/catalogue/{item_id}/comments": Unused & {
    parameters: NoParams;
    get: Operation<{ query?: { cursor?: string; limit?: number }; path: { item_id: string } }, { 200: Json<CommentPage> }>;
    post: Sending<NewComment, { query?: never; path: { item_id: string } }, { 201: Json<Comment> }>;
    delete?: never;
    patch?: never;
  };
  "/api/v1/catalogue/comments/{comment_id}": Unused & {
    parameters: NoParams;
    get?: never;
    post?: never;
    patch: Sending<CommentChange, { query?: never; path: { comment_id: string } }, { 200: Json<Comment> }>;
    delete: Operation<{ query?: never; path: { comment_id: string } }, { 204: { headers: { [name: string]: unknown }; content?: never } }>;
  };
};
