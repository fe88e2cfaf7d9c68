import type { ReactNode } from "react";
import { videoErrorSentence } from "../api/errors";
import { ErrorMessage } from "../components/ErrorMessage";
import { startMoment } from "../lib/moment";
import { absoluteUrl, sharedPath } from "../lib/paths";
import { useUrlQuery } from "../lib/urlQuery";
import { Player } from "../player/Player";
import { useSharedLink } from "./SharedWatch";
import { SOFTWARE_NAME, useSiteName } from "../lib/siteName";

/**
 * What an embedded link that does not work says, in the frame another site gave it: not why
 * (it may work again once its video is published again).
 */
export const EMBED_GONE = "This video is not available right now.";

/**
 * A share link's player alone (`/embed/s/<secret>`), for another site's `<iframe>`: the
 * picture filling the frame on black, no header or footer, the title and "Watch on <host>"
 * (the link's own page, in a new tab) over its top while the controls show. It loads and plays
 * as the share page does (its grants, its budget; no sign-in: a frame gets no cookies of ours),
 * but no video before its reader presses play: a blog's page of three embeds cost each reader
 * three minutes of video they mostly never watched.
 * A refused link says so in the frame rather than showing the site.
 */
export function SharedEmbedPage() {
  const { secret, shared, error, loading, reload, source, gone } = useSharedLink();
  const [query] = useUrlQuery();

  if (loading) {
    return (
      <EmbedFrame title="Loading…">
        <p role="status">Loading…</p>
      </EmbedFrame>
    );
  }
  if (gone) {
    return (
      <EmbedFrame title={EMBED_GONE}>
        <p className="embed-message">{EMBED_GONE}</p>
      </EmbedFrame>
    );
  }
  if (error || !shared) {
    return (
      <EmbedFrame title="Could not load the video">
        <ErrorMessage error={error} onRetry={reload} say={videoErrorSentence} />
      </EmbedFrame>
    );
  }
  const { item } = shared;
  return (
    <EmbedFrame title={item.title}>
      <Player
        key={item.id}
        item={item}
        source={source}
        start={startMoment(query.get("t"), item.duration_seconds)}
        tools={false}
        waitsForPlay
        heading={<EmbedHeading title={item.title} secret={secret} />}
      />
    </EmbedFrame>
  );
}

/** The whole frame, black, titled (the tab's title, and a screen reader's name of the frame's page). */
function EmbedFrame({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="embed" data-testid="embed">
      <title>{title}</title>
      {children}
    </main>
  );
}

/** Over the picture: the video's title, and where to watch it on this site. */
function EmbedHeading({ title, secret }: { title: string; secret: string }) {
  // The server's name where it has one ("Watch on Herons Film Club"), else its address.
  const siteName = useSiteName();
  return (
    <>
      <h1 className="embed-title">{title}</h1>
      <a className="embed-site" href={absoluteUrl(sharedPath(secret))} target="_blank" rel="noopener">
        Watch on {siteName === SOFTWARE_NAME ? window.location.host : siteName}{" "}
        <span className="visually-hidden">(opens in a new tab)</span>
      </a>
    </>
  );
}
