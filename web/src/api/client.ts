import createClient from "openapi-fetch";
import { keepLostChange } from "../lib/draftStore";
import { errorFromAnswer, networkError } from "./errors";
import type { paths, TokenPair } from "./schema";
import { hasSessionMarker, setSessionMarker, signedInUserId } from "./session";
import { accessTokenExpiresWithin, clearAccessToken, getAccessToken, setAccessToken } from "./tokenStore";

export const API_BASE = "/api/v1";

/**
 * The typed client generated from the app's OpenAPI document (`npm run
 * gen:api`): paths, parameters and bodies are checked against it. Calls go
 * through `request()` (a change: `requestChange()`), which adds the bearer and the
 * refresh-and-retry.
 */
export const api = createClient<paths>({
  // Absolute, so that the Request constructor accepts it outside a browser too.
  baseUrl: typeof location === "undefined" ? "" : location.origin,
  credentials: "same-origin",
  headers: { Accept: "application/json" },
  // Looked up on every call rather than captured once, so a test's
  // interception (MSW) that starts after this module loads still applies.
  fetch: (req) => globalThis.fetch(req),
});

/**
 * Who may call an operation, as the client sees it:
 * - `user`: needs the bearer; a 401 refreshes once and retries once;
 * - `optional`: public, personalised when signed in; when the session cannot
 *   be refreshed the call is retried anonymously (an ended session falls back
 *   to browsing instead of failing);
 * - `none`: sign-in, registration: never a bearer, never a refresh.
 */
export type Access = "user" | "optional" | "none";

export type AuthHeaders = { Authorization?: string };

interface Answer {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/** The body of a successful answer, as the schema declares it. */
export type Success<R> = R extends { data: infer D } ? D : never;

async function send<R extends Answer>(call: (headers: AuthHeaders) => Promise<R>, token: string | null): Promise<R> {
  try {
    return await call(token === null ? {} : { Authorization: `Bearer ${token}` });
  } catch (cause) {
    if ((cause as { name?: unknown } | null)?.name === "AbortError") throw cause;
    throw networkError(cause);
  }
}

/**
 * Runs one typed call (`headers => api.GET(...)`) and returns its body.
 * Throws ApiError for every non-2xx answer and for network failures.
 */
export function request<R extends Answer>(
  call: (headers: AuthHeaders) => Promise<R>,
  access: Access = "user",
): Promise<Success<R>> {
  return run(call, access, null);
}

/**
 * Runs one call that changes something of the signed-in user's, as `request()` does.
 * `what` names the change ("revoking a session") for when it is refused because the session
 * ended meanwhile (revoked elsewhere, expired): the page goes to sign-in, and the change is
 * said to be lost once the same user is back (`keepLostChange`), since nothing said so before.
 */
export function requestChange<R extends Answer>(
  what: string,
  call: (headers: AuthHeaders) => Promise<R>,
): Promise<Success<R>> {
  return run(call, "user", what);
}

let changesMade = 0;
const changeListeners = new Set<() => void>();

/**
 * Follows the changes this tab makes (every `requestChange` answered 2xx): for what another
 * part of the page shows of the server's state (the admins' counts) to be read again.
 * Returns the unsubscribe; `changesMadeSoFar` is the store's value (useSyncExternalStore).
 */
export function followChanges(listener: () => void): () => void {
  changeListeners.add(listener);
  return () => changeListeners.delete(listener);
}

/** How many changes this tab has made so far (see `followChanges`). */
export function changesMadeSoFar(): number {
  return changesMade;
}

async function run<R extends Answer>(
  call: (headers: AuthHeaders) => Promise<R>,
  access: Access,
  change: string | null,
): Promise<Success<R>> {
  const usedToken = access === "none" ? null : getAccessToken();
  // Whose change it is, read before the session can end under it.
  const owner = change === null ? null : signedInUserId();
  let result = await send(call, usedToken);
  if (result.response.status === 401 && access !== "none") {
    const fresh = await tokenAfter401(usedToken);
    if (fresh !== null) {
      discard(result.response);
      result = await send(call, fresh); // retried once, never more
    } else if (access === "optional" && usedToken !== null) {
      discard(result.response);
      result = await send(call, null);
    } else if (change !== null && owner !== null) {
      keepLostChange(owner, change);
    }
  }
  if (!result.response.ok) throw errorFromAnswer(result.error, result.response);
  if (change !== null) {
    changesMade += 1;
    changeListeners.forEach((listener) => listener());
  }
  return result.data as Success<R>;
}

/** Releases an unread body without waiting for it. */
function discard(res: Response): void {
  if (!res.bodyUsed) res.body?.cancel().catch(() => undefined);
}

async function tokenAfter401(usedToken: string | null): Promise<string | null> {
  // Another call may already have refreshed while this one was in flight.
  const current = getAccessToken();
  if (current !== null && current !== usedToken) return current;
  // No token and no session cookie: there is nothing to refresh.
  if (usedToken === null && !hasSessionMarker()) return null;
  return refreshAccessToken();
}

let refreshInFlight: Promise<string | null> | null = null;

/**
 * Exchanges the HttpOnly refresh cookie for a new access token. Concurrent
 * callers share one request (the cookie rotates, so two would race).
 * Resolves to the new token, or null when there is no valid session (the
 * in-memory token and the session marker are then cleared). Rejects with an
 * ApiError on other failures (network, 5xx), leaving the current token alone.
 */
export function refreshAccessToken(): Promise<string | null> {
  refreshInFlight ??= withRefreshLock(doRefresh).finally(() => {
    refreshInFlight = null;
  });
  return refreshInFlight;
}

export const REFRESH_LOCK = "streamstack-auth-refresh";

/**
 * Refresh tokens rotate, and the server treats a reuse outside its short
 * grace window as theft, so two tabs must not refresh with the same cookie
 * at once. A Web Lock serialises refreshes across the tabs of this origin.
 * (navigator.locks exists on HTTPS and localhost; elsewhere: no lock.)
 */
async function withRefreshLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator === "undefined" ? undefined : navigator.locks;
  if (!locks || typeof locks.request !== "function") return fn();
  let result: { value: T } | null = null;
  await locks.request(REFRESH_LOCK, { mode: "exclusive" }, async () => {
    result = { value: await fn() };
  });
  if (result === null) throw new Error("refresh lock released without a result");
  return (result as { value: T }).value;
}

