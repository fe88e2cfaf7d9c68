import { startTransition, useCallback, useId, useOptimistic, useState } from "react";
import { ApiError, errorMessage } from "../api/errors";
import { dismissReports, listAllComments, MODERATION_REFUSALS, type ModeratedComment, type ModeratedCommentPage } from "../api/moderation";
import { ActionButton } from "../components/ActionButton";
import { andItsReplies, deleteGone } from "../components/CommentEntry";
import { ConfirmDialog, type ConfirmAnswers } from "../components/ConfirmDialog";
import { ErrorMessage, FormError } from "../components/ErrorMessage";
import { DoneNotice } from "../components/FocusedMessage";
import { KeptRows, LoadingLine } from "../components/KeptRows";
import { useAction } from "../lib/useAction";
import { useAsync } from "../lib/useAsync";
import { useEntryMemory, useRestoredScroll } from "../lib/scrollMemory";
import { useUrlQuery } from "../lib/urlQuery";
import { ModeratedCommentsTable } from "./ModeratedCommentsTable";

/** The pages read so far and the one after: a new page's comments go after the ones shown. */
function withPage(shown: ModeratedCommentPage, page: ModeratedCommentPage): ModeratedCommentPage {
  const seen = new Set(shown.comments.map((c) => c.id));
  return { ...page, comments: [...shown.comments, ...page.comments.filter((c) => !seen.has(c.id))] };
}

/**
 * Every video's comments for admins, newest first, or only the reported ones (most recently
 * reported first; `?reported=1`), a page at a time; each may be deleted, and a reported one's
 * reports dismissed.
 */
export function AdminCommentsPage() {
  const [params, setParam] = useUrlQuery();
  const reported = params.get("reported") === "1";
  const list = useModeratedComments(reported);
  const actions = useModerationActions(list.setData, reported);
  const [deleting, setDeleting] = useState<ModeratedComment | null>(null);
  const { data, shown } = list;

  return (
    <section className="page" aria-labelledby="comments-title">
      <h1 id="comments-title">Comments</h1>
      <ReportedOnlyToggle checked={reported} onChange={(on) => setParam({ reported: on ? "1" : null }, { push: true })} />
      <LoadingLine loading={list.loading} />
      <ErrorMessage error={list.error} onRetry={list.reload} />
      <FormError message={actions.error} />
      <DoneNotice message={actions.done} />
      {data && data.comments.length === 0 && <p className="muted">{reported ? "No reported comments." : "No comments yet."}</p>}
      {shown && shown.comments.length > 0 && (
        <KeptRows busy={list.loading}>
          <ModeratedCommentsTable comments={shown.comments} focused={list.firstShown} actions={{ running: actions.running, onDelete: setDeleting, onDismiss: (c) => void actions.dismiss(c) }} />
        </KeptRows>
      )}
      {data?.next && (
        <ActionButton busy={list.loadingMore} onClick={() => void list.showMore(data.next!)}>
          {list.loadingMore ? "Loading…" : "Show more"}
        </ActionButton>
      )}
      <FormError message={list.moreError} />
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

/** Asks before deleting a comment (its replies go with it): it cannot be undone. */
function DeleteCommentDialog({ comment, ...answers }: ConfirmAnswers & { comment: ModeratedComment }) {
  return (
    <ConfirmDialog title="Delete this comment?" confirmLabel="Delete" destructive {...answers}>
      <p>
        {comment.author_name ?? "A viewer"}’s comment on {comment.item_title}
        {andItsReplies(comment.reply_count)} will be removed for everyone. This cannot be undone.
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
function useModeratedComments(reported: boolean) {
  const { kept, keep } = useEntryMemory<string[]>();
  const fetchShown = useCallback((signal: AbortSignal) => readPages(reported, kept() ?? [], keep, signal), [reported, kept, keep]);
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
      const page = await listAllComments(cursor, reported);
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
async function readPages(reported: boolean, cursors: string[], keep: (cursors: string[]) => void, signal: AbortSignal) {
  try {
    const [first, ...after] = await Promise.all([undefined, ...cursors].map((cursor) => listAllComments(cursor, reported, signal)));
    return after.reduce(withPage, first!);
  } catch (err) {
    if (!isInvalidCursor(err)) throw err;
    keep([]);
    return listAllComments(undefined, reported, signal);
  }
}

/**
 * Deleting a comment and dismissing its reports, each followed by the list as it is then (the
 * row gone, or its reports cleared, or gone from the reported ones) and what was done, said.
 */
function useModerationActions(setData: (update: (page: ModeratedCommentPage) => ModeratedCommentPage) => void, reported: boolean) {
  const { running, error, run } = useAction();
  const [done, setDone] = useState<string | null>(null);
  // A comment goes with its replies.
  const without = (id: string) => setData((page) => ({ ...page, comments: page.comments.filter((c) => c.id !== id && c.parent_id !== id) }));
  const cleared = (id: string) =>
    setData((page) => ({ ...page, comments: page.comments.map((c) => (c.id === id ? { ...c, reports: 0, reasons: [], last_reported_at: null } : c)) }));

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
      if (reported) without(comment.id);
      else cleared(comment.id);
      setDone("The reports are dismissed; the comment stays.");
    });
  return { running, error, done, remove, dismiss };
}

/** Dismisses the comment's reports; false when the comment is gone. */
async function dismissFound(id: string): Promise<boolean> {
  try {
    await dismissReports(id);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.code === MODERATION_REFUSALS.notFound) return false;
    throw err;
  }
}
