import { describe, expect, it } from "vitest";
import { cueAt, parseStoryboard } from "./storyboard";

const VTT = `WEBVTT

00:00:00.000 --> 00:00:02.000
sheet_001.jpg#xywh=0,0,160,90

00:00:02.000 --> 00:00:04.000
sheet_001.jpg#xywh=160,0,160,90

1
01:00:04.000 --> 01:00:06.500
sheet_002.jpg#xywh=0,90,160,90

00:00:09.000 --> 00:00:10.000
not a tile
`;

describe("storyboard", () => {
  it("reads the cues' times and tiles, resolving sheets against the VTT's URL", () => {
    const base = "http://h/api/v1/stream/TOK/storyboard/storyboard.vtt";
    const cues = parseStoryboard(VTT.replace(/\n/g, "\r\n"), base);
    expect(cues).toEqual([
      { start: 0, end: 2, image: "http://h/api/v1/stream/TOK/storyboard/sheet_001.jpg", x: 0, y: 0, width: 160, height: 90 },
      { start: 2, end: 4, image: "http://h/api/v1/stream/TOK/storyboard/sheet_001.jpg", x: 160, y: 0, width: 160, height: 90 },
      { start: 3604, end: 3606.5, image: "http://h/api/v1/stream/TOK/storyboard/sheet_002.jpg", x: 0, y: 90, width: 160, height: 90 },
    ]);
  });

  it("finds the frame for a time", () => {
    const cues = parseStoryboard(VTT, "http://h/s/storyboard.vtt");
    expect(cueAt(cues, 0)?.x).toBe(0);
    expect(cueAt(cues, 2.5)?.x).toBe(160);
    expect(cueAt(cues, 5000)?.y).toBe(90);
    expect(cueAt(cues, -1)).toBeNull();
    expect(cueAt([], 3)).toBeNull();
  });
});
