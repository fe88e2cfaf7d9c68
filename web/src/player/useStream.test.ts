import { describe, expect, it } from "vitest";
import { LAST_PICTURE_S, onThePicture } from "./useStream";

describe("onThePicture", () => {
  it("moves a seek past the picture's end (the sound's last few ms) onto its last frame", () => {
    expect(onThePicture(180.022, 180)).toBe(180 - LAST_PICTURE_S);
    expect(onThePicture(180, 180)).toBe(180 - LAST_PICTURE_S);
  });

  it("leaves a seek where there is a picture, or where its end is not known yet", () => {
    expect(onThePicture(179.5, 180)).toBe(179.5);
    expect(onThePicture(0, 180)).toBe(0);
    expect(onThePicture(180.022, null)).toBe(180.022);
  });
});
