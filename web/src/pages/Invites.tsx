import { useCallback, useState, type FormEvent, type ReactNode } from "react";
import { createInvite, INVITE_REFUSALS, listInvites, revokeInvite } from "../api/auth";
import { ApiError, errorMessage } from "../api/errors";
import { LIMITS } from "../api/limits";
import { useAuthConfig } from "../auth/serverConfig";
import type { AuthConfig, InviteCreated, InviteView } from "../api/schema";
import { ErrorMessage, FormError } from "../components/ErrorMessage";
import { DoneNotice } from "../components/FocusedMessage";
import { InputField, SelectField } from "../components/Field";
import { formatDate, waitInWords } from "../lib/format";
import { useAsync, type AsyncResult } from "../lib/useAsync";
import { RevocableItem, RevocableList, RevokeButton } from "../components/RevocableList";
import { useAction, type Action } from "../lib/useAction";
import { copyText } from "../player/CopyMomentLink";
import { SubmitButton } from "../components/SubmitButton";
import { absoluteUrl } from "../lib/paths";

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
function RegistrationModeNote({ mode }: { mode: AuthConfig["registration_mode"] | undefined }) {
  return (
    <p className="muted" data-testid="registration-mode">
      {mode ? MODE_NOTES[mode] : "When registration is invite-only, a new account needs one of these single-use codes."}
    </p>
  );
}

/**
 * The server refused the note (the validation's "(note)", or the use case's "note: …"):
 * told at the field. The browser keeps it to the length already; a pasted tab is not.
 */
function noteRefused(err: unknown): boolean {
  return err instanceof ApiError && err.status === 400 && /^note:|\(note\)$/.test(err.detail);
}

/** The server refused the address to mail the invite to (the validation's "(email)", or "email: …"). */
function emailRefused(err: unknown): boolean {
  return err instanceof ApiError && err.status === 400 && /^email|\(email\)$/.test(err.detail);
}

/** The address has a way in already (a member's, or an invite still active): the server's words name it. */
function addressHasAWayIn(err: unknown): err is ApiError {
  const codes: readonly string[] = Object.values(INVITE_REFUSALS);
  return err instanceof ApiError && err.status === 409 && codes.includes(err.code);
}

/**
 * How a refused invite is told: a refused note or address at its field (which keeps it
 * to be mended), anything else in the form's line (returned).
 */
function inviteRefusal(err: unknown, atNote: (message: string) => void, atEmail: (message: string) => void) {
  if (emailRefused(err)) atEmail("This is not an email address the invite can be sent to: check it for typos.");
  else if (addressHasAWayIn(err)) atEmail(`No invite sent: ${err.detail}.`);
  else if (noteRefused(err))
    atNote(`A note is one line of at most ${LIMITS.inviteNote} characters, without tabs or other control characters.`);
  else if (err instanceof ApiError && err.status === 429) return invitesMailedTooFast(err.retryAfter);
  else return `Could not create an invite: ${errorMessage(err)}`;
  return null;
}

/** Too many invites mailed in a minute (`invite_mail_throttled`): how long to wait, in plain words. */
function invitesMailedTooFast(seconds: number | null): string {
  const when = seconds === null ? "in a minute" : `in ${waitInWords(seconds)}`;
  return `Could not create an invite: too many were mailed in a minute. Try again ${when}.`;
}

/** How an invite is named to a person: by its note, else by when it was made. */
function inviteName(invite: InviteView): string {
  return invite.note ? `the invite “${invite.note}”` : `the invite created ${formatDate(invite.created_at)}`;
}

/**
 * What became of a used invite: who used it, by the account as it is now, or that
 * the account has since been deleted.
 */
function usedBy(invite: InviteView): string {
  const on = formatDate(invite.used_at);
  const account = invite.used_by_account;
  if (account) {
    const name = account.display_name ? ` (${account.display_name})` : "";
    return `Used by ${account.email}${name} on ${on}`;
  }
  return invite.used_by_deleted ? `Used on ${on} by an account since deleted` : `Used on ${on}`;
}

/** Who made the invite, in words. */
function madeBy(invite: InviteView): string {
  return `Made by ${invite.created_by_name ?? "an account since deleted"}`;
}

/**
 * When and why a revoked invite stopped, and what to do about it: one withdrawn because its
 * maker lost their admin rights is no admin's deliberate revoke, and its person may still
 * be waiting to join.
 */
