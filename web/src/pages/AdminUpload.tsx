import { useEffect, useRef, useState, type FormEvent, type RefObject } from "react";
import { isTerminal, useTusUpload, type TusUpload } from "../upload/useTusUpload";
import { UploadForm, useUploadDraft } from "./AdminUploadForm";
import { failureSummary, TransferQueue, UploadOutcome, UploadProgress } from "./AdminUploadStatus";
import { UnfinishedUploads } from "./UnfinishedUploads";

export function AdminUploadPage() {
  const upload = useTusUpload();
  const draft = useUploadDraft();
  const { transfers } = upload;
  // Done or in progress: the form waits; failed or cancelled: it can be sent again.
  const locked = transfers.some((t) => t.phase !== "failed" && t.phase !== "cancelled");
  const unfinishedVersion = useSettledCount(upload);
  const [status, focusStatus] = useFocusOnStart();

  function startUpload(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!draft.ready || locked) return;
    const items = draft.prepare();
    if (!items) return;
    upload.start(items);
    focusStatus();
  }

  function reset() {
    upload.reset();
    draft.clear();
  }

  return (
    <section className="page narrow" aria-labelledby="upload-title">
      <h1 id="upload-title">Upload videos</h1>
      <UploadForm draft={draft} locked={locked} onSubmit={startUpload} />
      <UploadProgress upload={upload} statusRef={status} />
      {transfers.length > 1 && <TransferQueue transfers={transfers} />}
      <UploadOutcome transfers={transfers} error={failureSummary(transfers)} onReset={reset} />
      <UnfinishedUploads version={unfinishedVersion} resuming={upload.current?.resumes ?? null} />
    </section>
  );
}

/**
 * How many of the page's files have settled, counted only while none is moving: the
 * unfinished uploads are read again when it changes (an upload resumed and finished here
 * stayed listed as unfinished), never mid-upload, when the file being sent would be listed
 * too, with a second Cancel.
 */
function useSettledCount({ transfers, current }: TusUpload): number {
  const [count, setCount] = useState(0);
  const settled = transfers.filter((t) => isTerminal(t.phase)).length;
  if (current === null && settled !== count) setCount(settled);
  return count;
}

/**
 * The upload's status box, and what focuses it once an upload has started: the Upload button
 * pressed goes away (and the fields it was pressed from are disabled), which sent the focus
 * to the page's body; the box says what happens now.
 */
function useFocusOnStart(): [RefObject<HTMLDivElement | null>, () => void] {
  const status = useRef<HTMLDivElement>(null);
  const [started, setStarted] = useState(0);
  useEffect(() => {
    if (started > 0) status.current?.focus();
  }, [started]);
  return [status, () => setStarted((n) => n + 1)];
}
