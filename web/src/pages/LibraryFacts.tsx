import { useId, useState } from "react";
import { getStreamToken } from "../api/catalogue";
import { probeAgain } from "../api/ingest";
import type { FactsRead, CatalogueItem } from "../api/schema";
import { ActionButton } from "../components/ActionButton";
import { FormError } from "../components/ErrorMessage";
import { startDownload } from "../lib/download";
import { formatBytes } from "../lib/format";
import { useAction } from "../lib/useAction";

/** How the answer's field names read in a sentence. */
const FACT_NAMES: Record<string, string> = {
  content_type: "file type",
  duration_seconds: "length",
  video_codec: "video codec",
  audio_codec: "audio codec",
  width: "width",
  height: "height",
  fps: "frame rate",
  chapters: "chapters",
};

/** What reading the file again found, in a sentence (and one more when whether it plays changed). */
export function factsReadSaid(read: FactsRead): string {
  const chapters = chaptersSaid(read.item);
  if (read.changed.length === 0) return `Nothing changed: the file says what it said (${chapters}).`;
  const facts = read.changed.filter((name) => name !== "playable");
  const names = facts.map((name) => FACT_NAMES[name] ?? name).join(", ");
  const said = facts.length > 0 ? `Updated ${names}; it has ${chapters}.` : `It has ${chapters}.`;
  return read.changed.includes("playable") ? `${said} ${playingSaid(read.item)}` : said;
}

/** How many chapters the item has, and that they are its description's when they are (those win over the file's). */
function chaptersSaid(item: CatalogueItem): string {
  const count = item.chapters?.length ?? 0;
  const chapters = count === 0 ? "no chapters" : count === 1 ? "1 chapter" : `${count} chapters`;
  return item.chapters_from === "description" ? `${chapters} from its description` : chapters;
}

/** What the item's playing now is, once reading its file again changed it. */
function playingSaid(item: CatalogueItem): string {
  if (item.playable) return "It plays as uploaded now.";
  const queued = item.processing_state === "queued";
  return `Its file does not play in browsers${queued ? ": it is queued for transcoding" : ""}.`;
}

/**
 * On the library's edit form: read the item's stored file again, for what the
 * probe reads now (chapters, the main sound track) in items uploaded before it
 * did; tells what changed, or why nothing could. And download its original
 * (the uploaded file, or the one that replaced it) through a fresh stream grant.
 */
export function LibraryFacts({ item, onChanged }: { item: CatalogueItem; onChanged: (item: CatalogueItem) => void }) {
  const headingId = useId();
  const action = useAction();
  const [said, setSaid] = useState<string | null>(null);
  const busy = action.running !== null;
  const size = item.size_bytes > 0 ? ` (${formatBytes(item.size_bytes)})` : "";

  const readAgain = () =>
    action.run("probe", "Could not read the file again", async () => {
      setSaid(null);
      const read = await probeAgain(item.id);
      setSaid(factsReadSaid(read));
      onChanged(read.item);
    });

  // A fresh grant each time: one kept from earlier may have ended with its access token.
  const download = () =>
    action.run("download", "Could not download the original", async () => {
      setSaid(null);
      const grant = await getStreamToken(item.id);
      if (!grant.download_url) throw new Error("this account may not download original files");
      startDownload(grant.download_url);
    });

  return (
    <section className="library-facts" aria-labelledby={headingId} data-testid="library-facts">
      <h3 id={headingId}>File</h3>
      <p className="muted small">
        Read its file again for chapters and codecs an older version did not read. Its thumbnail stays. Chapters
        listed in its description win over the file&rsquo;s. Download original gives the file uploaded (or the one that
        replaced it) as stored for streaming: an MP4 or MOV whose index was at its end has it moved to the front, so it
        has the same picture and sound but not the same bytes (its checksum differs).
      </p>
      <div className="button-row">
        <ActionButton busy={busy} onClick={() => void readAgain()}>
          {action.running === "probe" ? "Reading…" : "Read the file again"}
        </ActionButton>
        <ActionButton busy={busy} onClick={() => void download()}>
          {action.running === "download" ? "Starting the download…" : `Download original${size}`}
        </ActionButton>
      </div>
      <div aria-live="polite" className="status-line small">
        {said && <span role="status">{said}</span>}
      </div>
      <FormError message={action.error} />
    </section>
  );
}
