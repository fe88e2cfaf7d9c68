import { useCallback, useId, useState } from "react";
import { Link } from "react-router";
import { getLinkedComment, listComments, listReplies, type Comment, type CommentPage } from "../api/comments";
import { ApiError } from "../api/errors";
import { useReturnHere } from "../auth/RequireAuth";
import { useAuth } from "../auth/useAuth";
import { useAction } from "../lib/useAction";
import { useAsync } from "../lib/useAsync";
import { ActionButton } from "./ActionButton";
import { CommentThread, withReplies, type LinkedThread } from "./CommentThread";
import { CommentForm, COMMENTS_OFF, OneNameStep } from "./CommentForm";
import { ErrorMessage, FormError } from "./ErrorMessage";
import { DoneNotice } from "./FocusedMessage";
import type { MomentLinks } from "./LinkedText";

/** "3 comments", "1 comment"; a bare "Comments" while there are none. */
function commentsHeading(total: number): string {
  if (total === 0) return "Comments";
  return total === 1 ? "1 comment" : `${total.toLocaleString("en-US")} comments`;
}

/** The pages read so far and the one after: a new page's comments go after the ones shown. */
function withPage(shown: CommentPage, page: CommentPage): CommentPage {
  const seen = new Set(shown.comments.map((c) => c.id));
  return { ...page, comments: [...shown.comments, ...page.comments.filter((c) => !seen.has(c.id))] };
}

/** What the page says when the comment a link named is gone. */
const LINKED_GONE = "That comment is no longer there.";

/** The first page, and the comment a link named (`?comment=`): its thread first in the page, or gone. */
interface CommentsRead {
  page: CommentPage;
  linked: (LinkedThread & { threadId: string }) | null;
  linkedGone: boolean;
}

/**
 * The item's first page of comments, with the thread of the comment `linkedId` first (once: the
 * pages after it leave it out, as they do any comment shown) and, for a reply, its thread's first
 * replies read with it; the linked comment gone (404: deleted, its video unpublished, comments
 * off) leaves the page as without it.
 */
async function readComments(itemId: string, linkedId: string | null, signal: AbortSignal): Promise<CommentsRead> {
  const [page, linked] = await Promise.all([listComments(itemId, undefined, signal), linkedId ? readLinked(itemId, linkedId, signal) : null]);
  if (linked === null) return { page, linked: null, linkedGone: linkedId !== null };
  const { thread, ...shown } = linked;
  const comments = [thread, ...page.comments.filter((c) => c.id !== thread.id)];
  return { page: { ...page, comments }, linked: { ...shown, threadId: thread.id }, linkedGone: false };
}

