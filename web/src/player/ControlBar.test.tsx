import { act, cleanup, fireEvent, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CatalogueItem } from "../api/schema";
import { FakeHls } from "../test/fakeHls";
import { mediaItem } from "../test/fixtures";
import { openPlayerSettings } from "../test/player";
import { renderPage, setupUser } from "../test/render";
import { API, http, ok, server } from "../test/server";
import { Player } from "./Player";
import { FLASH_MS } from "./ShortcutNews";
import { SHORTCUTS_KEY } from "./usePlayerShortcuts";
import { CONTROLS_IDLE_MS } from "./useControlsVisibility";
import { bufferedEnd } from "./useMediaState";

vi.mock("hls.js", () => import("../test/fakeHls"));

const CAPTIONS = [{ language: "en", label: "English", url: "/api/v1/stream/m-1/captions/en.vtt" }];

/** The stream token of m-1: the original file, with `extra` (captions, an HLS URL). */
function grant(extra: object = {}) {
  server.use(
    http.post(`${API}/catalogue/:id/stream-token`, () =>
      ok({ stream_url: "/api/v1/stream/m-1", expires_in: 3600, ...extra }),
    ),
    http.put(`${API}/catalogue/:id/progress`, () => ok({})),
  );
}

beforeEach(() => {
  FakeHls.reset();
  grant();
});

afterEach(() => {
  for (const name of ["fullscreenElement", "exitFullscreen", "pictureInPictureEnabled", "pictureInPictureElement"]) {
    delete (document as unknown as Record<string, unknown>)[name];
  }
});

/** jsdom plays nothing: a video whose clock, play and pause the test drives (30 s long). */
function drive(video: HTMLVideoElement) {
  const state = { time: 0, paused: true };
  Object.defineProperty(video, "duration", { configurable: true, get: () => 30 });
  Object.defineProperty(video, "currentTime", {
    configurable: true,
    get: () => state.time,
    set: (t: number) => (state.time = t),
  });
  Object.defineProperty(video, "paused", { configurable: true, get: () => state.paused });
  const fire = (name: string) => act(() => void video.dispatchEvent(new Event(name)));
  const play = vi.fn(() => {
    state.paused = false;
    fire("play");
    return Promise.resolve();
  });
  const pause = vi.fn(() => {
    state.paused = true;
    fire("pause");
  });
  video.play = play;
  video.pause = pause;
  return { state, fire, play, pause };
}

/** The player of m-1 on the original file, once its source is set; its video driven by the test. */
/** Three chapters of 10 s in the 30 s video, as the server sends them. */
const WALK_CHAPTERS = [
  { start_seconds: 0, title: "Gate" },
  { start_seconds: 10, title: "Pond" },
  { start_seconds: 20, title: "Hill" },
];

async function player(item: Partial<CatalogueItem> = {}) {
  renderPage(<Player item={mediaItem({ duration_seconds: 30, ...item })} />);
  const video = await screen.findByTestId<HTMLVideoElement>("player");
  await vi.waitFor(() => expect(video.getAttribute("src")).toBe("/api/v1/stream/m-1"));
  const frame = video.closest<HTMLElement>(".player-frame")!;
  return { video, frame, ...drive(video) };
}

const button = (name: string) => screen.getByRole("button", { name });

describe("volume", () => {
  it("starts at the remembered level, and remembers the one the viewer sets", async () => {
    localStorage.setItem("streamstack.volume", "0.4");
    const { video } = await player();
    const slider = screen.getByRole("slider", { name: "Volume" });
    expect(video.volume).toBe(0.4);
    expect(slider).toHaveValue("40");
    expect(slider).toHaveAttribute("aria-valuetext", "40 %");

    fireEvent.change(slider, { target: { value: "75" } });
    expect(video.volume).toBe(0.75);
    expect(slider).toHaveAttribute("aria-valuetext", "75 %");
    expect(localStorage.getItem("streamstack.volume")).toBe("0.75");
  });

  it("ignores a remembered level that is not one", async () => {
    localStorage.setItem("streamstack.volume", "loud");
    const { video } = await player();
    expect(video.volume).toBe(1);
    expect(screen.getByRole("slider", { name: "Volume" })).toHaveAttribute("aria-valuetext", "100 %");
  });

  it("mutes with the button or m, keeping the level to return to; the slider at 0 mutes too", async () => {
    const user = setupUser();
    localStorage.setItem("streamstack.volume", "0.4");
    const { video } = await player();
    const slider = screen.getByRole("slider", { name: "Volume" });

    await user.click(button("Mute"));
    expect(video.muted).toBe(true);
    expect(slider).toHaveValue("0");
    expect(slider).toHaveAttribute("aria-valuetext", "Muted");
    await user.click(button("Unmute"));
    expect(video.muted).toBe(false);
    expect(slider).toHaveValue("40");

    await user.keyboard("m");
    expect(button("Unmute")).toBeInTheDocument();
    await user.keyboard("m");
    expect(button("Mute")).toBeInTheDocument();

    fireEvent.change(slider, { target: { value: "0" } });
    expect(video.muted).toBe(true);
    expect(video.volume).toBe(0.4);
    expect(localStorage.getItem("streamstack.volume")).toBe("0.4");
    fireEvent.change(slider, { target: { value: "20" } });
    expect([video.muted, video.volume]).toEqual([false, 0.2]);
  });
});

