import { act, fireEvent, screen, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { FakeHls } from "../test/fakeHls";
import { mediaItem } from "../test/fixtures";
import { countStreamGrants, openPlayerSettings } from "../test/player";
import { renderPage, setupUser } from "../test/render";
import { API, apiError, http, HttpResponse, ok, recordRequests, server } from "../test/server";
import type { ViewedMediaItem } from "../api/schema";
import { CAPTION_RETRY_MAX_MS } from "./captions";
import { Player } from "./Player";
import { seekValueText } from "./SeekBar";

vi.mock("hls.js", () => import("../test/fakeHls"));

beforeEach(() => {
  FakeHls.reset();
  server.use(
    http.post(`${API}/catalogue/:id/stream-token`, ({ params }) =>
      ok({ stream_url: `/api/v1/stream/${String(params.id)}`, expires_in: 3600, hls_url: "/hls/master.m3u8" }),
    ),
    http.put(`${API}/catalogue/:id/progress`, () => ok({})),
  );
});

describe("stream grant", () => {
  it("waits out a 429 for as long as the server says, then plays", async () => {
    let asked = 0;
    server.use(
      http.post(`${API}/catalogue/:id/stream-token`, ({ params }) => {
        asked += 1;
        if (asked > 1) return ok({ stream_url: `/api/v1/stream/${String(params.id)}`, expires_in: 3600 });
        const detail = "too many stream tokens asked for; try again shortly";
        return apiError(429, "stream_tokens_throttled", detail, { "Retry-After": "1" });
      }),
    );
    const { container } = renderPage(<Player item={mediaItem()} />);
    const waiting = /Many videos were opened in a short while: this one starts in a moment\./;
    expect(await screen.findByText(waiting)).toBeInTheDocument();
    expect(asked).toBe(1);
    await vi.waitFor(() => expect(screen.queryByText(waiting)).not.toBeInTheDocument(), { timeout: 4000 });
    expect(asked).toBe(2);
    expect(container.querySelector("video")?.getAttribute("src")).toContain("/api/v1/stream/");
  });
});

describe("a signed-in viewer's grant", () => {
  it("is not checked while the video plays: a watch page adds no requests", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const seen = recordRequests();
    const { container } = renderPage(<Player item={mediaItem()} />);
    const video = container.querySelector("video")!;
    await vi.waitFor(() => expect(video.getAttribute("src")).toContain("/api/v1/stream/"));
    Object.defineProperty(video, "paused", { configurable: true, get: () => false });
    act(() => void video.dispatchEvent(new Event("play")));
    await act(() => vi.advanceTimersByTimeAsync(30_000));
    expect(seen.filter((r) => r.method === "HEAD")).toEqual([]);
  });
});

describe("a package ready while the original plays", () => {
  it("moves playback onto the package at the next token, where it was", async () => {
    server.use(
      http.post(`${API}/catalogue/:id/stream-token`, () => ok({ stream_url: "/api/v1/stream/t1", expires_in: 3600 })),
    );
    const { container } = renderPage(<Player item={mediaItem()} />);
    const video = container.querySelector("video")!;
    await vi.waitFor(() => expect(video.getAttribute("src")).toBe("/api/v1/stream/t1"));
    expect(container.querySelector(".player-frame")).toHaveAttribute("data-delivery", "progressive");
    video.currentTime = 12;

    // Transcoding finished meanwhile: the next token names the package, whose original a viewer's no longer plays.
    vi.stubGlobal("MediaSource", class {});
    server.use(
      http.post(`${API}/catalogue/:id/stream-token`, () =>
        ok({ stream_url: "/api/v1/stream/t2", expires_in: 3600, hls_url: "/api/v1/stream/t2/hls/master.m3u8" }),
      ),
    );
    act(() => void video.dispatchEvent(new Event("error")));

    const hls = await vi.waitFor(() => {
      const latest = FakeHls.latest();
      expect(latest?.url).toBe("/api/v1/stream/t2/hls/master.m3u8");
      return latest!;
    });
    expect(hls).toBeDefined();
    expect(container.querySelector(".player-frame")).toHaveAttribute("data-delivery", "hls");
    video.currentTime = 0; // what a new source starts at
    act(() => void video.dispatchEvent(new Event("loadedmetadata")));
    expect(video.currentTime).toBe(12);
  });
});

