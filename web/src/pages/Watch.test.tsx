import { act, cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { Route, Routes } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ViewedMediaItem, WatchProgress } from "../api/schema";
import { setAccessToken } from "../api/tokenStore";
import { comment, commentPage, hadSession, likedItem, mediaItem, playlistOf } from "../test/fixtures";
import { openPlayerSettings } from "../test/player";
import { expectHeldWithFocus, renderPage, setupUser } from "../test/render";
import {
  ADMIN,
  API,
  apiError,
  holdAnswer,
  http,
  HttpResponse,
  likesKept,
  noComments,
  ok,
  recordRequests,
  refreshGives,
  sentTo,
  server,
  VIEWER,
} from "../test/server";
import { PROCESSING_POLL_MS } from "../lib/useItemPolling";
import { COPIED_FOR_MS } from "../player/CopyMomentLink";
import { AUTOPLAY_NEXT_KEY, UP_NEXT_SECONDS } from "../player/UpNext";
import { formatDate } from "../lib/format";
import { WatchPage } from "./Watch";

beforeEach(() => {
  // The player saves the position when it goes away; tests that look at the
  // saves record them, the others let them through.
  server.use(
    http.put(`${API}/catalogue/:id/progress`, () => ok(savedProgress(0))),
    // Nothing to watch next unless a test says otherwise.
    http.get(`${API}/catalogue/:id/related`, () => ok({ items: [] })),
    noComments(),
  );
});

afterEach(() => {
  vi.useRealTimers();
});

function savedProgress(position: number, extra: Partial<WatchProgress> = {}): WatchProgress {
  return {
    media_id: "m-1",
    position_seconds: position,
    duration_seconds: 65,
    completed: false,
    updated_at: "2026-02-02T10:00:00Z",
    ...extra,
  };
}

/** The catalogue answers `item` as m-1 and grants it an hour-long stream token for `streamUrl`. */
function serveItem(item: ViewedMediaItem, streamUrl = "/s/1") {
  server.use(
    http.get(`${API}/catalogue/m-1`, () => ok(item)),
    http.post(`${API}/catalogue/m-1/stream-token`, () => ok({ stream_url: streamUrl, expires_in: 3600 })),
  );
}

/** The watch page of `id`; `search` is the query the link carried (`?t=90`). */
function renderWatch(id: string, search = "") {
  return renderPage(
    <Routes>
      <Route path="/watch/:id" element={<WatchPage />} />
    </Routes>,
    // Signed out unless a test restores a session (then the page asks who it is).
    { path: `/watch/${id}${search}`, withAuth: true },
  );
}

/**
 * The page's video once the player is wired up. Its listeners (shortcuts,
 * progress, resume) attach in effects that can run after the element shows
 * on a busy machine; the source is set by the last of them, so events sent
 * after it reach them all.
 */
async function playerReady(src = "/s/1"): Promise<HTMLVideoElement> {
  const video = await screen.findByTestId<HTMLVideoElement>("player");
  await vi.waitFor(() => expect(video.getAttribute("src")).toBe(src));
  return video;
}

/** jsdom does not play media: give the element a controllable clock. */
function fakePlayback(video: HTMLVideoElement, state: { time: number; paused: boolean }) {
  Object.defineProperty(video, "currentTime", {
    configurable: true,
    get: () => state.time,
    set: (t: number) => (state.time = t),
  });
  Object.defineProperty(video, "paused", { configurable: true, get: () => state.paused });
  const play = vi.fn(() => {
    state.paused = false;
    return Promise.resolve();
  });
  video.play = play;
  return play;
}

/** m-1's page, signed in, with its video paused at 0:30 of 1:05 on a fake clock. */
async function signedInWatching() {
  setAccessToken("tok", 1800);
  const user = setupUser();
  renderWatch("m-1");
  const video = await playerReady();
  const playback = { time: 30, paused: true };
  const play = fakePlayback(video, playback);
  Object.defineProperty(video, "duration", { configurable: true, get: () => 65 });
  return { user, video, playback, play };
}

