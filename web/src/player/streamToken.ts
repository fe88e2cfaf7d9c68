import type { ApiError } from "../api/errors";
import type { StreamTokenGrant } from "../api/schema";

/**
 * A stream token grants one item's prefix: every file of the item (the
 * original, the HLS playlists and segments, the storyboard) is served at
 * `/api/v1/stream/<token>/<path>`, and the same `<path>` serves the same bytes
 * under any live token of the item. So a renewal only swaps that one path
 * segment: playlists already loaded (whose relative URIs hls.js resolved
 * against the old token) keep working, and nothing reloads.
 */
const TOKEN_SEGMENT = /^(.*\/api\/v1\/stream\/)([^/?#]+)(?=[/?#]|$)/;

/** The token in a stream URL (`/api/v1/stream/<token>[/…]`), or null. */
export function tokenOf(url: string): string | null {
  const match = TOKEN_SEGMENT.exec(url);
  return match ? (match[2] ?? null) : null;
}

/**
 * `url` with its stream token replaced by the token of `streamUrl` (the
 * current grant's `stream_url`). URLs that are not stream URLs are returned
 * unchanged, so the rewrite is safe to apply to every request a player makes.
 */
export function withCurrentToken(url: string, streamUrl: string): string {
  const token = tokenOf(streamUrl);
  if (token === null) return url;
  return url.replace(TOKEN_SEGMENT, (_all, head: string) => `${head}${token}`);
}

/**
 * `url` with its stream token left out (`/api/v1/stream/<path>`): the same
 * file of the item under whichever token, e.g. to keep a storyboard sheet
 * once loaded across renewals. URLs that are not stream URLs are unchanged.
 */
export function withoutToken(url: string): string {
  return url.replace(TOKEN_SEGMENT, (_all, head: string) => head.slice(0, -1));
}

/** Renew this long before a token expires: the request and a slow network fit in it. */
export const RENEW_MARGIN_SECONDS = 60;

/**
 * Milliseconds after a grant arrives at which to ask for the next one: a
 * minute before expiry, or at half the lifetime of a token shorter than two
 * minutes (a 3600 s token is renewed after 3540 s, a 100 s one after 50 s).
 */
export function renewDelayMs(expiresInSeconds: number): number {
  const lifetime = Math.max(10, expiresInSeconds);
  return Math.round(Math.max(lifetime * 0.5, lifetime - RENEW_MARGIN_SECONDS) * 1000);
}

/** Asks the catalogue for a fresh grant (404 when the item was withdrawn). */
export type FetchGrant = () => Promise<StreamTokenGrant>;

/** Where a player's grants come from, and what it says once they are refused for good (a 404). */
export interface StreamSource {
  grant: FetchGrant;
  gone: string;
  /** Told when the server refuses the grant for good (404, given): a page may end the player then. */
  onGone?: ((refusal: ApiError) => void) | undefined;
  /**
   * How often (ms) the grant in force is checked while the video plays, where a grant may end
   * with all of the video already buffered and no request left to fail (a share link stopped);
   * undefined: never (a signed-in viewer's grant, which adds no requests).
   */
  recheckMs?: number | undefined;
}

/**
 * Keeps a current stream grant for one item: renews it ahead of expiry (and
 * on demand, e.g. after a 404 from a segment), and tells the listener about
 * each new grant. One renewal at a time; failures are retried by the caller.
 */
export class StreamGrants {
  private grant: StreamTokenGrant | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pending: Promise<StreamTokenGrant> | null = null;
  private stopped = false;
  /** When the grant in force is renewed (epoch ms). */
  private renewAt = 0;

  constructor(
    private readonly fetchGrant: FetchGrant,
    private readonly onGrant: (grant: StreamTokenGrant, first: boolean) => void,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  /** The grant in force (null before the first answer). */
  get current(): StreamTokenGrant | null {
    return this.grant;
  }

  /** `url` moved onto the current token. */
  rewrite(url: string): string {
    return this.grant ? withCurrentToken(url, this.grant.stream_url) : url;
  }

  /**
   * Gets a grant now (a renewal in flight is shared) and schedules the next. Until one comes,
   * the grant in force is due: asked for again (see `resume`), it is renewed, not given again
   * (a renewal is asked for when it ended, its files refused: 403, 404).
   */
  renew(): Promise<StreamTokenGrant> {
    if (this.pending) return this.pending;
    clearTimeout(this.timer);
    this.renewAt = 0;
    const first = this.grant === null;
    this.pending = this.fetchGrant()
      .then((grant) => {
        if (this.stopped) return grant;
        this.grant = grant;
        this.renewIn(renewDelayMs(grant.expires_in));
        this.onGrant(grant, first);
        return grant;
      })
      .catch((error: unknown) => {
        if (!this.stopped) this.onFailure(error);
        throw error;
      })
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }

  /**
   * Tries again after `ms` (after a failure the caller judged temporary): renews, or with `keep`
   * gives the grant in force again (its files failed for a reason no new token cures), which
   * is still renewed when due.
   */
  retryIn(ms: number, keep = false): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => (keep ? this.again() : void this.renew().catch(() => undefined)), ms);
  }

  /**
   * Tries again now, on the grant in force while it holds (see `again`): the viewer pressed play
   * or seeked, or the browser came online, while loading was stopped by an outage. A new token
   * cures no outage: one per event was a storm of token requests while the media store was away.
   */
  resume(): void {
    clearTimeout(this.timer);
    if (!this.stopped) this.again();
  }

  private renewIn(ms: number): void {
    this.renewAt = Date.now() + ms;
    this.timer = setTimeout(() => void this.renew().catch(() => undefined), ms);
  }

  /** The grant in force given again, or renewed when there is none or it is due. */
  private again(): void {
    const due = this.renewAt - Date.now();
    if (!this.grant || due <= 0) return void this.renew().catch(() => undefined);
    this.renewIn(due);
    this.onGrant(this.grant, false);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