describe("volume keys", () => {
  const remembered = () => localStorage.getItem("streamstack.volume");
  const arrow = (target: Element, key: "ArrowUp" | "ArrowDown") => fireEvent.keyDown(target, { key });

  it("go 5 % up or down with the focus in the player, remembered; up unmutes, down to 0 mutes", async () => {
    const user = setupUser();
    localStorage.setItem("streamstack.volume", "0.1");
    const { video, frame } = await player();
    const slider = screen.getByRole("slider", { name: "Volume" });

    // Focus on the page, not the player: the page scrolls as ever, as the keys hint says.
    expect(arrow(document.body, "ArrowUp")).toBe(true);
    expect(video.volume).toBe(0.1);
    expect(screen.getByTestId("player-keys")).toHaveTextContent("↑/↓ volume, Home/End start/end (in the player)");

    await user.click(video); // a click on the picture puts the focus in the player
    expect(frame).toHaveFocus();
    await user.keyboard("{ArrowUp}");
    expect([video.volume, video.muted]).toEqual([0.15, false]);
    expect(slider).toHaveValue("15");
    expect(remembered()).toBe("0.15");

    await user.keyboard("{ArrowDown}{ArrowDown}{ArrowDown}");
    expect([video.volume, video.muted]).toEqual([0.05, true]); // muted, the level kept
    expect(slider).toHaveAttribute("aria-valuetext", "Muted");
    await user.keyboard("{ArrowDown}");
    expect([video.volume, video.muted]).toEqual([0.05, true]);
    expect(remembered()).toBe("0.05");
    act(() => button("Unmute").focus()); // anywhere in the player
    await user.keyboard("{ArrowUp}");
    expect([video.volume, video.muted]).toEqual([0.1, false]);
    expect(remembered()).toBe("0.1");
  });

  it("stop at 100 %, and leave the sliders and text fields their own arrows, full screen too", async () => {
    const user = setupUser();
    const { video, frame } = await player();
    const field = document.body.appendChild(document.createElement("input"));
    try {
      act(() => frame.focus());
      await user.keyboard("{ArrowUp}");
      expect(video.volume).toBe(1);
      await user.keyboard("{ArrowDown}");
      expect(video.volume).toBe(0.95);

      for (const name of ["Volume", "Seek"]) arrow(screen.getByRole("slider", { name }), "ArrowDown");
      expect(video.volume).toBe(0.95);

      Object.defineProperty(document, "fullscreenElement", { configurable: true, value: frame });
      expect(arrow(document.body, "ArrowDown")).toBe(false);
      expect(video.volume).toBe(0.9);
      expect(arrow(field, "ArrowDown")).toBe(true);
      expect(video.volume).toBe(0.9);
    } finally {
      field.remove();
    }
  });
});

describe("buttons", () => {
  it("are named for what they do now: Play/Pause, Full screen/Exit full screen", async () => {
    const user = setupUser();
    const { frame, play, pause } = await player();
    const requestFullscreen = vi.fn(() => Promise.resolve());
    frame.requestFullscreen = requestFullscreen;

    await user.click(button("Play"));
    expect(play).toHaveBeenCalledTimes(1);
    await user.click(button("Pause"));
    expect(pause).toHaveBeenCalledTimes(1);
    expect(button("Play")).toBeInTheDocument();

    await user.click(button("Full screen"));
    expect(requestFullscreen).toHaveBeenCalledTimes(1);
    Object.defineProperty(document, "fullscreenElement", { configurable: true, get: () => frame });
    act(() => void document.dispatchEvent(new Event("fullscreenchange")));
    expect(button("Exit full screen")).toBeInTheDocument();
  });

  it.each([
    ["a wide video on an upright phone turns the screen sideways", 1280, 720, "portrait-primary", ["landscape"]],
    ["an upright video stays upright", 720, 1280, "portrait-primary", []],
    ["a screen already sideways is left alone", 1280, 720, "landscape-primary", []],
  ])("full screen: %s", async (_name, width, height, type, locked) => {
    const user = setupUser();
    const { video, frame } = await player();
    const requestFullscreen = vi.fn(() => Promise.resolve());
    frame.requestFullscreen = requestFullscreen;
    Object.defineProperty(video, "videoWidth", { configurable: true, value: width });
    Object.defineProperty(video, "videoHeight", { configurable: true, value: height });
    const lock = vi.fn(() => Promise.resolve());
    Object.defineProperty(window.screen, "orientation", { configurable: true, value: { type, lock } });
    try {
      await user.click(button("Full screen"));
      await vi.waitFor(() => expect(requestFullscreen).toHaveBeenCalled());
      await new Promise((settled) => setTimeout(settled, 0));
      expect(lock.mock.calls.map((call: unknown[]) => call[0])).toEqual(locked);
    } finally {
      delete (window.screen as unknown as Record<string, unknown>).orientation;
    }
  });

  it("toggle play with a click on the picture and full screen with a double click", async () => {
    const { video, frame, play, pause } = await player();
    const requestFullscreen = vi.fn(() => Promise.resolve());
    frame.requestFullscreen = requestFullscreen;
    fireEvent.click(video);
    expect(play).toHaveBeenCalledTimes(1);
    fireEvent.click(video);
    expect(pause).toHaveBeenCalledTimes(1);
    fireEvent.doubleClick(video);
    expect(requestFullscreen).toHaveBeenCalledTimes(1);
  });

  it("offer captions (Show/Hide captions) only for an item with tracks", async () => {
    await player();
    expect(screen.queryByRole("button", { name: /captions/ })).not.toBeInTheDocument();
  });

  it("turn captions on and off with the captions button", async () => {
    grant({ captions: CAPTIONS });
    const user = setupUser();
    await player();
    await user.click(await screen.findByRole("button", { name: "Show captions" }));
    expect(localStorage.getItem("streamstack.captions")).toBe("en");
    await user.click(button("Hide captions"));
    expect(localStorage.getItem("streamstack.captions")).toBe("");
    expect(button("Show captions")).toBeInTheDocument();
  });

  it("offer picture in picture only where the browser has it", async () => {
    await player();
    expect(screen.queryByRole("button", { name: "Picture in picture" })).not.toBeInTheDocument();
  });

  it("float the video in picture in picture, and bring it back", async () => {
    Object.defineProperty(document, "pictureInPictureEnabled", { configurable: true, value: true });
    const user = setupUser();
    const { video } = await player();
    const requestPictureInPicture = vi.fn(() => Promise.resolve({} as PictureInPictureWindow));
    video.requestPictureInPicture = requestPictureInPicture;
    await user.click(button("Picture in picture"));
    expect(requestPictureInPicture).toHaveBeenCalledTimes(1);
    Object.defineProperty(document, "pictureInPictureElement", { configurable: true, get: () => video });
    act(() => void video.dispatchEvent(new Event("enterpictureinpicture")));
    expect(button("Exit picture in picture")).toBeInTheDocument();
  });

  it("offer no picture in picture for a sound alone, which the browser refuses to float", async () => {
    Object.defineProperty(document, "pictureInPictureEnabled", { configurable: true, value: true });
    await player({ video_codec: null, width: null, height: null });
    expect(button("Full screen")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Picture in picture" })).not.toBeInTheDocument();
  });
});

describe("overlays", () => {
  it("show a big play button until the first play", async () => {
    const user = setupUser();
    const { play } = await player();
    await user.click(button("Play video"));
    expect(play).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole("button", { name: "Play video" })).not.toBeInTheDocument();
    // It went once pressed: the focus is on the player (its keys, Tab to its bar), not the page's body.
    expect(screen.getByTestId("player").closest(".player-frame")).toHaveFocus();
  });

  it("show a spinner while the playing video waits for data", async () => {
    const { fire, play } = await player();
    await act(() => play());
    fire("waiting");
    expect(screen.getByTestId("player-spinner")).toBeInTheDocument();
    fire("playing");
    expect(screen.queryByTestId("player-spinner")).not.toBeInTheDocument();
  });

  it("show a spinner while a paused video's seek waits for its picture", async () => {
    const { fire } = await player();
    const video = screen.getByTestId<HTMLVideoElement>("player");
    let seeking = true;
    Object.defineProperty(video, "seeking", { configurable: true, get: () => seeking });
    fire("seeking"); // paused, nothing there yet (readyState 0)
    expect(screen.getByTestId("player-spinner")).toBeInTheDocument();
    seeking = false;
    fire("seeked");
    expect(screen.queryByTestId("player-spinner")).not.toBeInTheDocument();
  });
});

