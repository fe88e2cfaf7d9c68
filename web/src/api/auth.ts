import { api, request, requestChange } from "./client";
import type {
  AuthConfig,
  EmailConfirmed,
  InviteCreated,
  InviteView,
  PasswordResetAccount,
  PasswordResetCreated,
  PendingEmailView,
  RecoveryCodes,
  RegisterRequest,
  SessionView,
  TwoFactorSetup,
  TwoFactorStatus,
  UserChange,
  Unsubscribed,
  UserPage,
  UserView,
} from "./schema";

export type Role = NonNullable<UserChange["role"]>;

export function register(input: RegisterRequest): Promise<UserView> {
  return request(() => api.POST("/api/v1/auth/register", { body: input }), "none");
}

export function getMe(signal?: AbortSignal): Promise<UserView> {
  return request((headers) => api.GET("/api/v1/auth/me", { headers, signal }));
}

/**
 * Signs this session out on the server. The refresh cookie goes along (cookie mode): while
 * the server cannot check access tokens, it still signs the session out by it and answers
 * 503 `sign_out_incomplete`.
 */
export async function logout(): Promise<void> {
  await request((headers) =>
    api.POST("/api/v1/auth/logout", { headers: { ...headers, "X-Refresh-Cookie": "1" } }),
  );
}

/** Signs every session of the account out on the server; the refresh cookie goes along, as for logout. */
export async function logoutAll(): Promise<void> {
  await request((headers) =>
    api.POST("/api/v1/auth/logout-all", { headers: { ...headers, "X-Refresh-Cookie": "1" } }),
  );
}

export async function listSessions(signal?: AbortSignal): Promise<SessionView[]> {
  const body = await request((headers) => api.GET("/api/v1/auth/sessions", { headers, signal }));
  return body.items;
}

export async function revokeSession(id: string): Promise<void> {
  await requestChange("signing out a session", (headers) =>
    api.DELETE("/api/v1/auth/sessions/{session_id}", { headers, params: { path: { session_id: id } } }),
  );
}

/** A page of users: all, those whose email contains `q`, or those `ids` names. */
export function listUsers(
  query: { limit: number; offset: number; q?: string; ids?: string[]; role?: Role; disabled?: boolean },
  signal?: AbortSignal,
): Promise<UserPage> {
  const { ids, ...rest } = query;
  const params = { query: { ...rest, q: rest.q || undefined, id: ids } };
  return request((headers) => api.GET("/api/v1/auth/users", { headers, params, signal }));
}

/** An admin's change of a user: their role, their sign-in email, or both. */
export function changeUser(id: string, change: UserChange): Promise<UserView> {
  return requestChange(change.email === undefined ? "changing a user's role" : `changing a user's email to ${change.email}`, (headers) => api.PATCH("/api/v1/auth/users/{user_id}", { headers, params: userPath(id), body: change }));
}

export function setUserRole(id: string, role: Role): Promise<UserView> {
  return changeUser(id, { role });
}

/** Why an invite to an address is refused: it is a member's, or it has an invite still active. */
export const INVITE_REFUSALS = {
  isMember: "invitee_is_member",
  pending: "invite_pending",
} as const;

/**
 * A single-use invite code (shown once) for invite-only registration, with a
 * note that tells it apart in the list (a blank one is not sent: none).
 */
export function createInvite(expiresInHours: number, note = "", email = ""): Promise<InviteCreated> {
  const trimmed = note.trim();
  const to = email.trim();
  const body = { expires_in_hours: expiresInHours, ...(trimmed ? { note: trimmed } : {}), ...(to ? { email: to } : {}) };
  return requestChange(trimmed ? `creating the invite “${trimmed}”` : "creating an invite", (headers) => api.POST("/api/v1/auth/invites", { headers, body }));
}

