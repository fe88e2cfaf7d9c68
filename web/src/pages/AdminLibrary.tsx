import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { deleteItem, listCatalogue, listEvery, listTags, type ProcessingFilter, type SortOrder, type StatusFilter, type VisibilityFilter } from "../api/catalogue";
import { LIMITS } from "../api/limits";
import type { CatalogueItem, LibraryCounts, MediaPage, TagCount } from "../api/schema";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { DoneNotice, type Notice } from "../components/FocusedMessage";
import { ErrorMessage, FormError } from "../components/ErrorMessage";
import { SearchField, SelectField } from "../components/Field";
import { NoMatchingVideos } from "../components/NoMatchingVideos";
import { isTranscoding } from "../components/ProcessingStatus";
import { KeptRows } from "../components/KeptRows";
import { EmptyPage, Pagination } from "../components/Pagination";
import { normalizeTag } from "../lib/format";
import { defaultSort, sortFrom, sortsFor } from "../lib/sorts";
import { useAction } from "../lib/useAction";
import { LeaveGuard } from "../lib/leaveGuard";
import { useAsync } from "../lib/useAsync";
import { useLibraryCounts } from "../lib/useLibraryCounts";
import { useSaidOfList } from "../lib/useSaidOfList";
import { useStoredFlag } from "../lib/useStoredFlag";
import { useRestoredScroll } from "../lib/scrollMemory";
import { chosen, pageParam, useDraft, useUrlQuery, type QueryChanges } from "../lib/urlQuery";
import {
  BulkFailures,
  changedBy,
  BulkNote,
  LibraryBulkBar,
  useBulkRun,
  useLibrarySelection,
  type BulkRun,
  type BulkVerb,
  type LibrarySelection,
} from "./LibraryBulk";
import { LibraryRow } from "./LibraryRow";
import { OutdatedPanel } from "./OutdatedPanel";
import { TranscodingStatusLine } from "./TranscodingStatus";
import { SubmitButton } from "../components/SubmitButton";

/** How many videos a page may hold (`?size=`; the first: none), as many as the API takes at most. */
const PAGE_SIZES = [24, 48, 96]
  .filter((size) => size <= LIMITS.pageSize)
  .map((size) => ({ value: String(size), label: String(size) }));
const PAGE_SIZE = PAGE_SIZES[0]!.value;
/** Where this browser remembers that the library's rows are compact. */
const COMPACT_ROWS = "streamstack.library.compact";
const STATUSES: { value: StatusFilter; label: string }[] = [
  { value: "all", label: "All" },
  { value: "draft", label: "Drafts" },
  { value: "scheduled", label: "Scheduled" },
  { value: "published", label: "Published" },
];

/** Where transcoding stands: "Failed" and "Outdated" find what to transcode again. */
const PROCESSING: { value: ProcessingFilter; label: string }[] = [
  { value: "failed", label: "Failed" },
  { value: "queued", label: "Queued" },
  { value: "processing", label: "Transcoding" },
  { value: "ready", label: "Transcoded" },
  { value: "none", label: "Not transcoded" },
  { value: "outdated", label: "Outdated" },
];

/** Who finds a video: in Browse and search, or only by its link. */
const VISIBILITIES: { value: VisibilityFilter; label: string }[] = [
  { value: "listed", label: "Listed" },
  { value: "unlisted", label: "Unlisted" },
];

/** Whether `item` is among those the status filter shows (a scheduled one: a draft with a publish time). */
function statusMatches(status: StatusFilter, item: CatalogueItem): boolean {
  if (status === "scheduled") return item.status === "draft" && Boolean(item.publish_at);
  return status === "all" || item.status === status;
}

