import { useEffect, useRef, useState, type FormEvent, type RefObject } from "react";
import { isTerminal, useTusUpload, type Transfer } from "../upload/useTusUpload";
import { UploadForm, useUploadDraft } from "./AdminUploadForm";
import { failureSummary, TransferQueue, UploadOutcome, UploadProgress } from "./AdminUploadStatus";
import { LeaveGuard, useLeaveGuard, type LeaveQuestion } from "../lib/leaveGuard";
import { UnfinishedUploads } from "./UnfinishedUploads";

/** Asked before a link (Library …) leaves the page mid-upload: it paused the upload without a word. */
const LEAVING_PAUSES: LeaveQuestion = {
  title: "Leave this page?",
  confirmLabel: "Leave and pause",
  words: "An upload is in progress: leaving this page pauses it. Pick the same file again later to resume where it stopped.",
};

export function AdminUploadPage() {
  return (
    <LeaveGuard question={LEAVING_PAUSES}>
      <UploadPage />
    </LeaveGuard>
  );
}

function UploadPage() {
  const upload = useTusUpload();
  const draft = useUploadDraft();
  const { transfers } = upload;
  // Done or in progress: the form waits; failed or cancelled: it can be sent again.
  const locked = transfers.some((t) => t.phase !== "failed" && t.phase !== "cancelled");
  const unfinishedVersion = useUnfinishedVersion(transfers);
  const [status, focusStatus] = useFocusOnStart();
  useLeaveGuard("upload", upload.busy);

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
      <UnfinishedUploads
        version={unfinishedVersion}
        resuming={upload.current?.resumes ?? upload.current?.uploadId ?? null}
      />
    </section>
  );
}

/**
 * Counts the moments the unfinished uploads may have changed, which reads them again: a file
 * of the page settled (done, failed, cancelled), or its bytes moved again after a retry (the
 * server is back). A count of settled files missed an upload failed, begun again and finished
 * (one settled before and after), and an error read during an outage stayed for good. The
 * file being sent is listed as resumed here, without a second Cancel.
 */
function useUnfinishedVersion(transfers: Transfer[]): number {
  const [seen, setSeen] = useState(transfers);
  const [version, setVersion] = useState(0);
  if (seen !== transfers) {
    setSeen(transfers);
    if (transfers.some((after, i) => settledOrBack(seen[i], after))) setVersion((v) => v + 1);
  }
  return version;
}

/** The file settled, or its retry ended with bytes moving, between `before` and `after`. */
function settledOrBack(before: Transfer | undefined, after: Transfer): boolean {
  if (!before || isTerminal(before.phase)) return false;
  return isTerminal(after.phase) || (Boolean(before.retry) && !after.retry && after.phase === "uploading");
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