describe("the bar", () => {
  const hidden = (frame: HTMLElement) => frame.classList.contains("controls-hidden");
  const idle = () => act(() => vi.advanceTimersByTime(CONTROLS_IDLE_MS));

  it("hides a while after the pointer last moved while playing, and shows on a move or a pause", async () => {
    const { frame, play, pause } = await player();
    vi.useFakeTimers();
    await idle();
    expect(hidden(frame)).toBe(false); // paused: always shown
    await act(() => play());
    await act(() => vi.advanceTimersByTime(CONTROLS_IDLE_MS - 100));
    expect(hidden(frame)).toBe(false);
    await act(() => vi.advanceTimersByTime(100));
    expect(hidden(frame)).toBe(true);

    fireEvent.pointerMove(frame);
    expect(hidden(frame)).toBe(false);
    await idle();
    expect(hidden(frame)).toBe(true);
    act(() => pause());
    expect(hidden(frame)).toBe(false);
  });

  it("hides at once when the mouse leaves the playing player, and shows a while when it plays again", async () => {
    const { frame, play, pause } = await player();
    vi.useFakeTimers();
    await act(() => play());
    fireEvent.pointerLeave(frame, { pointerType: "mouse" });
    expect(hidden(frame)).toBe(true);

    // Played again from outside the player (a timestamp in the description): the bar shows where it is.
    act(() => pause());
    await act(() => play());
    expect(hidden(frame)).toBe(false);
    await idle();
    expect(hidden(frame)).toBe(true);
  });

  it("stays while the settings menu is open or the keyboard focus is in it", async () => {
    const { frame, play } = await player();
    vi.useFakeTimers();
    await act(() => play());
    fireEvent.click(button("Settings"));
    await idle();
    expect(hidden(frame)).toBe(false);
    fireEvent.click(button("Settings"));
    await idle();
    expect(hidden(frame)).toBe(true);

    fireEvent.keyDown(document, { key: "Tab" });
    act(() => button("Mute").focus());
    await idle();
    expect(hidden(frame)).toBe(false);
    act(() => button("Mute").blur());
    await idle();
    expect(hidden(frame)).toBe(true);
  });

  it("stays, with a ring on the player, while the focus is on the frame by keyboard (Play video by Enter)", async () => {
    const user = setupUser({ advanceTimers: vi.advanceTimersByTime });
    const { frame } = await player();
    vi.useFakeTimers({ shouldAdvanceTime: true });
    act(() => button("Play video").focus());
    await user.keyboard("{Enter}");
    expect(frame).toHaveFocus();
    // The ring: .player-frame.keyboard-focus:focus (styles.css; drawn in Chromium: test_accessibility.py).
    expect(frame).toHaveClass("keyboard-focus");
    await idle();
    await idle();
    expect(hidden(frame)).toBe(false);

    // Focus that came with a click on the picture: no ring, and the bar goes as usual.
    act(() => frame.blur());
    expect(frame).not.toHaveClass("keyboard-focus");
    await user.click(screen.getByTestId("player"));
    await user.click(screen.getByTestId("player"));
    expect(frame).toHaveFocus();
    expect(frame).not.toHaveClass("keyboard-focus");
    await idle();
    expect(hidden(frame)).toBe(true);
  });

  it("stays for focus that came with a click: it hides as usual after it", async () => {
    const { frame, play } = await player();
    vi.useFakeTimers();
    await act(() => play());
    fireEvent.pointerDown(button("Mute"), { pointerType: "mouse" });
    act(() => button("Mute").focus());
    await idle();
    expect(hidden(frame)).toBe(true);
  });

  it("comes back on the first tap of a finger on a hidden bar, without pressing what is under it", async () => {
    const { video, frame, play, pause } = await player();
    vi.useFakeTimers();
    await act(() => play());
    await idle();
    fireEvent.pointerDown(video, { pointerType: "touch" });
    fireEvent.click(video);
    expect(hidden(frame)).toBe(false);
    expect(pause).not.toHaveBeenCalled();
    fireEvent.pointerDown(video, { pointerType: "touch" });
    fireEvent.click(video);
    expect(pause).toHaveBeenCalledTimes(1);
  });

  it("only comes back on the first touch of its hidden sliders: no seek, preview or volume; the next touch seeks", async () => {
    const { frame, state, play } = await player();
    const seek = screen.getByRole("slider", { name: "Seek" });
    const volume = screen.getByRole("slider", { name: "Volume" });
    seek.getBoundingClientRect = () => ({ left: 0, width: 300 }) as DOMRect;
    vi.useFakeTimers();
    await act(() => play());
    await idle();
    // What a finger does to a range input: a press, the thumb under it at once (a drag goes on so), a lift.
    const touch = (slider: HTMLElement, value: string) => {
      fireEvent.pointerDown(slider, { pointerType: "touch", clientX: 200 });
      fireEvent.change(slider, { target: { value } });
      fireEvent.pointerUp(document, { pointerType: "touch" });
    };

    touch(seek, "20");
    expect(hidden(frame)).toBe(false);
    expect(state.time).toBe(0);
    expect(seek).toHaveValue("0");
    expect(screen.queryByTestId("seek-preview")).not.toBeInTheDocument();
    fireEvent.change(seek, { target: { value: "25" } });
    expect(state.time).toBe(0);

    touch(seek, "20");
    expect(state.time).toBe(20);
    expect(screen.getByTestId("seek-preview")).toBeInTheDocument();

    await idle();
    touch(volume, "30");
    expect(hidden(frame)).toBe(false);
    expect(volume).toHaveValue("100");
  });

  it("seeks once where a drag of the seek bar ends, and at once for a change without one (keys, screen readers)", async () => {
    const { state, fire } = await player();
    fire("durationchange");
    const seek = screen.getByRole("slider", { name: "Seek" });
    seek.getBoundingClientRect = () => ({ left: 0, width: 300 }) as DOMRect;
    fireEvent.pointerDown(seek, { clientX: 10 });
    for (const value of ["5", "10", "15", "20"]) fireEvent.change(seek, { target: { value } });
    expect(state.time).toBe(0); // a slow link fetched and dropped a segment for each of these
    expect(seek).toHaveValue("20"); // the thumb follows the pointer meanwhile
    fireEvent.pointerUp(document); // let go beyond the bar
    expect(state.time).toBe(20);

    fireEvent.change(seek, { target: { value: "25" } });
    expect(state.time).toBe(25);
  });

  it("shows the played and the buffered part on the seek bar", async () => {
    const { video, fire } = await player();
    const ranges = [[0, 4], [10, 24]] as const;
    Object.defineProperty(video, "buffered", {
      configurable: true,
      get: () => ({ length: 2, start: (i: number) => ranges[i]![0], end: (i: number) => ranges[i]![1] }),
    });
    video.currentTime = 12;
    fire("progress");
    expect(screen.getByTestId("seek-played").style.width).toBe("40%");
    expect(screen.getByTestId("seek-buffered").style.width).toBe("80%");
    expect(screen.getByRole("slider", { name: "Seek" })).toHaveAttribute("aria-valuetext", "0:12 of 0:30");
  });
});

