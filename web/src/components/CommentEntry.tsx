import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import { deleteComment, editComment, type Comment } from "../api/comments";
import { ApiError } from "../api/errors";
import { useAuth } from "../auth/useAuth";
import { formatAge, formatDate } from "../lib/format";
import { useAction, type Action } from "../lib/useAction";
import { CommentText, commentRefusal } from "./CommentForm";
import { CommentReport } from "./CommentReport";
import { ConfirmDialog, type ConfirmAnswers } from "./ConfirmDialog";
import { FormError } from "./ErrorMessage";
import { LinkedText, type MomentLinks } from "./LinkedText";
import { SubmitButton } from "./SubmitButton";
import { focusLeftToPage } from "./usePageFocus";

interface CommentChanges {
  onChanged: (comment: Comment) => void;
  onDeleted: (id: string) => void;
  onTurnedOff: () => void;
}

/** The name a comment is shown with: its author's, or "A viewer" for one without. */
export function commenterName(name: string | null): string {
  return name ?? "A viewer";
}

/** What stands in a thread for a comment deleted while others' replies answer it. */
const REMOVED_NOTE: Record<NonNullable<Comment["removed"]>, string> = {
  deleted: "Comment deleted.",
  account_deleted: "Comment removed: the account was deleted.",
};

/** What replies answer, in the words of the thread: "Ada’s comment", or "a deleted comment" under its note. */
const REMOVED_WHOSE: Record<NonNullable<Comment["removed"]>, string> = {
  deleted: "a deleted comment",
  account_deleted: "a removed comment",
};

/** "Ada’s comment", "a viewer’s comment", "a deleted comment" (see REMOVED_NOTE): whose replies these are. */
export function whoseComment(comment: Comment): string {
  return comment.removed ? REMOVED_WHOSE[comment.removed] : `${comment.author_name ?? "a viewer"}’s comment`;
}

/** "; its 2 replies stay" after the comment a deletion removes (nothing without replies). */
export function itsRepliesStay(count: number): string {
  if (count === 0) return "";
  return count === 1 ? "; its reply stays" : `; its ${repliesCount(count)} stay`;
}

/** "1 reply", "3 replies". */
export function repliesCount(count: number): string {
  return count === 1 ? "1 reply" : `${count.toLocaleString("en-US")} replies`;
}

interface CommentEntryProps extends CommentChanges {
  comment: Comment;
  moments: MomentLinks;
  focused?: boolean;
  /** The comment a link opened (`?comment=`): marked so, and focused as it shows unless the visitor has moved the focus on. */
  linked?: boolean;
  /** Reply, given the button pressed (the focus goes back to it when the reply is cancelled); none: no Reply. */
  onReply?: (opener: HTMLButtonElement) => void;
  /** Under the comment, inside its item: its replies and the reply form. */
  children?: ReactNode;
}

/**
 * One comment: who wrote it, how long ago (the exact time as its title), the text with its
 * line breaks, links and timestamps (which seek the player), an "Admin" badge by the name of
 * an admin's; its author may edit it in place
 * or delete it, an admin may delete any; a viewer may reply. The comment a link opened says so.
 */
export function CommentEntry({ comment, moments, focused = false, linked = false, onReply, children, ...changes }: CommentEntryProps) {
  const { user } = useAuth();
  const takesFocus = useLinkFocus(linked) || focused;
  const entry = useFocusWhen<HTMLLIElement>(takesFocus);
  const [editing, setEditing] = useState(false);
  const editButton = useFocusWhen<HTMLButtonElement>(!editing, { first: false });
  const [confirming, setConfirming] = useState(false);
  const action = useAction();
  const author = commenterName(comment.author_name);
  const mayDelete = comment.mine || user?.role === "admin";
  // Deleted while others' replies answer it: a note in its place, its replies under it.
  const removed = comment.removed && <p className="comment-meta muted">{REMOVED_NOTE[comment.removed]}</p>;

  const remove = async () => {
    await action.run("delete", "Could not delete the comment", async () => {
      await deleteGone(comment.id);
      changes.onDeleted(comment.id);
    });
    setConfirming(false);
  };

  return (
    <li className={linked ? "comment linked" : "comment"} ref={entry} tabIndex={takesFocus ? -1 : undefined}>
      {linked && <p className="badge linked-label">Linked comment</p>}
      {removed || (
        <>
          <CommentMeta comment={comment} />
          {editing ? (
            <CommentEditForm comment={comment} action={action} {...changes} onDone={() => setEditing(false)} />
          ) : (
            <CommentBody text={comment.body} moments={moments} />
          )}
          {!editing && (
            <div className="button-row">
              {onReply && (
                <button type="button" className="button small" aria-label={`Reply to ${comment.mine ? "your" : `${author}’s`} comment`} onClick={(e) => onReply(e.currentTarget)}>
                  Reply
                </button>
              )}
              {comment.mine && (
                <button ref={editButton} type="button" className="button small" aria-label="Edit your comment" onClick={() => setEditing(true)}>
                  Edit
                </button>
              )}
              {mayDelete && (
                <button type="button" className="button small" aria-label={`Delete ${comment.mine ? "your" : `${author}’s`} comment`} onClick={() => setConfirming(true)}>
                  Delete
                </button>
              )}
              <CommentReport comment={comment} />
            </div>
          )}
          {!editing && <FormError message={action.error} />}
          {confirming && <DeleteCommentDialog comment={comment} busy={action.running !== null} onConfirm={() => void remove()} onCancel={() => setConfirming(false)} />}
        </>
      )}
      {children}
    </li>
  );
}

