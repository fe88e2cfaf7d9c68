import { useCallback, useState, type FormEvent } from "react";
import { listUsers, type Role } from "../api/auth";
import { countShareLinksMadeBy } from "../api/shares";
import { countCommentsBy } from "../api/moderation";
import type { UserView } from "../api/schema";
import { ConfirmDialog, type ConfirmAnswers } from "../components/ConfirmDialog";
import { DoneNotice } from "../components/FocusedMessage";
import { ErrorMessage, FormError } from "../components/ErrorMessage";
import { KeptRows, LoadingLine } from "../components/KeptRows";
import { Pagination } from "../components/Pagination";
import { LIMITS } from "../api/limits";
import { formatDate } from "../lib/format";
import { useAsync, type AsyncResult } from "../lib/useAsync";
import { useRestoredScroll } from "../lib/scrollMemory";
import { SearchField, SelectField } from "../components/Field";
import { chosen, pageParam, useDraft, useUrlQuery, type QueryChanges } from "../lib/urlQuery";
import { InvitesPanel, OneTimeNotice, useInvites } from "./Invites";
import { useUserActions, type ResetLink, type UserActions } from "./useUserActions";
import { UserEmailDialog } from "./UserEmailDialog";
import { UsersTable } from "./UsersTable";
import { SubmitButton } from "../components/SubmitButton";
import { absoluteUrl } from "../lib/paths";

const PAGE_SIZE = 50;

/** The role filter's choices (`?role=`). */
const ROLES: readonly { value: Role; label: string }[] = [
  { value: "admin", label: "Admins" },
  { value: "viewer", label: "Viewers" },
];
/** The account filter's choices (`?disabled=`, as the API names it). */
const ACCOUNTS = [
  { value: "false", label: "Enabled" },
  { value: "true", label: "Disabled" },
] as const;

/** The users list as the address asks for it: search, filters and page (so Back and a reload keep them). */
interface UsersQuery {
  q: string;
  role: Role | undefined;
  disabled: "true" | "false" | undefined;
  page: number;
}

function usersQuery(params: URLSearchParams): UsersQuery {
  return {
    q: params.get("q") ?? "",
    role: chosen(ROLES, params.get("role")),
    disabled: chosen(ACCOUNTS, params.get("disabled")),
    page: pageParam(params),
  };
}

/** Every account, searched by email or name and filtered by role and state, a page at a time. */
export function AdminUsersPage() {
  const [params, setParam] = useUrlQuery();
  const query = usersQuery(params);
  const { q, role, disabled, page } = query;
  const fetchUsers = useCallback(
    (signal: AbortSignal) =>
      listUsers(
        { q, role, disabled: disabled === undefined ? undefined : disabled === "true", limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE },
        signal,
      ),
    [q, role, disabled, page],
  );
  const { data, shown, error, loading, reload, setData } = useAsync(fetchUsers);
  useRestoredScroll(data !== null);
  const invites = useInvites();
  const actions = useUserActions(setData, invites.reload);
  const [question, setQuestion] = useState<UserQuestion | null>(null);
  const turnPage = (p: number) => setParam({ page: p > 1 ? String(p) : null }, { push: true });
  // A new search or filter starts again at page 1, and Back undoes it.
  const filterBy = (changes: QueryChanges) => setParam({ ...changes, page: null }, { push: true });

  return (
    <section className="page" aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      <UserSearch query={query} onChange={filterBy} />
      <LoadingLine loading={loading} />
      <ErrorMessage error={error} onRetry={reload} />
      <FormError message={actions.error} />
      {actions.reset && <ResetLinkNotice reset={actions.reset} />}
      <DoneNotice message={actions.done} />
      {data && data.items.length === 0 && <p className="muted">No users found.</p>}
      {shown && shown.items.length > 0 && (
        <>
          <KeptRows busy={loading}>
            <UsersTable
              users={shown.items}
              actions={actions}
              onRole={(user, role) => setQuestion({ kind: "role", user, role })}
              onDelete={(user) => setQuestion({ kind: "delete", user })}
              onDisable={(user) => setQuestion({ kind: "disable", user })}
              onEmail={(user) => setQuestion({ kind: "email", user })}
              onTwoFactorOff={(user) => setQuestion({ kind: "two-factor-off", user })}
            />
          </KeptRows>
          <Pagination page={page} pageSize={shown.limit} total={shown.total} onPage={turnPage} />
        </>
      )}
      {question && (
        <UserQuestionDialog question={question} actions={actions} onAsk={setQuestion} onClose={() => setQuestion(null)} />
      )}
      <InvitesPanel listed={invites} />
    </section>
  );
}

