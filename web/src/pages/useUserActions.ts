import { useState } from "react";
import {
  deleteUser,
  disableUser,
  enableUser,
  issuePasswordReset,
  setUserRole,
  turnOffUserTwoFactor,
  type Role,
} from "../api/auth";
import type { PasswordResetCreated, UserPage, UserView } from "../api/schema";
import type { AsyncResult } from "../lib/useAsync";
import { useAction } from "../lib/useAction";

/** A password-reset link just issued for a user. */
export interface ResetLink {
  email: string;
  link: PasswordResetCreated;
  /** The account is disabled: the new password works once it is enabled again. */
  disabled: boolean;
}

/** What an administrator can do to a user, row by row; UsersTable's buttons call these. */
export interface UserActions {
  /** The id of the user whose row is being changed, else null. */
  saving: string | null;
  error: string | null;
  /** The last reset link issued, shown until the page is left or its user is deleted. */
  reset: ResetLink | null;
  /** The last deletion, email change or two-factor turned off that went through, in words ("Deleted …"), else null. */
  done: string | null;
  changeRole: (user: UserView, role: Role) => void;
  /** `user`'s email was changed (in the email dialog, which tells its own refusals): `updated` is them now. */
  emailChanged: (user: UserView, updated: UserView) => void;
  disable: (user: UserView) => void;
  enable: (user: UserView) => void;
  issueReset: (user: UserView) => void;
  remove: (user: UserView) => void;
  /** Turns off the two-factor authentication of someone who lost their phone and recovery codes. */
  turnOffTwoFactor: (user: UserView) => void;
}

/**
 * The actions on users' rows: each answer replaces its row in the page
 * (`setData`), a deletion removes it, a failure is told with the user's email.
 * `onAccountChanged` hears each account changed (a role, an email, disabled or enabled,
 * deleted): what the invites say changes with them (whose account used one, by its email;
 * an admin's withdrawn).
 */
export function useUserActions(
  setData: AsyncResult<UserPage>["setData"],
  onAccountChanged: () => void,
): UserActions {
  const { running, error, run } = useAction();
  const [reset, setReset] = useState<ResetLink | null>(null);
  const [done, setDone] = useState<string | null>(null);

  /** Runs one action on a user's row; `action` answers the new row, or null when it is gone. */
  function act(user: UserView, what: string, action: () => Promise<UserView | null>, changesAccount = true) {
    void run(user.id, `Could not ${what} ${user.email}`, async () => {
      const updated = await action();
      setData((page) => (updated === null ? withoutRow(page, user.id) : withRow(page, updated)));
      if (changesAccount) onAccountChanged();
    });
  }

  return {
    saving: running,
    error,
    reset,
    done,
    changeRole: (user, role) => act(user, "change the role of", () => setUserRole(user.id, role)),
    emailChanged: (user, updated) => {
      setData((page) => withRow(page, updated));
      // A reset link on show names the account by the email it now signs in with.
      setReset((shown) => (shown?.email === user.email ? { ...shown, email: updated.email } : shown));
      setDone(`${user.email} now signs in as ${updated.email}.`);
      onAccountChanged();
    },
    disable: (user) => act(user, "disable", () => disableUser(user.id)),
    enable: (user) => act(user, "enable", () => enableUser(user.id)),
    issueReset: (user) =>
      act(
        user,
        "create a reset link for",
        async () => {
          setReset({ email: user.email, link: await issuePasswordReset(user.id), disabled: user.disabled ?? false });
          return user;
        },
        false,
      ),
    remove: (user) =>
      act(user, "delete", async () => {
        await deleteUser(user.id);
        // A reset link of a deleted account opens nothing: it no longer stays on show.
        setReset((shown) => (shown?.email === user.email ? null : shown));
        setDone(`Deleted ${user.email}.`);
        return null;
      }),
    turnOffTwoFactor: (user) =>
      act(user, "turn off two-factor authentication of", async () => {
        await turnOffUserTwoFactor(user.id);
        setDone(`Two-factor authentication of ${user.email} is off: ${TWO_FACTOR_OFF_MEANS}`);
        return { ...user, two_factor: false };
      }, false),
  };
}

/** What an administrator turning off someone's two-factor authentication means for them. */
const TWO_FACTOR_OFF_MEANS = "they sign in with their password alone until they set it up again.";

function withRow(page: UserPage, updated: UserView): UserPage {
  return { ...page, items: page.items.map((u) => (u.id === updated.id ? updated : u)) };
}

function withoutRow(page: UserPage, id: string): UserPage {
  return { ...page, items: page.items.filter((u) => u.id !== id), total: page.total - 1 };
}
