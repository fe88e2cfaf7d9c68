import { useEffect } from "react";
import { reportSharedPlay } from "../api/shares";

/**
 * Reports the first time a video on the page starts playing (its first `playing`) as one play of
 * the share link the page opened (`ticket`: the open's `play_ticket`), so that the link's admin
 * sees plays, not page loads alone. Listened for on the document, as media events reach it
 * while captured, so that the player needs no part in it; a report that fails is let go (a
 * count missed is no viewer's concern).
 */
export function useSharedPlay(secret: string, ticket: string | undefined): void {
  useEffect(() => {
    if (!ticket) return;
    const onPlaying = (event: Event) => {
      if (!(event.target instanceof HTMLMediaElement)) return;
      document.removeEventListener("playing", onPlaying, true);
      reportSharedPlay(secret, ticket).catch(() => undefined);
    };
    document.addEventListener("playing", onPlaying, true);
    return () => document.removeEventListener("playing", onPlaying, true);
  }, [secret, ticket]);
}
