/**
 * Moments in a video: the `t` of a link to one (`/watch/<id>?t=90`) and the
 * timestamps a description points at ("the chorus at 1:23").
 */

/** "1:23", "12:05", "1:02:03": minutes and seconds 00–59, hours at most two digits. */
export const CLOCK = String.raw`(\d{1,2}):([0-5]\d):([0-5]\d)|([0-5]?\d):([0-5]\d)`;

/**
 * "90s", "1m30s", "1h2m3s", "2h": each unit optional, in this order. A bare
 * number is seconds only on its own: "1h30" could mean 1:30:00 or 1:00:30.
 */
const UNITS = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/i;
/** Seconds alone, whole or with a fraction (`179.9`: a player's exact moment). */
const BARE = /^\d+(?:\.\d+)?$/;

/**
 * Timestamps in running text. Not the tail or head of a longer number
 * ("10:30:45:12", "3.1:20", "1:23.5") or of a word ("v1:23", "12:05pm");
 * a sentence's full stop or comma after one is fine.
 */
const IN_TEXT = new RegExp(String.raw`(?<![\w:.])(?:${CLOCK})(?![\w:]|[.,]\d)`, "g");
const WHOLE_CLOCK = new RegExp(String.raw`^(?:${CLOCK})$`);

function seconds(hours: string | undefined, minutes: string | undefined, secs: string | undefined): number | null {
  const total = Number(hours ?? 0) * 3600 + Number(minutes ?? 0) * 60 + Number(secs ?? 0);
  // Digits alone can name a time no video has, or no double holds exactly.
  return Number.isSafeInteger(total) ? total : null;
}

/** `90` or `179.9` as seconds; null for digits no double holds. */
function bareSeconds(value: string): number | null {
  const [whole] = value.split(".");
  return seconds(undefined, undefined, whole) === null ? null : Number(value);
}

function clockSeconds(match: RegExpMatchArray): number | null {
  const [, h, hm, hs, m, s] = match;
  return h !== undefined ? seconds(h, hm, hs) : seconds(undefined, m, s);
}

/**
 * The start time a link asks for, in seconds: `90`, `179.9`, `90s`, `1m30s`,
 * `1h2m3s`, `1:30` or `1:02:03` (YouTube's and PeerTube's forms). Null for
 * anything else — empty, negative, `1:75`, `abc` — which the player ignores.
 * Whether the video is that long is the caller's question.
 */
export function parseMoment(value: string | null | undefined): number | null {
  if (!value) return null;
  const clock = WHOLE_CLOCK.exec(value);
  if (clock) return clockSeconds(clock);
  if (BARE.test(value)) return bareSeconds(value);
  const units = UNITS.exec(value);
  if (!units || units.slice(1).every((part) => part === undefined)) return null;
  return seconds(units[1], units[2], units[3]);
}

/** The start time of a watch page's `t`, or null when it is absent, unreadable or not before the end. */
export function startMoment(value: string | null | undefined, duration: number | null | undefined): number | null {
  const time = parseMoment(value);
  if (time === null) return null;
  return isWithin(time, duration) ? time : null;
}

/** Whether a video of `duration` seconds (unknown: any length) has a moment `time`: the end itself is not one. */
export function isWithin(time: number, duration: number | null | undefined): boolean {
  if (duration == null || !Number.isFinite(duration) || duration <= 0) return true;
  return time < duration;
}

export interface MomentPart {
  text: string;
  /** Set when `text` is a timestamp: where it points, in seconds. */
  seconds?: number;
}

/** Splits plain text into runs and timestamps ("at 1:23" → "at ", 1:23 = 83 s). */
export function momentParts(text: string): MomentPart[] {
  const parts: MomentPart[] = [];
  let last = 0;
  for (const match of text.matchAll(IN_TEXT)) {
    const time = clockSeconds(match);
    if (time === null) continue;
    if (match.index > last) parts.push({ text: text.slice(last, match.index) });
    parts.push({ text: match[0], seconds: time });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}