export async function listInvites(signal?: AbortSignal): Promise<InviteView[]> {
  const body = await request((headers) => api.GET("/api/v1/auth/invites", { headers, signal }));
  return body.items;
}

export async function revokeInvite(id: string): Promise<void> {
  await requestChange("revoking an invite", (headers) =>
    api.DELETE("/api/v1/auth/invites/{invite_id}", { headers, params: { path: { invite_id: id } } }),
  );
}

/** Deletes the caller's own account (the password proves it is them); every session ends. */
export async function deleteAccount(password: string): Promise<void> {
  await requestChange("deleting your account", (headers) => api.POST("/api/v1/auth/me/delete", { headers, body: { password } }));
}

/**
 * Asks to sign in with another email (the current password proves it is them): the server
 * mails a link to it, and the sign-in email changes only when that link is opened.
 */
export function changeEmail(email: string, currentPassword: string): Promise<PendingEmailView> {
  return requestChange(`changing your email to ${email}`, (headers) =>
    api.POST("/api/v1/auth/me/email", { headers, body: { email, current_password: currentPassword } }),
  );
}

/** The email the caller asked to sign in with, while the link mailed to it still works. */
export function getPendingEmail(signal?: AbortSignal): Promise<PendingEmailView> {
  return request((headers) => api.GET("/api/v1/auth/me/email", { headers, signal }));
}

/** Withdraws the link mailed to the email the caller asked for; the sign-in email stays. */
export async function cancelPendingEmail(): Promise<void> {
  await requestChange("cancelling your email change", (headers) => api.DELETE("/api/v1/auth/me/email", { headers }));
}

/**
 * Makes the email a link was mailed to its account's sign-in email (no sign-in needed);
 * throws ApiError `invalid_email_code` for a used, replaced or expired link, `email_taken`.
 */
export function confirmEmail(code: string): Promise<EmailConfirmed> {
  return request(() => api.POST("/api/v1/auth/email-confirmations", { body: { code } }), "none");
}

/**
 * Turns one kind of mail off with the one-click link its mail carried (no sign-in needed),
 * posting what a mail provider posts (RFC 8058); throws ApiError `invalid_unsubscribe_link`
 * for a link altered or stale (the account's email changed since), `account_not_found`.
 */
export function unsubscribe(kind: MailChoice, token: string): Promise<Unsubscribed> {
  return request(
    () =>
      api.POST("/api/v1/auth/unsubscribe", {
        params: { query: { kind, token } },
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: { "List-Unsubscribe": "One-Click" },
        bodySerializer: (body) => new URLSearchParams(body),
      }),
    "none",
  );
}

/** Changes the caller's password; the server signs out every other session. */
export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  await requestChange("changing your password", (headers) =>
    api.POST("/api/v1/auth/password", {
      headers,
      body: { current_password: currentPassword, new_password: newPassword },
    }),
  );
}

export function changeProfile(displayName: string | null): Promise<UserView> {
  return requestChange("changing your display name", (headers) => api.PATCH("/api/v1/auth/me", { headers, body: { display_name: displayName } }));
}

/** The caller's mail choices: replies to their comments, and (admins alone) what needs an admin. */
export type MailChoice = Unsubscribed["kind"];

/** Whether the caller is mailed of `choice`'s news. */
export function changeMailChoice(choice: MailChoice, on: boolean): Promise<UserView> {
  const what = choice === "reply_mail" ? "reply emails" : "administrator emails";
  return requestChange(`turning ${what} ${on ? "on" : "off"}`, (headers) => api.PATCH("/api/v1/auth/me", { headers, body: { [choice]: on } }));
}

/** Sets a new password with a single-use reset code an admin handed over. */
export async function resetPassword(code: string, newPassword: string): Promise<void> {
  await request(() => api.POST("/api/v1/auth/password-reset", { body: { code, new_password: newPassword } }), "none");
}

/**
 * The account a reset code is for, while the code can still be used; throws ApiError
 * `invalid_reset_code` when not. Never uses it up.
 */