/** What a filter that left the library empty means, when it says more than "nothing matches". */
function filterHint(status: StatusFilter, processing: ProcessingFilter | undefined, visibility: VisibilityFilter | undefined): string | undefined {
  if (visibility === "unlisted" && !processing && status === "all") return "No video is unlisted.";
  if (processing === "failed") return "No video failed to transcode.";
  if (processing === "outdated") return "Every video is transcoded by this version.";
  if (processing) return "No video is in this processing state.";
  if (status === "scheduled") return "No draft is scheduled to go public.";
  return status === "draft" ? "There are no drafts." : undefined;
}

/** What the library shows, as its URL says (anything unknown: the default). */
interface LibraryQuery {
  status: StatusFilter;
  processing: ProcessingFilter | undefined;
  /** `?visibility=`: only the listed or only the unlisted videos. */
  visibility: VisibilityFilter | undefined;
  /** `?tag=`: only the videos with this tag ("": any). */
  tag: string;
  q: string;
  sort: SortOrder;
  page: number;
  /** `?size=`: how many videos a page holds, one of PAGE_SIZES. */
  size: number;
  /** `?item=`: one video's row alone, its edit form open (the watch page's "Edit in library"). */
  item: string | undefined;
}

function libraryQuery(params: URLSearchParams): LibraryQuery {
  const status = chosen(STATUSES, params.get("status")) ?? "all";
  return {
    status,
    processing: chosen(PROCESSING, params.get("processing")),
    visibility: chosen(VISIBILITIES, params.get("visibility")),
    // As the server matches it ("Travel " is "travel"), so the filter shows it among the tags.
    tag: normalizeTag(params.get("tag") ?? ""),
    q: params.get("q") ?? "",
    sort: sortFrom(params.get("sort"), status),
    page: pageParam(params),
    size: Number(chosen(PAGE_SIZES, params.get("size")) ?? PAGE_SIZE),
    item: params.get("item") || undefined,
  };
}

/** What the list is asked for: one video is found by its id (the search matches ids), whatever its status. */
function listedBy(query: LibraryQuery): LibraryQuery {
  return query.item ? { ...query, status: "all", processing: undefined, visibility: undefined, tag: "", q: query.item, page: 1 } : query;
}

/**
 * The library's query without its page, page size or order: what a selection and "every video
 * matching" are of (the same videos on every page, in any order).
 */
function queryKeyOf(params: URLSearchParams): string {
  const query = new URLSearchParams(params);
  query.delete("page");
  query.delete("size");
  query.delete("sort");
  return query.toString();
}

/** Every video, drafts too, for admins: filtered by status and processing state, searched, edited row by row. */
export function AdminLibraryPage() {
  const [params, setParam] = useUrlQuery();
  const query = libraryQuery(params);
  const { processing, page } = query;
  const [compact, setCompact] = useStoredFlag(COMPACT_ROWS);
  const { data, shown, error, loading, reload, onChanged, afterBulk, everyMatching, tags, notice, tell } = useLibraryPage(listedBy(query), params.toString());
  // Here, not in the list: the list goes when its page empties (after a bulk deletion).
  const selection = useLibrarySelection(shown?.items ?? [], queryKeyOf(params));
  // A deleted video is no longer selected (every one matching, read again, holds it no more).
  const deletion = useLibraryDeletion((item) => {
    if (!selection.everything) selection.toggle(item, false);
    reload();
  }, tell);
  const bulk = useBulkRun(onChanged, afterBulk);
  const turnPage = (p: number) => setParam({ page: p > 1 ? String(p) : null }, { push: true });
  // A new filter or search starts again at page 1 (and shows every video again), and Back undoes it.
  const filterBy = (changes: QueryChanges) => setParam({ ...changes, page: null, item: null }, { push: true });
  // The outdated panel's "Transcode all": on every video matching; those not queued stay selected.
  const transcodeAll = async () => selection.choose(await bulk.run("transcode", changedBy("transcode", await everyMatching())));

  return (
    <LeaveGuard>
      <section className={compact ? "page compact-rows" : "page"} aria-labelledby="library-title">
        <LibraryHead query={query} tags={tags.counts} onChange={filterBy} shown={data} compact={compact} onCompact={setCompact} />
        <LibraryStatus loading={loading} notice={notice} bulk={bulk} selectionCleared={selection.cleared} />
        <BulkFailures outcome={bulk.outcome} />
        {processing === "outdated" && (
          <OutdatedPanel total={data?.total ?? null} busy={bulk.progress !== null} onTranscodeAll={transcodeAll} />
        )}
        <FormError message={deletion.error} />
        <ErrorMessage error={error} onRetry={reload} />

        {data && (
          <EmptyPage
            page={page}
            shown={data}
            onPage={turnPage}
            empty={<NoLibraryVideos query={listedBy(query)} onChange={filterBy} />}
          />
        )}
        {shown && shown.items.length > 0 && (
          <LibraryList
            shown={shown}
            loading={loading}
            page={page}
            selection={selection}
            everyMatching={everyMatching}
            bulk={bulk}
            onChanged={onChanged}
            onDelete={deletion.ask}
            onPage={turnPage}
            query={query}
            tags={tags.counts.map((it) => it.tag)}
          />
        )}
        <DeleteVideoDialog deletion={deletion} />
      </section>
    </LeaveGuard>
  );
}

