import { useCallback, useState, type FormEvent } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router";
import { getAuthConfig } from "../api/auth";
import { ApiError } from "../api/errors";
import { LIMITS } from "../api/limits";
import { useAuth } from "../auth/useAuth";
import { FormError } from "../components/ErrorMessage";
import { Field } from "../components/Field";
import { NewPasswordField } from "../components/NewPasswordField";
import { useAsync } from "../lib/useAsync";

const PASSWORD_MIN = LIMITS.passwordMin;


function registerErrorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === "email_taken") {
      return "An account with this email already exists. Sign in instead?";
    }
    if (err.code === "invite_required") {
      return "This server is invite-only: enter the invite code an administrator gave you.";
    }
    if (err.code === "invalid_invite") return "This invite code is not valid: it may be used up, expired or revoked.";
    if (err.code === "registration_disabled") {
      return "Registration is closed on this server. Ask an administrator for an account.";
    }
    if (err.status === 429) return `Too many attempts, try again in ${err.retryAfter ?? 60} s.`;
    return err.detail;
  }
  return "Registration failed. Please try again.";
}

export function RegisterPage() {
  const { status, register } = useAuth();
  const navigate = useNavigate();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  // An invite link (/register?invite=CODE) fills the code in.
  const [params] = useSearchParams();
  const [invite, setInvite] = useState(() => params.get("invite") ?? "");
  // The server says whether registration is open, invite-only or closed; until
  // it has (or if it cannot), the form offers an optional invite code.
  const { data: config } = useAsync(useCallback((signal: AbortSignal) => getAuthConfig(signal), []));
  const mode = config?.registration_mode ?? null;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [emailTaken, setEmailTaken] = useState(false);

  if (status === "authenticated" && !busy) return <Navigate to="/" replace />;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (password.length < PASSWORD_MIN) {
      setError(`The password needs at least ${PASSWORD_MIN} characters.`);
      return;
    }
    setBusy(true);
    setError(null);
    setEmailTaken(false);
    try {
      const name = displayName.trim();
      const code = invite.trim();
      await register({
        email: email.trim(),
        password,
        ...(name ? { display_name: name } : {}),
        ...(code ? { invite_code: code } : {}),
      });
      await navigate("/", { replace: true });
    } catch (err) {
      setEmailTaken(err instanceof ApiError && err.code === "email_taken");
      setError(registerErrorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="page narrow auth-page" aria-labelledby="register-title">
      <h1 id="register-title">Create an account</h1>
      {mode === "closed" ? (
        <p className="notice" role="status" data-testid="registration-closed">
          Registration is closed on this server. Ask an administrator for an account.
        </p>
      ) : (
      <form className="form" onSubmit={(e) => void onSubmit(e)}>
        <Field label="Email">
          {(control) => (
            <input
              {...control}
              name="email"
              type="email"
              autoComplete="email"
              required
              maxLength={LIMITS.email}
              value={email}
              aria-invalid={emailTaken || undefined}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </Field>
        <NewPasswordField
          label="Password"
          name="password"
          hint={PASSWORD_MIN > 1 ? `At least ${PASSWORD_MIN} characters.` : undefined}
          value={password}
          onChange={setPassword}
        />
        <Field label="Display name (optional)">
          {(control) => (
            <input
              {...control}
              name="display_name"
              type="text"
              autoComplete="nickname"
              maxLength={LIMITS.displayName}
              value={displayName}
              onChange={(e) => setDisplayName(e.target.value)}
            />
          )}
        </Field>
        {(mode !== "open" || invite !== "") && (
          <Field
            label={mode === "invite" ? "Invite code" : "Invite code (if you were given one)"}
            hint={mode === "invite" ? "This server is invite-only: an administrator gives out the codes." : undefined}
          >
            {(control) => (
              <input
                {...control}
                name="invite_code"
                type="text"
                autoComplete="off"
                required={mode === "invite"}
                maxLength={LIMITS.inviteCode}
                value={invite}
                onChange={(e) => setInvite(e.target.value)}
              />
            )}
          </Field>
        )}
        <FormError message={error} testId="register-error" />
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Creating account…" : "Register"}
        </button>
      </form>
      )}
      <p className="muted">
        Already have an account? <Link to="/signin">Sign in</Link>.
      </p>
    </section>
  );
}
