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

/** How long after a scheduled draft's time a page looks whether it went public: the server publishes within its interval (10 s by default). */
export const AFTER_PUBLISH_TIME_MS = 12_000;
/** How often it looks again while the draft is due but still not public (it waits to play). */
export const DUE_POLL_MS = 30_000;
/** The longest one wait lasts: a browser fires a timer set past about 24.8 days at once. */
const LONGEST_WAIT_MS = 86_400_000;

/** How long to wait before reading a draft that goes public at `publishAt` again. */
function waitForPublishing(publishAt: string): number {
  const due = Date.parse(publishAt) - Date.now();
  return due > 0 ? Math.min(due + AFTER_PUBLISH_TIME_MS, LONGEST_WAIT_MS) : DUE_POLL_MS;
}

/**
 * While `active` and the item is a scheduled draft, reads it again a little after its
 * publish time and every `DUE_POLL_MS` while it is still a due draft, handing the fresh copy
 * to `onFresh`: a page left open sees it go public without a reload. Stops once it is no
 * scheduled draft (or another time is set: that starts over) and when the page lets it go.
 */
export function useScheduledPublishing(
  item: { id: string; status: string; publish_at?: string | null },
  active: boolean,
  onFresh: (item: ViewedMediaItem) => void,
): void {
  const latest = useRef(onFresh);
  useEffect(() => {
    latest.current = onFresh;
  });
  const { id, status, publish_at: publishAt } = item;
  useEffect(() => {
    if (!active || status !== "draft" || !publishAt) return;
    let timer = 0;
    let stopped = false;
    const look = () => {
      // Before its time (a wait cut short by LONGEST_WAIT_MS) there is nothing to read yet.
      if (Date.parse(publishAt) > Date.now()) return wait();
      getItem(id).then(
        (fresh) => {
          if (!stopped) latest.current(fresh);
        },
        () => undefined, // a blip: the next round tries again
      );
      wait();
    };
    const wait = () => {
      if (!stopped) timer = window.setTimeout(look, waitForPublishing(publishAt));
    };
    wait();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [active, id, status, publishAt]);
}
