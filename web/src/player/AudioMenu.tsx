import type Hls from "hls.js";
import type { MediaPlaylist } from "hls.js";
import { useCallback, useEffect, useSyncExternalStore } from "react";
import type { Choice } from "../components/Field";
import { trackName } from "../lib/language";
import { offersChoice, PlayerMenu } from "./PlayerMenu";
import { closestLanguage, remember, remembered } from "./preference";
import type { HlsDriver } from "./useStream";

/** The viewer's audio language across items and visits: a language tag. */
const AUDIO_KEY = "streamstack.audio";

/** One unchanging empty list: useSyncExternalStore re-renders whenever a snapshot is a new object. */
const NO_TRACKS: readonly MediaPlaylist[] = [];

/**
 * Each track as the menu offers it: its NAME (the language's own name where the
 * server could only name it by its tag: "Français" for `fr`), and its language
 * where another track has the same name.
 */
export function audioChoices(tracks: readonly MediaPlaylist[]): Choice[] {
  return tracks.map(({ name, lang }, index) => {
    const shared = tracks.filter((other) => other.name === name).length > 1;
    const shown = trackName(name, lang);
    return { value: String(index), label: shared && lang ? `${shown} (${lang})` : shown };
  });
}

/**
 * The track a new video starts with: one in the remembered language, the
 * playlist's DEFAULT one first (the film rather than the commentary in that
 * language); -1 leaves hls.js's own pick.
 */
export function preferredTrack(tracks: readonly MediaPlaylist[], language: string | null): number {
  if (!language) return -1;
  const defaultFirst = [...tracks].sort((a, b) => Number(b.default) - Number(a.default));
  const track = closestLanguage(defaultFirst, language, (t) => t.lang);
  return track ? tracks.indexOf(track) : -1;
}

/** Switches hls.js to the track at `index`; it keeps the position and play state itself. */
function switchTrack(hls: Hls, index: number): void {
  hls.audioTrack = index;
}

/**
 * Starts a new video in the remembered language when it offers it. Once per
 * video: later track lists (a switch to another rung's audio group) keep
 * what is playing.
 */
function usePreferredLanguage(driver: HlsDriver | null): void {
  useEffect(() => {
    if (!driver) return;
    const { player, Events } = driver;
    const prefer = () => {
      const index = preferredTrack(player.audioTracks, remembered(AUDIO_KEY));
      if (index !== -1 && index !== player.audioTrack) switchTrack(player, index);
    };
    // The list may have come before this effect ran (hls.js was quicker than React).
    if (player.audioTracks.length > 0) {
      prefer();
      return;
    }
    player.once(Events.AUDIO_TRACKS_UPDATED, prefer);
    return () => player.off(Events.AUDIO_TRACKS_UPDATED, prefer);
  }, [driver]);
}

/** hls.js's audio tracks and the index of the one chosen, following its events. */
function useAudioTracks(driver: HlsDriver | null): { tracks: readonly MediaPlaylist[]; current: number } {
  const subscribe = useCallback(
    (changed: () => void) => {
      if (!driver) return () => undefined;
      const { player, Events } = driver;
      // SWITCHING rather than SWITCHED: hls.audioTrack changes then, while
      // SWITCHED waits until the new track's audio is buffered.
      const events = [Events.AUDIO_TRACKS_UPDATED, Events.AUDIO_TRACK_SWITCHING] as const;
      for (const event of events) player.on(event, changed);
      return () => {
        for (const event of events) player.off(event, changed);
      };
    },
    [driver],
  );
  const tracks = useSyncExternalStore(subscribe, () => {
    const list = driver?.player.audioTracks;
    return list?.length ? list : NO_TRACKS;
  });
  const current = useSyncExternalStore(subscribe, () => driver?.player.audioTrack ?? -1);
  return { tracks, current };
}

/**
 * "Audio: each track" where hls.js offers a choice (see offersChoice); the
 * choice's language is remembered for the next video. Nothing without hls.js:
 * a browser playing HLS itself has its own audio menu.
 */
export function AudioMenu({ hls }: { hls: HlsDriver | null }) {
  usePreferredLanguage(hls);
  const { tracks, current } = useAudioTracks(hls);
  if (!hls || !offersChoice(tracks.length)) return null;
  const choose = (value: string) => {
    const index = Number(value);
    switchTrack(hls.player, index);
    const language = tracks[index]?.lang;
    if (language) remember(AUDIO_KEY, language);
  };
  return <PlayerMenu label="Audio" value={String(current)} choices={audioChoices(tracks)} onChange={choose} />;
}
