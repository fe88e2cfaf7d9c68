import { useId, useState } from "react";
import { changeReplyMail } from "../api/auth";
import { errorSentence } from "../api/errors";
import { useAuth } from "../auth/useAuth";
import { useAuthConfig } from "../auth/useAuthConfig";
import { FormError } from "../components/ErrorMessage";
import { useAction } from "../lib/useAction";

/** The label the reply mails quote in their "how to stop" line: keep the two the same. */
export const REPLY_MAIL_LABEL = "Email me when someone replies to my comments";

/**
 * Whether the owner is mailed when someone replies to their comments (on unless turned
 * off): a checkbox that saves as it is ticked, saying so once saved, or why not (and
 * then showing what the server keeps). A server that sends no mail says so beside it.
 */
export function ReplyMailChoice() {
  const { user, updateUser } = useAuth();
  const mailOn = useAuthConfig()?.mail ?? true;
  const { running, error, run } = useAction();
  const [saved, setSaved] = useState<string | null>(null);
  const boxId = useId();
  const hintId = useId();
  const on = user?.reply_mail ?? true;

  async function choose(next: boolean) {
    setSaved(null);
    await run("reply-mail", errorSentence, async () => {
      updateUser(await changeReplyMail(next));
      setSaved(next ? "You will get an email when someone replies to your comments." : "You will get no email about replies.");
    });
  }

  return (
    <div className="form compact">
      <div className="field checkbox">
        <input
          id={boxId}
          type="checkbox"
          checked={on}
          disabled={running !== null || !user}
          aria-describedby={mailOn ? undefined : hintId}
          onChange={(e) => void choose(e.target.checked)}
        />
        <label htmlFor={boxId}>{REPLY_MAIL_LABEL}</label>
      </div>
      {!mailOn && (
        <p id={hintId} className="hint">
          This server sends no email at the moment, so none goes out either way.
        </p>
      )}
      <FormError message={error} testId="reply-mail-error" />
      {saved && (
        <span role="status" data-testid="reply-mail-saved">
          {saved}
        </span>
      )}
    </div>
  );
}
