import type { Role } from "../api/auth";
import type { UserView } from "../api/schema";
import { useAuth } from "../auth/useAuth";
import { ActionButton } from "../components/ActionButton";
import { StackedTable } from "../components/StackedTable";
import { formatAge, formatDate } from "../lib/format";
import type { UserActions } from "./useUserActions";

/**
 * One page of users, a row each, with their role and what can be done to
 * them. An administrator's own row offers nothing: nobody locks themselves out.
 */
export function UsersTable({
  users,
  actions,
  onRole,
  onDelete,
  onDisable,
  onEmail,
  onTwoFactorOff,
}: {
  users: UserView[];
  actions: UserActions;
  /** A role was chosen: the page asks before it is given. */
  onRole: (user: UserView, role: Role) => void;
  onDelete: (user: UserView) => void;
  /** Disable was pressed: the page asks first (enabling again does not). */
  onDisable: (user: UserView) => void;
  /** Email was pressed: the page asks for the new one. */
  onEmail: (user: UserView) => void;
  /** Turn off two-factor was pressed: the page asks first. */
  onTwoFactorOff: (user: UserView) => void;
}) {
  const { user: me } = useAuth();
  return (
    <StackedTable caption="Users" columns={["Email", "Name", "Joined", "Role", "Actions"]}>
      {users.map((u) => (
        <UserRow
          key={u.id}
          user={u}
          self={u.id === me?.id}
          actions={actions}
          onRole={(role) => onRole(u, role)}
          onDelete={() => onDelete(u)}
          onDisable={() => onDisable(u)}
          onEmail={() => onEmail(u)}
          onTwoFactorOff={() => onTwoFactorOff(u)}
        />
      ))}
    </StackedTable>
  );
}

/** A user's row; each cell is labelled for the phone layout, where the table stacks. */
function UserRow(props: {
  user: UserView;
  self: boolean;
  actions: UserActions;
  onRole: (role: Role) => void;
  onDelete: () => void;
  onDisable: () => void;
  onEmail: () => void;
  onTwoFactorOff: () => void;
}) {
  const { user, self, actions, onRole, onDelete, onDisable, onEmail, onTwoFactorOff } = props;
  const saving = actions.saving === user.id;
  return (
    <tr>
      <td data-label="Email">
        {user.email}
        {/* Why this row's role is greyed out and it has no actions. */}
        {self && <span className="muted"> (you)</span>}
        {user.disabled && <span className="badge failed">Disabled</span>}
        {user.two_factor && <span className="badge published">Two-factor on</span>}
      </td>
      <td data-label="Name">{user.display_name ?? ""}</td>
      <td data-label="Joined">
        {formatDate(user.created_at)}
        <LastSignedIn at={user.last_signed_in_at} />
      </td>
      <td data-label="Role">
        <RoleSelect user={user} self={self} disabled={saving} onChange={onRole} />
      </td>
      <td data-label="Actions">
        {!self && <UserRowActions {...{ user, saving, actions, onDelete, onDisable, onEmail, onTwoFactorOff }} />}
      </td>
    </tr>
  );
}

/** When the user last signed in, how long ago (the exact time as its title), or that they never have: who never came, who is active. */
function LastSignedIn({ at }: { at: string | null }) {
  if (at === null) return <div className="muted">Never signed in</div>;
  return (
    <div className="muted">
      Last signed in{" "}
      <time dateTime={at} title={formatDate(at)}>
        {formatAge(at)}
      </time>
    </div>
  );
}

/** What can be done to another user's account, a button each (some ask first: the page's dialogs). */
function UserRowActions(props: {
  user: UserView;
  saving: boolean;
  actions: UserActions;
  onDelete: () => void;
  onDisable: () => void;
  onEmail: () => void;
  onTwoFactorOff: () => void;
}) {
  const { user, saving, actions, onDelete, onDisable, onEmail, onTwoFactorOff } = props;
  const toggle = user.disabled ? "Enable" : "Disable";
  const issueReset = () => actions.issueReset(user);
  const toggleDisabled = user.disabled ? () => actions.enable(user) : onDisable;
  return (
    <div className="button-row">
      <ActionButton
        label={`${toggle} ${user.email}`}
        busy={saving}
        toggle
        onClick={toggleDisabled}
      >
        {toggle}
      </ActionButton>
      <ActionButton label={`Change the email of ${user.email}`} busy={saving} onClick={onEmail}>
        Email
      </ActionButton>
      <ActionButton label={`Password-reset link for ${user.email}`} busy={saving} onClick={issueReset}>
        Reset link
      </ActionButton>
      {user.two_factor && (
        <ActionButton
          label={`Turn off two-factor authentication of ${user.email}`}
          busy={saving}
          onClick={onTwoFactorOff}
        >
          Turn off two-factor
        </ActionButton>
      )}
      <ActionButton label={`Delete ${user.email}`} className="button danger" busy={saving} onClick={onDelete}>
        Delete
      </ActionButton>
    </div>
  );
}

/**
 * A user's role; choosing another asks first (the select shows the role the user has until it
 * is given), since an arrow key on the focused select chooses one. Nobody changes their own.
 */
function RoleSelect(props: { user: UserView; self: boolean; disabled: boolean; onChange: (role: Role) => void }) {
  const { user, self, disabled, onChange } = props;
  return (
    <>
      <label className="visually-hidden" htmlFor={`role-${user.id}`}>
        Role of {user.email}
      </label>
      <select
        id={`role-${user.id}`}
        value={user.role}
        disabled={disabled || self}
        title={self ? "You cannot change your own role" : undefined}
        onChange={(e) => onChange(e.target.value as Role)}
      >
        <option value="viewer">Viewer</option>
        <option value="admin">Admin</option>
      </select>
    </>
  );
}
