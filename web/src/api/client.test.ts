import { afterEach, describe, expect, it, vi } from "vitest";
import { hadSession } from "../test/fixtures";
import {
  API,
  apiError,
  http,
  HttpResponse,
  noContent,
  ok,
  recordRequests,
  refreshGives,
  refreshRefused,
  sentTo,
  server,
  tokens,
  VIEWER,
} from "../test/server";
import { getMe, listSessions, listUsers, logout } from "./auth";
import { getStreamToken, listCatalogue } from "./catalogue";
import { getFreshAccessToken, login, REFRESH_LOCK, refreshAccessToken, restoreSession } from "./client";
import { ApiError, errorFromAnswer, parseRetryAfter } from "./errors";
import { hasSessionMarker } from "./session";
import { getAccessToken, setAccessToken, subscribeToken } from "./tokenStore";

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const ME = `${API}/auth/me`;
const REFRESH = `${API}/auth/refresh`;

describe("request", () => {
  it("sends the access token as a Bearer header, same-origin", async () => {
    server.use(http.get(ME, () => ok(VIEWER)));
    const seen = recordRequests();
    setAccessToken("tok-1", 1800);

    await expect(getMe()).resolves.toEqual(VIEWER);

    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers.get("Authorization")).toBe("Bearer tok-1");
    expect(seen[0]?.request.credentials).toBe("same-origin");
  });

  it("on a 401 refreshes the token through the cookie and retries the call once", async () => {
    server.use(
      http.get(ME, () => apiError(401, "token_expired", "Access token expired"), { once: true }),
      refreshGives("tok-new"),
      http.get(ME, () => ok(VIEWER)),
    );
    const seen = recordRequests();
    setAccessToken("tok-old", 1800);

    await expect(getMe()).resolves.toEqual(VIEWER);

    expect(seen.map((r) => `${r.method} ${r.url.pathname}`)).toEqual([`GET ${ME}`, `POST ${REFRESH}`, `GET ${ME}`]);
    const [first, refresh, retry] = seen;
    expect(first?.headers.get("Authorization")).toBe("Bearer tok-old");
    expect(refresh?.headers.get("X-Refresh-Cookie")).toBe("1");
    expect(refresh?.headers.get("Authorization")).toBeNull();
    expect(await refresh?.request.json()).toEqual({});
    // Survives a reload mid-flight, so the rotated cookie is never lost.
    expect(refresh?.keepalive).toBe(true);
    expect(retry?.headers.get("Authorization")).toBe("Bearer tok-new");
    expect(getAccessToken()).toBe("tok-new");
    expect(hasSessionMarker()).toBe(true);
  });

  it("asks for a stream grant with a token that has two minutes left, refreshing first", async () => {
    const grant = { stream_url: "/api/v1/stream/t", expires_in: 1800, hls_url: null };
    server.use(refreshGives("tok-new"), http.post(`${API}/catalogue/:id/stream-token`, () => ok(grant)));
    const seen = recordRequests();
    setAccessToken("tok-long", 1800);
    await expect(getStreamToken("m-1")).resolves.toEqual(grant);
    expect(seen.map((r) => r.headers.get("Authorization"))).toEqual(["Bearer tok-long"]);
    // A grant ends with the token that asked: one about to expire is replaced first.
    hadSession();
    setAccessToken("tok-ending", 90);
    await getStreamToken("m-1");
    expect(seen.slice(1).map((r) => `${r.method} ${r.url.pathname} ${r.headers.get("Authorization")}`)).toEqual([
      `POST ${REFRESH} null`,
      `POST ${API}/catalogue/m-1/stream-token Bearer tok-new`,
    ]);
  });

  it("retries only once: a second 401 is thrown as an ApiError", async () => {
    server.use(http.get(ME, () => apiError(401, "invalid_token", "Nope")), refreshGives("tok-new"));
    const seen = recordRequests();
    setAccessToken("tok-old", 1800);

    const error = await getMe().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, code: "invalid_token", detail: "Nope" });
    expect(sentTo(seen, "GET", ME)).toHaveLength(2);
    expect(sentTo(seen, "POST", REFRESH)).toHaveLength(1);
  });

  it("ends the session when the refresh is refused", async () => {
    hadSession();
    server.use(http.get(ME, () => apiError(401, "token_revoked", "Revoked")), refreshRefused());
    const seen = recordRequests();
    setAccessToken("tok-old", 1800);
    const changes: (string | null)[] = [];
    const unsubscribe = subscribeToken((t) => changes.push(t));

    await expect(getMe()).rejects.toMatchObject({ status: 401, code: "token_revoked" });

    unsubscribe();
    expect(getAccessToken()).toBeNull();
    expect(changes).toEqual([null]);
    expect(hasSessionMarker()).toBe(false);
    expect(sentTo(seen, "GET", ME)).toHaveLength(1);
  });

  it("public calls fall back to anonymous when the session has ended", async () => {
    hadSession();
    const page = { items: [], total: 0, page: 1, page_size: 24 };
    server.use(
      http.get(`${API}/catalogue`, ({ request }) =>
        request.headers.has("Authorization") ? apiError(401, "token_revoked", "Token revoked") : ok(page),
      ),
      refreshRefused(),
    );
    const seen = recordRequests();
    setAccessToken("tok-revoked", 1800);

    await expect(listCatalogue({ page: 1 })).resolves.toEqual(page);

    const listed = sentTo(seen, "GET", `${API}/catalogue`);
    expect(listed.map((r) => r.headers.get("Authorization"))).toEqual(["Bearer tok-revoked", null]);
    expect(getAccessToken()).toBeNull();
  });

  it("shares one refresh between concurrent 401s", async () => {
    let refreshes = 0;
    server.use(
      http.post(REFRESH, async () => {
        refreshes += 1;
        await new Promise((r) => setTimeout(r, 10));
        return ok(tokens("tok-new"));
      }),
      http.get(ME, ({ request }) =>
        request.headers.get("Authorization") === "Bearer tok-new" ? ok(VIEWER) : apiError(401, "token_expired", "x"),
      ),
    );
    const seen = recordRequests();
    setAccessToken("tok-old", 1800);

    const results = await Promise.all([getMe(), getMe(), getMe()]);

    expect(results).toEqual([VIEWER, VIEWER, VIEWER]);
    expect(refreshes).toBe(1);
    expect(sentTo(seen, "GET", ME)).toHaveLength(6);
  });

  it("holds a cross-tab Web Lock while refreshing, when the browser has one", async () => {
    server.use(refreshGives("tok-locked"));
    const held: string[] = [];
    const lock = vi.fn(async (name: string, _opts: LockOptions, cb: () => Promise<unknown>) => {
      held.push(name);
      try {
        return await cb();
      } finally {
        held.pop();
      }
    });
    vi.stubGlobal("navigator", { ...navigator, locks: { request: lock } });

    await expect(refreshAccessToken()).resolves.toBe("tok-locked");

    expect(lock).toHaveBeenCalledTimes(1);
    expect(lock.mock.calls[0]?.[0]).toBe(REFRESH_LOCK);
    expect(held).toEqual([]);
  });

  it("never sends a bearer or refreshes for sign-in", async () => {
    server.use(http.post(`${API}/auth/login`, () => apiError(401, "invalid_credentials", "Wrong email or password")));
    const seen = recordRequests();
    setAccessToken("tok-stale", 1800);

    await expect(login("a@b.c", "wrong-password")).rejects.toMatchObject({ status: 401, code: "invalid_credentials" });

    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers.get("Authorization")).toBeNull();
    expect(await seen[0]?.request.json()).toEqual({ email: "a@b.c", password: "wrong-password" });
  });

  it("resolves a 204 No Content", async () => {
    server.use(http.post(`${API}/auth/logout`, () => noContent()));
    setAccessToken("tok", 1800);
    await expect(logout()).resolves.toBeUndefined();
  });

  it("wraps network failures in an ApiError with status 0", async () => {
    server.use(http.get(`${API}/catalogue`, () => HttpResponse.error()));
    await expect(listCatalogue({})).rejects.toMatchObject({ status: 0, code: "network_error" });
  });

  it("sends typed query parameters and leaves empty filters out", async () => {
    server.use(http.get(`${API}/catalogue`, () => ok({ items: [], total: 0, page: 2, page_size: 24 })));
    server.use(http.get(`${API}/auth/users`, () => ok({ items: [], total: 0, limit: 50, offset: 50 })));
    const seen = recordRequests();
    setAccessToken("tok", 1800);

    await listCatalogue({ q: "cat videos", tag: "", page: 2, sort: "title" });
    await listUsers({ q: "ex", limit: 50, offset: 50 });

    expect(Object.fromEntries(seen[0]!.url.searchParams)).toEqual({ q: "cat videos", page: "2", sort: "title" });
    expect(Object.fromEntries(seen[1]!.url.searchParams)).toEqual({ q: "ex", limit: "50", offset: "50" });
  });

  it("reads the session list from its {items} body", async () => {
    const session = {
      id: "s-1",
      created_at: "2026-01-01T00:00:00Z",
      last_used_at: "2026-01-02T00:00:00Z",
      expires_at: "2026-02-01T00:00:00Z",
      user_agent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0",
      current: true,
    };
    server.use(http.get(`${API}/auth/sessions`, () => ok({ items: [session] })));
    setAccessToken("tok", 1800);
    await expect(listSessions()).resolves.toEqual([session]);
  });
});

