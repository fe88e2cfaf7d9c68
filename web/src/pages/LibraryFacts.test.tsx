import { screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setAccessToken } from "../api/tokenStore";
import { mediaItem, mediaPage } from "../test/fixtures";
import { expectHeldWithFocus, renderPage, setupUser } from "../test/render";
import { API, apiError, holdAnswer, http, ok, recordRequests, sentTo, server, tagList } from "../test/server";
import { AdminLibraryPage } from "./AdminLibrary";

const PROBE = `${API}/ingest/items/b/probe`;
const GRANT = `${API}/catalogue/b/stream-token`;
const DOWNLOAD = "/api/v1/stream/tok-b/original";
const BOOK = mediaItem({
  id: "b",
  title: "Old book",
  content_type: "audio/mp4",
  video_codec: null,
  audio_codec: "mp3",
  size_bytes: 3 * 1024 * 1024 + 512 * 1024,
});
const CHAPTERS = [
  { start_seconds: 0, title: "One" },
  { start_seconds: 61, title: "Two" },
];

beforeEach(() => {
  setAccessToken("tok-admin", 1800);
  // The tag filter reads the library's tags: none, unless a test says.
  server.use(tagList());
});

/** The library with the old audiobook, its edit form open: its file section. */
async function editBook() {
  const user = setupUser();
  server.use(
    http.get(`${API}/catalogue`, () => ok(mediaPage([BOOK]))),
    http.get(`${API}/catalogue/b`, () => ok({ ...BOOK, captions: [] })),
  );
  renderPage(<AdminLibraryPage />, { path: "/admin/library" });
  await user.click(await screen.findByRole("button", { name: "Edit Old book" }));
  return { user, section: await screen.findByTestId("library-facts") };
}

describe("LibraryFacts", () => {
  it("keeps the focus on its button, held, while the file is read", async () => {
    const { user, section } = await editBook();
    const { held, release } = holdAnswer();
    server.use(
      http.post(PROBE, async () => {
        await held;
        return ok({ media_id: "b", changed: [], item: BOOK });
      }),
    );
    within(section).getByRole("button", { name: "Read the file again" }).focus();
    await user.keyboard("{Enter}");
    expectHeldWithFocus(await within(section).findByRole("button", { name: "Reading…" }));
    release();
    expect(await within(section).findByRole("status")).toHaveTextContent("Nothing changed");
    await waitFor(() => expect(within(section).getByRole("button", { name: "Read the file again" })).toHaveFocus());
  });

  it("reads the file again and tells what changed, with the chapters found", async () => {
    const { user, section } = await editBook();
    const item = { ...BOOK, audio_codec: "aac", chapters: CHAPTERS };
    server.use(http.post(PROBE, () => ok({ media_id: "b", changed: ["audio_codec", "chapters"], item })));
    const seen = recordRequests();

    await user.click(within(section).getByRole("button", { name: "Read the file again" }));

    expect(await within(section).findByRole("status")).toHaveTextContent(
      "Updated audio codec, chapters; it has 2 chapters.",
    );
    const [post] = sentTo(seen, "POST", PROBE);
    expect(post!.headers.get("Authorization")).toBe("Bearer tok-admin");
  });

  it("tells when the file turns out not to play, and is queued for transcoding", async () => {
    const { user, section } = await editBook();
    const item = { ...BOOK, audio_codec: "flac", playable: false, processing_state: "queued" as const };
    server.use(http.post(PROBE, () => ok({ media_id: "b", changed: ["audio_codec", "playable"], item })));

    await user.click(within(section).getByRole("button", { name: "Read the file again" }));

    expect(await within(section).findByRole("status")).toHaveTextContent(
      "Updated audio codec; it has no chapters. Its file does not play in browsers: it is queued for transcoding.",
    );
  });

  it("tells when the file turns out to play", async () => {
    const { user, section } = await editBook();
    server.use(http.post(PROBE, () => ok({ media_id: "b", changed: ["playable"], item: { ...BOOK, playable: true } })));

    await user.click(within(section).getByRole("button", { name: "Read the file again" }));

    expect(await within(section).findByRole("status")).toHaveTextContent(
      "It has no chapters. It plays as uploaded now.",
    );
  });

  it("says when the file says what it said", async () => {
    const { user, section } = await editBook();
    server.use(http.post(PROBE, () => ok({ media_id: "b", changed: [], item: BOOK })));

    await user.click(within(section).getByRole("button", { name: "Read the file again" }));

    expect(await within(section).findByRole("status")).toHaveTextContent(
      "Nothing changed: the file says what it said (no chapters).",
    );
  });

  it("says when the chapters are the description's, which win over the file's", async () => {
    const { user, section } = await editBook();
    expect(section).toHaveTextContent("Chapters listed in its description win over the file’s.");
    const item = { ...BOOK, chapters: [...CHAPTERS, { start_seconds: 122, title: "Three" }], chapters_from: "description" };
    server.use(http.post(PROBE, () => ok({ media_id: "b", changed: ["audio_codec"], item })));

    await user.click(within(section).getByRole("button", { name: "Read the file again" }));

    expect(await within(section).findByRole("status")).toHaveTextContent(
      "Updated audio codec; it has 3 chapters from its description.",
    );
  });

  it("tells why the file could not be read", async () => {
    const { user, section } = await editBook();
    server.use(http.post(PROBE, () => apiError(409, "original_missing", "the item's original is no longer stored")));

    await user.click(within(section).getByRole("button", { name: "Read the file again" }));

    expect(await within(section).findByText(/Could not read the file again: .*no longer stored/)).toBeInTheDocument();
    expect(within(section).getByRole("button", { name: "Read the file again" })).toBeEnabled();
  });
});

