import { createContext, use, useEffect, useState } from "react";
import { Upload, type DetailedError, type HttpRequest, type PreviousUpload, type UploadOptions } from "tus-js-client";
import { getFreshAccessToken, refreshAccessToken } from "../api/client";
import { errorMessage, parseRetryAfter, waitMs } from "../api/errors";
import { CHUNK_SIZE, getJob, TUS_ENDPOINT, uploadIdFromUrl } from "../api/ingest";
import type { MediaItem, ReplaceCheck } from "../api/schema";
import { useLeaveWarning } from "../lib/useLeaveWarning";
import { markSending, sentByAnotherTab } from "./otherTab";
import { StallWatchingStack, stalledRequestOf } from "./stallWatch";
import { sleep } from "../lib/sleep";

export type TransferPhase =
  | "queued"
  | "uploading"
  | "paused"
  | "cancelling"
  | "processing"
  | "done"
  | "failed"
  | "cancelled";

/** One file of an upload, as the page shows it. */
export interface Transfer {
  file: File;
  title: string;
  phase: TransferPhase;
  /**
   * Bytes the server confirmed it holds (its Upload-Offset, after each chunk and on resuming):
   * the one progress shown. The browser's own count of bytes sent ran ahead of it behind a
   * buffering proxy, saying 100 % while a fifth of the file was still to go.
   */
  accepted: number;
  /** Bytes a second the server confirmed over the last few seconds; null until known, or while nothing moves. */
  rate: number | null;
  total: number;
  error: string | null;
  result: MediaItem | null;
  /** Done replacing an item's file: what the server says was made for the old file, to check (null otherwise). */
  checks?: ReplaceCheck[] | null;
  /** The title an earlier upload of this file was begun with, when this one resumes it under another. */
  resumedAs?: string;
  /** The server's id of the earlier upload this one resumes. */
  resumes?: string;
  /** The server's id of this upload, once it has one. */
  uploadId?: string;
  /** The transfer broke and tus tries again: nothing moves until then. */
  retry?: Retry | null;
  /** Why the server did not cancel it when asked: the transfer is paused, its bytes kept there. */
  notCancelled?: string | null;
}

/** A try that failed for a passing reason (network lost, server busy), and when the next one starts. */
export interface Retry {
  /** Which try comes next since bytes last moved: 1 for the first retry. */
  attempt: number;
  /** The HTTP status the last try got; 0 when the server could not be reached. */
  status: number;
  /** When the next try starts (epoch ms). */
  at: number;
  /** Seconds the last try went without a sign of life before it was given up (a connection gone silent). */
  silentFor?: number;
  /** The server's own words for the failure (its error body's `detail`): "the object store's disk is full …". */
  detail?: string;
}

/**
 * What to upload: the file and its tus metadata (title, description, tags, publish; or
 * `replaces`, the id of the item whose video file it becomes, its title only shown here).
 */
export interface UploadItem {
  file: File;
  metadata: Record<string, string> & { title: string; replaces?: string };
}

/** The part of tus-js-client's Upload the queue uses. */
export type TusTransfer = Pick<
  Upload,
  "url" | "options" | "start" | "abort" | "findPreviousUploads" | "resumeFromPreviousUpload"
>;
export type TusUploadClass = new (file: File, options: UploadOptions) => TusTransfer;

/**
 * The earlier upload of this file that this browser may resume (tus keeps its URL by the
 * file's name, type, size and date), else null; none without URL storage (private mode).
 */
async function resumableUpload(upload: TusTransfer): Promise<PreviousUpload | null> {
  try {
    return (await upload.findPreviousUploads()).find((p) => p.uploadUrl !== null) ?? null;
  } catch {
    return null;
  }
}

/** The earlier upload of `file` this browser may resume, asked before any upload starts. */
export function resumableUploadOf(Client: TusUploadClass, file: File): Promise<PreviousUpload | null> {
  return resumableUpload(new Client(file, { endpoint: TUS_ENDPOINT }));
}

/**
 * Which tus client uploads: tus-js-client's Upload, unless a provider says
 * otherwise (the page's tests drive a stand-in through its callbacks).
 */
export const TusClientContext = createContext<TusUploadClass>(Upload);

export const POLL_INITIAL_MS = 1000;
export const POLL_MAX_MS = 5000;
const POLL_MAX_FAILURES = 5;
/**
 * How long to wait before each new try of a broken transfer. They add up to over two
 * minutes: a server restarting holds the dead request's lock (423) for up to 90 s, and a
 * dropped connection often comes back within a minute or two; the tries begin anew once
 * bytes move again. Nineteen seconds of tries, as before, gave up on both.
 */
