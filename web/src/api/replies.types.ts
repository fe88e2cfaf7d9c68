// TEMPORARY: replaced by generated types at merge
// Replies to comments are built on another branch: these are the contract's new fields and
// routes (/work/replies-contract.md), in the shape `npm run gen:api` will write them.
import type { components, operations } from "./schema";

type Schemas = components["schemas"];

/** A comment as the API will answer it: the comment it answers (null: top-level) and its replies' count (0 for a reply). */
export type CommentWithReplies = Schemas["Comment"] & { parent_id: string | null; reply_count: number };

export type CommentPageWithReplies = Omit<Schemas["CommentPage"], "comments"> & { comments: CommentWithReplies[] };

/** A new comment, or a reply to the top-level comment `reply_to` names. */
export type NewComment = Schemas["NewComment"] & { reply_to?: string | null };

/** A comment as the admins' page lists it, with the comment it answers. */
export type ModeratedCommentWithParent = Schemas["ModeratedComment"] & { parent_id: string | null };

export type ModeratedCommentPageWithParent = Omit<Schemas["ModeratedCommentPage"], "comments"> & { comments: ModeratedCommentWithParent[] };

type Json<T> = { headers: { [name: string]: unknown }; content: { "application/json": T } };
type NoParameters = { query?: never; header?: never; path?: never; cookie?: never };
/** The generated operation, answering `T` with `status`. */
type Answering<Op extends { responses: object }, Status extends number, T> = Omit<Op, "responses"> & {
  responses: Omit<Op["responses"], Status> & { [S in Status]: Json<T> };
};
type ListComments = operations["ApiV1CatalogueItemIdCommentsListComments"];
type PostComment = operations["ApiV1CatalogueItemIdCommentsPostComment"];

/** The routes replies change or add, in the generated `paths` shape (openapi-typescript's). */
export interface RepliesPaths {
  "/api/v1/catalogue/{item_id}/comments": {
    parameters: NoParameters;
    get: Answering<ListComments, 200, CommentPageWithReplies>;
    post: Omit<Answering<PostComment, 201, CommentWithReplies>, "requestBody"> & { requestBody: { content: { "application/json": NewComment } } };
  };
  "/api/v1/catalogue/comments/{comment_id}": {
    parameters: NoParameters;
    patch: Answering<operations["ApiV1CatalogueCommentsCommentIdEditComment"], 200, CommentWithReplies>;
  };
  "/api/v1/catalogue/comments/{comment_id}/replies": {
    parameters: NoParameters;
    get: Omit<Answering<ListComments, 200, CommentPageWithReplies>, "parameters"> & {
      parameters: Omit<ListComments["parameters"], "path"> & { path: { comment_id: string } };
    };
  };
  "/api/v1/catalogue/comments": {
    parameters: NoParameters;
    get: Answering<operations["ApiV1CatalogueCommentsModeratedComments"], 200, ModeratedCommentPageWithParent>;
  };
}