/** What hls.js reports of a file answered 404 (it retries no 4xx). */
const GONE = { fatal: true, type: FakeHls.ErrorTypes.NETWORK_ERROR, response: { code: 404, text: "" } };

/** The latest hls.js player, once the Player follows its errors (it is attached). */
function listeningHls(): Promise<FakeHls> {
  return vi.waitFor(() => {
    const latest = FakeHls.latest();
    expect(latest?.listenerCount(FakeHls.Events.ERROR)).toBeGreaterThan(0);
    return latest!;
  });
}

/** `video` playing (as the viewer left it) with no picture to go on with: it waits, the spinner turns. */
function starve(video: HTMLVideoElement): void {
  Object.defineProperty(video, "paused", { configurable: true, get: () => false });
  Object.defineProperty(video, "readyState", { configurable: true, get: () => 1 });
  act(() => void video.dispatchEvent(new Event("waiting")));
}

/** The video playing on: pictures again, the spinner gone. */
function playOn(video: HTMLVideoElement): void {
  Object.defineProperty(video, "readyState", { configurable: true, get: () => 4 });
  act(() => void video.dispatchEvent(new Event("playing")));
}

describe("a server out of reach while hls.js plays", () => {
  beforeEach(() => {
    vi.stubGlobal("MediaSource", class {});
  });

  it("loads again once the server answers, saying meanwhile over the picture why it waits", async () => {
    const { container } = renderPage(<Player item={mediaItem()} />);
    const hls = await listeningHls();
    const video = container.querySelector("video")!;
    const notice = screen.getByTestId("player-holdup");
    act(() => hls.announceLevels([{ height: 360, bitrate: 800_000 }]));
    starve(video);
    expect(notice).toBeEmptyDOMElement(); // an ordinary short wait for data says nothing

    server.use(http.post(`${API}/catalogue/:id/stream-token`, () => HttpResponse.error()));
    act(() => hls.trigger(FakeHls.Events.ERROR, { fatal: true, type: FakeHls.ErrorTypes.NETWORK_ERROR }));
    await vi.waitFor(() => expect(notice).toHaveTextContent("Can’t reach the server — trying again"));
    expect(notice).toHaveAttribute("role", "status");
    expect(hls.startLoads).toBe(0); // it waits a while before loading again
    // Said once, over the picture: not a second time as an alert under the player.
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();

    server.use(
      http.post(`${API}/catalogue/:id/stream-token`, () =>
        ok({ stream_url: "/api/v1/stream/t2", expires_in: 3600, hls_url: "/hls/master.m3u8" }),
      ),
    );
    // The viewer presses play (again, once the refused renewal is over): a fresh token, loading again.
    await vi.waitFor(() => {
      fireEvent.play(video);
      expect(hls.startLoads).toBe(1);
    });
    expect(notice).toHaveTextContent("Can’t reach the server"); // until the video plays on
    playOn(video);
    expect(notice).toBeEmptyDOMElement();
    starve(video);
    expect(notice).toBeEmptyDOMElement(); // the next short wait is an ordinary one again
  });

  it("says the browser is offline while the video waits for it, until it plays on", async () => {
    const { container } = renderPage(<Player item={mediaItem()} />);
    await listeningHls();
    const video = container.querySelector("video")!;
    const notice = screen.getByTestId("player-holdup");
    const onLine = vi.spyOn(navigator, "onLine", "get").mockReturnValue(false);
    act(() => void window.dispatchEvent(new Event("offline")));
    expect(notice).toBeEmptyDOMElement(); // playing on from what it buffered: nothing to say yet

    starve(video);
    expect(notice).toHaveTextContent("You’re offline — playback goes on when the connection is back");
    onLine.mockReturnValue(true);
    act(() => void window.dispatchEvent(new Event("online")));
    expect(notice).toBeEmptyDOMElement();
    expect(screen.getByTestId("player-spinner")).toBeInTheDocument(); // still waiting, for an ordinary reason
    playOn(video);
    expect(screen.queryByTestId("player-spinner")).not.toBeInTheDocument();
  });
});