export const RETRY_DELAYS_MS = [0, 1000, 3000, 5000, 10_000, 15_000, 20_000, 20_000, 20_000, 20_000, 20_000, 20_000];
/** The longest Retry-After (s) a retry waits, as the command line's uploads do. */
const RETRY_AFTER_MAX_S = 10;
const TERMINAL: readonly TransferPhase[] = ["done", "failed", "cancelled"];

export function isTerminal(phase: TransferPhase): boolean {
  return TERMINAL.includes(phase);
}

function statusOf(err: unknown): number {
  const response = (err as Partial<DetailedError> | null)?.originalResponse;
  return response ? response.getStatus() : 0;
}

/**
 * A failure tus retries: the network or the server's state, not the request itself. A 409 is
 * passing when the offset moved under it, not when the server refuses the upload for good
 * (an item being transcoded, or whose file another upload replaces).
 */
function isPassing(status: number, code?: string | null): boolean {
  if (status === 409) return !code || code === "offset_mismatch";
  return status === 0 || status === 423 || status === 429 || status >= 500;
}

/**
 * The wait (ms) before tus's retry `attempt` after `err`: `RETRY_DELAYS_MS`'s, or the
 * server's Retry-After when that is longer (at most `RETRY_AFTER_MAX_S`): a server that said
 * when to come back is not asked again at once.
 */
function retryDelay(err: Error | DetailedError, attempt: number): number {
  const scheduled = RETRY_DELAYS_MS[attempt] ?? 0;
  const told = parseRetryAfter((err as DetailedError).originalResponse?.getHeader("Retry-After") ?? null);
  return told === null ? scheduled : Math.max(scheduled, waitMs(told, 0, RETRY_AFTER_MAX_S));
}

/** The `code` of the API's error body the tus endpoint answered with, else null. */
function codeOf(err: Error | DetailedError): string | null {
  try {
    const body = JSON.parse((err as DetailedError).originalResponse?.getBody() ?? "") as { code?: unknown };
    return typeof body.code === "string" ? body.code : null;
  } catch {
    return null;
  }
}

/**
 * The server refused the upload for good (422 unreadable, 413 too large, 410 cancelled or
 * expired, 409 already complete, 404 gone): resuming it can only be refused again. Not a
 * passing failure, one of the session (401, 403), nor another 409 (its hold lost, an offset
 * moved), after which it resumes.
 */
function endsTheUpload(status: number, code: string | null): boolean {
  if (status === 409) return code === "upload_complete";
  return status >= 400 && status < 500 && ![401, 403, 423, 429].includes(status);
}

/**
 * Removes what this browser kept to resume `upload` (tus's URL storage): re-picking the file
 * offered to resume an upload the server had refused, with the title it was begun with.
 */
async function forget(upload: TusTransfer): Promise<void> {
  const storage = upload.options.urlStorage;
  if (!storage || upload.url === null) return;
  try {
    const kept = await storage.findAllUploads();
    await Promise.all(kept.filter((p) => p.uploadUrl === upload.url).map((p) => storage.removeUpload(p.urlStorageKey)));
  } catch {
    // Nothing kept (private mode): nothing to forget.
  }
}

/** Why a file another tab of this browser is sending is not sent here too. */
export const SENT_BY_ANOTHER_TAB =
  "This file is being uploaded in another tab of this browser: follow it there, or wait until it is done.";

/** The server's hold on the upload lapsed: said in the words of what happened to the person. */
const LEASE_LOST = "The upload was interrupted: the connection was silent too long, or another tab or window took it over.";

/** What the page says of an upload that was cancelled on the server, by this page or in another. */
export const CANCELLED_ELSEWHERE = "This upload was cancelled (by you or an administrator). Upload the file again to start over.";

/** Said of a failure after every retry: tus resumes from the server's offset, so nothing sent is lost. */
const BYTES_KEPT = "The bytes received so far are kept: press Upload with the same file to resume where it stopped.";