describe("ApiError parsing", () => {
  it("reads status, code, detail, request id and Retry-After", async () => {
    server.use(
      http.post(`${API}/auth/login`, () =>
        apiError(429, "too_many_attempts", "Too many sign-in attempts", { "Retry-After": "30" }),
      ),
    );
    const error = await login("a@b.c", "password1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 429,
      code: "too_many_attempts",
      detail: "Too many sign-in attempts",
      message: "Too many sign-in attempts",
      retryAfter: 30,
      requestId: "req-test",
    });
  });

  it("falls back to the status line for a body that is not our error shape", () => {
    const res = new Response(null, { status: 502, statusText: "Bad Gateway" });
    expect(errorFromAnswer("<html>Bad gateway</html>", res)).toMatchObject({
      status: 502,
      code: "http_502",
      detail: "Bad Gateway",
      retryAfter: null,
    });
  });

  it("parses Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:45 GMT", now)).toBe(45);
    expect(parseRetryAfter("garbage", now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});

describe("sessions and token storage", () => {
  it("keeps tokens out of storage: only a marker says a session cookie exists", async () => {
    server.use(
      http.post(`${API}/auth/login`, () => ok(tokens("secret-access-1"))),
      refreshGives("secret-access-2"),
      http.get(ME, () => apiError(401, "token_expired", "x"), { once: true }),
      http.get(ME, () => ok(VIEWER)),
    );

    await login("viewer@example.com", "password1");
    expect(getAccessToken()).toBe("secret-access-1");
    await getMe(); // 401 → refresh → retry
    expect(getAccessToken()).toBe("secret-access-2");

    const values = (storage: Storage) => Object.keys(storage).map((key) => storage.getItem(key) ?? "");
    const stored = [...values(localStorage), ...values(sessionStorage), document.cookie].join(" ");
    expect(stored).not.toContain("secret-access");
    expect(Object.keys(localStorage)).toEqual(["streamstack.session"]);
    expect(sessionStorage.length).toBe(0);
  });

  it("a browser that never signed in asks nothing on load", async () => {
    const seen = recordRequests();
    await expect(restoreSession()).resolves.toBeNull();
    await expect(getFreshAccessToken()).resolves.toBeNull();
    expect(seen).toEqual([]);
  });

  it("a browser that signed in before restores the session through the cookie", async () => {
    hadSession();
    server.use(refreshGives("tok-restored"));
    await expect(restoreSession()).resolves.toBe("tok-restored");
  });

  it("refreshes ahead of expiry when a fresh token is asked for", async () => {
    hadSession();
    server.use(refreshGives("tok-fresh"));
    const seen = recordRequests();
    setAccessToken("tok-valid", 1800);
    await expect(getFreshAccessToken(60_000)).resolves.toBe("tok-valid");
    expect(seen).toHaveLength(0);

    setAccessToken("tok-expiring", 30);
    await expect(getFreshAccessToken(60_000)).resolves.toBe("tok-fresh");
    expect(seen).toHaveLength(1);
  });
});
