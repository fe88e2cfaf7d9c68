import { startTransition, useCallback, useId, useMemo, useOptimistic, useState } from "react";
import { ApiError, errorMessage } from "../api/errors";
import { listAllComments, MODERATION_REFUSALS, type CommentAuthor, type CommentFilter, type ModeratedComment, type ModeratedCommentPage } from "../api/moderation";
import { ActionButton } from "../components/ActionButton";
import { commenterName, deleteGone, itsRepliesStay } from "../components/CommentEntry";
import { ConfirmDialog, type ConfirmAnswers } from "../components/ConfirmDialog";
import { ErrorMessage, FormError } from "../components/ErrorMessage";
import { FilterChip } from "../components/FilterChip";
import { DoneNotice } from "../components/FocusedMessage";
import { KeptRows, LoadingLine } from "../components/KeptRows";
import { useAction } from "../lib/useAction";
import { useAsync } from "../lib/useAsync";
import { useEntryMemory, useRestoredScroll } from "../lib/scrollMemory";
import { useUrlQuery } from "../lib/urlQuery";
import { CommentsBulkBar, DeleteAllByAuthor, dismissFound, useCommentSelection } from "./CommentsBulk";
import { ModeratedCommentsTable } from "./ModeratedCommentsTable";

/** The pages read so far and the one after: a new page's comments go after the ones shown. */
function withPage(shown: ModeratedCommentPage, page: ModeratedCommentPage): ModeratedCommentPage {
  const seen = new Set(shown.comments.map((c) => c.id));
  return { ...page, comments: [...shown.comments, ...page.comments.filter((c) => !seen.has(c.id))] };
}

/**
 * Every video's comments for admins, newest first, or only the reported ones (most recently
 * reported first; `?reported=1`), or one member's alone (`?author=<id>`), a page at a time;
 * each may be deleted, and a reported one's reports dismissed, one or the selected ones at once,
 * and all of one member's deleted at once. The rows on screen are the last answer until the
 * next arrives (inert meanwhile); a selection is made on the current answer's rows alone.
 */
export function AdminCommentsPage() {
  const [params, setParam] = useUrlQuery();
  const reported = params.get("reported") === "1";
  const author = params.get("author");
  const filter = useMemo<CommentFilter>(() => ({ reported, author }), [reported, author]);
  const list = useModeratedComments(filter);
  const actions = useModerationActions(list.setData, reported);
  const [deleting, setDeleting] = useState<ModeratedComment | null>(null);
  const { data, shown: kept } = list;
  const rows = kept?.comments ?? [];
  const selectable = data?.comments ?? [];
  const selection = useCommentSelection(selectable, `${reported}/${author}`);
  const authorPath = (comment: ModeratedComment) => `?${new URLSearchParams({ ...Object.fromEntries(params), author: comment.author_id }).toString()}`;

  return (
    <section className="page" aria-labelledby="comments-title">
      <h1 id="comments-title">Comments</h1>
      <ReportedOnlyToggle checked={reported} onChange={(on) => setParam({ reported: on ? "1" : null }, { push: true })} />
      {author && (
        <AuthorFilter
          author={data?.author ?? null}
          onClear={() => setParam({ author: null }, { push: true })}
          onDeleted={(notice) => {
            actions.say(notice);
            list.reload();
          }}
        />
      )}
      <LoadingLine loading={list.loading}>{data && <ListedCount page={data} reported={reported} author={author} />}</LoadingLine>
      <ErrorMessage error={list.error} onRetry={list.reload} />
      <FormError message={actions.error} />
      <DoneNotice message={actions.done} />
      {data && data.comments.length === 0 && <p className="muted">{reported ? "No reported comments." : "No comments yet."}</p>}
      {rows.length > 0 && (
        <>
          <CommentsBulkBar shown={selectable} selection={selection} list={actions.list} />
          <KeptRows busy={list.loading}>
            <ModeratedCommentsTable
              comments={rows}
              focused={list.firstShown}
              actions={{ running: actions.running, onDelete: setDeleting, onDismiss: (c) => void actions.dismiss(c), authorPath, isSelected: selection.isSelected, onSelect: selection.toggle }}
            />
          </KeptRows>
        </>
      )}
      <ShowMore list={list} />
      {deleting && (
        <DeleteCommentDialog
          comment={deleting}
          onCancel={() => setDeleting(null)}
          onConfirm={() => {
            setDeleting(null);
            void actions.remove(deleting);
          }}
        />
      )}
    </section>
  );
}

