import { useEffect, useState, useSyncExternalStore } from "react";
import { getLibraryCounts } from "../api/catalogue";
import { changesMadeSoFar, followChanges } from "../api/client";
import type { LibraryCounts } from "../api/schema";
import { usePageVisible } from "./usePageVisible";

/** How long the counts wait after a change for the next: a bulk action's hundreds read once. */
export const CHANGES_SETTLE_MS = 1000;

/**
 * What the library holds and what waits for an admin (failed transcodes, reported
 * comments), read as the transcoding status line reads its queue: when the page shows (not
 * while it is hidden), again when `followed` changes (another page, the list read again)
 * and a moment after this tab's changes settle (a report dismissed, a video deleted), never
 * on a timer. Null until first read; a failed read keeps the last counts.
 */
export function useLibraryCounts(followed: unknown, enabled = true): LibraryCounts | null {
  const visible = usePageVisible();
  const changes = useSettledChanges();
  const [counts, setCounts] = useState<LibraryCounts | null>(null);
  useEffect(() => {
    if (!visible || !enabled) return;
    const controller = new AbortController();
    getLibraryCounts(controller.signal).then(setCounts, () => {
      // Counts are a help, not the page: the last ones stay until a read succeeds.
    });
    return () => controller.abort();
  }, [visible, enabled, followed, changes]);
  return counts;
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
