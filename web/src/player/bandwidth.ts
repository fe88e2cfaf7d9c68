import type Hls from "hls.js";
import { remember, remembered } from "./preference";

/** Where this device's last measured bandwidth is kept: `{"bps": …, "at": ms since the epoch}`. */
const BANDWIDTH_KEY = "streamstack.bandwidth";

/** How long a measurement is trusted: a day later the viewer may be on another network. */
export const BANDWIDTH_TRUSTED_MS = 24 * 60 * 60 * 1000;

/**
 * Auto's first guess when this device measured nothing lately: hls.js's own default
 * (500 kbit/s), which starts at the lowest rung (240p and its sound need ~480 kbit/s). On a
 * poor link that is the picture in a few seconds; on a good one the first segment measures
 * the link and Auto climbs, and the next video starts from that measurement.
 */
export const CAUTIOUS_ESTIMATE = 500_000;

/** The first guess for the next video: what this device last measured, if recent; else cautious. */
export function firstEstimate(now = Date.now()): number {
  const kept = readKept();
  const age = now - (kept?.at ?? Number.NaN);
  return kept && age >= 0 && age < BANDWIDTH_TRUSTED_MS ? kept.bps : CAUTIOUS_ESTIMATE;
}

/** The kept measurement, when there is a well-formed one. */
function readKept(): { bps: number; at: number } | null {
  try {
    const kept = JSON.parse(remembered(BANDWIDTH_KEY) ?? "null") as { bps?: unknown; at?: unknown } | null;
    if (typeof kept?.bps === "number" && kept.bps > 0 && typeof kept.at === "number") return { bps: kept.bps, at: kept.at };
  } catch {
    // Not JSON (written by something else): as if nothing were kept.
  }
  return null;
}

/**
 * Keeps what `hls` measured for the next video. Its estimate is its first guess until it has
 * measured enough: kept again, that would make an old measurement look new.
 */
export function keepEstimate(hls: Pick<Hls, "bandwidthEstimate" | "abrEwmaDefaultEstimate">, now = Date.now()): void {
  const bps = hls.bandwidthEstimate;
  if (!Number.isFinite(bps) || bps <= 0 || bps === hls.abrEwmaDefaultEstimate) return;
  remember(BANDWIDTH_KEY, JSON.stringify({ bps: Math.round(bps), at: now }));
}
