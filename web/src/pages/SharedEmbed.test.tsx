import { act, screen, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { CatalogueItem } from "../api/schema";
import { FakeHls } from "../test/fakeHls";
import { mediaItem } from "../test/fixtures";
import { renderApp } from "../test/render";
import { API, apiError, http, HttpResponse, ok, recordRequests, sentTo, server } from "../test/server";

vi.mock("hls.js", () => import("../test/fakeHls"));

beforeEach(() => FakeHls.reset());

/** A link's secret, as the server makes them: 43 URL-safe characters. */
const SECRET = "RW1iZWQgbWUgaW4gYSBjbHViJ3MgcGFnZSwgcGxlYXNl";
const SHARED = `${API}/catalogue/shared/${SECRET}`;
const TOKEN = `${SHARED}/stream-token`;
const ITEM = mediaItem({ id: "m-1", description: "The best part is at 0:42." });

/** The link shares `item` and grants hour-long stream tokens for it. */
function serveShared(item: CatalogueItem) {
  server.use(
    http.get(SHARED, () => ok({ item, expires_at: null })),
    http.post(TOKEN, () => ok({ stream_url: "/api/v1/stream/shared-1", expires_in: 3600 })),
  );
}

/** The frame's video once its first grant is in. */
async function playerReady(src = "/api/v1/stream/shared-1"): Promise<HTMLVideoElement> {
  const video = await screen.findByTestId<HTMLVideoElement>("player");
  await vi.waitFor(() => expect(video.getAttribute("src")).toBe(src), { timeout: 4000 });
  return video;
}

describe("SharedEmbedPage", () => {
  it("names the server, where it has a name, in the way to its page", async () => {
    serveShared(ITEM);
    server.use(
      http.get(`${API}/auth/config`, () =>
        ok({ registration_mode: "open", site_name: "Herons Film Club", guest_access: "browse", mail: false }),
      ),
    );
    renderApp(`/embed/s/${SECRET}`);
    await playerReady();
    expect(await screen.findByRole("link", { name: "Watch on Herons Film Club (opens in a new tab)" })).toBeInTheDocument();
  });

  it("plays the shared video alone, titled, with the way to its page on this site in a new tab", async () => {
    serveShared(ITEM);
    const seen = recordRequests();
    renderApp(`/embed/s/${SECRET}?t=30`);

    await playerReady();
    expect(screen.getByRole("heading", { level: 1, name: "Sunset over the bay" })).toBeInTheDocument();
    await waitFor(() => expect(document.title).toBe("Sunset over the bay"));
    const site = screen.getByRole("link", { name: `Watch on ${window.location.host} (opens in a new tab)` });
    expect(site).toHaveAttribute("href", `${window.location.origin}/s/${SECRET}`);
    expect(site).toHaveAttribute("target", "_blank");
    expect(site).toHaveAttribute("rel", "noopener");
    // The player alone: no site header or footer, no description, no tools under the picture.
    expect(screen.queryByRole("banner")).not.toBeInTheDocument();
    expect(screen.queryByRole("contentinfo")).not.toBeInTheDocument();
    expect(screen.queryByText(/The best part/)).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^Copy link at/ })).not.toBeInTheDocument();
    // The link's own route, no bearer: as the share page plays it.
    expect(sentTo(seen, "POST", TOKEN)).toHaveLength(1);
    expect(sentTo(seen, "POST", TOKEN)[0]?.headers.get("Authorization")).toBeNull();
  });

  it("says the video is not available right now, filling the frame, when the link is refused", async () => {
    server.use(http.get(SHARED, () => apiError(404, "share_not_found", "no such share link")));
    renderApp(`/embed/s/${SECRET}`);

    expect(await screen.findByText("This video is not available right now.")).toBeInTheDocument();
    expect(screen.getByTestId("embed")).toHaveTextContent(/^This video is not available right now\.$/);
    await waitFor(() => expect(document.title).toBe("This video is not available right now."));
    expect(screen.queryByRole("link", { name: "Sign in" })).not.toBeInTheDocument();
    expect(screen.queryByRole("banner")).not.toBeInTheDocument();
  });

  it("ends the player and says the video is not available right now when the link is stopped while it plays", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    server.use(
      http.get(SHARED, () => ok({ item: ITEM, expires_at: null })),
      http.post(TOKEN, () => ok({ stream_url: "/api/v1/stream/first", expires_in: 100 }), { once: true }),
      http.post(TOKEN, () => apiError(404, "share_not_found", "no such share link")),
    );
    renderApp(`/embed/s/${SECRET}`);
    await playerReady("/api/v1/stream/first");

    await act(() => vi.advanceTimersByTimeAsync(50_000));

    expect(await screen.findByText("This video is not available right now.")).toBeInTheDocument();
    expect(document.querySelector("video")).toBeNull();
  });

  it("loads no video before its reader presses play, then from the link's moment", async () => {
    vi.stubGlobal("MediaSource", class {});
    server.use(
      http.get(SHARED, () => ok({ item: ITEM, expires_at: null })),
      http.post(TOKEN, () =>
        ok({ stream_url: "/api/v1/stream/s1", expires_in: 3600, hls_url: "/api/v1/stream/s1/hls/master.m3u8" }),
      ),
    );
    renderApp(`/embed/s/${SECRET}?t=0:42`);
    const hls = await vi.waitFor(() => {
      expect(FakeHls.latest()?.url).toBe("/api/v1/stream/s1/hls/master.m3u8");
      return FakeHls.latest()!;
    });
    // Three embeds on a blog's page fetched three minutes of video that nobody pressed play on.
    expect(hls.config).toMatchObject({ autoStartLoad: false });
    expect(hls.startPositions).toEqual([]);
    const video = screen.getByTestId<HTMLVideoElement>("player");
    expect(video).toHaveAttribute("preload", "none");
    act(() => void video.dispatchEvent(new Event("play")));
    expect(hls.startPositions).toEqual([42]);
  });

  /** The frame's video, playing as a browser's does (jsdom plays nothing). */
  async function playing(src: string): Promise<HTMLVideoElement> {
    const video = await playerReady(src);
    Object.defineProperty(video, "paused", { configurable: true, get: () => false });
    act(() => void video.dispatchEvent(new Event("play")));
    return video;
  }

  it("stops within seconds when the link is stopped while the rest of the video is buffered", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let stopped = false;
    server.use(
      http.get(SHARED, () => ok({ item: ITEM, expires_at: null })),
      http.post(TOKEN, () =>
        stopped
          ? apiError(404, "share_not_found", "no such share link")
          : ok({ stream_url: "/api/v1/stream/buffered", expires_in: 3600 }),
      ),
      http.head("/api/v1/stream/buffered", () =>
        stopped ? apiError(404, "stream_token_not_found", "unknown or expired stream token") : ok(null),
      ),
    );
    const seen = recordRequests();
    renderApp(`/embed/s/${SECRET}`);
    await playing("/api/v1/stream/buffered");
    await act(() => vi.advanceTimersByTimeAsync(10_000));
    expect(sentTo(seen, "HEAD", "/api/v1/stream/buffered").length).toBeGreaterThanOrEqual(2);
    expect(screen.getByTestId("player")).toBeInTheDocument();

    // Stopped with nothing left to load: only the player's check of its grant can tell.
    stopped = true;
    await act(() => vi.advanceTimersByTimeAsync(5_000));

    expect(await screen.findByText("This video is not available right now.")).toBeInTheDocument();
    expect(document.querySelector("video")).toBeNull();
  });

  it("checks the link only while the video plays", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    serveShared(ITEM);
    const seen = recordRequests();
    renderApp(`/embed/s/${SECRET}`);
    await playerReady();
    await act(() => vi.advanceTimersByTimeAsync(30_000));
    expect(seen.filter((r) => r.method === "HEAD")).toEqual([]);
  });

  it("says in plain words that the video can't be played right now when part of the server is down", async () => {
    // What the production edge answers when no catalogue replica answered (compose/nginx.conf).
    const edge = { status: 503, code: "service_unavailable", detail: "no replica of this service answered" };
    // The first answer the edge's, then a bare proxy page.
    server.use(
      http.get(SHARED, () => new HttpResponse("<html><body>Bad Gateway</body></html>", { status: 502, statusText: "Bad Gateway" })),
    );
    server.use(http.get(SHARED, () => HttpResponse.json(edge, { status: 503 }), { once: true }));
    renderApp(`/embed/s/${SECRET}`);

    const said = "This video can't be played right now. Try again in a moment.";
    expect(await screen.findByText(said)).toBeInTheDocument();
    expect(screen.queryByText(/replica/i)).not.toBeInTheDocument();
    act(() => screen.getByRole("button", { name: "Try again" }).click());
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent(said));
    expect(screen.queryByText(/Bad Gateway/)).not.toBeInTheDocument();
  });
});
