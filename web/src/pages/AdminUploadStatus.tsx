import { useEffect, useState, type Ref } from "react";
import { Link } from "react-router";
import { formatBytes, formatDate, formatDuration, percent, waitInWords } from "../lib/format";
import { watchPath } from "../lib/paths";
import type { CatalogueItem } from "../api/schema";
import { FocusedMessage } from "../components/FocusedMessage";
import { failedUnplayable, isTranscoding } from "../components/ProcessingStatus";
import { useItemPolling } from "../lib/useItemPolling";
import { isTerminal, type Retry, type Transfer, type TusUpload } from "../upload/useTusUpload";
import { TranscodingStatusLine } from "./TranscodingStatus";

/** How often the upload's progress is said aloud: at every quarter, while the bar moves on. */
const SAID_EVERY_PERCENT = 25;

/**
 * How far `transfer` has come, in the coarse steps a screen reader says (the whole box was
 * a live region: every chunk's percentage was read out); paused, where it stopped. Nothing
 * once its bytes are sent: processing, done and failed have their own messages.
 */
function progressSaid(transfer: Transfer): string {
  const pct = percent(transfer.accepted, transfer.total);
  const named = (text: string) => `${transfer.file.name}: ${text}`;
  if (transfer.phase === "paused") return named(`paused at ${pct} %`);
  if (transfer.phase !== "uploading") return "";
  // Said once a try: the countdown is only shown (read out every second, it would drown the page).
  if (transfer.retry) return named(`${retryReason(transfer.retry).toLowerCase()}, retrying (attempt ${transfer.retry.attempt})`);
  return named(`${Math.floor(pct / SAID_EVERY_PERCENT) * SAID_EVERY_PERCENT} % uploaded`);
}

/**
 * How far the file being worked on (else the last one that got anywhere) has come, with
 * pause, resume and cancel while its bytes are moving. `statusRef` is the box, which takes
 * the focus when an upload starts (the Upload button pressed goes away).
 */
export function UploadProgress({ upload, statusRef }: { upload: TusUpload; statusRef?: Ref<HTMLDivElement> }) {
  const { transfers, current, busy } = upload;
  const shown = current ?? transfers.findLast((t) => t.phase !== "cancelled" && t.phase !== "queued") ?? null;
  if (!shown) return null;
  const pct = percent(shown.accepted, shown.total);
  // A refused file's bar had filled as a successful one's: it turns red and says so.
  const failed = shown.phase === "failed";
  const retry = shown.phase === "uploading" ? shown.retry : null;
  return (
    <div className="upload-status" ref={statusRef} tabIndex={-1} data-testid="upload-status">
      <p className="visually-hidden" aria-live="polite" data-testid="upload-said">
        {progressSaid(shown)}
      </p>
      <div
        className={failed ? "progress failed" : retry ? "progress retrying" : "progress"}
        role="progressbar"
        aria-label="Upload progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        aria-valuetext={failed ? `${pct} %, failed` : retry ? `${pct} %, retrying` : `${pct} %`}
        data-testid="upload-progress"
      >
        <div className="progress-fill" style={{ width: `${pct}%` }} />
      </div>
      <p className="progress-text" data-testid="upload-progress-text">
        {transfers.length > 1 && `${shown.file.name}: `}
        {pct} % · {formatBytes(shown.accepted)} of {formatBytes(shown.total)} received by the server
        {shown.phase === "paused" && " · paused"}
        {failed && " · failed"}
      </p>
      {shown.phase === "uploading" && <TimeLeft transfer={shown} />}
      {/* Keyed by when: each try counts down on a clock of its own. */}
      {retry && <RetryNotice key={retry.at} retry={retry} />}
      {shown.phase === "paused" && shown.notCancelled && (
        // Focused: the Cancel pressed was disabled meanwhile, which sent the focus to the page's body.
        <FocusedMessage message={shown.notCancelled} role="status" className="notice" testId="upload-not-cancelled" />
      )}
      {shown.resumedAs && (
        <p className="hint" data-testid="upload-resumed">
          Resuming the upload of this file begun as “{shown.resumedAs}”: the video keeps that title, description and
          tags; change them in the library once it is there.
        </p>
      )}
      {busy && (
        <p className="hint">
          Leaving this page pauses the upload; pick the same file again later to resume where it stopped.
        </p>
      )}
      {busy && current && <TransferControls current={current} upload={upload} />}
      {current && <WaitingFor phase={current.phase} />}
    </div>
  );
}

