import { useEffect, useRef, useState, type DragEvent, type FormEvent } from "react";
import { Link } from "react-router";
import { Upload, type DetailedError, type HttpRequest } from "tus-js-client";
import { getFreshAccessToken, refreshAccessToken } from "../api/client";
import { errorMessage } from "../api/errors";
import { CHUNK_SIZE, getJob, TUS_ENDPOINT, uploadIdFromUrl } from "../api/ingest";
import type { MediaItem } from "../api/types";
import { formatBytes, LIMITS, parseTags, percent, tagsProblem, titleFromFilename } from "../lib/format";

type Phase = "idle" | "uploading" | "paused" | "cancelling" | "processing" | "done" | "failed" | "cancelled";

export const POLL_INITIAL_MS = 1000;
export const POLL_MAX_MS = 5000;
const POLL_MAX_FAILURES = 5;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const id = window.setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        window.clearTimeout(id);
        resolve();
      },
      { once: true },
    );
  });
}

function statusOf(err: unknown): number {
  const response = (err as Partial<DetailedError> | null)?.originalResponse;
  return response ? response.getStatus() : 0;
}

/** The API's JSON `detail` when the tus endpoint answered with an error body. */
function describeUploadError(err: Error | DetailedError): string {
  const response = (err as Partial<DetailedError>).originalResponse;
  if (response) {
    const status = response.getStatus();
    try {
      const body = JSON.parse(response.getBody()) as { detail?: unknown };
      if (typeof body.detail === "string" && body.detail !== "") return body.detail;
    } catch {
      // not JSON
    }
    if (status === 401) return "Your session has expired. Sign in again to upload.";
    if (status === 403) return "Only administrators can upload videos.";
    if (status === 413) return "This file is too large for the server.";
    return `The upload failed (HTTP ${status}).`;
  }
  return "The upload failed: the server could not be reached. Check your connection and try again.";
}

function isProbablyVideo(file: File): boolean {
  return file.type === "" || file.type.startsWith("video/") || /\.(mkv|mp4|m4v|mov|webm|avi|ts)$/i.test(file.name);
}

