import { describe, expect, it } from "vitest";
import { chapterAt, chapterStep, chaptersIn, itemChapters } from "./chapters";

const ALBUM = ["Tracks:", "0:00 Intro", "1:23 - The chorus", "(2:05) Bridge", "3:10 – Outro", "Thanks for watching!"].join(
  "\n",
);

describe("chaptersIn", () => {
  it("reads lines that start with a timestamp, whatever stands between it and the title", () => {
    expect(chaptersIn(ALBUM, 240)).toEqual([
      { start_seconds: 0, title: "Intro" },
      { start_seconds: 83, title: "The chorus" },
      { start_seconds: 125, title: "Bridge" },
      { start_seconds: 190, title: "Outro" },
    ]);
  });

  it("reads lines that end with one, bullets and hours too", () => {
    const text = "• Opening 00:00\n• Main act - 0:59:30\n• Credits (1:02:03)";
    expect(chaptersIn(text, 4000)).toEqual([
      { start_seconds: 0, title: "Opening" },
      { start_seconds: 3570, title: "Main act" },
      { start_seconds: 3723, title: "Credits" },
    ]);
  });

  it.each([
    ["not from 0:00", "0:05 Intro\n1:00 Middle\n2:00 End", 300],
    ["fewer than three", "0:00 Intro\n1:00 End", 300],
    ["out of order", "0:00 Intro\n2:00 End\n1:00 Middle", 300],
    ["a chapter under ten seconds", "0:00 Intro\n0:05 Blink\n1:00 End", 300],
    ["the last under ten seconds before the end", "0:00 Intro\n1:00 Middle\n4:55 End", 300],
    ["one past the end", "0:00 Intro\n1:00 Middle\n6:00 End", 300],
    ["moments mentioned in running text", "The chorus at 1:23 and again at 2:40, from 0:00.", 300],
    ["a bare timestamp with no title", "0:00\n1:00\n2:00", 300],
  ])("gives none for %s", (_why, text, duration) => {
    expect(chaptersIn(text, duration)).toEqual([]);
  });

  it("takes any length when the video's is unknown, and nothing from no description", () => {
    expect(chaptersIn("0:00 A\n0:10 B\n0:20 C", null)).toHaveLength(3);
    expect(chaptersIn(null, 300)).toEqual([]);
    expect(chaptersIn("", 300)).toEqual([]);
  });
});

describe("chapterAt", () => {
  const chapters = chaptersIn(ALBUM, 240);

  it("is the last chapter started by then", () => {
    expect(chapterAt(chapters, 0)?.title).toBe("Intro");
    expect(chapterAt(chapters, 82.9)?.title).toBe("Intro");
    expect(chapterAt(chapters, 83)?.title).toBe("The chorus");
    expect(chapterAt(chapters, 239)?.title).toBe("Outro");
    expect(chapterAt([], 10)).toBeNull();
  });
});

describe("itemChapters", () => {
  const FILE = [
    { start_seconds: 0, title: "Part one" },
    { start_seconds: 1800, title: "Part two" },
  ];

  it("are the file's when the description lists none", () => {
    const item = { description: "An audiobook.", duration_seconds: 3600, chapters: FILE };
    expect(itemChapters(item)).toEqual(FILE);
    expect(itemChapters({ ...item, chapters: undefined })).toEqual([]);
  });

  it("are the description's when it lists them: the uploader's word over the file's", () => {
    const item = { description: ALBUM, duration_seconds: 240, chapters: FILE };
    expect(itemChapters(item).map((chapter) => chapter.title)).toEqual(["Intro", "The chorus", "Bridge", "Outro"]);
  });
});

describe("chapterStep", () => {
  const CHAPTERS = [
    { start_seconds: 0, title: "Gate" },
    { start_seconds: 10, title: "Pond" },
    { start_seconds: 20, title: "Hill" },
  ];
  const step = (time: number, direction: 1 | -1) => chapterStep(CHAPTERS, time, direction)?.title ?? null;

  it("goes to the next chapter's start, and nowhere from the last", () => {
    expect(step(0, 1)).toBe("Pond");
    expect(step(9.4, 1)).toBe("Pond");
    expect(step(10, 1)).toBe("Hill");
    // A seek to Pond that landed a hair early is at Pond.
    expect(step(9.99, 1)).toBe("Hill");
    expect(step(25, 1)).toBeNull();
  });

  it("goes back to the current chapter's start past its first 3 s, else to the previous one", () => {
    expect(step(15, -1)).toBe("Pond");
    expect(step(13.5, -1)).toBe("Pond");
    expect(step(12, -1)).toBe("Gate");
    expect(step(10, -1)).toBe("Gate");
    expect(step(1, -1)).toBe("Gate");
  });

  it("goes nowhere without chapters", () => {
    expect(chapterStep([], 5, 1)).toBeNull();
    expect(chapterStep([], 5, -1)).toBeNull();
  });
});