describe("Download original", () => {
  /** The links the page clicked to start a download: their URL and download attribute. */
  let clicked: { href: string; download: string }[] = [];
  beforeEach(() => {
    clicked = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push({ href: this.href, download: this.getAttribute("download") ?? "(none)" });
    });
  });
  afterEach(() => vi.restoreAllMocks());

  const grant = (download_url: string | null) => ({ stream_url: "/api/v1/stream/tok-b", expires_in: 3600, download_url });

  it("starts the download of the original through a fresh grant each time", async () => {
    const { user, section } = await editBook();
    server.use(http.post(GRANT, () => ok(grant(DOWNLOAD))));
    const seen = recordRequests();
    const button = within(section).getByRole("button", { name: "Download original (3.5 MiB)" });
    // Walk 53 F2: the stored original may be remuxed for streaming; a checksum would differ.
    expect(section).toHaveTextContent("same picture and sound but not the same bytes (its checksum differs)");

    await user.click(button);
    await waitFor(() => expect(clicked).toHaveLength(1));
    await user.click(button);

    await waitFor(() => expect(clicked).toHaveLength(2));
    expect(new URL(clicked[0]!.href).pathname).toBe(DOWNLOAD);
    expect(clicked[0]!.download).toBe("");
    const posts = sentTo(seen, "POST", GRANT);
    expect(posts).toHaveLength(2);
    expect(posts[0]!.headers.get("Authorization")).toBe("Bearer tok-admin");
    expect(document.querySelector("a[download]")).toBeNull(); // the link is gone again
    expect(within(section).queryByText(/Could not/)).toBeNull();
  });

  it("says so when the grant carries no download, and starts none", async () => {
    const { user, section } = await editBook();
    server.use(http.post(GRANT, () => ok(grant(null))));

    await user.click(within(section).getByRole("button", { name: /^Download original/ }));

    expect(
      await within(section).findByText("Could not download the original: this account may not download original files"),
    ).toBeInTheDocument();
    expect(clicked).toEqual([]);
  });

  it("tells why the grant was refused", async () => {
    const { user, section } = await editBook();
    server.use(http.post(GRANT, () => apiError(404, "media_item_not_found", "no such media item")));

    await user.click(within(section).getByRole("button", { name: /^Download original/ }));

    expect(await within(section).findByText("Could not download the original: no such media item")).toBeInTheDocument();
    expect(clicked).toEqual([]);
    expect(within(section).getByRole("button", { name: /^Download original/ })).toBeEnabled();
  });
});
