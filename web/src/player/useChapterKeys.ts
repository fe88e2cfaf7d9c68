import { useEffect, type RefObject } from "react";
import { chapterStep, type Chapter } from "../lib/chapters";
import { isTyping, modalOpen } from "./usePlayerShortcuts";
import type { KeyFact } from "./ShortcutNews";

/** Apple's systems, where Ctrl+←/→ switch desktops (Spaces) before the page hears them. */
function isApple(): boolean {
  return /Mac|iPhone|iPad|iPod/.test(navigator.platform);
}

/** The chapter keys as the player's hint names them. */
export function chapterKeysLabel(): string {
  return isApple() ? "⌥←/→" : "Ctrl+←/→";
}

/**
 * Which way a key goes between chapters: Ctrl+←/→ as on YouTube, and on
 * Apple's systems Option+←/→ too. Not Alt elsewhere: Alt+←/→ are the
 * browser's Back and Forward there. 0 for any other key.
 */
function chapterDirection(event: KeyboardEvent, apple: boolean): 1 | -1 | 0 {
  const modified = (event.ctrlKey || (apple && event.altKey)) && !event.metaKey && !event.shiftKey;
  if (!modified) return 0;
  return event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
}

/**
 * The chapter keys, on the whole page like the player's other shortcuts
 * (not while typing, where they move by word, nor while a dialog is open;
 * none without `chapters`, which the player passes as none while the keys
 * are turned off; the seek bar leaves them to us): the next chapter's start, or
 * the previous one's (the current one's, more than a few seconds into it;
 * see chapterStep). Without chapters, or past the last, the keys are left to
 * the browser. Tells `onFact` the chapter reached, as the other keys tell theirs.
 */
export function useChapterKeys(
  videoRef: RefObject<HTMLVideoElement | null>,
  chapters: readonly Chapter[],
  onFact: (fact: KeyFact) => void,
): void {
  useEffect(() => {
    if (chapters.length === 0) return;
    const apple = isApple();
    const onKey = (event: KeyboardEvent) => {
      const video = videoRef.current;
      const direction = chapterDirection(event, apple);
      if (!video || direction === 0 || isTyping(event.target) || modalOpen()) return;
      const chapter = chapterStep(chapters, video.currentTime, direction);
      if (!chapter) return;
      event.preventDefault();
      video.currentTime = chapter.start_seconds;
      onFact({ kind: "chapter", chapter, chapters });
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [videoRef, chapters, onFact]);
}
