import { useEffect, useState, useSyncExternalStore, type RefObject } from "react";
import type { ViewedMediaItem, WatchProgress } from "../api/schema";
import { formatClock } from "../lib/format";
import { togglePlay } from "./usePlayerShortcuts";
import { PlayIcon } from "./icons";
import { playFrom } from "./playback";

/** Offered only from this far in (s): a few seconds in is not worth a question. */
export const RESUME_FROM_S = 5;

/** The progress worth offering to resume from: unfinished and past RESUME_FROM_S; null otherwise. */
export function resumable(item: ViewedMediaItem): WatchProgress | null {
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
  /** The time chosen (s): the video loads from there. */
  onAnswer: (time: number) => void;
}) {
  const choose = (time: number) => {
    onAnswer(time);
    playFrom(videoRef.current, time);
  };
  return (
    <div className="resume-offer" role="group" aria-label="Resume" data-testid="resume-offer">
      {/* on-overlay: colours of their own, the overlay being dark in either theme. */}
      <button type="button" className="button on-overlay" onClick={() => choose(progress.position_seconds)}>
        Resume from {formatClock(progress.position_seconds)}
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

/**
 * What the network holds up: the picture, the browser being offline or the server out of
 * reach; or the chosen captions, whose file could not load.
 */
export type Holdup = "offline" | "server" | "captions";

/** What the player says of each holdup: what happens, and that nothing needs doing. */
export const HOLDUP_WORDS: Record<Holdup, string> = {
  offline: "You’re offline — playback goes on when the connection is back",
  server: "Can’t reach the server — trying again",
  captions: "Captions could not load — trying again",
};

function subscribeOnline(changed: () => void): () => void {
  window.addEventListener("online", changed);
  window.addEventListener("offline", changed);
  return () => {
    window.removeEventListener("online", changed);
    window.removeEventListener("offline", changed);
  };
}

/**
 * Why the video waits (`waiting`: the spinner turns), when it is the network
 * (`serverLost`: see StreamState); null otherwise, so an ordinary short wait
 * for data says nothing. Nothing either while the video plays on from what
 * it buffered: nothing holds the viewer up yet.
 */
export function useHoldup(waiting: boolean, serverLost: boolean): Holdup | null {
  const online = useSyncExternalStore(subscribeOnline, () => navigator.onLine);
  if (!waiting) return null;
  if (!online) return "offline";
  return serverLost ? "server" : null;
}

/**
 * Says over the picture why the spinner turns, while the network holds the
 * video up (or its captions); the words go by themselves once it plays on. A polite status
 * region always there (as the shortcut news'), so that screen readers hear
 * the words once, as they appear, not the retries behind them.
 */
export function HoldupNotice({ holdup }: { holdup: Holdup | null }) {
  return (
    <div className="player-holdup" role="status" data-testid="player-holdup">
      {holdup && <p>{HOLDUP_WORDS[holdup]}</p>}
    </div>
  );
}
