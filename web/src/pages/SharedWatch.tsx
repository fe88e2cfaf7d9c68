import { useCallback, useEffect, useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { ApiError, videoErrorSentence } from "../api/errors";
import { getSharedItem, getSharedStreamToken, type SharedItem } from "../api/shares";
import { useAuth } from "../auth/useAuth";
import { ErrorMessage } from "../components/ErrorMessage";
import { LikeTally } from "../components/LikeButton";
import { PageLoading } from "../components/PageLoading";
import type { MomentLinks } from "../components/LinkedText";
import { WatchDescription, WatchFacts } from "../components/WatchFacts";
import { PageTitle } from "../components/SiteName";
import { formatDate } from "../lib/format";
import { startMoment } from "../lib/moment";
import { sharedPath } from "../lib/paths";
import { useUrlQuery } from "../lib/urlQuery";
import { useAsync } from "../lib/useAsync";
import { Player, type PlaySource } from "../player/Player";
import { useMomentLinks } from "../player/useMomentLinks";
import { preloadHls } from "../player/useStream";
import { useSharedPlay } from "./useSharedPlay";

/**
 * What a refused link says: the server never tells why (expired, stopped, or its video
 * unpublished for a while, after which the same link works again), so neither does the page.
 */
const LINK_REFUSED = "This link does not work right now.";

/** How often a share link's player checks that the link still works while it plays (ms). */
const SHARE_RECHECK_MS = 5_000;

/**
 * A share link's: grants from the link's own route (no account needed; refused once the link is
 * stopped or expires, even while it plays), no place saved (there is no account to keep it
 * for), moments linked on the link's page.
 */
function sharedSource(secret: string, onGone: () => void): PlaySource {
  return {
    grant: () => getSharedStreamToken(secret),
    gone: LINK_REFUSED,
    onGone,
    // A stopped link ends playback within seconds, though the rest of the video is buffered.
    recheckMs: SHARE_RECHECK_MS,
    savesProgress: false,
    momentPath: (seconds) => sharedPath(secret, seconds),
  };
}

/**
 * The video of the share link in the address (`:secret`), for its page and its embed page
 * alike: the video (`shared`, with the load's `error`, `loading`, `reload`), the player's
 * `source`, and `gone` once the server refused the link (unknown, expired, stopped, its video
 * unpublished: it never tells which), at first or while it played.
 */
export function useSharedLink() {
  const { secret = "" } = useParams();
  const fetchShared = useCallback((signal: AbortSignal) => getSharedItem(secret, signal), [secret]);
  const { data: shared, error, loading, reload } = useAsync(fetchShared);
  useEffect(preloadHls, []);
  // Stopped or expired while it plays: the player goes (what it buffered with it, and its
  // retries), and the page says the link does not work, as a reload would.
  const [ended, setEnded] = useState(false);
  const source = useMemo(() => sharedSource(secret, () => setEnded(true)), [secret]);
  const gone = ended || (error instanceof ApiError && error.status === 404);
  useSharedPlay(secret, shared?.play_ticket);
  return { secret, shared, error, loading, reload, source, gone };
}

/**
 * The one video a share link opens (`/s/<secret>`), for anyone who has the link, signed in or
 * not: its player, title, description and facts, and nothing else of the catalogue (no Up
 * next, playlists or comments, no place saved). A link refused says it does not work right now.
 */
export function SharedWatchPage() {
  const { shared, error, loading, reload, source, gone } = useSharedLink();
  const [query, setQuery] = useUrlQuery();
  const { playerRef, moments } = useMomentLinks(source.momentPath, shared?.item.duration_seconds, setQuery);

  if (loading) return <PageLoading />;
  if (gone) return <LinkGone />;
  if (error || !shared) {
    return (
      <section className="page narrow">
        <PageTitle title="Could not load the video" />
        <h1>Could not load the video</h1>
        <ErrorMessage error={error} onRetry={reload} say={videoErrorSentence} />
      </section>
    );
  }

  const { item } = shared;
  return (
    <article className="page watch" aria-labelledby="watch-title">
      <PageTitle title={item.title} />
      {/* First in the page's order, as on Watch: Tab from the title reaches the player. */}
      <div className="watch-head">
        <h1 id="watch-title">{item.title}</h1>
      </div>
      <div className="watch-main">
        <Player
          key={item.id}
          ref={playerRef}
          item={item}
          source={source}
          start={startMoment(query.get("t"), item.duration_seconds)}
        />
      </div>
      <div className="watch-side">
        <SharedDetails shared={shared} moments={moments} />
      </div>
    </article>
  );
}

/** Beside or under the player: how the viewer came to it, how many like it, the description (its timestamps seek) and the facts. */
function SharedDetails({ shared, moments }: { shared: SharedItem; moments: MomentLinks }) {
  const { item, expires_at: expiresAt } = shared;
  return (
    <div className="watch-info">
      <p className="muted small" data-testid="shared-by-link">
        Shared with you by link.{expiresAt && ` The link works until ${formatDate(expiresAt)}.`}
      </p>
      <LikeTally item={item} />
      <WatchDescription item={item} moments={moments} />
      <WatchFacts item={item} />
    </div>
  );
}

/** A link the server refused: where to go instead (signing in, for someone with an account). */
function LinkGone() {
  const { status } = useAuth();
  return (
    <section className="page narrow" aria-labelledby="link-gone-title">
      <PageTitle title={LINK_REFUSED} />
      <h1 id="link-gone-title">{LINK_REFUSED}</h1>
      <p>
        It may have expired or been stopped, or the video may be unavailable for a while. Ask the person who shared it.
      </p>
      <p>
        {status === "authenticated" ? (
          <Link to="/">Go to the videos</Link>
        ) : (
          <>
            Have an account? <Link to="/signin">Sign in</Link> to watch the videos there.
          </>
        )}
      </p>
    </section>
  );
}
