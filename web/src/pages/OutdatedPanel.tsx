import { useState } from "react";
import { listEvery } from "../api/catalogue";
import { errorMessage } from "../api/errors";
import { retryTranscode } from "../api/ingest";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { FormError } from "../components/ErrorMessage";
import { inTurn } from "../lib/inTurn";
import { useAction } from "../lib/useAction";

/**
 * Above the library filtered to outdated videos: transcode them all at once,
 * asked first, with a progress line while each is queued. `total` is how many the
 * list holds (null while it loads); `onDone` follows the run (the list reloads:
 * the queued ones have left it, and what the run told stays).
 */
export function OutdatedPanel({ total, onDone }: { total: number | null; onDone: () => void }) {
  const run = useBulkTranscode(onDone);
  const [confirming, setConfirming] = useState(false);
  // Nothing to say until the list is known to hold some, or a run has told something.
  if (!total && run.progress === null && run.error === null) return null;
  const videos = total === 1 ? "1 video" : `${total ?? 0} videos`;

  return (
    <div className="notice" data-testid="outdated-panel">
      {total ? (
        <>
          <p>
            This version would make more of {videos}: never transcoded, or transcoded by an older version (with one
            audio track, say).
          </p>
          <button type="button" className="button primary" disabled={run.running} onClick={() => setConfirming(true)}>
            {run.running ? "Queueing…" : `Transcode all ${total}`}
          </button>
        </>
      ) : null}
      <p role="status" aria-live="polite" className="muted small">
        {run.progress}
      </p>
      <FormError message={run.error} />
      {confirming && (
        <ConfirmDialog
          title={`Transcode ${videos}?`}
          confirmLabel="Transcode all"
          destructive={false}
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void run.start();
          }}
        >
          Each is made from its original with this version’s transcoder. The workers take them in turn, which may
          take a while; videos that play go on playing as they are until their new version is ready.
        </ConfirmDialog>
      )}
    </div>
  );
}

/** Queues every outdated video in turn, telling `progress` how far it got; the refusals, each with its reason. */
async function queueEvery(progress: (text: string) => void): Promise<string[]> {
  const items = await listEvery({ status: "all", processing: "outdated", sort: "oldest" });
  const { reasons } = await inTurn(
    items,
    (item) => retryTranscode(item.id),
    (index, total) => progress(`Queueing ${index + 1} of ${total}…`),
  );
  progress(`Queued ${items.length - reasons.length} of ${items.length}.`);
  return reasons;
}

/** The run of "Transcode all" (the project's useAction around queueEvery); `onDone` follows it, however it ended. */
function useBulkTranscode(onDone: () => void) {
  const action = useAction();
  const [progress, setProgress] = useState<string | null>(null);
  const start = () =>
    action.run("transcode-all", errorMessage, async () => {
      try {
        const refused = await queueEvery(setProgress);
        if (refused.length > 0) throw new Error(`Not queued: ${refused.join("; ")}`);
      } finally {
        onDone();
      }
    });
  return { running: action.running !== null, progress, error: action.error, start };
}
