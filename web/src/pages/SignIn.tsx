import { useState, type FormEvent } from "react";
import { Link, Navigate, useLocation, useNavigate } from "react-router";
import { ApiError } from "../api/errors";
import { SIGN_IN_REASONS, type RedirectState } from "../auth/RequireAuth";
import { useAuth } from "../auth/useAuth";
import { FormError } from "../components/ErrorMessage";
import { Field } from "../components/Field";
import { useCountdown } from "../lib/useCountdown";

interface Throttle {
  /** When sign-in may be tried again, ms since epoch. */
  until: number;
  seconds: number;
}

function redirectTarget(state: unknown): string {
  const from = (state as RedirectState | null)?.from;
  return typeof from === "string" && from.startsWith("/") && !from.startsWith("/signin") ? from : "/";
}

export function SignInPage() {
  const { status, signIn } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [throttle, setThrottle] = useState<Throttle | null>(null);
  const target = redirectTarget(location.state);
  const reason = (location.state as RedirectState | null)?.reason;
  const left = useCountdown(throttle?.until ?? null);
  // The first render shows the server's number exactly, then it counts down.
  const throttledFor = throttle ? Math.min(throttle.seconds, left) : 0;

  if (status === "authenticated" && !busy) return <Navigate to={target} replace />;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (throttledFor > 0) return;
    setBusy(true);
    setError(null);
    setThrottle(null);
    try {
      await signIn(email.trim(), password);
      await navigate(target, { replace: true });
    } catch (err) {
      setPassword("");
      if (err instanceof ApiError && err.status === 429) {
        const seconds = err.retryAfter ?? 60;
        setThrottle({ until: Date.now() + seconds * 1000, seconds });
      } else if (err instanceof ApiError && err.code === "account_disabled") {
        setError("This account is disabled. Ask an administrator to enable it again.");
      } else if (err instanceof ApiError && err.status === 401) {
        setError("Wrong credentials: the email or password is not correct.");
      } else if (err instanceof ApiError) {
        setError(err.detail);
      } else {
        setError("Sign in failed. Please try again.");
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="page narrow auth-page" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      {reason && reason in SIGN_IN_REASONS && (
        <p className="notice" role="status" data-testid="signin-reason">
          {SIGN_IN_REASONS[reason]}
        </p>
      )}
      <form className="form" onSubmit={(e) => void onSubmit(e)}>
        <Field label="Email">
          {(control) => (
            <input
              {...control}
              name="email"
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </Field>
        <Field label="Password">
          {(control) => (
            <input
              {...control}
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <FormError message={error} testId="signin-error" />
        <FormError
          message={throttledFor > 0 ? `Too many attempts, try again in ${throttledFor} s.` : null}
          testId="signin-throttled"
        />
        <button type="submit" className="button primary" disabled={busy || throttledFor > 0}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p className="muted">
        No account yet? <Link to="/register">Create one</Link>.
      </p>
    </section>
  );
}

