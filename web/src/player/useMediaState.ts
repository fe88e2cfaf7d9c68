import { useCallback, useEffect, useState, useSyncExternalStore, type RefObject } from "react";

/** Calls `changed` on each of `events` of `target`; the returned function stops. */
function listen(target: EventTarget, events: readonly string[], changed: () => void): () => void {
  for (const name of events) target.addEventListener(name, changed);
  return () => {
    for (const name of events) target.removeEventListener(name, changed);
  };
}

export interface Clock {
  time: number;
  duration: number;
  paused: boolean;
  /** Played to its end: play starts it over (the play button says Replay). */
  ended: boolean;
  /** Where the buffered stretch the video is in ends (s); `time` when nothing is buffered there. */
  buffered: number;
}

/** The end of the buffered range holding `time`; hls.js and the browser keep several after seeks. */
export function bufferedEnd(ranges: TimeRanges, time: number): number {
  for (let i = 0; i < ranges.length; i++) {
    // A hair of slack: a seek lands just before the range the browser fetched for it.
    if (ranges.start(i) <= time + 0.25 && time <= ranges.end(i)) return ranges.end(i);
  }
  return time;
}

const CLOCK_EVENTS = ["timeupdate", "durationchange", "loadedmetadata", "play", "pause", "seeking", "progress", "ended"];

/** The video's position, length, play state and buffer, following its events. */
export function useClock(videoRef: RefObject<HTMLVideoElement | null>): [Clock, (time: number) => void] {
  const [clock, setClock] = useState<Clock>({
    time: 0,
    duration: Number.NaN,
    paused: true,
    ended: false,
    buffered: 0,
  });
  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    const update = () => {
      const time = video.currentTime;
      const { duration, paused, ended } = video;
      setClock({ time, duration, paused, ended, buffered: bufferedEnd(video.buffered, time) });
    };
    return listen(video, CLOCK_EVENTS, update);
  }, [videoRef]);
  const seek = useCallback(
    (time: number) => {
      const video = videoRef.current;
      if (!video) return;
      video.currentTime = time; // instant: hls.js fetches the segment at once
      setClock((c) => ({ ...c, time }));
    },
    [videoRef],
  );
  return [clock, seek];
}

/** Below this the video has no picture to go on with (HAVE_FUTURE_DATA). */
const HAVE_FUTURE_DATA = 3;

/**
 * Whether the video is held up waiting for data (the spinner): from
 * `waiting`, or a `stalled` fetch with nothing ahead to play, until it plays
 * on, can play, or is paused; and while a seek waits for its picture, paused
 * too (on a slow link the old picture stayed for seconds under the new time).
 */
export function useWaiting(videoRef: RefObject<HTMLVideoElement | null>): boolean {
  const [waiting, setWaiting] = useState(false);
  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    const held = () => setWaiting((!video.paused || video.seeking) && video.readyState < HAVE_FUTURE_DATA);
    const going = () => setWaiting(false);
    // "play" too: a browser with no data yet may not say `waiting` (the first press, a slow link).
    const stopHeld = listen(video, ["play", "waiting", "stalled", "seeking"], held);
    const stopGoing = listen(video, ["playing", "canplay", "canplaythrough", "seeked", "pause", "emptied", "ended"], going);
    return () => {
      stopHeld();
      stopGoing();
    };
  }, [videoRef]);
  return waiting;
}

/** Whether the video has played at all yet (the big play button until then). */
export function useStarted(videoRef: RefObject<HTMLVideoElement | null>): boolean {
  const [started, setStarted] = useState(false);
  useEffect(() => {
    const video = videoRef.current;
    if (!video || started) return;
    const start = () => setStarted(true);
    video.addEventListener("play", start, { once: true });
    return () => video.removeEventListener("play", start);
  }, [videoRef, started]);
  return started;
}

/**
 * Whether the end screen shows: the video played to its end, and since then
 * neither played nor sought again, nor was the screen dismissed (the second value).
 */
export function useEndScreen(videoRef: RefObject<HTMLVideoElement | null>): [boolean, () => void] {
  const [ended, setEnded] = useState(false);
  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    const stopEnded = listen(video, ["ended"], () => setEnded(true));
    const stopAgain = listen(video, ["play", "seeking", "emptied"], () => setEnded(false));
    return () => {
      stopEnded();
      stopAgain();
    };
  }, [videoRef]);
  return [ended, useCallback(() => setEnded(false), [])];
}

const subscribeFullscreen = (changed: () => void) => listen(document, ["fullscreenchange"], changed);

/** Whether `frameRef`'s element is the one shown full screen. */
export function useIsFullscreen(frameRef: RefObject<HTMLElement | null>): boolean {
  return useSyncExternalStore(subscribeFullscreen, () => {
    const shown = document.fullscreenElement;
    return shown != null && shown === frameRef.current;
  });
}

export interface PictureInPicture {
  /** The browser can float this video (Chromium, Safari; not Firefox, which has its own button). */
  supported: boolean;
  active: boolean;
  toggle: () => void;
}

/** The video floating in its own window above other apps, where the browser offers it. */
export function usePictureInPicture(videoRef: RefObject<HTMLVideoElement | null>): PictureInPicture {
  const subscribe = useCallback(
    (changed: () => void) => {
      const video = videoRef.current;
      return video ? listen(video, ["enterpictureinpicture", "leavepictureinpicture"], changed) : () => undefined;
    },
    [videoRef],
  );
  const active = useSyncExternalStore(subscribe, () => {
    const floating = document.pictureInPictureElement;
    return floating != null && floating === videoRef.current;
  });
  const supported = document.pictureInPictureEnabled === true;
  const toggle = useCallback(() => {
    const video = videoRef.current;
    if (!video) return;
    const done = active ? document.exitPictureInPicture() : video.requestPictureInPicture();
    // Refused (no metadata yet, a policy): the button simply does nothing.
    void done.catch(() => undefined);
  }, [videoRef, active]);
  return { supported, active, toggle };
}
