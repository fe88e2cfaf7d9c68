import { useCallback, useState } from "react";
import { createInvite, listInvites, revokeInvite } from "../api/auth";
import { errorMessage } from "../api/errors";
import type { InviteCreated, InviteView } from "../api/schema";
import { ErrorMessage, FormError } from "../components/ErrorMessage";
import { SelectField } from "../components/Field";
import { formatDate } from "../lib/format";
import { useAsync } from "../lib/useAsync";

const LIFETIMES = [
  { hours: 24, label: "1 day" },
  { hours: 168, label: "7 days" },
  { hours: 720, label: "30 days" },
] as const;

const STATUS_LABELS: Record<InviteView["status"], string> = {
  active: "Active",
  used: "Used",
  revoked: "Revoked",
  expired: "Expired",
};

/** The registration link that carries an invite code into the form. */
export function inviteLink(code: string): string {
  return `${window.location.origin}/register?invite=${encodeURIComponent(code)}`;
}

/**
 * Invite codes for invite-only registration: create one (its code is shown
 * once, to hand over), see which are active, used or expired, revoke one.
 */
export function InvitesPanel() {
  const { data: invites, error, loading, reload } = useAsync(
    useCallback((signal: AbortSignal) => listInvites(signal), []),
  );
  const [hours, setHours] = useState<number>(168);
  const [created, setCreated] = useState<InviteCreated | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);

  async function create() {
    setBusy(true);
    setActionError(null);
    try {
      setCreated(await createInvite(hours));
      reload();
    } catch (err) {
      setActionError(`Could not create an invite: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  }

  async function revoke(invite: InviteView) {
    setBusy(true);
    setActionError(null);
    try {
      await revokeInvite(invite.id);
      if (created?.id === invite.id) setCreated(null);
      reload();
    } catch (err) {
      setActionError(`Could not revoke the invite: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="invites-title" className="invites">
      <h2 id="invites-title">Invites</h2>
      <p className="muted">When registration is invite-only, a new account needs one of these single-use codes.</p>
      <div className="toolbar">
        <SelectField
          label="Valid for"
          value={String(hours)}
          choices={LIFETIMES.map((l) => ({ value: String(l.hours), label: l.label }))}
          onChange={(value) => setHours(Number(value))}
        />
        <button type="button" className="button primary" disabled={busy} onClick={() => void create()}>
          Create invite
        </button>
      </div>
      {created && (
        <div className="notice" role="status" data-testid="invite-created">
          <p>
            Invite code <code>{created.code}</code>, valid until {formatDate(created.expires_at)}. It is shown only
            now: hand it over, or this link:
          </p>
          <p>
            <code className="invite-link">{inviteLink(created.code)}</code>
          </p>
        </div>
      )}
      <FormError message={actionError} />
      {loading && <p role="status">Loading…</p>}
      <ErrorMessage error={error} onRetry={reload} />
      {invites && invites.length === 0 && <p className="muted">No invites yet.</p>}
      {invites && invites.length > 0 && (
        <ul className="session-list" aria-label="Invites">
          {invites.map((invite) => (
            <li key={invite.id} className="session" data-testid="invite">
              <div>
                <strong>{STATUS_LABELS[invite.status]}</strong>
                <p className="muted small">
                  Created {formatDate(invite.created_at)} · expires {formatDate(invite.expires_at)}
                  {invite.used_at && ` · used ${formatDate(invite.used_at)}`}
                </p>
              </div>
              {invite.status === "active" && (
                <button
                  type="button"
                  className="button"
                  disabled={busy}
                  onClick={() => void revoke(invite)}
                  aria-label={`Revoke the invite created ${formatDate(invite.created_at)}`}
                >
                  Revoke
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
