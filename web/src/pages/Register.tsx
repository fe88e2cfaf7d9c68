import { useState, type FormEvent } from "react";
import { Link, Navigate, useLocation, useNavigate } from "react-router";
import { ApiError, refusalSentence } from "../api/errors";
import { LIMITS } from "../api/limits";
import type { AuthConfig } from "../api/schema";
import { redirectTarget, type RedirectState } from "../auth/RequireAuth";
import { useAuth } from "../auth/useAuth";
import { useAuthConfig } from "../auth/serverConfig";
import { FormError } from "../components/ErrorMessage";
import { DisplayNameField, EmailField, NewPasswordField, nameRefused, passwordLength } from "../components/AccountFields";
import { InputField } from "../components/Field";
import { fragmentValue } from "../lib/paths";
import { useAction } from "../lib/useAction";
import { SubmitButton } from "../components/SubmitButton";

type RegistrationMode = AuthConfig["registration_mode"];

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
    return refusalSentence(err);
  }
  return "Registration failed. Please try again.";
}

export function RegisterPage() {
  const { status } = useAuth();
  // The server says whether registration is open, invite-only or closed; until
  // it has (or if it cannot), the form offers an optional invite code.
  const mode = useAuthConfig()?.registration_mode ?? null;
  // Sent here from the sign-in page on the way to a video: the new account goes on to it.
  const location = useLocation();
  const target = redirectTarget(location.state);
  const registration = useRegistration(target);

  if (status === "authenticated" && !registration.busy) {
    // An invite link opened while signed in is for someone's new account: say so, not Browse.
    // Signed in by registering here, it goes on as always.
    return inviteOf(location) && !registration.registered ? <SignedInInvite /> : <Navigate to={target} replace />;
  }

  return (
    <section className="page narrow auth-page" aria-labelledby="register-title">
      <h1 id="register-title">Create an account</h1>
      {mode === "closed" ? (
        <p className="notice" role="status" data-testid="registration-closed">
          Registration is closed on this server. Ask an administrator for an account.
        </p>
      ) : (
        <RegisterForm mode={mode} registration={registration} />
      )}
      <p className="muted">
        Already have an account?{" "}
        <Link to="/signin" state={location.state as RedirectState | null}>
          Sign in
        </Link>
        .
      </p>
    </section>
  );
}

/** An invite link opened while signed in: whose session this is, and a way out of it to use the link. */
function SignedInInvite() {
  const { user, signOut } = useAuth();
  return (
    <section className="page narrow auth-page" aria-labelledby="register-title">
      <h1 id="register-title">Create an account</h1>
      <p className="notice" role="status" data-testid="invite-signed-in">
        You are signed in as {user?.email}. This invite link makes a new account, for someone without one.
      </p>
      <div className="toolbar">
        <button type="button" className="button primary" onClick={() => void signOut()}>
          Sign out and use the invite
        </button>
        <Link to="/" className="button">
          Go to Browse
        </Link>
      </div>
    </section>
  );
}

/** What the registration form asks for. */
interface Applicant {
  email: string;
  password: string;
  displayName: string;
  invite: string;
}

interface Registration {
  applicant: Applicant;
  change: (answers: Partial<Applicant>) => void;
  busy: boolean;
  error: string | null;
  /** The server knows this email already: the error is told at its field, which takes the focus. */
  emailTaken: boolean;
  /** The password is too easy to guess: the error is told at its field, which takes the focus. */
  weakPassword: boolean;
  /** The display name could pass for an admin's or an email: told at its field, which takes the focus. */
  badName: boolean;
  /** The account was made here (and its user signed in), not signed in before. */
  registered: boolean;
  submit: () => Promise<void>;
}

/**
 * The invite code a link filled in: `/register#invite=CODE` (a mailed one adds `&email=ADDRESS`),
 * or `?invite=CODE` as links made before the code moved into the fragment say ("" for none).
 */
function inviteOf(location: { hash: string; search: string }): string {
  return fragmentValue(location.hash, "invite") || (new URLSearchParams(location.search).get("invite") ?? "");
}

