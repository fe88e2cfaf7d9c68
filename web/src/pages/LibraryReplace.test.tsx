// @ts-expect-error -- the browser build, which the page runs (vitest resolves the node one, which reads no File); typed as the package
import { Upload as BrowserUpload } from "tus-js-client/lib.esm/browser/index.js";
import { screen, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import type { CatalogueItem } from "../api/schema";
import { setAccessToken } from "../api/tokenStore";
import { mediaItem, mediaPage } from "../test/fixtures";
import { renderPage, setupUser } from "../test/render";
import { API, apiError, http, HttpResponse, ok, recordRequests, sentTo, server, tagList } from "../test/server";
import { TusClientContext, type TusUploadClass } from "../upload/useTusUpload";
import { AdminLibraryPage } from "./AdminLibrary";

const UPLOADS = `${API}/ingest/uploads`;
const UPLOAD = `${UPLOADS}/up-r`;
const CLIP = mediaItem({ id: "c", title: "Wrong cut", duration_seconds: 60, processing_state: "ready", has_hls: true });
const tusHeaders = (extra: Record<string, string>) => ({ "Tus-Resumable": "1.0.0", ...extra });

beforeEach(() => {
  setAccessToken("tok-admin", 1800);
  server.use(tagList());
});

/** The library with the clip (read whole with `detail`), its edit form open, uploading with tus-js-client itself: its replace section. */
async function editClip(detail: Partial<CatalogueItem> = {}) {
  const user = setupUser();
  server.use(
    http.get(`${API}/catalogue`, () => ok(mediaPage([CLIP]))),
    http.get(`${API}/catalogue/c`, () => ok({ ...CLIP, captions: [], ...detail })),
  );
  renderPage(
    <TusClientContext value={BrowserUpload as TusUploadClass}>
      <AdminLibraryPage />
    </TusClientContext>,
    { path: "/admin/library" },
  );
  await user.click(await screen.findByRole("button", { name: "Edit Wrong cut" }));
  return { user, section: await screen.findByTestId("library-replace") };
}

/** Picks a new file of `size` bytes in the section and sends it. */
async function replaceWith(user: ReturnType<typeof setupUser>, section: HTMLElement, size = 1024) {
  const file = new File([new Uint8Array(size)], "recut.mp4", { type: "video/mp4" });
  await user.upload(within(section).getByLabelText("New video file"), file);
  await user.click(within(section).getByRole("button", { name: "Replace the file" }));
}

/** The tus metadata a creation sent, decoded. */
function metadataOf({ headers }: { headers: Headers }): Record<string, string> {
  const header = headers.get("Upload-Metadata") ?? "";
  return Object.fromEntries(
    header.split(",").map((pair) => {
      const [key, value] = pair.split(" ");
      return [key!, atob(value ?? "")];
    }),
  );
}

describe("LibraryReplace", () => {
  it("uploads the new file naming the item, then follows its processing", async () => {
    const { user, section } = await editClip();
    const replaced = { ...CLIP, duration_seconds: 75, processing_state: "queued" as const, updated_at: "2026-12-05T18:00:00Z" };
    server.use(
      http.post(UPLOADS, () => new HttpResponse(null, { status: 201, headers: tusHeaders({ Location: UPLOAD }) })),
      http.patch(UPLOAD, () => new HttpResponse(null, { status: 204, headers: tusHeaders({ "Upload-Offset": "1024" }) })),
      http.get(`${API}/ingest/jobs/up-r`, () => ok({ upload_id: "up-r", state: "done", item: replaced, error: null })),
    );
    const seen = recordRequests();

    await replaceWith(user, section);

    const done = await within(section).findByTestId("library-replace-done");
    expect(done).toHaveTextContent("File replaced · Queued for processing (viewers see the old file meanwhile).");
    // The Replace button pressed went while the file was sent: the news takes the focus.
    expect(done).toHaveFocus();
    expect(within(section).getByRole("progressbar", { name: "Upload progress" })).toHaveAttribute("aria-valuenow", "100");
    const [created] = sentTo(seen, "POST", UPLOADS);
    expect(metadataOf(created!)).toMatchObject({ replaces: "c", filename: "recut.mp4" });
    expect(created!.headers.get("Authorization")).toBe("Bearer tok-admin");
  });

  it("says viewers see the new file once it plays", async () => {
    const { user, section } = await editClip();
    const replaced = { ...CLIP, duration_seconds: 75, processing_state: "ready" as const, playable: true, updated_at: "2026-12-05T18:00:00Z" };
    server.use(
      http.post(UPLOADS, () => new HttpResponse(null, { status: 201, headers: tusHeaders({ Location: UPLOAD }) })),
      http.patch(UPLOAD, () => new HttpResponse(null, { status: 204, headers: tusHeaders({ "Upload-Offset": "1024" }) })),
      http.get(`${API}/ingest/jobs/up-r`, () => ok({ upload_id: "up-r", state: "done", item: replaced, error: null })),
    );

    await replaceWith(user, section);

    expect(await within(section).findByTestId("library-replace-done")).toHaveTextContent(
      "File replaced · viewers see the new file now.",
    );
  });

  it("says before it starts that the current file is deleted (walk 53 F9)", async () => {
    const { section } = await editClip();
    expect(section).toHaveTextContent(
      "The current file is deleted once the new one is in: Download original then gives the new one",
    );
  });

  it("words what the server says was made for the old file: chosen thumbnail, captions, chapters", async () => {
    const { user, section } = await editClip();
    const replaced = { ...CLIP, stills_chosen: true, updated_at: "2026-12-05T18:00:00Z" };
    // The server decides what to check (checks_after_replace); the page only words it.
    const checks = [
      { kind: "chosen_thumbnail", count: null },
      { kind: "uploaded_captions", count: 2 },
      { kind: "description_chapters", count: null },
    ];
    server.use(
      http.post(UPLOADS, () => new HttpResponse(null, { status: 201, headers: tusHeaders({ Location: UPLOAD }) })),
      http.patch(UPLOAD, () => new HttpResponse(null, { status: 204, headers: tusHeaders({ "Upload-Offset": "1024" }) })),
      http.get(`${API}/ingest/jobs/up-r`, () => ok({ upload_id: "up-r", state: "done", item: replaced, error: null, checks })),
    );
    expect(within(section).queryByTestId("library-replace-check")).not.toBeInTheDocument();

    await replaceWith(user, section);

    expect(await within(section).findByTestId("library-replace-check")).toHaveTextContent(
      "Made for the old file, now check: the thumbnail you chose (it may show a frame of the old file); " +
        "2 caption tracks timed for the old file; the chapters written in the description.",
    );
  });

  it("names nothing to check when nothing was made for the old file", async () => {
    const { user, section } = await editClip();
    server.use(
      http.post(UPLOADS, () => new HttpResponse(null, { status: 201, headers: tusHeaders({ Location: UPLOAD }) })),
      http.patch(UPLOAD, () => new HttpResponse(null, { status: 204, headers: tusHeaders({ "Upload-Offset": "1024" }) })),
      http.get(`${API}/ingest/jobs/up-r`, () => ok({ upload_id: "up-r", state: "done", item: CLIP, error: null, checks: [] })),
    );
    await replaceWith(user, section);
    await within(section).findByTestId("library-replace-done");
    expect(within(section).queryByTestId("library-replace-check")).not.toBeInTheDocument();
  });

  it("shows the server's refusal at once, not retried, and says the video plays as it did", async () => {
    const { user, section } = await editClip();
    const detail = "the item's transcoding is running: wait until it is done before replacing its video file";
    server.use(http.post(UPLOADS, () => apiError(409, "in_progress", detail, tusHeaders({}))));
    const seen = recordRequests();

    await replaceWith(user, section);

    expect(await within(section).findByTestId("library-replace-error")).toHaveTextContent(
      `Not replaced: ${detail}. The video plays as it did.`,
    );
    expect(sentTo(seen, "POST", UPLOADS)).toHaveLength(1);
    expect(within(section).queryByTestId("library-replace-done")).not.toBeInTheDocument();
  });

  it("says why the server refused the file once it read it", async () => {
    const { user, section } = await editClip();
    const detail = "the file could not be read as a video: moov atom not found";
    server.use(
      http.post(UPLOADS, () => new HttpResponse(null, { status: 201, headers: tusHeaders({ Location: UPLOAD }) })),
      http.patch(UPLOAD, () => apiError(422, "probe_failed", detail, tusHeaders({}))),
    );

    await replaceWith(user, section);

    expect(await within(section).findByTestId("library-replace-error")).toHaveTextContent(
      `Not replaced: ${detail}. The video plays as it did.`,
    );
  });
});
