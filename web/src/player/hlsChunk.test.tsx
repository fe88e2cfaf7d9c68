import { act, fireEvent, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { FakeHls as FakeHlsClass } from "../test/fakeHls";
import { mediaItem } from "../test/fixtures";
import { countStreamGrants } from "../test/player";
import { renderPage } from "../test/render";
import { API, http, HttpResponse, ok, server } from "../test/server";
import { Player } from "./Player";
import { NEW_VERSION_WORDS } from "./useStream";

/** Why hls.js's chunk does not load now (null: it loads), and how often the player asked for it. */
const chunk = { failure: null as Error | null, asked: 0 };

const CHUNK = "http://localhost:3000/assets/hls-abc123.js";
/** Chromium's words for a chunk that did not load; Safari names no address. */
const CHROMIUM_FAILURE = new TypeError(`Failed to fetch dynamically imported module: ${CHUNK}`);
const SAFARI_FAILURE = new TypeError("Importing a module script failed.");

/** The hls.js the mock answers, as the player gets it. */
let FakeHls: typeof FakeHlsClass;

beforeEach(async () => {
  chunk.failure = null;
  chunk.asked = 0;
  // A chunk loaded in one test is not loaded in the next: "hls.js" is a mock made anew (a
  // mock's answer is kept until then), which answers the stand-in loaded anew here.
  vi.resetModules();
  vi.doMock("hls.js", () => {
    chunk.asked += 1;
    if (chunk.failure) throw chunk.failure;
    return import("../test/fakeHls");
  });
  ({ FakeHls } = await import("../test/fakeHls"));
  // The player picks hls.js where MediaSource exists; jsdom has none.
  vi.stubGlobal("MediaSource", class {});
  server.use(
    http.post(`${API}/catalogue/:id/stream-token`, () =>
      ok({ stream_url: "/api/v1/stream/t1", expires_in: 3600, hls_url: "/api/v1/stream/t1/hls/master.m3u8" }),
    ),
    http.put(`${API}/catalogue/:id/progress`, () => ok({})),
  );
});

/** The viewer presses play: with nothing loaded, the video waits and the spinner turns. */
function pressPlay(video: HTMLVideoElement): void {
  Object.defineProperty(video, "paused", { configurable: true, get: () => false });
  fireEvent.play(video);
}

describe("hls.js's chunk that does not load", () => {
  it("says the server is out of reach while the viewer waits, then plays once it loads", async () => {
    chunk.failure = SAFARI_FAILURE;
    server.use(http.head(CHUNK, () => new HttpResponse(null, { status: 200 })));
    const { container } = renderPage(<Player item={mediaItem()} />);
    const video = container.querySelector("video")!;
    const notice = screen.getByTestId("player-holdup");

    pressPlay(video);
    await vi.waitFor(() => expect(notice).toHaveTextContent("Can’t reach the server — trying again"));
    expect(FakeHls.latest()).toBeUndefined();

    chunk.failure = null;
    // Pressed again (or the next try, 5 s on): hls.js loads and plays the package.
    await vi.waitFor(() => {
      fireEvent.play(video);
      expect(FakeHls.latest()?.url).toBe("/api/v1/stream/t1/hls/master.m3u8");
    });
    expect(container.querySelector(".player-frame")).toHaveAttribute("data-delivery", "hls");
    Object.defineProperty(video, "readyState", { configurable: true, get: () => 4 });
    act(() => void video.dispatchEvent(new Event("playing")));
    expect(notice).toBeEmptyDOMElement();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("asks for it again every 5 s on the token it has, not a new token each time", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    chunk.failure = SAFARI_FAILURE;
    const granted = countStreamGrants();
    const { container } = renderPage(<Player item={mediaItem()} />);
    pressPlay(container.querySelector("video")!);
    await vi.waitFor(() => expect(chunk.asked).toBe(1));

    await act(() => vi.advanceTimersByTimeAsync(60_000));
    expect(chunk.asked).toBeGreaterThanOrEqual(10);
    expect(granted()).toBe(1);
  });

  it("says the browser is offline, and loads it as the connection comes back", async () => {
    chunk.failure = CHROMIUM_FAILURE;
    let probed = 0;
    server.use(
      http.head(CHUNK, () => {
        probed += 1;
        return HttpResponse.error();
      }),
    );
    const onLine = vi.spyOn(navigator, "onLine", "get").mockReturnValue(false);
    const { container } = renderPage(<Player item={mediaItem()} />);
    const video = container.querySelector("video")!;
    pressPlay(video);
    await vi.waitFor(() =>
      expect(screen.getByTestId("player-holdup")).toHaveTextContent("You’re offline — playback goes on when the connection is back"),
    );
    // The chunk failed (and whether it is gone could not be told): nothing plays yet.
    await vi.waitFor(() => expect([chunk.asked, probed]).toEqual([1, 1]));
    expect(FakeHls.latest()).toBeUndefined();

    // Asked again under an address of its own: a browser keeps a failed import failed.
    vi.doMock(`${CHUNK}?attempt=1`, () => import("../test/fakeHls"));
    onLine.mockReturnValue(true);
    act(() => void window.dispatchEvent(new Event("online")));
    // At once; or at the next try, should the browser have come online before the probe ended.
    await vi.waitFor(() => expect(FakeHls.latest()?.url).toBe("/api/v1/stream/t1/hls/master.m3u8"), { timeout: 8000 });
    expect(chunk.asked).toBe(1); // not "hls.js" again, which still fails
  });

  it("asks for a reload when a new build took the chunk away (404)", async () => {
    chunk.failure = CHROMIUM_FAILURE;
    server.use(http.head(CHUNK, () => new HttpResponse(null, { status: 404 })));
    renderPage(<Player item={mediaItem()} />);
    expect(await screen.findByRole("alert")).toHaveTextContent(NEW_VERSION_WORDS);
    expect(FakeHls.latest()).toBeUndefined();
  });

  it("plays the package through the browser's own HLS where it has it", async () => {
    chunk.failure = SAFARI_FAILURE;
    vi.spyOn(HTMLMediaElement.prototype, "canPlayType").mockImplementation((type) =>
      type === "application/vnd.apple.mpegurl" ? "maybe" : "",
    );
    const { container } = renderPage(<Player item={mediaItem()} />);
    const video = container.querySelector("video")!;
    await vi.waitFor(() => expect(video.getAttribute("src")).toBe("/api/v1/stream/t1/hls/master.m3u8"));
    expect(container.querySelector(".player-frame")).toHaveAttribute("data-delivery", "native-hls");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });
});
