// TEMPORARY: replaced by generated types at merge
// The share-link routes are built on another branch: these are the contract's shapes
// (/work/share-contract.md) and its paths, as `npm run gen:api` will write them.
import type { CatalogueItem, ErrorBody, StreamTokenGrant } from "./schema";

/** TEMPORARY: the generated LIMITS will carry these. Days a link may last; links that work, per video. */
export const SHARE_EXPIRY_DAYS_MAX = 365;
export const MAX_SHARE_LINKS = 20;

export interface NewShareLink {
  /** 1..SHARE_EXPIRY_DAYS_MAX, or null: never expires. */
  expires_in_days: number | null;
}

export interface ShareLink {
  id: string;
  item_id: string;
  /** "/s/<secret>" */
  path: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  opens: number;
  last_opened_at: string | null;
}

export interface ShareLinkList {
  /** Newest first, live and ended alike. */
  links: ShareLink[];
}

export interface SharedItem {
  item: CatalogueItem;
  expires_at: string | null;
}

type Json<T> = { headers: { [name: string]: unknown }; content: { "application/json": T } };
type Refused = Json<ErrorBody>;
type NoParameters = { query?: never; header?: never; path?: never; cookie?: never };
type Operation<Path, Responses> = {
  parameters: { query?: never; header?: never; path: Path; cookie?: never };
  requestBody?: never;
  responses: Responses & { 400: Refused; 404: Refused };
};
type OperationWithBody<Path, Body, Responses> = Omit<Operation<Path, Responses>, "requestBody"> & {
  requestBody: { content: { "application/json": Body } };
};

/** The share-link routes, in the generated `paths` shape (openapi-typescript's). */
export interface SharePaths {
  "/api/v1/catalogue/{item_id}/shares": {
    parameters: NoParameters;
    get: Operation<{ item_id: string }, { 200: Json<ShareLinkList> }>;
    post: OperationWithBody<{ item_id: string }, NewShareLink, { 201: Json<ShareLink>; 409: Refused }>;
  };
  "/api/v1/catalogue/shares/{share_id}": {
    parameters: NoParameters;
    delete: Operation<{ share_id: string }, { 204: { headers: { [name: string]: unknown }; content?: never } }>;
  };
  "/api/v1/catalogue/shared/{secret}": {
    parameters: NoParameters;
    get: Operation<{ secret: string }, { 200: Json<SharedItem> }>;
  };
  "/api/v1/catalogue/shared/{secret}/stream-token": {
    parameters: NoParameters;
    post: Operation<{ secret: string }, { 200: Json<StreamTokenGrant>; 429: Refused }>;
  };
}
