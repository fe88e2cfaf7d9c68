// @ts-expect-error -- the browser build, which the page runs (vitest resolves the node one, which reads no File); typed as the package
import { Upload as BrowserUpload } from "tus-js-client/lib.esm/browser/index.js";
import { beforeEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { setAccessToken } from "../api/tokenStore";
import { API, http, HttpResponse, server } from "../test/server";
import { STALL_TIMEOUT_MS } from "./stallWatch";
import { CHUNK_SIZE } from "../api/ingest";
import { sendingKey } from "./otherTab";
import { CANCELLED_ELSEWHERE, MIN_CHUNK_SIZE, SENT_BY_ANOTHER_TAB, nextChunkSize, UploadQueue, type Transfer, type TusUploadClass } from "./useTusUpload";

const Upload = BrowserUpload as TusUploadClass;

// The queue with tus-js-client itself against MSW: what the page's tests drive through a
// stand-in's callbacks, here as the library calls them.
const UPLOADS = `${API}/ingest/uploads`;
const UPLOAD = `${UPLOADS}/up-1`;

/** The headers of a tus answer, with `extra` (Location, Upload-Offset …). */
const tusHeaders = (extra: Record<string, string> = {}) => ({ "Tus-Resumable": "1.0.0", ...extra });

function queueWith(transfers: Transfer[][], size = 1024) {
  const queue = new UploadQueue((snapshot) => transfers.push(snapshot), Upload);
  const file = new File([new Uint8Array(size)], "clip.mp4", { type: "video/mp4", lastModified: 1 });
  queue.start([{ file, metadata: { title: "Clip" } }]);
  return queue;
}

const last = (transfers: Transfer[][]) => transfers.at(-1)?.[0];

beforeEach(() => {
  setAccessToken("tok-admin", 1800);
  localStorage.clear();
  server.use(
    http.post(UPLOADS, () => new HttpResponse(null, { status: 201, headers: tusHeaders({ Location: UPLOAD }) })),
  );
});

describe("UploadQueue with tus-js-client", () => {
  it("gives up on a cancel after about a minute of 423s, and pauses the upload saying it is not cancelled yet", async () => {
    let deletes = 0;
    let patching = false;
    server.use(
      // The PATCH never ends: the cancel aborts it.
      http.patch(UPLOAD, () => {
        patching = true;
        return new Promise<never>(() => undefined);
      }),
      http.delete(UPLOAD, () => {
        deletes += 1;
        return new HttpResponse(null, { status: 423, headers: tusHeaders() });
      }),
    );
    const transfers: Transfer[][] = [];
    const queue = queueWith(transfers);
    await expect.poll(() => patching).toBe(true);
    // tus waits up to 20 s between tries: time runs at once.
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    onTestFinished(() => void vi.useRealTimers());

    const cancelled = queue.cancel();
    for (let i = 0; i < 10; i++) await vi.advanceTimersByTimeAsync(20_000);
    await cancelled;

    expect(deletes).toBe(8);
    expect(last(transfers)).toMatchObject({ phase: "paused", error: null });
    expect(last(transfers)?.notCancelled).toMatch(/^Not cancelled yet: the server is still receiving the last part/);
  });

  it("shows a 423 on a chunk as a retry, then the server's offset once the upload goes on", async () => {
    let patches = 0;
    server.use(
      http.patch(UPLOAD, () => {
        patches += 1;
        if (patches === 1) return new HttpResponse(null, { status: 423, headers: tusHeaders() });
        return new HttpResponse(null, { status: 204, headers: tusHeaders({ "Upload-Offset": "1024" }) });
      }),
      http.head(UPLOAD, () => new HttpResponse(null, { headers: tusHeaders({ "Upload-Offset": "0", "Upload-Length": "1024" }) })),
      http.get(`${API}/ingest/jobs/up-1`, () => HttpResponse.json({ upload_id: "up-1", state: "processing", item: null, error: null })),
    );
    const transfers: Transfer[][] = [];
    const queue = queueWith(transfers);

    await expect.poll(() => last(transfers)?.phase, { timeout: 5000 }).toBe("processing");
    queue.stop();

    const retries = transfers.map((snapshot) => snapshot[0]?.retry).filter(Boolean);
    expect(retries[0]).toMatchObject({ attempt: 1, status: 423 });
    expect(transfers.some((snapshot) => snapshot[0]?.accepted === 1024)).toBe(true);
  });

  it.each([
    ["8", 8_000],
    ["3600", 10_000], // at most 10 s, as the command line waits
  ])("waits the server's Retry-After (%s s) before it tries a 503 again", async (retryAfter, waited) => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const seen = { patches: 0, heads: 0 };
    server.use(
      http.patch(UPLOAD, () => {
        seen.patches += 1;
        if (seen.patches === 1) return new HttpResponse(null, { status: 503, headers: tusHeaders({ "Retry-After": retryAfter }) });
        return new HttpResponse(null, { status: 204, headers: tusHeaders({ "Upload-Offset": "1024" }) });
      }),
      http.head(UPLOAD, () => {
        seen.heads += 1;
        return new HttpResponse(null, { headers: tusHeaders({ "Upload-Offset": "0", "Upload-Length": "1024" }) });
      }),
      http.get(`${API}/ingest/jobs/up-1`, () => HttpResponse.json({ upload_id: "up-1", state: "processing", item: null, error: null })),
    );
    const transfers: Transfer[][] = [];
    const queue = queueWith(transfers);
    await vi.waitFor(() => expect(last(transfers)?.retry).toMatchObject({ attempt: 1, status: 503 }));

    await vi.advanceTimersByTimeAsync(waited - 500);
    expect(seen).toEqual({ patches: 1, heads: 0 });
    await vi.advanceTimersByTimeAsync(500);
    await vi.waitFor(() => expect(last(transfers)?.phase).toBe("processing"));
    queue.stop();
    expect(seen).toEqual({ patches: 2, heads: 1 });
  });

  describe("a PATCH gone silent (a half-open connection: no answer, no error)", () => {
    /** A server whose first PATCH never answers; `pausing`: the page is paused meanwhile. */
    function silentFirstPatch() {
      const seen = { patches: 0, heads: 0 };
      server.use(
        http.patch(UPLOAD, () => {
          seen.patches += 1;
          if (seen.patches === 1) return new Promise<never>(() => undefined);
          return new HttpResponse(null, { status: 204, headers: tusHeaders({ "Upload-Offset": "1024" }) });
        }),
        http.head(UPLOAD, () => {
          seen.heads += 1;
          return new HttpResponse(null, { headers: tusHeaders({ "Upload-Offset": "0", "Upload-Length": "1024" }) });
        }),
        http.get(`${API}/ingest/jobs/up-1`, () => HttpResponse.json({ upload_id: "up-1", state: "processing", item: null, error: null })),
      );
      return seen;
    }

    it("is given up after 30 s, shown as a retry that says so, and the upload goes on to processing", async () => {
      // Faked before tus sends anything: the watch's timer is set as the PATCH goes out.
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
      const seen = silentFirstPatch();
      const transfers: Transfer[][] = [];
      const queue = queueWith(transfers);
      await vi.waitFor(() => expect(seen.patches).toBe(1));

      await vi.advanceTimersByTimeAsync(STALL_TIMEOUT_MS - 1000);
      expect(seen.heads).toBe(0);
      expect(last(transfers)?.retry).toBeFalsy();

      await vi.advanceTimersByTimeAsync(1000);
      await vi.waitFor(() => expect(last(transfers)?.phase).toBe("processing"));
      queue.stop();
      // The retry asked where the upload stands, then sent its bytes again.
      expect(seen).toEqual({ patches: 2, heads: 1 });
      const retries = transfers.map((snapshot) => snapshot[0]?.retry).filter(Boolean);
      expect(retries[0]).toMatchObject({ attempt: 1, status: 0, silentFor: 30 });
    });

    it("is not given up while the upload is paused", async () => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
      const seen = silentFirstPatch();
      const transfers: Transfer[][] = [];
      const queue = queueWith(transfers);
      await vi.waitFor(() => expect(seen.patches).toBe(1));

      queue.pause();
      await vi.advanceTimersByTimeAsync(5 * 60_000);

      expect(last(transfers)).toMatchObject({ phase: "paused", retry: null, error: null });
      expect(seen).toEqual({ patches: 1, heads: 0 });
    });
  });
});

