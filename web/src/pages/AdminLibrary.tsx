import { useCallback, useId, useState, type FormEvent } from "react";
import { Link } from "react-router";
import {
  deleteItem,
  listCatalogue,
  updateItem,
  type ProcessingFilter,
  type StatusFilter,
} from "../api/catalogue";
import { errorMessage } from "../api/errors";
import { LIMITS } from "../api/limits";
import type { MediaItem } from "../api/schema";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorMessage, FormError } from "../components/ErrorMessage";
import { Field, SelectField } from "../components/Field";
import { DescriptionAndTagsFields, TitleField } from "../components/MediaFields";
import { processingLabel, TranscodeAgainButton } from "../components/ProcessingStatus";
import { Thumbnail } from "../components/MediaCard";
import { Pagination } from "../components/Pagination";
import { formatDate, parseTags, tagsProblem } from "../lib/format";
import { watchPath } from "../lib/paths";
import { useAsync } from "../lib/useAsync";
import { useItemPolling } from "../lib/useItemPolling";
import { chosen, pageParam, useDraft, useUrlQuery } from "../lib/urlQuery";
import { LibraryCaptions } from "./LibraryCaptions";

const PAGE_SIZE = 24;
const STATUSES: { value: StatusFilter; label: string }[] = [
  { value: "all", label: "All" },
  { value: "draft", label: "Drafts" },
  { value: "published", label: "Published" },
];

/** Where transcoding stands: "Failed" finds what to transcode again. */
const PROCESSING: { value: ProcessingFilter; label: string }[] = [
  { value: "failed", label: "Failed" },
  { value: "queued", label: "Queued" },
  { value: "processing", label: "Transcoding" },
  { value: "ready", label: "Transcoded" },
  { value: "none", label: "Not transcoded" },
];

function emptyHint(status: StatusFilter, processing: ProcessingFilter | undefined): string {
  if (processing === "failed") return "No video failed to transcode.";
  if (processing) return "No video is in this processing state.";
  return status === "draft" ? "There are no drafts." : "Upload a video to get started.";
}

