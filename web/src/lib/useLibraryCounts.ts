import { useEffect, useState } from "react";
import { getLibraryCounts } from "../api/catalogue";
import type { LibraryCounts } from "../api/schema";
import { usePageVisible } from "./usePageVisible";

/**
 * What the library holds and what waits for an admin (failed transcodes, reported
 * comments), read as the transcoding status line reads its queue: when the page shows (not
 * while it is hidden) and again when `followed` changes (another page, the list read
 * again), never on a timer. Null until first read; a failed read keeps the last counts.
 */
export function useLibraryCounts(followed: unknown, enabled = true): LibraryCounts | null {
  const visible = usePageVisible();
  const [counts, setCounts] = useState<LibraryCounts | null>(null);
  useEffect(() => {
    if (!visible || !enabled) return;
    const controller = new AbortController();
    getLibraryCounts(controller.signal).then(setCounts, () => {
      // Counts are a help, not the page: the last ones stay until a read succeeds.
    });
    return () => controller.abort();
  }, [visible, enabled, followed]);
  return counts;
}
