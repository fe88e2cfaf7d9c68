import { useState, type FormEvent, type ReactNode } from "react";
import { cancelPendingEmail, changeEmail, changePassword, changeProfile, getPendingEmail } from "../api/auth";
import { ApiError, errorSentence, refusalSentence } from "../api/errors";
import { LIMITS } from "../api/limits";
import { useAuth } from "../auth/useAuth";
import { CurrentPasswordField, DisplayNameField, EmailField, NewPasswordField } from "../components/AccountFields";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { useAction } from "../lib/useAction";
import { useAsync } from "../lib/useAsync";
import { SubmitButton } from "../components/SubmitButton";

/** The display name shown in the header and here; empty clears it. */
export function DisplayNameForm() {
  const { user, updateUser } = useAuth();
  const [name, setName] = useState(user?.display_name ?? "");
  const { running, error, run } = useAction();
  const [saved, setSaved] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSaved(false);
    await run("save-name", errorSentence, async () => {
      const trimmed = name.trim();
      updateUser(await changeProfile(trimmed === "" ? null : trimmed));
      setSaved(true);
    });
  }

  return (
    <form className="form compact" onSubmit={(e) => void onSubmit(e)} aria-label="Profile">
      <DisplayNameField label="Display name" error={error} value={name} onChange={setName} />
      <AccountFormSubmit label="Save name" busy={running !== null} done={saved} testId="profile-saved">
        Display name saved.
      </AccountFormSubmit>
    </form>
  );
}

/**
 * The email signed in with (a typo at registration, a new address): the new one and the
 * password. The server mails a link to the new address, and the email changes only when it
 * is opened; until then the address waiting is shown, with a way to cancel it.
 */
export function EmailForm() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { running, error, run } = useAction();
  // A wrong password is told at its field; any other refusal (taken, malformed) at the email.
  const [wrongPassword, setWrongPassword] = useState(false);
  // The address waiting: as the page found it, until this form sends or cancels one.
  const found = useAsync(getPendingEmail).data?.pending_email ?? null;
  const [pending, setPending] = useState<string | null | undefined>(undefined);
  const waiting = pending === undefined ? found : pending;

  function refused(err: unknown): string {
    const wrong = err instanceof ApiError && err.code === "wrong_password";
    setWrongPassword(wrong);
    if (wrong) return "The password is not correct.";
    if (err instanceof ApiError && err.code === "email_taken") return "Another account has this email.";
    return refusalSentence(err);
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    await run("change-email", refused, async () => {
      const sent = await changeEmail(email.trim(), password);
      setEmail("");
      setPassword("");
      setPending(sent.pending_email);
    });
  }

  async function onCancel() {
    await run("cancel-email", refusalSentence, async () => {
      await cancelPendingEmail();
      setPending(null);
    });
  }

  return (
    <form className="form compact" onSubmit={(e) => void onSubmit(e)} aria-label="Change email">
      <EmailField
        label="New email"
        autoComplete="email"
        maxLength={LIMITS.email}
        value={email}
        error={wrongPassword ? null : error}
        onChange={setEmail}
      />
      <CurrentPasswordField
        label="Password"
        error={wrongPassword ? error : null}
        value={password}
        onChange={setPassword}
      />
      <AccountFormSubmit label="Change email" busy={running !== null} done={waiting !== null} testId="email-pending">
        <EmailSent to={waiting ?? ""} busy={running !== null} onCancel={() => void onCancel()} />
      </AccountFormSubmit>
    </form>
  );
}

/** The link is mailed to `to`: what happens next, and a way to withdraw it. */
function EmailSent({ to, busy, onCancel }: { to: string; busy: boolean; onCancel: () => void }) {
  return (
    <>
      We sent a link to {to}. Your sign-in email changes when you open it. No mail? Check your spam
      folder, or send it again.{" "}
      <button type="button" className="link-button" onClick={onCancel} disabled={busy}>
        Cancel the change
      </button>
    </>
  );
}

/** Needs the current password; the server then signs out every other session. */
export function PasswordForm({ onChanged }: { onChanged: () => void }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const { running, error, run } = useAction();
  const { user, updateUser } = useAuth();
  // A wrong current password is told at that field; any other refusal at the new one.
  const [wrongCurrent, setWrongCurrent] = useState(false);
  const [done, setDone] = useState(false);

  function refused(err: unknown): string {
    const wrong = err instanceof ApiError && err.code === "wrong_password";
    setWrongCurrent(wrong);
    return wrong ? "The current password is not correct." : refusalSentence(err);
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setDone(false);
    await run("change-password", refused, async () => {
      await changePassword(current, next);
      // Their own now: the reminder to set one goes (the server has cleared it too).
      if (user?.password_generated) updateUser({ ...user, password_generated: false });
      setCurrent("");
      setNext("");
      setDone(true);
      onChanged();
    });
  }

  return (
    <form className="form compact" onSubmit={(e) => void onSubmit(e)} aria-label="Change password">
      <CurrentPasswordField
        label="Current password"
        error={wrongCurrent ? error : null}
        value={current}
        onChange={setCurrent}
      />
      <NewPasswordField label="New password" error={wrongCurrent ? null : error} value={next} onChange={setNext} />
      <AccountFormSubmit label="Change password" busy={running !== null} done={done} testId="password-changed">
        Password changed. Every other session was signed out.
      </AccountFormSubmit>
    </form>
  );
}

/**
 * Deleting one's own account: the password, then a confirmation (it cannot be
 * undone); the server ends every session and forgets the watch history and playlists, and
 * the sign-in page says the account was deleted.
 */
export function DeleteAccountForm() {
  const { deleteAccount } = useAuth();
  const [password, setPassword] = useState("");
  const [confirming, setConfirming] = useState(false);
  const { running, error, run } = useAction();

  const refused = (err: unknown) =>
    err instanceof ApiError && err.code === "wrong_password" ? "The password is not correct." : refusalSentence(err);

  async function onConfirm() {
    setConfirming(false);
    await run("delete-account", refused, async () => {
      // Signed out here, this page's guard sends the user to sign in, saying why.
      await deleteAccount(password);
    });
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setConfirming(true);
  }

  return (
    <form className="form compact" onSubmit={onSubmit} aria-label="Delete account">
      <p className="muted">Your account, its sessions, your watch history and your playlists are deleted. This cannot be undone.</p>
      <CurrentPasswordField label="Password" error={error} value={password} onChange={setPassword} />
      <div className="button-row">
        <SubmitButton className="button danger" busy={running !== null}>
          {running !== null ? "Deleting…" : "Delete account"}
        </SubmitButton>
      </div>
      {confirming && (
        <ConfirmDialog
          title="Delete your account?"
          confirmLabel="Delete account"
          destructive
          onCancel={() => setConfirming(false)}
          onConfirm={() => void onConfirm()}
        >
          Your account, its sessions, your watch history and your playlists are deleted for good.
        </ConfirmDialog>
      )}
    </form>
  );
}

/** An account form's submit button and, once the change went through, `children` saying so (announced). */
function AccountFormSubmit({
  label,
  busy,
  done,
  testId,
  children,
}: {
  label: string;
  busy: boolean;
  done: boolean;
  testId: string;
  children: ReactNode;
}) {
  return (
    <div className="button-row">
      <SubmitButton busy={busy}>{label}</SubmitButton>
      {done && (
        <span role="status" data-testid={testId}>
          {children}
        </span>
      )}
    </div>
  );
}
