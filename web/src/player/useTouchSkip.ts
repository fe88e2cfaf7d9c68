import { useCallback, useEffect, useRef, type MouseEvent, type PointerEvent, type RefObject } from "react";
import type { KeyFact } from "./ShortcutNews";
import { seek } from "./usePlayerShortcuts";

/** How far (s) a double tap on a side of the picture skips, as j and l do. */
export const TAP_SKIP_S = 10;

/** Within this (ms) a second tap makes a double tap; a single tap on a side waits this long. */
export const DOUBLE_TAP_MS = 300;

/** Which third of the picture a touch at `clientX` is in: -1 the left, 1 the right, 0 the middle. */
export function tappedSide(clientX: number, rect: Pick<DOMRect, "left" | "width">): -1 | 0 | 1 {
  if (rect.width <= 0) return 0;
  const at = (clientX - rect.left) / rect.width;
  return at < 1 / 3 ? -1 : at > 2 / 3 ? 1 : 0;
}

/** The video element's handlers a double tap to skip needs. */
export interface TouchSkip {
  onPointerDown: (event: PointerEvent<HTMLVideoElement>) => void;
  /** A click or tap on the picture; `tap` is what a single one does (decided as it came). */
  onClick: (event: MouseEvent<HTMLVideoElement>, tap: () => void) => void;
  /** Whether a double click is the second tap of a skip (not full screen). */
  skipped: () => boolean;
}

/**
 * A double tap on the left or right third of the picture on a touch screen skips back or
 * forward TAP_SKIP_S and says so over it (as YouTube does); a phone had no way to skip a few
 * seconds but the bar. A single tap there does its `tap` once no second tap came (DOUBLE_TAP_MS);
 * a mouse's click and a tap in the middle do it at once, and their double click stays full screen.
 */
export function useTouchSkip(
  videoRef: RefObject<HTMLVideoElement | null>,
  tell: (fact: KeyFact) => void,
): TouchSkip {
  const touched = useRef(false);
  const waiting = useRef<{ side: -1 | 1; timer: ReturnType<typeof setTimeout> } | null>(null);
  const skippedNow = useRef(false);
  useEffect(() => () => clearTimeout(waiting.current?.timer), []);
  const onPointerDown = useCallback((event: PointerEvent<HTMLVideoElement>) => {
    touched.current = event.pointerType === "touch";
  }, []);
  const onClick = useCallback(
    (event: MouseEvent<HTMLVideoElement>, tap: () => void) => {
      const video = videoRef.current;
      const side = video && touched.current ? tappedSide(event.clientX, video.getBoundingClientRect()) : 0;
      const first = waiting.current;
      clearTimeout(first?.timer);
      waiting.current = null;
      skippedNow.current = false;
      if (side === 0 || !video) return tap();
      if (first?.side === side) {
        skippedNow.current = true;
        tell(seek(video, side * TAP_SKIP_S));
        return;
      }
      waiting.current = { side, timer: setTimeout(() => ((waiting.current = null), tap()), DOUBLE_TAP_MS) };
    },
    [videoRef, tell],
  );
  const skipped = useCallback(() => skippedNow.current, []);
  return { onPointerDown, onClick, skipped };
}
