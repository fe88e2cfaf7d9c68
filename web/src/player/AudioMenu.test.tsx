import { act, screen, within } from "@testing-library/react";
import type { MediaPlaylist } from "hls.js";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { FakeHls, type FakeAudioTrack } from "../test/fakeHls";
import { mediaItem } from "../test/fixtures";
import { openPlayerSettings } from "../test/player";
import { renderPage, setupUser } from "../test/render";
import { API, http, ok, server } from "../test/server";
import { audioChoices, preferredTrack } from "./AudioMenu";
import { Player } from "./Player";

vi.mock("hls.js", () => import("../test/fakeHls"));

type Track = Omit<FakeAudioTrack, "id" | "groupId">;

const ENGLISH: Track = { name: "English", lang: "en", default: true };
const COMMENTARY: Track = { name: "Director's commentary", lang: "en", default: false };
const FRENCH: Track = { name: "Français", lang: "fr", default: false };

beforeEach(() => {
  FakeHls.reset();
  // The player picks hls.js where MediaSource exists; jsdom has none.
  vi.stubGlobal("MediaSource", class {});
  server.use(
    http.post(`${API}/catalogue/:id/stream-token`, ({ params }) =>
      ok({ stream_url: `/api/v1/stream/${String(params.id)}`, expires_in: 3600, hls_url: "/hls/master.m3u8" }),
    ),
    http.put(`${API}/catalogue/:id/progress`, () => ok({})),
  );
});

/** The player of item `id`, once hls.js plays it and the audio menu listens to it; its settings menu open. */
async function playWithHls(id = "m-1"): Promise<{ hls: FakeHls; unmount: () => void }> {
  const { unmount } = renderPage(<Player item={mediaItem({ id })} />);
  const hls = await vi.waitFor(() => {
    const latest = FakeHls.latest();
    expect(latest?.listenerCount(FakeHls.Events.AUDIO_TRACKS_UPDATED)).toBeGreaterThan(0);
    return latest!;
  });
  await openPlayerSettings();
  return { hls, unmount };
}

function announce(hls: FakeHls, tracks: Track[]) {
  act(() => hls.announceAudio(tracks));
}

function optionLabels(menu: HTMLElement): (string | null)[] {
  return within(menu).getAllByRole("option").map((o) => o.textContent);
}

describe("audio menu", () => {
  it("is not offered for a video with no audio group or a single track", async () => {
    const { hls } = await playWithHls();
    expect(screen.queryByRole("combobox", { name: "Audio" })).not.toBeInTheDocument();
    announce(hls, [ENGLISH]);
    expect(hls.audioTrack).toBe(0);
    expect(screen.queryByRole("combobox", { name: "Audio" })).not.toBeInTheDocument();
    // The same player offers it as soon as there is a choice: the absence above is the rule, not a late render.
    announce(hls, [ENGLISH, FRENCH]);
    expect(screen.getByRole("combobox", { name: "Audio" })).toBeInTheDocument();
  });

  it("lists the tracks by name with the playing one chosen; choosing switches hls.js and remembers the language", async () => {
    const user = setupUser();
    const { hls } = await playWithHls();
    announce(hls, [ENGLISH, COMMENTARY, FRENCH]);
    const menu = screen.getByRole("combobox", { name: "Audio" });
    expect(menu.closest(".player-tool")).not.toBeNull(); // laid out like the other menus
    expect(menu.closest(".player-settings")).not.toBeNull(); // in the settings menu, with them
    expect(optionLabels(menu)).toEqual(["English", "Director's commentary", "Français"]);
    expect(menu).toHaveValue("0");

    await user.selectOptions(menu, "Français");
    expect(hls.audioTrack).toBe(2);
    expect(menu).toHaveValue("2");
    expect(localStorage.getItem("streamstack.audio")).toBe("fr");

    // A switch hls.js makes itself shows in the menu too.
    act(() => {
      hls.audioTrack = 1;
    });
    expect(menu).toHaveValue("1");
  });

  it("names the language of tracks that share a name", async () => {
    const { hls } = await playWithHls();
    announce(hls, [
      { name: "Commentary", lang: "en", default: false },
      { name: "Commentary", lang: "fr", default: false },
      { ...ENGLISH, default: true },
    ]);
    const menu = screen.getByRole("combobox", { name: "Audio" });
    expect(optionLabels(menu)).toEqual(["Commentary (en)", "Commentary (fr)", "English"]);
  });

  it("starts the next video in the language chosen on the previous one", async () => {
    const user = setupUser();
    const first = await playWithHls("m-1");
    announce(first.hls, [ENGLISH, FRENCH]);
    await user.selectOptions(screen.getByRole("combobox", { name: "Audio" }), "Français");
    first.unmount();

    const { hls } = await playWithHls("m-2");
    announce(hls, [ENGLISH, COMMENTARY, FRENCH]);
    expect(hls.audioTrack).toBe(2);
    expect(screen.getByRole("combobox", { name: "Audio" })).toHaveValue("2");
  });

  it("keeps hls.js's default track when the remembered language is not offered, or nothing is remembered", async () => {
    const { hls, unmount } = await playWithHls("m-1");
    announce(hls, [ENGLISH, FRENCH]);
    expect(hls.audioTrack).toBe(0);
    unmount();

    localStorage.setItem("streamstack.audio", "de");
    const second = await playWithHls("m-2");
    announce(second.hls, [COMMENTARY, { ...FRENCH, default: true }]);
    expect(second.hls.audioTrack).toBe(1);
  });

  it("applies the remembered language when hls.js lists the tracks before the menu listens", async () => {
    localStorage.setItem("streamstack.audio", "fr");
    FakeHls.onLoad = (hls) => hls.announceAudio([ENGLISH, FRENCH]);
    await playWithHls();
    expect(FakeHls.latest()!.audioTrack).toBe(1);
    expect(await screen.findByRole("combobox", { name: "Audio" })).toHaveValue("1");
  });
});

describe("audioChoices", () => {
  const track = (name: string, lang?: string) => ({ name, lang, default: false }) as MediaPlaylist;

  it("gives each track its name, and the language only where two share a name and it has one", () => {
    expect(audioChoices([track("Stereo", "en"), track("Stereo", "de"), track("Mono")])).toEqual([
      { value: "0", label: "Stereo (en)" },
      { value: "1", label: "Stereo (de)" },
      { value: "2", label: "Mono" },
    ]);
    expect(audioChoices([track("Main"), track("Main")]).map((c) => c.label)).toEqual(["Main", "Main"]);
  });

  it("names a track the server named by its language tag in that language", () => {
    expect(audioChoices([track("fr", "fr"), track("de", "de"), track("Track 3")]).map((c) => c.label)).toEqual([
      "Français",
      "Deutsch",
      "Track 3",
    ]);
  });
});

describe("preferredTrack", () => {
  const track = (lang: string, isDefault = false) => ({ name: lang, lang, default: isDefault }) as MediaPlaylist;

  it("picks the remembered language, the DEFAULT track of it first, else the same primary language", () => {
    const tracks = [track("en"), track("fr-CA"), track("en", true)];
    expect(preferredTrack(tracks, "en")).toBe(2);
    expect(preferredTrack(tracks, "fr")).toBe(1);
    expect(preferredTrack(tracks, "fr-CA")).toBe(1);
    expect(preferredTrack(tracks, "de")).toBe(-1);
    expect(preferredTrack(tracks, null)).toBe(-1);
  });
});
