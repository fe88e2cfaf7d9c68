import { useState, type FormEvent } from "react";
import { Link, useLocation } from "react-router";
import { resetPassword } from "../api/auth";
import { ApiError, errorMessage } from "../api/errors";
import { FormError } from "../components/ErrorMessage";
import { Field } from "../components/Field";
import { NewPasswordField } from "../components/NewPasswordField";

/** The code rides in the fragment (`/reset-password#code=…`), which browsers never send to a server. */
function codeFrom(hash: string): string {
  return new URLSearchParams(hash.replace(/^#/, "")).get("code") ?? "";
}

/** Sets a new password with the single-use link an administrator handed over. */
export function ResetPasswordPage() {
  const location = useLocation();
  const [code, setCode] = useState(() => codeFrom(location.hash));
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await resetPassword(code.trim(), password);
      setDone(true);
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === "invalid_reset_code"
          ? "This reset link is not valid: it may be used already or expired. Ask an administrator for a new one."
          : errorMessage(err),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="page narrow auth-page" aria-labelledby="reset-title">
      <h1 id="reset-title">Set a new password</h1>
      {done ? (
        <p role="status" data-testid="reset-done">
          Your password is set. <Link to="/signin">Sign in</Link> with it.
        </p>
      ) : (
        <form className="form" onSubmit={(e) => void onSubmit(e)}>
          <Field label="Reset code">
            {(control) => (
              <input {...control} type="text" autoComplete="off" required value={code} onChange={(e) => setCode(e.target.value)} />
            )}
          </Field>
          <NewPasswordField label="New password" value={password} onChange={setPassword} />
          <FormError message={error} testId="reset-error" />
          <button type="submit" className="button primary" disabled={busy}>
            Set password
          </button>
        </form>
      )}
    </section>
  );
}
