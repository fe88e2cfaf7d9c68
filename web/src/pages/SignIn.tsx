import { useState, type FormEvent } from "react";
import { Link, Navigate, useLocation, useNavigate } from "react-router";
import { getTwoFactor } from "../api/auth";
import type { AuthConfig } from "../api/schema";
import { ApiError } from "../api/errors";
import { redirectTarget, SIGN_IN_REASONS, type RedirectState } from "../auth/RequireAuth";
import { useAuth } from "../auth/useAuth";
import { useAuthConfig } from "../auth/serverConfig";
import { FormError } from "../components/ErrorMessage";
import { CurrentPasswordField, EmailField, TwoFactorCodeField } from "../components/AccountFields";
import { keepRecoveryCodesLeft } from "../lib/draftStore";
import { tooManyAttempts } from "../lib/format";
import { useAction } from "../lib/useAction";
import { useCountdown } from "../lib/useCountdown";
import { SubmitButton } from "../components/SubmitButton";
import { ThrottleCountdown } from "../components/ThrottleCountdown";

interface Throttle {
  /** When sign-in may be tried again, ms since epoch. */
  until: number;
  seconds: number;
}

/**
 * Why a sign-in was refused, in words (a throttled one is told by its countdown instead);
 * `recovery`: the code sent was a recovery code, which never changes.
 */
function signInErrorMessage(err: unknown, recovery: boolean): string {
  if (err instanceof ApiError && err.code === "account_disabled") {
    return "This account is disabled. Ask an administrator to enable it again.";
  }
  if (err instanceof ApiError && err.code === "invalid_code") {
    return recovery
      ? "That recovery code is not right, or was used already."
      : "That code is not right, or was used already. Codes change every 30 seconds.";
  }
  if (err instanceof ApiError && err.status === 401) return "Wrong credentials: the email or password is not correct.";
  if (err instanceof ApiError) return err.detail;
  return "Sign in failed. Please try again.";
}

/** The sign-outs the server did not confirm in full, which the sign-in page they lead to explains. */
const UNCONFIRMED = ["signed-out-in-part", "signed-out-everywhere-in-part", "signed-out-unconfirmed"] as const;

export function SignInPage() {
  const { status, ended } = useAuth();
  const location = useLocation();
  const target = redirectTarget(location.state);
  // A sign-out the server did not confirm in full says so here, where it leads.
  const unconfirmed = UNCONFIRMED.find((end) => end === ended);
  const reason = (location.state as RedirectState | null)?.reason ?? unconfirmed;
  const attempt = useSignInAttempt(target);
  const config = useAuthConfig();

  if (status === "authenticated" && !attempt.busy) return <Navigate to={target} replace />;

  return (
    <section className="page narrow auth-page" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      {/* Why they are here, until an attempt says something newer ("This account is disabled"). */}
      {reason && reason in SIGN_IN_REASONS && !attempt.error && (
        <p className="notice" role="status" data-testid="signin-reason">
          {SIGN_IN_REASONS[reason]}
        </p>
      )}
      {config?.guest_access === "none" && <MembersOnlyNotice registration={config.registration_mode} />}
      <SignInForm attempt={attempt} />
      <p className="muted">
        No account yet?{" "}
        <Link to="/register" state={location.state as RedirectState | null}>
          Create one
        </Link>
        .
      </p>
      <ForgotPassword byEmail={config?.mail ?? false} />
    </section>
  );
}

interface SignInAttempt {
  email: string;
  setEmail: (email: string) => void;
  password: string;
  setPassword: (password: string) => void;
  busy: boolean;
  error: string | null;
  /** Seconds until the server takes another attempt (429 with Retry-After); 0 when it would now. */
  throttledFor: number;
  /** The wait the server asked for, in seconds, while it lasts; null when there is none. */
  throttledAtFirst: number | null;
  onSubmit: (event: FormEvent<HTMLFormElement>) => void;
  /** The second step of an account with two-factor authentication on; null until the server asks for it. */
  twoFactor: TwoFactorStep | null;
}

/** The code asked for once the password was right: the app's, or (switched to) a recovery code. */
interface TwoFactorStep {
  code: string;
  setCode: (code: string) => void;
  recovery: boolean;
  /** From the app's code to a recovery code or back, emptying the code and the last refusal. */
  switchKind: () => void;
  /** Back to the email and password, forgetting them and the code. */
  startOver: () => void;
}

/**
 * The credentials typed in and sending them: on success the viewer goes on to
 * `target`; a refusal empties the password and says why, or counts down the
 * wait the server asked for. An account with two-factor authentication on is asked
 * for a code next: email and password stay in memory (nothing is stored) and go
 * again with it; a refused code empties the code alone.
 */