export function AdminLibraryPage() {
  const [params, setParam] = useUrlQuery();
  const status = chosen(STATUSES, params.get("status")) ?? "all";
  const processing = chosen(PROCESSING, params.get("processing"));
  const q = params.get("q") ?? "";
  const page = pageParam(params);
  const [text, setText] = useDraft(q);
  const [pendingDelete, setPendingDelete] = useState<MediaItem | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const fetchPage = useCallback(
    (signal: AbortSignal) =>
      listCatalogue({ status, processing, q, page, page_size: PAGE_SIZE, sort: "newest" }, signal),
    [status, processing, q, page],
  );
  const { data, error, loading, reload, setData } = useAsync(fetchPage);

  function onSearch(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setParam({ q: text.trim(), page: null });
  }

  const onChanged = useCallback(
    (updated: MediaItem) => {
      setData((page) => ({
        ...page,
        // An item that no longer matches the status filter leaves the list.
        items: page.items
          .map((it) => (it.id === updated.id ? updated : it))
          .filter((it) => status === "all" || it.status === status),
      }));
    },
    [setData, status],
  );

  async function confirmDelete() {
    if (!pendingDelete) return;
    setDeleting(true);
    setActionError(null);
    try {
      await deleteItem(pendingDelete.id);
      setNotice(`Deleted “${pendingDelete.title}”.`);
      setPendingDelete(null);
      reload();
    } catch (err) {
      setActionError(`Could not delete “${pendingDelete.title}”: ${errorMessage(err)}`);
      setPendingDelete(null);
    } finally {
      setDeleting(false);
    }
  }

  return (
    <section className="page" aria-labelledby="library-title">
      <div className="page-head">
        <h1 id="library-title">Library</h1>
        <Link to="/admin/upload" className="button primary">
          Upload a video
        </Link>
      </div>
      <form className="toolbar" role="search" onSubmit={onSearch}>
        <SelectField
          label="Status"
          value={status}
          choices={STATUSES}
          onChange={(value) => setParam({ status: value === "all" ? null : value, page: null })}
        />
        <SelectField
          label="Processing"
          value={processing ?? ""}
          choices={[{ value: "", label: "Any" }, ...PROCESSING]}
          onChange={(value) => setParam({ processing: value || null, page: null })}
        />
        <Field label="Search" className="grow">
          {(control) => (
            <input {...control} type="search" maxLength={LIMITS.title} value={text} onChange={(e) => setText(e.target.value)} />
          )}
        </Field>
        <button type="submit" className="button">
          Search
        </button>
      </form>

      <div aria-live="polite" className="status-line">
        {loading && <span role="status">Loading…</span>}
        {notice && !loading && <span>{notice}</span>}
      </div>
      <FormError message={actionError} />
      <ErrorMessage error={error} onRetry={reload} />

      {data && data.items.length === 0 && (
        <div className="empty" data-testid="empty-state">
          <h2>No videos here</h2>
          <p>{emptyHint(status, processing)}</p>
        </div>
      )}
      {data && data.items.length > 0 && (
        <>
          <ul className="library-list" aria-label="Videos">
            {data.items.map((item) => (
              <LibraryRow key={item.id} item={item} onChanged={onChanged} onDelete={setPendingDelete} />
            ))}
          </ul>
          <Pagination
            page={page}
            pageSize={data.page_size}
            total={data.total}
            onPage={(p) => setParam({ page: p > 1 ? String(p) : null }, { push: true })}
          />
        </>
      )}

      {pendingDelete && (
        <ConfirmDialog
          title="Delete this video?"
          confirmLabel="Delete"
          busy={deleting}
          onConfirm={() => void confirmDelete()}
          onCancel={() => setPendingDelete(null)}
        >
          <p>
            “{pendingDelete.title}” and its files will be removed for good. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function LibraryRow({
  item,
  onChanged,
  onDelete,
}: {
  item: MediaItem;
  onChanged: (item: MediaItem) => void;
  onDelete: (item: MediaItem) => void;
}) {
  const id = useId();
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(item.title);
  const [description, setDescription] = useState(item.description);
  const [tags, setTags] = useState(item.tags.join(", "));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  function startEdit() {
    setTitle(item.title);
    setDescription(item.description);
    setTags(item.tags.join(", "));
    setError(null);
    setEditing(true);
  }

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (title.trim() === "") {
      setError("The title cannot be empty.");
      return;
    }
    const problem = tagsProblem(parseTags(tags));
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const updated = await updateItem(item.id, {
        title: title.trim(),
        description: description.trim(),
        tags: parseTags(tags),
      });
      onChanged(updated);
      setEditing(false);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function togglePublish() {
    setBusy(true);
    setError(null);
    try {
      const updated = await updateItem(item.id, { status: item.status === "published" ? "draft" : "published" });
      onChanged(updated);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const processing = item.processing_state === "queued" || item.processing_state === "processing";
  // Queued or transcoding (after an upload or a retry): the row follows it.
  useItemPolling(item.id, processing && !editing, onChanged);

  return (
    <li className="library-row" data-testid="library-item" aria-labelledby={`${id}-title`}>
      <Link to={watchPath(item.id)} className="library-thumb" tabIndex={-1} aria-hidden="true">
        <Thumbnail item={item} sizes="(max-width: 40rem) 100vw, 12rem" />
      </Link>
      <div className="library-body">
        {editing ? (
          <>
            <form className="form compact" onSubmit={(e) => void save(e)} aria-label={`Edit ${item.title}`}>
              <TitleField value={title} onChange={setTitle} />
              <DescriptionAndTagsFields
                description={description}
                onDescription={setDescription}
                tags={tags}
                onTags={setTags}
                tagsPlaceholder="comma, separated"
              />
              <div className="button-row">
                <button type="submit" className="button primary" disabled={busy}>
                  {busy ? "Saving…" : "Save"}
                </button>
                <button type="button" className="button" disabled={busy} onClick={() => setEditing(false)}>
                  Cancel
                </button>
              </div>
            </form>
            <LibraryCaptions itemId={item.id} title={item.title} />
          </>
        ) : (
          <>
            <h2 id={`${id}-title`} className="library-title">
              <Link to={watchPath(item.id)}>{item.title}</Link>{" "}
              <span className={`badge ${item.status}`}>{item.status === "draft" ? "Draft" : "Published"}</span>
            </h2>
            {processingLabel(item) && (
              <p className={item.processing_state === "failed" ? "form-error small" : "muted small"} data-testid="library-processing">
                {processingLabel(item)}
              </p>
            )}
            {item.description && <p className="library-description">{item.description}</p>}
            <p className="muted small">
              {item.tags.length > 0 ? `Tags: ${item.tags.join(", ")} · ` : ""}
              Added {formatDate(item.created_at)}
            </p>
            <div className="button-row">
              <button
                type="button"
                className="button"
                disabled={busy}
                onClick={startEdit}
                aria-label={`Edit ${item.title}`}
              >
                Edit
              </button>
              <button
                type="button"
                className="button"
                disabled={busy}
                onClick={() => void togglePublish()}
                aria-label={`${item.status === "published" ? "Unpublish" : "Publish"} ${item.title}`}
              >
                {item.status === "published" ? "Unpublish" : "Publish"}
              </button>
              <TranscodeAgainButton item={item} onQueued={onChanged} />
              <button
                type="button"
                className="button danger"
                disabled={busy}
                onClick={() => onDelete(item)}
                aria-label={`Delete ${item.title}`}
              >
                Delete
              </button>
            </div>
          </>
        )}
        <FormError message={error} />
      </div>
    </li>
  );
}
