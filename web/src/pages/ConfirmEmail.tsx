import { useState, type FormEvent } from "react";
import { Link, useLocation } from "react-router";
import { confirmEmail } from "../api/auth";
import { ApiError, refusalSentence } from "../api/errors";
import { useAuth } from "../auth/useAuth";
import { FormError } from "../components/ErrorMessage";
import { SubmitButton } from "../components/SubmitButton";
import { fragmentValue } from "../lib/paths";
import { useAction } from "../lib/useAction";

/** Why a confirmation was refused, in words that say what to do. */
function confirmErrorMessage(err: unknown): string {
  if (err instanceof ApiError && err.code === "invalid_email_code") {
    return "This link does not work: it was used already, a newer one replaced it, or it expired. Ask for the change again on your Account page.";
  }
  if (err instanceof ApiError && err.code === "email_taken") {
    return "Another account signs in with this email now, so yours stays as it was.";
  }
  return refusalSentence(err);
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
  const [confirmed, setConfirmed] = useState<string | null>(null);

  async function onConfirm(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    await run("confirm-email", confirmErrorMessage, async () => {
      const { email } = await confirmEmail(code);
      if (user) updateUser({ ...user, email }); // this browser's account, if it is the one
      setConfirmed(email);
    });
  }

  return (
    <section className="page narrow auth-page" aria-labelledby="confirm-email-title">
      <h1 id="confirm-email-title">Confirm your new sign-in email</h1>
      {confirmed !== null ? (
        <p role="status" data-testid="email-confirmed">
          Your sign-in email is now {confirmed}. {user ? <Link to="/account">Back to your account</Link> : <Link to="/signin">Sign in</Link>}
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