function whyRevoked(invite: InviteView): string | null {
  if (invite.status !== "revoked" || !invite.revoked_at) return null;
  const on = formatDate(invite.revoked_at);
  switch (invite.revoked_reason) {
    case "maker_no_longer_admin":
      return `Withdrawn ${on}: ${invite.created_by_name ?? "its maker"} is no longer an admin. If this person should still join, invite them again.`;
    case "invitee_joined":
      return `Withdrawn ${on}: ${invite.mailed_to ?? "the person it was mailed to"} has joined, so this spare invite no longer works.`;
    default:
      return `Revoked ${on} by ${invite.revoked_by_name ?? "an admin"}.`;
  }
}

/**
 * The invites' list, read by the Users page: it reads it again when the page changed an
 * account (who used an invite; a demoted admin's withdrawn).
 */
export function useInvites(): AsyncResult<InviteView[]> {
  return useAsync(useCallback((signal: AbortSignal) => listInvites(signal), []));
}

/**
 * Invite codes for invite-only registration: create one (its code is shown
 * once, to hand over), see which are active, used or expired, revoke one.
 */
export function InvitesPanel({ listed }: { listed: AsyncResult<InviteView[]> }) {
  const { data: invites, error, loading, reload } = listed;
  const [created, setCreated] = useState<InviteCreated | null>(null);
  const action = useAction();
  const config = useAuthConfig();
  const busy = action.running !== null;

  // A revoked invite keeps its row, without the focused Revoke: the focus goes to this instead.
  const [revoked, setRevoked] = useState<string | null>(null);
  const revoke = (invite: InviteView) =>
    action.run(invite.id, "Could not revoke the invite", async () => {
      setRevoked(null);
      await revokeInvite(invite.id);
      if (created?.id === invite.id) setCreated(null);
      reload();
      setRevoked(`Revoked ${inviteName(invite)}: its code no longer works.`);
    });

  return (
    <section aria-labelledby="invites-title" className="invites">
      <h2 id="invites-title">Invites</h2>
      <RegistrationModeNote mode={config?.registration_mode} />
      <NewInviteForm
        action={action}
        mailOn={config?.mail ?? false}
        onCreated={(invite) => {
          setCreated(invite);
          reload();
        }}
      />
      {created && <CreatedInvite invite={created} />}
      <FormError message={action.error} />
      <DoneNotice message={revoked} />
      {loading && <p role="status">Loading…</p>}
      <ErrorMessage error={error} onRetry={reload} />
      {invites && <InviteLists invites={invites} busy={busy} onRevoke={(invite) => void revoke(invite)} />}
    </section>
  );
}

/**
 * The invites still usable, each revocable, then those used, revoked or expired, folded
 * away: a class's hundred used invites would bury the few codes still to hand over.
 */
function InviteLists({
  invites,
  busy,
  onRevoke,
}: {
  invites: InviteView[];
  busy: boolean;
  onRevoke: (invite: InviteView) => void;
}) {
  const usable = invites.filter((invite) => invite.status === "active");
  const over = invites.filter((invite) => invite.status !== "active");
  const item = (invite: InviteView) => <InviteItem invite={invite} busy={busy} onRevoke={() => onRevoke(invite)} />;
  return (
    <>
      <RevocableList label="Invites" empty={over.length > 0 ? "No active invites." : "No invites yet."} items={usable}>
        {item}
      </RevocableList>
      {over.length > 0 && (
        <details className="invites-over" data-testid="invites-over">
          <summary>Used, revoked and expired ({over.length})</summary>
          <RevocableList label="Used, revoked and expired invites" empty="" items={over}>
            {item}
          </RevocableList>
        </details>
      )}
    </>
  );
}

/** What the new-invite form takes; `mailOn`: whether the server sends mail (the field to mail the link is there only then). */
type NewInviteProps = { action: Action; mailOn: boolean; onCreated: (invite: InviteCreated) => void };

/**
 * Makes an invite: a note that tells it apart in the list (optional, one line,
 * the API's limit), how long it is valid, Create. A refused note is told at its
 * field, which keeps it to be mended; a made invite empties it.
 */
