"""Request and response bodies of the auth API (msgspec, with their limits)."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Literal

import msgspec

from streamstack.auth.credentials import (
    DISPLAY_NAME_TEXT,
    EMAIL_TEXT,
    MAX_DISPLAY_NAME_CHARS,
    MAX_EMAIL_CHARS,
    MAX_PASSWORD_CHARS,
    MIN_PASSWORD_CHARS,
)
from streamstack.auth.unsubscribe import MailChoice
from streamstack.contracts.auth import Role
from streamstack.contracts.limits import InviteNote
from streamstack.settings import GuestAccess, RegistrationMode  # the settings' values, as is

# The pattern is the address rule of ``normalize_email``, so the document says what is refused.
Email = Annotated[str, msgspec.Meta(min_length=3, max_length=MAX_EMAIL_CHARS, pattern=EMAIL_TEXT)]
# The lower bound is checked by the service so login can answer "wrong email or password".
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_PASSWORD_CHARS)]
#: A password being chosen: both bounds in the schema, so the SPA's generated limits say
#: them before anything is sent (the service still checks, for the CLI and in-process).
NewPassword = Annotated[
    str, msgspec.Meta(min_length=MIN_PASSWORD_CHARS, max_length=MAX_PASSWORD_CHARS)
]
DisplayName = Annotated[
    str, msgspec.Meta(max_length=MAX_DISPLAY_NAME_CHARS, pattern=DISPLAY_NAME_TEXT)
]
# Our tokens are a few hundred characters; the verifier refuses anything over 4096.
TokenText = Annotated[str, msgspec.Meta(max_length=8192)]
# Invite codes we issue are 22 characters; anything longer is not one of ours.
InviteCode = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
# Reset codes we issue are 32 characters.
ResetCode = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
#: A code from an authenticator app (6 digits) or a recovery code (``xxxxx-xxxxx``), as
#: typed: spaces and dashes are ignored, so some room is left for them.
TwoFactorCode = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
InviteHours = Annotated[int, msgspec.Meta(ge=1, le=30 * 24)]
InviteStatus = Literal["active", "used", "revoked", "expired"]
#: Why a revoked invite stopped: an admin revoked it, its maker is no longer an admin, or the
#: person it was mailed to has an account now.
InviteRevokedReason = Literal["revoked_by_admin", "maker_no_longer_admin", "invitee_joined"]


class RegisterRequest(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /register``."""

    email: Email
    password: NewPassword
    display_name: DisplayName | None = None
    #: Required when registration is by invitation; ignored when it is open.
    invite_code: InviteCode | None = None


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /login``."""

    email: Email
    password: Password
    #: The code of an account with two-factor authentication on (an app's code or a
    #: recovery code); ignored for an account without it.
    code: TwoFactorCode | None = None


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /refresh``; browsers send no body and the token comes from the cookie."""

    refresh_token: TokenText | None = None


class UserChange(msgspec.Struct, forbid_unknown_fields=True):
    """``PATCH /users/{id}``: the user's new role, new sign-in email, or both."""

    role: Role | msgspec.UnsetType = msgspec.UNSET
    email: Email | msgspec.UnsetType = msgspec.UNSET