async function doRefresh(): Promise<string | null> {
  // keepalive: if the user reloads or leaves while this is in flight, the
  // browser still completes it and stores the rotated cookie; otherwise the
  // next load would present the used-up refresh token again.
  const { data, error, response } = await send(
    () =>
      api.POST("/api/v1/auth/refresh", {
        body: {},
        headers: { "X-Refresh-Cookie": "1" },
        keepalive: true,
      }),
    null,
  );
  if (response.status === 401 || response.status === 403) {
    endSession();
    return null;
  }
  if (!data) throw errorFromAnswer(error, response);
  keepTokens(data);
  return data.access_token;
}

function keepTokens(tokens: TokenPair): void {
  setAccessToken(tokens.access_token, tokens.expires_in);
  setSessionMarker(true);
}

/** Forgets the access token and that a session cookie exists. */
export function endSession(): void {
  setSessionMarker(false);
  clearAccessToken();
}

/** Forgets a pending refresh (tests: a handler may never answer one). */
export function resetRefreshState(): void {
  refreshInFlight = null;
}

/**
 * A token valid for at least `marginMs` more, refreshing first if needed;
 * null when signed out (without asking the server when no session exists).
 */
export async function getFreshAccessToken(marginMs = 60_000): Promise<string | null> {
  if (!accessTokenExpiresWithin(marginMs)) return getAccessToken();
  if (getAccessToken() === null && !hasSessionMarker()) return null;
  return refreshAccessToken();
}

/** Restores the session on load: null at once when this browser has none. */
export function restoreSession(): Promise<string | null> {
  return hasSessionMarker() ? refreshAccessToken() : Promise.resolve(null);
}

/**
 * Sends credentials, with the code of an account that has two-factor authentication on
 * (an app's code or a recovery code; none until the server asks: `two_factor_required`);
 * on success the access token is kept in memory.
 */
export async function login(email: string, password: string, code?: string): Promise<TokenPair> {
  const body = code === undefined ? { email, password } : { email, password, code };
  const tokens = await request(
    () => api.POST("/api/v1/auth/login", { body, headers: { "X-Refresh-Cookie": "1" } }),
    "none",
  );
  keepTokens(tokens);
  return tokens;
}
