import { http, HttpResponse, type JsonBodyType } from "msw";
import { setupServer } from "msw/node";
import type { CommentPage } from "../api/comments";
import type { LikedPage, Liking } from "../api/likes";
import type { ErrorBody, LibraryCounts, TagCount, TokenPair, TranscodingStatus, UserView } from "../api/schema";

/**
 * The API as the tests see it: Mock Service Worker intercepts `fetch` at the
 * network boundary, so the real client (openapi-fetch, refresh and retry)
 * runs unchanged. Each test declares its handlers with `server.use(...)`;
 * a request no handler answers fails the test (see setup.ts). The two
 * exceptions are the accounts' public configuration, which the sign-in page
 * reads wherever it shows: open registration, no mail, unless a test says;
 * the transcoding queue, which the library reads: nothing waiting, one
 * worker; the library's counts, which the admins' nav and library read: none; and the
 * tags, which Browse suggests: none; and the sign-in email the Account page's viewer asked for:
 * none.
 */
export const server = setupServer(
  http.get("/api/v1/auth/config", () =>
    HttpResponse.json({ registration_mode: "open", mail: false }),
  ),
  http.get("/api/v1/ingest/transcoding", () => HttpResponse.json(transcodingStatus())),
  http.get("/api/v1/catalogue/counts", () => HttpResponse.json(libraryCounts())),
  http.get("/api/v1/catalogue/tags", () => HttpResponse.json({ tags: [] })),
  http.get("/api/v1/auth/me/email", () => HttpResponse.json({ pending_email: null, expires_at: null, taken: false })),
);

/** The library's counts: nothing anywhere, unless `changes` say (each part whole). */
export function libraryCounts(changes: Partial<LibraryCounts> = {}): LibraryCounts {
  const status = { all: 0, draft: 0, scheduled: 0, published: 0 };
  const processing = { none: 0, queued: 0, processing: 0, ready: 0, failed: 0, outdated: 0 };
  return { status, processing, reported_comments: 0, ...changes };
}

/** The transcoding queue's status: nothing waiting and one idle worker, unless `changes` say. */
export function transcodingStatus(changes: Partial<TranscodingStatus> = {}): TranscodingStatus {
  const worker = {
    id: "0123456789abcdef",
    host: "media-1",
    pid: 4242,
    concurrency: 1,
    running: 0,
    started_at: "2026-12-01T09:00:00Z",
    last_seen_at: "2026-12-01T10:00:00Z",
  };
  return { state: "idle", waiting: 0, running: 0, stranded: 0, requeued_within_seconds: 60, workers: [worker], seen_within_seconds: 30, ...changes };
}

export { http, HttpResponse };

/** `/api/v1/...` on the page's origin, as MSW matches it. */
export const API = "/api/v1";

export interface SeenRequest {
  method: string;
  url: URL;
  headers: Headers;
  /** The request as sent, still readable: `await seen.request.json()`. */
  request: Request;
  keepalive: boolean;
}

/**
 * Every request the page sent, in order: MSW's life-cycle events, which see
 * requests whether or not a handler answered them.
 */
export function recordRequests(): SeenRequest[] {
  const seen: SeenRequest[] = [];
  server.events.on("request:start", ({ request }) => {
    seen.push({
      method: request.method,
      url: new URL(request.url),
      headers: new Headers(request.headers),
      request: request.clone(),
      keepalive: request.keepalive,
    });
  });
  return seen;
}

/** The requests to one method and path. */
export function sentTo(seen: SeenRequest[], method: string, path: string): SeenRequest[] {
  return seen.filter((r) => r.method === method && r.url.pathname === path);
}

/**
 * An answer held back: a handler awaits `held`, and the request runs until `release()` is
 * called (to see what a page shows while it waits).
 */
export function holdAnswer(): { held: Promise<void>; release: () => void } {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  return { held, release };
}

export function apiError(status: number, code: string, detail: string, headers: Record<string, string> = {}) {
  const body: ErrorBody = { status, code, detail, request_id: "req-test" };
  return HttpResponse.json(body, { status, headers });
}

export function ok<T extends JsonBodyType>(body: T) {
  return HttpResponse.json(body);
}

export function noContent() {
  return new HttpResponse(null, { status: 204 });
}

export const ADMIN: UserView = {
  id: "u-admin",
  email: "admin@example.com",
  display_name: "Ada Admin",
  role: "admin",
  created_at: "2026-01-01T00:00:00Z",
  last_signed_in_at: "2026-01-01T00:00:00Z",
};

