import { useEffect, useRef } from "react";
import { getItem } from "../api/catalogue";
import type { ViewedMediaItem } from "../api/schema";

/** How often a page showing an item that is being transcoded looks again. */
export const PROCESSING_POLL_MS = 5000;

/**
 * While `active`, fetches item `id` every `PROCESSING_POLL_MS` and hands the
 * fresh copy to `onFresh`. A failed round is a blip: the next one tries again.
 */
export function useItemPolling(id: string, active: boolean, onFresh: (item: ViewedMediaItem) => void): void {
  const latest = useRef(onFresh);
  useEffect(() => {
    latest.current = onFresh;
  });
  useEffect(() => {
    if (!active) return;
    const timer = window.setInterval(() => {
      getItem(id).then(
        (fresh) => latest.current(fresh),
        () => undefined,
      );
    }, PROCESSING_POLL_MS);
    return () => window.clearInterval(timer);
  }, [active, id]);
}
