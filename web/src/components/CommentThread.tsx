import { useEffect, useId, useState } from "react";
import { listReplies, type Comment, type CommentPage } from "../api/comments";
import { useAction } from "../lib/useAction";
import { ActionButton } from "./ActionButton";
import { CommentEntry, repliesCount, whoseComment } from "./CommentEntry";
import { CommentForm } from "./CommentForm";
import { FormError } from "./ErrorMessage";
import type { MomentLinks } from "./LinkedText";

/** The comment a link opened (`?comment=`) in this thread: which one, and the replies read with it (a reply's: its thread open). */
export interface LinkedThread {
  id: string;
  replies: RepliesShown | null;
}

interface CommentThreadProps {
  itemId: string;
  comment: Comment;
  moments: MomentLinks;
  focused: boolean;
  linked?: LinkedThread;
  /** Whether the viewer may reply: signed in, while comments are on. */
  canReply: boolean;
  onChanged: (comment: Comment) => void;
  onDeleted: (id: string) => void;
  onTurnedOff: () => void;
  /** A reply posted (1) or deleted (-1) under the comment: its count and the heading's change. */
  onReplies: (commentId: string, change: 1 | -1) => void;
}

/**
 * A top-level comment and its replies, folded under "3 replies" (named "3 replies to Ada’s
 * comment": a buttons list holds one per thread) until asked for, then oldest
 * first (a conversation reads down) a page at a time, in a list nested in the comment's item.
 * Reply, on the comment or on any of its replies, opens the thread's one "Add a reply" form
 * right under the comment pressed (a phone's thread may be screens long), a reply's prefilled
 * with "@<its author> "; a reply posted goes at the end of the thread, opened, and takes the focus.
 */
export function CommentThread({ itemId, comment, moments, focused, linked, canReply, onReplies, ...changes }: CommentThreadProps) {
  const listId = useId();
  const replies = useReplies(comment.id, comment.reply_count, linked?.replies ?? null);
  const form = useReplyForm();
  const replyTo = (to: Comment) => (canReply && !to.removed ? (button: HTMLButtonElement) => form.open(button, to.id, to === comment ? null : mention(to)) : undefined);

  const posted = (made: Comment) => {
    form.close();
    void replies.add(made);
    onReplies(comment.id, 1);
  };
  const deleted = (id: string) => {
    if (form.under === id) form.place(comment.id);
    replies.remove(id);
    onReplies(comment.id, -1);
  };
  const toggle = () => {
    // Replies folded: a form under one of them stays in sight, under the comment.
    if (replies.open && form.under !== null) form.place(comment.id);
    replies.toggle();
  };
  const toggleText = `${replies.open ? "Hide " : ""}${repliesCount(comment.reply_count)}`;
  const formUnder = (under: Comment) =>
    canReply &&
    form.under === under.id && (
      <div id={form.boxId}>
        <CommentForm itemId={itemId} replyTo={{ id: comment.id, onCancel: form.cancel, draft: form.draft }} onPosted={posted} onTurnedOff={changes.onTurnedOff} />
      </div>
    );

  return (
    <CommentEntry comment={comment} moments={moments} focused={focused} linked={linked?.id === comment.id} onReply={replyTo(comment)} {...changes}>
      {formUnder(comment)}
      {comment.reply_count > 0 && (
        <button type="button" className="link-button small" aria-expanded={replies.open} aria-controls={listId} aria-label={`${toggleText} to ${whoseComment(comment)}`} onClick={toggle}>
          {toggleText}
        </button>
      )}
      <ul id={listId} className="comment-list replies" hidden={!replies.open || replies.shown.length === 0} aria-label={`Replies to ${whoseComment(comment)}`}>
        {replies.shown.map((r) => (
          <CommentEntry key={r.id} comment={r} moments={moments} focused={r.id === replies.focused} linked={linked?.id === r.id} onReply={replyTo(r)} onChanged={replies.changed} onDeleted={deleted} onTurnedOff={changes.onTurnedOff}>
            {formUnder(r)}
          </CommentEntry>
        ))}
      </ul>
      {replies.open && replies.next !== null && (
        <ActionButton busy={replies.loading} onClick={() => void replies.showMore()}>
          {replies.loading ? "Loading…" : "Show more replies"}
        </ActionButton>
      )}
      <FormError message={replies.error} />
    </CommentEntry>
  );
}

