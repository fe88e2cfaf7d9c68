import { useEffect, useState, type RefObject } from "react";
import type { ViewedMediaItem, WatchProgress } from "../api/schema";
import { formatDuration } from "../lib/format";
import { togglePlay } from "./usePlayerShortcuts";
import { PlayIcon } from "./icons";
import { playFrom } from "./playback";

/** Offered only from this far in (s): a few seconds in is not worth a question. */
export const RESUME_FROM_S = 5;

/** The progress worth offering to resume from: unfinished and past RESUME_FROM_S; null otherwise. */
function resumable(item: ViewedMediaItem): WatchProgress | null {
  const progress = item.progress;
  const worth = progress !== undefined && !progress.completed && progress.position_seconds >= RESUME_FROM_S;
  return worth ? progress : null;
}

/**
 * Whether the resume question is open (`asked`: not when the link named a
 * moment): until the viewer answers it, or plays by other means (the play
 * button, k), which answers it too.
 */
export function useResumeQuestion(
  item: ViewedMediaItem,
  videoRef: RefObject<HTMLVideoElement | null>,
  asked: boolean,
): [WatchProgress | null, () => void] {
  const [open, setOpen] = useState(asked && resumable(item) !== null);
  useEffect(() => {
    const video = videoRef.current;
    if (!open || !video) return;
    const close = () => setOpen(false);
    video.addEventListener("play", close);
    return () => video.removeEventListener("play", close);
  }, [open, videoRef]);
  return [open ? resumable(item) : null, () => setOpen(false)];
}

/** "Resume from 12:34 / Start over" for a viewer who left the item unfinished. */
export function ResumeOffer({
  progress,
  videoRef,
  onAnswer,
}: {
  progress: WatchProgress;
  videoRef: RefObject<HTMLVideoElement | null>;
  onAnswer: () => void;
}) {
  const choose = (time: number) => {
    onAnswer();
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

/**
 * The big play button in the middle of the picture before the first play,
 * as on any video site: the obvious thing to press. Named apart from the
 * bar's "Play" so that each button's name says which one it is.
 */
export function BigPlayButton({ videoRef, onPlay }: { videoRef: RefObject<HTMLVideoElement | null>; onPlay: () => void }) {
  return (
    <button
      type="button"
      className="player-big-play"
      aria-label="Play video"
      onClick={() => {
        togglePlay(videoRef.current);
        onPlay();
      }}
    >
      <PlayIcon />
    </button>
  );
}

/** Turns while the video waits for data; decoration (the picture standing still says as much). */
export function WaitingSpinner() {
  return <div className="player-spinner" data-testid="player-spinner" aria-hidden="true" />;
}
