import { useState } from "react";
import { chooseThumbnail } from "../api/ingest";
import type { ChosenThumbnail, CatalogueItem } from "../api/schema";
import { useAuth } from "../auth/useAuth";
import { formatClock } from "../lib/format";
import { useAction } from "../lib/useAction";
import { ActionButton } from "./ActionButton";
import { FormError } from "./ErrorMessage";

/**
 * For admins, under a video's player: "Use this frame as thumbnail" makes the
 * item's thumbnail and poster of the frame the player shows (the server takes
 * it from the stored original) and shows the new thumbnail. The stills' URLs
 * carry their version, here and on every page loaded after it, so no cached
 * copy of the old ones is shown. Nothing for a sound.
 */
export function ThumbnailFromFrame({ item, moment }: { item: CatalogueItem; moment: () => number | null }) {
  const { user } = useAuth();
  const { running, error, fail, run } = useAction();
  const [chosen, setChosen] = useState<ChosenThumbnail | null>(null);
  if (user?.role !== "admin" || !item.video_codec || !item.thumbnail_url) return null;

  const choose = () => {
    const now = moment();
    if (now === null) {
      fail("The video has not loaded yet: play it or move to the frame first.");
      return;
    }
    // A package may run a frame past the length the original was measured at.
    const at = Math.max(0, Math.min(now, item.duration_seconds ?? now));
    void run(item.id, "Could not make the thumbnail", async () => setChosen(await chooseThumbnail(item.id, at)));
  };

  return (
    <div className="thumbnail-choice">
      <ActionButton busy={running !== null} onClick={choose}>
        {running !== null ? "Making the thumbnail…" : "Use this frame as thumbnail"}
      </ActionButton>
      {chosen && (
        <p className="small" role="status">
          {chosen.thumbnail_url && <img src={chosen.thumbnail_url} alt="" width={96} className="thumbnail-choice-preview" />}
          Thumbnail set to the frame at {formatClock(chosen.at_seconds)}.
        </p>
      )}
      <FormError message={error} />
    </div>
  );
}