describe("double tap on a touch screen", () => {
  /** Taps the picture with a finger at `clientX` of its 300 px; twice for a double tap. */
  const tap = (video: HTMLElement, clientX: number, times = 1) => {
    for (let i = 0; i < times; i++) {
      fireEvent.pointerDown(video, { pointerType: "touch", clientX });
      fireEvent.click(video, { clientX });
    }
    if (times === 2) fireEvent.doubleClick(video, { clientX });
  };

  it("on the right or left third skips 10 s forward or back and says so, not pausing nor going full screen", async () => {
    const { video, state, play, pause } = await player();
    video.getBoundingClientRect = () => ({ left: 0, width: 300 }) as DOMRect;
    const fullscreen = vi.fn(() => Promise.resolve());
    video.closest<HTMLElement>(".player-frame")!.requestFullscreen = fullscreen;
    await act(() => play());
    state.time = 12;
    tap(video, 250, 2);
    expect(state.time).toBe(22);
    expect(screen.getByTestId("shortcut-announcer")).toHaveTextContent("Forward 10 seconds");
    expect(screen.getByTestId("shortcut-flash")).toHaveTextContent("+10 s");
    tap(video, 40, 2);
    expect(state.time).toBe(12);
    expect(screen.getByTestId("shortcut-flash")).toHaveTextContent("−10 s");
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(pause).not.toHaveBeenCalled();
    expect(fullscreen).not.toHaveBeenCalled();
  });

  it("keeps a single tap on a side for play and pause, once no second tap came, and the middle as before", async () => {
    const { video, state, play, pause } = await player();
    video.getBoundingClientRect = () => ({ left: 0, width: 300 }) as DOMRect;
    await act(() => play());
    tap(video, 250);
    expect(pause).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(pause).toHaveBeenCalledTimes(1));
    tap(video, 150);
    expect(play).toHaveBeenCalledTimes(2); // at once in the middle
    expect(state.time).toBe(0);
  });
});

