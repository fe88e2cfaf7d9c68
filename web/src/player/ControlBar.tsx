import { useLayoutEffect, useRef, type RefObject } from "react";
import { chapterAt, type Chapter } from "../lib/chapters";
import { formatDuration, formatPosition } from "../lib/format";
import { toggleFullscreen, togglePlay } from "./usePlayerShortcuts";
import type { Captions } from "./captions";
import { CaptionsIcon, FullscreenIcon, PauseIcon, PictureInPictureIcon, PlayIcon, ReplayIcon } from "./icons";
import { SeekBar } from "./SeekBar";
import { PlayerSettings, SettingsMenu } from "./SettingsMenu";
import type { ControlsVisibility } from "./useControlsVisibility";
import { useIsFullscreen, usePictureInPicture, type Clock } from "./useMediaState";
import type { StreamState } from "./useStream";
import { useVolume } from "./useVolume";
import { VolumeControl } from "./VolumeControl";

/** "Show captions" / "Hide captions", underlined while they show; only for an item with tracks. */
function CaptionsButton({ captions }: { captions: Captions }) {
  const on = captions.chosen !== null;
  return (
    <button
      type="button"
      className={on ? "player-button on" : "player-button"}
      aria-label={on ? "Hide captions" : "Show captions"}
      onClick={captions.toggle}
    >
      <CaptionsIcon />
    </button>
  );
}

/** Picture-in-picture, where the browser has it (not Firefox: it floats videos with a button of its own). */
function PictureInPictureButton({ videoRef }: { videoRef: RefObject<HTMLVideoElement | null> }) {
  const pip = usePictureInPicture(videoRef);
  if (!pip.supported) return null;
  return (
    <button
      type="button"
      className="player-button"
      aria-label={pip.active ? "Exit picture in picture" : "Picture in picture"}
      onClick={pip.toggle}
    >
      <PictureInPictureIcon />
    </button>
  );
}

function FullscreenButton({ frameRef }: { frameRef: RefObject<HTMLElement | null> }) {
  const fullscreen = useIsFullscreen(frameRef);
  return (
    <button
      type="button"
      className="player-button"
      aria-label={fullscreen ? "Exit full screen" : "Full screen"}
      onClick={() => toggleFullscreen(frameRef.current)}
    >
      <FullscreenIcon exit={fullscreen} />
    </button>
  );
}

const PLAY_ICONS = { Replay: ReplayIcon, Play: PlayIcon, Pause: PauseIcon };

/** Play, Pause, or once the video has ended Replay (the end screen leaves the bar in reach for it). */
function PlayButton({ clock, videoRef }: { clock: Clock; videoRef: RefObject<HTMLVideoElement | null> }) {
  const name = clock.ended ? "Replay" : clock.paused ? "Play" : "Pause";
  const Glyph = PLAY_ICONS[name];
  return (
    <button type="button" className="player-button" aria-label={name} onClick={() => togglePlay(videoRef.current)}>
      <Glyph />
    </button>
  );
}

/** The chapter playing, beside the clock (its full title on hover where it is cut short). */
function ChapterTitle({ chapter }: { chapter: Chapter | null }) {
  if (!chapter) return null;
  return (
    <span className="player-chapter" data-testid="player-chapter" title={chapter.title}>
      {chapter.title}
    </span>
  );
}

/**
 * How far (px) the captions move up while the bar shows: from the bar's bottom to the top of
 * what it draws over the picture, the seek bar or, on a narrow player, the clock above it.
 */
export function captionsLift(bar: HTMLElement): number {
  const bottom = bar.getBoundingClientRect().bottom;
  const tops = [...bar.querySelectorAll<HTMLElement>(".seek-bar, .player-where")]
    .map((part) => part.getBoundingClientRect())
    .filter((box) => box.height > 0)
    .map((box) => box.top);
  return tops.length > 0 ? Math.ceil(bottom - Math.min(...tops)) : 0;
}

/**
 * Keeps the frame's --captions-lift (see .player-frame in the stylesheet) at captionsLift as
 * the player changes size. Measured, not a constant: the bar is taller on a touch screen, its
 * clock goes above the seek bar on a narrow player, and a fixed 3.5rem left the captions on
 * the seek bar and the clock on a phone, inline and full screen (the outside walk).
 */