export const VIEWER: UserView = {
  id: "u-viewer",
  email: "viewer@example.com",
  display_name: null,
  role: "viewer",
  created_at: "2026-01-02T00:00:00Z",
  last_signed_in_at: null,
};

export function tokens(access: string, expiresIn = 1800): TokenPair {
  return { access_token: access, refresh_token: null, token_type: "bearer", expires_in: expiresIn };
}

/** The Account page's two-factor authentication, off. */
export const twoFactorOff = () =>
  http.get(`${API}/auth/me/two-factor`, () => ok({ enabled: false, enabled_at: null, recovery_codes_left: 0 }));

/** No session: the refresh cookie is missing or refused. */
export const refreshRefused = () =>
  http.post(`${API}/auth/refresh`, () => apiError(401, "invalid_refresh_token", "No session"));

/** A session the refresh cookie restores, answering with `access`. */
export const refreshGives = (access: string) => http.post(`${API}/auth/refresh`, () => ok(tokens(access)));

/** A signed-in viewer who has watched nothing: Browse's "Continue watching" row and progress bars stay empty. */
export const nothingWatched = () =>
  ["continue-watching", "history"].map((list) =>
    http.get(`${API}/catalogue/me/${list}`, () => ok({ items: [], total: 0, page: 1, page_size: 12 })),
  );

/** The catalogue's tag list (the admin library's tag filter reads it): `tags`, none by default. */
export const tagList = (tags: TagCount[] = []) => http.get(`${API}/catalogue/tags`, () => ok({ tags }));

/**
 * A signed-in session (restored on load as "tok-old", for `who()`) that ends elsewhere once
 * `end()` is called: from then on "tok-old" is refused (`unlessEnded` wraps a handler's
 * answer so) and so is the refresh cookie; signing in again gives "tok-new". The test marks
 * the browser as having had a session (`hadSession`).
 */
export function sessionEndingElsewhere(who: () => UserView) {
  let ended = false;
  const unlessEnded =
    <T,>(answer: () => T) =>
    ({ request }: { request: Request }) =>
      ended && request.headers.get("Authorization") === "Bearer tok-old"
        ? apiError(401, "token_revoked", "Token revoked")
        : answer();
  server.use(
    http.post(`${API}/auth/refresh`, () => ok(tokens("tok-old")), { once: true }),
    refreshRefused(),
    http.post(`${API}/auth/login`, () => ok(tokens("tok-new"))),
    http.get(`${API}/auth/me`, unlessEnded(() => ok(who()))),
  );
  return { unlessEnded, end: () => (ended = true) };
}

/** An item without comments, open to them: the watch page reads its comments wherever it shows. */
export const noComments = () =>
  http.get(`${API}/catalogue/:id/comments`, () => ok({ comments: [], total: 0, enabled: true, next: null }));

/**
 * Top-level comments' replies (`GET /comments/{id}/replies`), oldest first: `pages[id][cursor]`,
 * "" the first page; any other comment is 404 `comment_not_found`, as a reply's id is.
 */
export const repliesServed = (pages: Record<string, Record<string, CommentPage>>) =>
  http.get(`${API}/catalogue/comments/:id/replies`, ({ params, request }) => {
    const page = pages[String(params.id)]?.[new URL(request.url).searchParams.get("cursor") ?? ""];
    return page ? ok(page) : apiError(404, "comment_not_found", "no such comment");
  });

/**
 * The likes of items as the server keeps them: Like (PUT) and its undoing (DELETE) answer
 * the item's count after the change, counting one like per viewer however often it is sent.
 */
export function likesKept(counts: Record<string, number> = {}, likedByViewer: string[] = []) {
  const liked = new Set(likedByViewer);
  const answer = (id: string, like: boolean): Liking => {
    if (like !== liked.has(id)) counts[id] = (counts[id] ?? 0) + (like ? 1 : -1);
    if (like) liked.add(id);
    else liked.delete(id);
    return { liked: like, like_count: counts[id] ?? 0 };
  };
  return [
    http.put<{ id: string }>(`${API}/catalogue/:id/like`, ({ params }) => ok(answer(params.id, true))),
    http.delete<{ id: string }>(`${API}/catalogue/:id/like`, ({ params }) => ok(answer(params.id, false))),
  ];
}

/** The viewer's liked videos: `page(n)` answers `?page=n` (the first page without one). */
export const likedVideos = (page: (n: number) => LikedPage) =>
  http.get(`${API}/catalogue/me/likes`, ({ request }) => ok(page(Number(new URL(request.url).searchParams.get("page") ?? 1))));