const MiB = 1024 * 1024;

describe("the size of each chunk", () => {
  it("is about four seconds of the link, from 1 MiB to 8 MiB", () => {
    // 0.25 MiB/s: a 1 MiB chunk, confirmed every four seconds (an 8 MiB one took 32 s).
    expect(nextChunkSize(MiB, 4000)).toBe(MIN_CHUNK_SIZE);
    expect(nextChunkSize(MiB, 1000)).toBe(4 * MiB);
    expect(nextChunkSize(MiB, 50)).toBe(CHUNK_SIZE);
    expect(nextChunkSize(MiB, 0)).toBe(CHUNK_SIZE);
  });
});

describe("an upload the server refuses for good", () => {
  /** Uploads a file whose PATCH the server answers `status`; what the browser kept of it after. */
  async function refused(status: number, body: object) {
    server.use(
      http.patch(UPLOAD, () => HttpResponse.json(body, { status, headers: tusHeaders() })),
    );
    const transfers: Transfer[][] = [];
    queueWith(transfers);
    await expect.poll(() => last(transfers)?.phase, { timeout: 5000 }).toBe("failed");
    // The forgetting is not awaited by the page: give it its turn.
    await expect.poll(() => Object.keys(localStorage).filter((key) => key.startsWith("tus::"))).toEqual([]);
    return last(transfers);
  }

  it("is forgotten by the browser when refused as unreadable, so the file starts afresh when picked again", async () => {
    const transfer = await refused(422, { status: 422, code: "unreadable", detail: "The file could not be read as MP4." });
    expect(transfer?.error).toBe("The file could not be read as MP4.");
  });

  it("says in plain words that it was cancelled, on a 410, and is forgotten", async () => {
    const transfer = await refused(410, { status: 410, code: "upload_gone", detail: "this request's hold on the upload lapsed" });
    expect(transfer?.error).toBe(CANCELLED_ELSEWHERE);
  });

  it("is kept, to resume, when the server let go of it after a silence, which is said in plain words", async () => {
    const detail = "this request's hold on the upload lapsed (its client was silent, or another request took the upload over)";
    server.use(http.patch(UPLOAD, () => HttpResponse.json({ status: 409, code: "upload_lease_lost", detail }, { status: 409, headers: tusHeaders() })));
    const transfers: Transfer[][] = [];
    queueWith(transfers);
    await expect.poll(() => last(transfers)?.phase).toBe("failed");
    expect(last(transfers)?.error).toMatch(/^The upload was interrupted: the connection was silent too long, or another tab or window took it over\. The bytes received so far are kept/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(Object.keys(localStorage).filter((key) => key.startsWith("tus::"))).toHaveLength(1);
  });

  it("is kept, to resume, when the connection is lost", async () => {
    server.use(http.patch(UPLOAD, () => HttpResponse.error()), http.head(UPLOAD, () => HttpResponse.error()));
    const transfers: Transfer[][] = [];
    const queue = queueWith(transfers);
    await expect.poll(() => last(transfers)?.retry).toBeTruthy();
    queue.stop();
    expect(Object.keys(localStorage).filter((key) => key.startsWith("tus::"))).toHaveLength(1);
  });
});

describe("a file another tab of this browser is sending", () => {
  // As queueWith's: a file is known by its name, type, size and date.
  const file = () => new File([new Uint8Array(1024)], "clip.mp4", { type: "video/mp4", lastModified: 1 });

  it("is not sent here too: the page says so and asks the server nothing", async () => {
    let created = 0;
    server.use(http.post(UPLOADS, () => void created++));
    localStorage.setItem(sendingKey(file()), JSON.stringify({ tab: "the-other-tab", at: Date.now() }));
    const transfers: Transfer[][] = [];
    queueWith(transfers);

    await expect.poll(() => last(transfers)?.phase).toBe("failed");
    expect(last(transfers)?.error).toBe(SENT_BY_ANOTHER_TAB);
    expect(created).toBe(0);
  });

  it("is sent once the other tab has not said so for a while (closed)", async () => {
    server.use(http.patch(UPLOAD, () => new Promise<never>(() => undefined)));
    localStorage.setItem(sendingKey(file()), JSON.stringify({ tab: "the-other-tab", at: Date.now() - 60_000 }));
    const transfers: Transfer[][] = [];
    const queue = queueWith(transfers);

    await expect.poll(() => last(transfers)?.uploadId).toBe("up-1");
    // Marked as this tab's while it sends, unmarked once it stops.
    expect(localStorage.getItem(sendingKey(file()))).not.toContain("the-other-tab");
    queue.pause();
    expect(localStorage.getItem(sendingKey(file()))).toBeNull();
  });
});
