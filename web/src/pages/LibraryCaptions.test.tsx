import { screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import type { CaptionTrack } from "../api/captions";
import { LIMITS } from "../api/limits";
import { setAccessToken } from "../api/tokenStore";
import { mediaItem, mediaPage } from "../test/fixtures";
import { expectHeldWithFocus, renderPage, setupUser } from "../test/render";
import { API, apiError, holdAnswer, http, noContent, ok, recordRequests, sentTo, server, tagList } from "../test/server";
import { AdminLibraryPage } from "./AdminLibrary";
import { languageName, normaliseLanguage } from "../lib/language";

const ITEM = `${API}/catalogue/p`;
const CAPTIONS = `${API}/ingest/items/p/captions`;
const ENGLISH: CaptionTrack = { language: "en", label: "English", source: "upload" };
const SPANISH: CaptionTrack = { language: "es", label: "Español", source: "embedded" };
/** The PUT's answer: the item's tracks after the change. */
const trackList = (captions: CaptionTrack[]) => ({ media_id: "p", captions });
const SRT = "1\n00:00:00,500 --> 00:00:02,000\nBonjour\n";

beforeEach(() => {
  setAccessToken("tok-admin", 1800);
  // The tag filter reads the library's tags: none, unless a test says.
  server.use(tagList());
});

/** The library with one item, its edit form open; the item has `tracks`. */
async function editCaptions(tracks: CaptionTrack[]) {
  const user = setupUser();
  const item = mediaItem({ id: "p", title: "Final" });
  server.use(
    http.get(`${API}/catalogue`, () => ok(mediaPage([item]))),
    http.get(ITEM, () => ok({ ...item, captions: tracks })),
  );
  renderPage(<AdminLibraryPage />, { path: "/admin/library" });
  await user.click(await screen.findByRole("button", { name: "Edit Final" }));
  const section = await screen.findByTestId("library-captions");
  await waitFor(() => expect(within(section).queryByText("Loading captions…")).not.toBeInTheDocument());
  return { user, section };
}

function rows(section: HTMLElement): string[] {
  return within(section)
    .queryAllByTestId("caption-track")
    .map((row) => row.querySelector("strong")?.textContent ?? "");
}

describe("LibraryCaptions", () => {
  it("lists an item's tracks on its edit form, with where each came from", async () => {
    const { section } = await editCaptions([ENGLISH, SPANISH]);
    expect(within(section).getByRole("heading", { name: "Captions" })).toBeInTheDocument();
    const list = within(section).getByRole("list", { name: "Captions of Final" });
    const [english, spanish] = within(list).getAllByTestId("caption-track");
    expect(english).toHaveTextContent("English en · uploaded");
    expect(spanish).toHaveTextContent("Español es · from the video");
    expect(within(section).getByRole("button", { name: "Replace English" })).toBeEnabled();
    expect(within(section).getByRole("button", { name: "Remove Español" })).toBeEnabled();
  });

  it("adds a SubRip track, named in its own language when the label is left empty", async () => {
    const { user, section } = await editCaptions([]);
    expect(within(section).getByText("No captions yet.")).toBeInTheDocument();
    expect(within(section).getByRole("form", { name: "Add captions" })).toBeInTheDocument();
    server.use(http.put(`${CAPTIONS}/fr`, () => ok(trackList([{ language: "fr", label: "Français", source: "upload" }]))));
    const seen = recordRequests();

    await user.type(within(section).getByLabelText("Language"), "FR");
    expect(within(section).getByLabelText("Label")).toHaveAttribute("placeholder", "Français");
    await user.upload(within(section).getByLabelText("Caption file"), new File([SRT], "film.fr.srt"));
    await user.click(within(section).getByRole("button", { name: "Add captions" }));

    await waitFor(() => expect(rows(section)).toEqual(["Français"]));
    const [put] = sentTo(seen, "PUT", `${CAPTIONS}/fr`);
    expect(put!.url.searchParams.get("label")).toBe("Français");
    expect(put!.headers.get("Content-Type")).toBe("application/x-subrip");
    expect(put!.headers.get("Authorization")).toBe("Bearer tok-admin");
    expect(await put!.request.text()).toBe(SRT);
    expect(within(section).getByText("Added “Français”.")).toBeInTheDocument();
    // The form is ready for the next track.
    expect(within(section).getByLabelText("Language")).toHaveValue("");
    expect(within(section).getByLabelText<HTMLInputElement>("Caption file").files).toHaveLength(0);
  });

  it("sends a UTF-8 file as before, asking no encoding", async () => {
    const { user, section } = await editCaptions([]);
    server.use(http.put(`${CAPTIONS}/de`, () => ok(trackList([{ language: "de", label: "Deutsch", source: "upload" }]))));
    const seen = recordRequests();

    await user.type(within(section).getByLabelText("Language"), "de");
    const umlauts = "1\n00:00:00,500 --> 00:00:02,000\nÄrger über Öl\n";
    await user.upload(within(section).getByLabelText("Caption file"), new File([umlauts], "de.srt"));
    await user.click(within(section).getByRole("button", { name: "Add captions" }));

    await waitFor(() => expect(rows(section)).toEqual(["Deutsch"]));
    const [put] = sentTo(seen, "PUT", `${CAPTIONS}/de`);
    expect(put!.url.searchParams.has("encoding")).toBe(false);
    expect(within(section).queryByLabelText("The file is not UTF-8. It was saved in:")).not.toBeInTheDocument();
  });

  it("asks which encoding a file not in UTF-8 was saved in, shows its words in it, and sends it", async () => {
    const { user, section } = await editCaptions([]);
    server.use(http.put(`${CAPTIONS}/ru`, () => ok(trackList([{ language: "ru", label: "Русский", source: "upload" }]))));
    const seen = recordRequests();
    // "Привет, мир" saved in Windows-1251, which is not UTF-8.
    const cyrillic = [0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2, 0x2c, 0x20, 0xec, 0xe8, 0xf0];
    const bytes = new Uint8Array([...new TextEncoder().encode("1\r\n00:00:01,000 --> 00:00:02,000\r\n"), ...cyrillic]);

    await user.type(within(section).getByLabelText("Language"), "ru");
    await user.upload(within(section).getByLabelText("Caption file"), new File([bytes], "ru.srt"));
    const encoding = await within(section).findByLabelText("The file is not UTF-8. It was saved in:");
    // Nothing is sent until the encoding is chosen.
    await user.click(within(section).getByRole("button", { name: "Add captions" }));
    expect(encoding).toHaveAccessibleDescription(/Choose the encoding the file was saved in/);
    expect(sentTo(seen, "PUT", `${CAPTIONS}/ru`)).toHaveLength(0);

    await user.selectOptions(encoding, "Cyrillic (Windows-1251)");
    const preview = within(section).getByTestId("caption-preview");
    expect(preview).toHaveTextContent("read as Cyrillic (Windows-1251):Привет, мир");
    expect(preview).not.toHaveTextContent("-->");
    await user.click(within(section).getByRole("button", { name: "Add captions" }));

    await waitFor(() => expect(rows(section)).toEqual(["Русский"]));
    const [put] = sentTo(seen, "PUT", `${CAPTIONS}/ru`);
    expect(put!.url.searchParams.get("encoding")).toBe("windows-1251");
    expect(new Uint8Array(await put!.request.arrayBuffer())).toEqual(bytes);
    expect(within(section).queryByLabelText("The file is not UTF-8. It was saved in:")).not.toBeInTheDocument();
  });

  it("asks no encoding of a file that is no text (a picture picked by mistake): the server says what it is", async () => {
    const { user, section } = await editCaptions([]);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0xc3]);
    await user.type(within(section).getByLabelText("Language"), "en");
    await user.upload(within(section).getByLabelText("Caption file"), new File([png], "en.srt"));
    await user.click(within(section).getByRole("button", { name: "Add captions" }));
    expect(within(section).queryByLabelText("The file is not UTF-8. It was saved in:")).not.toBeInTheDocument();
  });

  it("says when the file does not read in the encoding chosen, and asks when the server finds it is not UTF-8", async () => {
    const { user, section } = await editCaptions([]);
    const seen = recordRequests();
    // 0x98 is no character in Windows-1251 (a browser reads it as a control character).
    const bytes = new Uint8Array([...new TextEncoder().encode("1\n00:00:01,000 --> 00:00:02,000\n"), 0x98, 0xe0]);
    await user.type(within(section).getByLabelText("Language"), "ru");
    await user.upload(within(section).getByLabelText("Caption file"), new File([bytes], "ru.srt"));
    const encoding = await within(section).findByLabelText("The file is not UTF-8. It was saved in:");
    await user.selectOptions(encoding, "Cyrillic (Windows-1251)");
    expect(within(section).getByTestId("caption-preview")).toHaveTextContent("The file is not Cyrillic (Windows-1251): choose another.");
    await user.click(within(section).getByRole("button", { name: "Add captions" }));
    expect(encoding).toHaveAccessibleDescription(/The file is not Cyrillic \(Windows-1251\): choose another/);
    expect(sentTo(seen, "PUT", `${CAPTIONS}/ru`)).toHaveLength(0);
    // Another choice answers it: the last one's refusal is not left under the new preview.
    await user.selectOptions(encoding, "Western European (Windows-1252)");
    expect(encoding).not.toHaveAccessibleDescription(/choose another/);

    // A file the browser reads as UTF-8 that the server does not: its refusal asks too.
    server.use(http.put(`${CAPTIONS}/ru`, () => apiError(422, "caption_encoding", "this file is not UTF-8 (byte 3 is not)")));
    await user.upload(within(section).getByLabelText("Caption file"), new File([SRT], "ru.srt"));
    await waitFor(() => expect(within(section).queryByLabelText("The file is not UTF-8. It was saved in:")).not.toBeInTheDocument());
    await user.click(within(section).getByRole("button", { name: "Add captions" }));
    expect(await within(section).findByLabelText("The file is not UTF-8. It was saved in:")).toBeInTheDocument();
    expect(within(section).getByLabelText("Caption file")).toHaveAccessibleDescription(/this file is not UTF-8/);
  });

  it("takes a tag in any case and with _, sends it as the server keeps it, and finds its track", async () => {
    const brazilian: CaptionTrack = { language: "pt-BR", label: "Português (Brasil)", source: "upload" };
    const { user, section } = await editCaptions([brazilian]);
    server.use(http.put(`${CAPTIONS}/pt-BR`, () => ok(trackList([brazilian]))));
    const seen = recordRequests();

    await user.type(within(section).getByLabelText("Language"), "PT_br");
    expect(within(section).getByLabelText("Language")).not.toHaveAttribute("aria-invalid");
    expect(within(section).getByLabelText("Label")).toHaveAttribute("placeholder", "Português (Brasil)");
    await user.upload(within(section).getByLabelText("Caption file"), new File([SRT], "film.srt"));
    await user.click(within(section).getByRole("button", { name: "Add captions" }));
    // The same language in another spelling is the same track: asked about, never a second one.
    const asked = screen.getByRole("alertdialog", { name: "Replace these captions?" });
    expect(asked).toHaveTextContent("“Português (Brasil)” (pt-BR) is replaced");
    await user.click(within(asked).getByRole("button", { name: "Replace" }));

    await waitFor(() => expect(within(section).getByText("Replaced “Português (Brasil)”.")).toBeInTheDocument());
    const [put] = sentTo(seen, "PUT", `${CAPTIONS}/pt-BR`);
    expect(put!.url.searchParams.get("label")).toBe("Português (Brasil)");
    expect(rows(section)).toEqual(["Português (Brasil)"]);
  });

  it("checks language and file before sending, and shows the server's refusal at the file", async () => {
    const { user, section } = await editCaptions([]);
    const seen = recordRequests();
    const language = within(section).getByLabelText("Language");
    const file = within(section).getByLabelText("Caption file");

    await user.type(language, "english");
    await user.click(within(section).getByRole("button", { name: "Add captions" }));
    expect(language).toHaveAttribute("aria-invalid", "true");
    expect(language).toHaveAccessibleDescription(/Use a language tag such as en, fr, pt-BR or zh-Hant/);
    expect(file).toHaveAccessibleDescription(/Choose a WebVTT \(\.vtt\) or SubRip \(\.srt\) file/);
    expect(seen).toHaveLength(0);
    // The first field refused takes the focus, which says its error (on the button, nothing did).
    expect(language).toHaveFocus();

    server.use(
      http.put(`${CAPTIONS}/en`, () =>
        apiError(422, "caption_syntax", "Line 3: a cue timing must look like 00:00:01.000 --> 00:00:02.000."),
      ),
    );
    await user.clear(language);
    await user.type(language, "en");
    await user.type(within(section).getByLabelText("Label"), "English");
    await user.upload(file, new File(["WEBVTT\n\nnonsense\n"], "en.vtt", { type: "text/vtt" }));
    await user.click(within(section).getByRole("button", { name: "Add captions" }));

    await waitFor(() => expect(file).toHaveAttribute("aria-invalid", "true"));
    expect(file).toHaveAccessibleDescription(/Line 3: a cue timing must look like/);
    await waitFor(() => expect(file).toHaveFocus());
    expect(language).not.toHaveAttribute("aria-invalid");
    expect(sentTo(seen, "PUT", `${CAPTIONS}/en`)[0]?.headers.get("Content-Type")).toBe("text/vtt");
    expect(rows(section)).toEqual([]);

    // A refusal of the request rather than the file shows under the form.
    server.use(http.put(`${CAPTIONS}/en`, () => apiError(409, "too_many_captions", "An item has at most 16 caption tracks.")));
    await user.upload(file, new File(["WEBVTT\n"], "en.vtt", { type: "text/vtt" }));
    await user.click(within(section).getByRole("button", { name: "Add captions" }));
    expect(await within(section).findByRole("alert")).toHaveTextContent("An item has at most 16 caption tracks.");
  });

  it("takes the focus to the language when Add captions is pressed with nothing filled in", async () => {
    const { user, section } = await editCaptions([]);
    within(section).getByRole("button", { name: "Add captions" }).focus();
    await user.keyboard("{Enter}");
    const language = within(section).getByLabelText("Language");
    expect(language).toHaveFocus();
    expect(language).toHaveAccessibleDescription(/Use a language tag/);
    expect(within(section).getByLabelText("Caption file")).toHaveAttribute("aria-invalid", "true");
  });

  it("says when cues start after the video ends, adding or replacing (walk 53 F4)", async () => {
    const { user, section } = await editCaptions([ENGLISH]);
    const late = { ...trackList([ENGLISH, { language: "es", label: "Español", source: "upload" }]), cues: 2 };
    server.use(http.put(`${CAPTIONS}/es`, () => ok({ ...late, cues_after_end: 2, duration_seconds: 5 })));
    await user.type(within(section).getByLabelText("Language"), "es");
    await user.upload(within(section).getByLabelText("Caption file"), new File([SRT], "ep1.long.srt"));
    await user.click(within(section).getByRole("button", { name: "Add captions" }));
    expect(
      await within(section).findByText(
        "Added “Español”. 2 cues start after the video ends (0:05): is this the caption file of another cut?",
      ),
    ).toBeInTheDocument();

    server.use(http.put(`${CAPTIONS}/en`, () => ok({ ...late, cues_after_end: 1, duration_seconds: 5 })));
    await user.upload(within(section).getByLabelText("New file for English"), new File([SRT], "old-cut.srt"));
    expect(
      await within(section).findByText(
        "Replaced “English”. 1 cue starts after the video ends (0:05): is this the caption file of another cut?",
      ),
    ).toBeInTheDocument();
  });

  it("replaces a track's file, keeping its label", async () => {
    const { user, section } = await editCaptions([ENGLISH]);
    server.use(http.put(`${CAPTIONS}/en`, () => ok(trackList([ENGLISH]))));
    const seen = recordRequests();

    await user.upload(within(section).getByLabelText("New file for English"), new File([SRT], "better.srt"));

    await waitFor(() => expect(within(section).getByText("Replaced “English”.")).toBeInTheDocument());
    const [put] = sentTo(seen, "PUT", `${CAPTIONS}/en`);
    expect(put!.url.searchParams.has("label")).toBe(false);
    expect(await put!.request.text()).toBe(SRT);

    server.use(http.put(`${CAPTIONS}/en`, () => apiError(413, "caption_too_large", "A caption file is at most 512 KiB.")));
    await user.upload(within(section).getByLabelText("New file for English"), new File(["x"], "huge.srt"));
    expect(await within(section).findByTestId("caption-error")).toHaveTextContent(
      "Could not replace “English”: A caption file is at most 512 KiB.",
    );
    server.use(http.put(`${CAPTIONS}/en`, () => apiError(422, "caption_encoding", "This file is not UTF-8.")));
    await user.upload(within(section).getByLabelText("New file for English"), new File(["x"], "cp1252.srt"));
    await waitFor(() =>
      expect(within(section).getByTestId("caption-error")).toHaveTextContent(
        "Could not replace “English”: This file is not UTF-8. To say which encoding the file was saved in, add it under “Add captions” in en.",
      ),
    );
  });

  it("asks before a new track replaces the one of its language, and says it replaced it", async () => {
    const { user, section } = await editCaptions([ENGLISH, SPANISH]);
    const subtitles = { language: "en", label: "English (SDH)", source: "upload" as const };
    server.use(http.put(`${CAPTIONS}/en`, () => ok(trackList([subtitles, SPANISH]))));
    const seen = recordRequests();
    const addEnglish = async () => {
      await user.type(within(section).getByLabelText("Language"), "en");
      await user.type(within(section).getByLabelText("Label"), "English (SDH)");
      await user.upload(within(section).getByLabelText("Caption file"), new File([SRT], "sdh.srt"));
      await user.click(within(section).getByRole("button", { name: "Add captions" }));
    };

    await addEnglish();
    let asked = screen.getByRole("alertdialog", { name: "Replace these captions?" });
    expect(asked).toHaveTextContent("“Final” has captions in this language already: “English” (en) is replaced");
    expect(within(asked).getByRole("button", { name: "Cancel" })).toHaveFocus();
    await user.click(within(asked).getByRole("button", { name: "Cancel" }));
    expect(sentTo(seen, "PUT", `${CAPTIONS}/en`)).toHaveLength(0);
    expect(rows(section)).toEqual(["English", "Español"]);

    await user.clear(within(section).getByLabelText("Language"));
    await user.clear(within(section).getByLabelText("Label"));
    await addEnglish();
    asked = screen.getByRole("alertdialog", { name: "Replace these captions?" });
    await user.click(within(asked).getByRole("button", { name: "Replace" }));

    await waitFor(() => expect(rows(section)).toEqual(["English (SDH)", "Español"]));
    // A label that is not the language's name: the row names the language beside its tag.
    expect(within(section).getAllByTestId("caption-track")[0]).toHaveTextContent("English (SDH) English, en · uploaded");
    expect(sentTo(seen, "PUT", `${CAPTIONS}/en`)).toHaveLength(1);
    expect(within(section).getByText("Replaced “English (SDH)”.")).toBeInTheDocument();
    expect(within(section).queryByText(/^Added/)).not.toBeInTheDocument();
  });

  it("holds a row's buttons, with the focus, while its track is replaced", async () => {
    const { user, section } = await editCaptions([ENGLISH]);
    const { held, release } = holdAnswer();
    server.use(
      http.put(`${CAPTIONS}/en`, async () => {
        await held;
        return ok(trackList([ENGLISH]));
      }),
    );
    const replace = within(section).getByRole("button", { name: "Replace English" });
    replace.focus();
    await user.upload(within(section).getByLabelText("New file for English"), new File([SRT], "better.srt"));
    replace.focus(); // the file picker gives the focus back to its opener
    await waitFor(() => expectHeldWithFocus(replace));
    expect(within(section).getByRole("button", { name: "Remove English" })).toHaveAttribute("aria-disabled", "true");
    await user.click(within(section).getByRole("button", { name: "Remove English" }));
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    release();
    await waitFor(() => expect(within(section).getByText("Replaced “English”.")).toBeInTheDocument());
    expect(replace).not.toHaveAttribute("aria-disabled");
  });

  it("removes a track only after confirmation", async () => {
    const { user, section } = await editCaptions([ENGLISH, SPANISH]);
    server.use(http.delete(`${CAPTIONS}/es`, () => noContent()));
    const seen = recordRequests();

    await user.click(within(section).getByRole("button", { name: "Remove Español" }));
    const dialog = screen.getByRole("alertdialog", { name: "Remove these captions?" });
    await user.click(within(dialog).getByRole("button", { name: "Remove" }));

    await waitFor(() => expect(rows(section)).toEqual(["English"]));
    expect(sentTo(seen, "DELETE", `${CAPTIONS}/es`)).toHaveLength(1);
    expect(within(section).getByText("Removed “Español”.")).toHaveFocus();
  });
});

