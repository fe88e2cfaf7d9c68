import { beforeEach, describe, expect, it } from "vitest";
import { BANDWIDTH_TRUSTED_MS, CAUTIOUS_ESTIMATE, firstEstimate, keepEstimate } from "./bandwidth";

const NOW = 1_700_000_000_000;

beforeEach(() => localStorage.clear());

describe("the first bandwidth guess", () => {
  it("is cautious when this device measured nothing, or something unreadable", () => {
    expect(firstEstimate(NOW)).toBe(CAUTIOUS_ESTIMATE);
    localStorage.setItem("streamstack.bandwidth", "fast");
    expect(firstEstimate(NOW)).toBe(CAUTIOUS_ESTIMATE);
    localStorage.setItem("streamstack.bandwidth", JSON.stringify({ bps: "3000000", at: NOW }));
    expect(firstEstimate(NOW)).toBe(CAUTIOUS_ESTIMATE);
  });

  it("is the last measurement within a day, and cautious again after", () => {
    keepEstimate({ bandwidthEstimate: 3_200_000.4, abrEwmaDefaultEstimate: 500_000 }, NOW);
    expect(firstEstimate(NOW + 60_000)).toBe(3_200_000);
    expect(firstEstimate(NOW + BANDWIDTH_TRUSTED_MS)).toBe(CAUTIOUS_ESTIMATE);
  });

  it("is not renewed by a video that measured nothing (its estimate still the first guess)", () => {
    keepEstimate({ bandwidthEstimate: 3_200_000, abrEwmaDefaultEstimate: 500_000 }, NOW);
    keepEstimate({ bandwidthEstimate: 3_200_000, abrEwmaDefaultEstimate: 3_200_000 }, NOW + BANDWIDTH_TRUSTED_MS - 1);
    keepEstimate({ bandwidthEstimate: Number.NaN, abrEwmaDefaultEstimate: Number.NaN }, NOW + BANDWIDTH_TRUSTED_MS - 1);
    expect(firstEstimate(NOW + BANDWIDTH_TRUSTED_MS)).toBe(CAUTIOUS_ESTIMATE);
  });
});
