import { useCallback, useLayoutEffect, useRef } from "react";
import { NavigationType, useLocation, useNavigationType, type DataRouter } from "react-router";

// Where each history entry was scrolled to, by its location key (kept in the entry's history
// state, so that a reload finds it again). The router notes the position of the page being
// left when a navigation starts, before the next page is drawn (see rememberScrollPositions);
// kept in the tab's sessionStorage when the page is hidden or left, as the browser does.
const STORAGE_KEY = "streamstack.scroll";
const positions: Record<string, number> = readKept();

function readKept(): Record<string, number> {
  try {
    const kept: unknown = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? "{}");
    const found = typeof kept === "object" && kept !== null ? { ...(kept as Record<string, number>) } : {};
    // The first entry of a tab has no key of its own ("default"): a page loaded afresh
    // (an address typed, no history state yet) is not the one that was scrolled before.
    if (window.history.state === null) delete found.default;
    return found;
  } catch {
    return {}; // storage disabled or not JSON: nothing to restore
  }
}

/**
 * Has `router` note where each page was scrolled to when it is left (and the page shown
 * when the tab is hidden or closed), for useScrollMemory and useRestoredScroll. The
 * browser's own restoring is off: on Back it scrolled before the page had rendered.
 */
export function rememberScrollPositions(router: DataRouter): void {
  if ("scrollRestoration" in window.history) window.history.scrollRestoration = "manual";
  router.enableScrollRestoration(positions, () => window.scrollY, (location) => location.key);
  window.addEventListener("pagehide", () => {
    positions[router.state.location.key] = window.scrollY;
    try {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(positions));
    } catch {
      // storage disabled or full: a reload starts at the top
    }
  });
}

/** Scrolls to where the entry `key` was left, when that is known. */
function scrollBackTo(key: string): void {
  const y = positions[key];
  if (y !== undefined) window.scrollTo(0, y);
}

/**
 * Back and Forward (and a reload) find a page scrolled where it was left; a new page (a
 * link, a search, the next page of a list) starts at the top. Once, in the app's layout.
 *
 * A list whose cards come from a request has nothing to scroll yet when it is drawn (Back
 * from a video showed the catalogue at its top): it scrolls back itself once its cards are in
 * (useRestoredScroll); this scrolls back at once, for the other pages.
 */
export function useScrollMemory(): void {
  const location = useLocation();
  const navigation = useNavigationType();
  const shown = useRef(location.key);
  useLayoutEffect(() => {
    if (shown.current === location.key) return;
    shown.current = location.key;
    if (navigation === NavigationType.Pop) scrollBackTo(location.key);
    // A new entry starts at the top, unless it goes to a place in the page (#main); a
    // replaced one (a redirect, a filter kept in the URL as it is typed) stays where it is.
    else if (navigation === NavigationType.Push && !location.hash) window.scrollTo(0, 0);
  }, [location.key, location.hash, navigation]);
}

/**
 * A list page whose entries come from a request: on Back or Forward it scrolls to where
 * it was left once `ready` (its entries drawn), not before, when the page was too short and
 * the scroll came out at the top.
 */
export function useRestoredScroll(ready: boolean): void {
  const { key } = useLocation();
  const navigation = useNavigationType();
  const restored = useRef<string | null>(null);
  useLayoutEffect(() => {
    if (!ready || navigation !== NavigationType.Pop || restored.current === key) return;
    restored.current = key;
    scrollBackTo(key);
  }, [ready, navigation, key]);
}

// What a list page loaded for a history entry beyond what its address says (the pages "Show
// more" added), by location key as the positions are: Back finds the same rows, and so the
// same place. Kept while the tab's page lives; a reload starts again from the first page.
const loaded = new Map<string, unknown>();

/**
 * What the page keeps for the history entry shown: `kept()` reads it (undefined for an entry
 * it kept nothing for), `keep` keeps it. Both change with the entry, so a list read with
 * `kept()` is read again for another entry (Back to the same page, still drawn).
 */
export function useEntryMemory<T>(): { kept: () => T | undefined; keep: (value: T) => void } {
  const { key } = useLocation();
  const kept = useCallback(() => loaded.get(key) as T | undefined, [key]);
  const keep = useCallback((value: T) => void loaded.set(key, value), [key]);
  return { kept, keep };
}

/** Forgets what every entry kept, as a new page of the tab does (each test starts so). */
export function forgetEntryMemory(): void {
  loaded.clear();
}
