import { useCallback, useState } from "react";
import { useNavigate } from "react-router";
import { listSessions, revokeSession } from "../api/auth";
import { errorMessage } from "../api/errors";
import type { SessionView } from "../api/schema";
import { useAuth } from "../auth/useAuth";
import { ErrorMessage, FormError } from "../components/ErrorMessage";
import { formatDate } from "../lib/format";
import { useAsync } from "../lib/useAsync";
import { DisplayNameForm, PasswordForm } from "./AccountForms";

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

export function AccountPage() {
  const { user, signOut, signOutEverywhere } = useAuth();
  const navigate = useNavigate();
  const { data: sessions, error, loading, reload, setData } = useAsync(
    useCallback((signal: AbortSignal) => listSessions(signal), []),
  );
  const [revoking, setRevoking] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [signingOut, setSigningOut] = useState(false);

  async function revoke(session: SessionView) {
    setRevoking(session.id);
    setActionError(null);
    try {
      await revokeSession(session.id);
      setData((list) => list.filter((s) => s.id !== session.id));
    } catch (err) {
      setActionError(`Could not revoke the session: ${errorMessage(err)}`);
    } finally {
      setRevoking(null);
    }
  }

  async function onSignOut() {
    setSigningOut(true);
    await signOut();
    await navigate("/signin", { replace: true });
  }

  async function onSignOutEverywhere() {
    setSigningOut(true);
    setActionError(null);
    try {
      await signOutEverywhere();
      await navigate("/signin", { replace: true });
    } catch (err) {
      setActionError(`Could not sign out everywhere: ${errorMessage(err)}`);
      setSigningOut(false);
    }
  }

  return (
    <section className="page narrow" aria-labelledby="account-title">
      <h1 id="account-title">Account</h1>
      {user && (
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
      )}

      <div className="button-row">
        <button type="button" className="button" disabled={signingOut} onClick={() => void onSignOut()}>
          Sign out
        </button>
        <button
          type="button"
          className="button danger"
          disabled={signingOut}
          onClick={() => void onSignOutEverywhere()}
        >
          Sign out everywhere
        </button>
      </div>

      <h2>Profile</h2>
      <DisplayNameForm />

      <h2>Password</h2>
      <PasswordForm onChanged={reload} />

      <h2>Active sessions</h2>
      {loading && <p role="status">Loading…</p>}
      <ErrorMessage error={error} onRetry={reload} />
      <FormError message={actionError} />
      {sessions && sessions.length === 0 && <p className="muted">No active sessions.</p>}
      {sessions && sessions.length > 0 && (
        <ul className="session-list" aria-label="Active sessions">
          {sessions.map((session) => (
            <li key={session.id} className="session" data-testid="session">
              <div>
                <strong>{describeUserAgent(session.user_agent)}</strong>
                {session.current && <span className="badge current">This device</span>}
                <p className="muted small">
                  Signed in {formatDate(session.created_at)} · last used {formatDate(session.last_used_at)}
                </p>
              </div>
              {session.current ? (
                <span className="muted small">Use “Sign out” to end it</span>
              ) : (
                <button
                  type="button"
                  className="button"
                  disabled={revoking === session.id}
                  onClick={() => void revoke(session)}
                  aria-label={`Revoke session: ${describeUserAgent(session.user_agent)}`}
                >
                  {revoking === session.id ? "Revoking…" : "Revoke"}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
