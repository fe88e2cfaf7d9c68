import { useCallback, useEffect, useMemo, useState } from "react";
import { videoErrorSentence, type ApiError } from "../api/errors";
import { Link, useLocation, useParams } from "react-router";
import { getItem, listRelated } from "../api/catalogue";
import { getPlaylist } from "../api/playlists";
import type { CatalogueItem, Playlist, ViewedMediaItem } from "../api/schema";
import { useAuth } from "../auth/useAuth";
import { Comments } from "../components/Comments";
import { LikeButton } from "../components/LikeButton";
import { LoadFailure } from "../components/LoadFailure";
import { PageLoading } from "../components/PageLoading";
import { nextInPlaylist, PlaylistPanel } from "../components/PlaylistPanel";
import { processingLabel, TranscodeAgainButton } from "../components/ProcessingStatus";
import type { MomentLinks } from "../components/LinkedText";
import { RelatedItems } from "../components/RelatedItems";
import { SaveToPlaylist } from "../components/SaveToPlaylist";
import { TagLinks } from "../components/TagLinks";
import { ThumbnailFromFrame } from "../components/ThumbnailFromFrame";
import { formatDate } from "../lib/format";
import { startMoment } from "../lib/moment";
import { libraryItemPath, playlistWatchPath, watchPath } from "../lib/paths";
import { useUrlQuery } from "../lib/urlQuery";
import { useAsync } from "../lib/useAsync";
import { useItemPolling } from "../lib/useItemPolling";
import { Player, watchSource, type PlaySource } from "../player/Player";
import { useMomentLinks } from "../player/useMomentLinks";
import { preloadHls } from "../player/useStream";
import { WatchDescription, WatchFacts } from "../components/WatchFacts";
import { PageTitle } from "../components/SiteName";
import type { UpNextState } from "../player/UpNext";

/** What the page says of an item it cannot find, and where it leads instead. */
const VIDEO_GONE = {
  gone: "It may have been removed or not be published yet.",
  back: { to: "/", label: "Back to browse" },
  say: videoErrorSentence,
};

/**
 * One item: its player (from `?t=` when the link names a moment), description and details, and
 * its comments (opened at one when the link names it, `?comment=`).
 */
export function WatchPage() {
  const { id = "" } = useParams();
  const fetchItem = useCallback((signal: AbortSignal) => getItem(id, signal), [id]);
  const { data: item, error, loading, reload, setData } = useAsync(fetchItem);
  // hls.js comes beside the item, not after it and its stream token.
  useEffect(preloadHls, []);
  const { source, withdrawn } = useWithdrawal(id);
  const [query, setQuery] = useUrlQuery();
  const momentPath = useCallback((seconds: number) => watchPath(id, seconds), [id]);
  const { playerRef, moments } = useMomentLinks(momentPath, item?.duration_seconds, setQuery);
  const waiting = item !== null && item.playable === false && item.processing_state !== "failed";
  const { related, asked } = useWhatComesNext(id);
  const playlist = usePlaylistPlayed(query.get("list"), id);
  const next = playlist ? nextInPlaylist(playlist, id) : (related[0] ?? null);

  // Not playable yet (transcoding): look again now and then; the player
  // appears as soon as the first rendition is there.
  useItemPolling(id, waiting, (fresh) => setData(() => fresh));

  if (loading) return <PageLoading />;
  if (withdrawn || error || !item) {
    return <LoadFailure what="video" error={withdrawn ?? error} onRetry={reload} {...VIDEO_GONE} />;
  }

  return (
    <article className="page watch" aria-labelledby="watch-title">
      <PageTitle title={item.title} />
      <WatchHeading item={item} />
      <div className="watch-main">
        {item.playable === false ? (
          <PendingPlayer item={item} onQueued={(queued) => setData(() => queued)} />
        ) : (
          <Player
            key={item.id}
            ref={playerRef}
            item={item}
            source={source}
            start={startMoment(query.get("t"), item.duration_seconds)}
            next={next}
            nextPath={playlist && next ? playlistWatchPath(next.id, playlist.id) : undefined}
            autoplay={asked}
          />
        )}
        {item.playable !== false && (
          <ThumbnailFromFrame item={item} moment={() => playerRef.current?.currentTime() ?? null} />
        )}
      </div>
      <div className="watch-side">
        <WatchDetails item={item} moments={moments} />
        {playlist ? <PlaylistPanel playlist={playlist} currentId={item.id} /> : <RelatedItems items={related} />}
      </div>
      {/* Under the player on wide screens (a long thread must not push Up next away), last on
          narrow ones. Keyed: what was just posted or deleted belongs to this video alone. */}
      <div className="watch-comments">
        <Comments key={item.id} itemId={item.id} moments={moments} linkedId={query.get("comment")} />
      </div>
    </article>
  );
}

