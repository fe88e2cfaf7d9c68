import { describe, expect, it } from "vitest";
import { closestTags } from "./closestTags";

const TAGS = [
  { tag: "goals", count: 31 },
  { tag: "football", count: 54 },
  { tag: "cup", count: 54 },
  { tag: "cup final", count: 12 },
  { tag: "coaching", count: 44 },
];

describe("closestTags", () => {
  it("offers a tag the typed word is part of, or a few letters off", () => {
    expect(closestTags("goal", TAGS).map((it) => it.tag)).toEqual(["goals"]);
    expect(closestTags("Footbal", TAGS).map((it) => it.tag)).toEqual(["football"]);
    expect(closestTags("cup archive", TAGS).map((it) => it.tag)).toEqual(["cup"]);
  });

  it("offers nothing for a word like no tag, and at most as many as asked, the most used first", () => {
    expect(closestTags("zebra", TAGS)).toEqual([]);
    expect(closestTags("", TAGS)).toEqual([]);
    expect(closestTags("cu", TAGS, 1).map((it) => it.tag)).toEqual(["cup"]);
  });
});
