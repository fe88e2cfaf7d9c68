import { API_BASE, apiRequest } from "./client";
import type { IngestJob } from "./types";

export const TUS_ENDPOINT = `${API_BASE}/ingest/uploads`;
export const CHUNK_SIZE = 8 * 1024 * 1024;

export function getJob(uploadId: string, signal?: AbortSignal): Promise<IngestJob> {
  return apiRequest<IngestJob>(`/ingest/jobs/${encodeURIComponent(uploadId)}`, { signal });
}

/** The upload id is the last path segment of the tus upload URL. */
export function uploadIdFromUrl(url: string): string {
  const path = url.split(/[?#]/, 1)[0] ?? "";
  const segments = path.split("/").filter((s) => s !== "");
  return decodeURIComponent(segments[segments.length - 1] ?? "");
}
