/**
 * Which file each tab of this browser is sending now, kept in localStorage by a heartbeat: the
 * same file picked in two tabs made the second join the first one's upload (taking its title),
 * and the two then fought over it, each told the server was busy with the other's part.
 */
const PREFIX = "streamstack.sending::";
/** How often a tab sending a file says so. */
export const HEARTBEAT_MS = 2000;
/** A mark older than this is a tab closed or frozen: no longer sending. */
const STALE_MS = 3 * HEARTBEAT_MS;
/** This tab, told apart from the others. */
const THIS_TAB = crypto.randomUUID();

/** The key of `file` (sent as a new video, or as the new file of the item `replaces`). */
export function sendingKey(file: File, replaces = ""): string {
  return PREFIX + [file.name, file.type, file.size, file.lastModified, replaces].join("-");
}

/** Whether another tab of this browser is sending `file` now. */
export function sentByAnotherTab(file: File, replaces?: string): boolean {
  try {
    const mark = JSON.parse(localStorage.getItem(sendingKey(file, replaces)) ?? "null") as { tab?: string; at?: number } | null;
    return mark !== null && mark.tab !== THIS_TAB && Date.now() - (mark.at ?? 0) < STALE_MS;
  } catch {
    // No storage (private mode), or a mark not ours to read: nothing known of other tabs.
    return false;
  }
}

/** Says this tab sends `file` until the function returned is called. */
export function markSending(file: File, replaces?: string): () => void {
  const key = sendingKey(file, replaces);
  const beat = () => {
    try {
      localStorage.setItem(key, JSON.stringify({ tab: THIS_TAB, at: Date.now() }));
    } catch {
      // No storage: other tabs cannot be told.
    }
  };
  beat();
  const timer = window.setInterval(beat, HEARTBEAT_MS);
  return () => {
    window.clearInterval(timer);
    try {
      localStorage.removeItem(key);
    } catch {
      // No storage: nothing was marked.
    }
  };
}
