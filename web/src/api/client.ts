import { ApiError, errorFromResponse, networkError } from "./errors";
import { accessTokenExpiresWithin, clearAccessToken, getAccessToken, setAccessToken } from "./tokenStore";
import type { TokenResponse } from "./types";

export const API_BASE = "/api/v1";

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  method?: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** Serialised as JSON. */
  body?: unknown;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Let the request finish even if the page navigates away (see doRefresh). */
  keepalive?: boolean;
  /**
   * Attach the access token and, on a 401, refresh it through the cookie and
   * retry once. Off for login/register/refresh themselves. Default true.
   */
  auth?: boolean;
}

export function buildUrl(path: string, query?: Record<string, QueryValue>): string {
  const url = path.startsWith("/api/") ? path : `${API_BASE}${path}`;
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    params.set(key, String(value));
  }
  const qs = params.toString();
  return qs === "" ? url : `${url}${url.includes("?") ? "&" : "?"}${qs}`;
}

async function send(url: string, opts: RequestOptions, token: string | null): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json", ...opts.headers };
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  try {
    return await fetch(url, {
      method: opts.method ?? "GET",
      headers,
      body,
      credentials: "same-origin",
      signal: opts.signal,
      keepalive: opts.keepalive,
    });
  } catch (cause) {
    if (opts.signal?.aborted) throw cause; // let AbortError through untouched
    throw networkError(cause);
  }
}

async function parseBody<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  if (text === "") return undefined as T;
  return JSON.parse(text) as T;
}

/** Releases an unread body without waiting for it. */
function discard(res: Response): void {
  res.body?.cancel().catch(() => undefined);
}

let refreshInFlight: Promise<string | null> | null = null;

/**
 * Exchanges the HttpOnly refresh cookie for a new access token. Concurrent
 * callers share one request (the cookie rotates, so two would race).
 * Resolves to the new token, or null when there is no valid session (the
 * in-memory token is then cleared). Rejects with an ApiError on other
 * failures (network, 5xx), leaving the current token alone.
 */
export function refreshAccessToken(): Promise<string | null> {
  refreshInFlight ??= withRefreshLock(doRefresh).finally(() => {
    refreshInFlight = null;
  });
  return refreshInFlight;
}

export const REFRESH_LOCK = "streamstack-auth-refresh";

/**
 * Refresh tokens rotate and the server revokes the whole session when one is
 * presented twice, so two tabs must never refresh with the same cookie at
 * once. A Web Lock serialises refreshes across the tabs of this origin: the
 * second tab's request goes out after the first one's new cookie is stored.
 * (navigator.locks exists on HTTPS and localhost; elsewhere: no lock.)
 */
async function withRefreshLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
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
  // browser still completes it and stores the rotated cookie. Otherwise the
  // server would have used up the old refresh token while the browser kept
  // it, and the next page load would present it again, which the server
  // treats as token theft and answers by revoking the session.
  const res = await send(
    `${API_BASE}/auth/refresh`,
    { method: "POST", body: {}, headers: { "X-Refresh-Cookie": "1" }, keepalive: true },
    null,
  );
  if (res.status === 401 || res.status === 403) {
    discard(res);
    clearAccessToken();
    return null;
  }
  if (!res.ok) throw await errorFromResponse(res);
  const tokens = await parseBody<TokenResponse>(res);
  setAccessToken(tokens.access_token, tokens.expires_in);
  return tokens.access_token;
}

/** Forgets a pending refresh (tests: a fake server may never answer one). */
export function resetRefreshState(): void {
  refreshInFlight = null;
}

/** A token valid for at least `marginMs` more, refreshing first if needed. */
export async function getFreshAccessToken(marginMs = 60_000): Promise<string | null> {
  if (!accessTokenExpiresWithin(marginMs)) return getAccessToken();
  return refreshAccessToken();
}

/**
 * Calls the API and returns the parsed JSON body (undefined for 204).
 * Throws ApiError for every non-2xx answer and for network failures.
 */
export async function apiRequest<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const url = buildUrl(path, opts.query);
  const useAuth = opts.auth ?? true;
  const usedToken = useAuth ? getAccessToken() : null;
  let res = await send(url, opts, usedToken);

  if (res.status === 401 && useAuth) {
    // Another call may already have refreshed while this one was in flight.
    const current = getAccessToken();
    const fresh = current !== null && current !== usedToken ? current : await refreshAccessToken();
    if (fresh !== null) {
      discard(res);
      res = await send(url, opts, fresh); // retried once, never more
    }
  }

  if (!res.ok) throw await errorFromResponse(res);
  return parseBody<T>(res);
}

/** Sends credentials; on success the access token is stored in memory. */
export async function login(email: string, password: string): Promise<TokenResponse> {
  const tokens = await apiRequest<TokenResponse>("/auth/login", {
    method: "POST",
    body: { email, password },
    headers: { "X-Refresh-Cookie": "1" },
    auth: false,
  });
  setAccessToken(tokens.access_token, tokens.expires_in);
  return tokens;
}

export { ApiError };
