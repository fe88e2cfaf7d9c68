import { describe, expect, it } from "vitest";
import { LIMITS } from "../api/limits";
import {
  formatAge,
  formatBytes,
  formatClock,
  formatPosition,
  formatDuration,
  formatLikes,
  formatViews,
  parseTags,
  percent,
  titleFromFilename,
  titleProblem,
  tooManyAttempts,
  waitInWords,
} from "./format";

describe("formatPosition", () => {
  it("reads as the rounded length at the end", () => {
    expect(formatPosition(3.6, 3.6)).toBe("0:04");
    expect(formatPosition(3.4, 3.4)).toBe("0:03");
  });

  it("counts the seconds begun before the end, or when the length is unknown", () => {
    expect(formatPosition(3.55, 3.6)).toBe("0:03");
    expect(formatPosition(3.6, Number.NaN)).toBe("0:03");
    expect(formatPosition(3.6, null)).toBe("0:03");
  });
});

describe("formatClock", () => {
  it("says a position in whole seconds begun, under a second too", () => {
    expect(formatClock(0.6)).toBe("0:00");
    expect(formatClock(65.9)).toBe("1:05");
    expect(formatClock(null)).toBe("0:00");
    expect(formatClock(Number.NaN)).toBe("0:00");
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0:00"],
    [5, "0:05"],
    [59.4, "0:59"],
    [60, "1:00"],
    [65, "1:05"],
    [599, "9:59"],
    [3599, "59:59"],
    [3600, "1:00:00"],
    [3725, "1:02:05"],
    [36000 + 61, "10:01:01"],
  ])("%s s → %s", (seconds, expected) => {
    expect(formatDuration(seconds)).toBe(expected);
  });

  // Walk 52 F1: a 4 s clip read "Duration 0:04" on its card and "0:03" in the player, whose
  // element says 3.999999 (the package's length); the CLI rounded where the web left seconds out.
  it.each([
    [3.999999, "0:04"],
    [3.97, "0:04"],
    [3.667, "0:04"],
    [2.5, "0:03"],
    [59.6, "1:00"],
    [3599.5, "1:00:00"],
  ])("a length is rounded to the nearest second, as a viewer reads it: %s s → %s", (seconds, expected) => {
    expect(formatDuration(seconds)).toBe(expected);
  });

  // A 0.6 s clip said "Duration 0:00" and "0:00 / 0:00" in the player; a 0.3 s clip's package
  // lasts 0.323 s (to its last sound frame), which read "0:00.4" in the player.
  it.each([
    [0.6, "0:00.6"],
    [0.61, "0:00.6"],
    [0.01, "0:00.1"],
    [0.3, "0:00.3"],
    [0.323, "0:00.3"],
    [0.96, "0:01"],
  ])("a length under a second reads in tenths, never none: %s s → %s", (seconds, expected) => {
    expect(formatDuration(seconds)).toBe(expected);
  });

  it("returns an empty string for unknown or invalid durations", () => {
    expect(formatDuration(null)).toBe("");
    expect(formatDuration(undefined)).toBe("");
    expect(formatDuration(Number.NaN)).toBe("");
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe("");
    expect(formatDuration(-3)).toBe("");
  });
});

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1536, "1.5 KiB"],
    [8 * 1024 * 1024, "8.0 MiB"],
    [512 * 1024 * 1024, "512 MiB"],
    [3 * 1024 ** 3, "3.0 GiB"],
  ])("%s → %s", (bytes, expected) => {
    expect(formatBytes(bytes)).toBe(expected);
  });
});

describe("percent", () => {
  it("floors, clamps and handles an unknown total", () => {
    expect(percent(1, 3)).toBe(33);
    expect(percent(3, 3)).toBe(100);
    expect(percent(5, 3)).toBe(100);
    expect(percent(1, 0)).toBe(0);
  });
});

describe("parseTags and titleFromFilename", () => {
  it("splits, trims and deduplicates tags", () => {
    expect(parseTags(" nature, sea,,nature , ")).toEqual(["nature", "sea"]);
    expect(parseTags("")).toEqual([]);
  });

  it("drops the extension from a file name", () => {
    expect(titleFromFilename("my_holiday.final.mp4")).toBe("my holiday.final");
    expect(titleFromFilename(".hidden")).toBe(".hidden");
  });

  it("cuts a title from a long file name to the title limit, never inside an emoji", () => {
    expect(titleFromFilename(`${"a".repeat(238)}.mp4`)).toBe("a".repeat(LIMITS.title));
    // The limit falls inside the last emoji's surrogate pair: the whole emoji goes.
    const name = `${"b".repeat(LIMITS.title - 1)}🎬🎬.mp4`;
    expect(titleFromFilename(name)).toBe("b".repeat(LIMITS.title - 1));
    // Cut before a space: none is left at the end.
    expect(titleFromFilename(`${"c".repeat(LIMITS.title - 1)}_and more.mkv`)).toBe("c".repeat(LIMITS.title - 1));
  });

  it("refuses a title longer than the server takes, counting characters as it does", () => {
    expect(titleProblem("🎬".repeat(LIMITS.title))).toBeNull();
    expect(titleProblem("x".repeat(LIMITS.title + 1))).toBe(
      `Titles can be at most ${LIMITS.title} characters; this one has ${LIMITS.title + 1}.`,
    );
  });
});

describe("formatLikes", () => {
  it.each([
    [0, "No likes"],
    [1, "1 like"],
    [2, "2 likes"],
    [1234, "1,234 likes"],
  ])("%s → %s", (count, expected) => {
    expect(formatLikes(count)).toBe(expected);
  });
});

describe("formatViews", () => {
  it.each([
    [undefined, {}, "No views"],
    [0, {}, "No views"],
    [1, {}, "1 view"],
    [2, {}, "2 views"],
    [1234, {}, "1,234 views"],
    [999, { compact: true }, "999 views"],
    [12_345, { compact: true }, "12.3K views"],
    [2_000_000, { compact: true }, "2M views"],
  ])("%s %o → %s", (count, options, expected) => {
    expect(formatViews(count, options)).toBe(expected);
  });
});

describe("formatAge", () => {
  const now = Date.parse("2026-03-01T12:00:00Z");
  it.each([
    ["2026-03-01T11:59:30Z", "just now"],
    ["2026-03-01T12:00:05Z", "just now"],
    ["2026-03-01T11:59:00Z", "1 min ago"],
    ["2026-03-01T11:15:00Z", "45 min ago"],
    ["2026-03-01T09:00:00Z", "3 h ago"],
    ["2026-02-27T11:00:00Z", "2 d ago"],
    ["not a date", ""],
  ])("%s → %s", (iso, expected) => {
    expect(formatAge(iso, now)).toBe(expected);
  });
});

describe("waitInWords", () => {
  it.each([
    [1, "a second"],
    [0.2, "a second"],
    [45, "45 seconds"],
    [59, "59 seconds"],
    [60, "about a minute"],
    [61, "about 2 minutes"],
    [170, "about 3 minutes"],
    [464, "about 8 minutes"],
    [3540, "about 59 minutes"],
    [3541, "about an hour"],
    [3600, "about an hour"],
    [7200, "about 2 hours"],
  ])("%s s → %s", (seconds, expected) => {
    expect(waitInWords(seconds)).toBe(expected);
  });

  it("makes the throttled requests' one sentence, 'later' when the server said no wait", () => {
    expect(tooManyAttempts(30)).toBe("Too many attempts, try again in 30 seconds.");
    expect(tooManyAttempts(null)).toBe("Too many attempts, try again later.");
  });
});