/**
 * How many comments the filters leave, told as the list comes (in LoadingLine): "3 reported
 * comments by Sam", "50 comments shown; Show more lists the rest". None is told, not shown:
 * the paragraph below the line says it.
 */
function ListedCount({ page, reported, author }: { page: ModeratedCommentPage; reported: boolean; author: string | null }) {
  const count = page.comments.length;
  const what = `${reported ? "reported " : ""}comment${count === 1 ? "" : "s"}`;
  const by = author ? ` by ${page.author ? commenterName(page.author.name) : "one member"}` : "";
  if (count === 0) return <span className="visually-hidden">{`No ${what}${by}`}</span>;
  const more = page.next ? " shown; Show more lists the rest" : "";
  return <span>{`${count.toLocaleString("en-US")} ${what}${by}${more}`}</span>;
}

/**
 * "Show more" while the list has a next page, and why the last one could not be read. It stays
 * in its place, held, while the list is read again (it went, and the page's footer jumped up).
 */
function ShowMore({ list }: { list: ReturnType<typeof useModeratedComments> }) {
  const next = list.shown?.next;
  return (
    <>
      {next && (
        <ActionButton busy={list.loadingMore || list.loading} onClick={() => void list.showMore(next)}>
          {list.loadingMore ? "Loading…" : "Show more"}
        </ActionButton>
      )}
      <FormError message={list.moreError} />
    </>
  );
}

/**
 * The member whose comments alone are listed (`?author=`; null until the list says who): "Comments
 * by Sam ×", the × showing everyone's again, and the way to delete all of theirs.
 */
function AuthorFilter({ author, onClear, onDeleted }: { author: CommentAuthor | null; onClear: () => void; onDeleted: (notice: string) => void }) {
  return (
    <>
      <FilterChip clear="×" clearName="Show everyone’s comments" onClear={onClear}>
        Comments by <strong>{author ? commenterName(author.name) : "one member"}</strong>
      </FilterChip>
      {author && <DeleteAllByAuthor author={author} onDeleted={onDeleted} />}
    </>
  );
}

/** Asks before deleting a comment (replies to it stay, under a note): it cannot be undone. */
function DeleteCommentDialog({ comment, ...answers }: ConfirmAnswers & { comment: ModeratedComment }) {
  return (
    <ConfirmDialog title="Delete this comment?" confirmLabel="Delete" destructive {...answers}>
      <p>
        {commenterName(comment.author_name)}’s comment on {comment.item_title} will be removed for everyone
        {itsRepliesStay(comment.reply_count)}. This cannot be undone.
      </p>
    </ConfirmDialog>
  );
}

/**
 * "Reported only", kept in the page's address. The box shows a click at once: the router
 * commits the new address in a transition, until which a box bound to it alone would show the
 * old state (and a check right after the click finds it unchanged).
 */
function ReportedOnlyToggle({ checked, onChange }: { checked: boolean; onChange: (on: boolean) => void }) {
  const id = useId();
  const [shown, setShown] = useOptimistic(checked);
  return (
    <div className="toolbar">
      <div className="field checkbox">
        <input
          id={id}
          type="checkbox"
          checked={shown}
          onChange={(e) => {
            const on = e.target.checked;
            startTransition(() => {
              setShown(on);
              onChange(on);
            });
          }}
        />
        <label htmlFor={id}>Reported only</label>
      </div>
    </div>
  );
}