function useSignInAttempt(target: string): SignInAttempt {
  const { signIn } = useAuth();
  const navigate = useNavigate();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [throttle, setThrottle] = useState<Throttle | null>(null);
  const { running, error, run, fail } = useAction();
  const code = useTwoFactorStep(
    () => {
      setPassword("");
      fail(null);
    },
    () => fail(null),
  );
  const left = useCountdown(throttle?.until ?? null);
  // The first render shows the server's number exactly, then it counts down.
  const throttledFor = throttle ? Math.min(throttle.seconds, left) : 0;

  function refused(err: unknown): string | null {
    if (err instanceof ApiError && err.code === "two_factor_required") {
      code.ask();
      return null;
    }
    if (code.asked) code.setCode("");
    else setPassword("");
    if (!(err instanceof ApiError && err.status === 429)) return signInErrorMessage(err, code.recovery);
    const seconds = err.retryAfter ?? 60;
    setThrottle({ until: Date.now() + seconds * 1000, seconds });
    return null;
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (throttledFor > 0) return;
    setThrottle(null);
    void run("sign-in", refused, async () => {
      const user = await signIn(email.trim(), password, code.asked ? code.code : undefined);
      if (code.asked && code.recovery) await noteRecoveryCodesLeft(user.id);
      await navigate(target, { replace: true });
    });
  }

  const throttledAtFirst = throttledFor > 0 ? (throttle?.seconds ?? null) : null;
  const twoFactor = code.asked ? code : null;
  return { email, setEmail, password, setPassword, busy: running !== null, error, throttledFor, throttledAtFirst, onSubmit, twoFactor };
}

/**
 * Signed in with a recovery code: how many are left, for the page landed on to say once.
 * Not known (the read failed), nothing is said: the sign-in itself went through.
 */
async function noteRecoveryCodesLeft(userId: string): Promise<void> {
  try {
    keepRecoveryCodesLeft(userId, (await getTwoFactor()).recovery_codes_left);
  } catch {
    // the count goes unsaid
  }
}

/**
 * Whether the server asked for a code, and the code typed in (in memory only); switching
 * between the app's code and a recovery code calls `onSwitch` (the last refusal was of the other).
 */
function useTwoFactorStep(onStartOver: () => void, onSwitch: () => void) {
  const [asked, setAsked] = useState(false);
  const [code, setCode] = useState("");
  const [recovery, setRecovery] = useState(false);
  function startOver() {
    setAsked(false);
    setCode("");
    setRecovery(false);
    onStartOver();
  }
  const ask = () => setAsked(true);
  function switchKind() {
    setRecovery(!recovery);
    setCode("");
    onSwitch();
  }
  return { asked, ask, code, setCode, recovery, switchKind, startOver };
}

/** Email and password, what went wrong, and the button (held while throttled). */
function SignInForm({ attempt }: { attempt: SignInAttempt }) {
  const { busy, throttledFor } = attempt;
  return (
    <form className="form" onSubmit={attempt.onSubmit}>
      {attempt.twoFactor ? (
        <TwoFactorCodeStep step={attempt.twoFactor} email={attempt.email} />
      ) : (
        <>
          <EmailField autoComplete="username" value={attempt.email} onChange={attempt.setEmail} />
          <CurrentPasswordField label="Password" name="password" value={attempt.password} onChange={attempt.setPassword} />
        </>
      )}
      <FormError message={attempt.error} testId="signin-error" />
      <ThrottleCountdown left={throttledFor} atFirst={attempt.throttledAtFirst} say={tooManyAttempts} testId="signin-throttled" />
      <SubmitButton className="button primary" busy={busy || throttledFor > 0}>
        {busy ? "Signing in…" : "Sign in"}
      </SubmitButton>
    </form>
  );
}

/**
 * The code step: which account, the code field (the app's, or a recovery code, switched
 * by a button that says which the other is), and a way back to start over.
 */
function TwoFactorCodeStep({ step, email }: { step: TwoFactorStep; email: string }) {
  return (
    <>
      <p role="status" data-testid="signin-code-asked">
        {step.recovery
          ? `Enter one of the recovery codes you saved for ${email.trim()}.`
          : `Enter the code from your authenticator app for ${email.trim()}.`}
      </p>
      <TwoFactorCodeField
        key={step.recovery ? "recovery" : "app"}
        recovery={step.recovery}
        autoFocus
        value={step.code}
        onChange={step.setCode}
      />
      <div className="button-row">
        <button type="button" className="link-button" onClick={step.switchKind}>
          {step.recovery ? "Use the code from your app instead" : "Use a recovery code instead"}
        </button>
        <button type="button" className="link-button" onClick={step.startOver}>
          Start over with another email or password
        </button>
      </div>
    </>
  );
}

/**
 * "Forgot your password?": a link to have one mailed when the server sends mail; else whom
 * to ask (an administrator makes a reset link on the Users page).
 */
/** A members-only server's word to a visitor: nothing shows until they sign in, and how to get an account. */
function MembersOnlyNotice({ registration }: { registration: AuthConfig["registration_mode"] }) {
  const join = {
    open: "New here? Create an account below.",
    invite: "To join, ask an administrator for an invite.",
    closed: "Accounts are made by its administrators: ask one for an account.",
  }[registration];
  return (
    <p className="notice" data-testid="members-only">
      This is a members-only site: its videos are shown to members only. {join}
    </p>
  );
}

function ForgotPassword({ byEmail }: { byEmail: boolean }) {
  return (
    <p className="muted" data-testid="forgot-password">
      {byEmail ? (
        <Link to="/forgot-password">Forgot your password?</Link>
      ) : (
        "Forgot your password? Ask an administrator for a reset link."
      )}
    </p>
  );
}