/** Who wrote the comment and how long ago (the exact time as its title), "(edited)" if it was. */
function CommentMeta({ comment }: { comment: Comment }) {
  return (
    <p className="comment-meta">
      <CommentAuthor name={commenterName(comment.author_name)} byAdmin={comment.by_admin} />{" "}
      <time dateTime={comment.created_at} title={formatDate(comment.created_at)}>
        {formatAge(comment.created_at)}
      </time>
      {comment.edited_at && " (edited)"}
    </p>
  );
}

/** Who wrote a comment, with an "Admin" badge read with the name ("Ada, Admin") for an admin's, which a viewer's name cannot say (the server refuses such names). */
function CommentAuthor({ name, byAdmin }: { name: string; byAdmin: boolean }) {
  return (
    <span className="comment-author">
      {name}
      {byAdmin && (
        <span className="badge admin">
          <span className="visually-hidden">, </span>Admin
        </span>
      )}
    </span>
  );
}

/** "Delete this comment?": the comment goes for everyone; its replies stay, under a note in its place. */
function DeleteCommentDialog({ comment, ...answers }: ConfirmAnswers & { comment: Comment }) {
  const whose = comment.mine ? "Your comment" : `${commenterName(comment.author_name)}’s comment`;
  return (
    <ConfirmDialog title="Delete this comment?" confirmLabel="Delete" destructive {...answers}>
      <p>
        {whose}
        {" "}will be removed for everyone{itsRepliesStay(comment.reply_count)}. This cannot be undone.
      </p>
    </ConfirmDialog>
  );
}

/** Whether a linked comment takes the focus as it shows (which brings it into view): decided then, unless the visitor has moved the focus on. */
function useLinkFocus(linked: boolean): boolean {
  const [takes] = useState(() => linked && focusLeftToPage());
  return takes;
}

/**
 * A ref focused whenever `when` turns true (and as it mounts with it, unless `first` is false):
 * the first comment of a page just shown (Show more may be gone), Edit once its form closes.
 */
function useFocusWhen<E extends HTMLElement>(when: boolean, { first = true } = {}) {
  const ref = useRef<E>(null);
  const mounted = useRef(false);
  useEffect(() => {
    if (when && (first || mounted.current)) ref.current?.focus();
    mounted.current = true;
  }, [when, first]);
  return ref;
}

/** Deletes the comment; one already gone (deleted in another tab) is what was asked for. */
export async function deleteGone(id: string): Promise<void> {
  try {
    await deleteComment(id);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === "comment_not_found")) throw err;
  }
}

/** The comment's text in place of it, with Save and Cancel. */
function CommentEditForm({ comment, action, onChanged, onTurnedOff, onDone }: Omit<CommentChanges, "onDeleted"> & { comment: Comment; action: Action; onDone: () => void }) {
  const [body, setBody] = useState(comment.body);
  const busy = action.running !== null;

  function refused(err: unknown): string {
    if (err instanceof ApiError && err.code === "comments_off") onTurnedOff();
    return commentRefusal(err);
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const saved = await action.run("edit", refused, async () => onChanged(await editComment(comment.id, body)));
    if (saved) onDone();
  }

  return (
    // Escape leaves the edit as Cancel does (as it closes the dialogs), unless a save is under way.
    <form className="form compact" onSubmit={(e) => void submit(e)} onKeyDown={(e) => e.key === "Escape" && !busy && onDone()} aria-label="Edit your comment">
      <CommentText label="Your comment" value={body} onChange={setBody} autoFocus />
      <FormError message={action.error} />
      <div className="button-row">
        <SubmitButton className="button primary" busy={busy || body.trim() === ""}>
          {busy ? "Saving…" : "Save"}
        </SubmitButton>
        <button type="button" className="button" disabled={busy} onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** A comment past this many characters, or lines, opens folded to its first lines. */
const LONG_CHARACTERS = 600;
const LONG_LINES = 8;

/**
 * The comment's text, in its own script's direction, its links and timestamps made links; a
 * long one (a 2,000-character comment filled a screen, a phone's twice) folded to its first
 * lines with "Read more" (and "Show less").
 */
function CommentBody({ text, moments }: { text: string; moments: MomentLinks }) {
  const long = text.length > LONG_CHARACTERS || text.split("\n").length > LONG_LINES;
  const [folded, setFolded] = useState(long);
  const id = useId();
  return (
    <>
      <p id={id} className={folded ? "comment-body folded" : "comment-body"} dir="auto">
        <LinkedText text={text} moments={moments} />
      </p>
      {long && (
        <button type="button" className="link-button small" aria-expanded={!folded} aria-controls={id} onClick={() => setFolded((f) => !f)}>
          {folded ? "Read more" : "Show less"}
        </button>
      )}
    </>
  );
}