describe("chapters", () => {
  // Three chapters of 10 s in the 30 s video (the server reads them from the description).
  const CHAPTERS = WALK_CHAPTERS;

  it("notch the seek bar, name the one playing by the clock and to screen readers", async () => {
    const { video, fire } = await player({ chapters: CHAPTERS });
    fire("durationchange");
    const gaps = screen.getAllByTestId("seek-chapter-gap").map((gap) => parseFloat(gap.style.left));
    expect(gaps).toEqual([expect.closeTo(33.33, 1), expect.closeTo(66.67, 1)]);
    expect(screen.getByTestId("player-chapter")).toHaveTextContent("Gate");
    video.currentTime = 15;
    fire("timeupdate");
    expect(screen.getByTestId("player-chapter")).toHaveTextContent("Pond");
    expect(screen.getByRole("slider", { name: "Seek" })).toHaveAttribute("aria-valuetext", "0:15 of 0:30, Pond");
  });

  it("name the chapter under the pointer above the bar", async () => {
    const { fire } = await player({ chapters: CHAPTERS });
    fire("durationchange");
    const seek = screen.getByRole("slider", { name: "Seek" });
    seek.getBoundingClientRect = () => ({ left: 0, width: 300 }) as DOMRect;
    fireEvent.pointerMove(seek, { clientX: 250 });
    expect(screen.getByTestId("seek-preview-chapter")).toHaveTextContent("Hill");
    expect(screen.getByTestId("seek-preview")).toHaveTextContent("0:25");
  });

  it("preview the time and chapter a click at the pointer lands on, the thumb's half in from each end", async () => {
    const { state, fire } = await player({ chapters: CHAPTERS });
    fire("durationchange");
    const seek = screen.getByRole("slider", { name: "Seek" });
    // 312 px with a 12 px thumb: the browser maps 6..306 px onto 0..30 s.
    seek.getBoundingClientRect = () => ({ left: 100, width: 312 }) as DOMRect;
    seek.style.setProperty("--seek-thumb", "12px");
    const preview = () => screen.getByTestId("seek-preview");
    fireEvent.pointerMove(seek, { clientX: 100 + 6 + 200 }); // the second chapter's notch, at 20 s
    expect(preview()).toHaveTextContent("0:20");
    expect(screen.getByTestId("seek-preview-chapter")).toHaveTextContent("Hill");
    fireEvent.pointerMove(seek, { clientX: 100 + 6 + 199 });
    expect(screen.getByTestId("seek-preview-chapter")).toHaveTextContent("Pond");
    fireEvent.pointerMove(seek, { clientX: 102 }); // over the thumb's half at the start
    expect(preview()).toHaveTextContent("0:00");
    fireEvent.pointerMove(seek, { clientX: 410 });
    expect(preview()).toHaveTextContent("0:30");
    expect(state.time).toBe(0);
  });

  describe("keys", () => {
    afterEach(() => vi.restoreAllMocks());

    /** Presses `key` with `modifiers` on the page; whether the player took it (its default prevented). */
    const press = (key: string, modifiers: Partial<KeyboardEventInit> = { ctrlKey: true }, target: Element = document.body) =>
      !fireEvent.keyDown(target, { key, ...modifiers });
    const announced = () => screen.getByTestId("shortcut-announcer");

    it("takes back 'Playing' or 'Paused' once the video no longer is: a stale status misleads", async () => {
      const user = setupUser();
      const { pause } = await player();
      press("k", {});
      expect(announced()).toHaveTextContent("Playing");
      await user.click(button("Pause"));
      expect(pause).toHaveBeenCalled();
      expect(announced()).toBeEmptyDOMElement();

      press("k", {});
      press("k", {});
      expect(announced()).toHaveTextContent("Paused");
      await user.click(button("Play"));
      expect(announced()).toBeEmptyDOMElement();
    });

    it("Ctrl+→ and Ctrl+← go to the next and the previous chapter, said to screen readers", async () => {
      const { state } = await player({ chapters: CHAPTERS });
      state.time = 4;
      expect(press("ArrowRight")).toBe(true);
      expect(state.time).toBe(10);
      expect(announced()).toHaveTextContent("Chapter 2 of 3: Pond");
      expect(announced()).toHaveAttribute("role", "status");
      press("ArrowRight");
      expect(state.time).toBe(20);
      expect(announced()).toHaveTextContent("Chapter 3 of 3: Hill");
      // Nothing after the last: the key is the browser's.
      expect(press("ArrowRight")).toBe(false);
      expect(state.time).toBe(20);
      // Within 3 s of a chapter's start, back to the previous one; further in, to its own start.
      state.time = 22;
      press("ArrowLeft");
      expect(state.time).toBe(10);
      state.time = 16;
      press("ArrowLeft");
      expect(state.time).toBe(10);
      expect(announced()).toHaveTextContent("Chapter 2 of 3: Pond");
    });

    it("say the same chapter again when it is reached again", async () => {
      const { state } = await player({ chapters: CHAPTERS });
      state.time = 5;
      press("ArrowLeft");
      const first = announced().firstElementChild;
      press("ArrowLeft");
      expect(announced()).toHaveTextContent("Chapter 1 of 3: Gate");
      expect(announced().firstElementChild).not.toBe(first);
    });

    it("take Option+←/→ on a Mac, where Ctrl+←/→ switch desktops, but not Alt elsewhere (Back, Forward)", async () => {
      const { state } = await player({ chapters: CHAPTERS });
      expect(press("ArrowRight", { altKey: true })).toBe(false);
      expect(state.time).toBe(0);
      expect(screen.getByTestId("player-keys")).toHaveTextContent("Ctrl+←/→ chapters");
      cleanup();

      vi.spyOn(navigator, "platform", "get").mockReturnValue("MacIntel");
      const mac = await player({ chapters: CHAPTERS });
      expect(press("ArrowRight", { altKey: true })).toBe(true);
      expect(mac.state.time).toBe(10);
      expect(screen.getByTestId("player-keys")).toHaveTextContent("⌥←/→ chapters");
    });

    it("also work on the seek bar, but not while typing, nor with other modifiers", async () => {
      const { state } = await player({ chapters: CHAPTERS });
      expect(press("ArrowRight", { ctrlKey: true, shiftKey: true })).toBe(false);
      expect(press("ArrowRight", { ctrlKey: true, metaKey: true })).toBe(false);
      const field = document.createElement("input");
      document.body.append(field);
      expect(press("ArrowRight", { ctrlKey: true }, field)).toBe(false);
      field.remove();
      expect(state.time).toBe(0);
      expect(press("ArrowRight", { ctrlKey: true }, screen.getByRole("slider", { name: "Seek" }))).toBe(true);
      expect(state.time).toBe(10);
    });

    it("do nothing, and are not listed, without chapters", async () => {
      const { state } = await player({ description: "The pond at 0:10, the hill at 0:20." });
      state.time = 15;
      expect(press("ArrowRight")).toBe(false);
      expect(press("ArrowLeft")).toBe(false);
      expect(state.time).toBe(15);
      expect(announced()).toHaveTextContent("");
      expect(screen.getByTestId("player-keys")).not.toHaveTextContent("chapter");
    });
  });

  it("are none for a description whose timestamps make no chapter list", async () => {
    const { fire } = await player({ description: "The pond at 0:10, the hill at 0:20." });
    fire("durationchange");
    expect(screen.queryByTestId("seek-chapter-gap")).not.toBeInTheDocument();
    expect(screen.queryByTestId("player-chapter")).not.toBeInTheDocument();
  });
});

