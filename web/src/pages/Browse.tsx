import { use, useCallback, useEffect, useRef, type FormEvent } from "react";
import { continueWatching, listCatalogue, listTags, videoFeedUrl, watchHistory, type SortOrder } from "../api/catalogue";
import type { MediaPage, TagCount, WatchedPage, WatchProgress } from "../api/schema";
import { Link } from "react-router";
import { AuthContext } from "../auth/AuthContext";
import { useGuestsMayBrowse } from "../auth/serverConfig";
import { ApiError } from "../api/errors";
import { LIMITS } from "../api/limits";
import { ErrorMessage } from "../components/ErrorMessage";
import { SelectField } from "../components/Field";
import { FilterChip } from "../components/FilterChip";
import { MediaCard } from "../components/MediaCard";
import { NoMatchingVideos } from "../components/NoMatchingVideos";
import { EmptyPage, Pagination } from "../components/Pagination";
import { closestTags } from "../lib/closestTags";
import { normalizeTag } from "../lib/format";
import { SORTS, sortFrom } from "../lib/sorts";
import { useAsync } from "../lib/useAsync";
import { useRestoredScroll } from "../lib/scrollMemory";
import { pageParam, useDraft, useUrlQuery, type QueryChanges } from "../lib/urlQuery";
import { InputField, SearchField } from "../components/Field";
import { SubmitButton } from "../components/SubmitButton";

export const PAGE_SIZE = 24;
export const SEARCH_DEBOUNCE_MS = 300;

/** How many unfinished items the "Continue watching" row shows. */
export const CONTINUE_ROW_SIZE = 12;

interface Watching {
  row: WatchedPage["items"];
  progress: Map<string, WatchProgress>;
}

/** What useWatching gives: the row and bars, and whether they are still asked for. */
interface WatchingNow extends Watching {
  loading: boolean;
}

const NOT_WATCHING: Watching = { row: [], progress: new Map() };

async function fetchWatching(signal: AbortSignal): Promise<Watching> {
  const [unfinished, watched] = await Promise.all([
    continueWatching({ page_size: CONTINUE_ROW_SIZE }, signal),
    watchHistory({ page_size: 100 }, signal),
  ]);
  return {
    row: unfinished.items,
    progress: new Map(watched.items.map((entry) => [entry.item.id, entry.progress])),
  };
}

/**
 * A signed-in viewer's unfinished items and their progress in everything they
 * watched lately (for the bars on the cards). Anonymous: nothing, no request.
 * A failure costs only the row and the bars, never the page.
 */
function useWatching(): WatchingNow {
  // Outside an AuthProvider (a page rendered on its own) nobody is signed in.
  const signedIn = use(AuthContext)?.status === "authenticated";
  const load = useCallback(
    (signal: AbortSignal) => (signedIn ? fetchWatching(signal) : Promise.resolve(NOT_WATCHING)),
    [signedIn],
  );
  const { data, loading } = useAsync(load);
  return { ...((signedIn && data) || NOT_WATCHING), loading };
}

function ContinueWatching({ row }: { row: Watching["row"] }) {
  if (row.length === 0) return null;
  return (
    <section className="continue-row" aria-labelledby="continue-title">
      <h2 id="continue-title">Continue watching</h2>
      <ul className="grid" aria-label="Continue watching">
        {row.map(({ item, progress }) => (
          <MediaCard key={item.id} item={item} progress={progress} />
        ))}
      </ul>
    </section>
  );
}

