import { useMemo, useRef } from "react";
import type { MomentLinks } from "../components/LinkedText";
import type { QueryChanges } from "../lib/urlQuery";
import type { PlayerHandle } from "./Player";

/**
 * Timestamps in the description as links to moments of this item (`momentPath`, memoised: its
 * watch page, or its share link's page): a click seeks the player in place (no reload, no new
 * player) and puts the moment into the URL's `t`, so a reload or a shared address starts there too.
 */
export function useMomentLinks(
  momentPath: (seconds: number) => string,
  duration: number | null | undefined,
  setQuery: (changes: QueryChanges) => void,
) {
  const playerRef = useRef<PlayerHandle>(null);
  const moments = useMemo<MomentLinks>(
    () => ({
      href: momentPath,
      onOpen: (seconds) => {
        playerRef.current?.seekTo(seconds);
        setQuery({ t: String(seconds) });
      },
      duration,
    }),
    [momentPath, duration, setQuery],
  );
  return { playerRef, moments };
}