describe("keys say what they did", () => {
  afterEach(() => vi.restoreAllMocks());

  /** Presses `key` on `target` (the page, unless named); whether the player took it. */
  const press = (key: string, target: Element = document.body, modifiers: Partial<KeyboardEventInit> = {}) =>
    !fireEvent.keyDown(target, { key, ...modifiers });
  const said = () => screen.getByTestId("shortcut-announcer");
  const flash = () => screen.queryByTestId("shortcut-flash");

  it("say each key's effect in words in the status region, and show it briefly over the picture", async () => {
    grant({ captions: CAPTIONS });
    localStorage.setItem("streamstack.volume", "0.4");
    const { video, frame, state, play, pause } = await player();
    await screen.findByRole("button", { name: "Show captions" });
    expect(said()).toHaveAttribute("role", "status");
    /** Presses `key`: the status region says `words`, the picture shows `shown`. */
    const says = (key: string, words: string, shown = words, target: Element = document.body) => {
      expect(press(key, target), key).toBe(true);
      expect(said(), key).toHaveTextContent(words);
      expect(flash(), key).toHaveTextContent(shown);
    };
    state.time = 10;
    says("ArrowRight", "Forward 5 seconds, 0:15 of 0:30", "+5 s");
    says("ArrowLeft", "Back 5 seconds, 0:10 of 0:30", "−5 s");
    says("l", "Forward 10 seconds, 0:20 of 0:30", "+10 s");
    says("j", "Back 10 seconds, 0:10 of 0:30", "−10 s");
    expect(state.time).toBe(10);
    says("k", "Playing");
    says(" ", "Paused");
    expect([play.mock.calls.length, pause.mock.calls.length]).toEqual([1, 1]);
    says("m", "Muted");
    says("m", "Volume 40 %", "40 %");
    // The volume keys, with the focus in the player.
    says("ArrowUp", "Volume 45 %", "45 %", frame);
    says("ArrowDown", "Volume 40 %", "40 %", frame);
    expect([video.volume, video.muted]).toEqual([0.4, false]);
    says(">", "Speed 1.25×", "1.25×");
    says("<", "Speed Normal", "Normal");
    says("<", "Speed 0.75×", "0.75×");
    says("c", "Captions: English");
    says("c", "Captions off");
  });

  it("say full screen once the browser went there, with nothing over the picture (that shows itself)", async () => {
    const { frame } = await player();
    frame.requestFullscreen = vi.fn(() => {
      Object.defineProperty(document, "fullscreenElement", { configurable: true, get: () => frame });
      return Promise.resolve();
    });
    press("f");
    await vi.waitFor(() => expect(said()).toHaveTextContent("Full screen"));
    expect(flash()).not.toBeInTheDocument();
    document.exitFullscreen = vi.fn(() => {
      Object.defineProperty(document, "fullscreenElement", { configurable: true, get: () => null });
      return Promise.resolve();
    });
    press("f");
    await vi.waitFor(() => expect(said()).toHaveTextContent("Full screen off"));
  });

  it("jump with Home and End in the player, and with 0–9 on the page, to 0–90 %", async () => {
    const { frame, state } = await player();
    state.time = 12;
    // Focus on the page: Home and End scroll it, as the keys hint says.
    expect(press("Home")).toBe(false);
    expect(press("End")).toBe(false);
    expect(state.time).toBe(12);
    expect(screen.getByTestId("player-keys")).toHaveTextContent("Home/End start/end (in the player)");
    expect(screen.getByTestId("player-keys")).toHaveTextContent("0–9 to 0–90 %");

    expect(press("End", frame)).toBe(true);
    expect(state.time).toBe(30);
    expect(said()).toHaveTextContent("End, 0:30 of 0:30");
    expect(flash()).toHaveTextContent("End");
    expect(press("Home", frame)).toBe(true);
    expect(state.time).toBe(0);
    expect(said()).toHaveTextContent("Start, 0:00 of 0:30");

    expect(press("5")).toBe(true);
    expect(state.time).toBe(15);
    expect(said()).toHaveTextContent("50 %, 0:15 of 0:30");
    expect(flash()).toHaveTextContent("50 %");
    expect(press("9")).toBe(true);
    expect(state.time).toBe(27);
    expect(press("0")).toBe(true);
    expect(state.time).toBe(0);
    // The seek bar's Home and End are its own.
    expect(press("End", screen.getByRole("slider", { name: "Seek" }))).toBe(false);
    expect(state.time).toBe(0);
  });

  it("say a repeated press again: a new node in the region and over the picture each time", async () => {
    const { frame } = await player();
    press("ArrowUp", frame);
    expect(said()).toHaveTextContent("Volume 100 %");
    const [words, shown] = [said().firstElementChild, flash()];
    press("ArrowUp", frame); // at 100 % already: the same words, said again
    expect(said()).toHaveTextContent("Volume 100 %");
    expect(said().children).toHaveLength(1);
    expect(said().firstElementChild).not.toBe(words);
    expect(flash()).not.toBe(shown);
    press("ArrowDown", frame);
    expect(said()).toHaveTextContent("Volume 95 %");
  });

  it("show the effect hidden from screen readers, letting clicks through, and for a moment only", async () => {
    const { state } = await player();
    vi.useFakeTimers();
    press("ArrowRight");
    expect(flash()).toHaveAttribute("aria-hidden", "true");
    expect(flash()).toHaveClass("player-flash"); // pointer-events: none, clear of the bar: styles.css, seen in e2e
    await act(() => vi.advanceTimersByTime(FLASH_MS - 100));
    press("ArrowRight"); // a new press starts its moment again
    await act(() => vi.advanceTimersByTime(FLASH_MS - 100));
    expect(flash()).toHaveTextContent("+5 s");
    await act(() => vi.advanceTimersByTime(100));
    expect(flash()).not.toBeInTheDocument();
    // Gone from sight, the words stay in the region (a screen reader may read them again).
    expect(said()).toHaveTextContent("Forward 5 seconds, 0:10 of 0:30");
    expect(state.time).toBe(10);
  });

  it("say nothing while the viewer types in a field, nor for the controls' own use", async () => {
    const user = setupUser();
    grant({ captions: CAPTIONS });
    const { state } = await player();
    const field = document.body.appendChild(document.createElement("input"));
    try {
      field.focus();
      await user.keyboard("km>c{ArrowRight}");
      expect(state.time).toBe(0);
      expect(said()).toBeEmptyDOMElement();
    } finally {
      field.remove();
    }
    // A click names its effect by the button's new name, a slider by its value: nothing more to say.
    await user.click(button("Play"));
    await user.click(button("Mute"));
    await user.click(button("Show captions"));
    fireEvent.change(screen.getByRole("slider", { name: "Volume" }), { target: { value: "20" } });
    fireEvent.change(screen.getByRole("slider", { name: "Seek" }), { target: { value: "12" } });
    expect(said()).toBeEmptyDOMElement();
    expect(flash()).not.toBeInTheDocument();
  });

  it("leave c to the page, unsaid, for an item without captions", async () => {
    await player();
    expect(press("c")).toBe(false);
    expect(said()).toBeEmptyDOMElement();
  });

  it("say the chapter the chapter keys reached, in the same region", async () => {
    const { state } = await player({ chapters: WALK_CHAPTERS });
    press("ArrowRight", document.body, { ctrlKey: true });
    expect(said()).toHaveTextContent("Chapter 2 of 3: Pond");
    expect(flash()).toHaveTextContent("Chapter 2 of 3: Pond");
    press("ArrowRight");
    expect(state.time).toBe(15);
    expect(said()).toHaveTextContent("Forward 5 seconds, 0:15 of 0:30");
  });
});