describe("LibraryCaptions when full", () => {
  it("offers no new language once the item has as many tracks as it may", async () => {
    const many = Array.from({ length: LIMITS.captionTracks }, (_, i): CaptionTrack => ({
      language: `l${String.fromCharCode(97 + i)}`,
      label: `Track ${i + 1}`,
      source: "upload",
    }));
    const { section } = await editCaptions(many);
    expect(rows(section)).toHaveLength(LIMITS.captionTracks);
    expect(within(section).getByTestId("captions-full")).toHaveTextContent(
      `An item has at most ${LIMITS.captionTracks} caption tracks`,
    );
    expect(within(section).queryByRole("form", { name: "Add captions" })).not.toBeInTheDocument();
    expect(within(section).getByRole("button", { name: "Replace Track 1" })).toBeEnabled();
  });
});

describe("caption languages", () => {
  it("spells a tag as the API wants it and names it in itself", () => {
    expect(normaliseLanguage(" PT-BR ")).toBe("pt-BR");
    expect(normaliseLanguage("EN")).toBe("en");
    expect(normaliseLanguage("en_us")).toBe("en-US");
    expect(normaliseLanguage("ZH_hant-tw")).toBe("zh-Hant-TW");
    expect(normaliseLanguage("es-419")).toBe("es-419");
    expect(languageName("fr")).toBe("Français");
    // As the server names them: the language, then its region or script in brackets.
    expect(languageName("pt-BR")).toBe("Português (Brasil)");
    expect(languageName("en-GB")).toBe("English (United Kingdom)");
    expect(languageName("de")).toBe("Deutsch");
    expect(languageName("not a tag")).toBeNull();
  });
});