/** What the file being worked on waits for, once its bytes stopped going: the server's cancel, or its processing. */
function WaitingFor({ phase }: { phase: Transfer["phase"] }) {
  if (phase === "cancelling") {
    return (
      <p role="status" data-testid="upload-cancelling">
        Cancelling…
      </p>
    );
  }
  if (phase !== "processing") return null;
  return (
    <p role="status" data-testid="upload-processing">
      <span className="spinner" aria-hidden="true" /> Processing…
    </p>
  );
}

/**
 * How fast the server receives the file and how long is left, from what it confirmed: counted
 * from the bytes the browser had sent, it said "about 0:04 left" behind a buffering proxy
 * with more than a minute to go. Chunks are sized to be confirmed every few seconds.
 */
function TimeLeft({ transfer }: { transfer: Transfer }) {
  const { accepted, rate, total } = transfer;
  if (transfer.retry || rate === null || rate <= 0) return null;
  return (
    <p className="progress-text small" data-testid="upload-time-left">
      {formatBytes(rate)}/s · about {formatDuration(Math.ceil((total - accepted) / rate))} left
    </p>
  );
}

/** Why the transfer broke, in a few words. */
function retryReason(retry: Retry): string {
  if (retry.silentFor !== undefined) return `No answer from the server for ${retry.silentFor} s`;
  if (retry.status === 0) return "Connection lost";
  if (retry.status === 423) return "The server is still busy with the last part";
  if (retry.detail) return `The server could not take it: ${retry.detail}`;
  return `The server could not take it (HTTP ${retry.status})`;
}

/**
 * That the transfer broke and when tus tries again, counted down: the bar stood still for
 * as long as tus retried, then the upload failed, with nothing said in between.
 */
function RetryNotice({ retry }: { retry: Retry }) {
  const seconds = useSecondsUntil(retry.at);
  const when = seconds > 0 ? `retrying in ${waitInWords(seconds)}` : "retrying now";
  return (
    <p className="hint retrying" data-testid="upload-retrying">
      {retryReason(retry)} — {when} (attempt {retry.attempt}). The upload goes on where it stopped.
    </p>
  );
}

/** Whole seconds left until `at` (epoch ms), as of the last tick of a clock read every second; 0 once past. */
function useSecondsUntil(at: number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(id);
  }, []);
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** Pause or resume the file being uploaded, or cancel it and the files still waiting. */
function TransferControls({ current, upload }: { current: Transfer; upload: TusUpload }) {
  return (
    <div className="button-row">
      {current.phase === "paused" ? (
        <button type="button" className="button" onClick={upload.resume}>
          Resume
        </button>
      ) : (
        <button type="button" className="button" onClick={upload.pause} disabled={current.phase !== "uploading"}>
          Pause
        </button>
      )}
      <button
        type="button"
        className="button danger"
        onClick={() => void upload.cancel()}
        disabled={current.phase === "cancelling"}
      >
        Cancel
      </button>
    </div>
  );
}

