import { describe, expect, it } from "vitest";

// Every module of the API layer, as its source text.
const sources = import.meta.glob<string>(["./*.ts", "!./*.test.ts", "!./*.d.ts"], {
  query: "?raw",
  import: "default",
  eager: true,
});

/** Calls that change nothing of a signed-in user's, or that no signed-in user makes. */
const NOT_CHANGES = new Set([
  "/api/v1/auth/register",
  "/api/v1/auth/login",
  "/api/v1/auth/refresh",
  "/api/v1/auth/logout",
  "/api/v1/auth/logout-all",
  "/api/v1/auth/password-reset",
  "/api/v1/auth/password-reset/check",
  "/api/v1/auth/password-reset/request",
  // A mailed link's code, opened signed in or not (often on another device).
  "/api/v1/auth/email-confirmations",
  // A mailed one-click link's token: it needs no session, so none can end under it.
  "/api/v1/auth/unsubscribe",
  "/api/v1/catalogue/{item_id}/stream-token",
  // A share link's guest has no session to lose.
  "/api/v1/catalogue/shared/{secret}/stream-token",
  "/api/v1/catalogue/shared/{secret}/plays",
  // Saved every few seconds while playing: the next save after signing in takes its place.
  "/api/v1/catalogue/{item_id}/progress",
  // Reads a description typed in a form (a POST for its body): nothing is stored.
  "/api/v1/catalogue/description-chapters",
]);

/** Each call of a method that changes something: its file, its path, and the words before it. */
function changingCalls(): { file: string; path: string; before: string }[] {
  const calls = [];
  for (const [file, source] of Object.entries(sources)) {
    for (const match of source.matchAll(/api\.(POST|PUT|PATCH|DELETE)\(\s*("[^"]+"|[A-Z_]+)/g)) {
      const constant = /^[A-Z_]+$/.test(match[2]!) ? new RegExp(`const ${match[2]} = ("[^"]+")`).exec(source)?.[1] : match[2];
      const path = JSON.parse(constant ?? '""') as string;
      calls.push({ file, path, before: source.slice(source.lastIndexOf("\n\n", match.index), match.index) });
    }
  }
  return calls;
}

describe("the API layer", () => {
  it("names every change a signed-in user makes, to say it was lost if the session ends under it", () => {
    const calls = changingCalls();
    expect(calls.length).toBeGreaterThan(30);
    const unnamed = calls.filter(({ path, before }) => !NOT_CHANGES.has(path) && !before.includes("requestChange("));
    expect(unnamed).toEqual([]);
  });
});