/**
 * The registration form's answers, and sending them: signed in and on to
 * `target` on success, told why not otherwise.
 */
function useRegistration(target: string): Registration {
  const { register } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const linkInvite = inviteOf(location);
  // A mailed invite's link names the address it went to (`&email=`), filled in to edit.
  const linkEmail = fragmentValue(location.hash, "email");
  const [applicant, setApplicant] = useState<Applicant>(() => ({
    email: linkEmail,
    password: "",
    displayName: "",
    invite: linkInvite,
  }));
  // An invite link opened on this page changes only the fragment (no new page): take its code.
  const [takenInvite, setTakenInvite] = useState(linkInvite);
  if (linkInvite !== takenInvite) {
    setTakenInvite(linkInvite);
    if (linkInvite) {
      setApplicant((now) => ({ ...now, invite: linkInvite, ...(linkEmail ? { email: linkEmail } : {}) }));
    }
  }
  const [emailTaken, setEmailTaken] = useState(false);
  const [weakPassword, setWeakPassword] = useState(false);
  const [badName, setBadName] = useState(false);
  const [registered, setRegistered] = useState(false);
  const { running, error, fail, run } = useAction();

  function refused(err: unknown): string {
    setEmailTaken(err instanceof ApiError && err.code === "email_taken");
    setWeakPassword(err instanceof ApiError && err.code === "weak_password");
    setBadName(nameRefused(err));
    return registerErrorMessage(err);
  }

  async function submit() {
    if (applicant.password.length < LIMITS.passwordMin) {
      fail(`The password is too short: ${passwordLength()}.`);
      return;
    }
    setEmailTaken(false);
    const name = applicant.displayName.trim();
    const code = applicant.invite.trim();
    await run("register", refused, async () => {
      await register({
        email: applicant.email.trim(),
        password: applicant.password,
        ...(name ? { display_name: name } : {}),
        ...(code ? { invite_code: code } : {}),
      });
      setRegistered(true);
      await navigate(target, { replace: true });
    });
  }

  const change = (answers: Partial<Applicant>) => setApplicant((current) => ({ ...current, ...answers }));
  return { applicant, change, busy: running !== null, error, emailTaken, weakPassword, badName, registered, submit };
}

/** Email, password, an optional name and, unless registration is open, an invite code. */
function RegisterForm({ mode, registration }: { mode: RegistrationMode | null; registration: Registration }) {
  const { applicant, change, busy, error, emailTaken, weakPassword, badName } = registration;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    void registration.submit();
  }

  return (
    <form className="form" onSubmit={onSubmit}>
      <EmailField
        autoComplete="email"
        maxLength={LIMITS.email}
        value={applicant.email}
        error={emailTaken ? error : null}
        onChange={(email) => change({ email })}
      />
      <NewPasswordField
        label="Password"
        name="password"
        value={applicant.password}
        error={weakPassword ? error : null}
        onChange={(password) => change({ password })}
      />
      <DisplayNameField
        label="Display name (optional)"
        name="display_name"
        value={applicant.displayName}
        error={badName ? error : null}
        onChange={(displayName) => change({ displayName })}
      />
      {(mode !== "open" || applicant.invite !== "") && (
        <InviteCodeField mode={mode} value={applicant.invite} onChange={(invite) => change({ invite })} />
      )}
      <FormError message={weakPassword || emailTaken || badName ? null : error} testId="register-error" />
      <SubmitButton className="button primary" busy={busy}>
        {busy ? "Creating account…" : "Create account"}
      </SubmitButton>
    </form>
  );
}

/** Required when registration is invite-only; otherwise offered for a code someone was given. */
function InviteCodeField({
  mode,
  ...code
}: {
  mode: RegistrationMode | null;
  value: string;
  onChange: (code: string) => void;
}) {
  const required = mode === "invite";
  return (
    <InputField
      label={required ? "Invite code" : "Invite code (if you were given one)"}
      hint={required ? "This server is invite-only: an administrator gives out the codes." : undefined}
      name="invite_code"
      type="text"
      autoComplete="off"
      required={required}
      maxLength={LIMITS.inviteCode}
      {...code}
    />
  );
}
