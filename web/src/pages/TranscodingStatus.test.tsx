import { act, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { TranscodingStatus } from "../api/schema";
import { setAccessToken } from "../api/tokenStore";
import { mediaItem, mediaPage } from "../test/fixtures";
import { renderPage, setupUser } from "../test/render";
import { API, apiError, http, ok, recordRequests, sentTo, server, tagList, transcodingStatus } from "../test/server";
import { AdminLibraryPage } from "./AdminLibrary";
import { TRANSCODING_POLL_MS, TranscodingStatusLine } from "./TranscodingStatus";

const TRANSCODING = `${API}/ingest/transcoding`;

/** The queue answers `answers` in turn (the last one again and again). */
function queueSays(...answers: TranscodingStatus[]) {
  let read = 0;
  server.use(http.get(TRANSCODING, () => ok(answers[Math.min(read++, answers.length - 1)]!)));
}

function setHidden(hidden: boolean) {
  Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
  document.dispatchEvent(new Event("visibilitychange"));
}

const noWorker = transcodingStatus({ state: "no_worker", waiting: 3, workers: [] });

beforeEach(() => {
  setAccessToken("tok-admin", 1800);
  vi.useFakeTimers({ shouldAdvanceTime: true });
});

afterEach(() => {
  setHidden(false);
});

describe("TranscodingStatusLine", () => {
  it("says what waits and how many workers run, and reads no more while nothing waits", async () => {
    const seen = recordRequests();
    renderPage(<TranscodingStatusLine />);

    const region = await screen.findByRole("status");
    await waitFor(() => expect(region).toHaveTextContent("Transcoding: nothing waiting · 1 worker"));
    await act(() => vi.advanceTimersByTimeAsync(3 * TRANSCODING_POLL_MS));
    expect(sentTo(seen, "GET", TRANSCODING)).toHaveLength(1);
  });

  it("follows the jobs while they wait, every 10 seconds, and says when all workers are busy", async () => {
    const two = transcodingStatus().workers.concat({ ...transcodingStatus().workers[0]!, id: "fedcba9876543210", running: 1 });
    queueSays(
      transcodingStatus({ state: "busy", waiting: 3, running: 1, workers: two }),
      transcodingStatus({ state: "working", waiting: 0, running: 1, workers: two }),
      transcodingStatus(),
    );
    const seen = recordRequests();
    renderPage(<TranscodingStatusLine />);

    const region = await screen.findByRole("status");
    await waitFor(() =>
      expect(region).toHaveTextContent("Transcoding: 3 waiting, 1 in progress · 2 workers (all busy: more workers would go faster)"),
    );
    await act(() => vi.advanceTimersByTimeAsync(TRANSCODING_POLL_MS));
    await waitFor(() => expect(region).toHaveTextContent("Transcoding: 1 in progress · 2 workers"));
    await act(() => vi.advanceTimersByTimeAsync(TRANSCODING_POLL_MS));
    await waitFor(() => expect(region).toHaveTextContent("Transcoding: nothing waiting · 1 worker"));
    await act(() => vi.advanceTimersByTimeAsync(3 * TRANSCODING_POLL_MS));
    expect(sentTo(seen, "GET", TRANSCODING)).toHaveLength(3);
  });

  it("says what a worker's job waits for while a service it needs is down", async () => {
    const waiting = "waiting: the object store's disk is full (no space left on device) — trying again";
    const worker = { ...transcodingStatus().workers[0]!, running: 1, waiting };
    queueSays(transcodingStatus({ state: "working", running: 1, workers: [worker] }));
    renderPage(<TranscodingStatusLine />);

    const region = await screen.findByRole("status");
    await waitFor(() => expect(region).toHaveTextContent(`Transcoding: 1 in progress · 1 worker · ${waiting}`));
  });

  it("says a job held by a worker that stopped answering is not in progress, and follows it until it is queued again", async () => {
    queueSays(
      transcodingStatus({ state: "working", stranded: 1 }),
      transcodingStatus({ state: "working", running: 1, workers: [{ ...transcodingStatus().workers[0]!, running: 1 }] }),
    );
    renderPage(<TranscodingStatusLine />);

    const region = await screen.findByRole("status");
    await waitFor(() =>
      expect(region).toHaveTextContent("Transcoding: 1 held by a worker that stopped answering (queued again within 60 s) · 1 worker"),
    );
    await act(() => vi.advanceTimersByTimeAsync(TRANSCODING_POLL_MS));
    await waitFor(() => expect(region).toHaveTextContent("Transcoding: 1 in progress · 1 worker"));
  });

  it("warns, in words, when videos wait and no worker runs, until one starts", async () => {
    queueSays(noWorker, transcodingStatus({ state: "working", waiting: 2, running: 1 }));
    renderPage(<TranscodingStatusLine />);

    const region = await screen.findByRole("status");
    await waitFor(() =>
      expect(region).toHaveTextContent(
        "Warning: 3 videos are waiting to be transcoded, but no transcoding worker is running. Start one with streamstack worker (see “Workers” in the README).",
      ),
    );
    expect(region.querySelector("code")).toHaveTextContent("streamstack worker");
    await act(() => vi.advanceTimersByTimeAsync(TRANSCODING_POLL_MS));
    await waitFor(() => expect(region).toHaveTextContent("Transcoding: 2 waiting, 1 in progress · 1 worker"));
    expect(region).not.toHaveTextContent("Warning");
  });

  it("reads nothing while the page is hidden, and reads at once when it shows again", async () => {
    queueSays(noWorker);
    const seen = recordRequests();
    renderPage(<TranscodingStatusLine />);
    await screen.findByText(/no transcoding worker is running/);

    act(() => setHidden(true));
    await act(() => vi.advanceTimersByTimeAsync(3 * TRANSCODING_POLL_MS));
    expect(sentTo(seen, "GET", TRANSCODING)).toHaveLength(1);
    act(() => setHidden(false));
    await waitFor(() => expect(sentTo(seen, "GET", TRANSCODING)).toHaveLength(2));
  });

  it("says when the queue does not answer, and tries again", async () => {
    let read = 0;
    server.use(
      http.get(TRANSCODING, () =>
        read++ === 0 ? apiError(503, "jobs_unavailable", "NATS is unavailable") : ok(transcodingStatus()),
      ),
    );
    renderPage(<TranscodingStatusLine />);

    const region = await screen.findByRole("status");
    await waitFor(() => expect(region).toHaveTextContent("Transcoding: the job queue did not answer; trying again shortly."));
    await act(() => vi.advanceTimersByTimeAsync(TRANSCODING_POLL_MS));
    await waitFor(() => expect(region).toHaveTextContent("Transcoding: nothing waiting · 1 worker"));
  });

  it("is read again in the library as a video there is queued for transcoding", async () => {
    const failed = mediaItem({ id: "f", title: "Broken", playable: false, processing_state: "failed" });
    server.use(
      tagList(),
      http.get(`${API}/catalogue`, () => ok(mediaPage([failed]))),
      http.post(`${API}/ingest/items/f/transcode`, () => ok({ ...failed, processing_state: "queued" })),
    );
    queueSays(transcodingStatus({ workers: [] }), transcodingStatus({ state: "no_worker", waiting: 1, workers: [] }));
    const user = setupUser();
    renderPage(<AdminLibraryPage />, { path: "/admin/library" });
    const region = await screen.findByTestId("transcoding-status");
    await waitFor(() => expect(region).toHaveTextContent("Transcoding: nothing waiting · no worker running"));

    await user.click(await screen.findByRole("button", { name: "Transcode again (Broken)" }));

    await waitFor(() => expect(region).toHaveTextContent("1 video is waiting to be transcoded, but no transcoding worker is running."));
  });

  it("shows above the admins' library", async () => {
    server.use(tagList(), http.get(`${API}/catalogue`, () => ok(mediaPage([]))));
    queueSays(noWorker);
    renderPage(<AdminLibraryPage />, { path: "/admin/library" });

    const region = await screen.findByTestId("transcoding-status");
    await waitFor(() => expect(region).toHaveTextContent("3 videos are waiting to be transcoded"));
  });
});
