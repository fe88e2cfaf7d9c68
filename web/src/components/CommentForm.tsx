import { createContext, use, useCallback, useEffect, useMemo, useRef, useState, type FormEvent, type ReactNode, type RefObject } from "react";
import { changeProfile } from "../api/auth";
import { refreshAccessToken } from "../api/client";
import { postComment, type Comment } from "../api/comments";
import { ApiError, errorSentence } from "../api/errors";
import { LIMITS } from "../api/limits";
import { useAuth } from "../auth/useAuth";
import { waitInWords } from "../lib/format";
import { useAction } from "../lib/useAction";
import { useCountdown } from "../lib/useCountdown";
import { ConfirmDialog } from "./ConfirmDialog";
import { FormError } from "./ErrorMessage";
import { DisplayNameField, nameRefused } from "./AccountFields";
import { Field } from "./Field";
import { CutNotice, useLengthLimit } from "./MediaFields";
import { SubmitButton } from "./SubmitButton";
import { ThrottleCountdown } from "./ThrottleCountdown";

export const COMMENTS_OFF = "Comments are turned off for this video.";

const NAME_NEEDED = "Enter the name shown with your comments.";

/** A viewer posting too fast: when they may post again. */
function postAgainIn(seconds: number): string {
  return `You are commenting quickly; you can post again in ${waitInWords(seconds)}.`;
}

/** Why a comment was not posted or saved, in words a viewer understands. */
export function commentRefusal(err: unknown): string {
  if (err instanceof ApiError && err.code === "comments_throttled") {
    return err.retryAfter === null ? "You are commenting quickly; you can post again in a little while." : postAgainIn(err.retryAfter);
  }
  if (err instanceof ApiError && err.code === "comments_off") return COMMENTS_OFF;
  return errorSentence(err);
}

/** The comment's text, with how many characters it holds near the limit. */
export function CommentText({ label, value, onChange, autoFocus = false }: { label: string; value: string; onChange: (text: string) => void; autoFocus?: boolean }) {
  const limit = useLengthLimit(value, LIMITS.comment);
  return (
    <Field label={label} hint={limit.hint}>
      {(control) => (
        <>
          <textarea {...control} rows={3} autoFocus={autoFocus} maxLength={LIMITS.comment} value={value} onPaste={limit.onPaste} onChange={(e) => onChange(e.target.value)} />
          <CutNotice message={limit.cut} />
        </>
      )}
    </Field>
  );
}

interface CommentFormProps {
  itemId: string;
  /**
   * The top-level comment a reply answers: the form is "Add a reply" (the thread focuses it), with
   * Cancel; its text is the thread's (`draft`), kept as the form moves between the thread's comments.
   */
  replyTo?: { id: string; onCancel: () => void; draft: readonly [string, (text: string) => void] };
  onPosted: (comment: Comment) => void;
  onTurnedOff: () => void;
}

/**
 * "Add a comment" (or "Add a reply") for the signed-in viewer. An account without a display
 * name is asked for one first ("Name shown with your comments"), saved as the Account page
 * does, then the comment is posted. A reply's form closes with Cancel or Escape, asking first
 * when its box holds text ("Discard your reply?").
 */