describe("keys and the controls' own", () => {
  /** Presses `key` on `target`; whether the player took it (prevented the browser's own use). */
  const press = (key: string, target: Element) => !fireEvent.keyDown(target, { key });

  const holders: HTMLElement[] = [];
  // Put on the page by hand, not by render: cleanup() would leave them to the next test file.
  afterEach(() => holders.splice(0).forEach((holder) => holder.remove()));

  /** `html` put on the page beside the player, and its first element. */
  function beside(html: string): HTMLElement {
    const holder = document.body.appendChild(document.createElement("div"));
    holders.push(holder);
    holder.innerHTML = html;
    return holder.firstElementChild as HTMLElement;
  }

  it("leave space to a checkbox, switch or radio, arrows to a radio or slider, and take letters there", async () => {
    const { state, play } = await player();
    const controls = [
      '<input type="checkbox">',
      '<input type="checkbox" role="switch">',
      '<input type="radio">',
      '<div role="switch" tabindex="0"></div>',
      "<button>Save</button>",
      '<a href="/x">link</a>',
    ].map(beside);
    for (const control of controls) expect(press(" ", control), control.outerHTML).toBe(false);
    expect(play).not.toHaveBeenCalled();
    for (const html of ['<input type="radio">', '<input type="range">', '<div role="slider" tabindex="0"></div>']) {
      expect(press("ArrowRight", beside(html)), html).toBe(false);
    }
    expect(state.time).toBe(0);
    // Letters mean nothing to a checkbox or a button: they stay the player's.
    expect(press("l", controls[0]!)).toBe(true);
    expect(press("k", controls[4]!)).toBe(true);
    expect([state.time, play.mock.calls.length]).toEqual([10, 1]);
    for (const html of ["<select><option>a</option></select>", "<textarea></textarea>", '<div contenteditable="true"></div>']) {
      expect(press("k", beside(html)), html).toBe(false);
    }
  });

  it("do nothing while a modal dialog is open, wherever the focus is", async () => {
    const { video, state, play } = await player();
    const dialog = beside('<div role="dialog" aria-modal="true"><button>Done</button></div>');
    for (const key of [" ", "k", "m", "ArrowRight", "l", ">"]) {
      expect(press(key, dialog.querySelector("button")!), key).toBe(false);
      expect(press(key, document.body), key).toBe(false);
    }
    expect([play.mock.calls.length, video.muted, state.time, video.playbackRate]).toEqual([0, false, 0, 1]);
    dialog.remove();
    expect(press("k", document.body)).toBe(true);
  });

  it("turn off, and on again, in the settings, remembered across visits, chapter keys too (WCAG 2.1.4)", async () => {
    const user = setupUser();
    const { state, play, video } = await player({ chapters: WALK_CHAPTERS.slice(0, 2) });
    await openPlayerSettings();
    await user.selectOptions(screen.getByRole("combobox", { name: "Keyboard shortcuts" }), "off");
    expect(localStorage.getItem(SHORTCUTS_KEY)).toBe("off");
    expect(screen.getByTestId("player-keys")).toHaveTextContent("Keyboard shortcuts are off");
    for (const key of [" ", "k", "m", "l", "ArrowRight"]) expect(press(key, document.body), key).toBe(false);
    expect(!fireEvent.keyDown(document.body, { key: "ArrowRight", ctrlKey: true })).toBe(false);
    expect([play.mock.calls.length, video.muted, state.time]).toEqual([0, false, 0]);

    cleanup();
    await player(); // a later visit: still off
    expect(press("k", document.body)).toBe(false);
    await openPlayerSettings();
    expect(screen.getByRole("combobox", { name: "Keyboard shortcuts" })).toHaveValue("off");
    await user.selectOptions(screen.getByRole("combobox", { name: "Keyboard shortcuts" }), "on");
    expect(press("k", document.body)).toBe(true);
    expect(screen.getByTestId("player-keys")).toHaveTextContent("Settings in the player turns them off");
  });
});

