import { act, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { CatalogueItem } from "../api/schema";
import { formatDate } from "../lib/format";
import { hadSession, likedItem, mediaItem } from "../test/fixtures";
import { renderApp, setupUser } from "../test/render";
import {
  API,
  apiError,
  http,
  ok,
  recordRequests,
  refreshGives,
  sentTo,
  server,
  VIEWER,
} from "../test/server";

/** A link's secret, as the server makes them: 43 URL-safe characters. */
const SECRET = "Q2hvb3NlIGEgc2VjcmV0IHRoYXQgbG9va3MgcmVhbA1";
const SHARED = `${API}/catalogue/shared/${SECRET}`;
const TOKEN = `${SHARED}/stream-token`;

/** The link shares `item` (until `expiresAt`) and grants hour-long stream tokens for it. */
function serveShared(item: CatalogueItem, expiresAt: string | null = null) {
  server.use(
    http.get(SHARED, () => ok({ item, expires_at: expiresAt })),
    http.post(TOKEN, () => ok({ stream_url: "/api/v1/stream/shared-1", expires_in: 3600 })),
  );
}

/** The page's video once its first grant is in. */
async function playerReady(src = "/api/v1/stream/shared-1"): Promise<HTMLVideoElement> {
  const video = await screen.findByTestId<HTMLVideoElement>("player");
  await vi.waitFor(() => expect(video.getAttribute("src")).toBe(src), { timeout: 4000 });
  return video;
}

const DESCRIBED = mediaItem({ id: "m-1", description: "The best part is at 0:42." });

describe("SharedWatchPage", () => {
  it("plays the shared video to someone without an account, with its title, description and facts", async () => {
    serveShared(DESCRIBED, "2031-03-02T08:00:00Z");
    const seen = recordRequests();
    renderApp(`/s/${SECRET}`);

    expect(await screen.findByRole("heading", { level: 1, name: "Sunset over the bay" })).toBeInTheDocument();
    expect(screen.getByTestId("shared-by-link")).toHaveTextContent(
      `Shared with you by link. The link works until ${formatDate("2031-03-02T08:00:00Z")}.`,
    );
    expect(screen.getByRole("link", { name: "0:42" })).toHaveAttribute("href", `/s/${SECRET}?t=42`);
    expect(screen.getByTestId("watch-duration")).toHaveTextContent("1:05");
    await playerReady();
    // Only watching: no Up next, playlists or comments (any other request would fail the test).
    expect(screen.queryByRole("button", { name: /playlist/i })).not.toBeInTheDocument();
    expect(sentTo(seen, "POST", TOKEN)[0]?.headers.get("Authorization")).toBeNull();
    expect(screen.queryByRole("link", { name: "nature" })).not.toBeInTheDocument();
  });

  it("says how many like the video, with no Like to press (a link's guest has no account)", async () => {
    serveShared(likedItem({ like_count: 12 }));
    renderApp(`/s/${SECRET}`);

    expect(await screen.findByTestId("like-tally")).toHaveTextContent("12 likes");
    expect(screen.queryByRole("button", { name: "Like" })).not.toBeInTheDocument();
    expect(screen.queryByRole("link", { name: /like this video/ })).not.toBeInTheDocument();
    await playerReady();
  });

  it("copies a link to a moment on the link's page, which opens without an account", async () => {
    serveShared(DESCRIBED);
    const user = setupUser();
    renderApp(`/s/${SECRET}`);
    await playerReady();

    await user.click(screen.getByRole("button", { name: "Copy link at 0:00" }));
    expect(await navigator.clipboard.readText()).toBe(`${window.location.origin}/s/${SECRET}?t=0`);
  });

  it("shows a signed-in person the same page, asking the link's route for the stream, not the item's", async () => {
    hadSession();
    serveShared(DESCRIBED);
    server.use(refreshGives("tok"), http.get(`${API}/auth/me`, () => ok(VIEWER)));
    const seen = recordRequests();
    renderApp(`/s/${SECRET}`);

    await playerReady();
    expect(screen.getByTestId("shared-by-link")).toHaveTextContent(/^Shared with you by link\.$/);
    expect(sentTo(seen, "POST", TOKEN)).toHaveLength(1);
    // The link is the pass: no bearer goes with it, whoever is signed in.
    expect(sentTo(seen, "POST", TOKEN)[0]?.headers.get("Authorization")).toBeNull();
    expect(sentTo(seen, "POST", `${API}/catalogue/m-1/stream-token`)).toHaveLength(0);
  });

  it("renews its stream token at the link's route", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    server.use(
      http.get(SHARED, () => ok({ item: DESCRIBED, expires_at: null })),
      http.post(TOKEN, () => ok({ stream_url: "/api/v1/stream/first", expires_in: 100 }), { once: true }),
      http.post(TOKEN, () => ok({ stream_url: "/api/v1/stream/second", expires_in: 100 })),
    );
    const seen = recordRequests();
    renderApp(`/s/${SECRET}`);
    const video = await playerReady("/api/v1/stream/first");

    await act(() => vi.advanceTimersByTimeAsync(50_000));
    await vi.waitFor(() => expect(video.getAttribute("src")).toBe("/api/v1/stream/second"));
    expect(sentTo(seen, "POST", TOKEN)).toHaveLength(2);
  });

  it("ends the player and says the link does not work when it is stopped while the video plays", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    server.use(
      http.get(SHARED, () => ok({ item: DESCRIBED, expires_at: null })),
      http.post(TOKEN, () => ok({ stream_url: "/api/v1/stream/first", expires_in: 100 }), { once: true }),
      http.post(TOKEN, () => apiError(404, "share_not_found", "no such share link")),
    );
    renderApp(`/s/${SECRET}`);
    await playerReady("/api/v1/stream/first");

    await act(() => vi.advanceTimersByTimeAsync(50_000));

    // The page, not a line under a player that plays on from what it buffered.
    expect(await screen.findByRole("heading", { level: 1, name: "This link does not work right now." })).toBeInTheDocument();
    expect(document.querySelector("video")).toBeNull();
  });

  it("saves no place in the video: played, paused and left, nothing is sent", async () => {
    serveShared(DESCRIBED);
    const seen = recordRequests();
    const { unmount } = renderApp(`/s/${SECRET}`);
    const video = await playerReady();
    Object.defineProperty(video, "currentTime", { configurable: true, get: () => 30 });

    act(() => {
      video.dispatchEvent(new Event("play"));
      video.dispatchEvent(new Event("pause"));
      window.dispatchEvent(new Event("pagehide"));
    });
    unmount();

    expect(seen.filter((r) => r.method === "PUT")).toHaveLength(0);
  });

  it("waits out a throttled stream token, saying the video starts in a moment", async () => {
    let asked = 0;
    server.use(
      http.get(SHARED, () => ok({ item: DESCRIBED, expires_at: null })),
      http.post(TOKEN, () => {
        asked += 1;
        if (asked > 1) return ok({ stream_url: "/api/v1/stream/shared-1", expires_in: 3600 });
        return apiError(429, "stream_tokens_throttled", "too many stream tokens", { "Retry-After": "1" });
      }),
    );
    renderApp(`/s/${SECRET}`);

    const waiting = /Many videos were opened in a short while: this one starts in a moment\./;
    expect(await screen.findByText(waiting)).toBeInTheDocument();
    await playerReady();
    // The source is set at once; the line goes with the next render.
    await waitFor(() => expect(screen.queryByText(waiting)).not.toBeInTheDocument());
    expect(asked).toBe(2);
  });

  it("says a refused link does not work right now, not why (it may be paused), and offers to sign in", async () => {
    server.use(http.get(SHARED, () => apiError(404, "share_not_found", "no such share link")));
    renderApp(`/s/${SECRET}`);

    const heading = await screen.findByRole("heading", { level: 1, name: "This link does not work right now." });
    const page = heading.closest("section")!;
    // A link paused while its video is unpublished works again later: no "ask for a new link".
    expect(page).toHaveTextContent(
      "It may have expired or been stopped, or the video may be unavailable for a while. Ask the person who shared it.",
    );
    expect(page).not.toHaveTextContent("new link");
    await waitFor(() => expect(document.title).toMatch(/^This link does not work right now\./));
    expect(within(page).getByRole("link", { name: "Sign in" })).toHaveAttribute("href", "/signin");
    expect(screen.queryByTestId("player")).not.toBeInTheDocument();
  });

  it("leads a signed-in person whose link does not work to the videos, not to sign in", async () => {
    hadSession();
    server.use(
      refreshGives("tok"),
      http.get(`${API}/auth/me`, () => ok(VIEWER)),
      http.get(SHARED, () => apiError(404, "share_not_found", "no such share link")),
    );
    renderApp(`/s/${SECRET}`);

    const heading = await screen.findByRole("heading", { level: 1, name: "This link does not work right now." });
    const page = heading.closest("section")!;
    expect(await within(page).findByRole("link", { name: "Go to the videos" })).toHaveAttribute("href", "/");
    expect(within(page).queryByRole("link", { name: "Sign in" })).not.toBeInTheDocument();
  });
});
