import { useId, useState } from "react";
import { changeMailChoice, type MailChoice } from "../api/auth";
import { errorSentence } from "../api/errors";
import { useAuth } from "../auth/useAuth";
import { useAuthConfig } from "../auth/serverConfig";
import { FormError } from "../components/ErrorMessage";
import { useAction } from "../lib/useAction";

/** The label the reply mails quote in their "how to stop" line: keep the two the same. */
export const REPLY_MAIL_LABEL = "Email me when someone replies to my comments";
/** The label admins' mails quote in their "how to stop" line: keep the two the same. */
export const ADMIN_MAIL_LABEL = "Email me when a video fails to transcode or a comment is reported";

/** What one mail choice's checkbox says: its label, what it says once saved on and off. */
interface ChoiceWords {
  choice: MailChoice;
  label: string;
  savedOn: string;
  savedOff: string;
  testId: string;
}

/** Whether the owner is mailed when someone replies to their comments (on unless turned off). */
export function ReplyMailChoice() {
  return (
    <MailChoiceBox
      choice="reply_mail"
      label={REPLY_MAIL_LABEL}
      savedOn="You will get an email when someone replies to your comments."
      savedOff="You will get no email about replies."
      testId="reply-mail"
    />
  );
}

/** For admins alone: whether they are mailed when a video fails to transcode or a comment is reported. */
export function AdminMailChoice() {
  const { user } = useAuth();
  if (user?.role !== "admin") return null;
  return (
    <MailChoiceBox
      choice="admin_mail"
      label={ADMIN_MAIL_LABEL}
      savedOn="You will get an email when a video fails to transcode or a comment is reported."
      savedOff="You will get no email about failed videos or reported comments."
      testId="admin-mail"
    />
  );
}

/**
 * One mail choice (on unless turned off): a checkbox that saves as it is ticked (and keeps
 * the focus, ignoring a tick while it saves), saying so once saved, or why not (and then showing what the server keeps). A server that sends no
 * mail says so beside it.
 */
function MailChoiceBox({ choice, label, savedOn, savedOff, testId }: ChoiceWords) {
  const { user, updateUser } = useAuth();
  const mailOn = useAuthConfig()?.mail ?? true;
  const { running, error, run } = useAction();
  const [saved, setSaved] = useState<string | null>(null);
  const boxId = useId();
  const hintId = useId();
  const on = user?.[choice] ?? true;

  const saving = running !== null;

  async function choose(next: boolean) {
    if (saving) return;
    setSaved(null);
    await run(testId, errorSentence, async () => {
      updateUser(await changeMailChoice(choice, next));
      setSaved(next ? savedOn : savedOff);
    });
  }

  return (
    <div className="form compact">
      <div className="field checkbox">
        <input
          id={boxId}
          type="checkbox"
          checked={on}
          disabled={!user}
          // Held while it saves, not disabled: a disabled box loses the focus in Chromium, so
          // Space sent it to the page's body and a second Space scrolled instead of unticking.
          aria-disabled={saving || undefined}
          aria-describedby={mailOn ? undefined : hintId}
          onChange={(e) => void choose(e.target.checked)}
        />
        <label htmlFor={boxId}>{label}</label>
      </div>
      {!mailOn && (
        <p id={hintId} className="hint">
          This server sends no email at the moment, so none goes out either way.
        </p>
      )}
      <FormError message={error} testId={`${testId}-error`} />
      {saved && (
        <span role="status" data-testid={`${testId}-saved`}>
          {saved}
        </span>
      )}
    </div>
  );
}
