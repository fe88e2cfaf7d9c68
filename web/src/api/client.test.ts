import { afterEach, describe, expect, it, vi } from "vitest";
import { apiError, FakeServer, json, tokens, VIEWER } from "../test/http";
import { getMe } from "./auth";
import { apiRequest, buildUrl, getFreshAccessToken, login, REFRESH_LOCK, refreshAccessToken } from "./client";
import { ApiError, errorFromResponse, parseRetryAfter } from "./errors";
import { getAccessToken, setAccessToken, subscribeToken } from "./tokenStore";

afterEach(() => {
  vi.useRealTimers();
});

describe("apiRequest", () => {
  it("sends the access token as a Bearer header", async () => {
    const server = new FakeServer().on("GET", "/api/v1/auth/me", json(VIEWER));
    setAccessToken("tok-1", 1800);

    await expect(getMe()).resolves.toEqual(VIEWER);

    const [req] = server.requests;
    expect(req?.headers.get("Authorization")).toBe("Bearer tok-1");
    expect(req?.credentials).toBe("same-origin");
  });

  it("on a 401 refreshes the token through the cookie and retries the call once", async () => {
    const server = new FakeServer()
      .once("GET", "/api/v1/auth/me", apiError(401, "token_expired", "Access token expired"))
      .on("POST", "/api/v1/auth/refresh", json(tokens("tok-new")))
      .on("GET", "/api/v1/auth/me", json(VIEWER));
    setAccessToken("tok-old", 1800);

    await expect(getMe()).resolves.toEqual(VIEWER);

    expect(server.requests.map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
      "GET /api/v1/auth/me",
      "POST /api/v1/auth/refresh",
      "GET /api/v1/auth/me",
    ]);
    const [first, refresh, retry] = server.requests;
    expect(first?.headers.get("Authorization")).toBe("Bearer tok-old");
    expect(refresh?.headers.get("X-Refresh-Cookie")).toBe("1");
    expect(refresh?.headers.get("Authorization")).toBeNull();
    expect(refresh?.body).toEqual({});
    expect(refresh?.credentials).toBe("same-origin");
    // Survives a reload mid-flight, so the rotated cookie is never lost.
    expect(refresh?.keepalive).toBe(true);
    expect(retry?.headers.get("Authorization")).toBe("Bearer tok-new");
    expect(getAccessToken()).toBe("tok-new");
  });

  it("retries only once: a second 401 is thrown as an ApiError", async () => {
    const server = new FakeServer()
      .on("GET", "/api/v1/auth/me", apiError(401, "invalid_token", "Nope"))
      .on("POST", "/api/v1/auth/refresh", json(tokens("tok-new")));
    setAccessToken("tok-old", 1800);

    const error = await getMe().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, code: "invalid_token", detail: "Nope" });
    expect(server.requestsTo("GET", "/api/v1/auth/me")).toHaveLength(2);
    expect(server.requestsTo("POST", "/api/v1/auth/refresh")).toHaveLength(1);
  });

  it("clears the token and reports the session lost when the refresh is refused", async () => {
    const server = new FakeServer()
      .on("GET", "/api/v1/auth/me", apiError(401, "token_expired", "Expired"))
      .on("POST", "/api/v1/auth/refresh", apiError(401, "invalid_refresh_token", "No session"));
    setAccessToken("tok-old", 1800);
    const seen: (string | null)[] = [];
    const unsubscribe = subscribeToken((t) => seen.push(t));

    await expect(getMe()).rejects.toMatchObject({ status: 401, code: "token_expired" });

    unsubscribe();
    expect(getAccessToken()).toBeNull();
    expect(seen).toEqual([null]);
    expect(server.requestsTo("GET", "/api/v1/auth/me")).toHaveLength(1);
  });

  it("shares one refresh between concurrent 401s", async () => {
    let refreshes = 0;
    const server = new FakeServer()
      .on("POST", "/api/v1/auth/refresh", async () => {
        refreshes += 1;
        await new Promise((r) => setTimeout(r, 10));
        return json(tokens("tok-new"));
      })
      .on("GET", "/api/v1/auth/me", (req) =>
        req.headers.get("Authorization") === "Bearer tok-new" ? json(VIEWER) : apiError(401, "token_expired", "x"),
      );
    setAccessToken("tok-old", 1800);

    const results = await Promise.all([getMe(), getMe(), getMe()]);

    expect(results).toEqual([VIEWER, VIEWER, VIEWER]);
    expect(refreshes).toBe(1);
    expect(server.requestsTo("GET", "/api/v1/auth/me")).toHaveLength(6);
  });

  it("holds a cross-tab Web Lock while refreshing, when the browser has one", async () => {
    new FakeServer().on("POST", "/api/v1/auth/refresh", json(tokens("tok-locked")));
    const held: string[] = [];
    const request = vi.fn(async (name: string, _opts: LockOptions, cb: () => Promise<unknown>) => {
      held.push(name);
      try {
        return await cb();
      } finally {
        held.pop();
      }
    });
    vi.stubGlobal("navigator", { ...navigator, locks: { request } });

    await expect(refreshAccessToken()).resolves.toBe("tok-locked");

    expect(request).toHaveBeenCalledTimes(1);
    expect(request.mock.calls[0]?.[0]).toBe(REFRESH_LOCK);
    expect(held).toEqual([]);
  });

  it("does not try to refresh when auth is off (login, register)", async () => {
    const server = new FakeServer().on(
      "POST",
      "/api/v1/auth/login",
      apiError(401, "invalid_credentials", "Wrong email or password"),
    );

    await expect(login("a@b.c", "wrong-password")).rejects.toMatchObject({
      status: 401,
      code: "invalid_credentials",
    });
    expect(server.requests).toHaveLength(1);
  });

  it("returns undefined for 204 No Content", async () => {
    new FakeServer().on("POST", "/api/v1/auth/logout", new Response(null, { status: 204 }));
    setAccessToken("tok", 1800);
    await expect(apiRequest("/auth/logout", { method: "POST" })).resolves.toBeUndefined();
  });

  it("wraps network failures in an ApiError with status 0", async () => {
    vi.stubGlobal("fetch", vi.fn().mockRejectedValue(new TypeError("Failed to fetch")));
    await expect(apiRequest("/catalogue/")).rejects.toMatchObject({ status: 0, code: "network_error" });
  });

  it("serialises the query string without empty values", () => {
    expect(buildUrl("/catalogue/", { q: "cat videos", tag: "", page: 2, status: undefined })).toBe(
      "/api/v1/catalogue/?q=cat+videos&page=2",
    );
  });
});