/**
 * What the page asks before acting on an account (deleting, disabling, changing its role or
 * email, turning off its two-factor authentication).
 */
type UserQuestion =
  | { kind: "delete" | "disable" | "email" | "two-factor-off"; user: UserView }
  | { kind: "role"; user: UserView; role: Role };

/** The dialog asking `question`; confirmed, it closes and the action runs (its row shows it). */
function UserQuestionDialog({
  question,
  actions,
  onAsk,
  onClose,
}: {
  question: UserQuestion;
  actions: UserActions;
  /** Asks another question instead (deleting's "Disable instead"). */
  onAsk: (question: UserQuestion) => void;
  onClose: () => void;
}) {
  const { user } = question;
  const confirmed = (act: () => void) => () => {
    onClose();
    act();
  };
  switch (question.kind) {
    case "delete":
      return (
        <DeleteUserDialog
          user={user}
          busy={actions.saving === user.id}
          onConfirm={confirmed(() => actions.remove(user))}
          onCancel={onClose}
          onDisable={() => onAsk({ kind: "disable", user })}
        />
      );
    case "disable":
      return <DisableUserDialog user={user} onConfirm={confirmed(() => actions.disable(user))} onCancel={onClose} />;
    case "two-factor-off":
      return (
        <TwoFactorOffDialog user={user} onConfirm={confirmed(() => actions.turnOffTwoFactor(user))} onCancel={onClose} />
      );
    case "email":
      return (
        <UserEmailDialog
          user={user}
          onChanged={(updated) => {
            onClose();
            actions.emailChanged(user, updated);
          }}
          onCancel={onClose}
        />
      );
    case "role":
      return (
        <RoleDialog
          user={user}
          role={question.role}
          onConfirm={confirmed(() => actions.changeRole(user, question.role))}
          onCancel={onClose}
        />
      );
  }
}

/** The search over users' emails and names, applied when submitted, and the role and account filters. */
function UserSearch({ query, onChange }: { query: UsersQuery; onChange: (changes: QueryChanges) => void }) {
  const [text, setText] = useDraft(query.q);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    onChange({ q: text.trim() });
  }

  return (
    <form className="toolbar" role="search" onSubmit={onSubmit}>
      <SelectField
        label="Role"
        value={query.role ?? ""}
        choices={[{ value: "", label: "Any" }, ...ROLES]}
        onChange={(value) => onChange({ role: value })}
      />
      <SelectField
        label="Account"
        value={query.disabled ?? ""}
        choices={[{ value: "", label: "Any" }, ...ACCOUNTS]}
        onChange={(value) => onChange({ disabled: value })}
      />
      <SearchField maxLength={LIMITS.email} value={text} onChange={setText} />
      <SubmitButton>Search</SubmitButton>
    </form>
  );
}

/** A reset link is shown once, when issued: the administrator hands it over. */
function ResetLinkNotice({ reset }: { reset: ResetLink }) {
  return (
    <OneTimeNotice testId="reset-link" what="password-reset link" link={absoluteUrl(reset.link.link_path)}>
      Password-reset link for {reset.email}, valid once until {formatDate(reset.link.expires_at)}. It is shown only
      now: hand it over.
      {reset.disabled && " The account is disabled: the new password lets them sign in once it is enabled again."}
    </OneTimeNotice>
  );
}

/** What an admin's demotion, disabling or deletion also does (auth withdraws what they issued). */
const CODES_WITHDRAWN =
  "The invite codes and password-reset links they made that no one has used stop working, and stay so if they are made an admin again.";

/**
 * What else stops with an admin's rights, each sentence after a space: the codes auth withdraws,
 * and the share links the catalogue stops for good (other sites may embed them), whose count is
 * read as the dialog opens.
 */
