import { describe, expect, it } from "vitest";
import { chapterAt, chapterStep } from "./chapters";

describe("chapterAt", () => {
  const chapters = [
    { start_seconds: 0, title: "Intro" },
    { start_seconds: 83, title: "The chorus" },
    { start_seconds: 125, title: "Bridge" },
    { start_seconds: 190, title: "Outro" },
  ];

  it("is the last chapter started by then", () => {
    expect(chapterAt(chapters, 0)?.title).toBe("Intro");
    expect(chapterAt(chapters, 82.9)?.title).toBe("Intro");
    expect(chapterAt(chapters, 83)?.title).toBe("The chorus");
    expect(chapterAt(chapters, 239)?.title).toBe("Outro");
    expect(chapterAt([], 10)).toBeNull();
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
