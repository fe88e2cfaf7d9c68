import { useState } from "react";
import { useNavigate } from "react-router";
import { listSessions, revokeSession } from "../api/auth";
import type { SessionView } from "../api/schema";
import { useAuth } from "../auth/useAuth";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorMessage, FormError } from "../components/ErrorMessage";
import { DoneNotice } from "../components/FocusedMessage";
import { formatDate } from "../lib/format";
import { useAsync } from "../lib/useAsync";
import { DeleteAccountForm, DisplayNameForm, EmailForm, PasswordForm, usePendingEmail } from "./AccountForms";
import { AdminMailChoice, ReplyMailChoice } from "./AccountMailChoices";
import { TwoFactorSection } from "./AccountTwoFactor";
import { RevocableItem, RevocableList, RevokeButton } from "../components/RevocableList";
import { useAction, type Action } from "../lib/useAction";

/** "Mozilla/5.0 (X11; Linux x86_64) … Chrome/120…" → "Chrome on Linux" */
export function describeUserAgent(ua: string | null): string {
  if (!ua) return "Unknown device";
  const browser =
    /Edg\//.test(ua) ? "Edge"
    : /OPR\//.test(ua) ? "Opera"
    : /Firefox\//.test(ua) ? "Firefox"
    : /Chrom(e|ium)\//.test(ua) ? "Chrome"
    : /Safari\//.test(ua) ? "Safari"
    : /curl\//i.test(ua) ? "curl"
    : /python/i.test(ua) ? "Python client"
    : null;
  const os =
    /Android/.test(ua) ? "Android"
    : /iPhone|iPad|iOS/.test(ua) ? "iOS"
    : /Windows/.test(ua) ? "Windows"
    : /Mac OS X|Macintosh/.test(ua) ? "macOS"
    : /Linux/.test(ua) ? "Linux"
    : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? ua.slice(0, 60);
}

/** This device first (the one a viewer looks for), the others in the server's order. */
export function currentFirst(sessions: readonly SessionView[]): SessionView[] {
  return [...sessions].sort((a, b) => Number(b.current) - Number(a.current));
}

/**
 * A session's name for its Revoke button: the device, and when it signed in,
 * which tells apart sessions that read the same ("Chrome on Linux").
 */
function sessionName(session: SessionView): string {
  return `${describeUserAgent(session.user_agent)}, signed in ${formatDate(session.created_at)}`;
}

export function AccountPage() {
  const { data: sessions, error, loading, reload, setData } = useAsync(listSessions);
  // Revoking a session and signing out everywhere tell their failures in one place.
  const action = useAction();
  // The revoked session's row, and its focused Revoke button, are gone: the focus goes to this.
  const [revoked, setRevoked] = useState<string | null>(null);
  // The email section's, read again after a password change (which withdraws its link).
  const pendingEmail = usePendingEmail();

  const revoke = (session: SessionView) =>
    action.run(session.id, "Could not revoke the session", async () => {
      setRevoked(null);
      await revokeSession(session.id);
      setData((list) => list.filter((s) => s.id !== session.id));
      setRevoked(`Signed out ${sessionName(session)}.`);
    });

  return (
    <section className="page narrow" aria-labelledby="account-title">
      <h1 id="account-title">Account</h1>
      <AccountSummary />

      <SignOutButtons action={action} />

      <h2>Profile</h2>
      <DisplayNameForm />

      <h2>Email</h2>
      <EmailForm pending={pendingEmail} />
      <ReplyMailChoice />
      <AdminMailChoice />

      <h2>Password</h2>
      <PasswordForm onChanged={reload} pendingEmail={pendingEmail} />

      <TwoFactorSection onOthersSignedOut={reload} />

      <h2>Active sessions</h2>
      {loading && <p role="status">Loading…</p>}
      <ErrorMessage error={error} onRetry={reload} />
      <FormError message={action.error} />
      <DoneNotice message={revoked} />
      {sessions && (
        <RevocableList label="Active sessions" empty="No active sessions." items={currentFirst(sessions)}>
          {(session) => (
            <SessionItem
              session={session}
              revoking={action.running === session.id}
              onRevoke={() => void revoke(session)}
            />
          )}
        </RevocableList>
      )}

      <h2>Delete account</h2>
      <DeleteAccountForm />
    </section>
  );
}

/**
 * Signing out here or on every device (asked first: it ends this one too),
 * then going to the sign-in page. The buttons stay disabled until the page is
 * left; only a failure (told through the page's `action`) enables them again.
 */
function SignOutButtons({ action }: { action: Action }) {
  const { signOut, signOutEverywhere } = useAuth();
  const navigate = useNavigate();
  const [signingOut, setSigningOut] = useState(false);
  const [confirming, setConfirming] = useState(false);

  async function onSignOut() {
    setSigningOut(true);
    await signOut();
    await navigate("/signin", { replace: true });
  }

  async function onSignOutEverywhere() {
    setConfirming(false);
    setSigningOut(true);
    const done = await action.run("sign-out-everywhere", "Could not sign out everywhere", async () => {
      await signOutEverywhere();
      await navigate("/signin", { replace: true });
    });
    if (!done) setSigningOut(false);
  }

  return (
    <div className="button-row">
      <button type="button" className="button" disabled={signingOut} onClick={() => void onSignOut()}>
        Sign out
      </button>
      <button type="button" className="button danger" disabled={signingOut} onClick={() => setConfirming(true)}>
        Sign out everywhere
      </button>
      {confirming && (
        <ConfirmDialog
          title="Sign out everywhere?"
          confirmLabel="Sign out everywhere"
          destructive
          onCancel={() => setConfirming(false)}
          onConfirm={() => void onSignOutEverywhere()}
        >
          Every device signed in to this account is signed out, this one included: each has to sign in again.
        </ConfirmDialog>
      )}
    </div>
  );
}

/** Who is signed in: email, name if any, role. */
function AccountSummary() {
  const { user } = useAuth();
  if (!user) return null;
  return (
    <dl className="meta">
      <dt>Email</dt>
      <dd data-testid="account-email">{user.email}</dd>
      {user.display_name && (
        <>
          <dt>Name</dt>
          <dd>{user.display_name}</dd>
        </>
      )}
      <dt>Role</dt>
      <dd>{user.role === "admin" ? "Administrator" : "Viewer"}</dd>
    </dl>
  );
}

/** A device signed in to this account; any but this one can be revoked. */
function SessionItem({
  session,
  revoking,
  onRevoke,
}: {
  session: SessionView;
  revoking: boolean;
  onRevoke: () => void;
}) {
  return (
    <RevocableItem
      testId="session"
      name={describeUserAgent(session.user_agent)}
      badge={session.current && <span className="badge current">This device</span>}
      when={`Signed in ${formatDate(session.created_at)} · last used ${formatDate(session.last_used_at)}`}
      action={
        session.current ? (
          <span className="muted small">Use “Sign out” to end it</span>
        ) : (
          <RevokeButton
            label={`Revoke ${sessionName(session)}`}
            busy={revoking}
            revoking={revoking}
            onRevoke={onRevoke}
          />
        )
      }
    />
  );
}
