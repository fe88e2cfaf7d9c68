import { api, request } from "./client";
import type { MediaItem, MediaPage, StreamTokenGrant, UpdateMediaItem, paths } from "./schema";

export type CatalogueQuery = NonNullable<paths["/api/v1/catalogue"]["get"]["parameters"]["query"]>;
export type SortOrder = NonNullable<CatalogueQuery["sort"]>;
export type StatusFilter = NonNullable<CatalogueQuery["status"]>;
export type MediaStatus = MediaItem["status"];

/** Public: personalised when signed in, anonymous when the session has ended. */
export function listCatalogue(query: CatalogueQuery, signal?: AbortSignal): Promise<MediaPage> {
  // An empty filter means no filter: leave it out of the query string.
  const params = { query: { ...query, q: query.q || undefined, tag: query.tag || undefined } };
  return request((headers) => api.GET("/api/v1/catalogue", { headers, params, signal }), "optional");
}

export function getItem(id: string, signal?: AbortSignal): Promise<MediaItem> {
  const params = { path: { item_id: id } };
  return request((headers) => api.GET("/api/v1/catalogue/{item_id}", { headers, params, signal }), "optional");
}

export function updateItem(id: string, patch: UpdateMediaItem): Promise<MediaItem> {
  const params = { path: { item_id: id } };
  return request((headers) => api.PATCH("/api/v1/catalogue/{item_id}", { headers, params, body: patch }));
}

export async function deleteItem(id: string): Promise<void> {
  const params = { path: { item_id: id } };
  await request((headers) => api.DELETE("/api/v1/catalogue/{item_id}", { headers, params }));
}

export function getStreamToken(id: string, signal?: AbortSignal): Promise<StreamTokenGrant> {
  const params = { path: { item_id: id } };
  return request((headers) =>
    api.POST("/api/v1/catalogue/{item_id}/stream-token", { headers, params, signal }),
  );
}
