import { API_BASE, api, request } from "./client";
import type { Job, MediaItem } from "./schema";

export const TUS_ENDPOINT = `${API_BASE}/ingest/uploads`;
export const CHUNK_SIZE = 8 * 1024 * 1024;

export function getJob(uploadId: string, signal?: AbortSignal): Promise<Job> {
  const params = { path: { upload_id: uploadId } };
  return request((headers) => api.GET("/api/v1/ingest/jobs/{upload_id}", { headers, params, signal }));
}

/** The upload id is the last path segment of the tus upload URL. */
export function uploadIdFromUrl(url: string): string {
  const path = url.split(/[?#]/, 1)[0] ?? "";
  const segments = path.split("/").filter((s) => s !== "");
  return decodeURIComponent(segments[segments.length - 1] ?? "");
}

/** Queue a failed item's transcoding again; the item, `queued`. */
export function retryTranscode(itemId: string): Promise<MediaItem> {
  const params = { path: { item_id: itemId } };
  return request((headers) => api.POST("/api/v1/ingest/items/{item_id}/transcode", { headers, params }));
}