describe("WatchPage", () => {
  it("tells an admin when a scheduled draft goes public, in their time", async () => {
    const publishAt = "2031-03-02T08:00:00Z";
    serveItem(mediaItem({ id: "m-1", status: "draft", published_at: null, publish_at: publishAt }));
    setAccessToken("tok", 1800);
    renderWatch("m-1");

    expect(await screen.findByText(`Draft · goes public ${formatDate(publishAt)}`)).toHaveClass("badge");
  });

  it.each([
    ["published", "Published"],
    ["draft", "First published"],
  ] as const)("dates a %s video that went public by when it first did", async (status, label) => {
    const firstDate = "2026-02-01T10:05:00Z";
    serveItem(mediaItem({ id: "m-1", status, published_at: firstDate }));
    setAccessToken("tok", 1800);
    renderWatch("m-1");

    const term = await screen.findByText(label, { selector: "dt" });
    expect(term.nextElementSibling).toHaveTextContent(formatDate(firstDate));
  });

  it("says an unlisted video is unlisted by its title, and how it is found: by this page's link", async () => {
    serveItem(mediaItem({ id: "m-1", visibility: "unlisted" }));
    setAccessToken("tok", 1800);
    renderWatch("m-1");

    const heading = await screen.findByRole("heading", { name: /Sunset over the bay/ });
    expect(within(heading).getByText("Unlisted")).toHaveClass("badge");
    expect(screen.getByTestId("watch-unlisted")).toHaveTextContent(
      "Not in Browse or search: anyone signed in who has the link to this page can watch it.",
    );
  });

  it("puts the title before the player: Tab from the heading, where a new page's focus goes, reaches the player first", async () => {
    serveItem(mediaItem({ id: "m-1" }));
    setAccessToken("tok", 1800);
    const user = setupUser();
    renderWatch("m-1");

    const heading = await screen.findByRole("heading", { level: 1, name: "Sunset over the bay" });
    heading.tabIndex = -1;
    heading.focus();
    await user.tab();
    expect(document.activeElement?.closest(".player-frame")).not.toBeNull();
  });

  it("says nothing of visibility for a listed video", async () => {
    serveItem(mediaItem({ id: "m-1", visibility: "listed" }));
    setAccessToken("tok", 1800);
    renderWatch("m-1");

    expect(await screen.findByRole("heading", { name: "Sunset over the bay" })).toBeInTheDocument();
    expect(screen.queryByText("Unlisted")).not.toBeInTheDocument();
    expect(screen.queryByTestId("watch-unlisted")).not.toBeInTheDocument();
  });

  it("plays the stream URL and shows the item's metadata", async () => {
    serveItem(mediaItem({ id: "m-1", view_count: 1234 }), "/api/v1/stream/abc");
    const seen = recordRequests();
    setAccessToken("tok", 1800);
    renderWatch("m-1");

    expect(await screen.findByRole("heading", { name: "Sunset over the bay" })).toBeInTheDocument();
    const video = screen.getByTestId("player");
    await vi.waitFor(() => expect(video.getAttribute("src")).toBe("/api/v1/stream/abc"));
    expect(video.tagName).toBe("VIDEO");
    // The large still: the player is far wider than a card.
    expect(video).toHaveAttribute("poster", "/api/v1/stream/thumbnails/m-1-poster.jpg");
    expect(screen.getByText("A calm evening.")).toBeInTheDocument();
    expect(screen.getByTestId("watch-duration")).toHaveTextContent("1:05");
    expect(screen.getByTestId("watch-views")).toHaveTextContent("1,234 views");
    expect(screen.getByText("1920×1080 @ 30 fps")).toBeInTheDocument();
    expect(screen.getByText("h264 / aac")).toBeInTheDocument();
    const tags = screen.getByRole("list", { name: "Tags" });
    expect(within(tags).getByRole("link", { name: "nature" })).toHaveAttribute("href", "/?tag=nature");
    expect(sentTo(seen, "POST", `${API}/catalogue/m-1/stream-token`)[0]?.headers.get("Authorization")).toBe(
      "Bearer tok",
    );
  });

  it("ends the player and says the video is not found when it is withdrawn while it plays", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const TOKEN = `${API}/catalogue/m-1/stream-token`;
    server.use(
      http.get(`${API}/catalogue/m-1`, () => ok(mediaItem({ id: "m-1" }))),
      http.post(TOKEN, () => ok({ stream_url: "/api/v1/stream/first", expires_in: 100 }), { once: true }),
      http.post(TOKEN, () => apiError(404, "not_found", "no such item")),
    );
    setAccessToken("tok", 1800);
    renderWatch("m-1");
    await playerReady("/api/v1/stream/first");

    await act(() => vi.advanceTimersByTimeAsync(50_000));

    // The page, as a reload would show it, not a line under a player that plays on from
    // what it buffered.
    expect(await screen.findByRole("heading", { level: 1, name: "Video not found" })).toBeInTheDocument();
    expect(screen.getByText("It may have been removed or not be published yet.")).toBeInTheDocument();
    expect(document.querySelector("video")).toBeNull();
  });

  it("ends the player when a save of the place is refused as the video is withdrawn, long before the next grant", async () => {
    serveItem(mediaItem({ id: "m-1" })); // an hour-long grant: no renewal in this test
    server.use(http.put(`${API}/catalogue/m-1/progress`, () => apiError(404, "not_found", "no such item")));
    setAccessToken("tok", 1800);
    renderWatch("m-1");
    const video = await playerReady();
    const playback = { time: 0, paused: true };
    fakePlayback(video, playback);

    // Played a little, then paused: the pause saves the place, and the server refuses it.
    playback.paused = false;
    act(() => void video.dispatchEvent(new Event("play")));
    playback.time = 4;
    playback.paused = true;
    act(() => void video.dispatchEvent(new Event("pause")));

    expect(await screen.findByRole("heading", { level: 1, name: "Video not found" })).toBeInTheDocument();
    expect(document.querySelector("video")).toBeNull();
  });

  it("renews a short-lived stream token at half its lifetime and keeps position and play state", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const TOKEN = `${API}/catalogue/m-1/stream-token`;
    server.use(
      http.get(`${API}/catalogue/m-1`, () => ok(mediaItem({ id: "m-1" }))),
      http.post(TOKEN, () => ok({ stream_url: "/api/v1/stream/first", expires_in: 100 }), { once: true }),
      http.post(TOKEN, () => ok({ stream_url: "/api/v1/stream/second", expires_in: 100 })),
    );
    const seen = recordRequests();
    setAccessToken("tok", 1800);
    renderWatch("m-1");
    const video = await screen.findByTestId<HTMLVideoElement>("player");
    await vi.waitFor(() => expect(video.getAttribute("src")).toBe("/api/v1/stream/first"));
    const playback = { time: 42.5, paused: false };
    const play = fakePlayback(video, playback);

    await act(() => vi.advanceTimersByTimeAsync(49_000));
    expect(sentTo(seen, "POST", TOKEN)).toHaveLength(1);

    await act(() => vi.advanceTimersByTimeAsync(1_000));
    await vi.waitFor(() => expect(video.getAttribute("src")).toBe("/api/v1/stream/second"));
    expect(sentTo(seen, "POST", TOKEN)).toHaveLength(2);

    // The new source loads from the start; once its metadata is in, the
    // position and playing state come back.
    playback.time = 0;
    playback.paused = true;
    act(() => {
      video.dispatchEvent(new Event("loadedmetadata"));
    });
    expect(playback.time).toBe(42.5);
    expect(play).toHaveBeenCalledTimes(1);
  });

  it("falls back to the thumbnail as the poster of an item without a poster", async () => {
    serveItem(mediaItem({ id: "m-1", poster_url: null }));
    setAccessToken("tok", 1800);
    renderWatch("m-1");
    const video = await screen.findByTestId("player");
    expect(video).toHaveAttribute("poster", "/api/v1/stream/thumbnails/m-1.jpg");
  });

  it("shows not found for a missing or unpublished item", async () => {
    server.use(http.get(`${API}/catalogue/nope`, () => apiError(404, "not_found", "Media item not found")));
    renderWatch("nope");
    expect(await screen.findByRole("heading", { name: "Video not found" })).toBeInTheDocument();
    expect(screen.queryByTestId("player")).not.toBeInTheDocument();
  });

  it("titles the tab with the video, and makes links in the description clickable and safe", async () => {
    const description = 'Made with https://example.org/tools. <img src=x onerror="alert(1)"> javascript:alert(1)';
    serveItem(mediaItem({ id: "m-1", description }));
    setAccessToken("tok", 1800);
    renderWatch("m-1");

    await screen.findByRole("heading", { name: "Sunset over the bay" });
    await vi.waitFor(() => expect(document.title).toBe("Sunset over the bay · StreamStack"));
    const link = screen.getByRole("link", { name: "https://example.org/tools" });
    expect(link).toHaveAttribute("href", "https://example.org/tools");
    expect(link).toHaveAttribute("rel", "noopener nofollow ugc");
    expect(link).toHaveAttribute("target", "_blank");
    // Markup in a description stays text; other schemes are not links.
    expect(document.querySelector(".description img")).toBeNull();
    expect(screen.getByText(/onerror="alert\(1\)"/)).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: /javascript:/ })).not.toBeInTheDocument();
  });

  it("answers the player's keyboard shortcuts anywhere on the page, but not while typing", async () => {
    serveItem(mediaItem({ id: "m-1" }));
    const { user, video, playback, play } = await signedInWatching();
    const pause = vi.fn(() => void (playback.paused = true));
    video.pause = pause;

    await user.keyboard("k");
    expect(play).toHaveBeenCalledTimes(1);
    await user.keyboard(" ");
    expect(pause).toHaveBeenCalledTimes(1);
    await user.keyboard("l");
    expect(playback.time).toBe(40);
    await user.keyboard("{ArrowLeft}{ArrowLeft}");
    expect(playback.time).toBe(30);
    await user.keyboard("j");
    expect(playback.time).toBe(20);
    await user.keyboard("llllll");
    expect(playback.time).toBe(65); // not past the end
    await user.keyboard("m");
    expect(video.muted).toBe(true);
    await user.keyboard(">>");
    expect(video.playbackRate).toBe(1.5);
    expect(screen.getByLabelText("Speed")).toHaveValue("1.5");
    await user.keyboard("<");
    expect(video.playbackRate).toBe(1.25);

    await openPlayerSettings();
    await user.selectOptions(screen.getByRole("combobox", { name: "Speed" }), "0.5");
    expect(video.playbackRate).toBe(0.5);

    // Typing somewhere else is not a shortcut.
    const field = document.createElement("input");
    document.body.append(field);
    field.focus();
    await user.keyboard("k");
    expect(play).toHaveBeenCalledTimes(1);
    field.remove();
  });

  it("gives a portrait video its own shape instead of a 16:9 box", async () => {
    const item = mediaItem({ id: "m-1", width: 1080, height: 1920 });
    serveItem(item);
    setAccessToken("tok", 1800);
    renderWatch("m-1");
    const video = await screen.findByTestId("player");
    expect(video).toHaveClass("portrait");
    expect(video.style.getPropertyValue("--portrait-aspect")).toBe("0.5625");
  });

  it("waits for an item that is still being transcoded, then plays it", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const ITEM = `${API}/catalogue/m-1`;
    const pending = mediaItem({ id: "m-1", playable: false, processing_state: "processing", processing_percent: 40 });
    server.use(
      http.get(ITEM, () => ok(pending), { once: true }),
      http.get(ITEM, () => ok({ ...pending, playable: true, processing_state: "ready", processing_percent: 100 })),
      http.post(`${ITEM}/stream-token`, () => ok({ stream_url: "/api/v1/stream/ready", expires_in: 3600 })),
    );
    const seen = recordRequests();
    setAccessToken("tok", 1800);
    renderWatch("m-1");

    expect(await screen.findByTestId("player-pending")).toHaveTextContent("Processing 40 %");
    expect(screen.queryByTestId("player")).not.toBeInTheDocument();
    expect(sentTo(seen, "POST", `${ITEM}/stream-token`)).toHaveLength(0);

    await act(() => vi.advanceTimersByTimeAsync(PROCESSING_POLL_MS));

    const video = await screen.findByTestId("player");
    await vi.waitFor(() => expect(video.getAttribute("src")).toBe("/api/v1/stream/ready"));
    expect(screen.queryByTestId("player-pending")).not.toBeInTheDocument();
  });

  it("lets an admin transcode a failed item again, then waits for it", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const user = setupUser();
    const ITEM = `${API}/catalogue/m-1`;
    const failed = mediaItem({ id: "m-1", playable: false, processing_state: "failed", processing_detail: "out of memory" });
    server.use(
      http.get(ITEM, () => ok(failed), { once: true }),
      http.post(`${API}/ingest/items/m-1/transcode`, () => ok({ ...failed, processing_state: "queued", processing_detail: null })),
      http.get(ITEM, () => ok({ ...failed, processing_state: "processing", processing_percent: 30, processing_detail: null })),
    );
    setAccessToken("tok", 1800);
    renderWatch("m-1");

    expect(await screen.findByTestId("player-pending")).toHaveTextContent("Processing failed: out of memory");
    await user.click(screen.getByRole("button", { name: "Transcode again (Sunset over the bay)" }));

    expect(await screen.findByTestId("player-pending")).toHaveTextContent("Queued for processing");
    expect(screen.queryByRole("button", { name: /again$/ })).not.toBeInTheDocument();
    await act(() => vi.advanceTimersByTimeAsync(PROCESSING_POLL_MS));
    expect(await screen.findByText(/Processing 30 %/)).toBeInTheDocument();
  });

  /**
   * The watch page of m-1 on the original file, whose grants (100 s, renewed after 50 s) are
   * `first`, then `second`, with a storyboard of one sheet (two tiles over 65 s); the page's
   * requests are recorded from the start.
   */
  async function storyboardPage() {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const TOKEN = `${API}/catalogue/m-1/stream-token`;
    const grant = (token: string) => ({
      stream_url: `/api/v1/stream/${token}`,
      expires_in: 100,
      hls_url: null,
      storyboard_url: `/api/v1/stream/${token}/storyboard/storyboard.vtt`,
    });
    const vtt = [
      "WEBVTT",
      "",
      "00:00:00.000 --> 00:00:30.000",
      "sheet_001.jpg#xywh=0,0,160,90",
      "",
      "00:00:30.000 --> 00:01:05.000",
      "sheet_001.jpg#xywh=160,0,160,90",
      "",
    ].join("\n");
    server.use(
      http.get(`${API}/catalogue/m-1`, () => ok(mediaItem({ id: "m-1" }))),
      http.post(TOKEN, () => ok(grant("first")), { once: true }),
      http.post(TOKEN, () => ok(grant("second"))),
      http.get(`${API}/stream/:token/storyboard/storyboard.vtt`, () =>
        new HttpResponse(vtt, { headers: { "Content-Type": "text/vtt" } }),
      ),
      http.get(`${API}/stream/:token/storyboard/sheet_001.jpg`, () =>
        new HttpResponse(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), { headers: { "Content-Type": "image/jpeg" } }),
      ),
    );
    const seen = recordRequests();
    setAccessToken("tok", 1800);
    const page = renderWatch("m-1");
    const video = await screen.findByTestId<HTMLVideoElement>("player");
    await vi.waitFor(() => expect(video.getAttribute("src")).toBe("/api/v1/stream/first"));
    Object.defineProperty(video, "duration", { configurable: true, get: () => 65 });
    act(() => {
      video.dispatchEvent(new Event("durationchange"));
    });
    const seekBar = screen.getByRole("slider", { name: "Seek" });
    const bar = seekBar.parentElement!;
    vi.spyOn(seekBar, "getBoundingClientRect").mockReturnValue(DOMRect.fromRect({ x: 100, y: 0, width: 650, height: 20 }));
    /** The requests for the storyboard's `file` so far, by their token. */
    const asked = (file: string) =>
      seen.filter((r) => r.url.pathname.endsWith(`/storyboard/${file}`)).map((r) => r.url.pathname.split("/")[4]);
    /** Renewal: the second grant, 50 s on. */
    const renew = async () => {
      await act(() => vi.advanceTimersByTimeAsync(50_000));
      await vi.waitFor(() => expect(video.getAttribute("src")).toBe("/api/v1/stream/second"));
    };
    return { page, video, seekBar, bar, asked, renew };
  }

  /** The storyboard frame once the pointer at `clientX` over `bar` shows one with its sheet drawn. */
  async function framePointedAt(bar: HTMLElement, clientX: number): Promise<HTMLElement> {
    return vi.waitFor(() => {
      fireEvent.pointerMove(bar, { clientX });
      const frame = screen.getByTestId("storyboard-frame");
      expect(frame.style.backgroundImage).toMatch(/^url\("blob:/);
      return frame;
    });
  }

  it("shows the storyboard frame under the pointer, its sheet downloaded once across token renewals", async () => {
    const created = vi.spyOn(URL, "createObjectURL");
    const revoked = vi.spyOn(URL, "revokeObjectURL");
    const { page, seekBar, bar, video, asked, renew } = await storyboardPage();
    // Nothing of the storyboard beside the first segments: not until the viewer points at the bar.
    expect(asked("storyboard.vtt")).toEqual([]);

    // 3/4 of the way along a 65 s video: 48.75 s, the second tile.
    const frame = await framePointedAt(bar, 100 + 650 * 0.75);
    expect(frame.style.backgroundPosition).toBe("-160px 0px");
    expect(screen.getByTestId("seek-preview")).toHaveTextContent("0:48");
    expect(asked("storyboard.vtt")).toEqual(["first"]);
    expect(asked("sheet_001.jpg")).toEqual(["first"]);
    const picture = frame.style.backgroundImage;
    fireEvent.pointerLeave(bar);
    expect(screen.queryByTestId("storyboard-frame")).not.toBeInTheDocument();

    // After a renewal the sheet already loaded is drawn again: no second download on the new token.
    await renew();
    const early = await framePointedAt(bar, 110);
    expect(early.style.backgroundPosition).toBe("0px 0px");
    expect(early.style.backgroundImage).toBe(picture);
    expect(asked("sheet_001.jpg")).toEqual(["first"]);
    expect(asked("storyboard.vtt")).toEqual(["first"]);

    // Dragging the bar seeks at once.
    fireEvent.change(seekBar, { target: { value: "20" } });
    expect(video.currentTime).toBe(20);

    // The item goes: its sheet is let go.
    const url = created.mock.results[0]?.value as string;
    expect(revoked).not.toHaveBeenCalledWith(url);
    page.unmount();
    expect(revoked).toHaveBeenCalledWith(url);
  });

  it("loads the storyboard once the video can play, and a first sheet on the token in force", async () => {
    const { video, bar, asked, renew } = await storyboardPage();
    act(() => void video.dispatchEvent(new Event("canplay")));
    await vi.waitFor(() => expect(asked("storyboard.vtt")).toEqual(["first"]));
    expect(asked("sheet_001.jpg")).toEqual([]); // a sheet waits until a preview needs it

    await renew();
    await framePointedAt(bar, 110);
    expect(asked("sheet_001.jpg")).toEqual(["second"]);
    expect(asked("storyboard.vtt")).toEqual(["first"]);
  });

  it("offers to resume where the viewer left off, or to start over", async () => {
    const item = { ...mediaItem({ id: "m-1", duration_seconds: 1000 }), progress: savedProgress(754) };
    serveItem(item);
    setAccessToken("tok", 1800);
    const user = setupUser();
    renderWatch("m-1");
    const video = await playerReady();
    const playback = { time: 0, paused: true };
    const play = fakePlayback(video, playback);
    Object.defineProperty(video, "readyState", { configurable: true, get: () => 1 });

    await user.click(screen.getByRole("button", { name: "Resume from 12:34" }));
    expect(playback.time).toBe(754);
    expect(play).toHaveBeenCalledTimes(1);
    expect(screen.queryByTestId("resume-offer")).not.toBeInTheDocument();
    // The pressed button went with the offer: the focus is on the player, not the page's body.
    expect(video.closest(".player-frame")).toHaveFocus();
  });

  it("does not offer to resume a finished item or one barely started", async () => {
    for (const progress of [savedProgress(990, { completed: true }), savedProgress(3)]) {
      serveItem({ ...mediaItem({ id: "m-1" }), progress });
      setAccessToken("tok", 1800);
      const { unmount } = renderWatch("m-1");
      await screen.findByTestId("player");
      expect(screen.queryByRole("button", { name: /Resume from/ })).not.toBeInTheDocument();
      unmount();
    }
  });

  it("starts over from the beginning when asked", async () => {
    serveItem({ ...mediaItem({ id: "m-1" }), progress: savedProgress(40) });
    setAccessToken("tok", 1800);
    const user = setupUser();
    renderWatch("m-1");
    const video = await playerReady();
    const playback = { time: 12, paused: true };
    const play = fakePlayback(video, playback);
    Object.defineProperty(video, "readyState", { configurable: true, get: () => 1 });
    // The overlay is dark in either theme: its buttons take their colours from on-overlay, not the theme.
    for (const name of [/^Resume from/, "Start over"]) {
      expect(screen.getByRole("button", { name })).toHaveClass("on-overlay");
    }
    await user.click(screen.getByRole("button", { name: "Start over" }));
    expect(playback.time).toBe(0);
    expect(play).toHaveBeenCalledTimes(1);
  });

  it("saves the position as playing starts, every ~10 s while playing, on pause, and with keepalive when the page is hidden", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const PROGRESS = `${API}/catalogue/m-1/progress`;
    serveItem(mediaItem({ id: "m-1" }));
    const seen = recordRequests();
    setAccessToken("tok", 1800);
    renderWatch("m-1");
    const video = await playerReady();
    const playback = { time: 0, paused: true };
    fakePlayback(video, playback);
    Object.defineProperty(video, "duration", { configurable: true, get: () => 65 });
    const fire = (name: string) => act(() => void video.dispatchEvent(new Event(name)));
    const saves = async () => {
      const sent = sentTo(seen, "PUT", PROGRESS);
      return Promise.all(sent.map(async (r) => ({ body: (await r.request.clone().json()) as unknown, keepalive: r.keepalive })));
    };

    playback.paused = false;
    fire("play"); // saved as it starts: the server counts time watched between two saves
    await vi.waitFor(() => expect(sentTo(seen, "PUT", PROGRESS)).toHaveLength(1));
    playback.time = 4;
    fire("timeupdate");
    expect(sentTo(seen, "PUT", PROGRESS)).toHaveLength(1); // not yet 10 s

    await act(() => vi.advanceTimersByTimeAsync(10_000));
    playback.time = 14;
    fire("timeupdate");
    await vi.waitFor(() => expect(sentTo(seen, "PUT", PROGRESS)).toHaveLength(2));
    expect(sentTo(seen, "PUT", PROGRESS)[1]?.headers.get("Authorization")).toBe("Bearer tok");

    playback.time = 16.5;
    playback.paused = true;
    fire("pause");
    await vi.waitFor(() => expect(sentTo(seen, "PUT", PROGRESS)).toHaveLength(3));
    // Playing again from where it paused is saved again, the same place though it is.
    playback.paused = false;
    fire("play");
    await vi.waitFor(() => expect(sentTo(seen, "PUT", PROGRESS)).toHaveLength(4));

    playback.time = 17;
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
    act(() => void document.dispatchEvent(new Event("visibilitychange")));
    delete (document as { visibilityState?: unknown }).visibilityState;
    await vi.waitFor(() => expect(sentTo(seen, "PUT", PROGRESS)).toHaveLength(5));

    expect(await saves()).toEqual([
      { body: { position_seconds: 0, duration_seconds: 65 }, keepalive: false },
      { body: { position_seconds: 14, duration_seconds: 65 }, keepalive: false },
      { body: { position_seconds: 16.5, duration_seconds: 65 }, keepalive: false },
      { body: { position_seconds: 16.5, duration_seconds: 65 }, keepalive: false },
      { body: { position_seconds: 17, duration_seconds: 65 }, keepalive: true },
    ]);
  });

  describe("links to a moment", () => {
    /** The page at `search` for m-1 (`item`'s length and progress), its video on a fake clock of `duration` s. */
    async function watchAt(search: string, item: ViewedMediaItem, duration = item.duration_seconds ?? Number.NaN) {
      serveItem(item);
      const seen = recordRequests();
      setAccessToken("tok", 1800);
      const user = setupUser();
      renderWatch("m-1", search);
      const video = await playerReady(); // metadata comes from a source
      const playback = { time: 0, paused: true };
      const play = fakePlayback(video, playback);
      Object.defineProperty(video, "duration", { configurable: true, get: () => duration });
      const fire = (name: string) => act(() => void video.dispatchEvent(new Event(name)));
      return { user, video, playback, play, fire, seen };
    }

    const unfinished = (duration = 1000) => ({
      ...mediaItem({ id: "m-1", duration_seconds: duration }),
      progress: savedProgress(754),
    });

    it.each([
      ["?t=90", 90],
      ["?t=90s", 90],
      ["?t=1m30s", 90],
      ["?t=1h2m3s", 3723],
      ["?t=1:30", 90],
      ["?t=1:02:03", 3723],
    ])("starts %s at %s s once the video knows its length, without offering to resume", async (search, at) => {
      const { playback, play, fire } = await watchAt(search, unfinished(4000));
      expect(screen.queryByTestId("resume-offer")).not.toBeInTheDocument();
      expect(playback.time).toBe(0); // no metadata yet: nothing to seek in
      fire("loadedmetadata");
      expect(playback.time).toBe(at);
      // Where it starts, not whether: playing is still the viewer's call.
      expect(play).not.toHaveBeenCalled();
      // A later source (a renewed token) restores its own position, not the link's.
      playback.time = 200;
      fire("loadedmetadata");
      expect(playback.time).toBe(200);
    });

    it.each([["?t=abc"], ["?t=-5"], ["?t=99999"], ["?t=1:75"], ["?t="]])(
      "ignores %s: no seek, and the resume offer as without it",
      async (search) => {
        const { playback, fire } = await watchAt(search, unfinished());
        expect(screen.getByRole("button", { name: "Resume from 12:34" })).toBeInTheDocument();
        fire("loadedmetadata");
        expect(playback.time).toBe(0);
      },
    );

    it("keeps the viewer's saved place when they open a moment and leave without playing", async () => {
      const { playback, fire, seen } = await watchAt("?t=90", unfinished());
      fire("loadedmetadata");
      expect(playback.time).toBe(90);
      fire("seeked");
      act(() => void window.dispatchEvent(new Event("pagehide")));
      cleanup(); // leaving the page
      await act(() => Promise.resolve());
      expect(sentTo(seen, "PUT", `${API}/catalogue/m-1/progress`)).toHaveLength(0);
    });

    it("does not seek to the end when t is past the end of a video the catalogue had no length for", async () => {
      const { playback, fire } = await watchAt("?t=99999", mediaItem({ id: "m-1", duration_seconds: null }), 65);
      fire("loadedmetadata");
      expect(playback.time).toBe(0);
    });

    it("copies a link to the current whole second, says so for a moment, and follows the video", async () => {
      vi.useFakeTimers({ shouldAdvanceTime: true });
      const { user, playback, fire } = await watchAt("", mediaItem({ id: "m-1" }));
      expect(screen.getByRole("button", { name: "Copy link at 0:00" })).toBeInTheDocument();
      playback.time = 83.7;
      fire("timeupdate");
      await user.click(screen.getByRole("button", { name: "Copy link at 1:23" }));

      expect(await navigator.clipboard.readText()).toBe(`${window.location.origin}/watch/m-1?t=83`);
      const status = screen.getByTestId("moment-link-status");
      expect(status).toHaveAttribute("role", "status");
      await vi.waitFor(() => expect(status).toHaveTextContent("Link copied"));
      await act(() => vi.advanceTimersByTimeAsync(COPIED_FOR_MS));
      expect(status).toHaveTextContent("");

      playback.time = 62;
      fire("seeked");
      expect(screen.getByRole("button", { name: "Copy link at 1:02" })).toBeInTheDocument();
    });

    // After setupUser(), whose clipboard stub otherwise takes the text.
    const noClipboard = () => vi.spyOn(navigator, "clipboard", "get").mockReturnValue(undefined as unknown as Clipboard);
    const refusal = () =>
      vi.spyOn(navigator.clipboard, "writeText").mockRejectedValue(new DOMException("Denied", "NotAllowedError"));

    it.each([
      ["is missing", noClipboard],
      ["refuses", refusal],
    ])("shows the link selected to copy by hand when the clipboard %s", async (_why, breakClipboard) => {
      const { user, playback, fire } = await watchAt("", mediaItem({ id: "m-1" }));
      breakClipboard();
      playback.time = 5;
      fire("timeupdate");
      await user.click(screen.getByRole("button", { name: "Copy link at 0:05" }));

      const field = await screen.findByRole<HTMLInputElement>("textbox", { name: "Copy this link" });
      const url = `${window.location.origin}/watch/m-1?t=5`;
      expect(field).toHaveValue(url);
      expect(field).toHaveAttribute("readonly");
      // Focused and selected by an effect after the field shows.
      await waitFor(() => expect(field).toHaveFocus());
      await waitFor(() => expect([field.selectionStart, field.selectionEnd]).toEqual([0, url.length]));
      expect(screen.getByTestId("moment-link-status")).not.toHaveTextContent("Link copied");
    });

    it("makes timestamps in the description seek the player in place and replace the URL's t", async () => {
      const description = "Intro 0:00 · chorus 1:23 · outro 1:02:03 · 1:75 · 2:00:00 · https://example.org/v/1:23";
      const item = mediaItem({ id: "m-1", duration_seconds: 4000, description });
      const { user, video, playback, play, seen } = await watchAt("?t=10", item);
      Object.defineProperty(video, "readyState", { configurable: true, get: () => 1 });
      const links = within(document.querySelector<HTMLElement>(".description")!).getAllByRole("link");
      expect(links.map((a) => [a.textContent, a.getAttribute("href")])).toEqual([
        ["0:00", "/watch/m-1?t=0"],
        ["1:23", "/watch/m-1?t=83"],
        ["1:02:03", "/watch/m-1?t=3723"],
        ["https://example.org/v/1:23", "https://example.org/v/1:23"],
      ]);

      await user.click(links[1]!);
      expect(playback.time).toBe(83);
      expect(play).toHaveBeenCalledTimes(1);
      expect(screen.getByTestId("location")).toHaveTextContent("/watch/m-1?t=83");
      // The same player: the same element, and no second stream token.
      expect(screen.getByTestId("player")).toBe(video);
      expect(sentTo(seen, "POST", `${API}/catalogue/m-1/stream-token`)).toHaveLength(1);

      await user.click(links[0]!);
      expect(playback.time).toBe(0);
      expect(screen.getByTestId("location")).toHaveTextContent("/watch/m-1?t=0");
    });

    it("makes timestamps in a comment seek the player in place, as the description's do", async () => {
      server.use(
        http.get(`${API}/catalogue/m-1/comments`, () => ok(commentPage([comment({ body: "The chorus at 1:23\nand https://example.org" })]))),
      );
      const { user, video, playback, play } = await watchAt("", mediaItem({ id: "m-1", duration_seconds: 4000 }));
      Object.defineProperty(video, "readyState", { configurable: true, get: () => 1 });
      const section = await screen.findByRole("region", { name: "1 comment" });
      const links = within(within(section).getByRole("listitem")).getAllByRole("link");
      expect(links.map((a) => [a.textContent, a.getAttribute("href")])).toEqual([
        ["1:23", "/watch/m-1?t=83"],
        ["https://example.org", "https://example.org"],
      ]);

      await user.click(links[0]!);
      expect(playback.time).toBe(83);
      expect(play).toHaveBeenCalledTimes(1);
      expect(screen.getByTestId("location")).toHaveTextContent("/watch/m-1?t=83");
    });
  });

  describe("captions", () => {
    const grant = (token: string) => ({
      stream_url: `/api/v1/stream/${token}`,
      expires_in: 100,
      captions: [
        { language: "en", label: "English", url: `/api/v1/stream/${token}/captions/en.vtt` },
        { language: "fr-CA", label: "Français (Canada)", url: `/api/v1/stream/${token}/captions/fr-CA.vtt` },
      ],
    });

    /** jsdom's <track> has no TextTrack: give each one a mode the page can set. */
    function fakeTextTracks() {
      const tracks = new WeakMap<HTMLTrackElement, { mode: TextTrackMode }>();
      Object.defineProperty(HTMLTrackElement.prototype, "track", {
        configurable: true,
        get(this: HTMLTrackElement) {
          if (!tracks.has(this)) tracks.set(this, { mode: "disabled" });
          return tracks.get(this);
        },
      });
      return (video: HTMLElement) =>
        Object.fromEntries([...video.querySelectorAll("track")].map((t) => [t.srclang, t.track.mode]));
    }

    afterEach(() => {
      delete (HTMLTrackElement.prototype as { track?: unknown }).track;
    });

    /** The watch page of m-1 with both tracks granted, the settings menu open. */
    async function watchWithCaptions() {
      const modes = fakeTextTracks();
      server.use(
        http.get(`${API}/catalogue/m-1`, () => ok(mediaItem({ id: "m-1" }))),
        http.post(`${API}/catalogue/m-1/stream-token`, () => ok(grant("abc"))),
      );
      setAccessToken("tok", 1800);
      const user = setupUser();
      const { unmount } = renderWatch("m-1");
      // The shortcuts (c) listen once the source is set, as in playerReady.
      const video = await playerReady("/api/v1/stream/abc");
      await openPlayerSettings();
      const menu = await screen.findByRole("combobox", { name: "Captions" });
      return { user, video, menu, unmount, modes: () => modes(video) };
    }

    it("adds a subtitles track per grant caption and shows the one picked in the menu, remembered", async () => {
      const { user, video, menu, modes } = await watchWithCaptions();

      const tracks = [...video.querySelectorAll("track")];
      expect(tracks.map((t) => [t.kind, t.srclang, t.label, t.getAttribute("src")])).toEqual([
        ["subtitles", "en", "English", "/api/v1/stream/abc/captions/en.vtt"],
        ["subtitles", "fr-CA", "Français (Canada)", "/api/v1/stream/abc/captions/fr-CA.vtt"],
      ]);
      expect(within(menu).getAllByRole("option").map((o) => o.textContent)).toEqual([
        "Off",
        "English",
        "Français (Canada)",
      ]);
      // Off until the viewer asks: nothing is loaded.
      expect(menu).toHaveValue("");
      expect(modes()).toEqual({ en: "disabled", "fr-CA": "disabled" });

      await user.selectOptions(menu, "Français (Canada)");
      expect(modes()).toEqual({ en: "disabled", "fr-CA": "showing" });
      expect(localStorage.getItem("streamstack.captions")).toBe("fr-CA");

      // c (once the menu has let go of the keys): off, then back on the same language; the menu follows.
      menu.blur();
      await user.keyboard("c");
      expect(modes()).toEqual({ en: "disabled", "fr-CA": "disabled" });
      expect(menu).toHaveValue("");
      expect(localStorage.getItem("streamstack.captions")).toBe("");
      await user.keyboard("c");
      expect(modes()).toEqual({ en: "disabled", "fr-CA": "showing" });
      expect(menu).toHaveValue("fr-CA");

      await user.selectOptions(menu, "Off");
      expect(modes()).toEqual({ en: "disabled", "fr-CA": "disabled" });
    });

    it("lists the item's tracks with its details", async () => {
      const captions = [
        { language: "en", label: "English", source: "upload" as const },
        { language: "es", label: "Español", source: "embedded" as const },
      ];
      serveItem(mediaItem({ id: "m-1", captions }));
      setAccessToken("tok", 1800);
      renderWatch("m-1");
      expect(await screen.findByTestId("watch-captions")).toHaveTextContent("English, Español");
    });

    it("names a track the server could only name by its language tag (an embedded one) by the language", async () => {
      fakeTextTracks();
      const url = "/api/v1/stream/abc/captions/de.vtt";
      server.use(
        http.get(`${API}/catalogue/m-1`, () =>
          ok(mediaItem({ id: "m-1", captions: [{ language: "de", label: "de", source: "embedded" }] })),
        ),
        http.post(`${API}/catalogue/m-1/stream-token`, () =>
          ok({ ...grant("abc"), captions: [{ language: "de", label: "de", url }] }),
        ),
      );
      setAccessToken("tok", 1800);
      renderWatch("m-1");
      const video = await playerReady("/api/v1/stream/abc");
      await openPlayerSettings();

      const menu = await screen.findByRole("combobox", { name: "Captions" });
      expect(within(menu).getAllByRole("option").map((o) => o.textContent)).toEqual(["Off", "Deutsch"]);
      expect(video.querySelector("track")).toHaveAttribute("label", "Deutsch");
      expect(screen.getByTestId("watch-captions")).toHaveTextContent(/^Deutsch$/);
    });

    it("keeps a subtitle track the browser added itself (Safari's own HLS) off, beside ours", async () => {
      localStorage.setItem("streamstack.captions", "en");
      // A track list that, like Safari's, also holds the master playlist's renditions.
      const lists = new WeakMap<HTMLMediaElement, EventTarget & { items: { kind: string; mode: string }[] }>();
      const jsdomTracks = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, "textTracks");
      Object.defineProperty(HTMLMediaElement.prototype, "textTracks", {
        configurable: true,
        get(this: HTMLMediaElement) {
          if (!lists.has(this)) {
            const list = Object.assign(new EventTarget(), { items: [] as { kind: string; mode: string }[] });
            lists.set(this, Object.assign(list, { [Symbol.iterator]: () => list.items[Symbol.iterator]() }));
          }
          return lists.get(this);
        },
      });
      try {
        const { video, modes } = await watchWithCaptions();
        const list = lists.get(video)!;
        const native = { kind: "subtitles", mode: "showing" };
        const metadata = { kind: "metadata", mode: "hidden" };
        list.items.push(...[...video.querySelectorAll("track")].map((t) => t.track), native, metadata);
        act(() => void list.dispatchEvent(new Event("addtrack")));
        expect(native.mode).toBe("disabled");
        expect(metadata.mode).toBe("hidden"); // not subtitles: not ours to judge
        expect(modes()).toEqual({ en: "showing", "fr-CA": "disabled" });
      } finally {
        if (jsdomTracks) Object.defineProperty(HTMLMediaElement.prototype, "textTracks", jsdomTracks);
        else delete (HTMLMediaElement.prototype as { textTracks?: unknown }).textTracks;
      }
    });

    it("opens with the remembered language, or its nearest track, already showing", async () => {
      localStorage.setItem("streamstack.captions", "fr");
      const { menu, modes } = await watchWithCaptions();
      expect(menu).toHaveValue("fr-CA");
      expect(modes()).toEqual({ en: "disabled", "fr-CA": "showing" });
    });

    it("c turns the first track on when nothing was chosen; no menu for an item without tracks", async () => {
      const { user, modes, unmount } = await watchWithCaptions();
      expect(screen.getByTestId("player-keys")).toHaveTextContent("c captions");
      await user.keyboard("c");
      expect(modes()).toEqual({ en: "showing", "fr-CA": "disabled" });
      expect(localStorage.getItem("streamstack.captions")).toBe("en");
      unmount();

      serveItem(mediaItem({ id: "m-1" }));
      renderWatch("m-1");
      const plain = await screen.findByTestId<HTMLVideoElement>("player");
      await vi.waitFor(() => expect(plain.getAttribute("src")).toBe("/s/1"));
      expect(plain.querySelector("track")).toBeNull();
      expect(screen.queryByLabelText("Captions")).not.toBeInTheDocument();
      expect(screen.getByTestId("player-keys")).not.toHaveTextContent("captions"); // no key to offer
      await user.keyboard("c"); // nothing to toggle, nothing breaks
    });

    it("moves a track not loaded yet onto the renewed token, and leaves a loaded one alone", async () => {
      vi.useFakeTimers({ shouldAdvanceTime: true });
      const TOKEN = `${API}/catalogue/m-1/stream-token`;
      server.use(
        http.get(`${API}/catalogue/m-1`, () => ok(mediaItem({ id: "m-1" }))),
        http.post(TOKEN, () => ok(grant("first")), { once: true }),
        http.post(TOKEN, () => ok(grant("second"))),
      );
      setAccessToken("tok", 1800);
      renderWatch("m-1");
      const video = await screen.findByTestId<HTMLVideoElement>("player");
      await vi.waitFor(() => expect(video.querySelectorAll("track")).toHaveLength(2));
      const [english, french] = [...video.querySelectorAll("track")];
      Object.defineProperty(english!, "readyState", { configurable: true, get: () => 2 }); // LOADED

      await act(() => vi.advanceTimersByTimeAsync(50_000));
      await vi.waitFor(() => expect(video.getAttribute("src")).toBe("/api/v1/stream/second"));
      expect(french).toHaveAttribute("src", "/api/v1/stream/second/captions/fr-CA.vtt");
      expect(english).toHaveAttribute("src", "/api/v1/stream/first/captions/en.vtt");
    });
  });

  describe("up next", () => {
    const NEXT = mediaItem({ id: "m-2", title: "The next one", duration_seconds: 30, view_count: 7 });
    const OTHER = mediaItem({ id: "m-3", title: "Another one", duration_seconds: 90 });

    /** The end screen's whole countdown, a second at a time (each second is a new timer). */
    async function countDown() {
      for (let second = 0; second <= UP_NEXT_SECONDS; second += 1) {
        await act(() => vi.advanceTimersByTimeAsync(1000));
      }
    }

    function withRelated() {
      serveItem(mediaItem({ id: "m-1" }));
      server.use(
        http.get(`${API}/catalogue/m-1/related`, () => ok({ items: [NEXT, OTHER] })),
        http.get(`${API}/catalogue/m-2`, () => ok(NEXT)),
        http.post(`${API}/catalogue/m-2/stream-token`, () => ok({ stream_url: "/s/2", expires_in: 3600 })),
      );
    }

    it("lists what to watch next beside the item, the first first", async () => {
      withRelated();
      renderWatch("m-1");

      expect(await screen.findByRole("region", { name: "Up next" })).toBeInTheDocument();
      const entries = await screen.findAllByTestId("related-item");
      expect(entries.map((entry) => entry.textContent)).toEqual([
        expect.stringContaining("The next one"),
        expect.stringContaining("Another one"),
      ]);
      expect(within(entries[0]!).getByRole("link")).toHaveAttribute("href", "/watch/m-2");
    });

    it("offers the next item when the video ends, and plays it after the countdown", async () => {
      vi.useFakeTimers({ shouldAdvanceTime: true });
      withRelated();
      renderWatch("m-1");
      await screen.findAllByTestId("related-item");
      const video = await playerReady();

      act(() => void video.dispatchEvent(new Event("ended")));
      const overlay = await screen.findByTestId("up-next");
      expect(overlay).toHaveTextContent(`Up next in ${UP_NEXT_SECONDS} s`);
      expect(overlay).toHaveTextContent("The next one");
      await countDown();

      await vi.waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/watch/m-2"));
      // The next item's player starts by itself: the viewer asked for it.
      const next = await playerReady("/s/2");
      const play = fakePlayback(next, { time: 0, paused: true });
      act(() => void next.dispatchEvent(new Event("loadedmetadata")));
      expect(play).toHaveBeenCalled();
    });

    /**
     * m-1 played to its end (after `meanwhile`, while it plays), with related
     * items: the end screen, and a user on the fake clock.
     */
    async function endScreen(meanwhile: () => Promise<void> = () => Promise.resolve()) {
      vi.useFakeTimers({ shouldAdvanceTime: true });
      withRelated();
      const user = setupUser({ advanceTimers: vi.advanceTimersByTime });
      renderWatch("m-1");
      await screen.findAllByTestId("related-item");
      const video = await playerReady();
      await meanwhile();
      act(() => void video.dispatchEvent(new Event("ended")));
      return { user, video, overlay: await screen.findByTestId("up-next") };
    }

    it("stays on the item when the end screen is cancelled, and shows it again at the next end", async () => {
      const { user, video, overlay } = await endScreen();
      const said = screen.getByTestId("shortcut-announcer");
      expect(said).toHaveTextContent(`Up next in ${UP_NEXT_SECONDS} seconds: The next one`);
      await user.click(within(overlay).getByRole("button", { name: "Cancel" }));
      // Cancel is gone with the end screen: the focus is on the player, not on the page's body.
      expect(video.closest(".player-frame")).toHaveFocus();
      // The status region no longer says a countdown that stopped (to whoever reads it later).
      expect(said).not.toHaveTextContent(/Up next/);
      await countDown();

      expect(screen.queryByTestId("up-next")).not.toBeInTheDocument();
      expect(screen.getByTestId("location")).toHaveTextContent("/watch/m-1");
      act(() => void video.dispatchEvent(new Event("play")));
      act(() => void video.dispatchEvent(new Event("ended")));
      expect(await screen.findByTestId("up-next")).toBeInTheDocument();
    });

    it("leaves the bar in reach: a seek back ends the end screen and its countdown; Replay plays again", async () => {
      const { user, video } = await endScreen();
      const playback = { time: 65, paused: true };
      const play = fakePlayback(video, playback);
      Object.defineProperty(video, "duration", { configurable: true, get: () => 65 });
      Object.defineProperty(video, "ended", { configurable: true, get: () => playback.time === 65 });
      act(() => void video.dispatchEvent(new Event("durationchange")));
      expect(screen.getByRole("button", { name: "Replay" })).toBeInTheDocument();
      fireEvent.change(screen.getByRole("slider", { name: "Seek" }), { target: { value: "30" } });
      expect(playback.time).toBe(30);
      act(() => void video.dispatchEvent(new Event("seeking"))); // as the browser does
      expect(screen.queryByTestId("up-next")).not.toBeInTheDocument();
      expect(screen.getByRole("button", { name: "Play" })).toBeInTheDocument();
      await countDown();
      expect(screen.getByTestId("location")).toHaveTextContent("/watch/m-1");

      playback.time = 65;
      act(() => void video.dispatchEvent(new Event("ended")));
      expect(await screen.findByTestId("up-next")).toBeInTheDocument();
      await user.click(screen.getByRole("button", { name: "Replay" }));
      expect(play).toHaveBeenCalledTimes(1);
    });

    it("by keyboard: says the countdown once, comes after Replay in Tab order, Space on Autoplay stops it", async () => {
      const { user, video } = await endScreen(() => {
        // Played from the bar's button, which is Replay once the video ended: the focus stays there.
        act(() => screen.getByRole("button", { name: "Play" }).focus());
        return Promise.resolve();
      });
      const play = fakePlayback(video, { time: 65, paused: true });
      Object.defineProperty(video, "ended", { configurable: true, get: () => true });
      act(() => void video.dispatchEvent(new Event("durationchange")));
      const replay = screen.getByRole("button", { name: "Replay" });
      const autoplay = screen.getByRole("switch", { name: "Autoplay" });
      // In the page's order the end screen follows the bar (Replay): Tab goes on into it.
      expect(replay.compareDocumentPosition(autoplay) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
      const said = screen.getByTestId("shortcut-announcer");
      expect(said).toHaveTextContent(`Up next in ${UP_NEXT_SECONDS} seconds: The next one`);
      const words = said.firstElementChild;
      await act(() => vi.advanceTimersByTimeAsync(2000));
      expect(said.firstElementChild).toBe(words); // not said again each second

      act(() => replay.focus());
      while (document.activeElement !== autoplay) await user.tab();
      await user.keyboard(" ");
      expect(autoplay).not.toBeChecked();
      expect(said).not.toHaveTextContent(/Up next/);
      expect(play).not.toHaveBeenCalled();
      await countDown();
      expect(screen.getByTestId("location")).toHaveTextContent("/watch/m-1");
    });

    it("puts the focus on the next item's player once the countdown went there", async () => {
      await endScreen(() => {
        // The viewer played by keyboard from the bar's button (Replay at the end), which goes with the page.
        const play = screen.getByRole("button", { name: "Play" });
        act(() => play.focus());
        fireEvent.keyDown(play, { key: "Shift" });
        return Promise.resolve();
      });
      await countDown();
      await vi.waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/watch/m-2"));
      const next = await playerReady("/s/2");
      const frame = next.closest(".player-frame");
      await vi.waitFor(() => expect(frame).toHaveFocus());
      expect(frame).toHaveClass("keyboard-focus");
    });

    it("stops the countdown while the viewer is on the end screen: focus or the pointer in it, or any key", async () => {
      const stops: ((overlay: HTMLElement, user: ReturnType<typeof setupUser>) => Promise<void>)[] = [
        (overlay) => Promise.resolve(act(() => within(overlay).getByRole("link", { name: "Play now" }).focus())),
        (overlay, user) => user.hover(within(overlay).getByText("The next one")),
        (_, user) => user.keyboard("{Tab}"),
      ];
      for (const stop of stops) {
        const { user, overlay } = await endScreen();
        const said = screen.getByTestId("shortcut-announcer");
        await stop(overlay, user);
        expect(overlay).not.toHaveTextContent(/Up next in/);
        expect(said).not.toHaveTextContent(/Up next/);
        await countDown();
        expect(screen.getByTestId("location")).toHaveTextContent("/watch/m-1");
        cleanup();
      }
    });

    it("cancels the end screen on Escape in the player, the focus on the player", async () => {
      const { user, video } = await endScreen(() => {
        act(() => screen.getByRole("button", { name: "Play" }).focus());
        return Promise.resolve();
      });
      await user.keyboard("{Escape}");
      expect(screen.queryByTestId("up-next")).not.toBeInTheDocument();
      expect(video.closest(".player-frame")).toHaveFocus();
      await countDown();
      expect(screen.getByTestId("location")).toHaveTextContent("/watch/m-1");
    });

    it("closes the open settings menu on Escape, and leaves the end screen to the next Escape", async () => {
      const { user } = await endScreen();
      await openPlayerSettings();
      await user.keyboard("{Escape}");
      expect(screen.getByRole("button", { name: "Settings" })).toHaveAttribute("aria-expanded", "false");
      expect(screen.getByTestId("up-next")).toBeInTheDocument();
      await user.keyboard("{Escape}");
      expect(screen.queryByTestId("up-next")).not.toBeInTheDocument();
    });

    it("puts the focus on Cancel from Replay, says Escape cancels, and counts on", async () => {
      const { user, overlay } = await endScreen(() => {
        act(() => screen.getByRole("button", { name: "Play" }).focus());
        return Promise.resolve();
      });
      const cancel = within(overlay).getByRole("button", { name: "Cancel" });
      expect(cancel).toHaveFocus();
      expect(cancel).toHaveAccessibleDescription("Or press Escape.");
      expect(screen.getByTestId("shortcut-announcer")).toHaveTextContent("To stay, press Escape or Cancel");
      // The focus put there is not the viewer's: the countdown goes on.
      await act(() => vi.advanceTimersByTimeAsync(2000));
      expect(overlay).toHaveTextContent(/Up next in [1-7] s/);
      await user.keyboard("{Enter}");
      expect(screen.queryByTestId("up-next")).not.toBeInTheDocument();
      await countDown();
      expect(screen.getByTestId("location")).toHaveTextContent("/watch/m-1");
    });

    it("leaves the focus in a field elsewhere on the page as the end screen comes up", async () => {
      const field = document.body.appendChild(document.createElement("textarea"));
      const { overlay } = await endScreen(() => Promise.resolve(act(() => field.focus())));
      expect(field).toHaveFocus();
      expect(overlay).toHaveTextContent(`Up next in ${UP_NEXT_SECONDS} s`);
      field.remove();
    });

    it("has Cancel right after Play now, the first of the end screen's controls", async () => {
      const { overlay } = await endScreen();
      const controls = [...overlay.querySelectorAll("a[href], button, input")];
      expect(controls.map((control) => control.closest("a, button, label")?.textContent)).toEqual([
        "Play now",
        "Cancel",
        "Autoplay",
      ]);
    });

    it("with Autoplay off, shows the next item without a countdown, remembers it, and plays only when asked", async () => {
      const { user, overlay } = await endScreen();
      const autoplay = within(overlay).getByRole("switch", { name: "Autoplay" });
      expect(autoplay).toBeChecked();
      await user.click(autoplay);
      expect(autoplay).not.toBeChecked();
      expect(localStorage.getItem(AUTOPLAY_NEXT_KEY)).toBe("off");
      expect(overlay).toHaveTextContent("Up next");
      expect(overlay).not.toHaveTextContent(/Up next in/);
      expect(overlay).toHaveTextContent("The next one");
      await countDown();
      await countDown();
      expect(screen.getByTestId("location")).toHaveTextContent("/watch/m-1");

      // Turned back on, the countdown starts from the top.
      await user.click(autoplay);
      expect(localStorage.getItem(AUTOPLAY_NEXT_KEY)).toBe("on");
      expect(overlay).toHaveTextContent(`Up next in ${UP_NEXT_SECONDS} s`);
    });

    it("turns Autoplay off from the player's settings before the end: the end screen waits", async () => {
      const { overlay } = await endScreen(async () => {
        await openPlayerSettings();
        fireEvent.change(screen.getByLabelText("Autoplay next"), { target: { value: "off" } });
      });
      expect(localStorage.getItem(AUTOPLAY_NEXT_KEY)).toBe("off");
      expect(within(overlay).getByRole("switch", { name: "Autoplay" })).not.toBeChecked();
      expect(overlay).not.toHaveTextContent(/Up next in/);
      await countDown();
      expect(screen.getByTestId("location")).toHaveTextContent("/watch/m-1");
      // The switch on the end screen and the menu are one setting.
      fireEvent.click(within(overlay).getByRole("switch", { name: "Autoplay" }));
      expect(screen.getByLabelText("Autoplay next")).toHaveValue("on");
    });

    it("remembers Autoplay off from an earlier visit: the end screen waits", async () => {
      localStorage.setItem(AUTOPLAY_NEXT_KEY, "off");
      const { user, overlay } = await endScreen();
      expect(within(overlay).getByRole("switch", { name: "Autoplay" })).not.toBeChecked();
      await countDown();
      expect(screen.getByTestId("location")).toHaveTextContent("/watch/m-1");
      await user.click(within(overlay).getByRole("link", { name: "Play now" }));
      await vi.waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/watch/m-2"));
    });

    it("from a playlist, shows it beside the player with the item marked, and offers its next item", async () => {
      vi.useFakeTimers({ shouldAdvanceTime: true });
      withRelated();
      const FOURTH = mediaItem({ id: "m-4", title: "Fourth in the list" });
      const list = playlistOf([mediaItem({ id: "m-1" }), FOURTH], { title: "Cooking" });
      server.use(
        http.get(`${API}/catalogue/playlists/p-1`, () => ok(list)),
        http.get(`${API}/catalogue/m-4`, () => ok(FOURTH)),
        http.post(`${API}/catalogue/m-4/stream-token`, () => ok({ stream_url: "/s/4", expires_in: 3600 })),
      );
      setAccessToken("tok", 1800);
      renderWatch("m-1", "?list=p-1");

      const panel = await screen.findByRole("region", { name: "Cooking" });
      const entries = within(panel).getAllByTestId("playlist-panel-item");
      expect(entries[0]).toHaveAttribute("aria-current", "true");
      expect(entries[1]).not.toHaveAttribute("aria-current");
      expect(within(entries[1]!).getByRole("link")).toHaveAttribute("href", "/watch/m-4?list=p-1");
      expect(within(panel).getByTestId("playlist-position")).toHaveTextContent("1 of 2");
      // The playlist says what comes next, not the related items.
      expect(screen.queryByTestId("related-item")).not.toBeInTheDocument();
      const video = await playerReady();

      act(() => void video.dispatchEvent(new Event("ended")));
      const overlay = await screen.findByTestId("up-next");
      expect(overlay).toHaveTextContent("Fourth in the list");
      await countDown();
      await vi.waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/watch/m-4?list=p-1"));
      const marked = await vi.waitFor(() => {
        const current = screen.getAllByTestId("playlist-panel-item")[1]!;
        expect(current).toHaveAttribute("aria-current", "true");
        return current;
      });
      expect(marked).toHaveTextContent("Fourth in the list");
      // At the playlist's end nothing is offered.
      const last = await playerReady("/s/4");
      act(() => void last.dispatchEvent(new Event("ended")));
      expect(screen.queryByTestId("up-next")).not.toBeInTheDocument();
    });

    it("plays as without a playlist one that does not hold the item, or that cannot be loaded", async () => {
      withRelated();
      server.use(
        http.get(`${API}/catalogue/playlists/p-1`, () => ok(playlistOf([NEXT]))),
        http.get(`${API}/catalogue/playlists/p-9`, () => apiError(404, "not_found", "no such playlist")),
      );
      setAccessToken("tok", 1800);
      for (const list of ["p-1", "p-9"]) {
        const answered = new Promise<void>((resolve) =>
          server.events.on("response:mocked", ({ request }) => {
            if (request.url.endsWith(`/catalogue/playlists/${list}`)) resolve();
          }),
        );
        renderWatch("m-1", `?list=${list}`);
        await answered;
        await act(() => Promise.resolve());
        expect(await screen.findAllByTestId("related-item")).toHaveLength(2);
        expect(screen.queryByTestId("playlist-panel-item")).not.toBeInTheDocument();
        cleanup();
      }
    });

    it("offers nothing at the end when there is nothing else to watch", async () => {
      serveItem(mediaItem({ id: "m-1" }));
      renderWatch("m-1");
      const video = await playerReady();

      act(() => void video.dispatchEvent(new Event("ended")));
      expect(screen.queryByTestId("up-next")).not.toBeInTheDocument();
      expect(screen.queryByRole("heading", { name: "Up next" })).not.toBeInTheDocument();
    });
  });

  describe("thumbnail from a frame", () => {
    const CHOOSE = `${API}/ingest/items/m-1/thumbnail`;
    const chosen = (at: number) => ({
      media_id: "m-1",
      at_seconds: at,
      thumbnail_url: "/api/v1/stream/thumbnails/m-1.jpg?v=abc",
      poster_url: "/api/v1/stream/thumbnails/m-1-poster.jpg?v=abc",
    });

    function signedInAs(user: typeof ADMIN) {
      hadSession();
      server.use(refreshGives("tok"), http.get(`${API}/auth/me`, () => ok(user)));
    }

    /** The admin on the watch page of a 65 s item, paused at `time` (null: nothing loaded yet). */
    async function adminPausedAt(time: number | null) {
      signedInAs(ADMIN);
      serveItem(mediaItem({ id: "m-1", duration_seconds: 65 }));
      const seen = recordRequests();
      const user = setupUser();
      renderWatch("m-1");
      const video = await playerReady();
      fakePlayback(video, { time: time ?? 0, paused: true });
      Object.defineProperty(video, "readyState", { configurable: true, get: () => (time === null ? 0 : 4) });
      return { seen, user };
    }

    it("makes the thumbnail of the frame the admin is at, and shows the new one", async () => {
      server.use(http.put(CHOOSE, async ({ request }) => ok(chosen(((await request.json()) as { at_seconds: number }).at_seconds))));
      const { seen, user } = await adminPausedAt(12.5);

      await user.click(await screen.findByRole("button", { name: "Use this frame as thumbnail" }));

      const status = await screen.findByText("Thumbnail set to the frame at 0:12.");
      expect(status.querySelector("img")).toHaveAttribute("src", "/api/v1/stream/thumbnails/m-1.jpg?v=abc");
      const [sent] = sentTo(seen, "PUT", CHOOSE);
      expect(await sent?.request.json()).toEqual({ at_seconds: 12.5 });
    });

    it("keeps the focus on its button, held, while the thumbnail is made", async () => {
      const { held, release } = holdAnswer();
      server.use(
        http.put(CHOOSE, async () => {
          await held;
          return ok(chosen(12.5));
        }),
      );
      const { user } = await adminPausedAt(12.5);

      (await screen.findByRole("button", { name: "Use this frame as thumbnail" })).focus();
      await user.keyboard("{Enter}");
      expectHeldWithFocus(await screen.findByRole("button", { name: "Making the thumbnail…" }));
      release();
      await screen.findByText("Thumbnail set to the frame at 0:12.");
      await waitFor(() => expect(screen.getByRole("button", { name: "Use this frame as thumbnail" })).toHaveFocus());
    });

    it("sends no moment past the item's length, and tells a refusal", async () => {
      server.use(http.put(CHOOSE, () => apiError(422, "probe_failed", "no video frame could be decoded")));
      const { seen, user } = await adminPausedAt(65.04);

      await user.click(await screen.findByRole("button", { name: "Use this frame as thumbnail" }));

      expect(await screen.findByRole("alert")).toHaveTextContent(
        "Could not make the thumbnail: no video frame could be decoded",
      );
      expect(await sentTo(seen, "PUT", CHOOSE)[0]?.request.json()).toEqual({ at_seconds: 65 });
    });

    it("asks to load the video first rather than send no moment", async () => {
      const { seen, user } = await adminPausedAt(null);

      await user.click(await screen.findByRole("button", { name: "Use this frame as thumbnail" }));

      expect(await screen.findByRole("alert")).toHaveTextContent("The video has not loaded yet");
      expect(sentTo(seen, "PUT", CHOOSE)).toHaveLength(0);
    });

    it("offers an admin Edit in library, to the item's own row (a title may be shared)", async () => {
      signedInAs(ADMIN);
      serveItem(mediaItem({ id: "m-1", title: "Weekly team meeting" }));
      renderWatch("m-1");
      const edit = await screen.findByRole("link", { name: "Edit in library" });
      expect(edit).toHaveAttribute("href", "/admin/library?item=m-1");
    });

    it("offers a viewer neither tool, and an admin no frame of a sound", async () => {
      signedInAs(VIEWER);
      serveItem(mediaItem({ id: "m-1" }));
      renderWatch("m-1");
      await playerReady();
      await screen.findByRole("heading", { name: "Sunset over the bay" });
      expect(screen.queryByRole("button", { name: "Use this frame as thumbnail" })).not.toBeInTheDocument();
      expect(screen.queryByRole("link", { name: "Edit in library" })).not.toBeInTheDocument();
      cleanup();

      signedInAs(ADMIN);
      serveItem(mediaItem({ id: "m-1", video_codec: null, width: null, height: null }));
      renderWatch("m-1");
      await playerReady();
      // The admin's session is restored before the page settles: wait for what an admin sees.
      await vi.waitFor(() => expect(screen.getByTestId("watch-views")).toBeInTheDocument());
      expect(screen.queryByRole("button", { name: "Use this frame as thumbnail" })).not.toBeInTheDocument();
    });
  });

  describe("like", () => {
    it("puts Like first among the video's actions, with its count, and Space likes it", async () => {
      serveItem(likedItem({ liked: false, like_count: 4 }, { id: "m-1" }));
      hadSession();
      server.use(...likesKept({ "m-1": 4 }), refreshGives("tok"), http.get(`${API}/auth/me`, () => ok(VIEWER)));
      const user = setupUser();
      renderWatch("m-1");

      const like = await screen.findByRole("button", { name: "Like" });
      expect(like.closest(".watch-actions")?.firstElementChild).toContainElement(like);
      expect(like).toHaveAccessibleDescription("4 likes");
      // Space is the button's own (it presses it), not the player's play/pause.
      like.focus();
      await user.keyboard(" ");
      await vi.waitFor(() => expect(like).toHaveAccessibleDescription("5 likes"));
      expect(like).toHaveAttribute("aria-pressed", "true");
      expect(like).toHaveFocus();
    });
  });

  describe("save to a playlist", () => {
    it("lists my playlists with whether each holds the item, adds and removes at once, and makes a new one", async () => {
      serveItem(mediaItem({ id: "m-1" }));
      const summary = (id: string, title: string, holds: boolean) => {
        const { items: _items, ...rest } = playlistOf([], { id, title });
        return { ...rest, holds_item: holds };
      };
      server.use(
        http.get(`${API}/catalogue/me/playlists`, ({ request }) => {
          expect(new URL(request.url).searchParams.get("item")).toBe("m-1");
          return ok({ playlists: [summary("p-1", "Cooking", true), summary("p-2", "Music", false)], total: 2, page: 1, page_size: 100 });
        }),
        http.put(`${API}/catalogue/me/playlists/:pid/items/m-1`, () => ok(summary("p-2", "Music", true))),
        http.delete(`${API}/catalogue/me/playlists/p-1/items/m-1`, () => new HttpResponse(null, { status: 204 })),
        http.post(`${API}/catalogue/me/playlists`, () => ok(summary("p-3", "Later", false))),
      );
      const seen = recordRequests();
      setAccessToken("tok", 1800);
      const user = setupUser();
      renderWatch("m-1");

      const save = await screen.findByRole("button", { name: "Save" });
      await user.click(save);
      const dialog = await screen.findByRole("dialog", { name: "Save to playlist" });
      const cooking = await within(dialog).findByRole("checkbox", { name: "Cooking" });
      const music = within(dialog).getByRole("checkbox", { name: "Music" });
      expect(cooking).toBeChecked();
      expect(music).not.toBeChecked();

      await user.click(music);
      await vi.waitFor(() => expect(music).toBeChecked());
      expect(sentTo(seen, "PUT", `${API}/catalogue/me/playlists/p-2/items/m-1`)).toHaveLength(1);
      await user.click(cooking);
      await vi.waitFor(() => expect(cooking).not.toBeChecked());
      expect(sentTo(seen, "DELETE", `${API}/catalogue/me/playlists/p-1/items/m-1`)).toHaveLength(1);

      await user.type(within(dialog).getByRole("textbox", { name: "New playlist" }), "Later");
      await user.click(within(dialog).getByRole("button", { name: "Create" }));
      await vi.waitFor(() => expect(sentTo(seen, "PUT", `${API}/catalogue/me/playlists/p-3/items/m-1`)).toHaveLength(1));
      expect(await sentTo(seen, "POST", `${API}/catalogue/me/playlists`)[0]!.request.json()).toEqual({ title: "Later" });
      // Said, not only seen: the focus stays on Create.
      expect(await within(dialog).findByRole("status")).toHaveTextContent("Playlist “Later” created.");

      await user.keyboard("{Escape}");
      expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
      expect(save).toHaveFocus();
    });

    it("with no playlists yet, puts the focus in the New playlist field, the one thing to do there", async () => {
      serveItem(mediaItem({ id: "m-1" }));
      server.use(
        http.get(`${API}/catalogue/me/playlists`, () => ok({ playlists: [], total: 0, page: 1, page_size: 100 })),
      );
      setAccessToken("tok", 1800);
      const user = setupUser();
      renderWatch("m-1");

      await user.click(await screen.findByRole("button", { name: "Save" }));
      const dialog = await screen.findByRole("dialog", { name: "Save to playlist" });
      await within(dialog).findByText("You have no playlists yet.");
      await waitFor(() => expect(within(dialog).getByRole("textbox", { name: "New playlist" })).toHaveFocus());
    });

    it("takes keys for itself: Space ticks a box, and no player shortcut acts behind it (WCAG 2.1.1)", async () => {
      serveItem(mediaItem({ id: "m-1" }));
      const { items: _items, ...rest } = playlistOf([], { id: "p-1", title: "Favourites" });
      server.use(
        http.get(`${API}/catalogue/me/playlists`, () =>
          ok({ playlists: [{ ...rest, holds_item: false }], total: 1, page: 1, page_size: 100 }),
        ),
        http.put(`${API}/catalogue/me/playlists/p-1/items/m-1`, async () => {
          await answered;
          return ok({ ...rest, holds_item: true });
        }),
      );
      let answer = () => undefined as void;
      const answered = new Promise<void>((resolve) => (answer = resolve));
      const { user, video, playback, play } = await signedInWatching();

      // Keyboard only: Save, Enter (the focus on Done), back with Shift+Tab to the box, Space.
      act(() => screen.getByRole("button", { name: "Save" }).focus());
      await user.keyboard("{Enter}");
      const dialog = await screen.findByRole("dialog", { name: "Save to playlist" });
      const box = await within(dialog).findByRole("checkbox", { name: "Favourites" });
      await waitFor(() => expect(within(dialog).getByRole("button", { name: "Done" })).toHaveFocus());
      while (document.activeElement !== box) await user.tab({ shift: true });
      await user.keyboard(" ");
      await vi.waitFor(() => expect(box).toBeChecked());
      // While it is saved the box is busy, not disabled: Chromium takes the focus off a disabled one.
      expect(box).toHaveAttribute("aria-disabled", "true");
      expect(box).toBeEnabled();
      await user.keyboard(" ");
      expect(box).toBeChecked();
      answer();
      await vi.waitFor(() => expect(box).not.toHaveAttribute("aria-disabled"));
      await waitFor(() => expect(box).toHaveFocus());
      await user.keyboard("mc{ArrowRight}k");
      expect([play.mock.calls.length, video.muted, playback.time]).toEqual([0, false, 30]);

      await user.keyboard("{Escape}");
      expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
      await user.keyboard("m");
      expect(video.muted).toBe(true);
    });

    it("tells why a change failed and leaves the box as it was", async () => {
      serveItem(mediaItem({ id: "m-1" }));
      const { items: _items, ...rest } = playlistOf([], { id: "p-1", title: "Cooking" });
      server.use(
        http.get(`${API}/catalogue/me/playlists`, () =>
          ok({ playlists: [{ ...rest, holds_item: false }], total: 1, page: 1, page_size: 100 }),
        ),
        http.put(`${API}/catalogue/me/playlists/p-1/items/m-1`, () =>
          apiError(409, "playlist_full", "a playlist holds at most 500 items"),
        ),
      );
      setAccessToken("tok", 1800);
      const user = setupUser();
      renderWatch("m-1");
      await user.click(await screen.findByRole("button", { name: "Save" }));
      const box = await screen.findByRole("checkbox", { name: "Cooking" });
      await user.click(box);
      expect(await screen.findByRole("alert")).toHaveTextContent("a playlist holds at most 500 items");
      expect(box).not.toBeChecked();
    });
  });
});