/**
 * The comments listed, the first page read again when the filter changes, and the pages after
 * it (Show more); a cursor the server no longer takes (the list changed) starts again from the top.
 * The cursors of the pages shown are kept for the history entry: Back from a comment's video
 * reads them all again, so the same rows are there and the scroll comes back to its place.
 */
function useModeratedComments(filter: CommentFilter) {
  const { kept, keep } = useEntryMemory<string[]>();
  const fetchShown = useCallback((signal: AbortSignal) => readPages(filter, kept() ?? [], keep, signal), [filter, kept, keep]);
  const { data, shown, error, loading, reload, setData } = useAsync(fetchShown);
  useRestoredScroll(data !== null);
  const more = useAction();
  const [firstShown, setFirstShown] = useState<string | null>(null);

  const refused = (err: unknown) => {
    if (!isInvalidCursor(err)) return `Could not load more comments: ${errorMessage(err)}`;
    keep([]);
    reload();
    return "The list changed meanwhile: it is shown again from the start.";
  };
  const showMore = (cursor: string) =>
    more.run("more", refused, async () => {
      const page = await listAllComments(cursor, filter);
      setData((shown) => withPage(shown, page));
      keep([...(kept() ?? []), cursor]);
      setFirstShown(page.comments[0]?.id ?? null);
    });
  return { data, shown, error, loading, reload, setData, showMore, firstShown, loadingMore: more.running !== null, moreError: more.error };
}

function isInvalidCursor(err: unknown): boolean {
  return err instanceof ApiError && err.code === MODERATION_REFUSALS.invalidCursor;
}

/**
 * The first page and the pages after it that `cursors` name (read at once), shown in order;
 * when the server takes a cursor no more, the first page alone, and the cursors are forgotten.
 */
async function readPages(filter: CommentFilter, cursors: string[], keep: (cursors: string[]) => void, signal: AbortSignal) {
  try {
    const [first, ...after] = await Promise.all([undefined, ...cursors].map((cursor) => listAllComments(cursor, filter, signal)));
    return after.reduce(withPage, first!);
  } catch (err) {
    if (!isInvalidCursor(err)) throw err;
    keep([]);
    return listAllComments(undefined, filter, signal);
  }
}

/**
 * Deleting a comment and dismissing its reports, each followed by the list as it is then (the
 * row gone, or its reports cleared, or gone from the reported ones) and what was done, said.
 */
function useModerationActions(setData: (update: (page: ModeratedCommentPage) => ModeratedCommentPage) => void, reported: boolean) {
  const { running, error, run } = useAction();
  const [done, setDone] = useState<string | null>(null);
  // Its replies stay (under a note in its place on the watch page).
  const without = (id: string) => setData((page) => ({ ...page, comments: page.comments.filter((c) => c.id !== id) }));
  // Dismissed: gone from the reported ones, else kept without its reports.
  const cleared = (id: string) =>
    reported
      ? without(id)
      : setData((page) => ({ ...page, comments: page.comments.map((c) => (c.id === id ? { ...c, reports: 0, reasons: [], last_reported_at: null } : c)) }));

  const remove = (comment: ModeratedComment) =>
    run(comment.id, "Could not delete the comment", async () => {
      setDone(null);
      await deleteGone(comment.id);
      without(comment.id);
      setDone("The comment is deleted.");
    });
  // A comment deleted meanwhile (in another tab) has no reports left either: its row goes.
  const dismiss = (comment: ModeratedComment) =>
    run(comment.id, "Could not dismiss the reports", async () => {
      setDone(null);
      if (!(await dismissFound(comment.id))) {
        without(comment.id);
        return setDone("The comment was deleted meanwhile.");
      }
      cleared(comment.id);
      setDone("The reports are dismissed; the comment stays.");
    });
  return { running, error, done, say: setDone, remove, dismiss, list: { without, cleared } };
}
