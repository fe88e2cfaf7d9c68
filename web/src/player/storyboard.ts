/** One storyboard frame: a tile of a JPEG sprite sheet shown for [start, end). */
export interface StoryboardCue {
  start: number;
  end: number;
  /** The sprite sheet, absolute (resolved against the VTT's URL). */
  image: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

const TIMING = /^\s*((?:\d+:)?\d{1,2}:\d{2}\.\d{3})\s+-->\s+((?:\d+:)?\d{1,2}:\d{2}\.\d{3})/;
const XYWH = /#xywh=(\d+),(\d+),(\d+),(\d+)$/;

/** `hh:mm:ss.ttt` or `mm:ss.ttt` in seconds. */
function seconds(stamp: string): number {
  return stamp.split(":").reduce((total, part) => total * 60 + Number(part), 0);
}

/**
 * The cues of a storyboard WebVTT file (the transcoder writes one cue per
 * frame, its text `sheet_NNN.jpg#xywh=x,y,w,h`, relative to the VTT). Cues
 * without a tile are skipped: a half-understood file shows fewer previews,
 * never a broken one.
 */
export function parseStoryboard(text: string, baseUrl: string): StoryboardCue[] {
  const cues: StoryboardCue[] = [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i += 1) {
    const timing = TIMING.exec(lines[i] ?? "");
    if (!timing) continue;
    const payload = (lines[i + 1] ?? "").trim();
    const tile = XYWH.exec(payload);
    if (!tile) continue;
    const image = new URL(payload.slice(0, tile.index), baseUrl).toString();
    const [x, y, width, height] = tile.slice(1).map(Number) as [number, number, number, number];
    cues.push({ start: seconds(timing[1]!), end: seconds(timing[2]!), image, x, y, width, height });
  }
  return cues.sort((a, b) => a.start - b.start);
}

/** The cue showing at `time` (the last one starting at or before it), or null. */
export function cueAt(cues: readonly StoryboardCue[], time: number): StoryboardCue | null {
  let low = 0;
  let high = cues.length - 1;
  let found: StoryboardCue | null = null;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const cue = cues[middle]!;
    if (cue.start <= time) {
      found = cue;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}