/** Several files: each one's title and where it stands. */
export function TransferQueue({ transfers }: { transfers: Transfer[] }) {
  return (
    <ul className="upload-queue" aria-label="Uploads" data-testid="upload-queue">
      {transfers.map((t, i) => (
        <li key={`${i}-${t.file.name}`}>
          {t.phase === "done" && t.result ? (
            <FinishedTransfer item={t.result} />
          ) : (
            <>
              <span>{t.title}</span>
              <TransferStatus transfer={t} />
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

/**
 * Where an uploaded video stands, as its uploader needs to know it: whether viewers see it.
 * "Published" alone read as live for a video viewers are not shown until it plays, and a
 * failed one that cannot play was announced as calmly as one that does.
 */
function uploadedState(item: CatalogueItem): string {
  const scheduled = item.status === "draft" && item.publish_at ? ` · goes public ${formatDate(item.publish_at)}` : "";
  const base = item.status === "draft" ? `Draft${scheduled}` : "Published";
  if (isTranscoding(item)) {
    const hidden = item.status !== "draft" && item.playable === false;
    // "transcoding" of a video that only waited in the queue read as if a worker were at it;
    // a worker at it says what it is at ("360p", "attempt 2 of 5 failed (…)"), as the Library
    // does: a failing attempt read as "transcoding 90 %" again and again.
    const detail = item.processing_detail ? ` · ${item.processing_detail}` : "";
    const progress = item.processing_state === "queued" ? "" : `transcoding ${item.processing_percent ?? 0} %${detail}`;
    if (hidden) return `${base} · viewers see it once it is transcoded${progress && ` · ${progress}`}`;
    return `${base} · ${progress || "waiting to be transcoded"}`;
  }
  if (failedUnplayable(item)) return `${base}, but it cannot play: transcoding failed (see the library)`;
  if (item.processing_state === "failed") return `${base} · transcoding failed, it plays as uploaded (see the library)`;
  return base;
}

/**
 * A file of the batch that is in the library: a link to it, and whether it is published and
 * still transcoding, followed until it is not (it read "transcoding" long after it was ready).
 */
function FinishedTransfer({ item: uploaded }: { item: CatalogueItem }) {
  const [item, setItem] = useState(uploaded);
  useItemPolling(item.id, isTranscoding(item), setItem);
  return (
    <>
      <Link to={watchPath(item.id)} data-testid="upload-result-link">
        {item.title}
      </Link>
      <span data-testid="upload-result-state" className={failedUnplayable(item) ? "form-error upload-state-failed" : undefined}>
        {uploadedState(item)}
      </span>
    </>
  );
}

/** Where one file stands, in a word or two; once processed, a link to it. */
function TransferStatus({ transfer }: { transfer: Transfer }) {
  switch (transfer.phase) {
    case "queued":
      return <span className="muted">Waiting</span>;
    case "uploading":
    case "paused":
    case "cancelling":
      return <span>{percent(transfer.accepted, transfer.total)} %{transfer.phase === "paused" && " · paused"}</span>;
    case "processing":
      return <span>Processing…</span>;
    case "done":
      return transfer.result ? (
        <Link to={watchPath(transfer.result.id)} data-testid="upload-result-link">
          {transfer.result.title}
        </Link>
      ) : (
        <span>Ready</span>
      );
    case "failed":
      return <span className="form-error">Failed: {transfer.error}</span>;
    case "cancelled":
      return <span className="muted">Cancelled</span>;
  }
}

/**
 * What went wrong, for the error under the form: one file's reason; for several, once all have
 * settled, which of them failed (each one's reason is on its row of the queue). The last
 * failure's reason alone, naming no file, read as if it were the whole batch's.
 */
export function failureSummary(transfers: Transfer[]): string | null {
  const failed = transfers.filter((t) => t.phase === "failed");
  if (transfers.length === 1) return failed[0]?.error ?? null;
  if (failed.length === 0 || !transfers.every((t) => isTerminal(t.phase))) return null;
  const names = failed.map((t) => t.file.name).join(", ");
  return `${failed.length} of ${transfers.length} files failed (${names}); each one's reason is in the list above.`;
}

/**
 * How the upload ended: cancelled, failed (`error`), or ready to watch, and whether
 * transcoding works while a video uploaded waits for it; once every file has, a way to
 * upload more.
 */
export function UploadOutcome({
  transfers,
  error,
  onReset,
}: {
  transfers: Transfer[];
  error: string | null;
  onReset: () => void;
}) {
  const single = transfers.length === 1 ? transfers[0] : undefined;
  const allSettled = transfers.length > 0 && transfers.every((t) => isTerminal(t.phase));
  const toTranscode = transfers.some((t) => t.phase === "done" && t.result && isTranscoding(t.result));
  return (
    <>
      {single?.phase === "cancelled" && (
        <p role="status" data-testid="upload-cancelled">
          Upload cancelled.
        </p>
      )}
      {error && <FocusedMessage message={error} role="alert" className="form-error" testId="upload-error" />}
      {single?.phase === "done" && <UploadResult transfer={single} />}
      {toTranscode && <TranscodingStatusLine />}
      {allSettled && (
        <button type="button" className="button upload-more" onClick={onReset}>
          Upload more videos
        </button>
      )}
    </>
  );
}

/** One file uploaded and processed: a link to it, whether it is published, and whether it still transcodes. */
function UploadResult({ transfer }: { transfer: Transfer }) {
  return (
    <div className="upload-result" role="status">
      {transfer.result ? (
        // Where it stands, followed: "Ready" was said of a video still queued for transcoding.
        <p className="upload-result-item">
          <FinishedTransfer item={transfer.result} />
          {transfer.result.status === "draft" && !transfer.result.publish_at && (
            <span className="muted"> — publish it from the library</span>
          )}
        </p>
      ) : (
        <p>
          Processing finished. <Link to="/admin/library">Open the library</Link>.
        </p>
      )}
    </div>
  );
}
