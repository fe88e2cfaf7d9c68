import { LIMITS } from "../api/limits";

/**
 * A length, to the nearest second: 65.4 → "1:05", 3.97 → "0:04", 3725 → "1:02:05"; one under a
 * second in tenths, never none (0.3 → "0:00.3", 0.01 → "0:00.1", 0.96 → "0:01"). The card, the
 * details, the player's total and the CLI (`streamstack.cli.output.clock`) all read a length this
 * way: the player's own length (the package's, to its last sound frame: 0.323 s for a 0.3 s clip,
 * 3.999999 for 4) then reads as the card's. Null/invalid → "" (unknown duration).
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return "";
  const tenths = Math.max(1, Math.round(seconds * 10));
  if (seconds > 0 && tenths < 10) return `0:00.${tenths}`;
  return wholeSeconds(Math.round(seconds));
}

/** A position as a clock, in whole seconds (0.6 → "0:00"): "0:00" for an unknown one. */
export function formatClock(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return "0:00";
  return wholeSeconds(seconds);
}

/**
 * Where playback is, for the clock beside the length: at the end (the browser puts an
 * ended video at its length) it is the length as
 * {@link formatDuration} rounds it, so a 3.6 s clip ends at "0:04 / 0:04" rather than
 * "0:03 / 0:04" (a position counts seconds begun; a length rounds).
 */
export function formatPosition(seconds: number | null | undefined, length: number | null | undefined): string {
  const atEnd = seconds != null && length != null && seconds >= length;
  return (atEnd && formatDuration(length)) || formatClock(seconds);
}

/** 65.4 → "1:05", 3725 → "1:02:05": the seconds begun but not ended are left out. */
function wholeSeconds(seconds: number): string {
  const total = Math.floor(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const ss = String(total % 60).padStart(2, "0");
  if (h > 0) return `${h}:${String(m).padStart(2, "0")}:${ss}`;
  return `${m}:${ss}`;
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** 1536 → "1.5 KiB"; binary units like the 8 MiB chunk size. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** "Feb 1, 2026": the day only, for cards. */
export function formatDay(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleDateString(undefined, { dateStyle: "medium" });
}

/**
 * How often an item was watched: 0 → "No views", 1 → "1 view", 1234 → "1,234 views";
 * `compact` for cards: 12345 → "12.3K views".
 */
export function formatViews(count: number | undefined, { compact = false } = {}): string {
  const views = count ?? 0;
  if (views <= 0) return "No views";
  const style: Intl.NumberFormatOptions = compact ? { notation: "compact", maximumFractionDigits: 1 } : {};
  return `${new Intl.NumberFormat(undefined, style).format(views)} ${views === 1 ? "view" : "views"}`;
}

/** How many viewers like an item, in words: 0 → "No likes", 1 → "1 like", 1234 → "1,234 likes". */
export function formatLikes(count: number): string {
  if (count <= 0) return "No likes";
  return `${new Intl.NumberFormat().format(count)} ${count === 1 ? "like" : "likes"}`;
}

const AGE_UNITS = [
  ["d", 86_400],
  ["h", 3600],
  ["min", 60],
] as const;

/** How long ago `iso` was, in its largest whole unit: "just now", "5 min ago", "3 h ago", "2 d ago". */
export function formatAge(iso: string, now: number = Date.now()): string {
  const seconds = Math.floor((now - new Date(iso).getTime()) / 1000);
  if (!Number.isFinite(seconds)) return "";
  for (const [unit, size] of AGE_UNITS) {
    if (seconds >= size) return `${Math.floor(seconds / size)} ${unit} ago`;
  }
  return "just now";
}

/**
 * How long to wait, in plain words, for "try again in …": "a second", "45 seconds", then
 * "about a minute", "about 8 minutes", "about an hour", "about 2 hours". Rounded up below
 * an hour, so no one is told to come back before the wait is over.
 */
export function waitInWords(seconds: number): string {
  const whole = Math.max(1, Math.ceil(seconds));
  if (whole < 60) return whole === 1 ? "a second" : `${whole} seconds`;
  const minutes = Math.ceil(whole / 60);
  if (minutes < 60) return minutes === 1 ? "about a minute" : `about ${minutes} minutes`;
  const hours = Math.round(minutes / 60);
  return hours === 1 ? "about an hour" : `about ${hours} hours`;
}

/** A throttled request's refusal: "Too many attempts, try again in about 8 minutes." (`seconds` from Retry-After). */
export function tooManyAttempts(seconds: number | null): string {
  return seconds === null ? "Too many attempts, try again later." : `Too many attempts, try again in ${waitInWords(seconds)}.`;
}

/**
 * A share of a video (0 to 1) as a whole percent in [0, 100], halves up: the one rule of every
 * "how much of it" (History, the Statistics panel; `streamstack items stats`: whole_percent).
 */
export function wholePercent(share: number): number {
  return Math.min(100, Math.max(0, Math.round(share * 100)));
}

/** Whole percent in [0, 100]; 0 when the total is unknown. */
export function percent(done: number, total: number): number {
  if (!(total > 0)) return 0;
  return Math.min(100, Math.max(0, Math.floor((done / total) * 100)));
}

export function formatResolution(width: number | null, height: number | null): string {
  if (!width || !height) return "";
  return `${width}×${height}`;
}

/** "a, b ,, c" → ["a", "b", "c"], deduplicated, order kept. */
export function parseTags(text: string): string[] {
  const seen = new Set<string>();
  for (const raw of text.split(",")) {
    const tag = raw.trim();
    if (tag !== "") seen.add(tag);
  }
  return [...seen];
}

/** A tag as the server stores and matches it: inner whitespace collapsed, trimmed, lower-cased. */
export function normalizeTag(tag: string): string {
  return tag.replace(/\s+/g, " ").trim().toLowerCase();
}

/**
 * "clip.final.mp4" → "clip.final", cut to the title limit: a title set by script is not held
 * to the field's maxLength, and a 238-character name failed the upload with the validator's
 * message.
 */
export function titleFromFilename(name: string): string {
  const dot = name.lastIndexOf(".");
  const title = (dot > 0 ? name.slice(0, dot) : name).replace(/[_]+/g, " ").trim();
  return clip(title, LIMITS.title).trim();
}

/**
 * The start of `text` of at most `limit` UTF-16 units (the field's maxLength counts those, the
 * server whole characters: both are met), never half of a surrogate pair (an emoji).
 */
export function clip(text: string, limit: number): string {
  let length = 0;
  let kept = "";
  for (const char of text) {
    length += char.length;
    if (length > limit) break;
    kept += char;
  }
  return kept;
}

/** A message when the title is longer than the server takes (it counts characters), else null. */
export function titleProblem(title: string): string | null {
  const length = [...title].length;
  if (length <= LIMITS.title) return null;
  return `Titles can be at most ${LIMITS.title} characters; this one has ${length}.`;
}

/** A message when the tags break the catalogue's limits, else null. */
export function tagsProblem(tags: string[]): string | null {
  if (tags.length > LIMITS.tags) return `At most ${LIMITS.tags} tags.`;
  const long = tags.find((t) => t.length > LIMITS.tag);
  if (long !== undefined) return `Tags can be at most ${LIMITS.tag} characters: “${long.slice(0, 20)}…”.`;
  return null;
}
