import { useEffect, useImperativeHandle, useRef, useState, type Ref, type RefObject } from "react";
import type { ViewedMediaItem } from "../api/schema";
import { FormError } from "../components/ErrorMessage";
import { formatClock, formatDuration } from "../lib/format";
import { isWithin } from "../lib/moment";
import { SPEEDS, toggleFullscreen, togglePlay, usePlayerShortcuts } from "../lib/usePlayerShortcuts";
import { AudioMenu } from "./AudioMenu";
import { CaptionsMenu, CaptionTracks, useCaptions } from "./captions";
import { CopyMomentLink } from "./CopyMomentLink";
import { offersChoice, PlayerMenu } from "./PlayerMenu";
import { SeekBar } from "./SeekBar";
import { useProgressSaver } from "./useProgress";
import { useStream, type Quality, type StreamState } from "./useStream";

interface Clock {
  time: number;
  duration: number;
  paused: boolean;
  muted: boolean;
}

/** The video's position, length and play/mute state, following its events. */
function useClock(videoRef: RefObject<HTMLVideoElement | null>): [Clock, (time: number) => void] {
  const [clock, setClock] = useState<Clock>({ time: 0, duration: Number.NaN, paused: true, muted: false });
  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    const update = () =>
      setClock({ time: video.currentTime, duration: video.duration, paused: video.paused, muted: video.muted });
    const events = ["timeupdate", "durationchange", "loadedmetadata", "play", "pause", "volumechange", "seeking"];
    for (const name of events) video.addEventListener(name, update);
    return () => {
      for (const name of events) video.removeEventListener(name, update);
    };
  }, [videoRef]);
  const seek = (time: number) => {
    const video = videoRef.current;
    if (!video) return;
    video.currentTime = time; // instant: hls.js fetches the segment at once
    setClock((c) => ({ ...c, time }));
  };
  return [clock, seek];
}

function qualityLabel(quality: Quality): string {
  return `${quality.height}p`;
}

/** "Quality: Auto + each rung" where hls.js offers a choice of rungs (see offersChoice), as the audio menu. */
function QualityMenu({
  qualities,
  level,
  playing,
  onChange,
}: {
  qualities: Quality[];
  level: number;
  playing: number | null;
  onChange: (level: number) => void;
}) {
  if (!offersChoice(qualities.length)) return null;
  const auto = playing !== null && qualities[playing] ? `Auto (${qualityLabel(qualities[playing])})` : "Auto";
  const highestFirst = [...qualities].sort((a, b) => b.height - a.height || b.bitrate - a.bitrate);
  const choices = [
    { value: "-1", label: auto },
    ...highestFirst.map((q) => ({ value: String(q.index), label: qualityLabel(q) })),
  ];
  return (
    <PlayerMenu label="Quality" value={String(level)} choices={choices} onChange={(value) => onChange(Number(value))} />
  );
}

/** Offered only from this far in (s): a few seconds in is not worth a question. */
export const RESUME_FROM_S = 5;

/** Runs `then` once `video` knows its length (now, if it does); the returned function calls it off. */
function whenMetadata(video: HTMLVideoElement, then: () => void): () => void {
  if (video.readyState >= 1) {
    then();
    return () => undefined;
  }
  video.addEventListener("loadedmetadata", then, { once: true });
  return () => video.removeEventListener("loadedmetadata", then);
}

/** Starts playing at `time`, once the video knows its length. */
function playFrom(video: HTMLVideoElement | null, time: number): void {
  if (!video) return;
  whenMetadata(video, () => {
    video.currentTime = time;
    void video.play()?.catch(() => undefined);
  });
}

/**
 * Puts the video at `time` (a link to a moment) once it knows its length;
 * only once: a later source (a renewed token) restores its own position.
 * A time at or past the end is ignored rather than ending the video at once.
 */
function useStartAt(videoRef: RefObject<HTMLVideoElement | null>, time: number | null): void {
  useEffect(() => {
    const video = videoRef.current;
    if (!video || time === null) return;
    return whenMetadata(video, () => {
      if (isWithin(time, video.duration)) video.currentTime = time;
    });
  }, [videoRef, time]);
}

/** "Resume from 12:34 / Start over" for a viewer who left the item unfinished. */
function ResumeOffer({ item, videoRef }: { item: ViewedMediaItem; videoRef: RefObject<HTMLVideoElement | null> }) {
  const progress = item.progress;
  const worth = progress !== undefined && !progress.completed && progress.position_seconds >= RESUME_FROM_S;
  const [open, setOpen] = useState(worth);
  useEffect(() => {
    const video = videoRef.current;
    if (!open || !video) return;
    // Playing by other means (the play button, k) answers the question too.
    const close = () => setOpen(false);
    video.addEventListener("play", close);
    return () => video.removeEventListener("play", close);
  }, [open, videoRef]);
  if (!open || !progress) return null;
  const choose = (time: number) => {
    setOpen(false);
    playFrom(videoRef.current, time);
  };
  return (
    <div className="resume-offer" role="group" aria-label="Resume" data-testid="resume-offer">
      {/* on-overlay: colours of their own, the overlay being dark in either theme. */}
      <button type="button" className="button on-overlay" onClick={() => choose(progress.position_seconds)}>
        Resume from {formatDuration(progress.position_seconds)}
      </button>
      <button type="button" className="button ghost on-overlay" onClick={() => choose(0)}>
        Start over
      </button>
    </div>
  );
}

/** What the page around the player can ask of it. */
export interface PlayerHandle {
  /** Plays from `time` (s), e.g. a timestamp in the description; past the end: nothing. */
  seekTo: (time: number) => void;
}