function NewInviteForm({ action, mailOn, onCreated }: NewInviteProps) {
  const [hours, setHours] = useState<number>(168);
  const [note, setNote] = useState("");
  const [noteError, setNoteError] = useState<string | null>(null);
  const [email, setEmail] = useState("");
  const [emailError, setEmailError] = useState<string | null>(null);

  const refused = (err: unknown) => inviteRefusal(err, setNoteError, setEmailError);
  const create = (event: FormEvent) => {
    event.preventDefault();
    setNoteError(null);
    setEmailError(null);
    return action.run("create", refused, async () => {
      onCreated(await createInvite(hours, note, mailOn ? email : ""));
      setNote("");
      setEmail("");
    });
  };

  return (
    <form className="toolbar" aria-label="New invite" onSubmit={(e) => void create(e)}>
      <InputField
        label="Note (optional)"
        className="grow"
        type="text"
        placeholder="e.g. for Alice, video club"
        maxLength={LIMITS.inviteNote}
        error={noteError}
        value={note}
        onChange={(value) => {
          setNote(value);
          setNoteError(null);
        }}
      />
      {mailOn && (
        <MailToField
          value={email}
          error={emailError}
          onChange={(value) => {
            setEmail(value);
            setEmailError(null);
          }}
        />
      )}
      <SelectField
        label="Valid for"
        value={String(hours)}
        choices={LIFETIMES.map((l) => ({ value: String(l.hours), label: l.label }))}
        onChange={(value) => setHours(Number(value))}
      />
      <SubmitButton className="button primary" busy={action.running !== null}>
        Create invite
      </SubmitButton>
    </form>
  );
}

/** Where the server is to mail a new invite's link (blank: the admin hands it over). */
function MailToField({ value, error, onChange }: { value: string; error: string | null; onChange: (value: string) => void }) {
  return (
    <InputField
      label="Email it to (optional)"
      className="grow"
      type="email"
      placeholder="e.g. alice@example.org"
      maxLength={LIMITS.email}
      error={error}
      value={value}
      onChange={onChange}
    />
  );
}

/** A new invite's code and link, shown only once: the server keeps no copy to show again. */
function CreatedInvite({ invite }: { invite: InviteCreated }) {
  return (
    <OneTimeNotice testId="invite-created" what="invite link" link={absoluteUrl(invite.link_path)}>
      Invite code <code>{invite.code}</code>
      {invite.note && ` (${invite.note})`}, valid until {formatDate(invite.expires_at)}.{" "}
      {invite.mailed_to
        ? `Its link is on its way to ${invite.mailed_to}. It is shown only now, in case the mail goes astray:`
        : "It is shown only now: hand it over, or this link:"}
    </OneTimeNotice>
  );
}

/**
 * A secret handed over once (an invite, a password-reset link): what it is,
 * then the link to pass on. The server keeps no copy to show it again. Its Copy button says
 * `what` it copies: the Users page can show an invite's and a reset's one under the other.
 */
export function OneTimeNotice({ testId, what, link, children }: { testId: string; what: string; link: string; children: ReactNode }) {
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
          Copy {what}
        </button>
      </p>
      {outcome !== null && (
        <p className="small">{outcome ? "Copied." : "This browser would not copy it: select the link and copy it."}</p>
      )}
    </div>
  );
}

/**
 * An invite, named by its note, and its state: who used it, or when it expires;
 * an active one can be revoked.
 */
function InviteItem({ invite, busy, onRevoke }: { invite: InviteView; busy: boolean; onRevoke: () => void }) {
  const created = formatDate(invite.created_at);
  const why = whyRevoked(invite);
  return (
    <RevocableItem
      testId="invite"
      name={invite.note ?? "Invite without a note"}
      badge={<span className="badge">{STATUS_LABELS[invite.status]}</span>}
      when={
        `${madeBy(invite)} · ` +
        (invite.mailed_to ? `Mailed to ${invite.mailed_to} · ` : "") +
        (invite.status === "used"
          ? `${usedBy(invite)} · created ${created}`
          : `Created ${created} · expires ${formatDate(invite.expires_at)}`)
      }
      details={
        why && (
          <p className="small" data-testid="invite-why">
            {why}
          </p>
        )
      }
      action={
        invite.status === "active" && (
          <RevokeButton
            label={`Revoke ${inviteName(invite)}`}
            busy={busy}
            onRevoke={onRevoke}
          />
        )
      }
    />
  );
}
