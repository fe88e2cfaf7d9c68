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

/**
 * The video's volume and mute, following its events (the m key mutes too):
 * the remembered level is applied when the player opens, and each level the
 * viewer sets is remembered. Mute itself is not: a visit starts audible.
 */
export function useVolume(videoRef: RefObject<HTMLVideoElement | null>): Volume {
  const [state, setState] = useState({ level: 1, muted: false });
  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    const update = () => setState({ level: video.volume, muted: video.muted });
    video.volume = rememberedVolume() ?? video.volume;
    update();
    video.addEventListener("volumechange", update);
    return () => video.removeEventListener("volumechange", update);
  }, [videoRef]);

  const setLevel = useCallback(
    (level: number) => {
      const video = videoRef.current;
      if (!video) return;
      if (level <= 0) {
        video.muted = true;
        return;
      }
      video.volume = level;
      video.muted = false;
      remember(VOLUME_KEY, String(level));
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
