import { useRef, useState, type PointerEvent } from "react";
import { formatClock } from "../lib/format";
import { cueAt, type StoryboardCue } from "./storyboard";

interface Props {
  time: number;
  duration: number;
  onSeek: (time: number) => void;
  storyboard: readonly StoryboardCue[];
  /** Moves a sprite sheet's URL onto the stream token in force. */
  rewrite: (url: string) => string;
}

interface Hover {
  time: number;
  /** Where along the bar, 0..1. */
  at: number;
}

/**
 * The seek bar: a native range input (keyboard, touch and screen readers
 * work as everywhere; a change seeks at once) with the storyboard frame of
 * the time under the pointer shown above it while hovering or dragging.
 */
export function SeekBar({ time, duration, onSeek, storyboard, rewrite }: Props) {
  const barRef = useRef<HTMLDivElement>(null);
  const [hover, setHover] = useState<Hover | null>(null);
  const known = Number.isFinite(duration) && duration > 0;

  const track = (event: PointerEvent<HTMLElement>) => {
    const rect = barRef.current?.getBoundingClientRect();
    if (!rect || rect.width <= 0 || !known) return;
    const at = Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width));
    setHover({ time: at * duration, at });
  };

  const cue = hover ? cueAt(storyboard, hover.time) : null;
  return (
    <div
      ref={barRef}
      className="seek-bar"
      onPointerMove={track}
      onPointerDown={track}
      onPointerLeave={() => setHover(null)}
    >
      {hover && (
        <div
          className="seek-preview"
          data-testid="seek-preview"
          style={{ left: `${hover.at * 100}%`, width: cue ? `${cue.width}px` : undefined }}
        >
          {cue && (
            <div
              className="storyboard-frame"
              data-testid="storyboard-frame"
              role="img"
              aria-label={`Preview at ${formatClock(hover.time)}`}
              style={{
                width: `${cue.width}px`,
                height: `${cue.height}px`,
                backgroundImage: `url("${rewrite(cue.image)}")`,
                backgroundPosition: `${-cue.x}px ${-cue.y}px`,
              }}
            />
          )}
          <span className="seek-preview-time">{formatClock(hover.time)}</span>
        </div>
      )}
      <input
        type="range"
        aria-label="Seek"
        min={0}
        max={known ? duration : 0}
        step="any"
        value={known ? Math.min(time, duration) : 0}
        disabled={!known}
        onChange={(e) => onSeek(Number(e.target.value))}
      />
    </div>
  );
}
