/**
 * Chapters from a description, as YouTube reads them: lines that start (or
 * end) with a timestamp name the part of the video from there on.
 *
 * "0:00 Intro", "- 1:23 - The chorus", "(12:05) Outro", "Credits 14:10".
 * The list counts only as YouTube's does, so a description that merely
 * mentions a few moments gets no chapters: the first at 0:00, at least three,
 * in ascending order, each at least ten seconds long, all before the end.
 */
import type { Chapter, CatalogueItem } from "../api/schema";
import { CLOCK, parseMoment } from "./moment";

export type { Chapter };

/** The fewest chapters a list may have, and the shortest chapter (s): YouTube's rules. */
export const MIN_CHAPTERS = 3;
export const MIN_CHAPTER_SECONDS = 10;

/** A list bullet, a bracket, a dash or a colon between the timestamp and the title. */
const BULLET = String.raw`[-*•·▶►]`;
const SEPARATOR = String.raw`[-–—:|.]`;
const LEADING = new RegExp(String.raw`^\s*(?:${BULLET}\s*)?[(\[]?(${CLOCK})[)\]]?\s*(?:${SEPARATOR}\s*)?(\S.*?)\s*$`);
const TRAILING = new RegExp(String.raw`^\s*(?:${BULLET}\s*)?(\S.*?)\s*(?:${SEPARATOR}\s*)?[(\[]?(${CLOCK})[)\]]?\s*$`);

/** The chapter a line names, or null when it starts and ends with no timestamp. */
function chapterLine(line: string): Chapter | null {
  const leading = LEADING.exec(line);
  if (leading) {
    const start = parseMoment(leading[1]);
    const title = leading[leading.length - 1];
    if (start !== null && title) return { start_seconds: start, title };
  }
  const trailing = TRAILING.exec(line);
  if (trailing) {
    const start = parseMoment(trailing[2]);
    if (start !== null && trailing[1]) return { start_seconds: start, title: trailing[1] };
  }
  return null;
}

/** Whether `chapters` follow the rules above in a video of `duration` s (unknown: any length). */
function isChapterList(chapters: readonly Chapter[], duration: number | null | undefined): boolean {
  if (chapters.length < MIN_CHAPTERS || chapters[0]?.start_seconds !== 0) return false;
  const end = duration != null && Number.isFinite(duration) && duration > 0 ? duration : Infinity;
  return chapters.every((chapter, index) => {
    const next = chapters[index + 1]?.start_seconds ?? end;
    return next - chapter.start_seconds >= MIN_CHAPTER_SECONDS;
  });
}

/** The description's chapters, or none when its timestamped lines do not make a chapter list. */
export function chaptersIn(description: string | null | undefined, duration: number | null | undefined): Chapter[] {
  if (!description) return [];
  const chapters = description.split("\n").flatMap((line) => chapterLine(line) ?? []);
  return isChapterList(chapters, duration) ? chapters : [];
}

/**
 * The chapters the player marks: the description's when it lists them (what
 * the uploader wrote), else those the file marks (an audiobook's, a film's).
 */
export function itemChapters(item: Pick<CatalogueItem, "description" | "duration_seconds" | "chapters">): Chapter[] {
  const written = chaptersIn(item.description, item.duration_seconds);
  return written.length > 0 ? written : (item.chapters ?? []);
}

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
