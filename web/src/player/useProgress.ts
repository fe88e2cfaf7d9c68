import { useEffect, type RefObject } from "react";
import { saveProgress } from "../api/catalogue";
import { ApiError } from "../api/errors";

/** While playing, the position is saved this often (ms). */
export const SAVE_EVERY_MS = 10_000;

/** Positions closer than this to the last saved one are not sent again (s). */
const SAME_PLACE_S = 0.5;

/** Sends one save of a position (with the player's idea of the length). */
type SendSave = (position: number, duration: number | null, keepalive: boolean) => Promise<unknown>;

/**
 * Saves sent in the order they were made. Seeking about while paused saves at each seek,
 * and requests sent at once may arrive in any order: the server keeps the last to arrive,
 * which was not always the last made (resume then started at an earlier seek). So a save
 * waits for the one on its way, and of those waiting only the newest is sent. A keepalive
 * save (the page is going) cannot wait: it goes at once, and what was waiting is dropped.
 * Failures are ignored: the next save carries the newer position.
 */
export function orderedSaves(send: SendSave): SendSave {
  let sending = false;
  let waiting: [number, number | null] | null = null;
  async function drain() {
    sending = true;
    while (waiting) {
      const [position, duration] = waiting;
      waiting = null;
      await send(position, duration, false).catch(() => undefined);
    }
    sending = false;
  }
  return (position, duration, keepalive) => {
    if (keepalive) {
      waiting = null;
      return send(position, duration, true).catch(() => undefined);
    }
    waiting = [position, duration];
    return sending ? Promise.resolve() : drain();
  };
}

/** Sends `itemId`'s saves; a 404 (the item withdrawn) is told to `onGone`. */
function savesOf(itemId: string, onGone: ((refusal: ApiError) => void) | undefined): SendSave {
  return (position, duration, keepalive) =>
    saveProgress(itemId, position, duration, { keepalive }).catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 404) onGone?.(err);
      throw err;
    });
}

/**
 * Saves the viewer's position in `itemId` once they have pressed play: as playing
 * starts (again: without it a sitting's first ten seconds, a short clip's whole length,
 * counted as no time watched), every ~10 s while playing, on pause, on a seek while paused, when the page is hidden or closed (with a
 * keepalive request, which survives the unload) and when the player goes
 * away, in the order made (see orderedSaves). Not when `on` is false (a video watched by a
 * share link: there is no account to keep the place for). A save refused with a 404 means
 * the item was withdrawn (unpublished, taken down, deleted): `onGone` is told, so a page
 * need not wait for the next stream grant (up to an hour away) to end a video that was
 * fully buffered and plays on.
 */
export function useProgressSaver(
  itemId: string,
  videoRef: RefObject<HTMLVideoElement | null>,
  on = true,
  onGone?: (refusal: ApiError) => void,
): void {
  useEffect(() => {
    const video = videoRef.current;
    if (!video || !on) return;
    let lastSent = Number.NaN;
    let lastSaveAt = 0;
    // Nothing is remembered before the first play: opening a link to a moment (or seeking
    // about before pressing play) and leaving is not watching.
    let started = false;
    const send = orderedSaves(savesOf(itemId, onGone));

    const save = (keepalive = false, again = false) => {
      const position = video.currentTime;
      if (!started || !Number.isFinite(position)) return;
      if (!again && Math.abs(position - lastSent) < SAME_PLACE_S) return;
      lastSent = position;
      lastSaveAt = Date.now();
      const duration = Number.isFinite(video.duration) ? video.duration : null;
      void send(position, duration, keepalive);
    };

    const onTime = () => {
      if (!video.paused && Date.now() - lastSaveAt >= SAVE_EVERY_MS) save();
    };
    const onPause = () => save();
    const onSeeked = () => {
      if (video.paused) save();
    };
    const onHidden = () => {
      if (document.visibilityState === "hidden") save(true);
    };
    const onPageHide = () => save(true);

    // Saved as playing starts, even at the pause's place: the server counts the time between saves.
    const onPlay = () => {
      started = true;
      save(false, true);
    };
    video.addEventListener("play", onPlay);
    video.addEventListener("timeupdate", onTime);
    video.addEventListener("pause", onPause);
    video.addEventListener("seeked", onSeeked);
    document.addEventListener("visibilitychange", onHidden);
    window.addEventListener("pagehide", onPageHide);
    return () => {
      video.removeEventListener("play", onPlay);
      video.removeEventListener("timeupdate", onTime);
      video.removeEventListener("pause", onPause);
      video.removeEventListener("seeked", onSeeked);
      document.removeEventListener("visibilitychange", onHidden);
      window.removeEventListener("pagehide", onPageHide);
      save(true); // leaving the watch page inside the app
    };
  }, [itemId, videoRef, on, onGone]);
}
