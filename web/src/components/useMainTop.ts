import { useLayoutEffect, useRef, type RefObject } from "react";

/**
 * Keeps `--main-top` on the app's root element at where `main` starts, in px from the page's
 * top: below the header and the notices the layout shows above every page (a generated
 * password, a session that ended, a lost change). The watch page's player takes the window's
 * height less this, so that its control bar stays in view however tall they are (a header
 * folded or wrapped, a notice on one line or three); a constant for the header alone put it
 * below the fold. Measured again whenever the header or the notices change size (the
 * window's width too). Returns the refs for the root, the header and the notices' box.
 */
export function useMainTop(main: RefObject<HTMLElement | null>) {
  const app = useRef<HTMLDivElement>(null);
  const header = useRef<HTMLElement>(null);
  const notices = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const root = app.current;
    const start = main.current;
    // jsdom has no ResizeObserver; the stylesheet's fallback stands in.
    if (!root || !start || typeof ResizeObserver !== "function") return;
    const measure = () => {
      const top = start.getBoundingClientRect().top + window.scrollY;
      root.style.setProperty("--main-top", `${Math.ceil(top)}px`);
    };
    const observer = new ResizeObserver(measure);
    for (const above of [header.current, notices.current]) if (above) observer.observe(above);
    return () => observer.disconnect();
  }, [main]);
  return { app, header, notices };
}