/** What hls.js reports once it gave up on a file answered 503 (the media store away), with its request. */
function unavailable(retryAfter: string | null = null) {
  const networkDetails = { getResponseHeader: (name: string) => (name === "Retry-After" ? retryAfter : null) };
  return { fatal: true, type: FakeHls.ErrorTypes.NETWORK_ERROR, response: { code: 503, text: "" }, networkDetails };
}

/** The player on hls.js, the stream-token requests counted. */
async function playCounting(): Promise<{ hls: FakeHls; video: HTMLVideoElement; granted: () => number }> {
  const granted = countStreamGrants();
  const { container } = renderPage(<Player item={mediaItem()} />);
  const hls = await listeningHls();
  return { hls, video: container.querySelector("video")!, granted };
}

describe("the media store away while hls.js plays", () => {
  beforeEach(() => {
    vi.stubGlobal("MediaSource", class {});
  });


  it("loads the master playlist again on the same token a few seconds apart, and plays once it answers", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { hls, video, granted } = await playCounting();
    const notice = screen.getByTestId("player-holdup");
    starve(video);
    // hls.js tries each load again itself, a second later, then gives up.
    let away = true;
    FakeHls.onLoad = (player) => void setTimeout(() => away && player.trigger(FakeHls.Events.ERROR, unavailable()), 1000);
    act(() => hls.trigger(FakeHls.Events.ERROR, unavailable()));
    await vi.waitFor(() => expect(notice).toHaveTextContent("Can’t reach the server — trying again"));

    await act(() => vi.advanceTimersByTimeAsync(60_000));
    // A new token cures nothing (the token holds): one a second from each viewer was a storm.
    expect(granted()).toBe(1);
    expect(hls.sources).toBeGreaterThanOrEqual(5); // it goes on trying…
    expect(hls.sources).toBeLessThanOrEqual(11); // …every 5 s (and hls.js's own second)

    away = false;
    const sources = hls.sources;
    await act(() => vi.advanceTimersByTimeAsync(5_000));
    expect(hls.sources).toBe(sources + 1);
    act(() => hls.announceLevels([{ height: 360, bitrate: 800_000 }]));
    playOn(video);
    expect(notice).toBeEmptyDOMElement();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(granted()).toBe(1);
  });

  it("waits as long as the server's Retry-After says before loading again", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { hls } = await playCounting();
    const sources = hls.sources;
    act(() => hls.trigger(FakeHls.Events.ERROR, unavailable("20")));
    await act(() => vi.advanceTimersByTimeAsync(19_000));
    expect(hls.sources).toBe(sources);
    await act(() => vi.advanceTimersByTimeAsync(1_000));
    expect(hls.sources).toBe(sources + 1);
  });

  it("asks for no new token as the viewer presses play or seeks, or the browser comes online, during a minute of 503s", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { hls, video, granted } = await playCounting();
    starve(video);
    FakeHls.onLoad = (player) => void setTimeout(() => player.trigger(FakeHls.Events.ERROR, unavailable()), 1000);
    act(() => hls.trigger(FakeHls.Events.ERROR, unavailable()));
    const sources = hls.sources;

    for (let second = 0; second < 60; second += 3) {
      act(() => void video.dispatchEvent(new Event(["play", "seeking"][second % 2]!)));
      if (second % 12 === 0) act(() => void window.dispatchEvent(new Event("online")));
      await act(() => vi.advanceTimersByTimeAsync(3_000));
    }
    // Each woke loading on the token it had (the events asked one token each before).
    expect(hls.sources).toBeGreaterThan(sources + 10);
    expect(granted()).toBe(1);
  });

  it("still renews the token at once when a file is refused (403): the grant ended", async () => {
    const { hls, granted } = await playCounting();
    const sources = hls.sources;
    const refused = { fatal: true, type: FakeHls.ErrorTypes.NETWORK_ERROR, response: { code: 403, text: "" } };
    act(() => hls.trigger(FakeHls.Events.ERROR, refused));
    await vi.waitFor(() => expect(hls.sources).toBe(sources + 1));
    expect(granted()).toBe(2);
  });
});

