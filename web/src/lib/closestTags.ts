import type { TagCount } from "../api/schema";
import { normalizeTag } from "./format";

/** How many edits apart `a` and `b` are (Levenshtein: a letter added, removed or changed). */
function editsApart(a: string, b: string): number {
  let before = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const changed = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((before[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (before[j - 1] ?? 0) + changed);
    }
    before = row;
  }
  return before[b.length] ?? 0;
}

/**
 * The tags closest to `typed`, a tag no video has, for "did you mean": those it starts,
 * is part of or holds ("goal" → "goals"), then those a few letters off ("footbal" →
 * "football"), the most used first among equals; at most `most`.
 */
export function closestTags(typed: string, tags: TagCount[], most = 3): TagCount[] {
  const wanted = normalizeTag(typed);
  if (!wanted) return [];
  // A word a third wrong is still that word; more is another one.
  const allowed = Math.max(1, Math.floor(wanted.length / 3));
  const distance = (tag: string) =>
    tag.includes(wanted) || wanted.includes(tag) ? 0 : editsApart(wanted, tag);
  return tags
    .map((it) => ({ it, apart: distance(it.tag) }))
    .filter(({ it, apart }) => apart <= allowed && it.tag !== wanted)
    .sort((a, b) => a.apart - b.apart || b.it.count - a.it.count)
    .slice(0, most)
    .map(({ it }) => it);
}
