import { apiRequest } from "./client";
import type { CatalogueQuery, MediaItem, MediaPatch, Page, StreamToken } from "./types";

export function listCatalogue(query: CatalogueQuery, signal?: AbortSignal): Promise<Page<MediaItem>> {
  return apiRequest<Page<MediaItem>>("/catalogue/", { query: { ...query }, signal });
}

export function getItem(id: string, signal?: AbortSignal): Promise<MediaItem> {
  return apiRequest<MediaItem>(`/catalogue/${encodeURIComponent(id)}`, { signal });
}

export function updateItem(id: string, patch: MediaPatch): Promise<MediaItem> {
  return apiRequest<MediaItem>(`/catalogue/${encodeURIComponent(id)}`, { method: "PATCH", body: patch });
}

export function deleteItem(id: string): Promise<void> {
  return apiRequest<void>(`/catalogue/${encodeURIComponent(id)}`, { method: "DELETE" });
}

export function getStreamToken(id: string, signal?: AbortSignal): Promise<StreamToken> {
  return apiRequest<StreamToken>(`/catalogue/${encodeURIComponent(id)}/stream-token`, {
    method: "POST",
    signal,
  });
}