describe("quality menu", () => {
  beforeEach(() => {
    // The player picks hls.js where MediaSource exists; jsdom has none.
    vi.stubGlobal("MediaSource", class {});
  });

  /** The player on hls.js, its settings menu open. */
  async function playWithHls(): Promise<FakeHls> {
    renderPage(<Player item={mediaItem()} />);
    const hls = await vi.waitFor(() => {
      const latest = FakeHls.latest();
      expect(latest?.listenerCount(FakeHls.Events.MANIFEST_PARSED)).toBeGreaterThan(0);
      return latest!;
    });
    await openPlayerSettings();
    return hls;
  }

  it("never lets Auto load a rung larger than the player", async () => {
    const hls = await playWithHls();
    expect(hls.config).toMatchObject({ capLevelToPlayerSize: true });
    act(() => void document.querySelector("video")!.dispatchEvent(new Event("play")));
    // A minute ahead at most: a low rung's 10 minutes kept the picture low long after the link got faster.
    expect(hls.config).toMatchObject({ maxMaxBufferLength: 60 });
  });

  it("lets Auto trust a link that got faster within a few segments", async () => {
    const hls = await playWithHls();
    // hls.js's 9 s slow average kept 8 segments (32 s) at 240p after the link got fast.
    expect(hls.config).toMatchObject({ abrEwmaSlowVoD: 5 });
  });

  /** The hls.js the player made, once made. */
  async function madeHls(): Promise<FakeHls> {
    return vi.waitFor(() => {
      const latest = FakeHls.latest();
      expect(latest).toBeDefined();
      return latest!;
    });
  }

  it("starts Auto cautiously on a device that measured nothing, and the next video from what the last measured", async () => {
    localStorage.removeItem("streamstack.bandwidth");
    const { unmount } = renderPage(<Player item={mediaItem()} />);
    const first = await madeHls();
    // The lowest rung first: a top-rung first segment took 11 s to show on a 400 kbit/s link.
    expect(first.config).toMatchObject({ abrEwmaDefaultEstimate: 500_000 });
    first.bandwidthEstimate = 3_000_000; // what hls.js measured as the video played
    unmount();

    renderPage(<Player item={mediaItem()} />);
    const next = await vi.waitFor(() => {
      expect(FakeHls.latest()).not.toBe(first);
      return FakeHls.latest()!;
    });
    expect(next.config).toMatchObject({ abrEwmaDefaultEstimate: 3_000_000 });
  });

  it("keeps what hls.js measured when the page is hidden (it may be closed next)", async () => {
    localStorage.removeItem("streamstack.bandwidth");
    renderPage(<Player item={mediaItem()} />);
    const hls = await madeHls();
    hls.bandwidthEstimate = 250_000;
    vi.spyOn(document, "visibilityState", "get").mockReturnValue("hidden");
    act(() => void document.dispatchEvent(new Event("visibilitychange")));
    expect(JSON.parse(localStorage.getItem("streamstack.bandwidth")!)).toMatchObject({ bps: 250_000 });
  });

  it("is not offered when hls.js has a single rung, as the audio menu with a single track", async () => {
    const hls = await playWithHls();
    act(() => hls.announceLevels([{ height: 240, bitrate: 400_000 }]));
    expect(screen.queryByRole("combobox", { name: "Quality" })).not.toBeInTheDocument();
  });

  it("offers Auto and each rung, highest first, from two rungs on", async () => {
    const user = setupUser();
    const hls = await playWithHls();
    act(() =>
      hls.announceLevels([
        { height: 240, bitrate: 400_000 },
        { height: 360, bitrate: 800_000 },
      ]),
    );
    const menu = screen.getByRole("combobox", { name: "Quality" });
    expect(within(menu).getAllByRole("option").map((o) => o.textContent)).toEqual(["Auto", "360p", "240p"]);
    await user.selectOptions(menu, "240p");
    expect(hls.currentLevel).toBe(0);
  });

  it("names a portrait video's rungs by their short side, as the transcoder does", async () => {
    const hls = await playWithHls();
    act(() =>
      hls.announceLevels([
        { width: 240, height: 426, bitrate: 400_000 },
        { width: 360, height: 640, bitrate: 800_000 },
      ]),
    );
    const menu = screen.getByRole("combobox", { name: "Quality" });
    expect(within(menu).getAllByRole("option").map((o) => o.textContent)).toEqual(["Auto", "360p", "240p"]);
  });
});

