import { useEffect, useSyncExternalStore } from "react";
import { withoutToken } from "./streamToken";

/** A sheet on its way (its request, to abort when the item goes) or loaded (its object URL). */
type Sheet = { loading: AbortController; url: string; picture?: undefined } | { loading?: undefined; picture: string };

/**
 * One item's storyboard sprite sheets, each downloaded once and kept as an
 * object URL for the preview to draw. A sheet's URL carries the stream token,
 * so after each renewal the browser's cache missed and a sheet (~420 KB for
 * 100 tiles) was downloaded again, competing with the segments on a slow
 * link; here a sheet is known by its path without the token. A sheet is
 * loaded when the preview first needs it, on the token in force then, at low
 * priority, and never while a seek waits for its segment (see yieldToSeek).
 */
export class StoryboardSheets {
  private readonly sheets = new Map<string, Sheet>();
  private readonly listeners = new Set<() => void>();
  private closed = false;
  /** A seek waits for its segment: sheets wanted meanwhile (by their URL) load once it has it. */
  private held: Set<string> | null = null;

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
    if (this.held) {
      this.held.add(url);
      return;
    }
    const loading = new AbortController();
    this.sheets.set(key, { loading, url });
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

  /**
   * A seek waits for its segment: sheets on their way are stopped (a 560 kB sheet, loaded by the
   * hover before every click, held up the seek's 280 kB segment for seconds on a slow link)
   * and, with any wanted meanwhile, load again once `resume` is called (the seek has its picture).
   */
  yieldToSeek(): void {
    if (this.closed) return;
    this.held ??= new Set();
    for (const [key, sheet] of this.sheets) {
      if (sheet.loading === undefined) continue;
      sheet.loading.abort();
      this.sheets.delete(key);
      this.held.add(sheet.url);
    }
  }

  /** The seek has its picture: the sheets held back load now. */
  resume(): void {
    const held = this.held;
    this.held = null;
    for (const url of held ?? []) this.want(url);
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
      // Low: the segments the picture waits for go first.
      const answer = await fetch(new URL(this.rewrite(url), location.href), {
        credentials: "same-origin",
        signal,
        priority: "low",
      });
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
