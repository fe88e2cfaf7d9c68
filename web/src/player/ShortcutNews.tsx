import { useCallback, useEffect, useState } from "react";
import type { Chapter } from "../lib/chapters";
import { formatClock } from "../lib/format";
import { trackName } from "../lib/language";
import type { StreamCaption } from "./captions";
import { seekValueText } from "./SeekBar";
import { speedLabel } from "./SettingsMenu";
import { volumeValueText } from "./VolumeControl";

/**
 * What a key did, as the keys know it, or what the end screen started (its
 * countdown, told once): what the player's status region tells; KeyEffect
 * is how it is told.
 */
export type KeyFact =
  | { kind: "play"; playing: boolean }
  /** Moved `by` seconds (the key's step, whatever the ends left of it) to `to`, of `duration` (NaN: unknown). */
  | { kind: "seek"; by: number; to: number; duration: number }
  /** Jumped to `to` of `duration` (NaN: unknown), a place named `label` ("Start", "End", "50 %"). */
  | { kind: "jump"; label: string; to: number; duration: number }
  | { kind: "volume"; level: number; muted: boolean }
  | { kind: "speed"; rate: number }
  /** The captions track now shown, null for off. */
  | { kind: "captions"; track: StreamCaption | null }
  | { kind: "fullscreen"; on: boolean }
  | { kind: "chapter"; chapter: Chapter; chapters: readonly Chapter[] }
  /** The end screen counts down `seconds` to `title`. */
  | { kind: "up-next"; title: string; seconds: number };

/**
 * What a shortcut key did: the words a listener hears ("Volume 60 %"), and
 * the short form shown over the picture for a moment ("60 %"); null where
 * the change shows itself (full screen).
 */
export interface KeyEffect {
  said: string;
  shown: string | null;
}

/**
 * The words for `fact`, as the controls name the same things (the seek bar's
 * "1:23 of 4:05", the volume slider's "60 %", the speed menu's "1.5×").
 */
export function keyEffect(fact: KeyFact): KeyEffect {
  const both = (words: string) => ({ said: words, shown: words });
  switch (fact.kind) {
    case "play":
      return both(fact.playing ? "Playing" : "Paused");
    case "seek": {
      const seconds = Math.abs(fact.by);
      const where = Number.isFinite(fact.duration) ? seekValueText(fact.to, fact.duration) : formatClock(fact.to);
      const forward = fact.by > 0;
      return {
        said: `${forward ? "Forward" : "Back"} ${seconds} seconds, ${where}`,
        shown: `${forward ? "+" : "−"}${seconds} s`,
      };
    }
    case "jump": {
      const where = Number.isFinite(fact.duration) ? seekValueText(fact.to, fact.duration) : formatClock(fact.to);
      return { said: `${fact.label}, ${where}`, shown: fact.label };
    }
    case "volume": {
      // As the slider: a level of 0 is as silent as muted.
      const silent = fact.muted || fact.level === 0;
      const value = volumeValueText(Math.round(fact.level * 100), silent);
      return { said: silent ? value : `Volume ${value}`, shown: value };
    }
    case "speed":
      return { said: `Speed ${speedLabel(fact.rate)}`, shown: speedLabel(fact.rate) };
    case "captions":
      return both(fact.track ? `Captions: ${trackName(fact.track.label, fact.track.language)}` : "Captions off");
    case "fullscreen":
      return { said: fact.on ? "Full screen" : "Full screen off", shown: null };
    case "chapter": {
      const { chapter, chapters } = fact;
      return both(`Chapter ${chapters.indexOf(chapter) + 1} of ${chapters.length}: ${chapter.title}`);
    }
    case "up-next":
      // The end screen shows it; its Cancel and Autoplay stop the countdown.
      return {
        said: `Up next in ${fact.seconds} seconds: ${fact.title}. To stay, press Escape or Cancel, or turn Autoplay off.`,
        shown: null,
      };
  }
}

/** A KeyEffect to tell; a new `id` each time, so the same words twice are said (and shown) twice. */
export interface ShortcutNews extends KeyEffect {
  id: number;
  /** What it tells of, so that news no longer true can be taken back (see useShortcutNews). */
  fact: KeyFact;
}

/** How long (ms) the effect stays over the picture, fading out at its end. */
export const FLASH_MS = 1000;

/**
 * The one way the player's keys say what they did (the shortcuts and the
 * chapter keys alike): the latest news, `tell` for the keys, and `forget`
 * to take back the latest news of a kind once it is no longer true. The
 * controls' own use (a click, a slider's arrows) tells nothing: their
 * labels and values say it.
 */
export function useShortcutNews(): [
  ShortcutNews | null,
  (fact: KeyFact) => void,
  (untrue: (fact: KeyFact) => boolean) => void,
] {
  const [news, setNews] = useState<ShortcutNews | null>(null);
  const tell = useCallback(
    (fact: KeyFact) => setNews((before) => ({ ...keyEffect(fact), fact, id: (before?.id ?? 0) + 1 })),
    [],
  );
  // The status region keeps its last words for whoever reads it later: what is no longer true
  // must not stay there ("Up next in 8 seconds…" for a video that stays, "Paused" as it plays).
  const forget = useCallback(
    (untrue: (fact: KeyFact) => boolean) => setNews((before) => (before && untrue(before.fact) ? null : before)),
    [],
  );
  return [news, tell, forget];
}

/**
 * Says a key's effect to screen readers and shows it over the picture. The
 * status region is always there, so that screen readers hear it change, and
 * each effect is a new node in it, so that a repeated press (100 % again) is
 * said again. The flash over the picture is a sighted viewer's copy of the
 * same words, hidden from screen readers (they heard them); it lets clicks
 * through and keeps clear of the control bar.
 */
export function ShortcutAnnouncer({ news }: { news: ShortcutNews | null }) {
  const [over, setOver] = useState<number | null>(null);
  useEffect(() => {
    if (!news) return;
    const timer = setTimeout(() => setOver(news.id), FLASH_MS);
    return () => clearTimeout(timer);
  }, [news]);
  const flash = news && news.shown !== null && over !== news.id ? news : null;
  return (
    <>
      <span className="visually-hidden" role="status" data-testid="shortcut-announcer">
        {news && <span key={news.id}>{news.said}</span>}
      </span>
      {flash && (
        // Keyed by the news: a repeated press starts the fade again.
        <div
          key={flash.id}
          className="player-flash"
          data-testid="shortcut-flash"
          aria-hidden="true"
          style={{ animationDuration: `${FLASH_MS}ms` }}
        >
          {flash.shown}
        </div>
      )}
    </>
  );
}
