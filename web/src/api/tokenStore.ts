// The access token lives here, in module memory only: never in localStorage,
// sessionStorage or a cookie readable by JavaScript. A reload loses it; the
// app then restores the session through the HttpOnly refresh cookie.

type Listener = (token: string | null) => void;

let accessToken: string | null = null;
let expiresAt = 0;
const listeners = new Set<Listener>();

export function getAccessToken(): string | null {
  return accessToken;
}

/** True when there is no token or it expires within `marginMs`. */
export function accessTokenExpiresWithin(marginMs: number, now: number = Date.now()): boolean {
  return accessToken === null || expiresAt - now <= marginMs;
}

export function setAccessToken(token: string, expiresInSeconds: number, now: number = Date.now()): void {
  accessToken = token;
  expiresAt = now + expiresInSeconds * 1000;
  notify();
}

export function clearAccessToken(): void {
  if (accessToken === null) return;
  accessToken = null;
  expiresAt = 0;
  notify();
}

export function subscribeToken(listener: Listener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

function notify(): void {
  for (const listener of [...listeners]) listener(accessToken);
}
