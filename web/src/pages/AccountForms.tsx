import { useRef, useState, type FormEvent, type ReactNode } from "react";
import { cancelPendingEmail, changeEmail, changePassword, changeProfile, getPendingEmail } from "../api/auth";
import { ApiError, errorSentence, refusalSentence } from "../api/errors";
import type { PendingEmailView } from "../api/schema";
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
 * The sign-in email asked for and waiting for its link, as the Account page knows it: as the
 * page found it, then as this page's requests left it. A password change withdraws the link
 * on the server, so the page reads it again then (`afterPasswordChange`) and says so.
 */
export function usePendingEmail() {
  const found = useAsync(getPendingEmail).data;
  const [known, setKnown] = useState<PendingEmailView | null>(null);
  // What became of a change this page showed (cancelled, withdrawn), until the next request.
  const [outcome, setOutcome] = useState<string | null>(null);
  const view = known ?? found;

  /** `next` is what waits now; `said`, what became of the change before, if anything. */
  function settle(next: PendingEmailView, said: string | null = null) {
    setKnown(next);
    setOutcome(said);
  }

  async function afterPasswordChange() {
    if (!view?.pending_email) return; // nothing was waiting, nothing was withdrawn
    // A failed read leaves the section as it was: a reload reads it again.
    const now = await getPendingEmail().catch(() => null);
    if (now === null) return;
    settle(now, now.pending_email ? null : "Your password change withdrew the email change; ask again if you still want it.");
  }

  return { view, outcome, settle, afterPasswordChange };
}

/** The Account page's pending email and how to change what it knows (see usePendingEmail). */
export type PendingEmail = ReturnType<typeof usePendingEmail>;

const NOTHING_WAITING: PendingEmailView = { pending_email: null, expires_at: null, taken: false };

/**
 * The email signed in with (a typo at registration, a new address): the new one and the
 * password. The server mails a link to the new address, and the email changes only when it
 * is opened; until then the address waiting is shown, with a way to send it again or cancel
 * it, or, once another account took that address, that another is to be chosen.
 */
export function EmailForm({ pending }: { pending: PendingEmail }) {
  const change = useEmailChange(pending);
  const { running, error, wrongPassword } = change;
  const form = useRef<HTMLFormElement>(null);
  const waiting = pending.view?.pending_email ?? null;

  function onSendAgain() {
    change.setEmail(waiting ?? "");
    change.setResending(true);
    form.current?.querySelector<HTMLInputElement>("input[type=password]")?.focus();
  }

  return (
    <form ref={form} className="form compact" onSubmit={(e) => void change.onSubmit(e)} aria-label="Change email">
      <EmailField
        label="New email"
        autoComplete="email"
        maxLength={LIMITS.email}
        value={change.email}
        error={wrongPassword ? null : error}
        onChange={change.setEmail}
      />
      <CurrentPasswordField
        label="Password"
        hint={change.resending ? "Type your password, then press Change email to send the link again." : undefined}
        error={wrongPassword ? error : null}
        value={change.password}
        onChange={change.setPassword}
      />
      <AccountFormSubmit
        label="Change email"
        busy={running !== null}
        done={waiting !== null || pending.outcome !== null}
        testId="email-pending"
      >
        {waiting !== null ? (
          <EmailWaiting
            to={waiting}
            taken={pending.view?.taken ?? false}
            busy={running !== null}
            onSendAgain={onSendAgain}
            onCancel={() => void change.onCancel()}
          />
        ) : (
          pending.outcome
        )}
      </AccountFormSubmit>
    </form>
  );
}

/**
 * The email form's fields and requests: asking for an address (the form empties once the link
 * is sent) and cancelling the one waiting, each settling `pending`.
 */
function useEmailChange(pending: PendingEmail) {
  const { user } = useAuth();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { running, error, run } = useAction();
  // A wrong password is told at its field; any other refusal (taken, malformed) at the email.
  const [wrongPassword, setWrongPassword] = useState(false);
  // "Send it again" asks for the password once more (the API needs it): said at its field.
  const [resending, setResending] = useState(false);

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
      setResending(false);
      pending.settle(sent);
    });
  }

  async function onCancel() {
    await run("cancel-email", refusalSentence, async () => {
      await cancelPendingEmail();
      setResending(false);
      pending.settle(NOTHING_WAITING, `Cancelled: your sign-in email stays ${user?.email ?? "as it was"}.`);
    });
  }

  const fields = { email, setEmail, password, setPassword, resending, setResending };
  return { ...fields, running, error, wrongPassword, onSubmit, onCancel };
}

/**
 * The link is mailed to `to`: what happens next, and ways to send it again or withdraw it;
 * or, once another account signs in with `to` (`taken`), that the link cannot work now.
 */
function EmailWaiting({
  to,
  taken,
  busy,
  onSendAgain,
  onCancel,
}: {
  to: string;
  taken: boolean;
  busy: boolean;
  onSendAgain: () => void;
  onCancel: () => void;
}) {
  return (
    <>
      {taken ? (
        <>{to} is now used by another account: choose another address. </>
      ) : (
        <>
          We sent a link to {to}. Your sign-in email changes when you open it. No mail? Check your spam folder, or{" "}
          <button type="button" className="link-button" onClick={onSendAgain} disabled={busy}>
            Send it again
          </button>
          .{" "}
        </>
      )}
      <button type="button" className="link-button" onClick={onCancel} disabled={busy}>
        Cancel the change
      </button>
    </>
  );
}

/**
 * Needs the current password; the server then signs out every other session and withdraws
 * the link of an email change, so `pendingEmail` is read again.
 */
export function PasswordForm({ onChanged, pendingEmail }: { onChanged: () => void; pendingEmail: PendingEmail }) {
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
      void pendingEmail.afterPasswordChange();
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
      <p className="muted">
        Your account, its sessions, your watch history, your playlists and your comments are deleted; replies others wrote to your comments stay. This
        cannot be undone.
      </p>
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
          Your account, its sessions, your watch history, your playlists and your comments are deleted for good; replies others wrote to your
          comments stay.
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