/**
 * The page of the library the filters ask for; `onChanged` puts a row's new
 * state (an edit, a publish, transcoding progress) into it; `notice` is what the last change
 * made from the page did (a row's save or publish, or a deletion, told by `tell`).
 */
function useLibraryPage({ status, processing, visibility, tag, q, sort, page, size }: LibraryQuery, listKey: string) {
  const fetchPage = useCallback(
    (signal: AbortSignal) => listCatalogue({ status, processing, visibility, tag, q, sort, page, page_size: size }, signal),
    [status, processing, visibility, tag, q, sort, page, size],
  );
  const { data, shown, error, loading, reload, setData } = useAsync(fetchPage);
  const [notice, tell] = useSaidOfList<Notice>(listKey);
  useRestoredScroll(data !== null);
  // Items that left the page (no longer matching the status filter) since it was read.
  const left = useRef(0);
  // Another query reads another page: what left the one before counts no more.
  useEffect(() => {
    left.current = 0;
  }, [fetchPage]);

  const tags = useLibraryTags();
  const reloadTags = tags.reload;
  const onChanged = useCallback(
    (updated: CatalogueItem, done?: string) => {
      const matches = (it: CatalogueItem) =>
        statusMatches(status, it) && (tag === "" || it.tags.includes(tag)) && (!visibility || it.visibility === visibility);
      if (!matches(updated)) left.current += 1;
      if (done) tell({ text: done, focus: !matches(updated) });
      // A row's tags edited: the tag filter offers them as they are now, with their counts.
      const before = data?.items.find((it) => it.id === updated.id);
      if (before && before.tags.join("\n") !== updated.tags.join("\n")) reloadTags();
      setData((page) => ({
        ...page,
        // An item that no longer matches the status or tag filter leaves the list.
        items: page.items.map((it) => (it.id === updated.id ? updated : it)).filter(matches),
      }));
    },
    [setData, status, visibility, tag, data, reloadTags, tell],
  );
  // The bulk actions' "Select all N matching": the same query, every page.
  const everyMatching = useCallback(
    () => listEvery({ status, processing, visibility, tag, q, sort }),
    [status, processing, visibility, tag, q, sort],
  );
  // After a bulk action: the page again when videos went (deleted, out of the status filter,
  // or queued out of a processing one), so the count of matches and pages is the server's.
  const afterBulk = useCallback(
    (verb: BulkVerb) => {
      // The bulk action's notice is the news now: one said before it would read as its own.
      tell(null);
      // Tags added or removed: the tag filter offers them as they are now, with their counts.
      if (verb === "addTag" || verb === "removeTag") reloadTags();
      const went = verb === "delete" || (verb === "transcode" && processing !== undefined) || left.current > 0;
      if (!went) return;
      left.current = 0;
      reload();
    },
    [reload, processing, reloadTags, tell],
  );
  return { data, shown, error, loading, reload, onChanged, afterBulk, everyMatching, tags, notice, tell };
}

