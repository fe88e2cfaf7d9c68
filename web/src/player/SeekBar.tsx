import { useCallback, useEffect, useRef, useState, type KeyboardEvent, type PointerEvent } from "react";
import { chapterAt, type Chapter } from "../lib/chapters";
import { formatClock, formatDuration, formatPosition } from "../lib/format";
import { ARROW_SEEK_S, seekedBy } from "./usePlayerShortcuts";
import { cueAt, type StoryboardCue } from "./storyboard";
import { useSheetPicture, type StoryboardSheets } from "./storyboardSheets";

interface Props {
  time: number;
  duration: number;
  /** Where the buffered stretch ahead of `time` ends (s): drawn lighter than the played part. */
  buffered: number;
  onSeek: (time: number) => void;
  storyboard: readonly StoryboardCue[];
  /** The item's storyboard sheets, each loaded once whatever the stream token (null before it plays). */
  sheets: StoryboardSheets | null;
  /** The viewer points at the bar: its previews are wanted now if they are not loaded yet. */
  onPreviewWanted: () => void;
  /** The description's chapters (none: the bar is one piece). */
  chapters?: readonly Chapter[];
}

interface Hover {
  time: number;
  /** Where along the bar (px from its left): the thumb's centre at that time. */
  x: number;
}

/** The part of a range input's box a pointer maps onto its value. */
interface RangeBox {
  left: number;
  width: number;
  /** The thumb's width (px): the value runs from its centre at one end to its centre at the other. */
  thumb: number;
}

/**
 * The time a range input of `duration` takes at pointer `clientX`, and where its thumb's
 * centre then is: as the browser maps a click, a tap or a drag, over the input's width less
 * its thumb (half the thumb in from each end). The preview follows the same mapping, where it
 * went by the whole width and named a time up to ±0.7 % of the length away from the landing.
 */
export function pointedTime(clientX: number, box: RangeBox, duration: number): Hover {
  const span = box.width - box.thumb;
  const share = span > 0 ? Math.min(1, Math.max(0, (clientX - box.left - box.thumb / 2) / span)) : 0;
  return { time: share * duration, x: box.thumb / 2 + share * Math.max(0, span) };
}

/** The seek input's box and thumb, the thumb's size from the stylesheet's --seek-thumb. */
function rangeBox(input: HTMLInputElement): RangeBox {
  const rect = input.getBoundingClientRect();
  const size = getComputedStyle(input).getPropertyValue("--seek-thumb").trim();
  const rem = size.endsWith("rem") ? parseFloat(getComputedStyle(document.documentElement).fontSize) || 16 : 1;
  return { left: rect.left, width: rect.width, thumb: (parseFloat(size) || 0) * rem };
}

/** Which way each arrow key moves the bar, as a native range input has them (up is forward). */
const ARROW_DIRECTION: Record<string, 1 | -1> = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1 };

/**
 * "0:14 of 0:30" (", The chorus" within a chapter): what a screen reader says
 * of the bar, rather than the raw seconds.
 */
export function seekValueText(time: number, duration: number, chapter: Chapter | null = null): string {
  const where = `${formatPosition(time, duration)} of ${formatDuration(duration)}`;
  return chapter ? `${where}, ${chapter.title}` : where;
}

/** `part` of `whole` as a CSS width, 0–100 %. */
function share(part: number, whole: number): string {
  return `${Math.min(100, Math.max(0, (part / whole) * 100))}%`;
}

/**
 * The seek bar: a native range input (keyboard, touch and screen readers
 * work as everywhere; a change seeks at once, a drag where it ends) over a track of our own that
 * shows the played and the buffered part, with the storyboard frame of the
 * time under the pointer shown above it while hovering or dragging. Its
 * arrow keys move ARROW_SEEK_S, as they do elsewhere on the page, rather
 * than the browser's 1 % of the length.
 */
export function SeekBar({ time, duration, buffered, onSeek, storyboard, sheets, onPreviewWanted, chapters = [] }: Props) {
  const inputRef = useRef<HTMLInputElement>(null);
  const [hover, setHover] = useState<Hover | null>(null);
  const known = Number.isFinite(duration) && duration > 0;
  const [dragged, dragTo] = useDrag(onSeek);
  const value = dragged ?? (known ? Math.min(time, duration) : 0);

  const track = (event: PointerEvent<HTMLElement>) => {
    onPreviewWanted();
    const input = inputRef.current;
    if (!input || !known) return;
    const box = rangeBox(input);
    if (box.width > 0) setHover(pointedTime(event.clientX, box, duration));
  };

  const step = (event: KeyboardEvent<HTMLInputElement>) => {
    const direction = ARROW_DIRECTION[event.key];
    if (!direction || !known || event.ctrlKey || event.metaKey || event.altKey) return;
    event.preventDefault();
    onSeek(seekedBy(value, duration, direction * ARROW_SEEK_S));
  };

  return (
    <div
      className="seek-bar"
      onPointerMove={track}
      onPointerDown={track}
      onPointerLeave={() => setHover(null)}
    >
      {hover && (
        <SeekPreview
          hover={hover}
          cue={cueAt(storyboard, hover.time)}
          chapter={chapterAt(chapters, hover.time)}
          sheets={sheets}
        />
      )}
      <SeekTrack played={value} buffered={buffered} duration={known ? duration : null} chapters={chapters} />
      <input
        ref={inputRef}
        type="range"
        aria-label="Seek"
        aria-valuetext={known ? seekValueText(value, duration, chapterAt(chapters, value)) : undefined}
        min={0}
        max={known ? duration : 0}
        step="any"
        value={value}
        disabled={!known}
        onPointerDown={() => dragTo(value)}
        onChange={(e) => (dragged === null ? onSeek : dragTo)(Number(e.target.value))}
        onKeyDown={step}
      />
    </div>
  );
}

