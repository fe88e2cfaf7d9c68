import { useEffect, useId, useMemo, useState } from "react";
import { restoreAutomaticThumbnail, THUMBNAIL_IMAGE_TYPES, uploadThumbnailImage } from "../api/ingest";
import { LIMITS } from "../api/limits";
import type { CatalogueItem, ChosenThumbnail } from "../api/schema";
import { ActionButton } from "../components/ActionButton";
import { FormError } from "../components/ErrorMessage";
import { Field } from "../components/Field";
import { useAction } from "../lib/useAction";

/** The largest image the server takes, in MiB as people say it. */
const MAX_MIB = LIMITS.thumbnailImageBytes / 2 ** 20;

/** A local URL showing `file` (an image picked, before it is sent); let go when it changes. */
function usePreview(file: File | null): string | null {
  const url = useMemo(() => (file ? URL.createObjectURL(file) : null), [file]);
  useEffect(() => () => (url ? URL.revokeObjectURL(url) : undefined), [url]);
  return url;
}

/**
 * What the thumbnail section does: the image picked (checked against the server's size
 * limit first), saving it, or going back to the automatic frame; the row learns the new
 * stills' URLs, and `said` tells what was done.
 */
function useThumbnailChange(item: CatalogueItem, onChanged: (item: CatalogueItem) => void) {
  const action = useAction();
  const [file, setFile] = useState<File | null>(null);
  // A new key empties the file input (after a save or a cancel), so the same file is a new choice.
  const [fileKey, setFileKey] = useState(0);
  const [said, setSaid] = useState<string | null>(null);

  const pick = (picked: File | null) => {
    setSaid(null);
    // Larger than the server takes: said now, not after sending megabytes it refuses.
    const tooLarge = picked !== null && picked.size > LIMITS.thumbnailImageBytes;
    action.fail(tooLarge ? `The image is larger than ${MAX_MIB} MiB: pick a smaller one.` : null);
    setFile(tooLarge ? null : picked);
  };
  const forget = () => {
    setFile(null);
    setFileKey((key) => key + 1);
  };
  const changed = (chosen: ChosenThumbnail, sentence: string) => {
    onChanged({ ...item, thumbnail_url: chosen.thumbnail_url, poster_url: chosen.poster_url });
    setSaid(sentence);
    forget();
  };
  const save = (image: File) =>
    action.run("image", "Could not use the image", async () => {
      changed(await uploadThumbnailImage(item.id, image), "Thumbnail set to your image.");
    });
  const automatic = () =>
    action.run("automatic", `Could not go back to the ${automaticName(item)}`, async () => {
      setSaid(null);
      const chosen = await restoreAutomaticThumbnail(item.id);
      changed(chosen, chosen.thumbnail_url ? `Thumbnail set to the ${automaticName(item)}.` : "Thumbnail removed: the file has no cover.");
    });
  return { action, file, fileKey, said, pick, forget, save, automatic };
}

/** What an item's thumbnail is when no one chose it: a video's frame, a sound's cover (if any). */
function automaticName(item: CatalogueItem): string {
  return item.video_codec ? "automatic frame" : "file's own cover";
}

/**
 * On the library's edit form: the video's thumbnail, and making it of an image
 * the admin picks (shown before it is saved; the server decodes it and makes
 * the thumbnail and poster of it) or of the automatic frame again (the one
 * processing chose). Tells the server's refusal in its words. The new stills'
 * URLs carry their version, so the row and every page loaded after show them.
 * A sound without a cover shows none until it is given an image (a podcast's artwork).
 */
export function LibraryThumbnail({ item, onChanged }: { item: CatalogueItem; onChanged: (item: CatalogueItem) => void }) {
  const headingId = useId();
  const { action, file, fileKey, said, pick, forget, save, automatic } = useThumbnailChange(item, onChanged);
  const preview = usePreview(file);
  const busy = action.running !== null;
  const shown = preview ?? item.thumbnail_url;

  return (
    <section className="library-thumbnail" aria-labelledby={headingId} data-testid="library-thumbnail">
      <h3 id={headingId}>Thumbnail</h3>
      <div className="library-thumbnail-body">
        {shown ? (
          <img
            src={shown}
            alt={preview ? "Preview of the new thumbnail" : "Current thumbnail"}
            className="thumbnail-choice-preview library-thumbnail-still"
          />
        ) : (
          <p className="muted small library-thumbnail-still">No thumbnail: the file has no cover.</p>
        )}
        <div className="library-thumbnail-controls">
          <Field label="Upload image" hint={`JPEG, PNG or WebP, a still picture of at most ${MAX_MIB} MiB`}>
            {(control) => (
              <input
                {...control}
                key={fileKey}
                type="file"
                accept={THUMBNAIL_IMAGE_TYPES.join(",")}
                disabled={busy}
                onChange={(e) => pick(e.target.files?.[0] ?? null)}
              />
            )}
          </Field>
          <div className="button-row">
            {file && (
              <ActionButton className="button primary" busy={busy} onClick={() => void save(file)}>
                {action.running === "image" ? "Uploading…" : "Save thumbnail"}
              </ActionButton>
            )}
            {file && (
              <button type="button" className="button" disabled={busy} onClick={forget} aria-label="Cancel the image">
                Cancel
              </button>
            )}
            {item.thumbnail_url && (
              <ActionButton busy={busy} onClick={() => void automatic()}>
                {action.running === "automatic" ? "Making the thumbnail…" : `Use the ${automaticName(item)}`}
              </ActionButton>
            )}
          </div>
        </div>
      </div>
      {item.video_codec && <p className="muted small">To use another frame of the video, pause on it on its page.</p>}
      <div aria-live="polite" className="status-line small">
        {said && <span role="status">{said}</span>}
      </div>
      <FormError message={action.error} />
    </section>
  );
}
