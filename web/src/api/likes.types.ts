// TEMPORARY: replaced by generated types at merge
// The likes routes are built on another branch: these are the contract's shapes
// (/work/likes-contract.md) and its paths, as `npm run gen:api` will write them.
import type { CatalogueItem, ErrorBody } from "./schema";

/** The caller's state and the item's count after a like or an unlike. */
export interface Liking {
  liked: boolean;
  like_count: number;
}

/** A video the caller liked, and when. */
export interface LikedItem {
  item: CatalogueItem;
  /** Format: date-time */
  liked_at: string;
}

/** A page of the caller's liked videos, most recently liked first. */
export interface LikedPage {
  items: LikedItem[];
  total: number;
  page: number;
  page_size: number;
}

/** The item's two new fields: `like_count` on every item, `liked` for a signed-in caller only. */
export type ViewedLike = { liked?: boolean; like_count: number };

type Json<T> = { headers: { [name: string]: unknown }; content: { "application/json": T } };
type Refused = Json<ErrorBody>;
type NoParameters = { query?: never; header?: never; path?: never; cookie?: never };
type LikeChange = {
  parameters: { query?: never; header?: never; path: { item_id: string }; cookie?: never };
  requestBody?: never;
  responses: { 200: Json<Liking>; 401: Refused; 404: Refused };
};

/** The likes routes, in the generated `paths` shape (openapi-typescript's). */
export interface LikesPaths {
  "/api/v1/catalogue/{item_id}/like": {
    parameters: NoParameters;
    put: LikeChange;
    delete: LikeChange;
  };
  "/api/v1/catalogue/me/likes": {
    parameters: NoParameters;
    get: {
      parameters: { query?: { page?: number; page_size?: number }; header?: never; path?: never; cookie?: never };
      requestBody?: never;
      responses: { 200: Json<LikedPage>; 400: Refused; 401: Refused };
    };
  };
}