/** Answers the page's `seekTo` (a timestamp clicked in the description) on this player. */
function usePlayerHandle(
  ref: Ref<PlayerHandle> | undefined,
  videoRef: RefObject<HTMLVideoElement | null>,
  frameRef: RefObject<HTMLElement | null>,
): void {
  useImperativeHandle(
    ref,
    () => ({
      seekTo: (time) => {
        const video = videoRef.current;
        if (!video || !isWithin(time, video.duration)) return;
        playFrom(video, time);
        // The description is below the player: bring the picture into view.
        frameRef.current?.scrollIntoView?.({ block: "nearest", behavior: "smooth" });
      },
    }),
    [videoRef, frameRef],
  );
}

interface PlayerProps {
  item: ViewedMediaItem;
  /** Where to start (s), from a link to a moment; read when the player mounts. No resume offer then. */
  start?: number | null;
  ref?: Ref<PlayerHandle>;
}

/** The bar over the video: play, the seek bar with its previews, the clock, mute, full screen. */
function PlayerControls({
  videoRef,
  frameRef,
  stream,
}: {
  videoRef: RefObject<HTMLVideoElement | null>;
  frameRef: RefObject<HTMLDivElement | null>;
  stream: StreamState;
}) {
  const [clock, seek] = useClock(videoRef);
  return (
    <div className="player-controls">
      <button type="button" className="icon" onClick={() => togglePlay(videoRef.current)}>
        {clock.paused ? "Play" : "Pause"}
      </button>
      <SeekBar
        time={clock.time}
        duration={clock.duration}
        onSeek={seek}
        storyboard={stream.storyboard}
        rewrite={stream.rewrite}
      />
      <span className="player-time" data-testid="player-time">
        {formatClock(clock.time)} / {formatDuration(clock.duration) || "–:––"}
      </span>
      <button
        type="button"
        className="icon"
        aria-pressed={clock.muted}
        onClick={() => {
          if (videoRef.current) videoRef.current.muted = !videoRef.current.muted;
        }}
      >
        {clock.muted ? "Unmute" : "Mute"}
      </button>
      <button type="button" className="icon" onClick={() => toggleFullscreen(frameRef.current)}>
        Full screen
      </button>
    </div>
  );
}

const SPEED_CHOICES = SPEEDS.map((s) => ({ value: String(s), label: s === 1 ? "Normal" : `${s}×` }));

/** The playback speed, kept in step with the keyboard's &lt; and &gt;. */
function SpeedMenu({
  videoRef,
  speed,
  onSpeed,
}: {
  videoRef: RefObject<HTMLVideoElement | null>;
  speed: number;
  onSpeed: (rate: number) => void;
}) {
  return (
    <PlayerMenu
      label="Speed"
      value={String(speed)}
      choices={SPEED_CHOICES}
      onChange={(value) => {
        const rate = Number(value);
        if (videoRef.current) videoRef.current.playbackRate = rate;
        onSpeed(rate);
      }}
    />
  );
}

/**
 * The watch page's player: HLS through hls.js (or the browser's own HLS, or
 * the original file), our own controls — play, a seek bar with storyboard
 * previews, quality (Auto + each rung), audio (each track, where there are
 * several), captions (Off + each track), speed, mute, fullscreen, a link to
 * the current moment — and the page-wide keyboard shortcuts.
 */
export function Player({ item, start = null, ref }: PlayerProps) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const frameRef = useRef<HTMLDivElement>(null);
  // The first start only: the page's URL follows later seeks (a timestamp clicked).
  const [startAt] = useState(start);
  const [speed, setSpeed] = useState(1);
  // Before useStream: its clean-up detaches the source, after which the
  // position would read 0; this one saves the position first.
  useProgressSaver(item.id, videoRef);
  const stream = useStream(item.id, videoRef);
  const captions = useCaptions(videoRef, stream.captions);
  usePlayerShortcuts(videoRef, setSpeed, frameRef, captions.toggle);
  useStartAt(videoRef, startAt);
  usePlayerHandle(ref, videoRef, frameRef);
  const portrait = item.width !== null && item.height !== null && item.height > item.width;

  return (
    <div className="player-wrap">
      <div ref={frameRef} className="player-frame" data-delivery={stream.delivery ?? undefined}>
        <video
          ref={videoRef}
          className={portrait ? "player portrait" : "player"}
          style={portrait && item.width && item.height ? { aspectRatio: `${item.width} / ${item.height}` } : undefined}
          data-testid="player"
          playsInline
          preload="metadata"
          // The large still: the player is shown far wider than a card.
          poster={item.poster_url ?? item.thumbnail_url ?? undefined}
          aria-label={`Video: ${item.title}`}
          onClick={() => togglePlay(videoRef.current)}
          onRateChange={(e) => setSpeed(e.currentTarget.playbackRate)}
        >
          <CaptionTracks captions={stream.captions} />
        </video>
        {startAt === null && <ResumeOffer item={item} videoRef={videoRef} />}
        <PlayerControls videoRef={videoRef} frameRef={frameRef} stream={stream} />
      </div>
      <div className="player-tools">
        <QualityMenu
          qualities={stream.qualities}
          level={stream.level}
          playing={stream.playing}
          onChange={stream.setLevel}
        />
        <AudioMenu hls={stream.hls} />
        <CaptionsMenu captions={stream.captions} state={captions} />
        <SpeedMenu videoRef={videoRef} speed={speed} onSpeed={setSpeed} />
        <CopyMomentLink itemId={item.id} videoRef={videoRef} />
        <small className="hint player-keys">
          Keys: space or k play/pause · j/l ∓10 s · ←/→ ∓5 s · f fullscreen · m mute · c captions · &lt; &gt; speed
        </small>
      </div>
      <FormError message={stream.error} />
    </div>
  );
}