export function checkResetCode(code: string, signal?: AbortSignal): Promise<PasswordResetAccount> {
  return request(() => api.POST("/api/v1/auth/password-reset/check", { body: { code }, signal }), "none");
}

/**
 * Asks for a reset link by mail ("Forgot your password?"). The server answers alike whether
 * or not an account has the email; throws ApiError `reset_throttled` (429) when asked too often.
 */
export async function requestPasswordResetMail(email: string): Promise<void> {
  await request(() => api.POST("/api/v1/auth/password-reset/request", { body: { email } }), "none");
}

function userPath(id: string) {
  return { path: { user_id: id } };
}

export function disableUser(id: string): Promise<UserView> {
  return requestChange("disabling a user", (headers) => api.POST("/api/v1/auth/users/{user_id}/disable", { headers, params: userPath(id) }));
}

export function enableUser(id: string): Promise<UserView> {
  return requestChange("enabling a user", (headers) => api.POST("/api/v1/auth/users/{user_id}/enable", { headers, params: userPath(id) }));
}

export async function deleteUser(id: string): Promise<void> {
  await requestChange("deleting a user", (headers) => api.DELETE("/api/v1/auth/users/{user_id}", { headers, params: userPath(id) }));
}

/** A single-use password-reset code for a user, with the SPA path that takes it. */
export function issuePasswordReset(id: string): Promise<PasswordResetCreated> {
  return requestChange("making a password-reset link", (headers) =>
    api.POST("/api/v1/auth/users/{user_id}/password-reset", { headers, params: userPath(id) }),
  );
}

/** Whether the caller's sign-in needs a code from an authenticator app, and how many recovery codes are left. */
export function getTwoFactor(signal?: AbortSignal): Promise<TwoFactorStatus> {
  return request((headers) => api.GET("/api/v1/auth/me/two-factor", { headers, signal }));
}

/** Starts (or starts again) setting up an authenticator app: its key, and the link its QR code holds. */
export function startTwoFactor(password: string): Promise<TwoFactorSetup> {
  return requestChange("setting up two-factor authentication", (headers) =>
    api.POST("/api/v1/auth/me/two-factor/setup", { headers, body: { password } }),
  );
}

/** Turns two-factor authentication on with the app's first code: the recovery codes, shown only now. */
export async function enableTwoFactor(code: string): Promise<string[]> {
  const body: RecoveryCodes = await requestChange("turning on two-factor authentication", (headers) =>
    api.POST("/api/v1/auth/me/two-factor/enable", { headers, body: { code } }),
  );
  return body.codes;
}

/** Turns two-factor authentication off (the password and a code prove it is them). */
export async function disableTwoFactor(password: string, code: string): Promise<void> {
  await requestChange("turning off two-factor authentication", (headers) =>
    api.POST("/api/v1/auth/me/two-factor/disable", { headers, body: { password, code } }),
  );
}

/** A new set of recovery codes (the old ones stop working), shown only now. */
export async function renewRecoveryCodes(password: string, code: string): Promise<string[]> {
  const body = await requestChange("making new recovery codes", (headers) =>
    api.POST("/api/v1/auth/me/two-factor/recovery-codes", { headers, body: { password, code } }),
  );
  return body.codes;
}

/** An admin turns a user's two-factor authentication off (they lost their phone and recovery codes). */
export async function turnOffUserTwoFactor(id: string): Promise<void> {
  await requestChange("turning off a user's two-factor authentication", (headers) =>
    api.DELETE("/api/v1/auth/users/{user_id}/two-factor", { headers, params: userPath(id) }),
  );
}

/** How this server lets people register (open, invite-only or closed), whether guests may browse, its name. */
export function getAuthConfig(signal?: AbortSignal): Promise<AuthConfig> {
  return request(() => api.GET("/api/v1/auth/config", { signal }), "none");
}
