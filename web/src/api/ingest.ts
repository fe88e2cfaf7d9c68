import { api, API_BASE, request, requestChange } from "./client";
import type { AcceptedFormats, ChosenThumbnail, FactsRead, Job, MediaItem, TranscodingStatus, UnfinishedUploadPage, paths } from "./schema";

export const TUS_ENDPOINT = `${API_BASE}/ingest/uploads`;
export const CHUNK_SIZE = 8 * 1024 * 1024;
/** The tus protocol version every tus request but OPTIONS names. */
const TUS_RESUMABLE = { "Tus-Resumable": "1.0.0" } as const;

export type UnfinishedUploadQuery = NonNullable<paths["/api/v1/ingest/uploads"]["get"]["parameters"]["query"]>;

export function getJob(uploadId: string, signal?: AbortSignal): Promise<Job> {
  const params = { path: { upload_id: uploadId } };
  return request((headers) => api.GET("/api/v1/ingest/jobs/{upload_id}", { headers, params, signal }));
}

/** The kinds of file the server takes (admins): the videos, then the sound files, each with its extensions. */
export function listAcceptedFormats(signal?: AbortSignal): Promise<AcceptedFormats> {
  return request((headers) => api.GET("/api/v1/ingest/formats", { headers, signal }));
}

/** The transcoding jobs waiting and running, and the transcoding workers seen (admins). */
export function getTranscodingStatus(signal?: AbortSignal): Promise<TranscodingStatus> {
  return request((headers) => api.GET("/api/v1/ingest/transcoding", { headers, signal }));
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
  return requestChange("queueing a transcoding again", (headers) => api.POST("/api/v1/ingest/items/{item_id}/transcode", { headers, params }));
}

/** Make the item's thumbnail and poster of its frame at `atSeconds`; their new (versioned) URLs. */
export function chooseThumbnail(itemId: string, atSeconds: number): Promise<ChosenThumbnail> {
  const params = { path: { item_id: itemId } };
  return requestChange("choosing a thumbnail", (headers) =>
    api.PUT("/api/v1/ingest/items/{item_id}/thumbnail", { headers, params, body: { at_seconds: atSeconds } }),
  );
}

/** The image types the server makes a thumbnail of, as a file picker's `accept`. */
export const THUMBNAIL_IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"] as const;

/**
 * The Content-Type of an image file: what the browser says when it is one the server
 * takes, else by its name; else the browser's, which the server refuses in words.
 */
function imageContentType(file: File): string {
  if ((THUMBNAIL_IMAGE_TYPES as readonly string[]).includes(file.type)) return file.type;
  const name = file.name.toLowerCase();
  if (/\.jpe?g$/.test(name)) return "image/jpeg";
  if (name.endsWith(".png")) return "image/png";
  if (name.endsWith(".webp")) return "image/webp";
  return file.type || "application/octet-stream";
}

/** Make the item's thumbnail and poster of an image (a JPEG, PNG or WebP); their new (versioned) URLs. */
export async function uploadThumbnailImage(itemId: string, file: File): Promise<ChosenThumbnail> {
  const params = { path: { item_id: itemId } };
  // The bytes, read once (≤ 10 MiB): a retry after a refresh sends them again.
  const bytes = await file.arrayBuffer();
  return requestChange(`making “${file.name}” the thumbnail`, (headers) =>
    api.PUT("/api/v1/ingest/items/{item_id}/thumbnail/image", {
      headers: { ...headers, "Content-Type": imageContentType(file) },
      params,
      // The schema calls a binary body a string; the raw bytes go as they are.
      body: bytes as unknown as string,
      bodySerializer: (body: unknown) => body as BodyInit,
    }),
  );
}

/** Make the item's thumbnail and poster as processing made them (its frame at 1 s); their new URLs. */
export function restoreAutomaticThumbnail(itemId: string): Promise<ChosenThumbnail> {
  const params = { path: { item_id: itemId } };
  return requestChange("going back to the automatic thumbnail", (headers) => api.DELETE("/api/v1/ingest/items/{item_id}/thumbnail", { headers, params }));
}

/** Read the item's stored file again for its facts (chapters, codecs …); which changed, and the item. */
export function probeAgain(itemId: string): Promise<FactsRead> {
  const params = { path: { item_id: itemId } };
  return requestChange("reading a video's file again", (headers) => api.POST("/api/v1/ingest/items/{item_id}/probe", { headers, params }));
}

/** Every uploader's uploads still missing bytes, the longest idle first (admins). */
export function listUnfinishedUploads(
  query: UnfinishedUploadQuery,
  signal?: AbortSignal,
): Promise<UnfinishedUploadPage> {
  return request((headers) => api.GET("/api/v1/ingest/uploads", { headers, params: { query }, signal }));
}

/** Cancel an upload (tus termination): the server deletes the bytes stored so far. */
export async function cancelUpload(uploadId: string): Promise<void> {
  // The tus version header is a documented parameter of every tus request but OPTIONS.
  const params = { path: { upload_id: uploadId }, header: TUS_RESUMABLE };
  await requestChange("cancelling an upload", (headers) => api.DELETE("/api/v1/ingest/uploads/{upload_id}", { headers, params }));
}