export function AdminUploadPage() {
  const [file, setFile] = useState<File | null>(null);
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [tags, setTags] = useState("");
  const [publish, setPublish] = useState(true);
  const [dragging, setDragging] = useState(false);

  const [phase, setPhase] = useState<Phase>("idle");
  const [progress, setProgress] = useState({ sent: 0, total: 0 });
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<MediaItem | null>(null);

  const uploadRef = useRef<Upload | null>(null);
  const pollRef = useRef<AbortController | null>(null);
  const fileInputRef = useRef<HTMLInputElement>(null);

  // Leaving the page stops the transfer (it can be resumed later: tus keeps
  // the upload URL for this file) and the polling.
  useEffect(
    () => () => {
      pollRef.current?.abort();
      void uploadRef.current?.abort(false);
    },
    [],
  );

  const busy = phase === "uploading" || phase === "paused" || phase === "cancelling";
  useEffect(() => {
    if (!busy) return;
    const warn = (event: BeforeUnloadEvent) => {
      event.preventDefault();
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [busy]);

  function chooseFile(next: File | null) {
    setFile(next);
    setError(next && !isProbablyVideo(next) ? "This file does not look like a video; the server may reject it." : null);
    if (next && title.trim() === "") setTitle(titleFromFilename(next.name));
  }

  function onDrop(event: DragEvent<HTMLDivElement>) {
    event.preventDefault();
    setDragging(false);
    if (busy) return;
    const dropped = event.dataTransfer.files[0];
    if (dropped) chooseFile(dropped);
  }

  async function pollJob(uploadId: string, signal: AbortSignal) {
    let delay = POLL_INITIAL_MS;
    let failures = 0;
    while (!signal.aborted) {
      try {
        const job = await getJob(uploadId, signal);
        failures = 0;
        if (job.state === "done") {
          setResult(job.item);
          setPhase("done");
          return;
        }
        if (job.state === "failed") {
          setError(job.error ?? "Processing failed.");
          setPhase("failed");
          return;
        }
      } catch (err) {
        if (signal.aborted) return;
        failures += 1;
        if (failures >= POLL_MAX_FAILURES) {
          setError(`The video was uploaded but its processing state is unknown: ${errorMessage(err)}`);
          setPhase("failed");
          return;
        }
      }
      await sleep(delay, signal);
      delay = Math.min(POLL_MAX_MS, Math.round(delay * 1.5));
    }
  }

  async function startUpload(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!file || title.trim() === "" || busy) return;
    const problem = tagsProblem(parseTags(tags));
    if (problem) {
      setError(problem);
      return;
    }
    setError(null);
    setResult(null);
    setProgress({ sent: 0, total: file.size });
    setPhase("uploading");

    let forceRefresh = false;
    const upload = new Upload(file, {
      endpoint: TUS_ENDPOINT,
      chunkSize: CHUNK_SIZE,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      removeFingerprintOnSuccess: true,
      metadata: {
        filename: file.name,
        filetype: file.type || "application/octet-stream",
        title: title.trim(),
        description: description.trim(),
        tags: parseTags(tags).join(","),
        publish: publish ? "true" : "false",
      },
      // Authorization is set here, per request (creation, each PATCH chunk,
      // HEAD on resume, DELETE on cancel), with a token valid for a while yet.
      // Not in the static `headers` option: the browser stack sets headers
      // with XHR's setRequestHeader, which appends, so a static header plus a
      // refreshed one would go out as "Bearer old, Bearer new".
      onBeforeRequest: async (req: HttpRequest) => {
        const fresh = forceRefresh ? await refreshAccessToken() : await getFreshAccessToken();
        forceRefresh = false;
        if (fresh) req.setHeader("Authorization", `Bearer ${fresh}`);
      },
      onShouldRetry: (err, retryAttempt) => {
        const status = statusOf(err);
        if (status === 401) {
          forceRefresh = true;
          return retryAttempt === 0;
        }
        return status === 0 || status === 409 || status === 423 || status === 429 || status >= 500;
      },
      onProgress: (sent, total) => setProgress({ sent, total }),
      onSuccess: () => {
        setProgress((p) => ({ sent: p.total, total: p.total }));
        const uploadId = uploadIdFromUrl(upload.url ?? "");
        setPhase("processing");
        const controller = new AbortController();
        pollRef.current = controller;
        void pollJob(uploadId, controller.signal);
      },
      onError: (err) => {
        setError(describeUploadError(err));
        setPhase("failed");
      },
    });
    uploadRef.current = upload;

    try {
      const previous = await upload.findPreviousUploads();
      const resumable = previous.find((p) => p.uploadUrl !== null);
      if (resumable) upload.resumeFromPreviousUpload(resumable);
    } catch {
      // No URL storage (private mode): start from the beginning.
    }
    upload.start();
  }

  function pause() {
    if (phase !== "uploading") return;
    void uploadRef.current?.abort(false);
    setPhase("paused");
  }

  function resume() {
    if (phase !== "paused") return;
    setPhase("uploading");
    uploadRef.current?.start();
  }

  async function cancel() {
    const upload = uploadRef.current;
    if (!upload || !busy) return;
    setPhase("cancelling");
    try {
      await upload.abort(true); // DELETE: the server discards the partial upload
    } catch {
      // Already gone or unreachable: nothing more to do from here.
    }
    uploadRef.current = null;
    setProgress({ sent: 0, total: 0 });
    setPhase("cancelled");
  }

  function reset() {
    pollRef.current?.abort();
    uploadRef.current = null;
    setFile(null);
    setTitle("");
    setDescription("");
    setTags("");
    setError(null);
    setResult(null);
    setProgress({ sent: 0, total: 0 });
    setPhase("idle");
    if (fileInputRef.current) fileInputRef.current.value = "";
  }

  const pct = percent(progress.sent, progress.total);
  const showProgress = phase !== "idle" && phase !== "cancelled";
  const locked = phase !== "idle" && phase !== "cancelled" && phase !== "failed";

  return (
    <section className="page narrow" aria-labelledby="upload-title">
      <h1 id="upload-title">Upload a video</h1>
      <form className="form" onSubmit={(e) => void startUpload(e)}>
        <div
          className={`dropzone${dragging ? " dragging" : ""}${locked ? " disabled" : ""}`}
          data-testid="dropzone"
          onDragEnter={(e) => {
            e.preventDefault();
            if (!locked) setDragging(true);
          }}
          onDragOver={(e) => {
            e.preventDefault();
            e.dataTransfer.dropEffect = locked ? "none" : "copy";
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <label htmlFor="upload-file" className="dropzone-label">
            Video file
          </label>
          <p id="upload-file-hint" className="hint">
            Drag and drop a video here, or choose one.
          </p>
          <input
            ref={fileInputRef}
            id="upload-file"
            type="file"
            accept="video/*,.mkv,.mp4,.m4v,.mov,.webm"
            aria-describedby="upload-file-hint"
            disabled={locked}
            onChange={(e) => chooseFile(e.target.files?.[0] ?? null)}
          />
          {file && (
            <p className="file-chosen" data-testid="upload-file-name">
              {file.name} · {formatBytes(file.size)}
            </p>
          )}
        </div>

        <div className="field">
          <label htmlFor="upload-title-input">Title</label>
          <input
            id="upload-title-input"
            type="text"
            required
            maxLength={LIMITS.title}
            disabled={locked}
            value={title}
            onChange={(e) => setTitle(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="upload-description">Description</label>
          <textarea
            id="upload-description"
            maxLength={LIMITS.description}
            rows={3}
            disabled={locked}
            value={description}
            onChange={(e) => setDescription(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="upload-tags">Tags</label>
          <input
            id="upload-tags"
            type="text"
            placeholder="nature, timelapse"
            aria-describedby="upload-tags-hint"
            disabled={locked}
            value={tags}
            onChange={(e) => setTags(e.target.value)}
          />
          <small id="upload-tags-hint" className="hint">
            Separate tags with commas.
          </small>
        </div>
        <div className="field checkbox">
          <input
            id="upload-publish"
            type="checkbox"
            disabled={locked}
            checked={publish}
            onChange={(e) => setPublish(e.target.checked)}
          />
          <label htmlFor="upload-publish">Publish when processing is done</label>
        </div>

        {!locked && (
          <button type="submit" className="button primary" disabled={!file || title.trim() === ""}>
            Upload
          </button>
        )}
      </form>

      {showProgress && (
        <div className="upload-status" aria-live="polite">
          <div
            className="progress"
            role="progressbar"
            aria-label="Upload progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={pct}
            aria-valuetext={`${pct} %`}
            data-testid="upload-progress"
          >
            <div className="progress-fill" style={{ width: `${pct}%` }} />
          </div>
          <p className="progress-text" data-testid="upload-progress-text">
            {pct} % · {formatBytes(progress.sent)} of {formatBytes(progress.total)}
            {phase === "paused" && " · paused"}
          </p>
          {busy && (
            <p className="hint">
              Leaving this page pauses the upload; pick the same file again later to resume where it stopped.
            </p>
          )}
          {busy && (
            <div className="button-row">
              {phase === "paused" ? (
                <button type="button" className="button" onClick={resume}>
                  Resume
                </button>
              ) : (
                <button type="button" className="button" onClick={pause} disabled={phase !== "uploading"}>
                  Pause
                </button>
              )}
              <button
                type="button"
                className="button danger"
                onClick={() => void cancel()}
                disabled={phase === "cancelling"}
              >
                Cancel
              </button>
            </div>
          )}
          {phase === "processing" && (
            <p role="status" data-testid="upload-processing">
              <span className="spinner" aria-hidden="true" /> Processing…
            </p>
          )}
        </div>
      )}

      {phase === "cancelled" && (
        <p role="status" data-testid="upload-cancelled">
          Upload cancelled.
        </p>
      )}
      {error && (
        <p className="form-error" role="alert" data-testid="upload-error">
          {error}
        </p>
      )}
      {phase === "done" && (
        <div className="upload-result" role="status">
          {result ? (
            <p>
              Ready:{" "}
              <Link to={`/watch/${encodeURIComponent(result.id)}`} data-testid="upload-result-link">
                {result.title}
              </Link>{" "}
              {result.status === "draft" ? "(draft — publish it from the library)" : "(published)"}
            </p>
          ) : (
            <p>
              Processing finished. <Link to="/admin/library">Open the library</Link>.
            </p>
          )}
        </div>
      )}
      {(phase === "done" || phase === "failed" || phase === "cancelled") && (
        <button type="button" className="button" onClick={reset}>
          Upload another video
        </button>
      )}
    </section>
  );
}
