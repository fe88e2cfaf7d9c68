/**
 * Moving through an item's chapters. The server decides which chapters an item
 * has (its description's when it lists them as YouTube reads them, else those
 * its file marks) and sends them with the item (`CatalogueItem.chapters`).
 */
import type { Chapter } from "../api/schema";

export type { Chapter };

/** The chapter playing at `time` (s), or null without chapters. */
export function chapterAt(chapters: readonly Chapter[], time: number): Chapter | null {
  let current: Chapter | null = null;
  for (const chapter of chapters) {
    if (chapter.start_seconds > time) break;
    current = chapter;
  }
  return current;
}

/** Further into a chapter than this (s), "previous" goes back to its start, as on YouTube. */
export const RESTART_CHAPTER_AFTER_S = 3;

/**
 * Within this much (s) before a chapter's start counts as at it for "next": a
 * seek may land a hair early (a frame's time), which would otherwise make
 * that same chapter the next one again.
 */
const AT_START_S = 0.5;

/**
 * Where the chapter keys go from `time`: the next chapter (+1; none after
 * the last), or the previous one (-1), which is the current chapter's start
 * once RESTART_CHAPTER_AFTER_S into it; null without chapters.
 */
export function chapterStep(chapters: readonly Chapter[], time: number, direction: 1 | -1): Chapter | null {
  if (direction === 1) return chapters.find((chapter) => chapter.start_seconds > time + AT_START_S) ?? null;
  const current = chapterAt(chapters, time);
  if (!current || time - current.start_seconds > RESTART_CHAPTER_AFTER_S) return current;
  return chapters[chapters.indexOf(current) - 1] ?? current;
}
