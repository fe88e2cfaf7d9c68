import { useEffect, useId, useRef, useState } from "react";
import type { CatalogueItem, MediaItem, ReplaceCheck } from "../api/schema";
import { FocusedMessage } from "../components/FocusedMessage";
import { Field } from "../components/Field";
import { isTranscoding, processingLabel } from "../components/ProcessingStatus";
import { useItemPolling } from "../lib/useItemPolling";
import { useTusUpload } from "../upload/useTusUpload";
import { UploadProgress } from "./AdminUploadStatus";

/**
 * On the library's edit form: replace the item's video file with another (a wrong cut, bad
 * sound) through the same resumable upload as a new video, with its progress, pause and
 * cancel. The item keeps its address, title, captions, playlists and views; the server
 * probes the new file first and says why it refuses one (the item then plays on as it was).
 * Once it is in, the row learns the new facts and the section follows the new file's
 * transcoding, while viewers go on playing the old one.
 */
export function LibraryReplace({ item, onChanged }: { item: CatalogueItem; onChanged: (item: CatalogueItem) => void }) {
  const headingId = useId();
  const upload = useTusUpload();
  const [file, setFile] = useState<File | null>(null);
  // A new key empties the file input once a file is sent, so picking it again is a new choice.
  const [fileKey, setFileKey] = useState(0);
  const transfer = upload.transfers[0] ?? null;
  const replaced = transfer?.phase === "done" ? transfer.result : null;
  const checks = transfer?.phase === "done" ? (transfer.checks ?? []) : [];
  const refusal = transfer?.phase === "failed" ? transfer.error : null;
  const sending = upload.current !== null;

  const send = (picked: File) => {
    upload.start([{ file: picked, metadata: { title: item.title, replaces: item.id } }]);
    setFile(null);
    setFileKey((key) => key + 1);
  };

  return (
    <section className="library-replace" aria-labelledby={headingId} data-testid="library-replace">
      <h3 id={headingId}>Replace video file</h3>
      <p className="muted small">
        Upload a new file for this video: it keeps its address, title, description, captions, playlists and views.
        Viewers go on watching the old file until the new one is processed. The current file is deleted once the new one
        is in: Download original then gives the new one, and the old one cannot be got back.
      </p>
      <Field label="New video file">
        {(control) => (
          <input
            {...control}
            key={fileKey}
            type="file"
            accept="video/*,audio/*"
            disabled={sending}
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
        )}
      </Field>
      {file && !sending && (
        <div className="button-row">
          <button type="button" className="button primary" onClick={() => send(file)}>
            Replace the file
          </button>
        </div>
      )}
      <UploadProgress upload={upload} />
      {replaced && <ReplaceOutcome key={replaced.updated_at} replaced={replaced} checks={checks} onChanged={onChanged} />}
      {refusal && (
        <FocusedMessage
          message={`Not replaced: ${refusal.replace(/[.!]?$/, ".")} The video plays as it did.`}
          role="alert"
          className="form-error"
          testId="library-replace-error"
        />
      )}
    </section>
  );
}

/**
 * What a replace came to, under one key (two siblings sharing one made React keep every
 * earlier status): where the new file stands, and what to check.
 */
function ReplaceOutcome({
  replaced,
  checks,
  onChanged,
}: {
  replaced: MediaItem;
  checks: ReplaceCheck[];
  onChanged: (item: CatalogueItem) => void;
}) {
  return (
    <>
      <ReplacedStatus replaced={replaced} onChanged={onChanged} />
      <ToCheck checks={checks} />
    </>
  );
}

/**
 * The file replaced, and where the new file's processing stands, followed until it is over.
 * The row is handed the item the server answered once (its facts, stills and state are new).
 */
function ReplacedStatus({ replaced, onChanged }: { replaced: CatalogueItem; onChanged: (item: CatalogueItem) => void }) {
  const [latest, setLatest] = useState(replaced);
  const handTo = useRef(onChanged);
  useEffect(() => {
    handTo.current = onChanged;
  });
  useEffect(() => handTo.current(replaced), [replaced]);
  useItemPolling(replaced.id, isTranscoding(latest), setLatest);
  const processing = processingLabel(latest);
  const transcoding = isTranscoding(latest);
  // Over, and it plays: what viewers get from now on is the new file.
  const plays = !transcoding && latest.processing_state !== "failed" && latest.playable;
  return (
    // Focused once the file is in: the Replace button pressed went away while it was sent.
    <FocusedMessage
      role="status"
      testId="library-replace-done"
      told={replaced}
      message={
        <>
          File replaced{processing ? ` · ${processing}` : ""}
          {transcoding && " (viewers see the old file meanwhile)"}
          {plays && " · viewers see the new file now"}.
        </>
      }
    />
  );
}

/**
 * What was made for the old cut and stays with the new file, for the admin to look at, as
 * the server lists it (its job's `checks`: the rule is the server's, the words are ours): a
 * thumbnail they chose (a frame of the old file may not be in the new one), caption tracks
 * uploaded for it (timed for the old cut) and chapters written in the description.
 */
function ToCheck({ checks }: { checks: ReplaceCheck[] }) {
  const said = checks.map(checkWorded).filter(Boolean);
  if (said.length === 0) return null;
  return (
    <p className="small" data-testid="library-replace-check">
      Made for the old file, now check: {said.join("; ")}.
    </p>
  );
}

/** One thing to check, in words ("" for a kind this page does not know yet). */
function checkWorded(check: ReplaceCheck): string {
  switch (check.kind) {
    case "chosen_thumbnail":
      return "the thumbnail you chose (it may show a frame of the old file)";
    case "uploaded_captions": {
      const tracks = check.count ?? 0;
      return `${tracks} caption ${tracks === 1 ? "track" : "tracks"} timed for the old file`;
    }
    case "description_chapters":
      return "the chapters written in the description";
    default:
      return "";
  }
}