class EmailChange(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /me/email``: the new sign-in email and the current password."""

    email: Email
    current_password: Password


class PendingEmailView(msgspec.Struct, frozen=True):
    """``POST /me/email`` (202) and ``GET /me/email``: the sign-in email asked for, waiting
    for its owner to open the link mailed to it, and until when that link works; both null
    when none is waiting. ``taken`` when another account signs in with that address now: the
    link can no longer make it the caller's, so they choose another (or cancel)."""

    pending_email: str | None = None
    expires_at: datetime.datetime | None = None
    taken: bool = False


class EmailConfirmation(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /email-confirmations`` (public): the code of the link mailed to a new sign-in
    email (in the body, as URLs end up in logs)."""

    code: ResetCode


class EmailConfirmed(msgspec.Struct, frozen=True):
    """``POST /email-confirmations``: the account's sign-in email from now on, and which
    account that is (so a browser signed in as another one says whose changed). The link's
    holder reads that address's mail, so could reset its password: the id tells them no
    more than they can already reach."""

    email: str
    user_id: uuid.UUID


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /password``: the current password and the new one."""

    current_password: Password
    new_password: NewPassword


class AccountDeletion(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /me/delete``: the account's password, proving its owner asks."""

    password: Password


class ProfileChange(msgspec.Struct, forbid_unknown_fields=True):
    """``PATCH /me``: the display name (null or blank removes it), whether to be mailed when
    someone replies to one's comments, whether an admin is mailed when a video fails to
    transcode or a comment is reported (admins alone: 403 for others), or several; what is
    absent stays as it is."""

    display_name: DisplayName | msgspec.UnsetType | None = msgspec.UNSET
    reply_mail: bool | msgspec.UnsetType = msgspec.UNSET
    admin_mail: bool | msgspec.UnsetType = msgspec.UNSET


class UserView(msgspec.Struct, frozen=True):
    """A user as the API shows it (never the password hash)."""

    id: uuid.UUID
    email: str
    display_name: str | None
    role: str
    created_at: datetime.datetime
    #: When the account last signed in (to the hour: a refresh records it at most hourly);
    #: None if it never has.
    last_signed_in_at: datetime.datetime | None
    #: True while an admin has disabled the account (no sign-in, every token revoked).
    disabled: bool = False
    #: True while sign-in needs a code from an authenticator app besides the password.
    two_factor: bool = False
    #: True while the password is one StreamStack generated and printed (``create-admin``,
    #: the dev admin): its owner should set their own.
    password_generated: bool = False
    #: Whether its owner is mailed when someone replies to their comments (their choice).
    reply_mail: bool = True
    #: Whether an admin is mailed when a video fails to transcode or a comment is reported
    #: (their choice; a viewer's is kept but means nothing until they are an admin).
    admin_mail: bool = True


class Unsubscribed(msgspec.Struct, frozen=True):
    """A one-click unsubscribe's answer: the kind of mail that is off now (``reply_mail``:
    replies to one's comments; ``admin_mail``: an admin's notices), which the Account page
    turns on again."""

    kind: MailChoice


class TwoFactorStatus(msgspec.Struct, frozen=True):
    """``GET /me/two-factor``: whether sign-in needs a code, since when, and how many unused
    recovery codes are left (0 when off)."""

    enabled: bool
    enabled_at: datetime.datetime | None
    recovery_codes_left: int


class TwoFactorSetupRequest(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /me/two-factor/setup``: the account's password."""

    password: Password


class TwoFactorSetup(msgspec.Struct, frozen=True):
    """A started setup: the secret for the authenticator app (base32, to type in) and the
    ``otpauth://`` URI its QR code carries."""

    secret: str
    otpauth_uri: str


class TwoFactorEnable(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /me/two-factor/enable``: the first code from the app, confirming the setup."""

    code: TwoFactorCode


class TwoFactorProof(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /me/two-factor/disable`` and ``/recovery-codes``: the password and a code
    (from the app, or a recovery code)."""

    password: Password
    code: TwoFactorCode


class RecoveryCodes(msgspec.Struct, frozen=True):
    """A new set of recovery codes, each signing in once; shown only in this answer."""

    codes: list[str]


class TokenPair(msgspec.Struct, frozen=True):
    """Answer of login and refresh; ``refresh_token`` is null when it went into a cookie."""

    access_token: str
    refresh_token: str | None
    expires_in: int
    token_type: Literal["bearer"] = "bearer"


class SessionView(msgspec.Struct, frozen=True):
    """One active session (login) of the caller."""

    id: uuid.UUID
    created_at: datetime.datetime
    last_used_at: datetime.datetime
    expires_at: datetime.datetime
    user_agent: str | None
    current: bool


class SessionList(msgspec.Struct, frozen=True):
    """``GET /sessions``."""

    items: list[SessionView]


class UserPage(msgspec.Struct, frozen=True):
    """``GET /users``: one page of users, newest first."""

    items: list[UserView]
    total: int
    limit: int
    offset: int


class PublicKeySet(msgspec.Struct, frozen=True):
    """``GET /.well-known/jwks.json``."""

    keys: list[dict[str, str]]


class InviteRequest(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /invites``: how long the code stays valid (default 7 days), and a note that
    tells the invite apart in the list (blank or absent: none)."""

    expires_in_hours: InviteHours = 7 * 24
    note: InviteNote | None = None
    #: Mail the invite's link here, after the answer (the server must have mail set up).
    email: Email | None = None


class InviteCreated(msgspec.Struct, frozen=True):
    """A new invite; ``code`` is shown only here (only its hash is kept). ``link_path`` is
    the SPA page that takes it (the code rides in the fragment, which browsers never send),
    for the server's address to lead; for an invite mailed to an address, it names the
    address too (``&email=``, URL-encoded), as the mailed link does."""

    id: uuid.UUID
    code: str
    created_at: datetime.datetime
    expires_at: datetime.datetime
    note: str | None
    link_path: str
    #: Where the link is being mailed (None: to be handed over).
    mailed_to: str | None = None


class InvitedAccount(msgspec.Struct, frozen=True):
    """The account an invite made, as it is now."""

    email: str
    display_name: str | None


class InviteView(msgspec.Struct, frozen=True):
    """An invite as admins list it (without its code)."""

    id: uuid.UUID
    status: InviteStatus
    created_by: uuid.UUID | None
    created_at: datetime.datetime
    expires_at: datetime.datetime
    used_at: datetime.datetime | None
    used_by: uuid.UUID | None
    revoked_at: datetime.datetime | None
    note: str | None
    #: The address the link was mailed to (None: handed over by the admin).
    mailed_to: str | None
    #: Who used the invite, while that account exists.
    used_by_account: InvitedAccount | None
    #: The invite was used, and the account it made has since been deleted.
    used_by_deleted: bool
    #: The display name (else email) of the admin who made it, while that account exists.
    created_by_name: str | None
    #: The admin who revoked it (None when it was withdrawn for them, or before this was kept).
    revoked_by: uuid.UUID | None
    #: Their display name (else email), while that account exists.
    revoked_by_name: str | None
    #: Why a revoked invite stopped (None while it is not revoked).
    revoked_reason: InviteRevokedReason | None


class InviteList(msgspec.Struct, frozen=True):
    """``GET /invites``: the newest invites first."""

    items: list[InviteView]


class PasswordResetCreated(msgspec.Struct, frozen=True):
    """``POST /users/{id}/password-reset``: the code, shown only here, for the admin to hand
    over. ``link_path`` is the SPA page that takes it (the code rides in the fragment, which
    browsers never send to a server)."""

    user_id: uuid.UUID
    code: str
    link_path: str
    expires_at: datetime.datetime


class PasswordResetRequest(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /password-reset`` (public): a reset code and the new password."""

    code: ResetCode
    new_password: NewPassword


class PasswordResetCheck(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /password-reset/check`` (public): a reset code whose usability is asked (in the
    body, as URLs end up in logs)."""

    code: ResetCode


class PasswordResetAccount(msgspec.Struct, frozen=True):
    """``POST /password-reset/check``: the account a usable code sets the password of, its
    email masked (``n***@example.org``)."""

    masked_email: str


class PasswordResetMailRequest(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /password-reset/request`` (public): the email to send a reset link to."""

    email: Email


class AuthConfig(msgspec.Struct, frozen=True):
    """``GET /config`` (public): what the sign-in and registration pages need to know.

    ``registration_mode``: ``open`` (anyone), ``invite`` (an invite code is required) or
    ``closed`` (accounts are created by admins only).
    """

    registration_mode: RegistrationMode
    #: The server's name (``STREAMSTACK_SITE_NAME``), which the SPA shows in its header and
    #: tab titles.
    site_name: str
    #: What a signed-out visitor may see: ``browse`` (the published catalogue) or ``none``
    #: (a members-only server: the SPA sends them to sign in; share links still play).
    guest_access: GuestAccess = "browse"
    #: Whether the server sends mail (``STREAMSTACK_SMTP_URL`` set, or dev): "Forgot your
    #: password?" links, invites by email, security notices.
    mail: bool = False