/**
 * The library's tags, drafts' too (the admin's tag list counts every video), for the tag
 * filter and the bulk tag field; read again after a bulk tag change. While it is read again,
 * or when it could not be read, the filter offers what it offered before (or "Any" alone).
 */
function useLibraryTags() {
  const { shown, reload } = useAsync(listTags);
  return { counts: shown ?? [], reload };
}

/** A filter's choices with how many videos each shows, as the tag filter's: "Failed (5)". */
function counted<Value extends string>(
  choices: { value: Value; label: string }[],
  counts: Partial<Record<Value, number>> | undefined,
): { value: Value; label: string }[] {
  return choices.map(({ value, label }) => {
    const count = counts?.[value];
    return { value, label: count === undefined ? label : `${label} (${count.toLocaleString("en")})` };
  });
}

/** The tag filter's choices: "Any", then the library's tags with how many videos have each, and the tag the URL names. */
function tagChoices(tags: TagCount[], tag: string): { value: string; label: string }[] {
  const choices = [{ value: "", label: "Any" }, ...tags.map((it) => ({ value: it.tag, label: `${it.tag} (${it.count})` }))];
  // A tag no video has (a link kept from before, or the list not yet read) still shows as chosen.
  if (tag !== "" && !tags.some((it) => it.tag === tag)) choices.push({ value: tag, label: tag });
  return choices;
}

/**
 * The library's filters (status, processing state, tag) and its search, kept in
 * the URL; the search box is local while typing and applied when submitted.
 */
function LibraryToolbar({
  query: { status, processing, visibility, tag, q, sort },
  tags,
  counts,
  onChange,
}: {
  query: LibraryQuery;
  tags: TagCount[];
  /** How many videos each status and processing choice shows (none until read). */
  counts: LibraryCounts | null;
  onChange: (changes: QueryChanges) => void;
}) {
  const [text, setText] = useDraft(q);

  function onSearch(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    onChange({ q: text.trim() });
  }

  return (
    <form className="toolbar" role="search" onSubmit={onSearch}>
      <SelectField
        label="Status"
        value={status}
        choices={counted(STATUSES, counts?.status)}
        onChange={(value) => onChange({ status: value === "all" ? null : value })}
      />
      <SelectField
        label="Processing"
        value={processing ?? ""}
        choices={[{ value: "", label: "Any" }, ...counted(PROCESSING, counts?.processing)]}
        onChange={(value) => onChange({ processing: value || null })}
      />
      <SelectField
        label="Visibility"
        value={visibility ?? ""}
        choices={[{ value: "", label: "Any" }, ...VISIBILITIES]}
        onChange={(value) => onChange({ visibility: value || null })}
      />
      <SelectField
        label="Tag"
        value={tag}
        choices={tagChoices(tags, tag)}
        onChange={(value) => onChange({ tag: value || null })}
      />
      <SelectField
        label="Sort"
        value={sort}
        choices={sortsFor(status)}
        onChange={(value) => onChange({ sort: value === defaultSort(status) ? null : value })}
      />
      <SearchField maxLength={LIMITS.search} value={text} onChange={setText} />
      <SubmitButton>Search</SubmitButton>
    </form>
  );
}

/**
 * "Loading…" while a page loads, that a change of filters let the selection go, what the
 * last deletion, save or publish did, and the bulk action's progress or outcome.
 */
function LibraryStatus({
  loading,
  notice,
  bulk,
  selectionCleared,
}: {
  loading: boolean;
  notice: Notice | null;
  bulk: BulkRun;
  selectionCleared: boolean;
}) {
  return (
    <div aria-live="polite" className="status-line">
      {loading && <span role="status">Loading…</span>}
      {selectionCleared && <span data-testid="selection-cleared">The filters changed: nothing is selected now.</span>}
      {/* Kept while the list reloads: mounted again, it would take the focus again. */}
      <DoneNotice message={notice} />
      <BulkNote bulk={bulk} />
    </div>
  );
}

