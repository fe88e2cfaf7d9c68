import { useCallback, useId, useState } from "react";
import { Link, useLocation } from "react-router";
import { listComments, type Comment, type CommentPage } from "../api/comments";
import type { RedirectState } from "../auth/RequireAuth";
import { useAuth } from "../auth/useAuth";
import { useAction } from "../lib/useAction";
import { useAsync } from "../lib/useAsync";
import { ActionButton } from "./ActionButton";
import { CommentEntry } from "./CommentEntry";
import { CommentForm, COMMENTS_OFF } from "./CommentForm";
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

/**
 * Under the watch page's description: the item's comments, newest first, a page at a time
 * ("Show more comments"), and the form to add one (signed in, while comments are on). The
 * timestamps in a comment seek the player, as the description's do (`moments`).
 */
export function Comments({ itemId, moments }: { itemId: string; moments: MomentLinks }) {
  const headingId = useId();
  const fetchFirst = useCallback((signal: AbortSignal) => listComments(itemId, undefined, signal), [itemId]);
  const { data: thread, error, reload, setData } = useAsync(fetchFirst);
  const more = useAction();
  // What the last post or deletion did, said: a deleted comment took the focus with it.
  const [posted, setPosted] = useState<string | null>(null);
  const [deletedNote, setDeletedNote] = useState<string | null>(null);
  // The first comment Show more brought: the button may be gone (the last page), so the focus goes there.
  const [firstShown, setFirstShown] = useState<string | null>(null);

  if (error) return <ErrorMessage error={error} onRetry={reload} />;
  if (!thread) return null;

  const add = (comment: Comment) => {
    setData((t) => ({ ...t, comments: [comment, ...t.comments], total: t.total + 1 }));
    setPosted("Your comment is posted.");
    setDeletedNote(null);
  };
  const changed = (comment: Comment) =>
    setData((t) => ({ ...t, comments: t.comments.map((c) => (c.id === comment.id ? comment : c)) }));
  const deleted = (id: string) => {
    setData((t) => ({ ...t, comments: t.comments.filter((c) => c.id !== id), total: Math.max(0, t.total - 1) }));
    setDeletedNote("The comment is deleted.");
    setPosted(null);
  };
  const turnedOff = () => setData((t) => ({ ...t, enabled: false }));
  const showMore = (cursor: string) =>
    more.run("more", "Could not load more comments", async () => {
      const page = await listComments(itemId, cursor);
      setData((t) => withPage(t, page));
      setFirstShown(page.comments[0]?.id ?? null);
    });

  return (
    <section className="comments" aria-labelledby={headingId}>
      <h2 id={headingId}>{commentsHeading(thread.total)}</h2>
      <p className="visually-hidden" role="status">
        {posted}
      </p>
      <DoneNotice message={deletedNote} />
      {thread.enabled ? <CommentFormOrSignIn itemId={itemId} onPosted={add} onTurnedOff={turnedOff} /> : <p className="muted">{COMMENTS_OFF}</p>}
      <ul className="comment-list">
        {thread.comments.map((comment) => (
          <CommentEntry key={comment.id} comment={comment} moments={moments} focused={comment.id === firstShown} onChanged={changed} onDeleted={deleted} onTurnedOff={turnedOff} />
        ))}
      </ul>
      {thread.next !== null && (
        <ActionButton busy={more.running !== null} onClick={() => void showMore(thread.next!)}>
          {more.running ? "Loading…" : "Show more comments"}
        </ActionButton>
      )}
      <FormError message={more.error} />
    </section>
  );
}

/** The form for a signed-in viewer; "Sign in to comment." (and back here) for anyone else. */
function CommentFormOrSignIn(props: { itemId: string; onPosted: (comment: Comment) => void; onTurnedOff: () => void }) {
  const { status } = useAuth();
  const location = useLocation();
  if (status === "authenticated") return <CommentForm {...props} />;
  if (status === "loading") return null;
  const state: RedirectState = { from: `${location.pathname}${location.search}${location.hash}` };
  return (
    <p>
      <Link to="/signin" state={state}>
        Sign in to comment.
      </Link>
    </p>
  );
}
