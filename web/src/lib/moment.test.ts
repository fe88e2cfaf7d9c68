import { describe, expect, it } from "vitest";
import { isWithin, momentParts, parseMoment, startMoment } from "./moment";

describe("parseMoment", () => {
  it.each([
    ["0", 0],
    ["90", 90],
    ["90s", 90],
    ["1m30s", 90],
    ["1m", 60],
    ["2h", 7200],
    ["1h2m3s", 3723],
    ["1h3s", 3603],
    ["1M30S", 90],
    ["1:30", 90],
    ["01:30", 90],
    ["0:05", 5],
    ["1:02:03", 3723],
    ["10:00:00", 36000],
    ["179.9", 179.9],
    ["90.5", 90.5],
  ])("%s → %s s", (value, expected) => {
    expect(parseMoment(value)).toBe(expected);
  });

  it.each([
    [null],
    [undefined],
    [""],
    ["abc"],
    ["-5"],
    ["-1:30"],
    ["90."],
    [".5"],
    ["90.5s"],
    [" 90"],
    ["1:75"],
    ["1:5"],
    ["60:00"],
    ["1:02:75"],
    ["1:60:00"],
    ["1::30"],
    ["1h30"],
    ["30s1m"],
    ["h"],
    ["ms"],
    ["99999999999999999999"],
  ])("%j is not a moment", (value) => {
    expect(parseMoment(value)).toBeNull();
  });
});

describe("startMoment", () => {
  it("starts at a readable time before the end", () => {
    expect(startMoment("1m", 65)).toBe(60);
    expect(startMoment("0", 65)).toBe(0);
  });

  it("ignores a time at or past the end instead of starting there", () => {
    expect(startMoment("99999", 65)).toBeNull();
    expect(startMoment("65", 65)).toBeNull();
    expect(startMoment("1:06", 65)).toBeNull();
  });

  it("takes any readable time when the length is unknown, and nothing unreadable", () => {
    expect(startMoment("99999", null)).toBe(99999);
    expect(startMoment("abc", null)).toBeNull();
    expect(startMoment(null, 65)).toBeNull();
  });
});

describe("isWithin", () => {
  it("is before the end of a known length, anything for an unknown one", () => {
    expect(isWithin(64.9, 65)).toBe(true);
    expect(isWithin(65, 65)).toBe(false);
    expect(isWithin(1e6, Number.NaN)).toBe(true);
    expect(isWithin(1e6, Number.POSITIVE_INFINITY)).toBe(true);
    expect(isWithin(1e6, undefined)).toBe(true);
  });
});

describe("momentParts", () => {
  const moments = (text: string) =>
    momentParts(text)
      .filter((p) => p.seconds !== undefined)
      .map((p) => [p.text, p.seconds]);

  it("splits text around its timestamps, keeping every character", () => {
    const text = "Intro 0:00, chorus at 1:23 and the outro (1:02:03).";
    expect(momentParts(text)).toEqual([
      { text: "Intro " },
      { text: "0:00", seconds: 0 },
      { text: ", chorus at " },
      { text: "1:23", seconds: 83 },
      { text: " and the outro (" },
      { text: "1:02:03", seconds: 3723 },
      { text: ")." },
    ]);
    expect(momentParts("no time here")).toEqual([{ text: "no time here" }]);
  });

  it("finds 12:05, leading zeros and both ends of a range", () => {
    expect(moments("12:05 and 01:05")).toEqual([
      ["12:05", 725],
      ["01:05", 65],
    ]);
    expect(moments("verse 1:20-1:45")).toEqual([
      ["1:20", 80],
      ["1:45", 105],
    ]);
  });

  it.each([
    ["seconds past 59", "see 1:75"],
    ["minutes past 59", "see 75:00"],
    ["minutes past 59 with hours", "see 1:75:00"],
    ["one-digit seconds", "see 1:5"],
    ["a ratio", "shot in 16:9"],
    ["part of a longer clock", "at 10:30:45:12"],
    ["part of a decimal", "v3.1:20 and 1:23.5"],
    ["glued to a word", "v1:23 or 12:05pm"],
  ])("leaves %s as text", (_why, text) => {
    expect(moments(text)).toEqual([]);
  });
});
