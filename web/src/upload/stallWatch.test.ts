import { beforeEach, describe, expect, it, vi } from "vitest";
import { STALL_TIMEOUT_MS, StalledRequest, StallWatchingStack } from "./stallWatch";

/** An XMLHttpRequest the test answers, or whose upload it moves, by hand. */
class FakeXhr {
  static last: FakeXhr | null = null;
  upload: { onprogress: ((event: Partial<ProgressEvent>) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  status = 0;
  aborted = 0;
  constructor() {
    FakeXhr.last = this;
  }
  open() {}
  setRequestHeader() {}
  send() {}
  abort() {
    this.aborted += 1;
  }
  getResponseHeader() {
    return null;
  }
  responseText = "";
  /** `loaded` bytes of the body went out. */
  moved(loaded: number) {
    this.upload.onprogress?.({ lengthComputable: true, loaded });
  }
  answer(status: number) {
    this.status = status;
    this.onload?.();
  }
}

function xhr(): FakeXhr {
  if (!FakeXhr.last) throw new Error("no request was made");
  return FakeXhr.last;
}

/** A PATCH sent through the stack; what became of it so far. */
function patch() {
  const request = new StallWatchingStack().createRequest("PATCH", "/api/v1/ingest/uploads/up-1");
  const sent: number[] = [];
  request.setProgressHandler((bytes) => sent.push(bytes));
  const outcome: { answered?: number; failed?: unknown } = {};
  request.send(new Blob(["x"])).then(
    (res) => (outcome.answered = res.getStatus()),
    (err: unknown) => (outcome.failed = err),
  );
  return { request, sent, outcome };
}

beforeEach(() => {
  FakeXhr.last = null;
  vi.stubGlobal("XMLHttpRequest", FakeXhr);
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
});

describe("StallWatchingStack", () => {
  it("gives up a request that has had no sign of life for 30 s: aborted, and failed as stalled", async () => {
    const { outcome } = patch();

    await vi.advanceTimersByTimeAsync(STALL_TIMEOUT_MS - 1);
    expect(outcome).toEqual({});
    await vi.advanceTimersByTimeAsync(1);

    expect(xhr().aborted).toBe(1);
    expect(outcome.failed).toBeInstanceOf(StalledRequest);
    expect((outcome.failed as StalledRequest).silentMs).toBe(30_000);
  });

  it("counts the silence from the last bytes that went out, not from the start", async () => {
    const { sent, outcome } = patch();

    // A slow link: a few bytes every 20 s, for two minutes.
    for (let i = 1; i <= 6; i++) {
      await vi.advanceTimersByTimeAsync(20_000);
      xhr().moved(i * 1000);
    }
    expect(outcome).toEqual({});
    expect(sent).toEqual([1000, 2000, 3000, 4000, 5000, 6000]);

    await vi.advanceTimersByTimeAsync(STALL_TIMEOUT_MS);
    expect(outcome.failed).toBeInstanceOf(StalledRequest);
  });

  it("stops watching once the request is answered, failed, or aborted (a pause)", async () => {
    const answered = patch();
    xhr().answer(204);
    const failed = patch();
    xhr().onerror?.("network");
    const paused = patch();
    await paused.request.abort();
    const pausedXhr = xhr();

    await vi.advanceTimersByTimeAsync(10 * 60_000);

    expect(answered.outcome).toEqual({ answered: 204 });
    expect((failed.outcome.failed as Error).cause).toBe("network");
    // tus ignores what its own abort leaves: unsettled, and aborted once.
    expect(paused.outcome).toEqual({});
    expect(pausedXhr.aborted).toBe(1);
  });
});