/** The API's `detail` when the tus endpoint answered with our error body; for a passing failure, how to go on. */
export function describeUploadError(err: Error | DetailedError): string {
  const status = statusOf(err);
  const stalled = stalledRequestOf(err);
  if (stalled) {
    return `The upload stopped: no answer from the server for ${stalled.silentMs / 1000} s. Check your connection. ${BYTES_KEPT}`;
  }
  if (status === 0) {
    return `The upload stopped: the server could not be reached. Check your connection. ${BYTES_KEPT}`;
  }
  if (status === 410) return CANCELLED_ELSEWHERE;
  if (codeOf(err) === "upload_lease_lost") return `${LEASE_LOST} ${BYTES_KEPT}`;
  const reason = reasonOf(err, status);
  return isPassing(status, codeOf(err)) ? `${reason} ${BYTES_KEPT}` : reason;
}

/** The `detail` of the API's error body the tus endpoint answered with, else null. */
function detailOf(err: Error | DetailedError): string | null {
  try {
    const body = JSON.parse((err as DetailedError).originalResponse?.getBody() ?? "") as { detail?: unknown };
    return typeof body.detail === "string" && body.detail !== "" ? body.detail : null;
  } catch {
    return null; // not JSON: a proxy in front of the app answered
  }
}

/** Why the server refused: its `detail`, else what the status means. */
function reasonOf(err: Error | DetailedError, status: number): string {
  const detail = detailOf(err);
  if (detail !== null) return detail;
  if (status === 401) return "Your session has expired. Sign in again to upload.";
  if (status === 403) return "Only administrators can upload videos.";
  if (status === 413) return "This file is too large for the server.";
  return `The upload failed (HTTP ${status}).`;
}

/** How far back the speed is measured: long enough to span a few chunks, short enough to follow the link. */
export const SPEED_WINDOW_MS = 15_000;

/** The speed of the bytes the server confirmed over the last `SPEED_WINDOW_MS`. */
class Speedometer {
  private samples: { at: number; accepted: number }[] = [];

  /** Takes `accepted` bytes, now; bytes a second over the window, null until it spans a second. */
  add(accepted: number): number | null {
    const at = Date.now();
    this.samples = [...this.samples.filter((s) => at - s.at <= SPEED_WINDOW_MS), { at, accepted }];
    const first = this.samples[0];
    if (!first || at - first.at < 1000) return null;
    return ((accepted - first.accepted) * 1000) / (at - first.at);
  }
}

/** The smallest chunk: its request's overhead stays small beside its bytes. */
export const MIN_CHUNK_SIZE = 1024 * 1024;
/** How long one chunk should take: the server's confirmation, the progress shown, comes that often. */
export const CHUNK_SECONDS = 4;

/**
 * The next chunk's size for a link that took `ms` for the last chunk's `bytes`: about
 * `CHUNK_SECONDS` of it, from `MIN_CHUNK_SIZE` up to `CHUNK_SIZE`. At 0.25 MiB/s an 8 MiB
 * chunk left the progress still for half a minute; a fast link soon sends 8 MiB chunks.
 */
export function nextChunkSize(bytes: number, ms: number): number {
  const fitting = ms > 0 ? (bytes * 1000 * CHUNK_SECONDS) / ms : CHUNK_SIZE;
  return Math.round(Math.min(CHUNK_SIZE, Math.max(MIN_CHUNK_SIZE, fitting)));
}

/** What the retries of one file's upload carry from one to the next. */
interface Tries {
  /** The access token is renewed before the next request (the last one's was refused). */
  forceRefresh: boolean;
  /** The DELETE's retries so far (a cancel). */
  deletes: number;
}

/**
 * Tries of a DELETE while the server answers 423 or cannot be reached, about a minute of
 * `RETRY_DELAYS_MS`: the lock is the aborted PATCH's, held while its last bytes drain in.
 */
const CANCEL_RETRIES = 7;

/** Deletes the upload on the server: null once it is gone (404 and 410 too), else why not. */
async function deletionRefusal(upload: TusTransfer): Promise<string | null> {
  try {
    await upload.abort(true);
    return null;
  } catch (err) {
    const status = statusOf(err);
    if (status === 404 || status === 410) return null;
    const kept = "The upload is paused, its bytes kept on the server:";
    if (status === 0) {
      return `Not cancelled: the server could not be reached. ${kept} press Cancel again once the connection is back, or Resume.`;
    }
    if (status === 423) {
      return `Not cancelled yet: the server is still receiving the last part. ${kept} press Cancel again in a minute, or Resume.`;
    }
    return `Not cancelled: ${reasonOf(err as Error, status)} ${kept} press Cancel again, or Resume.`;
  }
}

/**
 * How each file goes: in chunks, retried, forgotten by the browser once uploaded, and each
 * request given up once silent (a half-open connection never fails by itself).
 */
