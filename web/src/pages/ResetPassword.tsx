import { useCallback, useState, type FormEvent } from "react";
import { Link, useLocation } from "react-router";
import { checkResetCode, resetPassword } from "../api/auth";
import { ApiError, refusalSentence } from "../api/errors";
import { FormError } from "../components/ErrorMessage";
import { InputField } from "../components/Field";
import { NewPasswordField } from "../components/AccountFields";
import { useAction } from "../lib/useAction";
import { useAsync } from "../lib/useAsync";
import { SubmitButton } from "../components/SubmitButton";
import { fragmentValue } from "../lib/paths";
import { useAuthConfig } from "../auth/serverConfig";

function isDeadCode(err: unknown): boolean {
  return err instanceof ApiError && err.code === "invalid_reset_code";
}


/** Sets a new password with the single-use link an administrator handed over, or the mail sent. */
export function ResetPasswordPage() {
  const location = useLocation();
  // With mail on, the owner asks for a new link themselves instead of asking an administrator.
  const byEmail = useAuthConfig()?.mail ?? false;
  const [linkCode] = useState(() => fragmentValue(location.hash, "code"));
  // The link's code is checked as the page opens, so a used or expired link says so before
  // anyone types a new password (the check does not use the code up).
  // A live code's answer names the account it is for, its email masked: a link that strayed
  // (to a mailbox the account no longer uses) must not hand over the address.
  const check = useAsync(
    useCallback(
      (signal: AbortSignal) => (linkCode ? checkResetCode(linkCode, signal) : Promise.resolve(null)),
      [linkCode],
    ),
  );
  const account = check.data?.masked_email ?? null;

  return (
    <section className="page narrow auth-page" aria-labelledby="reset-title">
      <h1 id="reset-title">{account ? `Set a new password for ${account}` : "Set a new password"}</h1>
      {linkCode !== "" && check.loading ? (
        <p role="status" data-testid="reset-checking">
          Checking the reset link…
        </p>
      ) : isDeadCode(check.error) ? (
        <p role="alert" data-testid="reset-link-dead">
          {byEmail ? (
            <>
              {DEAD_CODE} <Link to="/forgot-password">Ask for a new link</Link>, or{" "}
              <Link to="/signin">sign in</Link> if you know your password.
            </>
          ) : (
            <>
              {DEAD_LINK} <Link to="/signin">Sign in</Link> if you know your password.
            </>
          )}
        </p>
      ) : (
        // A check that failed otherwise (throttled, offline) is told; the form is offered still.
        <ResetForm
          linkCode={linkCode}
          checkProblem={check.error ? refusalSentence(check.error) : null}
          byEmail={byEmail}
        />
      )}
    </section>
  );
}

/** What a code the server does not take means: the link page and the form say it alike. */
const DEAD_CODE = "This reset code is not valid: it may be mistyped, used already or expired.";
const DEAD_LINK = `${DEAD_CODE} Ask an administrator for a new link.`;
const DEAD_LINK_BY_EMAIL = `${DEAD_CODE} Ask for a new link with “Forgot your password?” on the sign-in page.`;

/** The password is set: where to sign in with it. */
function ResetDone() {
  return (
    <p role="status" data-testid="reset-done">
      Your password is set. <Link to="/signin">Sign in</Link> with it.
    </p>
  );
}

/** Why a new password was refused, in words; a dead code says what to do about it. */
function resetErrorMessage(err: unknown, byEmail: boolean): string {
  if (!isDeadCode(err)) return refusalSentence(err);
  return byEmail ? DEAD_LINK_BY_EMAIL : DEAD_LINK;
}

/**
 * The new password, and the code when the page was opened without one in its link (typed by
 * hand; the link's own is not shown to edit); then where to sign in (a password manager
 * offers to save it there: the page knows the account's email masked only).
 */
function ResetForm({
  linkCode,
  checkProblem,
  byEmail,
}: {
  linkCode: string;
  checkProblem: string | null;
  byEmail: boolean;
}) {
  const [code, setCode] = useState(linkCode);
  const [password, setPassword] = useState("");
  const { running, error, run } = useAction();
  // The link check's problem stands in the form's error line until the first attempt.
  const [checkShown, setCheckShown] = useState(checkProblem);
  const [done, setDone] = useState(false);
  // A password too easy to guess is told at its field, which takes the focus to type another.
  const [weakPassword, setWeakPassword] = useState(false);

  function refused(err: unknown): string {
    setWeakPassword(err instanceof ApiError && err.code === "weak_password");
    return resetErrorMessage(err, byEmail);
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setCheckShown(null);
    await run("reset", refused, async () => {
      await resetPassword(code.trim(), password);
      setDone(true);
    });
  }

  if (done) return <ResetDone />;
  return (
    <form className="form" onSubmit={(e) => void onSubmit(e)}>
      {linkCode === "" && (
        <InputField label="Reset code" type="text" autoComplete="off" required value={code} onChange={setCode} />
      )}
      <NewPasswordField
        label="New password"
        value={password}
        error={weakPassword ? error : null}
        onChange={setPassword}
      />
      <FormError message={weakPassword ? null : (error ?? checkShown)} testId="reset-error" />
      <SubmitButton className="button primary" busy={running !== null}>
        Set password
      </SubmitButton>
    </form>
  );
}
