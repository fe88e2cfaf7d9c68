import { useEffect, useRef, useState, type DragEvent, type FormEvent } from "react";
import { Link } from "react-router";
import { Field } from "../components/Field";
import { DescriptionAndTagsFields, TitleField } from "../components/MediaFields";
import { formatBytes, parseTags, percent, tagsProblem, titleFromFilename } from "../lib/format";
import { watchPath } from "../lib/paths";
import { isTerminal, useTusUpload, type Transfer, type UploadItem } from "../upload/useTusUpload";

function isProbablyVideo(file: File): boolean {
  return file.type === "" || file.type.startsWith("video/") || /\.(mkv|mp4|m4v|mov|webm|avi|ts)$/i.test(file.name);
}

/** An error the user must see: brought into view and focused when it appears or changes. */
function UploadError({ message }: { message: string }) {
  const ref = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    ref.current?.scrollIntoView?.({ block: "center", behavior: "smooth" });
    ref.current?.focus();
  }, [message]);
  return (
    <p ref={ref} className="form-error" role="alert" tabIndex={-1} data-testid="upload-error">
      {message}
    </p>
  );
}

function TransferStatus({ transfer }: { transfer: Transfer }) {
  switch (transfer.phase) {
    case "queued":
      return <span className="muted">Waiting</span>;
    case "uploading":
    case "paused":
    case "cancelling":
      return <span>{percent(transfer.sent, transfer.total)} %{transfer.phase === "paused" && " · paused"}</span>;
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

export function AdminUploadPage() {
  const upload = useTusUpload();
  const [files, setFiles] = useState<File[]>([]);
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [tags, setTags] = useState("");
  const [publish, setPublish] = useState(true);
  const [dragging, setDragging] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const fileInputRef = useRef<HTMLInputElement>(null);

  const { transfers, current, busy } = upload;
  // Done or in progress: the form waits; failed or cancelled: it can be sent again.
  const locked = transfers.some((t) => t.phase !== "failed" && t.phase !== "cancelled");
  const allSettled = transfers.length > 0 && transfers.every((t) => isTerminal(t.phase));
  const shown = current ?? transfers.findLast((t) => t.phase !== "cancelled" && t.phase !== "queued") ?? null;
  const failed = transfers.findLast((t) => t.phase === "failed");
  const error = formError ?? failed?.error ?? null;
  const single = transfers.length === 1 ? transfers[0] : undefined;

  function chooseFiles(next: File[]) {
    setFiles(next);
    setFormError(null);
    const first = next[0];
    if (next.length === 1 && first && title.trim() === "") setTitle(titleFromFilename(first.name));
  }

  function onDrop(event: DragEvent<HTMLDivElement>) {
    event.preventDefault();
    setDragging(false);
    if (!locked) chooseFiles([...event.dataTransfer.files]);
  }

  function startUpload(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (files.length === 0 || locked || (files.length === 1 && title.trim() === "")) return;
    const tagList = parseTags(tags);
    const problem = tagsProblem(tagList);
    if (problem) {
      setFormError(problem);
      return;
    }
    setFormError(null);
    const shared = { description: description.trim(), tags: tagList.join(","), publish: publish ? "true" : "false" };
    const items: UploadItem[] = files.map((file) => ({
      file,
      // Several files: each is titled after its name (editable in the library).
      metadata: { ...shared, title: files.length === 1 ? title.trim() : titleFromFilename(file.name) },
    }));
    upload.start(items);
  }

  function reset() {
    upload.reset();
    setFiles([]);
    setTitle("");
    setDescription("");
    setTags("");
    setFormError(null);
    if (fileInputRef.current) fileInputRef.current.value = "";
  }

  const pct = shown ? percent(shown.sent, shown.total) : 0;
  const suspicious = files.filter((f) => !isProbablyVideo(f));

  return (
    <section className="page narrow" aria-labelledby="upload-title">
      <h1 id="upload-title">Upload videos</h1>
      <form className="form" onSubmit={startUpload}>
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
          <Field
            label="Video file"
            labelClassName="dropzone-label"
            hint="Drag and drop videos here, or choose them; several are uploaded one after another."
          >
            {(control) => (
              <input
                {...control}
                ref={fileInputRef}
                type="file"
                multiple
                accept="video/*,.mkv,.mp4,.m4v,.mov,.webm"
                disabled={locked}
                onChange={(e) => chooseFiles([...(e.target.files ?? [])])}
              />
            )}
          </Field>
          {files.length > 0 && (
            <ul className="file-chosen" data-testid="upload-file-names">
              {files.map((f, i) => (
                <li key={`${i}-${f.name}`}>
                  {f.name} · {formatBytes(f.size)}
                </li>
              ))}
            </ul>
          )}
          {suspicious.length > 0 && (
            <p className="hint" role="status">
              {suspicious.map((f) => f.name).join(", ")} {suspicious.length === 1 ? "does" : "do"} not look like a
              video; the server may reject {suspicious.length === 1 ? "it" : "them"}.
            </p>
          )}
        </div>

        {files.length <= 1 ? (
          <TitleField value={title} onChange={setTitle} disabled={locked} />
        ) : (
          <p className="hint">Each video is titled after its file name; change titles later in the library.</p>
        )}
        <DescriptionAndTagsFields
          description={description}
          onDescription={setDescription}
          tags={tags}
          onTags={setTags}
          tagsPlaceholder="nature, timelapse"
          disabled={locked}
        />
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
          <button
            type="submit"
            className="button primary"
            disabled={files.length === 0 || (files.length === 1 && title.trim() === "")}
          >
            Upload
          </button>
        )}
      </form>

      {shown && (
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
            {transfers.length > 1 && `${shown.file.name}: `}
            {pct} % · {formatBytes(shown.sent)} of {formatBytes(shown.total)}
            {shown.phase === "paused" && " · paused"}
          </p>
          {busy && (
            <p className="hint">
              Leaving this page pauses the upload; pick the same file again later to resume where it stopped.
            </p>
          )}
          {busy && current && (
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
          )}
          {current?.phase === "processing" && (
            <p role="status" data-testid="upload-processing">
              <span className="spinner" aria-hidden="true" /> Processing…
            </p>
          )}
        </div>
      )}

      {transfers.length > 1 && (
        <ul className="upload-queue" aria-label="Uploads" data-testid="upload-queue">
          {transfers.map((t, i) => (
            <li key={`${i}-${t.file.name}`}>
              <span>{t.title}</span>
              <TransferStatus transfer={t} />
            </li>
          ))}
        </ul>
      )}

      {single?.phase === "cancelled" && (
        <p role="status" data-testid="upload-cancelled">
          Upload cancelled.
        </p>
      )}
      {error && <UploadError message={error} />}
      {single?.phase === "done" && (
        <div className="upload-result" role="status">
          {single.result ? (
            <p>
              Ready: <TransferStatus transfer={single} />{" "}
              {single.result.status === "draft" ? "(draft — publish it from the library)" : "(published)"}
            </p>
          ) : (
            <p>
              Processing finished. <Link to="/admin/library">Open the library</Link>.
            </p>
          )}
        </div>
      )}
      {allSettled && (
        <button type="button" className="button" onClick={reset}>
          Upload more videos
        </button>
      )}
    </section>
  );
}