function WhatStopsWithThem({ user }: { user: UserView }) {
  const made = useAsync(useCallback((signal: AbortSignal) => countShareLinksMadeBy(user.id, signal), [user.id]));
  return (
    <>
      {` ${CODES_WITHDRAWN}`}
      {sharesStopped(made)}
    </>
  );
}

/** The sentence on the share links that stop for good: none said for none; a failed count blocks nothing. */
function sharesStopped({ data: count, loading }: AsyncResult<number>): string {
  if (loading) return " Counting the share links they made…";
  if (count === null) return " Their share links stop working too.";
  if (count === 0) return "";
  if (count === 1) {
    return " The share link they made stops working for good (make a new one if its video should stay shared).";
  }
  return ` The ${count} share links they made stop working for good (make new ones for videos that should stay shared).`;
}

/**
 * Asks before a role is given: an arrow key on the focused select used to make a viewer an
 * admin at once, unasked and unannounced.
 */
function RoleDialog({ user, role, ...answers }: ConfirmAnswers & { user: UserView; role: Role }) {
  const admin = role === "admin";
  return (
    <ConfirmDialog
      title={admin ? "Make this user an admin?" : "Make this admin a viewer?"}
      confirmLabel={admin ? "Make admin" : "Make viewer"}
      destructive={!admin}
      {...answers}
    >
      <p>
        {admin
          ? `${user.email} will be able to upload, edit and delete videos and manage every account.`
          : `${user.email} will no longer reach the library, uploads or user management.`}
        {!admin && <WhatStopsWithThem user={user} />}
      </p>
    </ConfirmDialog>
  );
}

/**
 * Asks before disabling an account: it signs the user out on every device at once, so a
 * stray click (F27) cost someone their session. Enabling again asks nothing.
 */
function DisableUserDialog({ user, ...answers }: ConfirmAnswers & { user: UserView }) {
  return (
    <ConfirmDialog title="Disable this account?" confirmLabel="Disable" destructive {...answers}>
      <p>
        {user.email} is signed out everywhere and cannot sign in until the account is enabled again. Their videos,
        playlists and watch data are kept.{user.role === "admin" && <WhatStopsWithThem user={user} />}
      </p>
    </ConfirmDialog>
  );
}

/**
 * Asks before turning off a user's two-factor authentication (they lost their phone and their
 * recovery codes): their password alone then signs in, so make sure it is them who asked.
 */
function TwoFactorOffDialog({ user, ...answers }: ConfirmAnswers & { user: UserView }) {
  return (
    <ConfirmDialog title="Turn off two-factor authentication?" confirmLabel="Turn off" destructive {...answers}>
      <p>
        {user.email} will sign in with their password alone, and their recovery codes stop working, until they set it
        up again. Do this only when you are sure it is them who lost their phone.
      </p>
    </ConfirmDialog>
  );
}

/**
 * Asks before deleting an account: it cannot be undone. Says how many comments go with it,
 * and offers disabling instead (for an enabled account), which keeps them and can be undone.
 */
function DeleteUserDialog({ user, onDisable, ...answers }: ConfirmAnswers & { user: UserView; onDisable: () => void }) {
  const written = useAsync(useCallback((signal: AbortSignal) => countCommentsBy(user.id, signal), [user.id]));
  return (
    <ConfirmDialog title="Delete this account?" confirmLabel="Delete" destructive {...answers}>
      <p>
        {user.email} is signed out everywhere and their account, sessions and watch data are removed.{" "}
        {commentsThatGo(written)} This cannot be undone.
        {user.role === "admin" && <WhatStopsWithThem user={user} />}
      </p>
      {!user.disabled && (
        <p>
          Disable keeps their comments and lets you undo this.{" "}
          <button type="button" className="button" onClick={onDisable}>
            Disable instead
          </button>
        </p>
      )}
    </ConfirmDialog>
  );
}

/** The sentence on the comments a deletion takes: counted when the count came, said plainly when it did not. */
function commentsThatGo({ data: count, loading }: AsyncResult<number>): string {
  if (loading) return "Counting their comments…";
  if (count === null) return "Their comments are deleted; replies other members wrote to them stay, under “Comment removed”.";
  if (count === 0) return "They have written no comments.";
  const which = count === 1 ? "Their 1 comment is deleted" : `Their ${count} comments are deleted`;
  return `${which}; where other members replied, the replies stay, under “Comment removed”.`;
}