/**
 * The player's source on the watch page, and the refusal once the item is withdrawn while it
 * plays (unpublished, taken down, deleted: its grant refused for good). The page then says the
 * video is not found, as a reload would, and the player goes with what it buffered: a
 * withdrawn video does not play on for whoever had it open.
 */
function useWithdrawal(id: string): { source: PlaySource; withdrawn: ApiError | null } {
  const [refused, setRefused] = useState<{ id: string; refusal: ApiError } | null>(null);
  const source = useMemo(() => ({ ...watchSource(id), onGone: (refusal: ApiError) => setRefused({ id, refusal }) }), [id]);
  return { source, withdrawn: refused?.id === id ? refused.refusal : null };
}

/**
 * What to watch after the item (none while it loads, or if it cannot be
 * loaded: the page plays without it), and whether the viewer asked for this
 * item to play (from the previous one's end screen).
 */
function useWhatComesNext(id: string): { related: CatalogueItem[]; asked: boolean } {
  const fetchRelated = useCallback((signal: AbortSignal) => listRelated(id, signal), [id]);
  const { data } = useAsync(fetchRelated);
  const state = useLocation().state as Partial<UpNextState> | null;
  return { related: data ?? [], asked: state?.autoplay === true };
}

/**
 * The playlist the item is played from (`?list=`), which then says what comes
 * next; null without one, while it loads, when it cannot be loaded (gone,
 * someone else's) or does not hold the item: the page then plays as without it.
 */
function usePlaylistPlayed(listId: string | null, itemId: string): Playlist | null {
  const fetchPlaylist = useCallback(
    (signal: AbortSignal) => (listId ? getPlaylist(listId, signal) : Promise.resolve(null)),
    [listId],
  );
  const playlist = useAsync(fetchPlaylist).data;
  return playlist?.items.some((item) => item.id === itemId) ? playlist : null;
}

/** Where the player will be once the item plays: where its processing stands, and (admins) transcode again. */
function PendingPlayer({ item, onQueued }: { item: ViewedMediaItem; onQueued: (item: ViewedMediaItem) => void }) {
  return (
    <div className="player-wrap">
      <div className="player placeholder" data-testid="player-pending" role="status">
        <p>{processingLabel(item) ?? "This video is being prepared."}</p>
        {item.processing_state !== "failed" && <p className="small">It will play here as soon as it is ready.</p>}
        {/* Only admins are shown an item that does not play yet: no role check needed. */}
        <TranscodeAgainButton item={item} onQueued={onQueued} />
      </div>
    </div>
  );
}

/**
 * The title, first in the page's order (a new page's focus goes to it): Tab from it reaches the
 * player, then what is beside it. Shown beside the player (wide screens) or under it.
 */
function WatchHeading({ item }: { item: ViewedMediaItem }) {
  return (
    <div className="watch-head">
      <h1 id="watch-title">
        {item.title}
        {item.status === "draft" && (
          <span className="badge draft">
            {/* An admin's view (viewers never see a draft): when it goes public by itself. */}
            {item.publish_at ? `Draft · goes public ${formatDate(item.publish_at)}` : "Draft"}
          </span>
        )}
        {item.visibility === "unlisted" && <span className="badge">Unlisted</span>}
      </h1>
      {/* This page's address is what an admin hands over: it is the only way to it. */}
      {item.visibility === "unlisted" && (
        <p className="muted small" data-testid="watch-unlisted">
          Not in Browse or search: anyone signed in who has the link to this page can watch it.
        </p>
      )}
    </div>
  );
}

/** Beside or under the player: Like and Save, tags, the description (its timestamps seek the player) and the facts. */
function WatchDetails({ item, moments }: { item: ViewedMediaItem; moments: MomentLinks }) {
  return (
    <div className="watch-info">
      <div className="watch-actions">
        {/* Keyed: the next video's Like starts from its own count. */}
        <LikeButton key={item.id} item={item} />
        <SaveToPlaylist itemId={item.id} />
        <EditInLibrary itemId={item.id} />
      </div>
      <TagLinks tags={item.tags} className="tags" label="Tags" />
      <WatchDescription item={item} moments={moments} />
      <WatchFacts item={item} />
    </div>
  );
}

/**
 * For admins: the library showing the item's row with its form open, where it is edited
 * (title, description, tags, captions), published, transcoded or deleted.
 */
function EditInLibrary({ itemId }: { itemId: string }) {
  const { user } = useAuth();
  if (user?.role !== "admin") return null;
  return (
    <Link to={libraryItemPath(itemId)} className="button">
      Edit in library
    </Link>
  );
}
