import { describe, expect, it } from "vitest";
import { showOnly } from "./captions";

/** A `<video>` with a `<track>` per language, each with a track that records every mode set. */
function videoWith(...languages: string[]) {
  const video = document.createElement("video");
  const history: Record<string, string[]> = {};
  for (const language of languages) {
    const element = document.createElement("track");
    element.srclang = language;
    let mode = "disabled";
    const modes: string[] = (history[language] = []);
    const track = {
      get mode() {
        return mode;
      },
      set mode(next: string) {
        modes.push(next);
        mode = next;
      },
    };
    Object.defineProperty(element, "track", { value: track }); // jsdom makes none
    video.append(element);
  }
  return { video, history };
}

describe("showOnly", () => {
  it("with captions off, disables every track and loads none", () => {
    const { video, history } = videoWith("en", "fr");
    showOnly(video, null);
    expect(history).toEqual({ en: ["disabled"], fr: ["disabled"] });
  });

  it("shows the chosen track and changes every other one's mode once, so the browser leaves it alone", () => {
    const { video, history } = videoWith("en", "fr", "de");
    showOnly(video, "en");
    // Chromium would turn on a track whose mode the page never changed (setting "disabled" again is no change).
    expect(history).toEqual({ en: ["showing"], fr: ["hidden", "disabled"], de: ["hidden", "disabled"] });

    showOnly(video, "fr");
    expect(history).toEqual({
      en: ["showing", "disabled"],
      fr: ["hidden", "disabled", "showing"],
      de: ["hidden", "disabled", "disabled"],
    });
  });
});
