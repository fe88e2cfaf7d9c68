import { useEffect } from "react";

/**
 * While `active`, the browser asks before the page is closed or reloaded (`beforeunload`):
 * work running in this tab (an upload, a bulk action over many videos) would stop half
 * done, or an edit not saved be lost. The one place the SPA sets that prompt.
 */
export function useLeaveWarning(active: boolean): void {
  useEffect(() => {
    if (!active) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [active]);
}
