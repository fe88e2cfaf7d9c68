import { useState } from "react";
import { ActionButton } from "../components/ActionButton";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { FormError } from "../components/ErrorMessage";
import { useAction } from "../lib/useAction";

/**
 * Above the library filtered to outdated videos: what "outdated" means, and transcoding
 * them all at once, asked first. `total` is how many the list holds (null while it loads);
 * `onTranscodeAll` runs the library's bulk "transcode again" over every one of them (its
 * progress and outcome show where every bulk action's do), `busy` while one runs.
 */
export function OutdatedPanel({
  total,
  busy,
  onTranscodeAll,
}: {
  total: number | null;
  busy: boolean;
  onTranscodeAll: () => Promise<void>;
}) {
  const reading = useAction();
  const [confirming, setConfirming] = useState(false);
  if (!total) return null;
  const videos = total === 1 ? "1 video" : `${total} videos`;
  const running = busy || reading.running !== null;

  return (
    <div className="notice" data-testid="outdated-panel">
      <p>
        This version would make more of {videos}: never transcoded, or transcoded by an older version (with one audio
        track, say).
      </p>
      <ActionButton className="button primary" busy={running} onClick={() => setConfirming(true)}>
        {running ? "Queueing…" : `Transcode all ${total}`}
      </ActionButton>
      <FormError message={reading.error} />
      {confirming && (
        <ConfirmDialog
          title={`Transcode ${videos}?`}
          confirmLabel="Transcode all"
          destructive={false}
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void reading.run("transcode-all", "Could not read the list of videos", onTranscodeAll);
          }}
        >
          Each is made from its original with this version’s transcoder. The workers take them in turn, which may
          take a while; videos that play go on playing as they are until their new version is ready.
        </ConfirmDialog>
      )}
    </div>
  );
}
