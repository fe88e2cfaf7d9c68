import { api, requestChange } from "./client";
import type { CAPTION_ENCODINGS } from "./limits";
import type { CaptionTrack, CaptionTrackList } from "./schema";

export type { CaptionTrack, CaptionTrackList };

/** An encoding the server reads a caption file in (a WHATWG label, which TextDecoder takes too). */
export type CaptionEncodingLabel = (typeof CAPTION_ENCODINGS)[number]["label"];

/** What the API takes as a caption file's Content-Type. */
type CaptionContentType = "text/vtt" | "application/x-subrip" | "text/plain" | "application/octet-stream";

/** The Content-Type of a caption file: what the browser says, else by its name. */
function captionContentType(file: File): CaptionContentType {
  if (file.type === "text/vtt" || file.type === "application/x-subrip" || file.type === "text/plain") return file.type;
  const name = file.name.toLowerCase();
  if (name.endsWith(".vtt")) return "text/vtt";
  if (name.endsWith(".srt")) return "application/x-subrip";
  return "application/octet-stream";
}

const CAPTION = "/api/v1/ingest/items/{item_id}/captions/{language}";

/**
 * Adds or replaces (the same call) the track of `language` with `file`, a
 * WebVTT or SubRip file the server converts to WebVTT; `label` left out keeps
 * a replaced track's label; `encoding`, the one a file not saved as UTF-8 was
 * saved in. The item's tracks after the change, and how many of the file's cues start
 * after the video's end (stored all the same).
 */
export async function putCaption(
  itemId: string,
  language: string,
  file: File,
  label?: string,
  encoding?: CaptionEncodingLabel,
): Promise<CaptionTrackList> {
  const query = { ...(label ? { label } : {}), ...(encoding ? { encoding } : {}) };
  const params = { path: { item_id: itemId, language }, query };
  // The bytes, read once (≤ 512 KiB): a retry after a refresh sends them again.
  const bytes = await file.arrayBuffer();
  const answer = await requestChange(`adding the captions in ${language}`, (headers) =>
    api.PUT(CAPTION, {
      headers: { ...headers, "Content-Type": captionContentType(file) },
      params,
      // The schema calls a binary body a string; the raw bytes go as they are.
      body: bytes as unknown as string,
      bodySerializer: (body: unknown) => body as BodyInit,
    }),
  );
  return answer;
}

/** Removes the track of `language` (its file goes too). */
export async function deleteCaption(itemId: string, language: string): Promise<void> {
  const params = { path: { item_id: itemId, language } };
  await requestChange(`removing the captions in ${language}`, (headers) => api.DELETE(CAPTION, { headers, params }));
}
