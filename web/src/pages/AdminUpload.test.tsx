// @ts-expect-error -- the browser build, which the page runs (vitest resolves the node one, which reads no File); typed as the package
import { Upload as BrowserUpload } from "tus-js-client/lib.esm/browser/index.js";
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import type { PreviousUpload, UploadOptions } from "tus-js-client";
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { LIMITS } from "../api/limits";
import type { AcceptedFormat, AcceptedFormats, UnfinishedUpload } from "../api/schema";
import { setAccessToken } from "../api/tokenStore";
import { mediaItem } from "../test/fixtures";
import { renderPage, setupUser } from "../test/render";
import { API, apiError, holdAnswer, http, HttpResponse, ok, recordRequests, sentTo, server, transcodingStatus } from "../test/server";
import { PROCESSING_POLL_MS } from "../lib/useItemPolling";
import { formatDate } from "../lib/format";
import { localInputValue } from "../components/PublishTimeField";
import { StalledRequest } from "../upload/stallWatch";
import { TusClientContext, type TusUploadClass } from "../upload/useTusUpload";
import { Link } from "react-router";
import { AdminUploadPage } from "./AdminUpload";

// A stand-in for tus-js-client's Upload, handed to the page through
// TusClientContext: records what the page asks of it and lets the test drive
// the callbacks.
class FakeUpload {
  static instances: FakeUpload[] = [];
  url: string | null = null;
  started = 0;
  aborts: boolean[] = [];
  resumedFrom: unknown = null;
  constructor(
    public file: File,
    public options: UploadOptions,
  ) {
    FakeUpload.instances.push(this);
  }
  findPreviousUploads(): Promise<PreviousUpload[]> {
    return Promise.resolve([]);
  }
  resumeFromPreviousUpload(previous: PreviousUpload) {
    this.resumedFrom = previous;
  }
  start() {
    this.started += 1;
  }
  abort(shouldTerminate = false) {
    this.aborts.push(shouldTerminate);
    return Promise.resolve();
  }
}
const tus = { FakeUpload };

function uploadPage() {
  return renderPage(
    <TusClientContext value={FakeUpload}>
      <AdminUploadPage />
    </TusClientContext>,
  );
}

const MiB = 1024 * 1024;

/** A tus error as tus-js-client makes it: with the server's answer, or none when it could not be reached. */
function tusError(status: number | null, body = "", headers: Record<string, string> = {}) {
  const getHeader = (name: string) => headers[name];
  const response = status === null ? null : { getStatus: () => status, getBody: () => body, getHeader, getUnderlyingObject: () => null };
  return Object.assign(new Error("tus: failed to upload chunk"), { originalRequest: {}, originalResponse: response }) as never;
}

/** The server confirms it holds `accepted` bytes of the file, as tus reports a chunk done. */
function confirmed(upload: FakeUpload, accepted: number, total = 16 * MiB) {
  act(() => upload.options.onChunkComplete?.(MiB, accepted, total));
}

function lastUpload() {
  const upload = tus.FakeUpload.instances.at(-1);
  if (!upload) throw new Error("no Upload was created");
  return upload;
}

async function chooseAndStart(user: ReturnType<typeof setupUser>, size = 16 * MiB) {
  const file = await chooseAndSubmit(user, size);
  await waitFor(() => expect(lastUpload().started).toBe(1));
  return { file, upload: lastUpload() };
}

/** Chooses a file of `size` bytes, fills the form and presses Upload. */
async function chooseAndSubmit(user: ReturnType<typeof setupUser>, size: number) {
  const file = new File([new Uint8Array(size)], "beach_day.mp4", { type: "video/mp4" });
  await user.upload(screen.getByLabelText("Video or sound file"), file);
  // The title is prefilled from the file name; replace it.
  const title = screen.getByLabelText("Title");
  expect(title).toHaveValue("beach day");
  await user.clear(title);
  await user.type(title, "Beach day");
  await user.type(screen.getByLabelText("Description"), "Waves and sand");
  await user.type(screen.getByLabelText("Tags"), "sea, summer ,sea");
  await user.click(screen.getByRole("radio", { name: /^Keep as a draft/ }));
  await user.click(screen.getByRole("button", { name: "Upload" }));
  return file;
}

const UNFINISHED = `${API}/ingest/uploads`;
const FORMATS = `${API}/ingest/formats`;

/** A kind of file as the server lists it. */
function listed(container: string, kind: AcceptedFormat["kind"], label: string, extensions: string[], type: string) {
  return { container, kind, label, extensions, content_types: [type] };
}

/** A few of the kinds of file the server lists: videos, and the two forms of one container. */
const ACCEPTED: AcceptedFormats = {
  formats: [
    listed("mpegps", "video", "MPEG program stream (MPG, VOB)", ["mpg", "vob"], "video/mpeg"),
    listed("asf", "video", "Windows Media (WMV, ASF)", ["wmv", "asf"], "video/x-ms-asf"),
    listed("asf", "sound", "WMA", ["wma"], "audio/x-ms-wma"),
    listed("flac", "sound", "FLAC", ["flac"], "audio/flac"),
  ],
};
const ACCEPTED_FILES = "video/*,audio/*,.mpg,.vob,.wmv,.asf,.wma,.flac";

/** An upload that stopped half-way, an hour ago. */
function unfinishedUpload(overrides: Partial<UnfinishedUpload>): UnfinishedUpload {
  return {
    id: "up-1",
    file_name: "clip.mp4",
    title: "Clip",
    offset: 8 * MiB,
    length: 16 * MiB,
    created_at: "2026-01-01T10:00:00Z",
    last_activity_at: "2026-01-01T10:05:00Z",
    expires_at: "2026-01-02T10:05:00Z",
    uploader_id: "5b7c6a34-7c34-4b8e-8b53-3f2a3f0f9b10",
    ...overrides,
  };
}

beforeEach(() => {
  tus.FakeUpload.instances = [];
  setAccessToken("tok-admin", 1800);
  // The page lists unfinished uploads under the form: none, unless a test says otherwise;
  // auth knows none of their uploaders (the table keeps their id's prefix).
  server.use(
    http.get(UNFINISHED, () => ok({ items: [], total: 0, limit: 20, offset: 0 })),
    http.get(`${API}/auth/users`, () => ok({ items: [], total: 0, limit: 1, offset: 0 })),
    http.get(FORMATS, () => ok(ACCEPTED)),
  );
});

afterEach(() => {
  vi.useRealTimers();
});