const TRANSFER_OPTIONS = {
  endpoint: TUS_ENDPOINT,
  // The first chunk is small, so that a slow link shows progress soon; see nextChunkSize.
  chunkSize: MIN_CHUNK_SIZE,
  removeFingerprintOnSuccess: true,
  httpStack: new StallWatchingStack(),
} satisfies UploadOptions;

/**
 * A replacement's own fingerprint (tus-js-client's, naming the item too), so this browser
 * never resumes an upload of the same file as a new item (or another item's file) for it.
 */
function replacementFingerprint(replaces: string | undefined): Pick<UploadOptions, "fingerprint"> {
  if (replaces === undefined) return {};
  return {
    fingerprint: (file: File) =>
      Promise.resolve(["tus-br", file.name, file.type, file.size, file.lastModified, TUS_ENDPOINT, replaces].join("-")),
  };
}

/**
 * Uploads files one after the other with tus, then follows each one's
 * processing job. Plain TypeScript (no React): the hook below renders its
 * snapshots. Methods act on the file being uploaded now.
 */
export class UploadQueue {
  private transfers: Transfer[] = [];
  private items: UploadItem[] = [];
  private index = -1;
  private upload: TusTransfer | null = null;
  private poll: AbortController | null = null;
  private speed = new Speedometer();
  /** When the chunk being sent went (epoch ms). */
  private chunkStartedAt = 0;
  /** Ends this tab's mark that it sends the current file (see otherTab). */
  private unmark: () => void = () => undefined;

  constructor(
    private readonly publish: (transfers: Transfer[]) => void,
    private readonly Client: TusUploadClass = Upload,
  ) {}

  start(items: UploadItem[]): void {
    this.stop();
    this.items = items;
    this.transfers = items.map(({ file, metadata }) => ({
      file,
      title: metadata.title,
      phase: "queued",
      accepted: 0,
      rate: null,
      total: file.size,
      error: null,
      result: null,
    }));
    this.index = -1;
    this.emit();
    this.next();
  }

  pause(): void {
    if (this.current()?.phase !== "uploading") return;
    void this.upload?.abort(false);
    this.unmark();
    this.set(this.index, { phase: "paused", retry: null, rate: null });
  }

  resume(): void {
    if (this.current()?.phase !== "paused") return;
    this.speed = new Speedometer();
    this.set(this.index, { phase: "uploading", notCancelled: null });
    this.markSending(this.items[this.index]);
    this.upload?.start();
  }

  /**
   * Stops the current file (the server discards its bytes) and the files still waiting. If the
   * server would not discard them, the file is paused saying so, to be cancelled again or
   * resumed: "Upload cancelled." was said of an upload still listed with its bytes, and then
   * a red "failed" bar, of one neither failed nor cancelled.
   */
  async cancel(): Promise<void> {
    const upload = this.upload;
    const phase = this.current()?.phase;
    if (!upload || (phase !== "uploading" && phase !== "paused")) return;
    const index = this.index;
    this.set(index, { phase: "cancelling", retry: null, notCancelled: null });
    const refusal = await deletionRefusal(upload);
    this.unmark();
    // The files waiting have nothing on the server: cancelled either way, and never begun.
    this.items = this.items.slice(0, index + 1);
    this.transfers = this.transfers.map((t) => (t.phase === "queued" ? { ...t, phase: "cancelled" } : t));
    if (refusal !== null) {
      // tus stopped its request before it asked: paused is what it is.
      this.set(index, { phase: "paused", rate: null, notCancelled: refusal });
      return;
    }
    this.upload = null;
    this.index = this.items.length;
    this.set(index, { phase: "cancelled" });
  }

  /** Leaving the page: stop transferring (tus can resume it later) and polling. */
  stop(): void {
    this.poll?.abort();
    void this.upload?.abort(false);
    this.upload = null;
    this.unmark();
  }

  clear(): void {
    this.stop();
    this.items = [];
    this.transfers = [];
    this.index = -1;
    this.emit();
  }

  private current(): Transfer | undefined {
    return this.transfers[this.index];
  }

  private emit(): void {
    this.publish(this.transfers);
  }

  private set(index: number, change: Partial<Transfer>): void {
    this.transfers = this.transfers.map((t, i) => (i === index ? { ...t, ...change } : t));
    this.emit();
  }

  private finish(index: number, change: Partial<Transfer>): void {
    this.set(index, change);
    if (index === this.index) this.next();
  }

  private next(): void {
    this.index += 1;
    const item = this.items[this.index];
    this.speed = new Speedometer();
    if (item) void this.begin(this.index, item);
  }

