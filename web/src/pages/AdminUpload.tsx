import type { FormEvent } from "react";
import { useTusUpload } from "../upload/useTusUpload";
import { UploadForm, useUploadDraft } from "./AdminUploadForm";
import { failureSummary, TransferQueue, UploadOutcome, UploadProgress } from "./AdminUploadStatus";
import { UnfinishedUploads } from "./UnfinishedUploads";

export function AdminUploadPage() {
  const upload = useTusUpload();
  const draft = useUploadDraft();
  const { transfers } = upload;
  // Done or in progress: the form waits; failed or cancelled: it can be sent again.
  const locked = transfers.some((t) => t.phase !== "failed" && t.phase !== "cancelled");

  function startUpload(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!draft.ready || locked) return;
    const items = draft.prepare();
    if (items) upload.start(items);
  }

  function reset() {
    upload.reset();
    draft.clear();
  }

  return (
    <section className="page narrow" aria-labelledby="upload-title">
      <h1 id="upload-title">Upload videos</h1>
      <UploadForm draft={draft} locked={locked} onSubmit={startUpload} />
      <UploadProgress upload={upload} />
      {transfers.length > 1 && <TransferQueue transfers={transfers} />}
      <UploadOutcome transfers={transfers} error={draft.error ?? failureSummary(transfers)} onReset={reset} />
      <UnfinishedUploads version={transfers.map((t) => t.phase).join()} />
    </section>
  );
}
