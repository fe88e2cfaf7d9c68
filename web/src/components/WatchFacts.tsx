import type { CatalogueItem } from "../api/schema";
import { LinkedText, type MomentLinks } from "./LinkedText";
import { formatBytes, formatDate, formatDuration, formatResolution, formatViews } from "../lib/format";
import { trackName } from "../lib/language";

/** The item's length, picture, codecs, captions, size and date; each only when known. */
export function WatchFacts({ item }: { item: CatalogueItem }) {
  const duration = formatDuration(item.duration_seconds);
  const resolution = formatResolution(item.width, item.height);
  const codecs = [item.video_codec, item.audio_codec].filter(Boolean).join(" / ");
  return (
    <dl className="meta">
      {duration && (
        <>
          <dt>Duration</dt>
          <dd data-testid="watch-duration">{duration}</dd>
        </>
      )}
      {resolution && (
        <>
          <dt>Resolution</dt>
          <dd>
            {resolution}
            {item.fps ? ` @ ${Math.round(item.fps * 100) / 100} fps` : ""}
          </dd>
        </>
      )}
      {codecs && (
        <>
          <dt>Codecs</dt>
          <dd>{codecs}</dd>
        </>
      )}
      {item.captions && item.captions.length > 0 && (
        <>
          <dt>Captions</dt>
          <dd data-testid="watch-captions">{item.captions.map((c) => trackName(c.label, c.language)).join(", ")}</dd>
        </>
      )}
      {item.size_bytes > 0 && (
        <>
          <dt>Size</dt>
          <dd>{formatBytes(item.size_bytes)}</dd>
        </>
      )}
      <dt>Views</dt>
      <dd data-testid="watch-views">{formatViews(item.view_count)}</dd>
      {/* A draft that was public before keeps the date it first went public. */}
      <dt>{item.published_at ? (item.status === "published" ? "Published" : "First published") : "Created"}</dt>
      <dd>{formatDate(item.published_at ?? item.created_at)}</dd>
    </dl>
  );
}

/** The item's description, if it has one: its links and timestamps (which seek) made links. */
export function WatchDescription({ item, moments }: { item: CatalogueItem; moments: MomentLinks }) {
  if (!item.description) return null;
  return (
    <p className="description">
      <LinkedText text={item.description} moments={moments} />
    </p>
  );
}
