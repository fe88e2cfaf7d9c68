import { API_BASE, request } from "./client";

/** One caption track of an item, as the catalogue lists it. */
export interface CaptionTrack {
  language: string;
  label: string;
  source: "upload" | "embedded";
}

/** The Content-Type of a caption file: what the browser says, else by its name. */
export function captionContentType(file: File): string {
  if (["text/vtt", "application/x-subrip", "text/plain"].includes(file.type)) return file.type;
  const name = file.name.toLowerCase();
  if (name.endsWith(".vtt")) return "text/vtt";
  if (name.endsWith(".srt")) return "application/x-subrip";
  return "application/octet-stream";
}

function captionPath(itemId: string, language: string): string {
  return `${API_BASE}/ingest/items/${encodeURIComponent(itemId)}/captions/${encodeURIComponent(language)}`;
}

async function send(method: string, url: string, headers: HeadersInit, body?: BodyInit) {
  const response = await fetch(new URL(url, location.origin), { method, headers, body, credentials: "same-origin" });
  const parsed: unknown = response.status === 204 ? undefined : await response.json().catch(() => undefined);
  return response.ok ? { data: parsed, response } : { error: parsed, response };
}

/**
 * Adds or replaces (the same call) the track of `language` with `file`, a
 * WebVTT or SubRip file the server converts to WebVTT; the item's tracks after it.
 */
export async function putCaption(itemId: string, language: string, file: File, label?: string): Promise<CaptionTrack[]> {
  const query = label ? `?${new URLSearchParams({ label }).toString()}` : "";
  // The bytes, read once (≤ 512 KiB): a retry after a refresh sends them again.
  const body = await file.arrayBuffer();
  const answer = await request((headers) =>
    send("PUT", captionPath(itemId, language) + query, { ...headers, "Content-Type": captionContentType(file) }, body),
  );
  return answer as CaptionTrack[];
}

/** Removes the track of `language` (its file goes too). */
export async function deleteCaption(itemId: string, language: string): Promise<void> {
  await request((headers) => send("DELETE", captionPath(itemId, language), headers));
}