/** The linked comment's thread (its top-level comment) and, for a reply, the replies shown with it; null once it is gone. */
async function readLinked(itemId: string, commentId: string, signal: AbortSignal) {
  try {
    const { comment, parent } = await getLinkedComment(itemId, commentId, signal);
    if (!parent) return { id: commentId, thread: comment, replies: null };
    const first = await listReplies(parent.id, undefined, signal);
    return { id: commentId, thread: parent, replies: withReplies(null, [...first.comments, comment], first.next) };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/**
 * Under the watch page's description: the item's comments, newest first, a page at a time
 * ("Show more comments"), and the form to add one (signed in, while comments are on). The
 * timestamps in a comment seek the player, as the description's do (`moments`). A link to one
 * comment (`linkedId`) shows its thread first, the comment marked and focused.
 */
export function Comments({ itemId, moments, linkedId = null }: { itemId: string; moments: MomentLinks; linkedId?: string | null }) {
  const headingId = useId();
  const fetchFirst = useCallback((signal: AbortSignal) => readComments(itemId, linkedId, signal), [itemId, linkedId]);
  const { data: read, error, reload, setData } = useAsync(fetchFirst);
  const setPage = useCallback((update: (page: CommentPage) => CommentPage) => setData((r) => ({ ...r, page: update(r.page) })), [setData]);
  const more = useAction();
  const { status, user } = useAuth();
  const { posted, deletedNote, add, ...changes } = useCommentChanges(setPage, user?.role === "admin");
  // The first comment Show more brought: the button may be gone (the last page), so the focus goes there.
  const [firstShown, setFirstShown] = useState<string | null>(null);

  if (error) return <ErrorMessage error={error} onRetry={reload} />;
  if (!read) return null;
  const { page: thread, linked } = read;

  const canReply = status === "authenticated" && thread.enabled;
  const showMore = (cursor: string) =>
    more.run("more", "Could not load more comments", async () => {
      const page = await listComments(itemId, cursor);
      setPage((t) => withPage(t, page));
      setFirstShown(page.comments[0]?.id ?? null);
    });

  return (
    <section className="comments" aria-labelledby={headingId}>
      <h2 id={headingId}>{commentsHeading(thread.total)}</h2>
      <p className="visually-hidden" role="status">
        {posted}
      </p>
      <DoneNotice message={deletedNote} />
      {read.linkedGone && <p className="notice">{LINKED_GONE}</p>}
      <OneNameStep>
        {thread.enabled ? <CommentFormOrSignIn itemId={itemId} onPosted={add} onTurnedOff={changes.onTurnedOff} /> : <p className="muted">{COMMENTS_OFF}</p>}
        <ul className="comment-list">
          {thread.comments.map((comment) => (
            <CommentThread
              key={comment.id}
              itemId={itemId}
              comment={comment}
              moments={moments}
              focused={comment.id === firstShown}
              linked={comment.id === linked?.threadId ? linked : undefined}
              canReply={canReply}
              {...changes}
            />
          ))}
        </ul>
      </OneNameStep>
      {thread.next !== null && (
        <ActionButton busy={more.running !== null} onClick={() => void showMore(thread.next!)}>
          {more.running ? "Loading…" : "Show more comments"}
        </ActionButton>
      )}
      <FormError message={more.error} />
    </section>
  );
}

/**
 * The page's comments after a post, an edit, a deletion (a comment's replies stay under a note), a
 * reply or comments found turned off, their counts with them, and what was done, said: a
 * deleted comment (or the form) took the focus with it.
 */
function useCommentChanges(setData: (update: (page: CommentPage) => CommentPage) => void, admin: boolean) {
  const [posted, setPosted] = useState<string | null>(null);
  const [deletedNote, setDeletedNote] = useState<string | null>(null);
  const said = (post: string | null, deletion: string | null) => {
    setPosted(post);
    setDeletedNote(deletion);
  };
  return {
    posted,
    deletedNote,
    add: (comment: Comment) => {
      setData((t) => ({ ...t, comments: [comment, ...t.comments], total: t.total + 1 }));
      said("Your comment is posted.", null);
    },
    onChanged: (comment: Comment) => setData((t) => ({ ...t, comments: t.comments.map((c) => (c.id === comment.id ? comment : c)) })),
    // A comment with replies stays as a note over them (as the server keeps it), no longer counted.
    onDeleted: (id: string) => {
      const emptied = (c: Comment): Comment => ({ ...c, body: "", author_name: null, by_admin: false, mine: false, edited_at: null, removed: "deleted" });
      setData((t) => ({
        ...t,
        comments: t.comments.flatMap((c) => (c.id !== id ? [c] : c.reply_count > 0 ? [emptied(c)] : [])),
        total: Math.max(0, t.total - 1),
      }));
      said(null, "The comment is deleted.");
    },
    // A removed comment's note goes with its last reply, as on the server.
    onReplies: (id: string, change: 1 | -1) => {
      const counted = (c: Comment) => (c.id === id ? { ...c, reply_count: Math.max(0, c.reply_count + change) } : c);
      const kept = (c: Comment) => !(c.removed && c.reply_count === 0);
      setData((t) => ({ ...t, comments: t.comments.map(counted).filter(kept), total: Math.max(0, t.total + change) }));
      if (change > 0) said("Your reply is posted.", null);
      else said(null, "The reply is deleted.");
    },
    // Turned off while the page was open (a post or an edit refused): the page shows what a
    // reload would (a viewer: no comments; an admin: them all, to moderate), and says so where
    // the focus goes, as the form that held it is gone.
    onTurnedOff: () => {
      setData((t) => (admin ? { ...t, enabled: false } : { comments: [], total: 0, enabled: false, next: null }));
      said(null, `${COMMENTS_OFF} What you wrote was not posted.`);
    },
  };
}

/** The form for a signed-in viewer; "Sign in to comment." (and back here) for anyone else. */
function CommentFormOrSignIn(props: { itemId: string; onPosted: (comment: Comment) => void; onTurnedOff: () => void }) {
  const { status } = useAuth();
  const state = useReturnHere();
  if (status === "authenticated") return <CommentForm {...props} />;
  if (status === "loading") return null;
  return (
    <p>
      <Link to="/signin" state={state}>
        Sign in to comment.
      </Link>
    </p>
  );
}