function useCaptionsLift(barRef: RefObject<HTMLElement | null>): void {
  useLayoutEffect(() => {
    const bar = barRef.current;
    // The frame the bar is in: not its frameRef, which React sets after the bar's effects run.
    const frame = bar?.parentElement;
    if (!bar || !frame || typeof ResizeObserver === "undefined") return;
    const measure = () => frame.style.setProperty("--captions-lift", `${captionsLift(bar)}px`);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(frame);
    observer.observe(bar);
    return () => observer.disconnect();
  }, [barRef]);
}

export interface ControlBarProps {
  videoRef: RefObject<HTMLVideoElement | null>;
  frameRef: RefObject<HTMLDivElement | null>;
  /** The item has pictures: a file of sound alone cannot float in picture in picture. */
  hasPicture: boolean;
  clock: Clock;
  onSeek: (time: number) => void;
  stream: StreamState;
  captions: Captions;
  speed: number;
  onSpeed: (rate: number) => void;
  /** Something plays after this item: the settings then offer whether it does by itself. */
  hasNext: boolean;
  /** Whether the next item plays by itself once this one ends (the end screen's switch too). */
  autoplayNext: boolean;
  onAutoplayNext: (on: boolean) => void;
  /** Whether the page-wide keyboard shortcuts are on (the settings turn them off: WCAG 2.1.4). */
  shortcuts: boolean;
  onShortcuts: (on: boolean) => void;
  visibility: ControlsVisibility;
  settingsOpen: boolean;
  onSettingsOpen: (open: boolean) => void;
  /** The description's chapters: marked on the seek bar, the current one named by the clock. */
  chapters: readonly Chapter[];
}

/**
 * The bar over the bottom of the video, on a gradient: the seek bar along
 * its top; below it play, volume and the clock on the left, captions,
 * settings, picture-in-picture (for a video: the browser refuses a sound
 * alone, so the button would do nothing) and full screen on the right. Each
 * button is named for what it does now ("Play", "Pause" or "Replay").
 */
export function ControlBar(props: ControlBarProps) {
  const { videoRef, frameRef, clock, stream, visibility } = props;
  const volume = useVolume(videoRef);
  const barRef = useRef<HTMLDivElement>(null);
  useCaptionsLift(barRef);
  return (
    <div ref={barRef} className="player-controls" data-testid="player-controls" {...visibility.bar}>
      <SeekBar
        time={clock.time}
        duration={clock.duration}
        buffered={clock.buffered}
        onSeek={props.onSeek}
        storyboard={stream.storyboard}
        sheets={stream.sheets}
        onPreviewWanted={stream.wantStoryboard}
        chapters={props.chapters}
      />
      <div className="player-buttons">
        <PlayButton clock={clock} videoRef={videoRef} />
        <VolumeControl volume={volume} />
        {/* Together: on a phone's touch screen they go above the seek bar, leaving the row to the buttons. */}
        <span className="player-where">
          <span className="player-time" data-testid="player-time">
            {formatPosition(clock.time, clock.duration)} / {formatDuration(clock.duration) || "–:––"}
          </span>
          <ChapterTitle chapter={chapterAt(props.chapters, clock.time)} />
        </span>
        <span className="player-spacer" />
        {stream.captions.length > 0 && <CaptionsButton captions={props.captions} />}
        <SettingsMenu open={props.settingsOpen} onOpenChange={props.onSettingsOpen}>
          <PlayerSettings
            videoRef={videoRef}
            stream={stream}
            captions={props.captions}
            speed={props.speed}
            onSpeed={props.onSpeed}
            autoplayNext={props.hasNext ? props.autoplayNext : null}
            onAutoplayNext={props.onAutoplayNext}
            shortcuts={props.shortcuts}
            onShortcuts={props.onShortcuts}
          />
        </SettingsMenu>
        {props.hasPicture && <PictureInPictureButton videoRef={videoRef} />}
        <FullscreenButton frameRef={frameRef} />
      </div>
    </div>
  );
}