describe("seek bar", () => {
  /** The player on the original file (no MediaSource: no hls.js), with a video of `length` s (30) at `time`. */
  async function playing(state: { time: number }, length = 30): Promise<HTMLVideoElement> {
    renderPage(<Player item={mediaItem({ duration_seconds: length })} />);
    const video = await screen.findByTestId<HTMLVideoElement>("player");
    await vi.waitFor(() => expect(video.getAttribute("src")).toBe("/api/v1/stream/m-1"));
    Object.defineProperty(video, "duration", { configurable: true, get: () => length });
    Object.defineProperty(video, "currentTime", {
      configurable: true,
      get: () => state.time,
      set: (t: number) => (state.time = t),
    });
    act(() => void video.dispatchEvent(new Event("timeupdate")));
    return video;
  }

  it("tells its value as a time of the length, not raw seconds", async () => {
    await playing({ time: 14.2 });
    const bar = screen.getByRole("slider", { name: "Seek" });
    expect(bar).toHaveAttribute("aria-valuetext", "0:14 of 0:30");
    expect(seekValueText(3725, 4000)).toBe("1:02:05 of 1:06:40");
  });

  it("reads the length at the end of a clip whose length rounds up, not one second short", async () => {
    await playing({ time: 3.6 }, 3.6);
    expect(screen.getByTestId("player-time")).toHaveTextContent("0:04 / 0:04");
    expect(screen.getByRole("slider", { name: "Seek" })).toHaveAttribute("aria-valuetext", "0:04 of 0:04");
  });

  it("moves 5 s with the arrow keys, as the page's shortcuts do, within the video", async () => {
    const user = setupUser();
    const state = { time: 14 };
    await playing(state);
    const bar = screen.getByRole("slider", { name: "Seek" });
    bar.focus();

    await user.keyboard("{ArrowRight}");
    expect(state.time).toBe(19);
    expect(bar).toHaveAttribute("aria-valuetext", "0:19 of 0:30");
    await user.keyboard("{ArrowLeft}{ArrowLeft}{ArrowDown}");
    expect(state.time).toBe(4);
    await user.keyboard("{ArrowLeft}");
    expect(state.time).toBe(0);
    fireEvent.keyDown(bar, { key: "ArrowUp" });
    expect(state.time).toBe(5);
    for (let i = 0; i < 8; i++) fireEvent.keyDown(bar, { key: "ArrowRight" });
    expect(state.time).toBe(30); // not past the end
  });
});

describe("sound alone", () => {
  it("shows a note where the picture would be, and calls the element sound", () => {
    const sound = { video_codec: null, width: null, height: null, fps: null, thumbnail_url: null, poster_url: null };
    renderPage(<Player item={mediaItem({ ...sound, content_type: "audio/flac", audio_codec: "flac" })} />);
    expect(screen.getByTestId("sound-only")).toHaveTextContent("Sound only");
    expect(screen.getByTestId("sound-only")).not.toHaveClass("over-still");
    expect(screen.getByLabelText("Sound: Sunset over the bay")).toBe(screen.getByTestId("player"));
  });

  it("keeps to a corner over cover art, and is absent for a video", () => {
    const { unmount } = renderPage(
      <Player item={mediaItem({ video_codec: null, width: null, height: null, content_type: "audio/mpeg" })} />,
    );
    expect(screen.getByTestId("sound-only")).toHaveClass("over-still");
    unmount();
    renderPage(<Player item={mediaItem()} />);
    expect(screen.queryByTestId("sound-only")).not.toBeInTheDocument();
    expect(screen.getByLabelText("Video: Sunset over the bay")).toBe(screen.getByTestId("player"));
  });
});

