import { useEffect, type RefObject } from "react";
import { saveProgress } from "../api/catalogue";

/** While playing, the position is saved this often (ms). */
export const SAVE_EVERY_MS = 10_000;

/** Positions closer than this to the last saved one are not sent again (s). */
const SAME_PLACE_S = 0.5;

/**
 * Saves the viewer's position in `itemId` once they have pressed play: every
 * ~10 s while playing, on pause, on a seek while paused, when the page is hidden or closed (with a
 * keepalive request, which survives the unload) and when the player goes
 * away. Failures are ignored: the next save carries the newer position.
 */
export function useProgressSaver(itemId: string, videoRef: RefObject<HTMLVideoElement | null>): void {
  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    let lastSent = Number.NaN;
    let lastSaveAt = 0;
    // Nothing is remembered before the first play: opening a link to a moment (or seeking
    // about before pressing play) and leaving is not watching.
    let started = false;

    const save = (keepalive = false) => {
      const position = video.currentTime;
      if (!started || !Number.isFinite(position) || Math.abs(position - lastSent) < SAME_PLACE_S) return;
      lastSent = position;
      lastSaveAt = Date.now();
      const duration = Number.isFinite(video.duration) ? video.duration : null;
      saveProgress(itemId, position, duration, { keepalive }).catch(() => undefined);
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

    // Counting from the first play, not from when the page opened.
    const onPlay = () => {
      started = true;
      if (lastSaveAt === 0) lastSaveAt = Date.now();
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
  }, [itemId, videoRef]);
}
