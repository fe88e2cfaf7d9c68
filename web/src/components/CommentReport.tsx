import { useId, useRef, useState, type FormEvent } from "react";
import type { Comment } from "../api/comments";
import { ApiError, errorSentence } from "../api/errors";
import { LIMITS } from "../api/limits";
import { MODERATION_REFUSALS, reportComment } from "../api/moderation";
import { useAuth } from "../auth/useAuth";
import { waitInWords } from "../lib/format";
import { useAction } from "../lib/useAction";
import { Modal } from "./ConfirmDialog";
import { FormError } from "./ErrorMessage";
import { Field } from "./Field";
import { DoneNotice } from "./FocusedMessage";
import { CutNotice, useLengthLimit } from "./MediaFields";
import { SubmitButton } from "./SubmitButton";

const THANKS = "Thanks: an administrator will look at it.";

/** Why a report was not taken, in words a viewer understands. */
function reportRefusal(err: unknown): string {
  if (!(err instanceof ApiError)) return errorSentence(err);
  switch (err.code) {
    case MODERATION_REFUSALS.throttled:
      return `You are reporting quickly; you can report again ${err.retryAfter === null ? "in a little while" : `in ${waitInWords(err.retryAfter)}`}.`;
    case MODERATION_REFUSALS.notFound:
      return "This comment is no longer here: it was deleted, or comments were turned off.";
    case MODERATION_REFUSALS.ownComment:
      return "You cannot report your own comment.";
    default:
      return errorSentence(err);
  }
}

/**
 * "Report" on someone else's comment, for a signed-in viewer: a dialog asks why (optional),
 * then the button reads "Reported" and the thanks are said. Nothing on one's own comments or
 * for anonymous visitors; a comment already reported loads as "Reported".
 */
export function CommentReport({ comment }: { comment: Comment }) {
  const { status } = useAuth();
  const [reported, setReported] = useState(comment.reported);
  const [asking, setAsking] = useState(false);
  const [thanked, setThanked] = useState(false);
  if (status !== "authenticated" || comment.mine) return null;

  const author = comment.author_name ?? "a viewer";
  const done = () => {
    setAsking(false);
    setReported(true);
    setThanked(true);
  };
  return (
    <>
      <button type="button" className="button small" disabled={reported} aria-label={reported ? undefined : `Report ${author}’s comment`} onClick={() => setAsking(true)}>
        {reported ? "Reported" : "Report"}
      </button>
      {thanked && <DoneNotice message={THANKS} />}
      {asking && <ReportDialog commentId={comment.id} onReported={done} onCancel={() => setAsking(false)} />}
    </>
  );
}

/** "Report this comment?": why, if the viewer wants to say, then Report or Cancel. */
function ReportDialog({ commentId, onReported, onCancel }: { commentId: string; onReported: () => void; onCancel: () => void }) {
  const titleId = useId();
  const field = useRef<HTMLTextAreaElement>(null);
  const [reason, setReason] = useState("");
  const limit = useLengthLimit(reason, LIMITS.reportReason);
  const { running, error, run } = useAction();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (await run("report", reportRefusal, () => reportComment(commentId, reason))) onReported();
  }

  return (
    <Modal labelledBy={titleId} initialFocus={field} onCancel={running ? null : onCancel}>
      <h2 id={titleId}>Report this comment?</h2>
      <form className="form compact" onSubmit={(e) => void submit(e)}>
        <p className="muted">An administrator will read it and may delete it.</p>
        <Field label="Why? (optional)" hint={limit.hint}>
          {(control) => (
            <>
              <textarea {...control} ref={field} rows={3} maxLength={LIMITS.reportReason} value={reason} onPaste={limit.onPaste} onChange={(e) => setReason(e.target.value)} />
              <CutNotice message={limit.cut} />
            </>
          )}
        </Field>
        <FormError message={error} />
        <div className="modal-actions">
          <button type="button" className="button" onClick={onCancel} disabled={running !== null}>
            Cancel
          </button>
          <SubmitButton className="button primary" busy={running !== null}>
            {running ? "Reporting…" : "Report"}
          </SubmitButton>
        </div>
      </form>
    </Modal>
  );
}
