import { useEffect, useSyncExternalStore } from "react";
import { withoutToken } from "./streamToken";

/** A sheet on its way (its request, to abort when the item goes) or loaded (its object URL). */
type Sheet = { loading: AbortController; picture?: undefined } | { loading?: undefined; picture: string };

/**
 * One item's storyboard sprite sheets, each downloaded once and kept as an
 * object URL for the preview to draw. A sheet's URL carries the stream token,
 * so after each renewal the browser's cache missed and a sheet (~420 KB for
 * 100 tiles) was downloaded again, competing with the segments on a slow
 * link; here a sheet is known by its path without the token. A sheet is
 * loaded when the preview first needs it, on the token in force then.
 */
export class StoryboardSheets {
  private readonly sheets = new Map<string, Sheet>();
  private readonly listeners = new Set<() => void>();
  private closed = false;

  /** `rewrite` moves a sheet's URL onto the token in force. */
  constructor(private readonly rewrite: (url: string) => string) {}

  /** The object URL of the sheet at `url` once it is loaded, else null. */
  picture(url: string): string | null {
    return this.sheets.get(withoutToken(url))?.picture ?? null;
  }

  /** Calls `changed` when a sheet has loaded; the returned function stops. */
  subscribe = (changed: () => void): (() => void) => {
    this.listeners.add(changed);
    return () => this.listeners.delete(changed);
  };

  /** Loads the sheet at `url` unless it is loaded or on its way; a failed one is tried again when next wanted. */
  want(url: string): void {
    const key = withoutToken(url);
    if (this.closed || this.sheets.has(key)) return;
    const loading = new AbortController();
    this.sheets.set(key, { loading });
    void this.load(url, loading.signal).then((picture) => {
      if (loading.signal.aborted) {
        if (picture) URL.revokeObjectURL(picture);
        return;
      }
      if (picture === null) {
        this.sheets.delete(key);
        return;
      }
      this.sheets.set(key, { picture });
      for (const changed of this.listeners) changed();
    });
  }

  /** The item goes: every sheet is let go (its object URL revoked) and loads on the way stopped. */
  close(): void {
    this.closed = true;
    for (const sheet of this.sheets.values()) {
      if (sheet.picture !== undefined) URL.revokeObjectURL(sheet.picture);
      else sheet.loading.abort();
    }
    this.sheets.clear();
    this.listeners.clear();
  }

  private async load(url: string, signal: AbortSignal): Promise<string | null> {
    try {
      const answer = await fetch(new URL(this.rewrite(url), location.href), { credentials: "same-origin", signal });
      // No preview is not an error worth showing: seeking works without pictures.
      return answer.ok ? URL.createObjectURL(await answer.blob()) : null;
    } catch {
      return null;
    }
  }
}

/**
 * The object URL of the storyboard sheet at `url` (null while it loads, or
 * when there is no sheet or no sheets), loading it once when first asked for.
 */
export function useSheetPicture(sheets: StoryboardSheets | null, url: string | null): string | null {
  useEffect(() => {
    if (sheets && url) sheets.want(url);
  }, [sheets, url]);
  return useSyncExternalStore(sheets?.subscribe ?? noSubscription, () => (sheets && url ? sheets.picture(url) : null));
}

function noSubscription(): () => void {
  return () => undefined;
}