export function BrowsePage() {
  const [params, setQuery] = useUrlQuery();
  const q = params.get("q") ?? "";
  const tag = params.get("tag") ?? "";
  const sort = sortFrom(params.get("sort"));
  const page = pageParam(params);

  // A new search, tag or order starts again at page 1; Back undoes it, as it does a page.
  const update = (changes: QueryChanges) => setQuery({ ...changes, page: null }, { push: true });

  const fetchPage = useCallback(
    (signal: AbortSignal) => listCatalogue({ q, tag, sort, page, page_size: PAGE_SIZE }, signal),
    [q, tag, sort, page],
  );
  const { data, shown, error, loading, reload } = useAsync(fetchPage);
  useRetryWhenThrottled(error, reload);
  const watching = useWatching();
  const tags = useAsync(listTags).data ?? []; // what viewers may see: listed videos' tags
  const home = !q && !tag && page === 1;
  // Back to the catalogue: scrolled where it was once its cards (and the row above them) are in.
  useRestoredScroll(data !== null && !(home && watching.loading));

  function turnPage(p: number) {
    setQuery({ page: p > 1 ? String(p) : null }, { push: true });
    document.getElementById("browse-title")?.scrollIntoView?.();
  }

  return (
    <section className="page" aria-labelledby="browse-title">
      <h1 id="browse-title" className="visually-hidden">
        Browse videos
      </h1>
      <CatalogueFilters q={q} tag={tag} sort={sort} tags={tags} onChange={update} />

      {tag && <TagFilterChip tag={tag} onClear={() => update({ tag: null })} />}
      {home && <ContinueWatching row={watching.row} />}

      {/* The count is the catalogue's: right above its grid, not above Continue watching. */}
      <CatalogueStatus loading={loading} total={data?.total ?? null} />
      {searchThrottled(error) ? (
        <p role="status">Many searches in a short while: the results come in a moment.</p>
      ) : (
        <ErrorMessage error={error} onRetry={reload} />
      )}
      {data && (
        <EmptyPage
          page={page}
          shown={data}
          onPage={turnPage}
          empty={q || tag ? <NoMatches q={q} tag={tag} tags={tags} onChange={update} /> : <NoVideos />}
        />
      )}

      {shown && shown.items.length > 0 && (
        <CatalogueGrid shown={shown} busy={loading} page={page} progress={watching.progress} onPage={turnPage} />
      )}
    </section>
  );
}

/**
 * Nothing matched: for a tag no listed video has, "No videos are tagged “goal”" and the
 * closest tags there are (the field took any text, and a wrong guess silently gave 0);
 * otherwise that the search or filters found nothing.
 */
function NoMatches({
  q,
  tag,
  tags,
  onChange,
}: {
  q: string;
  tag: string;
  tags: TagCount[];
  onChange: (changes: QueryChanges) => void;
}) {
  const unknown = tag !== "" && tags.length > 0 && !tags.some((it) => it.tag === normalizeTag(tag));
  if (!unknown) return <NoMatchingVideos query={q} onClear={() => onChange({ q: null, tag: null })} />;
  const closest = closestTags(tag, tags);
  return (
    <div className="empty" data-testid="empty-state">
      <h2>No videos are tagged “{tag}”</h2>
      {closest.length > 0 && (
        <p>
          Closest tags:{" "}
          {closest.map((it, i) => (
            <span key={it.tag}>
              {i > 0 && ", "}
              <button type="button" className="link-button" onClick={() => onChange({ tag: it.tag })}>
                {it.tag}
              </button>{" "}
              ({it.count.toLocaleString("en")})
            </span>
          ))}
        </p>
      )}
      <p>
        <button type="button" className="link-button" onClick={() => onChange({ tag: null })}>
          Show every tag
        </button>
      </p>
    </div>
  );
}

/** Whether the server refused a search for coming too fast (429 `searches_throttled`). */
function searchThrottled(error: unknown): error is ApiError {
  return error instanceof ApiError && error.code === "searches_throttled";
}

/**
 * A search refused for coming too fast runs again by itself once the server's
 * `Retry-After` has passed: the viewer need not press anything.
 */
function useRetryWhenThrottled(error: unknown, reload: () => void) {
  useEffect(() => {
    if (!searchThrottled(error)) return;
    const timer = window.setTimeout(reload, Math.max(error.retryAfter ?? 2, 1) * 1000);
    return () => window.clearTimeout(timer);
  }, [error, reload]);
}

/**
 * The search box, tag and order of the catalogue, kept in the URL, and the feed of
 * the tag in the URL. The search box is local while typing; the URL follows after a pause.
 */
