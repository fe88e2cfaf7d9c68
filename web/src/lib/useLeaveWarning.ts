import { useEffect } from "react";

/**
 * While `active`, the browser asks before the page is closed or reloaded (`beforeunload`):
 * work running in this tab (a bulk action over many videos) would stop half done.
 */
export function useLeaveWarning(active: boolean): void {
  useEffect(() => {
    if (!active) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [active]);
}
