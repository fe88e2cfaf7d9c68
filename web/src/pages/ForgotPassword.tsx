import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { requestPasswordResetMail } from "../api/auth";
import { ApiError, errorSentence } from "../api/errors";
import { EmailField } from "../components/AccountFields";
import { FormError } from "../components/ErrorMessage";
import { SubmitButton } from "../components/SubmitButton";
import { waitInWords } from "../lib/format";
import { useAction } from "../lib/useAction";

/** Why the link could not be asked for, in words; asking too often says when to try again. */
function requestErrorMessage(err: unknown): string {
  if (err instanceof ApiError && err.status === 429) {
    const when = err.retryAfter === null ? "later" : `in ${waitInWords(err.retryAfter)}`;
    return `A link was asked for a moment ago. Please try again ${when}.`;
  }
  if (err instanceof ApiError && err.code === "reset_by_email_disabled") {
    return "This server does not send mail. Ask an administrator for a reset link.";
  }
  return errorSentence(err);
}

/** "Forgot your password?": an email, and a link to set a new password is mailed to it. */
export function ForgotPasswordPage() {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(false);
  const { running, error, run } = useAction();

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    await run("request", requestErrorMessage, async () => {
      await requestPasswordResetMail(email.trim());
      setSent(true);
    });
  }

  return (
    <section className="page narrow auth-page" aria-labelledby="forgot-title">
      <h1 id="forgot-title">Forgot your password?</h1>
      {sent ? (
        <p role="status" data-testid="forgot-sent">
          If an account has this email, a link to set a new password is on its way. It works for an hour; check
          your spam folder if it does not arrive.
        </p>
      ) : (
        <form className="form" onSubmit={(e) => void onSubmit(e)}>
          <p className="muted">Type the email of your account and we will send you a link to set a new password.</p>
          <EmailField autoComplete="username" value={email} onChange={setEmail} />
          <FormError message={error} testId="forgot-error" />
          <SubmitButton className="button primary" busy={running !== null}>
            {running ? "Sending…" : "Send me a link"}
          </SubmitButton>
        </form>
      )}
      <p className="muted">
        Remember it? <Link to="/signin">Sign in</Link>.
      </p>
    </section>
  );
}