describe("bufferedEnd", () => {
  const ranges = (...spans: [number, number][]) =>
    ({ length: spans.length, start: (i: number) => spans[i]![0], end: (i: number) => spans[i]![1] }) as TimeRanges;

  it("is the end of the range the time is in, or the time itself outside them", () => {
    expect(bufferedEnd(ranges([0, 4], [10, 24]), 2)).toBe(4);
    expect(bufferedEnd(ranges([0, 4], [10, 24]), 9.9)).toBe(24); // a seek lands just before its range
    expect(bufferedEnd(ranges([0, 4], [10, 24]), 6)).toBe(6);
    expect(bufferedEnd(ranges(), 6)).toBe(6);
  });
});

describe("settings menu", () => {
  beforeEach(() => {
    // The player picks hls.js where MediaSource exists; jsdom has none.
    vi.stubGlobal("MediaSource", class {});
  });

  /** The player on hls.js, which announced `rungs` and `tracks` audio tracks. */
  async function hlsWith(rungs: number, tracks: number, captions = CAPTIONS) {
    grant({ hls_url: "/hls/master.m3u8", captions });
    renderPage(<Player item={mediaItem()} />);
    const hls = await vi.waitFor(() => {
      const latest = FakeHls.latest();
      expect(latest?.listenerCount(FakeHls.Events.MANIFEST_PARSED)).toBeGreaterThan(0);
      return latest!;
    });
    const heights = [240, 360, 720].slice(0, rungs);
    act(() => hls.announceLevels(heights.map((height) => ({ height, bitrate: height * 2000 }))));
    const languages = ["en", "fr"].slice(0, tracks);
    act(() => hls.announceAudio(languages.map((lang) => ({ name: lang, lang, default: lang === "en" }))));
    return hls;
  }

  const entries = () =>
    within(screen.getByRole("group", { name: "Player settings" }))
      .getAllByRole("combobox")
      .map((menu) => menu.getAttribute("id") && screen.getByText((_, el) => el?.getAttribute("for") === menu.id))
      .map((label) => label && label.textContent);

  it("holds quality, audio, captions and speed, each where there is a choice, and the keyboard shortcuts", async () => {
    await hlsWith(2, 2);
    await openPlayerSettings();
    expect(entries()).toEqual(["Quality", "Audio", "Captions", "Speed", "Keyboard shortcuts"]);
  });

  it("leaves out a single rung, a single audio track and captions an item has none of: speed stays", async () => {
    await hlsWith(1, 1, []);
    await openPlayerSettings();
    expect(entries()).toEqual(["Speed", "Keyboard shortcuts"]);
  });

  it("opens from the gear, and closes on Escape (focus back on the gear) or a press outside", async () => {
    const user = setupUser();
    await hlsWith(2, 1);
    const gear = button("Settings");
    expect(gear).toHaveAttribute("aria-expanded", "false");
    expect(screen.queryByRole("group", { name: "Player settings" })).not.toBeInTheDocument();

    await user.click(gear);
    expect(gear).toHaveAttribute("aria-expanded", "true");
    await user.selectOptions(screen.getByRole("combobox", { name: "Quality" }), "240p");
    expect(FakeHls.latest()!.currentLevel).toBe(0);
    await user.keyboard("{Escape}");
    expect(gear).toHaveAttribute("aria-expanded", "false");
    expect(gear).toHaveFocus();

    await user.click(gear);
    await user.click(screen.getByTestId("player"));
    expect(gear).toHaveAttribute("aria-expanded", "false");
    await user.click(gear);
    await user.click(gear);
    expect(gear).toHaveAttribute("aria-expanded", "false");
  });

  it("takes the arrows on its open gear into the menu (not the volume), and closes once the focus leaves it", async () => {
    const user = setupUser();
    const { video } = await player();
    const gear = button("Settings");
    await user.click(gear);
    const volume = video.volume;
    await user.keyboard("{ArrowDown}");
    expect(video.volume).toBe(volume);
    expect(screen.getByRole("combobox", { name: "Speed" })).toHaveFocus();
    act(() => gear.focus());
    await user.keyboard("{ArrowUp}");
    expect(video.volume).toBe(volume);
    expect(screen.getByRole("combobox", { name: "Keyboard shortcuts" })).toHaveFocus();

    await user.tab(); // out of the menu, on to Picture in picture
    expect(gear).toHaveAttribute("aria-expanded", "false");
  });

  it("shows, by a fade at either end, that the menu holds more than it shows", async () => {
    await player();
    await openPlayerSettings();
    const menu = screen.getByRole("group", { name: "Player settings" });
    // A phone's strip of a player: 142 px shown of the menu's 315.
    const size = (name: string, value: number) => Object.defineProperty(menu, name, { value, configurable: true });
    size("scrollHeight", 315);
    size("clientHeight", 142);
    size("scrollTop", 0);
    fireEvent(window, new Event("resize"));
    expect(menu).toHaveAttribute("data-more", "below");

    size("scrollTop", 100);
    fireEvent.scroll(menu);
    expect(menu).toHaveAttribute("data-more", "above below");
    size("scrollTop", 173);
    fireEvent.scroll(menu);
    expect(menu).toHaveAttribute("data-more", "above");

    // All of it in sight: nothing said.
    size("clientHeight", 315);
    size("scrollTop", 0);
    fireEvent.scroll(menu);
    expect(menu).not.toHaveAttribute("data-more");
  });
});
