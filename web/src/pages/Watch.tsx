import { useCallback, useEffect, useId, useRef, useState } from "react";
import { Link, useParams } from "react-router";
import { getItem, getStreamToken } from "../api/catalogue";
import { ApiError, errorMessage } from "../api/errors";
import type { MediaItem } from "../api/schema";
import { ErrorMessage } from "../components/ErrorMessage";
import { processingLabel } from "../components/ProcessingStatus";
import { LinkedText } from "../components/LinkedText";
import { formatBytes, formatDate, formatDuration, formatResolution } from "../lib/format";
import { useAsync } from "../lib/useAsync";
import { SPEEDS, usePlayerShortcuts } from "../lib/usePlayerShortcuts";

/** How often a page waiting for an item to become playable looks again. */
export const PROCESSING_POLL_MS = 5000;

/** Renew the stream token when this share of its lifetime has passed. */
export const TOKEN_RENEW_AT = 0.8;

/**
 * Points the video at a new URL without losing the viewer's place: the
 * position and play/pause state are restored once the new source loads.
 */
export function swapSource(video: HTMLVideoElement, url: string): void {
  const time = video.currentTime;
  const wasPlaying = !video.paused && !video.ended;
  const restore = () => {
    if (Number.isFinite(time) && time > 0) video.currentTime = time;
    if (wasPlaying) video.play()?.catch(() => undefined);
  };
  video.addEventListener("loadedmetadata", restore, { once: true });
  video.src = url;
}

export function Player({ item }: { item: MediaItem }) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [speed, setSpeed] = useState(1);
  const speedId = useId();
  const itemId = item.id;
  usePlayerShortcuts(videoRef, setSpeed);
  const portrait = item.width !== null && item.height !== null && item.height > item.width;

  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    let cancelled = false;
    let timer: number | undefined;
    let renewing = false;
    let hasSource = false;

    const renew = async () => {
      if (renewing || cancelled) return;
      renewing = true;
      window.clearTimeout(timer);
      try {
        const token = await getStreamToken(itemId);
        if (cancelled) return;
        if (hasSource) swapSource(video, token.stream_url);
        else video.src = token.stream_url;
        hasSource = true;
        setError(null);
        const lifetimeMs = Math.max(10, token.expires_in) * 1000;
        timer = window.setTimeout(() => void renew(), lifetimeMs * TOKEN_RENEW_AT);
      } catch (err) {
        if (cancelled) return;
        setError(err instanceof ApiError && err.status === 404 ? "This video is not available." : errorMessage(err));
        // Try again later: a network blip must not end a long session.
        if (!(err instanceof ApiError && err.status >= 400 && err.status < 500)) {
          timer = window.setTimeout(() => void renew(), 15_000);
        }
      } finally {
        renewing = false;
      }
    };

    // A source that fails (e.g. the token expired while the laptop slept)
    // gets one fresh token, then we stop and show the error.
    let lastErrorRenewal = 0;
    const onError = () => {
      if (!hasSource || cancelled) return;
      const now = Date.now();
      if (now - lastErrorRenewal < 30_000) {
        setError("The video could not be played.");
        return;
      }
      lastErrorRenewal = now;
      void renew();
    };
    video.addEventListener("error", onError);
    void renew();

    return () => {
      cancelled = true;
      window.clearTimeout(timer);
      video.removeEventListener("error", onError);
      video.removeAttribute("src");
    };
  }, [itemId]);

  return (
    <div className="player-wrap">
      <video
        ref={videoRef}
        className={portrait ? "player portrait" : "player"}
        style={portrait && item.width && item.height ? { aspectRatio: `${item.width} / ${item.height}` } : undefined}
        data-testid="player"
        controls
        playsInline
        preload="metadata"
        poster={item.thumbnail_url ?? undefined}
        aria-label={`Video: ${item.title}`}
        onRateChange={(e) => setSpeed(e.currentTarget.playbackRate)}
      />
      <div className="player-tools">
        <label htmlFor={speedId}>Speed</label>
        <select
          id={speedId}
          value={speed}
          onChange={(e) => {
            const rate = Number(e.target.value);
            if (videoRef.current) videoRef.current.playbackRate = rate;
            setSpeed(rate);
          }}
        >
          {SPEEDS.map((s) => (
            <option key={s} value={s}>
              {s === 1 ? "Normal" : `${s}×`}
            </option>
          ))}
        </select>
        <small className="hint">
          Keys: space or k play/pause · j/l ∓10 s · ←/→ ∓5 s · f fullscreen · m mute · c captions · &lt; &gt; speed
        </small>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

export function WatchPage() {
  const { id = "" } = useParams();
  const fetchItem = useCallback((signal: AbortSignal) => getItem(id, signal), [id]);
  const { data: item, error, loading, reload, setData } = useAsync(fetchItem);
  const waiting = item !== null && item.playable === false && item.processing_state !== "failed";

  // Not playable yet (transcoding): look again now and then; the player
  // appears as soon as the first rendition is there.
  useEffect(() => {
    if (!waiting) return;
    const timer = window.setInterval(() => {
      getItem(id).then(
        (fresh) => setData(() => fresh),
        () => undefined, // a blip: the next round tries again
      );
    }, PROCESSING_POLL_MS);
    return () => window.clearInterval(timer);
  }, [waiting, id, setData]);

  if (loading) {
    return (
      <p className="status-line" role="status">
        <title>Loading… · StreamStack</title>
        Loading…
      </p>
    );
  }
  if (error || !item) {
    const notFound = error instanceof ApiError && error.status === 404;
    return (
      <section className="page narrow">
        <title>{`${notFound ? "Video not found" : "Could not load the video"} · StreamStack`}</title>
        <h1>{notFound ? "Video not found" : "Could not load the video"}</h1>
        {notFound ? (
          <p>It may have been removed or not be published yet.</p>
        ) : (
          <ErrorMessage error={error} onRetry={reload} />
        )}
        <p>
          <Link to="/">Back to browse</Link>
        </p>
      </section>
    );
  }

  const duration = formatDuration(item.duration_seconds);
  const resolution = formatResolution(item.width, item.height);
  const codecs = [item.video_codec, item.audio_codec].filter(Boolean).join(" / ");

  return (
    <article className="page watch" aria-labelledby="watch-title">
      <title>{`${item.title} · StreamStack`}</title>
      {item.playable === false ? (
        <div className="player-wrap">
          <div className="player placeholder" data-testid="player-pending" role="status">
            <p>{processingLabel(item) ?? "This video is being prepared."}</p>
            {item.processing_state !== "failed" && <p className="small">It will play here as soon as it is ready.</p>}
          </div>
        </div>
      ) : (
        <Player key={item.id} item={item} />
      )}
      <div className="watch-info">
        <h1 id="watch-title">
          {item.title}
          {item.status === "draft" && <span className="badge draft">Draft</span>}
        </h1>
        {item.tags.length > 0 && (
          <ul className="tags" aria-label="Tags">
            {item.tags.map((tag) => (
              <li key={tag}>
                <Link className="tag" to={`/?tag=${encodeURIComponent(tag)}`}>
                  {tag}
                </Link>
              </li>
            ))}
          </ul>
        )}
        {item.description && (
          <p className="description">
            <LinkedText text={item.description} />
          </p>
        )}
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
          {item.size_bytes > 0 && (
            <>
              <dt>Size</dt>
              <dd>{formatBytes(item.size_bytes)}</dd>
            </>
          )}
          <dt>{item.published_at ? "Published" : "Created"}</dt>
          <dd>{formatDate(item.published_at ?? item.created_at)}</dd>
        </dl>
      </div>
    </article>
  );
}
