import { useState, type FormEvent, type ReactNode } from "react";
import { Link, useLocation } from "react-router";
import { unsubscribe, type MailChoice } from "../api/auth";
import { ApiError, refusalSentence } from "../api/errors";
import { FormError } from "../components/ErrorMessage";
import { FocusedMessage } from "../components/FocusedMessage";
import { SubmitButton } from "../components/SubmitButton";
import { fragmentValue } from "../lib/paths";
import { useAction } from "../lib/useAction";
import { ADMIN_MAIL_LABEL, REPLY_MAIL_LABEL } from "./AccountMailChoices";

/** What each kind of mail is, in the page's words, and the Account page's checkbox for it. */
const KINDS: Record<MailChoice, { what: string; label: string }> = {
  reply_mail: { what: "the emails you get when someone replies to your comments", label: REPLY_MAIL_LABEL },
  admin_mail: { what: "the emails you get when a video fails to transcode or a comment is reported", label: ADMIN_MAIL_LABEL },
};

function kindOf(value: string): MailChoice | null {
  return value in KINDS ? (value as MailChoice) : null;
}

/** Where to turn a kind of mail on (or off, when the link cannot): the Account page's checkbox. */
function AccountChoice({ kind, tick }: { kind: MailChoice; tick: "tick" | "untick" }) {
  return (
    <>
      {tick} “{KINDS[kind].label}” on your <Link to="/account">Account page</Link>.
    </>
  );
}

/** A refusal no second press can change, said with what to do; null for any other. */
function finalRefusal(err: unknown, kind: MailChoice): ReactNode {
  if (err instanceof ApiError && err.code === "invalid_unsubscribe_link") {
    return (
      <>
        This link no longer works: it was changed, or your account’s email changed since it was sent. To stop these
        emails, sign in and <AccountChoice kind={kind} tick="untick" />
      </>
    );
  }
  if (err instanceof ApiError && err.code === "account_not_found") {
    return <>The account this email was sent to has been deleted, so no more of these emails go out.</>;
  }
  return null;
}

/**
 * The page of a mail's unsubscribe link: says what it turns off, and turns it off on one
 * press (no sign-in needed), the focus then on what it did. A press, not the page's opening,
 * so a mail scanner that opens links changes nothing.
 */
export function UnsubscribePage() {
  const location = useLocation();
  const [kind] = useState(() => kindOf(fragmentValue(location.hash, "kind")));
  const [token] = useState(() => fragmentValue(location.hash, "token"));
  const { running, error, run } = useAction();
  const [done, setDone] = useState<MailChoice | null>(null);
  const [refused, setRefused] = useState<ReactNode>(null);

  async function onStop(event: FormEvent<HTMLFormElement>, chosen: MailChoice) {
    event.preventDefault();
    await run("unsubscribe", refusalSentence, async () => {
      try {
        setDone((await unsubscribe(chosen, token)).kind);
      } catch (err) {
        const final = finalRefusal(err, chosen);
        if (final === null) throw err; // a failure another press may get past
        setRefused(final);
      }
    });
  }

  return (
    <section className="page narrow auth-page" aria-labelledby="unsubscribe-title">
      <h1 id="unsubscribe-title">Stop these emails</h1>
      {/* There before its words, which a screen reader may not say of a status made with them; focused
          once said, as the button pressed is gone. */}
      <FocusedMessage
        message={
          done !== null && (
            <>
              Done: you will no longer get {KINDS[done].what}. To get them again, sign in and <AccountChoice kind={done} tick="tick" />
            </>
          )
        }
        told={done}
        focus={done !== null}
        role="status"
        testId="unsubscribed"
      />
      {refused !== null ? (
        <FocusedMessage message={refused} told={refused} role="alert" testId="unsubscribe-error" />
      ) : done !== null ? null : kind === null || token === "" ? (
        <p role="alert">This link is missing a part. Open the link from the email again, whole.</p>
      ) : (
        <form className="form" onSubmit={(e) => void onStop(e, kind)} aria-label="Stop these emails">
          <p>This turns off {KINDS[kind].what}. Security emails, such as a change of your password, still come.</p>
          <FormError message={error} testId="unsubscribe-error" />
          <SubmitButton className="button primary" busy={running !== null}>
            Turn these emails off
          </SubmitButton>
        </form>
      )}
    </section>
  );
}