  private async begin(index: number, { file, metadata }: UploadItem): Promise<void> {
    if (sentByAnotherTab(file, metadata.replaces)) return this.finish(index, { phase: "failed", error: SENT_BY_ANOTHER_TAB });
    this.set(index, { phase: "uploading" });
    this.markSending({ file, metadata });
    const tries: Tries = { forceRefresh: false, deletes: 0 };
    const upload: TusTransfer = new this.Client(file, {
      ...TRANSFER_OPTIONS,
      // Its own: each retry's wait is written in before tus reads it (see retryDelay).
      retryDelays: [...RETRY_DELAYS_MS],
      ...replacementFingerprint(metadata.replaces),
      metadata: { filename: file.name, filetype: file.type || "application/octet-stream", ...metadata },
      // Authorization is set per request (creation, each PATCH, HEAD on
      // resume, DELETE on cancel) with a token valid for a while yet. Not in
      // the static `headers` option: XHR's setRequestHeader appends, so a
      // static header plus a refreshed one would go out as "Bearer a, Bearer b".
      onBeforeRequest: async (req: HttpRequest) => {
        if (req.getMethod() === "PATCH") this.chunkBegins(index);
        const fresh = tries.forceRefresh ? await refreshAccessToken() : await getFreshAccessToken();
        tries.forceRefresh = false;
        if (fresh) req.setHeader("Authorization", `Bearer ${fresh}`);
      },
      onShouldRetry: (err, retryAttempt, options) => this.shouldRetry(index, tries, err, retryAttempt, options),
      ...this.acceptedBytes(index, () => upload),
      onUploadUrlAvailable: () => this.uploadUrlAvailable(index, upload, metadata.title),
      // Bytes move: the retry, if any, is over.
      onProgress: () => {
        if (this.transfers[index]?.retry) this.set(index, { retry: null });
      },
      onSuccess: () => this.uploaded(index, upload),
      onError: (err) => {
        this.upload = null;
        this.unmark();
        if (endsTheUpload(statusOf(err), codeOf(err))) void forget(upload);
        this.finish(index, { phase: "failed", error: describeUploadError(err), retry: null });
      },
    });
    this.upload = upload;
    const resumable = await resumableUpload(upload);
    if (resumable) {
      upload.resumeFromPreviousUpload(resumable);
      this.set(index, { resumes: uploadIdFromUrl(resumable.uploadUrl ?? "") });
    }
    // The server keeps what the upload was begun with: the title typed now is not used.
    const begunAs = resumable?.metadata.title;
    if (begunAs && begunAs !== metadata.title) this.set(index, { title: begunAs, resumedAs: begunAs });
    if (this.upload === upload) upload.start();
  }

  /**
   * Whether tus tries the request that failed with `err` again (its `attempt`), and, for the
   * upload's own requests, after how long (written into its `options`) and why, shown.
   */
  private shouldRetry(index: number, tries: Tries, err: Error | DetailedError, attempt: number, options: UploadOptions): boolean {
    const status = statusOf(err);
    // tus's DELETE (cancel) asks too, always as a first retry (`attempt` 0): counted here.
    const cancelling = this.transfers[index]?.phase === "cancelling";
    if (cancelling && ++tries.deletes > CANCEL_RETRIES) return false;
    if (status === 401) {
      tries.forceRefresh = true;
      return cancelling || attempt === 0;
    }
    if (cancelling) return isPassing(status);
    const retrying = isPassing(status, codeOf(err));
    if (retrying && options.retryDelays) {
      // tus reads this attempt's wait from its options right after this answer.
      const delay = (options.retryDelays[attempt] = retryDelay(err, attempt));
      this.retrying(index, attempt, delay, status, stalledRequestOf(err)?.silentMs, detailOf(err));
    }
    return retrying;
  }

  /** Tells the other tabs that this one sends `item`'s file, until `unmark`. */
  private markSending(item: UploadItem | undefined): void {
    this.unmark();
    if (item) this.unmark = markSending(item.file, item.metadata.replaces);
  }

  /** Every byte of file `index` is on the server: its processing is followed. */
  private uploaded(index: number, upload: TusTransfer): void {
    this.upload = null;
    this.unmark();
    const total = this.transfers[index]?.total ?? 0;
    this.set(index, { phase: "processing", accepted: total, retry: null });
    const controller = new AbortController();
    this.poll = controller;
    void this.follow(index, uploadIdFromUrl(upload.url ?? ""), controller.signal);
  }