function CatalogueFilters({
  q,
  tag,
  sort,
  tags,
  onChange,
}: {
  q: string;
  tag: string;
  sort: SortOrder;
  /** The tags suggested as the tag is typed, with how many videos have each. */
  tags: TagCount[];
  onChange: (changes: QueryChanges) => void;
}) {
  const [text, setText] = useDraft(q);
  const [tagText, setTagText] = useDraft(tag);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);

  function onSearchChange(value: string) {
    setText(value);
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => onChange({ q: value.trim() }), SEARCH_DEBOUNCE_MS);
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    window.clearTimeout(timer.current);
    onChange({ q: text.trim(), tag: tagText.trim() });
  }

  return (
    <>
      <form className="toolbar" role="search" onSubmit={onSubmit}>
        <SearchField
          value={text}
          onChange={onSearchChange}
          placeholder="Search titles, descriptions and tags"
          maxLength={LIMITS.search}
        />
        <InputField
          label="Tag"
          type="text"
          value={tagText}
          onChange={setTagText}
          onBlur={() => tagText.trim() !== tag && onChange({ tag: tagText.trim() })}
          placeholder="Any tag"
          maxLength={LIMITS.tag}
          list="browse-tags"
          autoComplete="off"
        />
        <TagSuggestions tags={tags} />
        <SelectField label="Sort" value={sort} choices={SORTS} onChange={(value) => onChange({ sort: value })} />
        <SubmitButton>Apply</SubmitButton>
      </form>
      <FeedLink tag={tag} />
    </>
  );
}

/** The tag field's suggestions (`browse-tags`): each tag with how many videos have it. */
function TagSuggestions({ tags }: { tags: TagCount[] }) {
  return (
    <datalist id="browse-tags">
      {tags.map((it) => (
        <option key={it.tag} value={it.tag} label={`${it.tag} (${it.count.toLocaleString("en")})`} />
      ))}
    </datalist>
  );
}

/** One page of the catalogue's cards (the last one while the next loads) and the way to the others. */
function CatalogueGrid({
  shown,
  busy,
  page,
  progress,
  onPage,
}: {
  shown: MediaPage;
  busy: boolean;
  page: number;
  progress: Watching["progress"];
  onPage: (page: number) => void;
}) {
  return (
    <>
      <ul className="grid" aria-busy={busy} aria-label="Videos">
        {shown.items.map((item) => (
          <MediaCard key={item.id} item={item} progress={progress.get(item.id)} />
        ))}
      </ul>
      <Pagination page={page} pageSize={shown.page_size} total={shown.total} onPage={onPage} />
    </>
  );
}

/**
 * A link to the feed of new videos (of the tag shown, if any), for a feed reader. Not on a
 * members-only server, whose feed a reader cannot open, nor when its config is unknown.
 */
function FeedLink({ tag }: { tag: string }) {
  if (!useGuestsMayBrowse()) return null;
  return (
    <p className="feed-link">
      <a href={videoFeedUrl(tag)} type="application/atom+xml">
        {tag ? `Feed of new videos tagged ${tag}` : "Feed of new videos"}
      </a>{" "}
      <span className="muted">(paste it into a feed reader to follow new videos)</span>
    </p>
  );
}

/** The tag the catalogue is filtered by, and a way to drop it. */
function TagFilterChip({ tag, onClear }: { tag: string; onClear: () => void }) {
  return (
    <FilterChip clear="Clear tag filter" onClear={onClear}>
      Tag: <strong>{tag}</strong>
    </FilterChip>
  );
}

/**
 * "Loading…" while a page loads, then how many videos match (`total`, null until known); none
 * is said too (the region was empty, "No videos found" outside it), and shown only below.
 */
function CatalogueStatus({ loading, total }: { loading: boolean; total: number | null }) {
  return (
    <div aria-live="polite" className="status-line" data-testid="catalogue-status">
      {loading && (
        <span role="status" data-testid="loading">
          Loading…
        </span>
      )}
      {total === 0 && <span className="visually-hidden">No videos found</span>}
      {total !== null && total > 0 && (
        <span>
          {total} video{total === 1 ? "" : "s"}
        </span>
      )}
    </div>
  );
}

/**
 * An empty catalogue: nothing is published. An admin (a new one lands here after the first
 * sign-in) is shown where videos come from.
 */
function NoVideos() {
  const admin = use(AuthContext)?.user?.role === "admin";
  return (
    <div className="empty" data-testid="empty-state">
      <h2>No videos found</h2>
      <p>Nothing has been published yet.</p>
      {admin && (
        <p className="empty-actions">
          <Link to="/admin/upload" className="button primary">
            Upload a video
          </Link>
          {/* One item of the row: the gap goes between the button and the sentence, not inside it. */}
          <span>
            <Link to="/admin/library">Open the library</Link> to publish drafts.
          </span>
        </p>
      )}
    </div>
  );
}