/** "@Ann " to start a reply to Ann's reply (as YouTube does); none to the viewer's own, or a nameless one. */
function mention(reply: Comment): string | null {
  return reply.mine || !reply.author_name ? null : `@${reply.author_name} `;
}

export interface RepliesShown {
  replies: Comment[];
  next: string | null;
}

/** Oldest first, as the server pages them; a reply just posted is the newest. */
function oldestFirst(a: Comment, b: Comment): number {
  return Date.parse(a.created_at) - Date.parse(b.created_at) || a.id.localeCompare(b.id);
}

/** The replies shown and `more` (a page read, or a reply posted), each once, oldest first. */
export function withReplies(shown: RepliesShown | null, more: Comment[], next: string | null = shown?.next ?? null): RepliesShown {
  const byId = new Map([...(shown?.replies ?? []), ...more].map((r) => [r.id, r]));
  return { replies: [...byId.values()].sort(oldestFirst), next };
}

/**
 * A thread's replies: none read until first opened (or those read with a linked reply, open),
 * then a page at a time (Show more replies, whose first reply takes the focus: the button may
 * be gone); they stay read while folded.
 */
function useReplies(commentId: string, count: number, readWithLink: RepliesShown | null) {
  const [open, setOpen] = useState(readWithLink !== null);
  const [shown, setShown] = useState<RepliesShown | null>(readWithLink);
  const [focused, setFocused] = useState<string | null>(null);
  const { running, error, run } = useAction();

  const read = (cursor?: string) =>
    run("replies", "Could not load the replies", async () => {
      const page: CommentPage = await listReplies(commentId, cursor);
      setShown((s) => withReplies(s, page.comments, page.next));
      if (cursor) setFocused(page.comments[0]?.id ?? null);
    });
  return {
    open,
    shown: shown?.replies ?? [],
    next: shown?.next ?? null,
    focused,
    loading: running !== null,
    error,
    toggle: () => {
      if (!open && shown === null) void read();
      setOpen(!open);
    },
    showMore: () => read(shown?.next ?? undefined),
    add: async (reply: Comment) => {
      setOpen(true);
      // The thread's first page, unless the reply is its first.
      if (shown === null && count > 0) await read();
      setShown((s) => withReplies(s, [reply]));
      setFocused(reply.id);
    },
    remove: (id: string) => setShown((s) => s && { ...s, replies: s.replies.filter((r) => r.id !== id) }),
    changed: (reply: Comment) => setShown((s) => s && { ...s, replies: s.replies.map((r) => (r.id === reply.id ? reply : r)) }),
  };
}

/**
 * The thread's reply form: closed, or open under a comment of the thread, with its text (kept
 * as Reply moves it). Reply moves the focus into it, the caret after its text; Cancel and
 * Escape give the focus back to the Reply pressed.
 */
function useReplyForm() {
  const boxId = useId();
  const [opener, setOpener] = useState<HTMLButtonElement | null>(null);
  const [under, setUnder] = useState<string | null>(null);
  const [text, setText] = useState("");
  const [openings, setOpenings] = useState(0);
  useEffect(() => {
    const box = document.getElementById(boxId)?.querySelector("textarea");
    box?.focus();
    box?.setSelectionRange(box.value.length, box.value.length);
  }, [boxId, openings]);
  const close = () => {
    setOpener(null);
    setText("");
  };
  return {
    under: opener ? under : null,
    boxId,
    draft: [text, setText] as const,
    open: (button: HTMLButtonElement, commentId: string, prefill: string | null) => {
      setOpener(button);
      setUnder(commentId);
      if (prefill) setText((t) => (t.trim() === "" ? prefill : t));
      setOpenings((n) => n + 1);
    },
    place: setUnder,
    cancel: () => {
      opener?.focus();
      close();
    },
    close,
  };
}