describe("ApiError parsing", () => {
  it("reads status, code, detail, request id and Retry-After", async () => {
    new FakeServer().on(
      "POST",
      "/api/v1/auth/login",
      apiError(429, "too_many_attempts", "Too many sign-in attempts", { "Retry-After": "30" }),
    );

    const error = await login("a@b.c", "password1").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    const apiErr = error as ApiError;
    expect(apiErr.status).toBe(429);
    expect(apiErr.code).toBe("too_many_attempts");
    expect(apiErr.detail).toBe("Too many sign-in attempts");
    expect(apiErr.message).toBe("Too many sign-in attempts");
    expect(apiErr.retryAfter).toBe(30);
    expect(apiErr.requestId).toBe("req-test");
  });

  it("falls back to the status line for a non-JSON error body", async () => {
    const res = new Response("<html>Bad gateway</html>", { status: 502, statusText: "Bad Gateway" });
    const error = await errorFromResponse(res);
    expect(error).toMatchObject({ status: 502, code: "http_502", detail: "Bad Gateway", retryAfter: null });
  });

  it("parses Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:45 GMT", now)).toBe(45);
    expect(parseRetryAfter("garbage", now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});

describe("token storage", () => {
  it("never writes a token to localStorage or sessionStorage", async () => {
    const setItem = vi.spyOn(Storage.prototype, "setItem");
    new FakeServer()
      .on("POST", "/api/v1/auth/login", json(tokens("secret-access-1")))
      .on("POST", "/api/v1/auth/refresh", json(tokens("secret-access-2")))
      .once("GET", "/api/v1/auth/me", apiError(401, "token_expired", "x"))
      .on("GET", "/api/v1/auth/me", json(VIEWER));

    await login("viewer@example.com", "password1");
    expect(getAccessToken()).toBe("secret-access-1");
    await getMe(); // 401 → refresh → retry
    await refreshAccessToken();

    expect(getAccessToken()).toBe("secret-access-2");
    expect(setItem).not.toHaveBeenCalled();
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
    expect(document.cookie).not.toContain("secret-access");
  });

  it("refreshes ahead of expiry when a fresh token is asked for", async () => {
    const server = new FakeServer().on("POST", "/api/v1/auth/refresh", json(tokens("tok-fresh")));
    setAccessToken("tok-valid", 1800);
    await expect(getFreshAccessToken(60_000)).resolves.toBe("tok-valid");
    expect(server.requests).toHaveLength(0);

    setAccessToken("tok-expiring", 30);
    await expect(getFreshAccessToken(60_000)).resolves.toBe("tok-fresh");
    expect(server.requests).toHaveLength(1);
  });
});