/**
 * The page's title, its way to upload, whether transcoding works and how many failed, its filters
 * and search, how its list is shown; above the one video `?item=` shows, the way back to every video.
 */
function LibraryHead({
  query,
  tags,
  onChange,
  shown,
  compact,
  onCompact,
}: {
  query: LibraryQuery;
  tags: TagCount[];
  onChange: (changes: QueryChanges) => void;
  /** The page of videos shown: the counts are read again when it changes in what they count. */
  shown: MediaPage | null;
  compact: boolean;
  onCompact: (on: boolean) => void;
}) {
  const items = shown?.items ?? [];
  // How many shown transcode (the status line reads again when it changes), and how many failed.
  const transcoding = items.filter(isTranscoding).length;
  const failed = items.filter((it) => it.processing_state === "failed").length;
  const counts = useLibraryCounts(`${shown?.total}|${transcoding}|${failed}|${items.map((it) => it.id).join()}`);
  return (
    <>
      <div className="page-head">
        <h1 id="library-title">Library</h1>
        <Link to="/admin/upload" className="button primary">
          Upload a video
        </Link>
      </div>
      <TranscodingStatusLine followed={transcoding} failed={counts?.processing.failed ?? 0} />
      <LibraryToolbar query={query} tags={tags} counts={counts} onChange={onChange} />
      <LibraryView size={query.size} onChange={onChange} compact={compact} onCompact={onCompact} />
      {query.item && <OneVideoNote onShowAll={() => onChange({})} />}
    </>
  );
}

/**
 * How the list is shown: how many videos a page holds (kept in the address, as the filters are)
 * and compact rows (remembered by this browser: it suits the screen, not the query).
 */
function LibraryView({
  size,
  onChange,
  compact,
  onCompact,
}: {
  size: number;
  onChange: (changes: QueryChanges) => void;
  /** Shorter rows (a small thumbnail, the description on one line), every action still there. */
  compact: boolean;
  onCompact: (on: boolean) => void;
}) {
  return (
    <div className="toolbar" role="group" aria-label="View">
      <SelectField
        label="Videos per page"
        value={String(size)}
        choices={PAGE_SIZES}
        // The first size is the default: no `?size=` for it.
        onChange={(value) => onChange({ size: value === PAGE_SIZE ? null : value })}
      />
      <label className="check">
        <input type="checkbox" checked={compact} onChange={(e) => onCompact(e.target.checked)} /> Compact rows
      </label>
    </div>
  );
}

/** Said above the one video `?item=` shows, with the way back to every video. */
function OneVideoNote({ onShowAll }: { onShowAll: () => void }) {
  return (
    <p className="muted" data-testid="library-one-video">
      Showing the video you came to edit.{" "}
      <button type="button" className="link-button" onClick={onShowAll}>
        Show every video
      </button>
    </p>
  );
}

/**
 * One page of the library's rows, the selection's bulk actions above them, and the way to the
 * other pages; the row of `editing` (an id), if there, opens with its edit form.
 */