export function CommentForm({ itemId, replyTo, onPosted, onTurnedOff }: CommentFormProps) {
  const own = useState("");
  const [body, setBody] = replyTo?.draft ?? own;
  const name = useNameStep(replyTo?.id ?? null);
  const formRef = useRef<HTMLFormElement>(null);
  const discard = useDiscardQuestion(formRef);
  const { running, error, fail, run } = useAction();
  // Posting too fast: the wait counts down, and the refusal goes when it is over.
  const [throttle, setThrottle] = useState<{ until: number; seconds: number } | null>(null);
  const left = useCountdown(throttle?.until ?? null);
  // The first render shows the server's number exactly, then it counts down.
  const waitLeft = throttle ? Math.min(throttle.seconds, left) : 0;

  function refused(err: unknown): string | null {
    if (err instanceof ApiError && err.code === "display_name_required") return name.ask();
    if (nameRefused(err)) return name.refuse(errorSentence(err));
    if (err instanceof ApiError && err.code === "comments_off") onTurnedOff();
    if (err instanceof ApiError && err.code === "comments_throttled" && err.retryAfter !== null) {
      setThrottle({ until: Date.now() + err.retryAfter * 1000, seconds: err.retryAfter });
      return null;
    }
    return commentRefusal(err);
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (name.needed) name.claim();
    if (name.missing()) return fail(null);
    await run("post", refused, async () => {
      if (name.needed) await name.save();
      onPosted(await postComment(itemId, body, replyTo?.id));
      setBody("");
    });
  }

  const label = replyTo ? "Add a reply" : "Add a comment";
  // The name is asked for in the form the viewer writes in.
  const write = (text: string) => {
    setBody(text);
    if (name.needed) name.claim();
  };
  const leave = replyTo && (() => (body.trim() === "" ? replyTo.onCancel() : discard.ask()));
  return (
    <>
      {/* Escape leaves a reply as Cancel does (as it leaves an edit), unless a post is under way. */}
      <form ref={formRef} className="form compact comment-form" onSubmit={(e) => void submit(e)} onKeyDown={(e) => e.key === "Escape" && running === null && leave?.()} aria-label={label}>
        <CommentText label={label} value={body} onChange={write} />
        {name.shown && <DisplayNameField label="Name shown with your comments" error={name.error} value={name.value} onChange={name.change} />}
        <FormError message={error} />
        <ThrottleCountdown left={waitLeft} atFirst={waitLeft > 0 ? (throttle?.seconds ?? null) : null} say={postAgainIn} testId="comments-throttled" />
        <PostButtons running={running !== null} busy={running !== null || waitLeft > 0 || body.trim() === ""} onCancel={leave} />
      </form>
      {replyTo && discard.asking && (
        <ConfirmDialog title="Discard your reply?" confirmLabel="Discard" cancelLabel="Keep writing" destructive onConfirm={replyTo.onCancel} onCancel={discard.keep}>
          <p>Your reply is not posted: discarding it loses what you wrote.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

/**
 * "Discard your reply?", asked from the reply's box: the dialog gives the focus back to it on
 * Keep writing (to the box, not to the Cancel pressed).
 */
function useDiscardQuestion(formRef: RefObject<HTMLFormElement | null>) {
  const [asking, setAsking] = useState(false);
  return {
    asking,
    ask: () => {
      formRef.current?.querySelector("textarea")?.focus();
      setAsking(true);
    },
    keep: () => setAsking(false),
  };
}

/** Post; a reply's has Cancel beside it, as an edit's Save has. */
function PostButtons({ running, busy, onCancel }: { running: boolean; busy: boolean; onCancel?: () => void }) {
  const post = (
    <SubmitButton className="button primary" busy={busy}>
      {running ? "Posting…" : "Post"}
    </SubmitButton>
  );
  if (!onCancel) return post;
  return (
    <div className="button-row">
      {post}
      <button type="button" className="button" disabled={running} onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

/** Where the page's one name step is (a reply form's thread, or null: the page's own form) and the name typed. */
interface NameStepPlace {
  holder: string | null;
  claim: (form: string | null) => void;
  release: (form: string) => void;
  value: string;
  change: (name: string) => void;
}

const NameStepPlaceContext = createContext<NameStepPlace | null>(null);

/**
 * Around the page's comment forms: an account without a display name is asked for it in one of
 * them at a time (two fields "Name shown with your comments" at once read as a mistake), the
 * reply form last opened or the form last written in; the name typed is kept as the field moves.
 */
export function OneNameStep({ children }: { children: ReactNode }) {
  const [holder, setHolder] = useState<string | null>(null);
  const [value, change] = useState("");
  const release = useCallback((form: string) => setHolder((h) => (h === form ? null : h)), []);
  const place = useMemo(() => ({ holder, claim: setHolder, release, value, change }), [holder, release, value]);
  return <NameStepPlaceContext value={place}>{children}</NameStepPlaceContext>;
}

/**
 * The display name asked for before posting: when the account has none, or the server said it
 * needs one; `form` (a reply's thread, or null) shows the field while the page's name step is there.
 * A post without it is refused at the field (`error`, until a name is typed), as the other forms do.
 */
function useNameStep(form: string | null) {
  const { user, updateUser } = useAuth();
  const place = use(NameStepPlaceContext);
  const own = useState("");
  const [value, setValue] = place ? [place.value, place.change] : own;
  const [asked, setAsked] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const needed = asked || !user?.display_name;
  const claim = place?.claim;
  const release = place?.release;
  // A reply form asks as it opens; the page's own form asks again once it closes.
  useEffect(() => {
    if (form === null || !claim || !release) return;
    claim(form);
    return () => release(form);
  }, [form, claim, release]);
  const refuse = (why: string) => {
    setAsked(true);
    setError(why);
    return null;
  };
  return {
    needed,
    shown: needed && (!place || place.holder === form),
    value,
    error,
    change: (name: string) => {
      setValue(name);
      setError(null);
    },
    claim: () => claim?.(form),
    /** Whether the name is needed and not typed, refused at its field if so. */
    missing: () => {
      const missing = needed && value.trim() === "";
      if (missing) setError(NAME_NEEDED);
      return missing;
    },
    /** The server's refusal for want of a name: the field shows, saying so (nothing for the form to say). */
    ask: () => refuse(NAME_NEEDED),
    /** The name typed refused by the server (`nameRefused`): told at the field (nothing for the form to say). */
    refuse,
    save: async () => {
      updateUser(await changeProfile(value.trim()));
      // A new access token carries the name: the post need not wait for the server's news of it.
      await refreshAccessToken();
      setAsked(false);
    },
  };
}
