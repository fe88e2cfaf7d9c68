import { useEffect, useState, useSyncExternalStore } from "react";
import { getLibraryCounts } from "../api/catalogue";
import { changesMadeSoFar, followChanges } from "../api/client";
import type { LibraryCounts } from "../api/schema";
import { usePageVisible } from "./usePageVisible";

/** How long the counts wait after a change for the next: a bulk action's hundreds read once. */
export const CHANGES_SETTLE_MS = 1000;

/**
 * The counts last read, one copy for the whole page: the nav and the Library show the same
 * numbers, and what asks for them in one go (both, as the Library opens) reads them once.
 */
let latest: LibraryCounts | null = null;
let asked = false;
let reads = 0;
const readers = new Set<() => void>();

function followCounts(reader: () => void): () => void {
  readers.add(reader);
  return () => readers.delete(reader);
}

/** Read the counts once for every ask of this moment (the effects of one render). */
function askForCounts(): void {
  if (asked) return;
  asked = true;
  queueMicrotask(() => {
    asked = false;
    const read = ++reads;
    getLibraryCounts().then(
      (counts) => {
        if (read !== reads) return; // a later read is on its way: its counts are newer
        latest = counts;
        readers.forEach((reader) => reader());
      },
      () => {
        // Counts are a help, not the page: the last ones stay until a read succeeds.
      },
    );
  });
}

/** Forget the counts read (a test's page starts without them). */
export function forgetLibraryCounts(): void {
  latest = null;
}

/**
 * What the library holds and what waits for an admin (failed transcodes, reported
 * comments), read as the transcoding status line reads its queue: when the page shows (not
 * while it is hidden), again when `followed` changes (another page, the list read again)
 * and a moment after this tab's changes settle (a report dismissed, a video deleted), never
 * on a timer. Null until first read; a failed read keeps the last counts.
 */
export function useLibraryCounts(followed: unknown): LibraryCounts | null {
  const visible = usePageVisible();
  const changes = useSettledChanges();
  useEffect(() => {
    if (visible) askForCounts();
  }, [visible, followed, changes]);
  return useSyncExternalStore(followCounts, () => latest);
}

/** This tab's count of changes made, once no other has come for `CHANGES_SETTLE_MS`. */
function useSettledChanges(): number {
  const changes = useSyncExternalStore(followChanges, changesMadeSoFar);
  const [settled, setSettled] = useState(changes);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(changes), CHANGES_SETTLE_MS);
    return () => clearTimeout(timer);
  }, [changes]);
  return settled;
}
