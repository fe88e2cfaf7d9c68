import { useCallback, useEffect, useState, type RefObject } from "react";
import { remember, remembered } from "./preference";

/** The viewer's volume across items and visits: the level, 0 (exclusive) to 1, as text. */
export const VOLUME_KEY = "streamstack.volume";

/** The remembered level, or null for none (or something unreadable): the video's own 100 % then. */
export function rememberedVolume(): number | null {
  const level = Number(remembered(VOLUME_KEY) ?? Number.NaN);
  return level > 0 && level <= 1 ? level : null;
}

export interface Volume {
  /** The level set, 0..1, kept while muted to return to. */
  level: number;
  muted: boolean;
  /** Sets the level and unmutes; 0 mutes instead, keeping the level before it. */
  setLevel: (level: number) => void;
  toggleMute: () => void;
}

/** Sets `video`'s level and unmutes; 0 or below mutes instead, keeping the level before it to return to. */
export function setVolumeLevel(video: HTMLVideoElement, level: number): void {
  if (level <= 0) {
    video.muted = true;
    return;
  }
  video.volume = Math.min(1, level);
  video.muted = false;
}

/**
 * The video's volume and mute, following its events (the m and arrow keys too):
 * the remembered level is applied when the player opens, and each level the
 * video takes is remembered. Mute itself is not: a visit starts audible.
 */
export function useVolume(videoRef: RefObject<HTMLVideoElement | null>): Volume {
  const [state, setState] = useState({ level: 1, muted: false });
  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    const show = () => setState({ level: video.volume, muted: video.muted });
    const changed = () => {
      show();
      // Remembered here, whatever set it (the slider, the arrow keys): one place for all.
      if (video.volume > 0) remember(VOLUME_KEY, String(video.volume));
    };
    const level = rememberedVolume();
    if (level !== null) video.volume = level;
    show();
    video.addEventListener("volumechange", changed);
    return () => video.removeEventListener("volumechange", changed);
  }, [videoRef]);

  const setLevel = useCallback(
    (level: number) => {
      const video = videoRef.current;
      if (video) setVolumeLevel(video, level);
    },
    [videoRef],
  );
  const toggleMute = useCallback(() => {
    const video = videoRef.current;
    if (!video) return;
    // A level of 0 set elsewhere (not by us: we mute instead) has nothing to return to.
    if (video.volume === 0) {
      video.volume = 1;
      video.muted = false;
      return;
    }
    video.muted = !video.muted;
  }, [videoRef]);
  return { ...state, setLevel, toggleMute };
}
