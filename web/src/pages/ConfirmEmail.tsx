import { useState, type FormEvent, type ReactNode } from "react";
import { Link, useLocation } from "react-router";
import { confirmEmail } from "../api/auth";
import { ApiError, refusalSentence } from "../api/errors";
import type { EmailConfirmed } from "../api/schema";
import { useAuth } from "../auth/useAuth";
import { FormError } from "../components/ErrorMessage";
import { SubmitButton } from "../components/SubmitButton";
import { fragmentValue } from "../lib/paths";
import { useAction } from "../lib/useAction";

/**
 * A refusal no second press can change (the link is spent, or the address is another
 * account's): what happened and what to do, the button gone. Null for any other refusal.
 */
function finalRefusal(err: unknown): ReactNode {
  if (err instanceof ApiError && err.code === "invalid_email_code") {
    // Also what a second press of a link that worked gets: it must not say "ask again".
    return (
      <>
        This link was used already, replaced by a newer one, or expired. If you opened it before, your sign-in email may
        already have changed: see your <Link to="/account">Account page</Link>.
      </>
    );
  }
  if (err instanceof ApiError && err.code === "email_taken") {
    return (
      <>
        Another account signs in with this email now, so yours stays as it was. Choose another address on your{" "}
        <Link to="/account">Account page</Link>.
      </>
    );
  }
  return null;
}

/**
 * The page of the link mailed to a new sign-in email: one click makes it the account's
 * (no sign-in needed; a click, not the page's opening, so a mail scanner or a second render
 * never uses the single-use link up).
 */
export function ConfirmEmailPage() {
  const location = useLocation();
  const [code] = useState(() => fragmentValue(location.hash, "code"));
  const { user, updateUser } = useAuth();
  const { running, error, run } = useAction();
  const [confirmed, setConfirmed] = useState<EmailConfirmed | null>(null);
  const [refused, setRefused] = useState<ReactNode>(null);

  async function onConfirm(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    await run("confirm-email", refusalSentence, async () => {
      try {
        const answer = await confirmEmail(code);
        if (user?.id === answer.user_id) updateUser({ ...user, email: answer.email });
        setConfirmed(answer);
      } catch (err) {
        const final = finalRefusal(err);
        if (final === null) throw err; // a failure another press may get past
        setRefused(final);
      }
    });
  }

  return (
    <section className="page narrow auth-page" aria-labelledby="confirm-email-title">
      <h1 id="confirm-email-title">Confirm your new sign-in email</h1>
      {confirmed !== null ? (
        <Confirmed email={confirmed.email} changedId={confirmed.user_id} />
      ) : refused !== null ? (
        <p role="alert" data-testid="confirm-email-error">
          {refused}
        </p>
      ) : code === "" ? (
        <p role="alert">This link is missing its code. Open the link from the mail again, whole.</p>
      ) : (
        <form className="form" onSubmit={(e) => void onConfirm(e)} aria-label="Confirm email">
          <p>Your sign-in email changes to the address this link was sent to.</p>
          <FormError message={error} testId="confirm-email-error" />
          <SubmitButton className="button primary" busy={running !== null}>
            Confirm my new email
          </SubmitButton>
        </form>
      )}
    </section>
  );
}

/**
 * Whose sign-in email is now `email`: this browser's account's, or (the link opened while
 * signed in as another, a shared computer or a second account) the one that asked for it.
 */
function Confirmed({ email, changedId }: { email: string; changedId: string }) {
  const { user } = useAuth();
  return (
    <p role="status" data-testid="email-confirmed">
      {user === null ? (
        <>
          Your sign-in email is now {email}. <Link to="/signin">Sign in</Link>
        </>
      ) : user.id === changedId ? (
        <>
          Your sign-in email is now {email}. <Link to="/account">Back to your account</Link>
        </>
      ) : (
        <>
          The sign-in email of the account that asked is now {email}. You are signed in as {user.email}.
        </>
      )}
    </p>
  );
}
