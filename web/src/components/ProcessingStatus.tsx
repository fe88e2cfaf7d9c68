import { errorMessage } from "../api/errors";
import { ActionButton } from "./ActionButton";
import { retryTranscode } from "../api/ingest";
import type { CatalogueItem } from "../api/schema";
import { useState } from "react";
import { useAction } from "../lib/useAction";
import { ConfirmDialog } from "./ConfirmDialog";
import { FormError } from "./ErrorMessage";

/**
 * Where an item's transcoding stands, for people; null when there is nothing
 * to say (never processed, or ready and whole). The detail (the rung being written,
 * why it failed, or what a ready package skipped of a damaged original) is only sent
 * to admins.
 */
export function processingLabel(item: CatalogueItem): string | null {
  const detail = item.processing_detail ? ` · ${item.processing_detail}` : "";
  switch (item.processing_state) {
    case "queued":
      return "Queued for processing";
    case "processing":
      return `Processing ${item.processing_percent ?? 0} %${detail}`;
    case "failed":
      return failedLabel(item);
    case "ready":
      return item.processing_detail ? `Ready${detail}` : null;
    default:
      return null;
  }
}

/**
 * Whether the item's transcoding failed yet it plays: an earlier package (it was a
 * re-transcode that failed) or its original, browser-safe. `playable` is true unless said.
 */
export function failedButPlays(item: CatalogueItem): boolean {
  return item.processing_state === "failed" && item.playable !== false;
}

/** Whether the item's transcoding failed and it does not play (told in red: someone must act). */
export function failedUnplayable(item: CatalogueItem): boolean {
  return item.processing_state === "failed" && !failedButPlays(item);
}

/** Whether the item's playable package comes from an earlier transcode (HLS, or renditions). */
function hasEarlierPackage(item: CatalogueItem): boolean {
  return item.has_hls === true || (item.renditions?.length ?? 0) > 0;
}

/**
 * A failed transcode in words. One that still plays says so: a red "Processing failed" on a
 * video that played its earlier version read as if viewers had lost it. "The version it
 * had": a re-transcode's earlier package, or the lowest rung a first one published early.
 */
function failedLabel(item: CatalogueItem): string {
  const why = item.processing_detail;
  if (!failedButPlays(item)) return `Processing failed${why ? `: ${why}` : ""}`;
  const reason = why ? ` (${why})` : "";
  return hasEarlierPackage(item)
    ? `Transcoding failed${reason}; still playing the version it had`
    : `Transcoding failed${reason}; still playing the file as uploaded`;
}

/** Whether a job is queued or running for the item (its page or row follows it meanwhile). */
export function isTranscoding(item: CatalogueItem): boolean {
  return item.processing_state === "queued" || item.processing_state === "processing";
}

/**
 * A small badge with the processing state, when there is one: a red "Failed" for a video
 * that cannot play; a plain "Transcode failed" for one that plays all the same.
 */
export function ProcessingBadge({ item }: { item: CatalogueItem }) {
  // A ready item's detail (what a damaged original lost) is for the library, not a badge.
  if (!isTranscoding(item) && item.processing_state !== "failed") return null;
  if (failedButPlays(item)) {
    return (
      <span className="badge" data-testid="processing-badge">
        Transcode failed
      </span>
    );
  }
  const failed = item.processing_state === "failed";
  return (
    <span className={`badge ${failed ? "failed" : "processing"}`} data-testid="processing-badge">
      {failed ? "Failed" : item.processing_state === "queued" ? "Queued" : `${item.processing_percent ?? 0} %`}
    </span>
  );
}

/**
 * For admins, what a newer version would make of an item: "Transcoded by an
 * older version" (or "Not transcoded yet", from a version before transcoding);
 * null when it is up to date.
 */
export function outdatedLabel(item: CatalogueItem): string | null {
  if (!item.outdated) return null;
  return item.processing_state === "none" ? "Not transcoded yet" : "Transcoded by an older version";
}

/**
 * Whether an admin may have the item transcoded (again): its transcoding failed or is
 * done, or it is a video never transcoded; not while a job is queued or running.
 */
export function canTranscodeAgain(item: CatalogueItem): boolean {
  const state = item.processing_state;
  return state === "failed" || state === "ready" || (state === "none" && item.outdated === true);
}

/**
 * "Transcode again" for an admin on an item whose transcoding failed or is done,
 * or a video never transcoded (nothing while a job is queued or running, or for
 * a sound): the server queues a new job and answers the item, `queued`. An item
 * that plays goes on playing until the new package replaces it; since that
 * costs a whole transcode and nothing is broken, it is asked for once more.
 */
export function TranscodeAgainButton({ item, onQueued }: { item: CatalogueItem; onQueued: (item: CatalogueItem) => void }) {
  const { running, error, run } = useAction();
  const [confirming, setConfirming] = useState(false);
  const state = item.processing_state;
  if (!canTranscodeAgain(item)) return null;
  const retry = () => run(item.id, errorMessage, async () => onQueued(await retryTranscode(item.id)));
  const ask = state !== "failed";
  const again = state === "none" ? "" : " again";
  const text = running !== null ? "Queueing…" : `Transcode${again}`;

  return (
    <>
      <ActionButton
        busy={running !== null}
        onClick={() => (ask ? setConfirming(true) : void retry())}
        // The words on the button first (a voice user says what they see), then whose.
        label={`${text} (${item.title})`}
      >
        {text}
      </ActionButton>
      <FormError message={error} />
      {confirming && (
        <ConfirmDialog
          title={`Transcode “${item.title}”${again}?`}
          confirmLabel={`Transcode${again}`}
          destructive={false}
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void retry();
          }}
        >
          It is made{again} from its original with this version’s transcoder (which keeps every audio track, for
          example).
          {item.playable && " It goes on playing as it is until the new one is ready."}
        </ConfirmDialog>
      )}
    </>
  );
}
