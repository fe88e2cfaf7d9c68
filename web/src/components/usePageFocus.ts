import { useEffect, useRef, type RefObject } from "react";
import { useLocation } from "react-router";

/**
 * On a new page, the focus goes to its main heading (its `h1`, made focusable), so a screen
 * reader says where the visitor is now and Tab goes on from there: after a link, a sign-in or
 * a sign-out it fell to the page's body (the control pressed went with the old page), or
 * stayed on the header's link with nothing said but the tab's title. A page still loading
 * (a video, a playlist) has the focus on `main` until its heading shows.
 *
 * Not on the first load, nor on the redirects the app makes before the visitor has done
 * anything (`/admin` to the library): the browser starts at the top, as for any page. Not when
 * only the query string changes (a list's search, filters or page), where the focus stays on
 * the control used; nor when the new page has put the focus in itself.
 */
export function usePageFocus(main: RefObject<HTMLElement | null>): void {
  const { pathname } = useLocation();
  const shown = useRef(pathname);
  const interacted = useVisitorInteracted();
  useEffect(() => {
    if (shown.current === pathname) return;
    shown.current = pathname;
    const area = main.current;
    if (!area || !interacted.current || focusedWithin(area)) return;
    return focusHeading(area);
  }, [pathname, main, interacted]);
}

/** Whether the visitor has pressed a key or pointed at anything since the app loaded. */
function useVisitorInteracted(): RefObject<boolean> {
  const interacted = useRef(false);
  useEffect(() => {
    const note = () => {
      interacted.current = true;
    };
    window.addEventListener("keydown", note, { capture: true, once: true });
    window.addEventListener("pointerdown", note, { capture: true, once: true });
    return () => {
      window.removeEventListener("keydown", note, { capture: true });
      window.removeEventListener("pointerdown", note, { capture: true });
    };
  }, []);
  return interacted;
}

/** Whether the focus is on something of the page's own, not on `area` itself nor gone with the old page. */
function focusedWithin(area: HTMLElement): boolean {
  const active = document.activeElement;
  return active !== null && active !== area && active.isConnected && area.contains(active);
}

/**
 * Focuses `area`'s h1, or `area` until an h1 shows in it (unless the focus has moved on by
 * then); returns what stops waiting for it. Also where a page comes in place of the button
 * pressed on the same address (a page's chunk loaded on Try again).
 */
export function focusHeading(area: HTMLElement): () => void {
  const heading = () => area.querySelector<HTMLElement>("h1");
  const found = heading();
  if (found) {
    focusOn(found);
    return () => undefined;
  }
  area.focus();
  const waiting = new MutationObserver(() => {
    const shownNow = heading();
    if (!shownNow) return;
    waiting.disconnect();
    if (document.activeElement === area) focusOn(shownNow);
  });
  waiting.observe(area, { childList: true, subtree: true });
  return () => waiting.disconnect();
}

/** A heading takes the focus only when made focusable from script (tabindex -1, never reached by Tab). */
function focusOn(heading: HTMLElement) {
  heading.tabIndex = -1;
  heading.focus();
}

/**
 * Whether the focus is still where a page put it as it opened (nowhere, the page's `main` or its
 * heading): what the page then shows may take it (a linked comment), as the visitor has not
 * moved it on to something of their own (the player, a field).
 */
export function focusLeftToPage(): boolean {
  const active = document.activeElement;
  return active === null || active === document.body || active.matches("main, main h1");
}
