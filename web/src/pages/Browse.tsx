import { use, useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { continueWatching, listCatalogue, watchHistory, type SortOrder } from "../api/catalogue";
import type { WatchedPage, WatchProgress } from "../api/schema";
import { AuthContext } from "../auth/AuthContext";
import { LIMITS } from "../api/limits";
import { ErrorMessage } from "../components/ErrorMessage";
import { Field, SelectField } from "../components/Field";
import { MediaCard } from "../components/MediaCard";
import { Pagination } from "../components/Pagination";
import { useAsync } from "../lib/useAsync";
import { chosen, pageParam, useDraft, useUrlQuery, type QueryChanges } from "../lib/urlQuery";

export const PAGE_SIZE = 24;
export const SEARCH_DEBOUNCE_MS = 300;

const SORTS: { value: SortOrder; label: string }[] = [
  { value: "newest", label: "Newest first" },
  { value: "oldest", label: "Oldest first" },
  { value: "title", label: "Title (A–Z)" },
  { value: "shortest", label: "Shortest first" },
  { value: "longest", label: "Longest first" },
];

/** The order a `?sort=` asks for; the older `duration` (shortest first) keeps working in links. */
function sortFrom(value: string | null): SortOrder {
  if (value === "duration") return "shortest";
  return chosen(SORTS, value) ?? "newest";
}

/** How many unfinished items the "Continue watching" row shows. */
export const CONTINUE_ROW_SIZE = 12;

interface Watching {
  row: WatchedPage["items"];
  progress: Map<string, WatchProgress>;
}

const NOT_WATCHING: Watching = { row: [], progress: new Map() };

/**
 * A signed-in viewer's unfinished items and their progress in everything they
 * watched lately (for the bars on the cards). Anonymous: nothing, no request.
 * A failure costs only the row and the bars, never the page.
 */
function useWatching(): Watching {
  // Outside an AuthProvider (a page rendered on its own) nobody is signed in.
  const signedIn = use(AuthContext)?.status === "authenticated";
  const [watching, setWatching] = useState<Watching>(NOT_WATCHING);
  useEffect(() => {
    if (!signedIn) return;
    const abort = new AbortController();
    const row = continueWatching({ page_size: CONTINUE_ROW_SIZE }, abort.signal);
    const history = watchHistory({ page_size: 100 }, abort.signal);
    Promise.all([row, history]).then(
      ([unfinished, watched]) =>
        setWatching({
          row: unfinished.items,
          progress: new Map(watched.items.map((entry) => [entry.item.id, entry.progress])),
        }),
      () => undefined,
    );
    return () => abort.abort();
  }, [signedIn]);
  return signedIn ? watching : NOT_WATCHING;
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

  // The search box is local while typing; the URL follows after a pause.
  const [text, setText] = useDraft(q);
  const [tagText, setTagText] = useDraft(tag);

  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);

  // A new search, tag or order starts again at page 1.
  const update = (changes: QueryChanges) => setQuery({ ...changes, page: null });

  function onSearchChange(value: string) {
    setText(value);
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => update({ q: value.trim() }), SEARCH_DEBOUNCE_MS);
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    window.clearTimeout(timer.current);
    update({ q: text.trim(), tag: tagText.trim() });
  }

  const fetchPage = useCallback(
    (signal: AbortSignal) => listCatalogue({ q, tag, sort, page, page_size: PAGE_SIZE }, signal),
    [q, tag, sort, page],
  );
  const { data, previous, error, loading, reload } = useAsync(fetchPage);
  const shown = data ?? (loading ? previous : null);
  const watching = useWatching();
  const home = !q && !tag && page === 1;

  return (
    <section className="page" aria-labelledby="browse-title">
      <h1 id="browse-title" className="visually-hidden">
        Browse videos
      </h1>
      <form className="toolbar" role="search" onSubmit={onSubmit}>
        <Field label="Search" className="grow">
          {(control) => (
            <input
              {...control}
              type="search"
              placeholder="Search titles and descriptions"
              maxLength={LIMITS.title}
              value={text}
              onChange={(e) => onSearchChange(e.target.value)}
            />
          )}
        </Field>
        <Field label="Tag">
          {(control) => (
            <input
              {...control}
              type="text"
              placeholder="Any tag"
              maxLength={LIMITS.tag}
              value={tagText}
              onChange={(e) => setTagText(e.target.value)}
              onBlur={() => tagText.trim() !== tag && update({ tag: tagText.trim() })}
            />
          )}
        </Field>
        <SelectField label="Sort" value={sort} choices={SORTS} onChange={(value) => update({ sort: value })} />
        <button type="submit" className="button">
          Apply
        </button>
      </form>

      {tag && (
        <p className="filter-chip">
          Tag: <strong>{tag}</strong>{" "}
          <button type="button" className="link-button" onClick={() => update({ tag: null })}>
            Clear tag filter
          </button>
        </p>
      )}

      <div aria-live="polite" className="status-line">
        {loading && (
          <span role="status" data-testid="loading">
            Loading…
          </span>
        )}
        {data && data.total > 0 && (
          <span>
            {data.total} video{data.total === 1 ? "" : "s"}
          </span>
        )}
      </div>

      <ErrorMessage error={error} onRetry={reload} />

      {home && <ContinueWatching row={watching.row} />}

      {data && data.items.length === 0 && (
        <div className="empty" data-testid="empty-state">
          <h2>No videos found</h2>
          <p>{q || tag ? "Try another search or clear the filters." : "Nothing has been published yet."}</p>
        </div>
      )}

      {shown && shown.items.length > 0 && (
        <>
          <ul className="grid" aria-busy={loading} aria-label="Videos">
            {shown.items.map((item) => (
              <MediaCard key={item.id} item={item} progress={watching.progress.get(item.id)} />
            ))}
          </ul>
          <Pagination
            page={page}
            pageSize={shown.page_size}
            total={shown.total}
            onPage={(p) => {
              setQuery({ page: p > 1 ? String(p) : null }, { push: true });
              document.getElementById("browse-title")?.scrollIntoView?.();
            }}
          />
        </>
      )}
    </section>
  );
}
