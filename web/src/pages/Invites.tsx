import { useCallback, useState, type ReactNode } from "react";
import { createInvite, listInvites, revokeInvite } from "../api/auth";
import { useRegistrationMode } from "../auth/useRegistrationMode";
import type { AuthConfig, InviteCreated, InviteView } from "../api/schema";
import { ErrorMessage, FormError } from "../components/ErrorMessage";
import { DoneNotice } from "../components/FocusedMessage";
import { SelectField } from "../components/Field";
import { formatDate } from "../lib/format";
import { useAsync } from "../lib/useAsync";
import { RevocableItem, RevocableList, RevokeButton } from "../components/RevocableList";
import { useAction } from "../lib/useAction";
import { copyText } from "../player/CopyMomentLink";

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

/** What each registration mode means for invites, as the server says it is set. */
const MODE_NOTES: Record<AuthConfig["registration_mode"], string> = {
  open:
    "Registration is open: anyone can create an account, and no invite code is asked for " +
    "(STREAMSTACK_REGISTRATION_MODE=invite requires one); an invite link followed still uses its invite up.",
  invite: "Registration is by invitation: a new account needs one of these single-use codes.",
  closed: "Registration is closed: no one can create an account, with an invite code or without.",
};

/** Which registration mode the server runs, and so whether invites are needed at all. */
function RegistrationModeNote() {
  const mode = useRegistrationMode();
  return (
    <p className="muted" data-testid="registration-mode">
      {mode ? MODE_NOTES[mode] : "When registration is invite-only, a new account needs one of these single-use codes."}
    </p>
  );
}

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
  const action = useAction();
  const busy = action.running !== null;

  const create = () =>
    action.run("create", "Could not create an invite", async () => {
      setCreated(await createInvite(hours));
      reload();
    });

  // A revoked invite keeps its row, without the focused Revoke: the focus goes to this instead.
  const [revoked, setRevoked] = useState<string | null>(null);
  const revoke = (invite: InviteView) =>
    action.run(invite.id, "Could not revoke the invite", async () => {
      setRevoked(null);
      await revokeInvite(invite.id);
      if (created?.id === invite.id) setCreated(null);
      reload();
      setRevoked(`Revoked the invite created ${formatDate(invite.created_at)}: its code no longer works.`);
    });

  return (
    <section aria-labelledby="invites-title" className="invites">
      <h2 id="invites-title">Invites</h2>
      <RegistrationModeNote />
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
      {created && <CreatedInvite invite={created} />}
      <FormError message={action.error} />
      <DoneNotice message={revoked} />
      {loading && <p role="status">Loading…</p>}
      <ErrorMessage error={error} onRetry={reload} />
      {invites && (
        <RevocableList label="Invites" empty="No invites yet." items={invites}>
          {(invite) => <InviteItem invite={invite} busy={busy} onRevoke={() => void revoke(invite)} />}
        </RevocableList>
      )}
    </section>
  );
}

/** A new invite's code and link, shown only once: the server keeps no copy to show again. */
function CreatedInvite({ invite }: { invite: InviteCreated }) {
  return (
    <OneTimeNotice testId="invite-created" link={inviteLink(invite.code)}>
      Invite code <code>{invite.code}</code>, valid until {formatDate(invite.expires_at)}. It is shown only now: hand it
      over, or this link:
    </OneTimeNotice>
  );
}

/**
 * A secret handed over once (an invite, a password-reset link): what it is,
 * then the link to pass on. The server keeps no copy to show it again.
 */
export function OneTimeNotice({ testId, link, children }: { testId: string; link: string; children: ReactNode }) {
  // Which link the last Copy was of, and whether the browser took it: a new link starts afresh.
  const [copied, setCopied] = useState<{ link: string; ok: boolean } | null>(null);
  const outcome = copied?.link === link ? copied.ok : null;
  return (
    <div className="notice" role="status" data-testid={testId}>
      <p>{children}</p>
      <p className="one-time-link">
        <code className="invite-link">{link}</code>
        {/* Selecting a long link by hand, on a phone above all, was the only way to pass it on. */}
        <button type="button" className="button" onClick={() => void copyText(link).then((ok) => setCopied({ link, ok }))}>
          Copy link
        </button>
      </p>
      {outcome !== null && (
        <p className="small">{outcome ? "Copied." : "This browser would not copy it: select the link and copy it."}</p>
      )}
    </div>
  );
}

/** An invite and its state; an active one can be revoked. */
function InviteItem({ invite, busy, onRevoke }: { invite: InviteView; busy: boolean; onRevoke: () => void }) {
  const used = invite.used_at ? ` · used ${formatDate(invite.used_at)}` : "";
  return (
    <RevocableItem
      testId="invite"
      name={STATUS_LABELS[invite.status]}
      when={`Created ${formatDate(invite.created_at)} · expires ${formatDate(invite.expires_at)}${used}`}
      action={
        invite.status === "active" && (
          <RevokeButton
            label={`Revoke the invite created ${formatDate(invite.created_at)}`}
            disabled={busy}
            onRevoke={onRevoke}
          />
        )
      }
    />
  );
}