function LibraryList({
  shown,
  loading,
  page,
  selection,
  everyMatching,
  bulk,
  onChanged,
  onDelete,
  onPage,
  query,
  tags,
}: {
  shown: MediaPage;
  /** The next page, filter or search is being read: `shown` is the last one, kept meanwhile. */
  loading: boolean;
  page: number;
  selection: LibrarySelection;
  everyMatching: () => Promise<CatalogueItem[]>;
  bulk: BulkRun;
  onChanged: (item: CatalogueItem, done?: string) => void;
  onDelete: (item: CatalogueItem) => void;
  onPage: (page: number) => void;
  /** The library's query: the video opened for editing (`item`), the search the selection is of. */
  query: LibraryQuery;
  tags: string[];
}) {
  const editing = query.item;
  return (
    <>
      <LibraryBulkBar
        items={shown.items}
        total={shown.total}
        everyMatching={everyMatching}
        selection={selection}
        bulk={bulk}
        tags={tags}
        search={editing ? "" : query.q}
        loading={loading}
      />
      <KeptRows busy={loading}>
        {/* Rows anew for another list (an unsaved edit left goes), the same for the list read again. */}
        <ul key={JSON.stringify(query)} className="library-list" aria-label="Videos">
          {shown.items.map((item) => (
            <LibraryRow
              key={item.id}
              item={item}
              selected={selection.isSelected(item.id)}
              onSelect={(on) => selection.toggle(item, on)}
              onChanged={onChanged}
              onDelete={onDelete}
              openEditing={item.id === editing}
            />
          ))}
        </ul>
      </KeptRows>
      <Pagination page={page} pageSize={shown.page_size} total={shown.total} onPage={onPage} jumps />
    </>
  );
}

/**
 * No video in the library: none matches its search or filters (which it offers to clear), or there
 * is none yet. A filter's hint ("No video failed to transcode.") holds for the whole library, so
 * not beside a search.
 */
function NoLibraryVideos({
  query: { status, processing, visibility, tag, q },
  onChange,
}: {
  query: LibraryQuery;
  onChange: (changes: QueryChanges) => void;
}) {
  const onClear = () => onChange({ status: null, processing: null, visibility: null, tag: null, q: null });
  if (q || tag || processing || visibility || status !== "all") {
    return (
      <NoMatchingVideos hint={q || tag ? undefined : filterHint(status, processing, visibility)} query={q} onClear={onClear} />
    );
  }
  return (
    <div className="empty" data-testid="empty-state">
      <h2>No videos here</h2>
      <p>Upload a video to get started.</p>
    </div>
  );
}

interface LibraryDeletion {
  /** The video whose deletion waits for a confirmation, else null. */
  pending: CatalogueItem | null;
  ask: (item: CatalogueItem | null) => void;
  deleting: boolean;
  /** Why the last deletion failed, with the video's title. */
  error: string | null;
  /** Deletes the pending video, then closes the question whatever the answer. */
  confirm: () => Promise<void>;
}

/**
 * Deleting a video of the library: asked first (it cannot be undone), told
 * above the list after (`tell`); `onDeleted` follows a success (the page reloads).
 */
function useLibraryDeletion(onDeleted: (item: CatalogueItem) => void, tell: (notice: Notice) => void): LibraryDeletion {
  const [pending, setPending] = useState<CatalogueItem | null>(null);
  const { running, error, run } = useAction();

  async function confirm() {
    if (!pending) return;
    const item = pending;
    let deleted = false;
    await run(item.id, `Could not delete “${item.title}”`, async () => {
      await deleteItem(item.id);
      deleted = true;
      onDeleted(item);
    });
    // With the question closed, in one render: the notice takes the focus after the dialog
    // has handed it back to the Delete button, whose row is going.
    setPending(null);
    if (deleted) tell({ text: `Deleted “${item.title}”.`, focus: true });
  }

  return { pending, ask: setPending, deleting: running !== null, error, confirm };
}

/** Asks before deleting the pending video, if any: its files go for good. */
function DeleteVideoDialog({ deletion }: { deletion: LibraryDeletion }) {
  const item = deletion.pending;
  if (!item) return null;
  return (
    <ConfirmDialog
      title="Delete this video?"
      confirmLabel="Delete"
      destructive
      busy={deletion.deleting}
      onConfirm={() => void deletion.confirm()}
      onCancel={() => deletion.ask(null)}
    >
      <p>“{item.title}” and its files will be removed for good. This cannot be undone.</p>
    </ConfirmDialog>
  );
}
