import { describe, expect, it } from "vitest";
import { ADMIN, FakeServer, json, VIEWER } from "../test/http";
import { listSessions, listUsers } from "./auth";
import { setAccessToken } from "./tokenStore";

const SESSION = {
  id: "s-1",
  created_at: "2026-01-01T00:00:00Z",
  last_used_at: "2026-01-02T00:00:00Z",
  user_agent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0",
  current: true,
};

describe("auth API shapes", () => {
  it.each([
    ["a bare array", [SESSION]],
    ["an {items} object", { items: [SESSION] }],
  ])("lists sessions from %s", async (_label, body) => {
    new FakeServer().on("GET", "/api/v1/auth/sessions", json(body));
    setAccessToken("tok", 1800);
    await expect(listSessions()).resolves.toEqual([SESSION]);
  });

  it("pages users with page/page_size and limit/offset, reading either back", async () => {
    const server = new FakeServer()
      .once("GET", "/api/v1/auth/users", json({ items: [ADMIN], total: 60, limit: 50, offset: 50 }))
      .on("GET", "/api/v1/auth/users", json({ items: [VIEWER], total: 60, page: 2, page_size: 50 }));
    setAccessToken("tok", 1800);

    const byOffset = await listUsers({ page: 2, page_size: 50, q: "ex" });
    const byPage = await listUsers({ page: 2, page_size: 50 });

    expect(byOffset).toEqual({ items: [ADMIN], total: 60, page: 2, page_size: 50 });
    expect(byPage).toEqual({ items: [VIEWER], total: 60, page: 2, page_size: 50 });
    expect(Object.fromEntries(server.requests[0]!.url.searchParams)).toEqual({
      q: "ex",
      page: "2",
      page_size: "50",
      limit: "50",
      offset: "50",
    });
  });
});