/**
 * Where a drag of the bar's thumb is (null when none), and a way to move it: the video
 * seeks once, where the pointer lets go. A seek on every move (a drag across the bar was
 * thirty) made a slow link fetch and drop a segment for each; the storyboard's preview
 * shows the way meanwhile. Keys and a screen reader's changes seek at once, as before.
 */
function useDrag(onSeek: (time: number) => void): [number | null, (time: number) => void] {
  const [dragged, setDragged] = useState<number | null>(null);
  const dragging = dragged !== null;
  const last = useRef<number | null>(null);
  useEffect(() => {
    if (!dragging) return;
    // On the document: the pointer may be let go beyond the bar.
    const release = () => {
      if (last.current !== null) onSeek(last.current);
      last.current = null;
      setDragged(null);
    };
    document.addEventListener("pointerup", release);
    document.addEventListener("pointercancel", release);
    return () => {
      document.removeEventListener("pointerup", release);
      document.removeEventListener("pointercancel", release);
    };
  }, [dragging, onSeek]);
  const dragTo = useCallback((time: number) => {
    last.current = time;
    setDragged(time);
  }, []);
  return [dragged, dragTo];
}

/**
 * What the bar draws under its range input: what is buffered, what is played, and a gap
 * where each chapter after the first starts. Nothing but the track while the length is
 * unknown (`duration` null).
 */
function SeekTrack({
  played,
  buffered,
  duration,
  chapters,
}: {
  played: number;
  buffered: number;
  duration: number | null;
  chapters: readonly Chapter[];
}) {
  return (
    <div className="seek-track" aria-hidden="true">
      <span className="seek-buffered" data-testid="seek-buffered" style={{ width: duration !== null ? share(buffered, duration) : 0 }} />
      <span className="seek-played" data-testid="seek-played" style={{ width: duration !== null ? share(played, duration) : 0 }} />
      {duration !== null &&
        chapters.slice(1).map((chapter) => (
          <span
            key={chapter.start_seconds}
            className="seek-chapter-gap"
            data-testid="seek-chapter-gap"
            style={{ left: share(chapter.start_seconds, duration) }}
          />
        ))}
    </div>
  );
}

/**
 * Where the preview's centre goes: under the pointer, but never so near an
 * end that the frame would stick out of the player.
 */
function previewLeft(x: number, cue: StoryboardCue | null): string {
  const half = cue ? cue.width / 2 + 2 : 24;
  return `clamp(${half}px, ${x}px, calc(100% - ${half}px))`;
}

/**
 * The time under the pointer above the bar, with its storyboard frame when
 * there is one, and the title of its chapter.
 */
function SeekPreview({
  hover,
  cue,
  chapter,
  sheets,
}: {
  hover: Hover;
  cue: StoryboardCue | null;
  chapter: Chapter | null;
  sheets: StoryboardSheets | null;
}) {
  // The sheet as first loaded, on whichever token: a renewal must not download it again.
  const picture = useSheetPicture(sheets, cue?.image ?? null);
  // The time alone until the sheet is in: an empty frame showed the video through it.
  const shown = picture ? cue : null;
  return (
    <div
      className="seek-preview"
      data-testid="seek-preview"
      style={{ left: previewLeft(hover.x, shown), width: shown ? `${shown.width}px` : undefined }}
    >
      {shown && picture && (
        <div
          className="storyboard-frame"
          data-testid="storyboard-frame"
          role="img"
          aria-label={`Preview at ${formatClock(hover.time)}`}
          style={{
            width: `${shown.width}px`,
            height: `${shown.height}px`,
            backgroundImage: `url("${picture}")`,
            backgroundPosition: `${-shown.x}px ${-shown.y}px`,
          }}
        />
      )}
      {chapter && (
        <span className="seek-preview-chapter" data-testid="seek-preview-chapter">
          {chapter.title}
        </span>
      )}
      <span className="seek-preview-time">{formatClock(hover.time)}</span>
    </div>
  );
}