describe("AdminUploadPage", () => {
  it("lists the unfinished uploads under the form", async () => {
    const upload = unfinishedUpload({ id: "up-1", file_name: "old.mp4", title: "Old clip", offset: 2 * MiB, length: 8 * MiB });
    server.use(http.get(UNFINISHED, () => ok({ items: [upload], total: 1, limit: 20, offset: 0 })));
    uploadPage();

    const section = (await screen.findByRole("heading", { name: "Unfinished uploads" })).closest("section")!;
    expect(within(section).getByRole("progressbar", { name: "Received of “Old clip”" })).toHaveAttribute(
      "aria-valuenow",
      "25",
    );
    expect(within(section).getByRole("button", { name: "Cancel “Old clip”" })).toBeEnabled();
  });

  it("reads the unfinished uploads again once an upload of this page finishes", async () => {
    const stopped = unfinishedUpload({ id: "up-7", file_name: "beach_day.mp4", title: "Beach day", offset: 8 * MiB });
    let unfinished = [stopped];
    server.use(
      http.get(UNFINISHED, () => ok({ items: unfinished, total: unfinished.length, limit: 20, offset: 0 })),
      http.get(`${API}/ingest/jobs/up-7`, () =>
        ok({ upload_id: "up-7", state: "done", item: mediaItem({ id: "item-7", title: "Beach day" }), error: null }),
      ),
    );
    const user = setupUser();
    uploadPage();
    expect(await screen.findByRole("heading", { name: "Unfinished uploads" })).toBeInTheDocument();

    const seen = recordRequests();
    // The same file again resumes it, and this time it finishes.
    const { upload } = await chooseAndStart(user);
    act(() => upload.options.onProgress?.(MiB, 16 * MiB));
    // Not read again mid-upload, when the file being sent would be listed with a second Cancel.
    expect(sentTo(seen, "GET", UNFINISHED)).toHaveLength(0);
    unfinished = [];
    upload.url = "/api/v1/ingest/uploads/up-7";
    act(() => upload.options.onSuccess?.({ lastResponse: null as never }));

    expect(await screen.findByTestId("upload-result-link")).toHaveTextContent("Beach day");
    await waitFor(() => expect(screen.queryByRole("heading", { name: "Unfinished uploads" })).not.toBeInTheDocument());
  });

  describe("an unfinished list read during an outage", () => {
    /** The list cannot be read until the test says the server is back. */
    function outage(items: UnfinishedUpload[] = []) {
      let reachable = false;
      server.use(
        http.get(UNFINISHED, () =>
          reachable ? ok({ items, total: items.length, limit: 20, offset: 0 }) : HttpResponse.error(),
        ),
      );
      return () => void (reachable = true);
    }

    it("is read again, its error gone, when the upload gets through after a retry", async () => {
      // The file being sent is listed too: as the one this page sends, with no second Cancel.
      const back = outage([unfinishedUpload({ id: "up-5", title: "Beach day" })]);
      const user = setupUser();
      uploadPage();
      expect(await screen.findByText(/Could not reach the server/)).toBeInTheDocument();
      const { upload } = await chooseAndStart(user);
      upload.url = "/api/v1/ingest/uploads/up-5";
      act(() => upload.options.onUploadUrlAvailable?.());

      act(() => void upload.options.onShouldRetry?.(tusError(null), 0, upload.options));
      back();
      act(() => upload.options.onProgress?.(MiB, 16 * MiB));

      await waitFor(() => expect(screen.queryByText(/Could not reach the server/)).not.toBeInTheDocument());
      expect(await screen.findByTestId("unfinished-upload")).toHaveTextContent("Resuming on this page");
      expect(screen.queryByRole("button", { name: "Cancel “Beach day”" })).not.toBeInTheDocument();
    });

    it("is read again when an upload failed in it is begun again and finishes", async () => {
      const back = outage();
      server.use(http.get(`${API}/ingest/jobs/up-9`, () => ok({ upload_id: "up-9", state: "done", item: null, error: null })));
      const user = setupUser();
      uploadPage();
      const { upload } = await chooseAndStart(user);
      act(() => upload.options.onError?.(tusError(null)));
      expect(await screen.findByText(/Could not reach the server/)).toBeInTheDocument();

      back();
      await user.click(screen.getByRole("button", { name: "Upload" }));
      await waitFor(() => expect(lastUpload()).not.toBe(upload));
      const again = lastUpload();
      again.url = "/api/v1/ingest/uploads/up-9";
      act(() => again.options.onSuccess?.({ lastResponse: null as never }));

      expect(await screen.findByText(/Processing finished/)).toBeInTheDocument();
      await waitFor(() => expect(screen.queryByText(/Could not reach the server/)).not.toBeInTheDocument());
    });
  });

  describe("an earlier upload of the same file", () => {
    const earlier: PreviousUpload = {
      uploadUrl: "/api/v1/ingest/uploads/up-old",
      metadata: { title: "Old title" },
      size: 16 * MiB,
      creationTime: "2026-01-01T10:00:00Z",
      urlStorageKey: "tus::beach",
      parallelUploadUrls: null,
    };
    const file = () => new File([new Uint8Array(16 * MiB)], "beach_day.mp4", { type: "video/mp4" });

    beforeEach(() => {
      vi.spyOn(FakeUpload.prototype, "findPreviousUploads").mockResolvedValue([earlier]);
      onTestFinished(() => {
        vi.restoreAllMocks();
      });
    });

    it("is told of as the file is chosen, its title taken, and resumed by Upload", async () => {
      const unfinished = [
        unfinishedUpload({ id: "up-old", title: "Old title", offset: 2 * MiB }),
        unfinishedUpload({ id: "up-other", title: "Another", offset: 4 * MiB }),
      ];
      server.use(http.get(UNFINISHED, () => ok({ items: unfinished, total: 2, limit: 20, offset: 0 })));
      const user = setupUser();
      uploadPage();
      expect(await screen.findAllByTestId("unfinished-upload")).toHaveLength(2);

      await user.upload(screen.getByLabelText("Video or sound file"), file());
      expect(await screen.findByTestId("upload-resumable")).toHaveTextContent(
        /began on .+ as “Old title” and stopped part-way: Upload resumes it where it stopped/,
      );
      expect(screen.getByLabelText("Title")).toHaveValue("Old title");
      await user.click(screen.getByRole("button", { name: "Upload" }));
      await waitFor(() => expect(lastUpload().started).toBe(1));

      expect(lastUpload().resumedFrom).toBe(earlier);
      // Its row in the unfinished uploads no longer says how far it had got, nor offers a Cancel.
      const [resumed, other] = screen.getAllByTestId("unfinished-upload");
      expect(resumed).toHaveTextContent("Resuming on this page: see its progress above.");
      expect(within(resumed!).queryByRole("progressbar")).not.toBeInTheDocument();
      expect(within(resumed!).queryByRole("button", { name: "Cancel “Old title”" })).not.toBeInTheDocument();
      expect(within(other!).getByRole("button", { name: "Cancel “Another”" })).toBeInTheDocument();
    });

    it("keeps its title over another one typed, and says so", async () => {
      const user = setupUser();
      uploadPage();
      await user.upload(screen.getByLabelText("Video or sound file"), file());
      await screen.findByTestId("upload-resumable");
      const title = screen.getByLabelText("Title");
      await user.clear(title);
      await user.type(title, "Beach day");
      await user.click(screen.getByRole("button", { name: "Upload" }));

      expect(await screen.findByTestId("upload-resumed")).toHaveTextContent(
        "Resuming the upload of this file begun as “Old title”: the video keeps that title",
      );
    });

    it("takes the title typed when the server no longer has it and tus begins anew", async () => {
      const user = setupUser();
      uploadPage();
      await user.upload(screen.getByLabelText("Video or sound file"), file());
      await screen.findByTestId("upload-resumable");
      const title = screen.getByLabelText("Title");
      await user.clear(title);
      await user.type(title, "Beach day");
      await user.click(screen.getByRole("button", { name: "Upload" }));
      await screen.findByTestId("upload-resumed");

      // Its HEAD was answered 404 or 410: tus made a new upload, with the metadata typed.
      const upload = lastUpload();
      upload.url = "/api/v1/ingest/uploads/up-new";
      act(() => upload.options.onUploadUrlAvailable?.());
      expect(screen.queryByTestId("upload-resumed")).not.toBeInTheDocument();
      expect(upload.options.metadata?.title).toBe("Beach day");
    });
  });

  it("configures tus and renders progress with percent and bytes", async () => {
    const user = setupUser();
    uploadPage();

    expect(screen.getByRole("button", { name: "Upload" })).toHaveAttribute("aria-disabled", "true");
    const { file, upload } = await chooseAndStart(user);

    expect(upload.file).toBe(file);
    expect(upload.options.endpoint).toBe("/api/v1/ingest/uploads");
    // Small at first: a slow link shows progress within seconds (see the chunk sizing test).
    expect(upload.options.chunkSize).toBe(MiB);
    // Set per request by onBeforeRequest, never statically (XHR would send both).
    expect(upload.options.headers?.Authorization).toBeUndefined();
    expect(upload.options.metadata).toEqual({
      filename: "beach_day.mp4",
      filetype: "video/mp4",
      title: "Beach day",
      description: "Waves and sand",
      tags: "sea,summer",
      publish: "false",
    });

    const bar = screen.getByRole("progressbar", { name: "Upload progress" });
    expect(bar).toBe(screen.getByTestId("upload-progress"));
    expect(bar).toHaveAttribute("aria-valuenow", "0");

    confirmed(upload, 4 * MiB);
    expect(bar).toHaveAttribute("aria-valuenow", "25");
    expect(bar).toHaveAttribute("aria-valuemin", "0");
    expect(bar).toHaveAttribute("aria-valuemax", "100");
    expect(screen.getByTestId("upload-progress-text")).toHaveTextContent("25 % · 4.0 MiB of 16.0 MiB received by the server");

    confirmed(upload, 16 * MiB);
    expect(bar).toHaveAttribute("aria-valuenow", "100");
    expect(screen.getByTestId("upload-progress-text")).toHaveTextContent("100 % · 16.0 MiB of 16.0 MiB");
  });

  it("asks before a link leaves the page mid-upload, which pauses it", async () => {
    const user = setupUser();
    renderPage(
      <TusClientContext value={FakeUpload}>
        <AdminUploadPage />
        <Link to="/admin/library">Library</Link>
      </TusClientContext>,
      { path: "/admin/upload" },
    );
    const { upload } = await chooseAndStart(user);

    await user.click(screen.getByRole("link", { name: "Library" }));
    const asked = await screen.findByRole("alertdialog", { name: "Leave this page?" });
    expect(asked).toHaveTextContent("An upload is in progress: leaving this page pauses it.");
    await user.click(within(asked).getByRole("button", { name: "Cancel" }));
    expect(screen.getByTestId("location")).toHaveTextContent(/^\/admin\/upload$/);
    expect(upload.aborts).toEqual([]);

    await user.click(screen.getByRole("link", { name: "Library" }));
    await user.click(await screen.findByRole("button", { name: "Leave and pause" }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/admin\/library$/));
  });

  describe("what happens once the upload is done (walk 53 F1)", () => {
    /** Chooses a file and picks one of the three choices. */
    async function chooseWith(user: ReturnType<typeof setupUser>, choice: RegExp) {
      const file = new File([new Uint8Array(MiB)], "ep4.mp4", { type: "video/mp4" });
      await user.upload(screen.getByLabelText("Video or sound file"), file);
      await user.click(screen.getByRole("radio", { name: choice }));
    }

    it("asks in plain sight, publishing by default, and a draft stays a draft", async () => {
      const user = setupUser();
      uploadPage();
      const asked = screen.getByRole("group", { name: "When the upload is done" });
      const choices = within(asked).getAllByRole("radio");
      expect(choices.map((choice) => choice.getAttribute("value"))).toEqual(["publish", "draft", "schedule"]);
      expect(within(asked).getByRole("radio", { name: /^Publish — everyone who can browse sees it/ })).toBeChecked();
      expect(screen.queryByLabelText("Publish at")).not.toBeInTheDocument();
      await chooseWith(user, /^Keep as a draft/);
      await user.click(screen.getByRole("button", { name: "Upload" }));
      await waitFor(() => expect(lastUpload().started).toBe(1));
      expect(lastUpload().options.metadata).toMatchObject({ title: "ep4", publish: "false" });
    });

    it("publishes at once when nothing else is chosen", async () => {
      const user = setupUser();
      uploadPage();
      await user.upload(screen.getByLabelText("Video or sound file"), new File([new Uint8Array(MiB)], "ep1.mp4", { type: "video/mp4" }));
      await user.click(screen.getByRole("button", { name: "Upload" }));
      await waitFor(() => expect(lastUpload().started).toBe(1));
      expect(lastUpload().options.metadata).toMatchObject({ publish: "true" });
      expect(lastUpload().options.metadata).not.toHaveProperty("publish_at");
    });

    it("schedules at the time picked in the user's time zone, and refuses a past one", async () => {
      const user = setupUser();
      uploadPage();
      await chooseWith(user, /^Schedule/);
      const picker = screen.getByLabelText("Publish at");
      expect(picker).toHaveAccessibleDescription(/^In your time zone \(.+\)\.$/);
      fireEvent.change(picker, { target: { value: "2001-01-01T09:00" } });
      await user.click(screen.getByRole("button", { name: "Upload" }));
      expect(picker).toHaveAccessibleDescription(/Pick a time in the future\./);
      expect(tus.FakeUpload.instances.filter((upload) => upload.started > 0)).toHaveLength(0);

      const tomorrowNine = new Date();
      tomorrowNine.setDate(tomorrowNine.getDate() + 1);
      tomorrowNine.setHours(9, 0, 0, 0);
      fireEvent.change(picker, { target: { value: localInputValue(tomorrowNine.toISOString()) } });
      await user.click(screen.getByRole("button", { name: "Upload" }));
      await waitFor(() => expect(lastUpload().started).toBe(1));
      expect(lastUpload().options.metadata).toMatchObject({ publish_at: tomorrowNine.toISOString() });
      expect(lastUpload().options.metadata).not.toHaveProperty("publish");
    });

    it("says when a scheduled upload goes public, not to publish it from the library", async () => {
      const when = "2030-03-04T08:00:00Z";
      const item = mediaItem({ id: "item-7", title: "ep4", status: "draft", publish_at: when, published_at: null });
      server.use(http.get(`${API}/ingest/jobs/up-7`, () => ok({ upload_id: "up-7", state: "done", item, error: null })));
      const user = setupUser();
      uploadPage();
      await chooseWith(user, /^Schedule/);
      fireEvent.change(screen.getByLabelText("Publish at"), { target: { value: "2030-03-04T09:00" } });
      await user.click(screen.getByRole("button", { name: "Upload" }));
      await waitFor(() => expect(lastUpload().started).toBe(1));
      lastUpload().url = "/api/v1/ingest/uploads/up-7";
      act(() => lastUpload().options.onSuccess?.({ lastResponse: null as never }));
      const state = await screen.findByTestId("upload-result-state");
      expect(state).toHaveTextContent(`Draft · goes public ${formatDate(when)}`);
      expect(state.parentElement).not.toHaveTextContent(/publish it from the library/);
    });
  });

  it("tells what is wrong with the tags on their field, and uploads nothing", async () => {
    const user = setupUser();
    uploadPage();
    const file = new File([new Uint8Array(MiB)], "beach_day.mp4", { type: "video/mp4" });
    await user.upload(screen.getByLabelText("Video or sound file"), file);
    await user.type(screen.getByLabelText("Tags"), `sea, ${"x".repeat(41)}`);
    await user.click(screen.getByRole("button", { name: "Upload" }));

    const tags = screen.getByRole("textbox", { name: "Tags" });
    expect(tags).toHaveFocus();
    expect(tags).toHaveAttribute("aria-invalid", "true");
    expect(tags).toHaveAccessibleDescription(expect.stringContaining("Tags can be at most 40 characters"));
    expect(tus.FakeUpload.instances.filter((upload) => upload.started > 0)).toHaveLength(0);
  });

  describe("a title past the limit", () => {
    const longName = `${"a".repeat(238)}.mp4`;
    const MP4 = { type: "video/mp4" };

    it("is cut to the limit when it comes from a long file name, and uploads", async () => {
      const user = setupUser();
      uploadPage();
      await user.upload(screen.getByLabelText("Video or sound file"), new File([new Uint8Array(MiB)], longName, MP4));

      expect(screen.getByLabelText("Title")).toHaveValue("a".repeat(LIMITS.title));
      await user.click(screen.getByRole("button", { name: "Upload" }));
      await waitFor(() => expect(lastUpload().started).toBe(1));
      expect(lastUpload().options.metadata?.title).toBe("a".repeat(LIMITS.title));
    });

    it("is cut for each file of a batch titled after its name", async () => {
      const user = setupUser();
      uploadPage();
      const files = [new File([new Uint8Array(MiB)], longName, MP4), new File([new Uint8Array(MiB)], "short.mp4", MP4)];
      await user.upload(screen.getByLabelText("Video or sound file"), files);
      await user.click(screen.getByRole("button", { name: "Upload" }));

      await waitFor(() => expect(lastUpload().started).toBe(1));
      expect(lastUpload().options.metadata?.title).toBe("a".repeat(LIMITS.title));
    });

    it("is refused on its field before anything is sent when set longer than the field allows", async () => {
      const user = setupUser();
      uploadPage();
      await user.upload(screen.getByLabelText("Video or sound file"), new File([new Uint8Array(MiB)], "clip.mp4", MP4));
      // As a script sets it (maxLength holds only what is typed).
      fireEvent.change(screen.getByLabelText("Title"), { target: { value: "t".repeat(LIMITS.title + 1) } });
      await user.click(screen.getByRole("button", { name: "Upload" }));

      const title = screen.getByRole("textbox", { name: "Title" });
      expect(title).toHaveFocus();
      expect(title).toHaveAttribute("aria-invalid", "true");
      expect(title).toHaveAccessibleDescription(expect.stringContaining("Titles can be at most 200 characters"));
      expect(tus.FakeUpload.instances.filter((upload) => upload.started > 0)).toHaveLength(0);
    });
  });

  it("focuses the upload's status once Upload (gone then) starts it, and says the progress in quarters", async () => {
    const user = setupUser();
    uploadPage();
    const { upload } = await chooseAndStart(user);

    expect(screen.queryByRole("button", { name: "Upload" })).not.toBeInTheDocument();
    const status = screen.getByTestId("upload-status");
    expect(status).toHaveFocus();
    // Only this line is live: the box's every percentage was read out.
    expect(status).not.toHaveAttribute("aria-live");
    const said = screen.getByTestId("upload-said");
    expect(said).toHaveAttribute("aria-live", "polite");
    expect(said).toHaveTextContent("beach_day.mp4: 0 % uploaded");

    confirmed(upload, 3 * MiB);
    expect(screen.getByTestId("upload-progress-text")).toHaveTextContent("18 %");
    expect(said).toHaveTextContent("beach_day.mp4: 0 % uploaded");
    confirmed(upload, 9 * MiB);
    expect(said).toHaveTextContent("beach_day.mp4: 50 % uploaded");
    await user.click(screen.getByRole("button", { name: "Pause" }));
    expect(said).toHaveTextContent("beach_day.mp4: paused at 56 %");
  });

  it("sets a fresh Bearer token on every tus request", async () => {
    const user = setupUser();
    uploadPage();
    const { upload } = await chooseAndStart(user);

    const sent: [string, string][] = [];
    const req = { getMethod: () => "PATCH", setHeader: (k: string, v: string) => void sent.push([k, v]) };
    await upload.options.onBeforeRequest?.(req as never);
    expect(sent).toEqual([["Authorization", "Bearer tok-admin"]]);

    setAccessToken("tok-rotated", 1800);
    sent.length = 0;
    await upload.options.onBeforeRequest?.(req as never);
    expect(sent).toEqual([["Authorization", "Bearer tok-rotated"]]);
  });

  it("pauses, resumes and cancels with termination", async () => {
    const user = setupUser();
    uploadPage();
    const { upload } = await chooseAndStart(user);
    confirmed(upload, 8 * MiB);

    await user.click(screen.getByRole("button", { name: "Pause" }));
    expect(upload.aborts).toEqual([false]);
    expect(screen.getByTestId("upload-progress-text")).toHaveTextContent("50 % · 8.0 MiB of 16.0 MiB received by the server · paused");

    await user.click(screen.getByRole("button", { name: "Resume" }));
    expect(upload.started).toBe(2);
    expect(screen.getByRole("button", { name: "Pause" })).toBeEnabled();

    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(upload.aborts).toEqual([false, true]);
    expect(await screen.findByTestId("upload-cancelled")).toHaveTextContent("Upload cancelled.");
    expect(screen.queryByTestId("upload-progress")).not.toBeInTheDocument();
    // The form is usable again.
    expect(screen.getByRole("button", { name: "Upload" })).not.toHaveAttribute("aria-disabled");
  });

  describe("a cancel the server refuses", () => {
    /** Starts an upload whose DELETE waits until the test settles it. */
    async function cancelPending(user: ReturnType<typeof setupUser>) {
      const { upload } = await chooseAndStart(user);
      confirmed(upload, 8 * MiB);
      let reject: (err: unknown) => void = () => undefined;
      const deleted = new Promise<void>((_, fail) => (reject = fail));
      const deletion = { reject: (err: unknown) => reject(err) };
      upload.abort = (shouldTerminate = false) => {
        upload.aborts.push(shouldTerminate);
        return deleted;
      };
      await user.click(screen.getByRole("button", { name: "Cancel" }));
      expect(await screen.findByTestId("upload-cancelling")).toHaveTextContent("Cancelling…");
      return { upload, deletion };
    }

    it("tries the DELETE again for about a minute while the server is busy, saying nothing of retrying", async () => {
      const user = setupUser();
      uploadPage();
      const { upload } = await cancelPending(user);

      const answers: (boolean | undefined)[] = [];
      act(() => {
        for (let i = 0; i < 8; i++) answers.push(upload.options.onShouldRetry?.(tusError(423), 0, upload.options));
      });
      expect(answers).toEqual([true, true, true, true, true, true, true, false]);
      expect(screen.queryByTestId("upload-retrying")).not.toBeInTheDocument();
    });

    it("shows the upload paused, neither failed nor cancelled, to cancel again or resume, when the server stays busy", async () => {
      const user = setupUser();
      uploadPage();
      const { upload, deletion } = await cancelPending(user);

      act(() => deletion.reject(tusError(423)));

      expect(await screen.findByTestId("upload-not-cancelled")).toHaveTextContent(
        "Not cancelled yet: the server is still receiving the last part. The upload is paused, its bytes kept on the server: press Cancel again in a minute, or Resume.",
      );
      await waitFor(() => expect(screen.getByTestId("upload-not-cancelled")).toHaveFocus());
      // Its bar is where the transfer stopped, not a red "failed" one.
      const bar = screen.getByTestId("upload-progress");
      expect(bar).not.toHaveClass("failed");
      expect(bar).toHaveAttribute("aria-valuetext", "50 %");
      expect(screen.getByTestId("upload-progress-text")).toHaveTextContent(/· paused$/);
      expect(screen.queryByTestId("upload-error")).not.toBeInTheDocument();
      expect(screen.queryByTestId("upload-cancelled")).not.toBeInTheDocument();

      // Cancelled again, now the server lets it go.
      upload.abort = (shouldTerminate = false) => {
        upload.aborts.push(shouldTerminate);
        return Promise.resolve();
      };
      await user.click(screen.getByRole("button", { name: "Cancel" }));
      expect(upload.aborts).toEqual([true, true]);
      expect(await screen.findByTestId("upload-cancelled")).toHaveTextContent("Upload cancelled.");
      expect(screen.queryByTestId("upload-not-cancelled")).not.toBeInTheDocument();
    });

    it("resumes an upload the server would not cancel, from where the server has it", async () => {
      const user = setupUser();
      uploadPage();
      const { upload, deletion } = await cancelPending(user);
      act(() => deletion.reject(tusError(null)));
      expect(await screen.findByTestId("upload-not-cancelled")).toHaveTextContent(
        /^Not cancelled: the server could not be reached\. The upload is paused/,
      );

      await user.click(screen.getByRole("button", { name: "Resume" }));

      expect(upload.started).toBe(2);
      expect(screen.queryByTestId("upload-not-cancelled")).not.toBeInTheDocument();
      expect(screen.getByRole("button", { name: "Pause" })).toBeEnabled();
    });

    it("counts an upload already gone as cancelled", async () => {
      const user = setupUser();
      uploadPage();
      const { deletion } = await cancelPending(user);

      act(() => deletion.reject(tusError(404)));

      expect(await screen.findByTestId("upload-cancelled")).toHaveTextContent("Upload cancelled.");
      expect(screen.queryByTestId("upload-error")).not.toBeInTheDocument();
    });
  });

  it("after the upload polls the job, shows Processing…, then links to the item", async () => {
    const item = mediaItem({ id: "item-42", title: "Beach day" });
    const JOB = `${API}/ingest/jobs/up-123`;
    server.use(
      http.get(JOB, () => ok({ upload_id: "up-123", state: "processing", item: null, error: null }), { once: true }),
      http.get(JOB, () => ok({ upload_id: "up-123", state: "done", item, error: null })),
    );
    const seen = recordRequests();
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const user = setupUser();
    uploadPage();
    const { upload } = await chooseAndStart(user);

    upload.url = "/api/v1/ingest/uploads/up-123";
    act(() => upload.options.onSuccess?.({ lastResponse: null as never }));

    expect(await screen.findByTestId("upload-processing")).toHaveTextContent("Processing…");
    expect(screen.getByTestId("upload-progress")).toHaveAttribute("aria-valuenow", "100");

    await act(() => vi.advanceTimersByTimeAsync(1500));

    const link = await screen.findByTestId("upload-result-link");
    expect(link).toHaveTextContent("Beach day");
    expect(link).toHaveAttribute("href", "/watch/item-42");
    // Where it stands, as a batch's rows say it (and followed while it transcodes).
    expect(screen.getByTestId("upload-result-state")).toHaveTextContent(/^Published$/);
    expect(screen.queryByTestId("upload-processing")).not.toBeInTheDocument();
    const polls = sentTo(seen, "GET", JOB);
    expect(polls).toHaveLength(2);
    expect(polls[0]?.headers.get("Authorization")).toBe("Bearer tok-admin");
  });

  it("says, once an upload waits to be transcoded, when no transcoding worker runs to take it", async () => {
    const item = mediaItem({ id: "item-42", title: "Beach day", processing_state: "queued", playable: false });
    server.use(
      http.get(`${API}/ingest/jobs/up-123`, () => ok({ upload_id: "up-123", state: "done", item, error: null })),
      http.get(`${API}/catalogue/item-42`, () => ok(item)),
      http.get(`${API}/ingest/transcoding`, () => ok(transcodingStatus({ state: "no_worker", waiting: 1, workers: [] }))),
    );
    const user = setupUser();
    uploadPage();
    const { upload } = await chooseAndStart(user);
    expect(screen.queryByTestId("transcoding-status")).not.toBeInTheDocument();

    upload.url = "/api/v1/ingest/uploads/up-123";
    act(() => upload.options.onSuccess?.({ lastResponse: null as never }));

    expect(await screen.findByTestId("upload-result-state")).toHaveTextContent(
      "Published · viewers see it once it is transcoded",
    );
    // The status region shows at once and says its words once the status is read.
    const region = await screen.findByTestId("transcoding-status");
    await waitFor(() =>
      expect(region).toHaveTextContent("1 video is waiting to be transcoded, but no transcoding worker is running."),
    );
  });

  it("shows the processing error when the job fails", async () => {
    server.use(
      http.get(`${API}/ingest/jobs/up-9`, () =>
        ok({ upload_id: "up-9", state: "failed", item: null, error: "No video stream found" }),
      ),
    );
    const user = setupUser();
    uploadPage();
    const { upload } = await chooseAndStart(user);

    upload.url = "http://localhost/api/v1/ingest/uploads/up-9";
    act(() => upload.options.onSuccess?.({ lastResponse: null as never }));

    expect(await screen.findByTestId("upload-error")).toHaveTextContent("No video stream found");
    expect(screen.queryByTestId("upload-result-link")).not.toBeInTheDocument();
    // Its bar, full as every sent file's, says it failed.
    expect(screen.getByTestId("upload-progress")).toHaveAttribute("aria-valuetext", "100 %, failed");
    expect(screen.getByTestId("upload-progress-text")).toHaveTextContent(/· failed$/);
  });

  it("shows the server's detail when tus reports an error", async () => {
    const user = setupUser();
    uploadPage();
    const { upload } = await chooseAndStart(user);

    const response = {
      getStatus: () => 413,
      getBody: () => JSON.stringify({ status: 413, code: "too_large", detail: "The file exceeds 10 GiB" }),
      getHeader: () => undefined,
      getUnderlyingObject: () => null,
    };
    act(() => upload.options.onError?.(Object.assign(new Error("tus: unexpected response"), { originalResponse: response })));

    expect(await screen.findByTestId("upload-error")).toHaveTextContent("The file exceeds 10 GiB");
    expect(screen.getByRole("button", { name: "Upload" })).not.toHaveAttribute("aria-disabled");
  });

  it("retries a lost connection or a busy server for over two minutes, at most 20 s apart", async () => {
    const user = setupUser();
    uploadPage();
    const { upload } = await chooseAndStart(user);

    const delays = upload.options.retryDelays ?? [];
    expect(delays.reduce((sum, ms) => sum + ms, 0)).toBeGreaterThanOrEqual(120_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(20_000);
    const retries = (status: number | null) => {
      let answer: boolean | undefined;
      act(() => void (answer = upload.options.onShouldRetry?.(tusError(status), 0, upload.options)));
      return answer;
    };
    expect(retries(null)).toBe(true);
    expect(retries(423)).toBe(true);
    expect(retries(503)).toBe(true);
    expect(retries(400)).toBe(false);
  });

  it("says while tus retries when it tries again, and goes back to the progress once bytes move", async () => {
    const user = setupUser();
    uploadPage();
    const { upload } = await chooseAndStart(user);
    confirmed(upload, 4 * MiB);
    const said = screen.getByTestId("upload-said");

    act(() => void upload.options.onShouldRetry?.(tusError(null), 3, upload.options));
    expect(screen.getByTestId("upload-retrying")).toHaveTextContent("Connection lost — retrying in 5 seconds (attempt 4)");
    expect(said).toHaveTextContent("beach_day.mp4: connection lost, retrying (attempt 4)");
    const bar = screen.getByRole("progressbar", { name: "Upload progress" });
    expect(bar).toHaveAttribute("aria-valuetext", "25 %, retrying");

    act(() => void upload.options.onShouldRetry?.(tusError(423), 4, upload.options));
    expect(screen.getByTestId("upload-retrying")).toHaveTextContent(
      "The server is still busy with the last part — retrying in 10 seconds (attempt 5)",
    );

    act(() => upload.options.onProgress?.(4.5 * MiB, 16 * MiB));
    expect(screen.queryByTestId("upload-retrying")).not.toBeInTheDocument();
    confirmed(upload, 5 * MiB);
    expect(said).toHaveTextContent("beach_day.mp4: 25 % uploaded");
    expect(bar).toHaveAttribute("aria-valuetext", "31 %");
  });

  it("says it waits the server's Retry-After before trying again, 10 seconds at most", async () => {
    const user = setupUser();
    uploadPage();
    const { upload } = await chooseAndStart(user);
    const unavailable = (retryAfter: string) => tusError(503, "", { "Retry-After": retryAfter });

    act(() => void upload.options.onShouldRetry?.(unavailable("8"), 0, upload.options));
    expect(screen.getByTestId("upload-retrying")).toHaveTextContent(/retrying in 8 seconds \(attempt 1\)/);
    expect(upload.options.retryDelays?.[0]).toBe(8_000);

    act(() => void upload.options.onShouldRetry?.(unavailable("120"), 1, upload.options));
    expect(screen.getByTestId("upload-retrying")).toHaveTextContent(/retrying in 10 seconds \(attempt 2\)/);
    // A later try's own wait, longer than the server's, stays.
    act(() => void upload.options.onShouldRetry?.(unavailable("8"), 6, upload.options));
    expect(screen.getByTestId("upload-retrying")).toHaveTextContent(/retrying in 20 seconds \(attempt 7\)/);
  });

  it("says the server's own reason while tus retries, as the command line does", async () => {
    const user = setupUser();
    uploadPage();
    const { upload } = await chooseAndStart(user);
    const detail = "the object store's disk is full (no space left on device)";
    const full = tusError(503, JSON.stringify({ status: 503, code: "storage_unavailable", detail }));

    act(() => void upload.options.onShouldRetry?.(full, 4, upload.options));

    expect(screen.getByTestId("upload-retrying")).toHaveTextContent(
      `The server could not take it: ${detail} — retrying in 10 seconds (attempt 5). The upload goes on where it stopped.`,
    );
    act(() => void upload.options.onShouldRetry?.(tusError(503, "<html>busy</html>"), 4, upload.options));
    expect(screen.getByTestId("upload-retrying")).toHaveTextContent("The server could not take it (HTTP 503) — retrying");
  });

  it("says when a try was given up for no answer, and why the upload stopped if that lasts", async () => {
    const user = setupUser();
    uploadPage();
    const { upload } = await chooseAndStart(user);
    act(() => upload.options.onProgress?.(4 * MiB, 16 * MiB));
    const silent = Object.assign(tusError(null), { causingError: new StalledRequest(30_000) });

    act(() => void upload.options.onShouldRetry?.(silent, 0, upload.options));
    expect(screen.getByTestId("upload-retrying")).toHaveTextContent(
      "No answer from the server for 30 s — retrying now (attempt 1). The upload goes on where it stopped.",
    );
    expect(screen.getByTestId("upload-said")).toHaveTextContent(
      "beach_day.mp4: no answer from the server for 30 s, retrying (attempt 1)",
    );

    act(() => upload.options.onError?.(silent));
    expect(await screen.findByTestId("upload-error")).toHaveTextContent(
      /^The upload stopped: no answer from the server for 30 s\. Check your connection\. The bytes received so far are kept/,
    );
  });

  it("gives up a PATCH gone silent after 30 s, says so, and goes on (tus-js-client itself)", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"], shouldAdvanceTime: true });
    const UPLOAD = `${UNFINISHED}/up-7`;
    const tusHeaders = (extra: Record<string, string>) => ({ "Tus-Resumable": "1.0.0", ...extra });
    const head = holdAnswer();
    let patches = 0;
    server.use(
      http.post(UNFINISHED, () => new HttpResponse(null, { status: 201, headers: tusHeaders({ Location: UPLOAD }) })),
      // The first PATCH is never answered, nor does it fail: a half-open connection.
      http.patch(UPLOAD, () =>
        ++patches === 1
          ? new Promise<never>(() => undefined)
          : new HttpResponse(null, { status: 204, headers: tusHeaders({ "Upload-Offset": "1024" }) }),
      ),
      http.head(UPLOAD, async () => {
        await head.held;
        return new HttpResponse(null, { headers: tusHeaders({ "Upload-Offset": "0", "Upload-Length": "1024" }) });
      }),
      http.get(`${API}/ingest/jobs/up-7`, () => ok({ upload_id: "up-7", state: "processing", item: null, error: null })),
    );
    const user = setupUser();
    renderPage(
      <TusClientContext value={BrowserUpload as TusUploadClass}>
        <AdminUploadPage />
      </TusClientContext>,
    );
    await chooseAndSubmit(user, 1024);
    await waitFor(() => expect(patches).toBe(1));

    await act(() => vi.advanceTimersByTimeAsync(29_000));
    expect(screen.queryByTestId("upload-retrying")).not.toBeInTheDocument();
    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(await screen.findByTestId("upload-retrying")).toHaveTextContent(
      "No answer from the server for 30 s — retrying now (attempt 1)",
    );

    head.release();
    expect(await screen.findByTestId("upload-processing")).toHaveTextContent("Processing…");
    expect(patches).toBe(2);
  });

  it("shows only what the server confirmed, behind the bytes the browser sent, with its speed and time left", async () => {
    const user = setupUser();
    uploadPage();
    const { upload } = await chooseAndStart(user);
    vi.useFakeTimers({ toFake: ["Date"] });
    const text = () => screen.getByTestId("upload-progress-text");
    const patch = { getMethod: () => "PATCH", setHeader: () => undefined };

    // A buffering proxy takes the whole chunk at once: the server has confirmed nothing.
    await act(() => upload.options.onBeforeRequest?.(patch as never));
    act(() => upload.options.onProgress?.(MiB, 16 * MiB));
    expect(text()).toHaveTextContent(/^0 % · 0 B of 16.0 MiB received by the server$/);
    expect(screen.queryByTestId("upload-time-left")).not.toBeInTheDocument();

    vi.advanceTimersByTime(4000);
    confirmed(upload, MiB);
    // 1 MiB confirmed in 4 s; 15 MiB to go.
    expect(text()).toHaveTextContent(/^6 % · 1.0 MiB of 16.0 MiB received by the server$/);
    expect(screen.getByTestId("upload-time-left")).toHaveTextContent("256 KiB/s · about 1:00 left");
    // Everything sent, not yet confirmed: never 100 %.
    act(() => upload.options.onProgress?.(16 * MiB, 16 * MiB));
    expect(screen.getByRole("progressbar", { name: "Upload progress" })).toHaveAttribute("aria-valuenow", "6");

    // A failure: the server's offset (HEAD) is what is shown.
    act(() => void upload.options.onShouldRetry?.(tusError(null), 0, upload.options));
    expect(screen.queryByTestId("upload-time-left")).not.toBeInTheDocument();
    const head = { getMethod: () => "HEAD" };
    const offset = { getHeader: (name: string) => (name === "Upload-Offset" ? String(0.5 * MiB) : undefined) };
    await act(() => upload.options.onAfterResponse?.(head as never, offset as never));
    expect(text()).toHaveTextContent(/^3 % · 512 KiB of 16.0 MiB received by the server$/);
  });

  it("sizes each chunk to a few seconds of the link, so that a slow one is confirmed every few seconds", async () => {
    const user = setupUser();
    uploadPage();
    const { upload } = await chooseAndStart(user);
    vi.useFakeTimers({ toFake: ["Date"] });
    const patch = { getMethod: () => "PATCH", setHeader: () => undefined };
    /** A chunk of `bytes` goes and is confirmed `ms` later. */
    async function chunk(bytes: number, ms: number, accepted: number) {
      await act(() => upload.options.onBeforeRequest?.(patch as never));
      vi.advanceTimersByTime(ms);
      act(() => upload.options.onChunkComplete?.(bytes, accepted, 16 * MiB));
    }

    expect(upload.options.chunkSize).toBe(MiB);
    await chunk(MiB, 100, MiB);
    expect(upload.options.chunkSize).toBe(8 * MiB);
    // The link slows to 0.25 MiB/s: 8 MiB took 32 s, the next chunk is 1 MiB.
    await chunk(8 * MiB, 32_000, 9 * MiB);
    expect(upload.options.chunkSize).toBe(MiB);
    await chunk(MiB, 2000, 10 * MiB);
    expect(upload.options.chunkSize).toBe(2 * MiB);
  });

  it("says the bytes are kept and how to resume when the retries run out", async () => {
    const user = setupUser();
    uploadPage();
    const { upload } = await chooseAndStart(user);

    const locked = JSON.stringify({ status: 423, code: "locked", detail: "The upload is busy." });
    act(() => upload.options.onError?.(tusError(423, locked)));

    expect(await screen.findByTestId("upload-error")).toHaveTextContent(
      "The upload is busy. The bytes received so far are kept: press Upload with the same file to resume where it stopped.",
    );
  });

  it("queues several files and uploads them one after another", async () => {
    const items = {
      "up-a": mediaItem({ id: "item-a", title: "first clip", status: "draft", processing_state: "queued" }),
      "up-b": mediaItem({ id: "item-b", title: "second clip" }),
    };
    server.use(
      http.get(`${API}/ingest/jobs/:id`, ({ params }) => {
        const id = String(params.id) as keyof typeof items;
        return ok({ upload_id: id, state: "done", item: items[id], error: null });
      }),
    );
    const user = setupUser();
    uploadPage();
    const files = [
      new File([new Uint8Array(MiB)], "first_clip.mp4", { type: "video/mp4" }),
      new File([new Uint8Array(2 * MiB)], "second_clip.webm", { type: "video/webm" }),
    ];
    await user.upload(screen.getByLabelText("Video or sound file"), files);
    // Several files: each is titled after its name, no single Title field.
    expect(screen.queryByLabelText("Title")).not.toBeInTheDocument();
    await user.type(screen.getByLabelText("Tags"), "batch");
    await user.click(screen.getByRole("button", { name: "Upload" }));

    await waitFor(() => expect(tus.FakeUpload.instances).toHaveLength(1));
    const first = lastUpload();
    expect(first.file).toBe(files[0]);
    expect(first.options.metadata).toMatchObject({ title: "first clip", tags: "batch" });
    const queue = screen.getByRole("list", { name: "Uploads" });
    expect(within(queue).getAllByRole("listitem")[1]).toHaveTextContent("Waiting");

    // The second starts only when the first has finished processing.
    first.url = "/api/v1/ingest/uploads/up-a";
    act(() => first.options.onSuccess?.({ lastResponse: null as never }));
    await waitFor(() => expect(tus.FakeUpload.instances).toHaveLength(2));
    const second = lastUpload();
    expect(second.file).toBe(files[1]);
    expect(second.options.metadata).toMatchObject({ title: "second clip", filetype: "video/webm" });
    await waitFor(() => expect(second.started).toBe(1));

    second.url = "/api/v1/ingest/uploads/up-b";
    act(() => second.options.onSuccess?.({ lastResponse: null as never }));

    const links = await screen.findAllByTestId("upload-result-link");
    await waitFor(() => expect(screen.getAllByTestId("upload-result-link")).toHaveLength(2));
    expect(links[0]).toHaveAttribute("href", "/watch/item-a");
    expect(screen.getAllByTestId("upload-result-link")[1]).toHaveAttribute("href", "/watch/item-b");
    // Each row says where its video stands, its title once (the link).
    const states = screen.getAllByTestId("upload-result-state").map((s) => s.textContent);
    expect(states).toEqual(["Draft · waiting to be transcoded", "Published"]);
    expect(within(queue).getAllByRole("listitem")[0]).toHaveTextContent(/^first clipDraft · waiting to be transcoded$/);
    expect(screen.getByRole("button", { name: "Upload more videos" })).toBeInTheDocument();
  });

  it("says which files of a batch failed, once all have settled, not the last one's reason alone", async () => {
    const jobs: Record<string, { state: string; item: ReturnType<typeof mediaItem> | null; error: string | null }> = {
      "up-a": { state: "failed", item: null, error: "the file is not a supported video" },
      "up-b": { state: "done", item: mediaItem({ id: "item-b", title: "good" }), error: null },
      "up-c": { state: "failed", item: null, error: "the file could not be read as MP4" },
    };
    server.use(
      http.get(`${API}/ingest/jobs/:id`, ({ params }) => ok({ upload_id: String(params.id), ...jobs[String(params.id)] })),
    );
    const user = setupUser();
    uploadPage();
    const names = ["broken.mp4", "good.mp4", "truncated.mp4"];
    await user.upload(
      screen.getByLabelText("Video or sound file"),
      names.map((name) => new File([new Uint8Array(16)], name, { type: "video/mp4" })),
    );
    await user.click(screen.getByRole("button", { name: "Upload" }));
    for (const [i, id] of ["up-a", "up-b", "up-c"].entries()) {
      await waitFor(() => expect(tus.FakeUpload.instances).toHaveLength(i + 1));
      const upload = lastUpload();
      upload.url = `/api/v1/ingest/uploads/${id}`;
      act(() => upload.options.onSuccess?.({ lastResponse: null as never }));
      // While the batch goes on, each reason stays on its own row.
      if (i < 2) await waitFor(() => expect(screen.queryByTestId("upload-error")).not.toBeInTheDocument());
    }

    const error = await screen.findByTestId("upload-error");
    expect(error).toHaveTextContent("2 of 3 files failed (broken.mp4, truncated.mp4); each one's reason is in the list above.");
    const rows = within(screen.getByRole("list", { name: "Uploads" })).getAllByRole("listitem");
    expect(rows[0]).toHaveTextContent("Failed: the file is not a supported video");
    expect(rows[2]).toHaveTextContent("Failed: the file could not be read as MP4");
  });

  /** Two files uploaded as one batch (uploads up-a, up-b), on a clock that polls: their rows once both are in. */
  async function uploadTwo(first: string, second: string) {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const user = setupUser();
    uploadPage();
    await user.upload(screen.getByLabelText("Video or sound file"), [
      new File([new Uint8Array(16)], first, { type: "video/mp4" }),
      new File([new Uint8Array(16)], second, { type: "video/mp4" }),
    ]);
    await user.click(screen.getByRole("button", { name: "Upload" }));
    for (const [i, id] of ["up-a", "up-b"].entries()) {
      await waitFor(() => expect(tus.FakeUpload.instances).toHaveLength(i + 1));
      const upload = lastUpload();
      upload.url = `/api/v1/ingest/uploads/${id}`;
      act(() => upload.options.onSuccess?.({ lastResponse: null as never }));
    }
    await waitFor(() => expect(screen.getAllByTestId("upload-result-state")).toHaveLength(2));
  }

  it("says whether viewers see each uploaded video: not until it plays, never when it cannot play", async () => {
    const waiting = { status: "published", processing_state: "queued", playable: false } as const;
    const items = {
      "up-a": mediaItem({ id: "item-a", title: "damaged", ...waiting }),
      "up-b": mediaItem({ id: "item-b", title: "as uploaded", processing_state: "queued" }),
    };
    server.use(
      http.get(`${API}/ingest/jobs/:id`, ({ params }) => {
        const id = String(params.id) as keyof typeof items;
        return ok({ upload_id: id, state: "done", item: items[id], error: null });
      }),
      http.get(`${API}/catalogue/item-a`, () =>
        ok({ ...items["up-a"], processing_state: "failed", processing_detail: "the file could not be read" }),
      ),
      http.get(`${API}/catalogue/item-b`, () =>
        ok({ ...items["up-b"], processing_state: "failed", processing_detail: "encoding the video failed" }),
      ),
    );
    await uploadTwo("damaged.mp4", "as_uploaded.mp4");
    const [damaged, asUploaded] = screen.getAllByTestId("upload-result-state");
    expect(damaged).toHaveTextContent(/^Published · viewers see it once it is transcoded$/);
    expect(asUploaded).toHaveTextContent(/^Published · waiting to be transcoded$/);

    await act(() => vi.advanceTimersByTimeAsync(PROCESSING_POLL_MS));
    await waitFor(() =>
      expect(damaged).toHaveTextContent(/^Published, but it cannot play: transcoding failed \(see the library\)$/),
    );
    expect(damaged).toHaveClass("form-error");
    expect(asUploaded).toHaveTextContent(/^Published · transcoding failed, it plays as uploaded \(see the library\)$/);
    expect(asUploaded).not.toHaveClass("form-error");
  });

  it("follows each uploaded file of a batch until its transcoding is over", async () => {
    const queued = mediaItem({ id: "item-a", title: "first clip", status: "draft", processing_state: "queued" });
    const items = { "up-a": queued, "up-b": mediaItem({ id: "item-b", title: "second clip" }) };
    server.use(
      http.get(`${API}/ingest/jobs/:id`, ({ params }) => {
        const id = String(params.id) as keyof typeof items;
        return ok({ upload_id: id, state: "done", item: items[id], error: null });
      }),
      http.get(
        `${API}/catalogue/item-a`,
        () => ok({ ...queued, processing_state: "processing", processing_percent: 40, processing_detail: "attempt 1 of 5 failed (out of memory): trying again" }),
        { once: true },
      ),
      http.get(`${API}/catalogue/item-a`, () => ok({ ...queued, processing_state: "ready" })),
    );
    await uploadTwo("first_clip.mp4", "second_clip.mp4");
    // Waiting in the queue is not being transcoded: a worker at it says how far it is.
    expect(screen.getAllByTestId("upload-result-state")[0]).toHaveTextContent(/^Draft · waiting to be transcoded$/);

    await act(() => vi.advanceTimersByTimeAsync(PROCESSING_POLL_MS));
    const failing = /^Draft · transcoding 40 % · attempt 1 of 5 failed \(out of memory\): trying again$/;
    await waitFor(() => expect(screen.getAllByTestId("upload-result-state")[0]).toHaveTextContent(failing));
    await act(() => vi.advanceTimersByTimeAsync(PROCESSING_POLL_MS));
    await waitFor(() => expect(screen.getAllByTestId("upload-result-state")[0]).toHaveTextContent(/^Draft$/));
  });

  it("takes a file of sound alone without a warning, and warns of a file that is neither", async () => {
    const user = setupUser({ applyAccept: false });
    uploadPage();
    const input = screen.getByLabelText("Video or sound file");
    await waitFor(() => expect(input).toHaveAttribute("accept", ACCEPTED_FILES));
    await user.upload(input, new File([new Uint8Array(16)], "talk.flac", { type: "audio/flac" }));
    expect(screen.getByTestId("upload-file-names")).toHaveTextContent("talk.flac");
    expect(screen.queryByText(/does not look like/)).not.toBeInTheDocument();
    await user.upload(input, new File([new Uint8Array(16)], "notes.txt", { type: "text/plain" }));
    expect(screen.getByText(/notes\.txt does not look like a video or sound file/)).toBeInTheDocument();
  });

  it("offers the files the server lists, and doubts only a file of none of their endings", async () => {
    const user = setupUser({ applyAccept: false });
    uploadPage();
    const input = screen.getByLabelText("Video or sound file");
    // Until the server answers: any video or sound.
    expect(input).toHaveAttribute("accept", "video/*,audio/*");

    await waitFor(() => expect(input).toHaveAttribute("accept", ACCEPTED_FILES));
    // A browser may not type a DVD's .vob or a .wma as video or sound: their endings vouch for them.
    const dvd = new File([new Uint8Array(16)], "Holiday.VOB", { type: "application/octet-stream" });
    const song = new File([new Uint8Array(16)], "song.wma", { type: "application/x-unknown" });
    await user.upload(input, [dvd, song]);
    expect(screen.getByTestId("upload-file-names")).toHaveTextContent("Holiday.VOB");
    expect(screen.queryByText(/does not look like/)).not.toBeInTheDocument();
    await user.upload(input, new File([new Uint8Array(16)], "slides.pptx", { type: "application/octet-stream" }));
    expect(screen.getByText(/slides\.pptx does not look like a video or sound file/)).toBeInTheDocument();
  });

  it("offers any video or sound and doubts no file when the server cannot list its formats", async () => {
    server.use(http.get(FORMATS, () => apiError(503, "unavailable", "A backend is down")));
    const failed = new Promise<void>((resolve) =>
      server.events.on("response:mocked", ({ request }) => {
        if (new URL(request.url).pathname === FORMATS) resolve();
      }),
    );
    const user = setupUser({ applyAccept: false });
    uploadPage();
    // Loading and failed look alike by design: let the failure reach the page before looking.
    await act(() => failed);
    await act(() => new Promise((resolve) => setTimeout(resolve, 20)));

    const input = screen.getByLabelText("Video or sound file");
    expect(input).toHaveAttribute("accept", "video/*,audio/*");
    await user.upload(input, new File([new Uint8Array(16)], "notes.txt", { type: "text/plain" }));
    expect(screen.getByTestId("upload-file-names")).toHaveTextContent("notes.txt");
    expect(screen.queryByText(/does not look like/)).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Upload" }));
    await waitFor(() => expect(lastUpload().started).toBe(1));
    expect(lastUpload().file.name).toBe("notes.txt");
  });

  it("brings an upload error into view and focuses it", async () => {
    const scrolled = vi.fn();
    // jsdom lays nothing out and has no scrollIntoView: record the call instead.
    Element.prototype.scrollIntoView = scrolled;
    onTestFinished(() => {
      delete (Element.prototype as Partial<Element>).scrollIntoView;
    });
    const user = setupUser();
    uploadPage();
    const { upload } = await chooseAndStart(user);

    act(() => upload.options.onError?.(new Error("tus: failed to upload chunk")));

    const error = await screen.findByTestId("upload-error");
    expect(error).toHaveTextContent("the server could not be reached");
    expect(error).toHaveTextContent("The bytes received so far are kept: press Upload with the same file to resume");
    await waitFor(() => expect(error).toHaveFocus());
    expect(scrolled).toHaveBeenCalledTimes(1);
    expect(scrolled.mock.contexts[0]).toBe(error);
  });
});