describe("a file of the package missing from storage", () => {
  beforeEach(() => {
    vi.stubGlobal("MediaSource", class {});
  });

  it("loads a master playlist refused at its first load again on a fresh grant, saying nothing", async () => {
    const { hls, granted } = await playCounting();
    const sources = hls.sources;

    // A token issued in the second its item changed: the master's 404 is the token's.
    act(() => hls.trigger(FakeHls.Events.ERROR, GONE));

    await vi.waitFor(() => expect(hls.sources).toBe(sources + 1));
    expect(granted()).toBe(2);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("says the video can't be played right now, where it spun forever, and stops", async () => {
    const { hls, video, granted } = await playCounting();
    video.pause = () => {
      Object.defineProperty(video, "paused", { configurable: true, get: () => true });
      video.dispatchEvent(new Event("pause"));
    };
    starve(video);
    expect(screen.getByTestId("player-spinner")).toBeInTheDocument();

    // hls.js retries no 404: the segment is gone on every rung it tried.
    act(() => hls.announceLevels([{ height: 360, bitrate: 800_000 }]));
    act(() => hls.trigger(FakeHls.Events.ERROR, GONE));

    expect(await screen.findByRole("alert")).toHaveTextContent("This video can't be played right now. Try again later.");
    expect(granted()).toBe(2); // a fresh grant first: the grant itself still holds
    expect(screen.queryByTestId("player-spinner")).not.toBeInTheDocument();
    expect(hls.stopLoads).toBe(1);
    expect(hls.startLoads).toBe(0); // not loaded again and again
  });
});

describe("where loading starts", () => {
  /** An item the viewer left unfinished at `position` s. */
  const leftAt = (position: number): ViewedMediaItem => {
    const item = mediaItem({ duration_seconds: 600 });
    const progress = { media_id: item.id, position_seconds: position, duration_seconds: 600, completed: false, updated_at: null };
    return { ...item, progress };
  };

  beforeEach(() => {
    vi.stubGlobal("MediaSource", class {});
  });

  async function hlsOf(): Promise<FakeHls> {
    return vi.waitFor(() => {
      const latest = FakeHls.latest();
      expect(latest?.url).toBeTruthy();
      return latest!;
    });
  }

  it("loads from a link's moment first, not the start and then a seek there", async () => {
    renderPage(<Player item={mediaItem()} start={130} />);
    const hls = await hlsOf();
    expect(hls.config).toMatchObject({ startPosition: 130, autoStartLoad: true });
  });

  it("buffers only the start before the viewer presses play, then a minute ahead", async () => {
    const { container } = renderPage(<Player item={mediaItem()} />);
    const hls = await hlsOf();
    // A page opened to watch loads at once, but not the minute ahead that nobody may watch.
    expect(hls.config).toMatchObject({ autoStartLoad: true, maxMaxBufferLength: 8 });
    act(() => void container.querySelector("video")!.dispatchEvent(new Event("play")));
    expect(hls.config).toMatchObject({ maxMaxBufferLength: 60 });
  });

  it("loads no video until play where it waits for play (an embed), then from the link's moment", async () => {
    const { container } = renderPage(<Player item={mediaItem()} start={90} waitsForPlay />);
    const hls = await hlsOf();
    const video = container.querySelector("video")!;
    expect(hls.config).toMatchObject({ autoStartLoad: false });
    expect(video).toHaveAttribute("preload", "none");
    expect(hls.startPositions).toEqual([]);
    act(() => void video.dispatchEvent(new Event("play")));
    expect(hls.startPositions).toEqual([90]);
    expect(hls.config).toMatchObject({ maxMaxBufferLength: 60 });
  });

  it("loads nothing while the resume question waits, then from the answer", async () => {
    const user = setupUser();
    renderPage(<Player item={leftAt(253)} />);
    const hls = await hlsOf();
    expect(hls.config).toMatchObject({ autoStartLoad: false });
    expect(hls.startPositions).toEqual([]);
    await user.click(screen.getByRole("button", { name: "Resume from 4:13" }));
    expect(hls.startPositions).toEqual([253]);
  });

  it("plays and shows it is loading from the resume answer on, before the video knows its length", async () => {
    const user = setupUser();
    const { container } = renderPage(<Player item={leftAt(253)} />);
    await hlsOf();
    const video = container.querySelector("video")!;
    // jsdom plays nothing: play() as a browser's with no data yet (readyState 0).
    const play = vi.fn(() => {
      Object.defineProperty(video, "paused", { configurable: true, get: () => false });
      act(() => void video.dispatchEvent(new Event("play")));
      return Promise.resolve();
    });
    video.play = play;
    await user.click(screen.getByRole("button", { name: "Resume from 4:13" }));
    // On a slow link the metadata took 10 s, under a big play button at 0:00 that looked like the press was lost.
    expect(play).toHaveBeenCalledTimes(1);
    expect(screen.getByTestId("player-spinner")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Play video" })).not.toBeInTheDocument();
    expect(screen.getByText("4:13", { exact: false })).toBeInTheDocument();
  });

  it("starts loading from the start when the resume question is answered 'Start over'", async () => {
    const user = setupUser();
    renderPage(<Player item={leftAt(253)} />);
    const hls = await hlsOf();
    await user.click(screen.getByRole("button", { name: "Start over" }));
    expect(hls.startPositions).toEqual([0]);
  });
});

describe("the seek bar before the video's metadata", () => {
  beforeEach(() => {
    vi.stubGlobal("MediaSource", class {});
  });

  it("is usable at the item's length, and a seek there makes hls.js load from that time", async () => {
    const { container } = renderPage(<Player item={mediaItem({ duration_seconds: 600 })} />);
    const hls = await vi.waitFor(() => {
      const latest = FakeHls.latest();
      expect(latest?.url).toBeTruthy();
      return latest!;
    });
    const seek = screen.getByRole("slider", { name: "Seek" });
    expect(seek).toBeEnabled();
    expect(seek).toHaveAttribute("max", "600");
    expect(screen.getByText(/\/ 10:00/)).toBeInTheDocument();
    fireEvent.change(seek, { target: { value: "300" } });
    expect(hls.startPositions).toEqual([300]);
    expect(container.querySelector("video")!.currentTime).toBe(300);
  });
});

describe("a caption file that fails to load", () => {
  beforeEach(() => {
    localStorage.setItem("streamstack.captions", "fr");
    server.use(
      http.post(`${API}/catalogue/:id/stream-token`, () =>
        ok({
          stream_url: "/api/v1/stream/t1",
          expires_in: 3600,
          captions: [
            { language: "fr", label: "Français", url: "/api/v1/stream/t1/captions/fr.vtt" },
            { language: "en", label: "English", url: "/api/v1/stream/t1/captions/en.vtt" },
          ],
        }),
      ),
    );
  });

  /** The `<track>` of `language` now in the video. */
  const trackOf = (language: string) => document.querySelector<HTMLTrackElement>(`track[srclang="${language}"]`)!;

  /** The player with its French track (the remembered choice), whose load failed: a blip. */
  async function failedFrench(): Promise<HTMLTrackElement> {
    renderPage(<Player item={mediaItem()} />);
    const failed = await vi.waitFor(() => {
      expect(trackOf("fr")).not.toBeNull();
      return trackOf("fr");
    });
    act(() => void failed.dispatchEvent(new Event("error")));
    return failed;
  }

  it("says so, tries again when the browser is back online, and says nothing once they load", async () => {
    const failed = await failedFrench();
    const notice = screen.getByTestId("player-holdup");
    expect(notice).toHaveTextContent("Captions could not load — trying again");

    act(() => void window.dispatchEvent(new Event("online")));
    // A <track> whose load failed never loads again: a new one does.
    const again = trackOf("fr");
    expect(again).not.toBe(failed);
    expect(again).toHaveAttribute("src", "/api/v1/stream/t1/captions/fr.vtt");
    act(() => void again.dispatchEvent(new Event("load")));
    expect(notice).toBeEmptyDOMElement();
  });

  it("tries again when the viewer turns captions off and on", async () => {
    const user = setupUser();
    const failed = await failedFrench();
    await user.click(screen.getByRole("button", { name: "Hide captions" }));
    expect(screen.getByTestId("player-holdup")).toBeEmptyDOMElement(); // off: nothing missing
    await user.click(screen.getByRole("button", { name: "Show captions" }));
    expect(trackOf("fr")).not.toBe(failed);
  });

  it("tries again by itself after a while", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const failed = await failedFrench();
    act(() => void vi.advanceTimersByTime(CAPTION_RETRY_MAX_MS));
    const again = trackOf("fr");
    expect(again).not.toBe(failed);
    // Failing again, it waits again and tries again.
    act(() => void again.dispatchEvent(new Event("error")));
    act(() => void vi.advanceTimersByTime(CAPTION_RETRY_MAX_MS));
    expect(trackOf("fr")).not.toBe(again);
    vi.useRealTimers();
  });
});