  /** A chunk of file `index` is about to go: its time is measured from now. */
  private chunkBegins(index: number): void {
    this.chunkStartedAt = Date.now();
    this.speed.add(this.transfers[index]?.accepted ?? 0);
  }

  /**
   * Follows what the server holds of file `index`: its offset on resuming (HEAD), then after
   * each chunk, which also sizes the next chunk of its upload to the link.
   */
  private acceptedBytes(index: number, upload: () => TusTransfer): Pick<UploadOptions, "onAfterResponse" | "onChunkComplete"> {
    return {
      onAfterResponse: (req, res) => {
        const offset = Number.parseInt(res.getHeader("Upload-Offset") ?? "", 10);
        if (req.getMethod() === "HEAD" && Number.isFinite(offset)) this.set(index, { accepted: offset });
      },
      onChunkComplete: (chunk, accepted) => {
        upload().options.chunkSize = nextChunkSize(chunk, Date.now() - this.chunkStartedAt);
        this.set(index, { accepted, rate: this.speed.add(accepted) });
      },
    };
  }

  /**
   * The server named the upload of file `index`. When it is not the earlier upload this one
   * meant to resume (that one was gone, and tus began anew), the title typed now is the one
   * the server got: an earlier attempt's was shown.
   */
  private uploadUrlAvailable(index: number, upload: TusTransfer, title: string): void {
    const uploadId = uploadIdFromUrl(upload.url ?? "");
    const resumed = this.transfers[index]?.resumes;
    if (resumed !== undefined && resumed !== uploadId) {
      this.set(index, { uploadId, title, resumes: undefined, resumedAs: undefined });
    } else this.set(index, { uploadId });
  }

  /**
   * Shows that tus waits `delay` ms before it tries the upload again, and why: `status` (and
   * the server's `detail` of it), or `silentMs` without a sign of life.
   */
  private retrying(index: number, attempt: number, delay: number, status: number, silentMs?: number, detail?: string | null): void {
    if (this.transfers[index]?.phase !== "uploading") return;
    const at = Date.now() + delay;
    this.speed = new Speedometer();
    const retry: Retry = { attempt: attempt + 1, status, at };
    if (silentMs !== undefined) retry.silentFor = silentMs / 1000;
    if (detail) retry.detail = detail;
    this.set(index, { retry, rate: null });
  }

  /** Polls the ingest job with backoff until it is done or failed. */
  private async follow(index: number, uploadId: string, signal: AbortSignal): Promise<void> {
    let delay = POLL_INITIAL_MS;
    let failures = 0;
    while (!signal.aborted) {
      try {
        const job = await getJob(uploadId, signal);
        failures = 0;
        if (job.state === "done") return this.finish(index, { phase: "done", result: job.item ?? null, checks: job.checks ?? null });
        if (job.state === "failed") {
          return this.finish(index, { phase: "failed", error: job.error ?? "Processing failed." });
        }
      } catch (err) {
        if (signal.aborted) return;
        failures += 1;
        if (failures >= POLL_MAX_FAILURES) {
          const error = `The video was uploaded but its processing state is unknown: ${errorMessage(err)}`;
          return this.finish(index, { phase: "failed", error });
        }
      }
      await sleep(delay, signal);
      delay = Math.min(POLL_MAX_MS, Math.round(delay * 1.5));
    }
  }
}

export interface TusUpload {
  transfers: Transfer[];
  /** The file being worked on (uploading, paused, processing …), else null. */
  current: Transfer | null;
  /** Bytes are moving or may move again: leaving the page would interrupt them. */
  busy: boolean;
  start: (items: UploadItem[]) => void;
  pause: () => void;
  resume: () => void;
  cancel: () => Promise<void>;
  reset: () => void;
}

/** Uploads files with tus one after another and follows their processing. */
export function useTusUpload(): TusUpload {
  const client = use(TusClientContext);
  const [transfers, setTransfers] = useState<Transfer[]>([]);
  const [queue] = useState(() => new UploadQueue(setTransfers, client));
  useEffect(() => () => queue.stop(), [queue]);

  const current = transfers.find((t) => t.phase !== "queued" && !isTerminal(t.phase)) ?? null;
  const busy = current !== null && current.phase !== "processing";
  useLeaveWarning(busy);

  return {
    transfers,
    current,
    busy,
    start: (items) => queue.start(items),
    pause: () => queue.pause(),
    resume: () => queue.resume(),
    cancel: () => queue.cancel(),
    reset: () => queue.clear(),
  };
}
