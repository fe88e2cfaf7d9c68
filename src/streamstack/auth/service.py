"""Auth use cases: accounts, sign-in, token rotation, sessions, revocation, roles.

No HTTP and no SQL here: routes translate requests into these calls, repositories do the
database work. Each use case runs in one unit of work (one session, one transaction);
argon2 hashing and verification, which take tens of milliseconds of CPU, run outside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import hashlib
import re
import secrets
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import NoReturn

import msgspec
import structlog
from advanced_alchemy.exceptions import IntegrityError
from sqlalchemy import ColumnElement

from streamstack.auth import letters, unsubscribe
from streamstack.auth.account_mail import AccountMail
from streamstack.auth.contract import TokenRevocations
from streamstack.auth.credentials import (
    InvalidCredentialFormat,
    SamePassword,
    check_new_password,
    check_password,
    clean_display_name,
    normalize_email,
    viewer_name_problem,
)
from streamstack.auth.letters import (
    AdminLetter,
    EmailConfirmLetter,
    FailedTranscodeLetter,
    InviteLetter,
    Letter,
    Notice,
    NoticeSubject,
    ReplyLetter,
    ReportedCommentLetter,
    ResetLetter,
    masked_email,
)
from streamstack.auth.metrics import Attempt, Reason
from streamstack.auth.models import (
    Invite,
    LoginSession,
    PasswordReset,
    PendingEmail,
    RefreshToken,
    TwoFactorSecret,
    User,
)
from streamstack.auth.passwords import PasswordHashing
from streamstack.auth.refusals import refused
from streamstack.auth.repository import (
    INVITEE_JOINED,
    MAKER_NO_LONGER_ADMIN,
    AuthRecords,
    ListedInvite,
)
from streamstack.auth.schemas import (
    EmailConfirmed,
    InviteCreated,
    InvitedAccount,
    InviteList,
    InviteRevokedReason,
    InviteStatus,
    InviteView,
    PasswordResetAccount,
    PasswordResetCreated,
    PendingEmailView,
    ProfileChange,
    RecoveryCodes,
    SessionView,
    TwoFactorSetup,
    TwoFactorStatus,
    Unsubscribed,
    UserPage,
    UserView,
)
from streamstack.auth.throttle import AttemptThrottle, Throttled
from streamstack.auth.tokens import IssuedTokens, TokenIssuer, open_successor, seal_successor
from streamstack.auth.two_factor import (
    SETUP_LIFETIME,
    clean_code,
    is_app_code,
    matching_step,
    new_recovery_codes,
    new_secret,
    otpauth_uri,
    recovery_digest,
    two_factor_context,
)
from streamstack.contracts.auth import (
    NO_LONGER_ADMIN,
    USER_DELETED,
    USER_NAMED,
    NoLongerAdmin,
    UserDeleted,
    UserNamed,
)
from streamstack.contracts.limits import INVITE_NOTE_MAX, ONE_LINE
from streamstack.kernel.authentication import Principal
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.db import Database
from streamstack.kernel.errors import (
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
)
from streamstack.kernel.jwt import Claims, InvalidToken, TokenVerifier
from streamstack.kernel.mail import Mail
from streamstack.kernel.sealing import SealingKeys, UnsealableSecret
from streamstack.settings import GuestAccess, RegistrationMode

log = structlog.get_logger(__name__)

DEV_ADMIN_EMAIL = "admin@localhost"
MAX_USER_AGENT_CHARS = 512
#: How long an admin-issued password-reset code can be used.
RESET_LIFETIME = datetime.timedelta(hours=1)
#: The SPA page that takes a reset code (in the fragment, never sent to a server).
RESET_LINK_PATH = "/reset-password#code="
#: The SPA page that takes the code confirming a new sign-in email (in the fragment too).
EMAIL_CONFIRM_LINK_PATH = "/confirm-email#code="
#: The SPA page that takes an invite code (in the fragment, as a reset code).
INVITE_LINK_PATH = "/register#invite="
#: A sign-in also deletes the account's expired sessions once in this many: a statement
#: on the event loop that most sign-ins can skip, since expired sessions are never shown
#: or refreshed and only their number needs bounding.
EXPIRED_SESSIONS_ONE_IN = 16
#: A refresh records that the account signed in if it has not for this long: "last signed
#: in" is read in days, and a write at every refresh would cost every active account.
SIGNED_IN_EVERY = datetime.timedelta(hours=1)


class InvalidCredentials(Unauthorized, code="invalid_credentials"):
    """Wrong email or password; the same answer whether or not the account exists."""


class TwoFactorRequired(Unauthorized, code="two_factor_required"):
    """The password is right and the account has two-factor on: a code is needed too."""


class ResetByEmailDisabled(Forbidden, code="reset_by_email_disabled"):
    """No mail server is configured: an admin issues reset links."""


class MailDisabled(Conflict, code="mail_disabled"):
    """An invite was to be mailed, but no mail server is configured."""


class InviteeIsMember(Conflict, code="invitee_is_member"):
    """An invite was to be mailed to an address an account already signs in with."""


class InvitePending(Conflict, code="invite_pending"):
    """An invite was to be mailed to an address that has one still usable: one live code
    per person (a second would stay a spare key once they join)."""


class InvalidSignInCode(Unauthorized, code="invalid_code"):
    """A wrong, expired or already-used code at sign-in (counted like a wrong password)."""


class SignOutIncomplete(ServiceUnavailable, code="sign_out_incomplete"):
    """A sign-out done in the database alone: the sessions are signed out (no access token
    comes of them any more), but the revocation list could not be written, so an access
    token issued in them keeps working until it expires (``access_ttl`` seconds at most:
    accepted, as it is short-lived)."""

    def __init__(self, access_ttl: int, *, everywhere: bool) -> None:
        which = "every session of this account" if everywhere else "this session"
        minutes = max(1, -(-access_ttl // 60))  # rounded up: never promise too soon
        within = f"{minutes} minute" + ("s" if minutes > 1 else "")
        super().__init__(
            f"signed out: {which} can no longer be renewed, but part of the server is not "
            f"answering, so it takes full effect within {within}, when the access tokens "
            "already issued expire"
        )


@dataclasses.dataclass(frozen=True, slots=True)
class CodeUse:
    """A two-factor code that checked out, to be spent in the unit of work it allows:
    the TOTP time step it is of, or the hash of a recovery code (known good once spent)."""

    step: int | None = None
    recovery_hash: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class ClientInfo:
    """Where a sign-in or refresh comes from."""

    address: str
    user_agent: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class Registration:
    """What a registration form holds."""

    email: str
    password: str
    display_name: str | None = None
    invite_code: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class AdminAccount:
    """Result of creating or promoting an admin; ``password`` is set when one was generated."""

    email: str
    created: bool
    password: str | None

    def banner(self, data_dir: str | None = None) -> str:
        """The once-only message that shows the generated password. ``data_dir``: the data
        directory holding the account (dev), which the set-your-own command must name."""
        where = f" --data-dir {data_dir}" if data_dir else ""
        rule = "=" * 64
        return "\n".join(
            [
                rule,
                f"StreamStack admin {'created' if self.created else 'updated'}",
                f"  email:    {self.email}",
                f"  password: {self.password}",
                "This password is shown once. Set your own with:",
                f"  streamstack create-admin --email {self.email} --password-stdin{where}",
                rule,
            ]
        )


def _at(epoch_seconds: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch_seconds, datetime.UTC)


def code_digest(code: str) -> str:
    """What is stored of a single-use code (invite or password reset): its SHA-256 (codes
    are random, so no salt is needed)."""
    return hashlib.sha256(code.encode()).hexdigest()


#: The reasons an invite is withdrawn for an admin, as stored and as listed.
_WITHDRAWN: dict[str | None, InviteRevokedReason] = {
    MAKER_NO_LONGER_ADMIN: "maker_no_longer_admin",
    INVITEE_JOINED: "invitee_joined",
}


def invite_view(listed: ListedInvite, now: datetime.datetime) -> InviteView:
    """An invite as admins see it, with its status at ``now``, who used it, who made it and
    why it was revoked."""
    invite = listed.invite
    status: InviteStatus = "active"
    if invite.used_at is not None:
        status = "used"
    elif invite.revoked_at is not None:
        status = "revoked"
    elif invite.expires_at <= now:
        status = "expired"
    account = None
    if listed.used_by_email is not None:
        account = InvitedAccount(listed.used_by_email, listed.used_by_display_name)
    return InviteView(
        invite.id,
        status,
        invite.created_by,
        invite.created_at,
        invite.expires_at,
        invite.used_at,
        invite.used_by,
        invite.revoked_at,
        note=invite.note,
        mailed_to=invite.mailed_to,
        used_by_account=account,
        # Deleting an account sets its invite's ``used_by`` to NULL (the foreign key's
        # ON DELETE SET NULL), and nothing else leaves a used invite without one.
        used_by_deleted=invite.used_at is not None and invite.used_by is None,
        created_by_name=listed.created_by_name,
        revoked_by=invite.revoked_by,
        revoked_by_name=listed.revoked_by_name,
        revoked_reason=_revoked_reason(invite),
    )


def _revoked_reason(invite: Invite) -> InviteRevokedReason | None:
    """Why ``invite`` was revoked: the stored reason, where there is one; one an admin
    revoked, or revoked before reasons were kept (auth_0014), has none."""
    if invite.revoked_at is None:
        return None
    return _WITHDRAWN.get(invite.revoked_reason, "revoked_by_admin")


def invite_note(raw: str | None) -> str | None:
    """An invite's note as kept: trimmed, None when blank. The route's schema already
    refuses one too long or with control characters; this holds the rule for any other
    caller, since Postgres would refuse a note longer than its column with a 500."""
    note = (raw or "").strip()
    if len(note) > INVITE_NOTE_MAX or not re.match(ONE_LINE, note):
        raise BadRequest(
            f"note: one line of at most {INVITE_NOTE_MAX} characters, without control characters",
            code="invalid_input",
        )
    return note or None


def user_view(user: User, *, two_factor: bool = False) -> UserView:
    """The public view of a user row (``two_factor``: whether its sign-in needs a code)."""
    return UserView(
        user.id,
        user.email,
        user.display_name,
        user.role,
        user.created_at,
        user.last_signed_in_at,
        disabled=user.disabled_at is not None,
        two_factor=two_factor,
        password_generated=user.password_generated,
        reply_mail=user.reply_mail,
        admin_mail=user.admin_mail,
    )


async def viewed(records: AuthRecords, user: User) -> UserView:
    """The public view of a user row, with whether two-factor is on for it."""
    return user_view(user, two_factor=bool(await records.two_factor.enabled_among([user.id])))


def two_factor_on(secret: TwoFactorSecret | None) -> bool:
    """Whether a (maybe absent) secret means the account's sign-in needs a code."""
    return secret is not None and secret.enabled_at is not None


def clean_user_agent(raw: str | None) -> str | None:
    """The User-Agent header as stored: printable characters only, bounded length."""
    if not raw:
        return None
    text = "".join(c for c in raw if c.isprintable())[:MAX_USER_AGENT_CHARS].strip()
    return text or None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class AuthService:
    """Everything the auth module does, over its repositories and the revocation list.

    ``registration_mode`` says how accounts are created: ``open``, ``invite`` (with a code)
    or ``closed``; ``guest_access`` what a signed-out visitor may see (``browse`` or
    ``none``, members only), told by ``/config`` with ``site_name``, the server's name its
    mails and authenticator apps show; ``events_enqueued`` is called after a commit that wrote to the outbox;
    ``clock`` is where every use case reads the time; ``mail`` sends mail after the
    answer (reset links, security notices, invites), None when no mail server is set up.
    """

    database: Database
    revocations: TokenRevocations
    passwords: PasswordHashing
    issuer: TokenIssuer
    verifier: TokenVerifier
    throttle: AttemptThrottle
    registration_mode: RegistrationMode
    refresh_grace: datetime.timedelta
    guest_access: GuestAccess = "browse"
    site_name: str
    events_enqueued: Callable[[], None] = lambda: None
    sealing: SealingKeys
    clock: Clock = utcnow
    mail: AccountMail | None = None

    @contextlib.asynccontextmanager
    async def _work(self) -> AsyncIterator[AuthRecords]:
        """One unit of work: the repositories on one session, committed at the end."""
        async with self.database.unit_of_work() as session:
            yield AuthRecords(session)

    # --- accounts -----------------------------------------------------------------------

    async def register(self, form: Registration, client: ClientInfo) -> UserView:
        """Create a viewer account, as the registration mode allows; 409 when the email is taken.

        Every attempt from an address is counted before anything is hashed (and stays
        counted whatever the outcome, so guessing invite codes or probing emails is slowed
        as much as creating accounts), but for one that spends a valid invite code.
        """
        if self.registration_mode == "closed":
            raise Forbidden("self-registration is switched off", code="registration_disabled")
        email = normalize_email(form.email)
        name = clean_display_name(form.display_name)
        code_hash = None
        if self.registration_mode == "invite":
            if not form.invite_code:
                raise Forbidden("registration needs an invite code", code="invite_required")
            code_hash = code_digest(form.invite_code)
        with self._refused_when_throttled("registration", client):
            async with self._work() as records:
                await self.throttle.reserve_address(
                    records.attempts, "register", client.address, self.clock()
                )
                problem = await self._registration_problem(records, email, code_hash, client)
                problem = problem or await _name_problem(records, name)
        if problem is not None:
            raise problem
        # After the reservation: estimating a long password costs tens of milliseconds.
        password = await asyncio.to_thread(
            check_new_password, form.password, email=email, display_name=name
        )
        password_hash = await self.passwords.hash(password)
        async with self._work() as records:
            user = await self._insert_user(records, email, password_hash, "viewer", name)
            if code_hash is not None:
                if not await records.invites.consume(code_hash, user.id, self.clock()):
                    raise _invalid_invite()  # used up meanwhile: the account is rolled back
                await self.throttle.invite_redeemed(records.attempts, client.address)
            if code_hash is None and form.invite_code:
                # Open: the code is not needed, but a usable one is spent, so the admins'
                # list does not show an invite that made an account as still active.
                await records.invites.consume(code_digest(form.invite_code), user.id, self.clock())
            # Any other invite mailed to them is a spare key to the site now.
            await records.invites.withdraw_spares(user.id, email, self.clock())
            if name is not None:
                await _announce_name(records, user.id, name, user.created_at)
        if name is not None:
            self.events_enqueued()
        return user_view(user)

    async def current_user(self, caller: Principal) -> UserView:
        """The account of a verified access token."""
        async with self._work() as records:
            return await viewed(records, await self._caller_account(records, caller))

    async def change_password(
        self, caller: Principal, current: str, new: str, client: ClientInfo
    ) -> None:
        """Replace the caller's password and sign out every other session of theirs.

        The current password is checked like a sign-in, counted by the same throttle
        first (a stolen access token must not become a way to guess it); the new one
        passes the same strength rules as at registration. The caller's own session
        stays signed in.
        """
        user, current = await self._proven(caller, current, client)
        if check_password(new) == current:  # told only once the current one is proven
            raise SamePassword("the new password is the one you have now: choose another.")
        password = await asyncio.to_thread(
            check_new_password, new, email=user.email, display_name=user.display_name
        )
        new_hash = await self.passwords.hash(password)
        async with self._work() as records:
            await self.throttle.login_succeeded(records.attempts, user.email, client.address)
            now = self.clock()
            withdrawn = await self._set_password(
                records, user.id, new_hash, now, keep=_uuid_or_none(caller.family)
            )
            notice = Notice(
                "password_changed", user.email, now, client.user_agent, withdrawn_email=withdrawn
            )
            await self._owe(records, notice)
        self._owed()
        log.info("password_changed", user_id=str(user.id))

    async def delete_own_account(
        self, caller: Principal, password: str, client: ClientInfo
    ) -> None:
        """Delete the caller's own account, once their password proves it is them (checked
        like a sign-in, under the same throttle: a stolen access token alone cannot delete
        it); then as an admin's delete does. The last enabled admin cannot go (409)."""
        user, _ = await self._proven(caller, password, client)
        async with self._work() as records:
            await self.throttle.login_succeeded(records.attempts, user.email, client.address)
        await self.delete_user(user.id, by=str(user.id))

    async def change_own_email(
        self, caller: Principal, new_email: str, password: str, client: ClientInfo
    ) -> PendingEmailView:
        """Mail ``new_email`` a single-use link that makes it the caller's sign-in email
        within :data:`RESET_LIFETIME`, once their password proves it is them (checked like
        a sign-in, under the same throttle: a stolen access token alone cannot move the
        account). Nothing changes until the link is opened (:meth:`confirm_email`), so no
        one takes an address they cannot read; it is not reserved meanwhile. A newer
        request withdraws the older link. 400 for a malformed email or the account's own;
        409 ``email_taken`` when another account has it, said only to whoever proved the
        password (registration says it to anyone, throttled per address); 409
        ``mail_disabled`` without a mail server (an admin changes emails then).
        """
        if self.mail is None:
            raise MailDisabled(
                "no mail server is set up to confirm a new email; ask an administrator "
                "to change it",
            )
        email = normalize_email(new_email)  # a typo is told before the password is counted
        user, _ = await self._proven(caller, password, client)
        async with self._work() as records:
            await self.throttle.login_succeeded(records.attempts, user.email, client.address)
        async with self._work() as records:
            account = await self._caller_account(records, caller)
            if account.email == email:
                raise BadRequest("this is your sign-in email already", code="same_email")
            if await records.users.by_email(email) is not None:
                raise _email_taken()
            # Locked: two requests at once would each withdraw before the other stored.
            await records.users.locked([account.id])
            pending = await self._new_pending_email(records, account.id, email)
        self._owed()
        log.info("email_change_requested", user_id=str(account.id))
        return PendingEmailView(pending.email, pending.expires_at)

    async def _new_pending_email(
        self, records: AuthRecords, user_id: uuid.UUID, email: str
    ) -> PendingEmail:
        """A new pending ``email`` of the (locked) account, its older one withdrawn, and the
        mail of its link owed (the code sealed in the letter, its hash in the row)."""
        now = self.clock()
        code = secrets.token_urlsafe(24)
        await records.pending_emails.withdraw_unused(user_id, now)
        pending = PendingEmail(
            id=uuid.uuid4(),
            user_id=user_id,
            email=email,
            code_hash=code_digest(code),
            created_at=now,
            expires_at=now + RESET_LIFETIME,  # a link in a mail lives as a reset link does
        )
        await records.pending_emails.add(pending, auto_refresh=False)
        sealed = self.sealing.seal(code, letters.email_confirm_context(pending.id))
        await self._owe(records, EmailConfirmLetter(pending.id, sealed))
        return pending

    async def pending_email(self, caller: Principal) -> PendingEmailView:
        """The sign-in email the caller asked for whose link still works, if any, and
        whether another account has taken that address since (the link would be refused)."""
        async with self._work() as records:
            account = await self._caller_account(records, caller)
            pending = await records.pending_emails.of(account.id, self.clock())
            if pending is None:
                return PendingEmailView()
            taken = await records.users.by_email(pending.email) is not None
        return PendingEmailView(pending.email, pending.expires_at, taken)

    async def cancel_pending_email(self, caller: Principal) -> None:
        """Withdraw the link mailed to the email the caller asked for (if any): it no
        longer works, and the sign-in email stays."""
        async with self._work() as records:
            account = await self._caller_account(records, caller)
            await records.pending_emails.withdraw_unused(account.id, self.clock())

    async def confirm_email(self, code: str, client: ClientInfo) -> EmailConfirmed:
        """Use the code mailed to a new sign-in email: its account signs in with it from now
        on, the old one no longer does and is told (a thief who moved the account is found
        out). Whoever holds the link read the new address's mail, so no sign-in is needed
        (it is often opened on another device). Every session stays signed in, as when an
        admin changes the email: no secret changed. 403 ``invalid_email_code`` for an
        unknown, used, withdrawn or expired code; 409 ``email_taken`` when another account
        took the address meanwhile. Nothing changes on a refusal.
        """
        now = self.clock()
        async with self._work() as records:
            confirmed = await records.pending_emails.consume(code_digest(code), now)
            if confirmed is None:
                log.info("email_change_refused", reason="invalid_email_code")
                raise _invalid_email_code()
            user = await self._user(records, confirmed[0])
            old, email = user.email, confirmed[1]
            await self._set_email(records, user, email, now, by=str(user.id))
            if old != email:  # to the old address, as a change by an admin is
                notice = Notice("email_changed", old, now, client.user_agent, new_email=email)
                await self._owe(records, notice)
        self._owed()
        return EmailConfirmed(email, user.id)

    async def _proven(
        self, caller: Principal, password: str, client: ClientInfo
    ) -> tuple[User, str]:
        """The caller's account and their password (normalised), once it is checked like a
        sign-in and counted by its throttle first; 403 ``wrong_password`` otherwise."""
        user = await self._account_of(caller)
        with contextlib.suppress(InvalidCredentialFormat):
            password = check_password(password)
        with self._refused_when_throttled("password_check", client, user.email, user):
            async with self._work() as records:
                await self.throttle.reserve_login(
                    records.attempts, user.email, client.address, self.clock()
                )
        if not await self.passwords.verify(user.password_hash, password):
            self._signin_refused("password_check", "wrong_password", client, user.email, user)
            raise Forbidden("the current password is wrong", code="wrong_password")
        return user, password

    async def change_profile(self, caller: Principal, change: ProfileChange) -> UserView:
        """Set (or, with None or blanks, remove) the caller's display name, whether they are
        mailed of replies to their comments, whether an admin is mailed of what needs them
        (403 ``admins_only`` for anyone else, nothing changed), or several (400 for none).
        A change of name is announced (``user.named``, through the outbox, in the same
        transaction) to the modules that show it, and the caller's tokens carry it from
        their next refresh."""
        unset = msgspec.UnsetType
        if all(
            isinstance(v, unset)
            for v in (change.display_name, change.reply_mail, change.admin_mail)
        ):
            raise BadRequest("give a display_name, reply_mail or admin_mail", code="invalid_input")
        name = None if isinstance(change.display_name, unset) else change.display_name
        name = clean_display_name(name)
        async with self._work() as records:
            user = await self._caller_account(records, caller)
            if not isinstance(change.admin_mail, unset) and user.role != "admin":
                raise Forbidden("admin_mail is for administrators", code="admins_only")
            now = self.clock()
            renamed = not isinstance(change.display_name, unset) and user.display_name != name
            if renamed and user.role != "admin" and (refusal := await _name_problem(records, name)):
                raise refusal
            if renamed:
                user.display_name = name
                await _announce_name(records, user.id, name, now)
            chosen = (user.reply_mail, user.admin_mail)
            if not isinstance(change.reply_mail, unset):
                user.reply_mail = change.reply_mail
            if not isinstance(change.admin_mail, unset):
                user.admin_mail = change.admin_mail
            if renamed or chosen != (user.reply_mail, user.admin_mail):
                user.updated_at = now
            view = await viewed(records, user)
        if renamed:
            self.events_enqueued()
        return view

    async def list_users(
        self,
        search: str | None,
        limit: int,
        offset: int,
        *,
        ids: Sequence[uuid.UUID] | None = None,
        role: str | None = None,
        disabled: bool | None = None,
    ) -> UserPage:
        """One page of users, newest first, optionally only those whose email or display
        name contains ``search`` (case and accents aside), only the users ``ids`` names,
        only those of ``role``, only the disabled (``True``) or enabled (``False``)."""
        if search and not re.match(ONE_LINE, search):
            # NUL ends the pattern early in SQLite and is an encoding error in Postgres; the
            # rule is the route's documented pattern, so what it lets through is searched.
            raise BadRequest("q: must not contain control characters", code="invalid_input")
        text = search.strip() if search else None
        async with self._work() as records:
            users, total = await records.users.page(
                text or None, limit, offset, ids=ids, role=role, disabled=disabled
            )
            on = await records.two_factor.enabled_among([u.id for u in users])
            items = [user_view(u, two_factor=u.id in on) for u in users]
        return UserPage(items, total, limit, offset)

    async def change_user(
        self,
        user_id: uuid.UUID,
        *,
        role: str | None = None,
        email: str | None = None,
        by: str | None = None,
    ) -> UserView:
        """An admin's change of a user (``by``: the admin's id): their sign-in email, their
        role, or both, all or nothing. 400 for neither, 409 ``email_taken`` when another
        account has the email, 409 ``last_admin`` for demoting the last admin.

        The admin's own password is not asked, as for a role change: their token already
        lets them reset the user's password. A new role applies at once (see
        :meth:`_set_role`); the user's sessions stay signed in across an email change.
        """
        if role is None and email is None:
            raise BadRequest("give the user's new email or role", code="invalid_input")
        new_email = None if email is None else normalize_email(email)
        now = self.clock()
        async with self._work() as records:
            user = await self._user(records, user_id)
            old = user.email
            if new_email is not None:
                await self._set_email(records, user, new_email, now, by=by)
                if new_email != old:  # the owner hears it at the old one, and the new one
                    notice = Notice("email_changed", old, now, by="admin", new_email=new_email)
                    await self._owe(records, notice)
                    # The old address alone cannot tell a typo'd new one (walk 51 F8).
                    await self._owe(records, Notice("email_given", new_email, now, by="admin"))
            if role is not None:  # a refusal here takes the change and its notice back
                await self._set_role(records, user, role, now, by=by)
            view = await viewed(records, user)
        self._owed()
        if role is not None:  # a demotion announced itself
            self.events_enqueued()
        return view

    async def _set_role(
        self,
        records: AuthRecords,
        user: User,
        role: str,
        now: datetime.datetime,
        *,
        by: str | None,
    ) -> None:
        """Set a user's role; the last admin cannot be demoted, even by concurrent requests.

        The user's live access tokens are revoked, so the new role applies from their next
        refresh instead of when their current token expires; a demoted admin's unused
        password-reset and invite codes are withdrawn (they saw each one), and the other
        modules are told (``user.no_longer_admin``, through the outbox). The user is told
        at their sign-in email (as it is after this request's change of it, if any).
        """
        old = user.role
        if old == role:
            return
        if not await records.users.set_role(user, role, now):
            raise _last_admin("demoted")
        log.info("role_changed", user_id=str(user.id), by=by, old=old, new=role)
        subject: NoticeSubject = "made_admin" if role == "admin" else "made_viewer"
        await self._owe(records, Notice(subject, user.email, now, by="admin"))
        if old == "admin":
            await self._withdraw_codes_issued_by(records, user.id, now)
            await _announce_no_longer_admin(records, user.id, now)
        await self._revoke_access_tokens(records, LoginSession.user_id == user.id, now)

    async def _set_email(
        self,
        records: AuthRecords,
        user: User,
        email: str,
        now: datetime.datetime,
        *,
        by: str | None,
    ) -> None:
        """Give ``user`` the normalised ``email`` to sign in with from now on (the old one
        no longer signs in); 409 ``email_taken`` when another account has it. Its unused
        reset codes and pending email's link are withdrawn. Logged with both emails as
        account tags, as the sign-in refusals name accounts, so an operator can follow one
        across the change without the log holding an address."""
        old = user.email
        if old == email:
            return
        if not await records.users.set_email(user, email, now):
            raise _email_taken()
        # A reset link mailed to the old address: whoever reads that mailbox now (often why
        # it was changed) would choose the password of the account (walk 51 F6).
        await records.resets.withdraw_unused(user.id, now)
        # An older request of the owner's (an admin's change is newer): opened later, its
        # link would replace this address.
        await records.pending_emails.withdraw_unused(user.id, now)
        tag = self.throttle.account_tag
        log.info("email_changed", user_id=str(user.id), by=by, old=tag(old), new=tag(email))

    async def set_disabled(
        self, user_id: uuid.UUID, disabled: bool, *, by: str | None = None
    ) -> UserView:
        """The admin ``by`` disables an account (every session and live access token revoked
        at once, no sign-in, the reset and invite codes it issued and its own unused reset
        codes withdrawn; a disabled admin announced as ``user.no_longer_admin``, through the
        outbox) or enables it again; the last enabled admin cannot be disabled (409)."""
        now = self.clock()
        async with self._work() as records:
            user = await self._user(records, user_id)
            if (user.disabled_at is not None) == disabled:
                return await viewed(records, user)
            if not await records.users.set_disabled(user, now if disabled else None, now):
                raise _last_admin("disabled")
            if disabled:
                # After the row is written: a token issue in flight has committed by now.
                await self._revoke_sessions(records, LoginSession.user_id == user.id, now)
                await self._withdraw_codes_issued_by(records, user.id, now)
                # A reset link for them made before: whoever holds it chose the password the
                # account signs in with once enabled. One made after is the admin's intent.
                await records.resets.withdraw_unused(user.id, now)
                if user.role == "admin":
                    await _announce_no_longer_admin(records, user.id, now)
            event = "user_disabled" if disabled else "user_enabled"
            log.info(event, user_id=str(user.id), by=by)
            view = await viewed(records, user)
        if disabled:
            self.events_enqueued()
        return view

    async def delete_user(self, user_id: uuid.UUID, *, by: str | None = None) -> None:
        """Delete an account (``by``: the admin's id, or the owner's own): its sessions and
        tokens go, ``auth.events.user.deleted`` tells the other modules (through the
        outbox); the last enabled admin cannot go (409)."""
        now = self.clock()
        async with self._work() as records:
            user = await self._user(records, user_id)
            # Disabling first is the atomic last-admin check and holds the row, so no token
            # can be issued between reading the live ones and the delete.
            if user.disabled_at is None and not await records.users.set_disabled(user, now, now):
                raise _last_admin("deleted")
            await self._revoke_access_tokens(records, LoginSession.user_id == user.id, now)
            # Before the delete, which forgets who issued them (``created_by`` set null).
            await self._withdraw_codes_issued_by(records, user.id, now)
            await records.users.delete(user.id, auto_expunge=True)
            payload = msgspec.json.encode(UserDeleted(str(user.id), now))
            await records.outbox.enqueue(uuid.uuid4().hex, USER_DELETED, payload, now)
        log.info("user_deleted", user_id=str(user_id), by=by)
        self.events_enqueued()

    async def issue_password_reset(
        self, caller: Principal, user_id: uuid.UUID
    ) -> PasswordResetCreated:
        """A single-use code that sets a new password for the user within an hour; shown
        only now. Older unused codes of the user stop working."""
        now = self.clock()
        async with self._work() as records:
            # Locked: a code issued at the same moment is stored before this one withdraws
            # the older ones, or after (each withdrew before the other stored: both worked).
            # The issuer's row too, before :meth:`_author` holds it, in one ordered step.
            issuer = _uuid_or_none(caller.user_id)
            accounts = [user_id] if issuer is None else [user_id, issuer]
            if user_id not in await records.users.locked(accounts):
                raise NotFound("no such user")
            created = await _new_reset(records, user_id, await self._author(records, caller), now)
            await self._unless_stripped(caller)
        log.info("password_reset_issued", user_id=str(user_id), by=caller.user_id)
        return created

    async def check_reset_code(self, code: str, client: ClientInfo) -> PasswordResetAccount:
        """Whether a reset code can still be used, without using it: the account it is for
        if so, its email masked as the notices mask it (the page names the account to its
        owner, who knows it; a link that strayed must not hand over the address), else the
        one 403 of unknown, used and expired codes. Counted like a reset, so checking is no
        faster a way to guess codes than resetting."""
        user = await self._reset_account(code_digest(code), client)
        return PasswordResetAccount(masked_email(user.email))

    async def reset_password(self, code: str, new_password: str, client: ClientInfo) -> None:
        """Use a reset code: the account gets ``new_password`` and every session of it is
        signed out. Unknown, used and expired codes get one answer (403)."""
        code_hash = code_digest(code)
        user = await self._reset_account(code_hash, client)
        password = await asyncio.to_thread(
            check_new_password, new_password, email=user.email, display_name=user.display_name
        )
        new_hash = await self.passwords.hash(password)
        now = self.clock()
        async with self._work() as records:
            if await records.resets.consume(code_hash, now) != user.id:
                raise _invalid_reset_code()  # used meanwhile: nothing changes
            withdrawn = await self._set_password(records, user.id, new_hash, now)
            notice = Notice(
                "password_changed",
                user.email,
                now,
                client.user_agent,
                by="reset",
                withdrawn_email=withdrawn,
            )
            await self._owe(records, notice)
        self._owed()
        log.info("password_reset_used", user_id=str(user.id))

    # --- two-factor authentication ------------------------------------------------------

    async def two_factor_status(self, caller: Principal) -> TwoFactorStatus:
        """Whether the caller's sign-in needs a code, since when, and their recovery codes left."""
        async with self._work() as records:
            user = await self._caller_account(records, caller)
            secret = await records.two_factor.of(user.id)
            if secret is None or secret.enabled_at is None:
                return TwoFactorStatus(enabled=False, enabled_at=None, recovery_codes_left=0)
            left = await records.two_factor.recovery_codes_left(user.id)
            return TwoFactorStatus(
                enabled=True, enabled_at=secret.enabled_at, recovery_codes_left=left
            )

    async def start_two_factor(
        self, caller: Principal, password: str, client: ClientInfo
    ) -> TwoFactorSetup:
        """Start (or start again) a setup, once the password proves it is the caller (checked
        like a sign-in, under its throttle): a new secret for the authenticator app, which
        changes nothing for sign-in until :meth:`enable_two_factor` confirms it; 409
        ``two_factor_on`` when it is on already."""
        if (await self.two_factor_status(caller)).enabled:
            raise _two_factor_on()
        user, _ = await self._proven(caller, password, client)
        secret = new_secret()
        now = self.clock()
        async with self._work() as records:
            await self.throttle.login_succeeded(records.attempts, user.email, client.address)
            await records.users.locked([user.id])  # two setups at once: one after the other
            if two_factor_on(await records.two_factor.of(user.id)):
                raise _two_factor_on()
            await records.two_factor.remove(user.id)
            sealed = self.sealing.seal(secret, two_factor_context(user.id))
            pending = TwoFactorSecret(user_id=user.id, secret=sealed, created_at=now)
            await records.two_factor.add(pending, auto_refresh=False)
        uri = otpauth_uri(secret, user.email, self.site_name)
        return TwoFactorSetup(secret=secret, otpauth_uri=uri)

    async def enable_two_factor(
        self, caller: Principal, code: str, client: ClientInfo
    ) -> RecoveryCodes:
        """Turn two-factor on with the first code of a started setup's secret: a new set of
        recovery codes, shown only now; every other session of the account is signed out,
        as a password change does. 409 ``two_factor_not_set_up`` without a setup of
        the last 15 minutes, 409 ``two_factor_on``, 403 ``invalid_code``.

        Each code is counted by the sign-in throttle first (429 ``login_throttled``) and a
        wrong one stays counted: a stolen access token could otherwise guess the six digits
        of a setup its owner left open, and turn two-factor on with recovery codes of its
        own."""
        user = await self._account_of(caller)
        with self._refused_when_throttled("password_check", client, user.email, user):
            async with self._work() as records:
                # Nothing to guess without a setup: refused before it counts (a token's
                # requests could otherwise lock its owner's sign-in out with 409s).
                self._setup_to_confirm(await records.two_factor.of(user.id), self.clock())
                await self.throttle.reserve_login(
                    records.attempts, user.email, client.address, self.clock()
                )
        now = self.clock()
        codes = new_recovery_codes()
        async with self._work() as records:
            user = await self._caller_account(records, caller)
            secret = self._setup_to_confirm(await records.two_factor.of(user.id), now)
            step = matching_step(self._totp_secret(secret), clean_code(code), now, None)
            if step is None:
                self._signin_refused("password_check", "invalid_code", client, user.email, user)
                raise _invalid_code()
            if not await records.two_factor.confirm(user.id, step, now, now - SETUP_LIFETIME):
                raise _two_factor_on()  # confirmed by a request of theirs meanwhile
            await self.throttle.login_succeeded(records.attempts, user.email, client.address)
            await records.two_factor.replace_recovery_codes(user.id, _digests(codes))
            # Turned on for fear the password leaked: a session signed in with it ends. The
            # row held first: a sign-in issuing tokens meanwhile commits before the revoking.
            await records.users.locked([user.id])
            others = _sessions_but(user.id, _uuid_or_none(caller.family))
            await self._revoke_sessions(records, others, now)
            await self._owe(records, Notice("two_factor_on", user.email, now, client.user_agent))
        self._owed()
        log.info("two_factor_enabled", user_id=str(user.id))
        return RecoveryCodes(codes)

    @staticmethod
    def _setup_to_confirm(
        secret: TwoFactorSecret | None, now: datetime.datetime
    ) -> TwoFactorSecret:
        """The setup a first code may confirm: 409 ``two_factor_on`` when it is on already,
        409 ``two_factor_not_set_up`` without a setup of the last 15 minutes."""
        if two_factor_on(secret):
            raise _two_factor_on()
        if secret is None or secret.created_at <= now - SETUP_LIFETIME:
            raise Conflict(
                "start the setup again: none was started in the last 15 minutes",
                code="two_factor_not_set_up",
            )
        return secret

    async def disable_two_factor(
        self, caller: Principal, password: str, code: str, client: ClientInfo
    ) -> None:
        """Turn the caller's two-factor off (secret and recovery codes forgotten), with their
        password and a code (app's or recovery): 403 ``wrong_password`` or ``invalid_code``,
        409 ``two_factor_off``."""
        user, use = await self._proven_with_code(caller, password, code, client)
        async with self._work() as records:
            await self._spend_proof(records, user, use, client)
            await records.two_factor.remove(user.id)
            notice = Notice("two_factor_off", user.email, self.clock(), client.user_agent)
            await self._owe(records, notice)
        self._owed()
        log.info("two_factor_disabled", user_id=str(user.id), by=str(user.id))

    async def renew_recovery_codes(
        self, caller: Principal, password: str, code: str, client: ClientInfo
    ) -> RecoveryCodes:
        """A new set of recovery codes for the caller (the old ones stop working), with their
        password and a code, refused as :meth:`disable_two_factor` refuses."""
        user, use = await self._proven_with_code(caller, password, code, client)
        codes = new_recovery_codes()
        async with self._work() as records:
            await self._spend_proof(records, user, use, client)
            await records.two_factor.replace_recovery_codes(user.id, _digests(codes))
            notice = Notice("recovery_codes", user.email, self.clock(), client.user_agent)
            await self._owe(records, notice)
        self._owed()
        log.info("recovery_codes_renewed", user_id=str(user.id))
        return RecoveryCodes(codes)

    async def turn_off_two_factor(self, user_id: uuid.UUID, by: str | None) -> None:
        """An admin turns a user's two-factor off (they lost their phone and their recovery
        codes): they sign in with their password alone until they set it up again. Already
        off is fine; 404 for an unknown user."""
        async with self._work() as records:
            user = await self._user(records, user_id)
            was_on = two_factor_on(await records.two_factor.of(user_id))
            await records.two_factor.remove(user_id)
            if was_on:  # a setup never finished is no change the owner needs telling of
                notice = Notice("two_factor_off", user.email, self.clock(), by="admin")
                await self._owe(records, notice)
        self._owed()
        log.info("two_factor_reset", user_id=str(user_id), by=by)

    async def _owe(self, records: AuthRecords, letter: Letter) -> None:
        """Owe ``letter`` in this unit of work, sent after the answer once it commits (when
        mail is set up; a failure to send is logged, never the caller's)."""
        if self.mail is not None:
            await self.mail.owe(records.owed_mail, letter)

    def _owed(self) -> None:
        """After a unit of work that may have owed mail: have it sent now."""
        if self.mail is not None:
            self.mail.owed()

    async def _proven_with_code(
        self, caller: Principal, password: str, code: str, client: ClientInfo
    ) -> tuple[User, CodeUse]:
        """The caller's account and how to spend their ``code``, once the password is proven
        (as :meth:`_proven`) and the code checks out; 409 ``two_factor_off``, 403
        ``invalid_code`` (the password attempt then stays counted)."""
        async with self._work() as records:
            secret = await records.two_factor.of((await self._caller_account(records, caller)).id)
        if secret is None or secret.enabled_at is None:
            raise _two_factor_off()
        user, _ = await self._proven(caller, password, client)
        use = self._code_use(secret, code)
        if use is None:
            self._signin_refused("password_check", "invalid_code", client, user.email, user)
            raise _invalid_code()
        return user, use

    async def _spend_proof(
        self, records: AuthRecords, user: User, use: CodeUse, client: ClientInfo
    ) -> None:
        """Spend the code of a password-and-code proof and give the attempt back; 403
        ``invalid_code`` (everything rolled back) when it was used meanwhile or is no
        recovery code of the account."""
        if not await self._spent(records, user.id, use):
            self._signin_refused("password_check", "invalid_code", client, user.email, user)
            raise _invalid_code()
        await self.throttle.login_succeeded(records.attempts, user.email, client.address)

    async def count_reset_mail_request(self, email: str, client: ClientInfo) -> str:
        """Count a "Forgot your password?" request against ``client``'s address and the
        email (429 ``reset_throttled`` when either is locked), whether or not the email has
        an account, and owe its letter (when mail is set up); the normalised email. Nothing
        is read of the account here, so the answer takes as long for every email."""
        email = normalize_email(email)
        with self._refused_when_throttled("password_reset", client):
            async with self._work() as records:
                now = self.clock()
                await self.throttle.reserve_reset_mail(records.attempts, email, client.address, now)
                await self._owe(records, ResetLetter(email))
        self._owed()
        return email

    async def request_reset_mail(self, email: str, client: ClientInfo) -> None:
        """Count a "Forgot your password?" request (429 when throttled; 403
        ``reset_by_email_disabled`` without mail) and owe its mail: the link is issued and
        sent after the answer, only when an enabled account has the email, so neither the
        answer nor its timing says whether one does."""
        if self.mail is None:
            raise ResetByEmailDisabled("password reset by email is not set up on this server")
        await self.count_reset_mail_request(email, client)

    async def write_letter(self, letter: Letter) -> Mail | None:
        """The mail of an owed letter, written now (``AccountMail``'s writer): a reset
        letter issues its code (for an enabled account only), an invite's is unsealed
        (while the invite is usable), a reply's goes to an enabled account that still wants
        it; None when there is nothing to send after all."""
        if isinstance(letter, Notice):
            return letters.notice_mail(letter, self.site_name)
        mail = self.mail
        if mail is None:
            return None
        if isinstance(letter, ReplyLetter):
            async with self._work() as records:
                user = await records.users.get_one_or_none(User.id == letter.user_id)
            if user is None or user.disabled_at is not None or not user.reply_mail:
                return None  # gone, disabled or turned off since the letter was owed
            stop = self._unsubscribe_links(mail, "reply_mail", user)
            return letters.reply_mail(user.email, letter, mail.origin, stop)
        if isinstance(letter, FailedTranscodeLetter | ReportedCommentLetter):
            return await self._admin_mail(mail, letter)
        if isinstance(letter, EmailConfirmLetter):
            return await self._email_confirm_mail(mail, letter)
        if isinstance(letter, ResetLetter):
            issued = await self.issue_reset_by_email(letter.email)
            if issued is None:
                return None
            link = mail.link(issued.link_path)
            return letters.reset_mail(letter.email, link, issued.expires_at, self.site_name)
        return await self._invite_mail(mail, letter)

    async def _admin_mail(self, mail: AccountMail, letter: AdminLetter) -> Mail | None:
        """The mail of an admin's notice, None unless its account is still an enabled admin
        that wants such mail."""
        async with self._work() as records:
            user = await records.users.get_one_or_none(User.id == letter.user_id)
        if user is None or user.disabled_at is not None or user.role != "admin":
            return None  # gone, disabled or no longer an admin since the letter was owed
        if not user.admin_mail:
            return None
        stop = self._unsubscribe_links(mail, "admin_mail", user)
        if isinstance(letter, FailedTranscodeLetter):
            return letters.failed_transcode_mail(
                user.email, letter, mail.origin, self.site_name, stop
            )
        return letters.reported_comment_mail(user.email, letter, mail.origin, self.site_name, stop)

    def _unsubscribe_links(
        self, mail: AccountMail, kind: unsubscribe.MailChoice, user: User
    ) -> unsubscribe.Links:
        """The one-click links that turn ``kind`` off for ``user``, as mailed now."""
        sealed = unsubscribe.token(self.sealing, kind, user.id, user.email)
        return unsubscribe.links(mail.origin, kind, sealed)

    async def unsubscribe_by_link(self, kind: unsubscribe.MailChoice, sealed: str) -> Unsubscribed:
        """Turn mail of ``kind`` off for the account a mailed one-click token names (no
        sign-in: the token proves the mail was read). 400 ``invalid_unsubscribe_link`` for
        a token forged, altered, of another kind or stale (the account's sign-in email
        changed since, or the token's key was removed), 404 ``account_not_found`` for an
        account deleted since; nothing changes then. Already off: the same answer."""
        named = unsubscribe.opened(self.sealing, kind, sealed)
        invalid = BadRequest(
            "this unsubscribe link does not work (altered, or the account's email changed "
            "since it was mailed): sign in and change your mail on your Account page",
            code="invalid_unsubscribe_link",
        )
        if named is None:
            raise invalid
        async with self._work() as records:
            user = await records.users.get_one_or_none(User.id == named.user_id)
            if user is None:
                raise NotFound("the account of this link was deleted", code="account_not_found")
            if user.email != named.email:
                raise invalid
            was = (user.reply_mail, user.admin_mail)
            if kind == "reply_mail":
                user.reply_mail = False
            else:
                user.admin_mail = False
            if was != (user.reply_mail, user.admin_mail):
                user.updated_at = self.clock()
        log.info("auth.unsubscribed", user_id=str(user.id), kind=kind)
        return Unsubscribed(kind)

    async def _email_confirm_mail(
        self, mail: AccountMail, letter: EmailConfirmLetter
    ) -> Mail | None:
        """The mail of a pending email's link, None unless its code can still be used."""
        context = letters.email_confirm_context(letter.pending_id)
        code = self.sealing.open(letter.sealed_code, context)
        async with self._work() as records:
            pending = await records.pending_emails.usable(letter.pending_id, self.clock())
            user = None if pending is None else await records.users.by_id(pending.user_id)
        if pending is None or user is None:
            return None  # withdrawn, used or expired meanwhile: the link would not work
        link = mail.link(EMAIL_CONFIRM_LINK_PATH + code)
        return letters.email_confirm_mail(
            pending.email, link, user.email, pending.expires_at, self.site_name
        )

    async def _invite_mail(self, mail: AccountMail, letter: InviteLetter) -> Mail | None:
        """The mail of an owed invite, None unless the invite can still be used."""
        code = self.sealing.open(letter.sealed_code, letters.invite_context(letter.invite_id))
        async with self._work() as records:
            invite = await records.invites.get_one_or_none(Invite.id == letter.invite_id)
            if invite is None or invite.mailed_to is None:
                return None
            if not await records.invites.usable(invite.code_hash, self.clock()):
                return None  # revoked, used or expired meanwhile: the link would not work
            # Who invites is read only for a mail that names them.
            inviter = None
            if invite.created_by is not None:
                inviter = await records.users.get_one_or_none(User.id == invite.created_by)
        name = (inviter.display_name or inviter.email) if inviter else "An administrator"
        link = mail.link(_invite_link_path(code, invite.mailed_to))
        return letters.invite_mail(invite.mailed_to, link, name, invite.expires_at, self.site_name)

    async def issue_reset_by_email(self, email: str) -> PasswordResetCreated | None:
        """A single-use, one-hour reset code for the enabled account of ``email``, which
        the account's owner asked for (no issuer); None when there is no such account.
        Older unused codes of the account stop working, as with an admin's."""
        now = self.clock()
        async with self._work() as records:
            user = await records.users.by_email(email)
            if user is None or user.disabled_at is not None:
                return None
            if user.id not in await records.users.locked([user.id]):
                return None  # deleted meanwhile
            created = await _new_reset(records, user.id, None, now)
        log.info("password_reset_requested", user_id=str(user.id))
        return created

    # --- sign-in and tokens -----------------------------------------------------------------

    async def login(
        self, email: str, password: str, client: ClientInfo, code: str | None = None
    ) -> IssuedTokens:
        """Check the password (throttled), and for an account with two-factor on the
        ``code`` too, then open a new session.

        The attempt is counted (or refused with 429) before the password is checked, so
        concurrent guesses cannot outrun the throttle; a missing or wrong code leaves it
        counted, as a wrong password does, so codes cannot be guessed faster.
        """
        email = normalize_email(email)
        # No account has a password outside the rules; it is verified anyway, for the timing.
        with contextlib.suppress(InvalidCredentialFormat):
            password = check_password(password)
        with self._refused_when_throttled("signin", client, email):
            async with self._work() as records:
                await self.throttle.reserve_login(
                    records.attempts, email, client.address, self.clock()
                )
                found = await records.users.signing_in(email)
        user, secret = (None, None) if found is None else found
        user = await self._password_signs_in(user, password, client, email)
        use = (
            None
            if not two_factor_on(secret)
            else await self._signin_code(secret, code, client, user)
        )
        new_hash = None
        if self.passwords.needs_rehash(user.password_hash):
            new_hash = await self.passwords.hash(password)
        now = self.clock()
        async with self._work() as records:
            if use is not None and not await self._spent(records, user.id, use):
                self._signin_refused("signin", "invalid_code", client, email, user)
                raise _invalid_signin_code()  # a recovery code not (or no longer) there
            await self.throttle.login_succeeded(records.attempts, email, client.address)
            if new_hash is not None:
                await records.users.set_password_hash(user.id, new_hash, now)
            issued = await self._open_session(records, user, client, now)
        await self._signed_in(user.id, now)
        return issued

    async def _password_signs_in(
        self, user: User | None, password: str, client: ClientInfo, email: str
    ) -> User:
        """The account, if ``password`` is its password and it is enabled; the sign-in's
        refusals otherwise."""
        if user is None:
            await self.passwords.verify_nobody(password)
            self._signin_refused("signin", "unknown_account", client, email)
            raise InvalidCredentials("wrong email or password")
        if not await self.passwords.verify(user.password_hash, password):
            self._signin_refused("signin", "wrong_password", client, email, user)
            raise InvalidCredentials("wrong email or password")
        if user.disabled_at is not None:
            # Said only to whoever knows the password: it reveals nothing to a guesser.
            self._signin_refused("signin", "account_disabled", client, email, user)
            raise _account_disabled()
        return user

    async def _signin_code(
        self, secret: TwoFactorSecret | None, code: str | None, client: ClientInfo, user: User
    ) -> CodeUse:
        """How the sign-in's ``code`` is spent; 401 ``two_factor_required`` without one (its
        attempt given back but for the email + address), 401 ``invalid_code`` for an app's
        code that is wrong, expired or used."""
        if not code or not clean_code(code):
            async with self._work() as records:
                await self.throttle.code_asked(records.attempts, user.email, client.address)
            raise TwoFactorRequired("enter the code from your authenticator app")
        use = None if secret is None else self._code_use(secret, code)
        if use is None:
            self._signin_refused("signin", "invalid_code", client, user.email, user)
            raise _invalid_signin_code()
        return use

    def _code_use(self, secret: TwoFactorSecret, code: str) -> CodeUse | None:
        """What spends ``code`` for the account of ``secret`` now: an app's code of a time
        step not used yet, or any other shape taken for a recovery code; None for an app's
        code that is wrong, expired or used."""
        cleaned = clean_code(code)
        if not is_app_code(cleaned):
            return CodeUse(recovery_hash=recovery_digest(cleaned))
        step = matching_step(self._totp_secret(secret), cleaned, self.clock(), secret.last_step)
        return None if step is None else CodeUse(step=step)

    def _totp_secret(self, secret: TwoFactorSecret) -> str:
        """The account's TOTP secret, opened; 503 ``two_factor_unreadable`` when no key of
        the sealing keys file opens it (the operator removed its key): refused, never
        waved through."""
        try:
            return self.sealing.open(secret.secret, two_factor_context(secret.user_id))
        except UnsealableSecret as exc:
            log.error("auth.two_factor_unreadable", user_id=str(secret.user_id), error=str(exc))
            raise ServiceUnavailable(
                "this account's two-factor secret cannot be read on this server; an admin "
                "can turn two-factor off for it",
                code="two_factor_unreadable",
            ) from None

    async def seal_two_factor_secrets(self) -> int:
        """Seal with the current key every two-factor secret kept in clear or sealed with an
        older key (run at start-up, so a new key put first takes over); how many changed.
        A secret no key opens is logged and left as it is."""
        async with self._work() as records:
            stale = await records.two_factor.not_starting(self.sealing.current_prefix)
        changed = 0
        for user_id, stored in stale:
            context = two_factor_context(user_id)
            try:
                resealed = self.sealing.seal(self.sealing.open(stored, context), context)
            except UnsealableSecret as exc:
                log.error("auth.two_factor_unreadable", user_id=str(user_id), error=str(exc))
                continue
            async with self._work() as records:
                changed += await records.two_factor.replace_secret(user_id, stored, resealed)
        return changed

    @staticmethod
    async def _spent(records: AuthRecords, user_id: uuid.UUID, use: CodeUse) -> bool:
        """Spend a checked code: record its time step used, or use up the recovery code;
        False when it was used meanwhile (or is no recovery code of the account)."""
        if use.step is not None:
            return await records.two_factor.use_step(user_id, use.step)
        assert use.recovery_hash is not None  # one of the two is always set
        return await records.two_factor.spend_recovery_code(user_id, use.recovery_hash)

    async def refresh(self, token: str, client: ClientInfo) -> IssuedTokens:
        """Exchange a refresh token for a new pair.

        Presenting a spent token again within the grace window (two tabs refreshing at
        once) returns the pair it was exchanged for; later, it is taken for theft and the
        whole session is revoked.
        """
        claims = self.verifier.verify(token, "refresh")
        now = self.clock()
        signed_in_due = False  # whether this refresh records that the account signed in
        async with self._work() as records:
            # Claimed first: on SQLite the write begins the transaction, so the account read
            # next is current (and on Postgres the token row is held before the account).
            claimed = await records.tokens.claim(claims.jti, now)
            found = await records.tokens.with_session(claims.jti)
            if found is None:
                # Signed by us, of no row: spent and forgotten (``delete_spent``) if its
                # session still lives, so reuse like any spent one.
                session = await self._live_session(records, claims)
                issued: IssuedTokens | None = None
            else:
                row, session, user = found
                _check_session(session, claims)
                if claimed:
                    signed_in_due = _signed_in_due(user, now)
                    issued = await self._rotate(records, session, user, client, now)
                    if self.refresh_grace:
                        sealed = seal_successor(token, issued)
                        await records.tokens.seal_successor(row.id, sealed)
                else:
                    issued = await self._successor_in_grace(records, row.id, token, now)
            if issued is None:
                # Rotated before: either a thief or the owner holds a copy. End the session.
                await self._revoke_sessions(records, LoginSession.id == session.id, now)
        if signed_in_due:
            await self._signed_in(uuid.UUID(claims.sub), now, unless_since=now - SIGNED_IN_EVERY)
        if issued is None:
            refused(
                "refresh",
                "refresh_token_reused",
                client.address,
                user_id=claims.sub,
                session_id=session.id,
            )
            raise InvalidToken(
                "refresh token reused; the session was revoked", code="refresh_token_reused"
            )
        return issued

    async def logout(self, caller: Principal, *, everywhere: bool = False) -> None:
        """Revoke the presented access token and the session it belongs to; ``everywhere``,
        every session of the caller and every access token issued in them, and withdraw the
        caller's unused reset codes.

        When the revocation list cannot be written (its store is away), the sessions are
        still signed out in the database, and 503 :class:`SignOutIncomplete` says so; when
        the database is away too, its own 503 (nothing changed).
        """
        scope = _SignOut.of(caller.user_id, caller.family, everywhere=everywhere)
        now = self.clock()
        try:
            await self.revocations.revoke([caller.jti])
            if scope is not None:
                async with self._work() as records:
                    await self._revoke_sessions(records, scope.sessions, now)
                    await _withdraw_other_ways_in(records, scope, now)
        except ServiceUnavailable:
            if scope is None:
                raise
            async with self._work() as records:
                await self._sign_out_in_database(records, scope)
            raise self._incomplete(scope) from None

    async def logout_by_refresh_token(self, token: str, *, everywhere: bool = False) -> NoReturn:
        """Sign out the session of ``token`` (a refresh token), or ``everywhere`` every
        session of its account, in the database alone: the way to sign out while the
        revocation list cannot be read, so no access token can be authenticated (then 503
        :class:`SignOutIncomplete`; 401 for a token not ours, or of a session signed out).

        The refresh token alone is enough: whoever holds it could exchange it for an access
        token and sign out with that. A spent one of a session still signed in is no
        exception: presented to the refresh route, it ends the session as a theft. An
        access token alone is never taken for one here: it cannot be checked against the
        revocation list now.
        """
        claims = self.verifier.verify(token, "refresh")
        scope = _SignOut.of(claims.sub, claims.fam, everywhere=everywhere)
        family = _uuid_or_none(claims.fam)
        if scope is None or family is None:
            raise InvalidToken("unknown refresh token")
        async with self._work() as records:
            session = await records.sessions.get_one_or_none(LoginSession.id == family)
            if session is None:
                raise InvalidToken("unknown refresh token")
            _check_session(session, claims)
            await self._sign_out_in_database(records, scope)
        raise self._incomplete(scope)

    async def _sign_out_in_database(self, records: AuthRecords, scope: _SignOut) -> None:
        """Mark the sessions of ``scope`` signed out, without the revocation list: their
        refresh tokens stop working; their access tokens, when they expire."""
        now = self.clock()
        await records.sessions.mark_revoked(scope.sessions, now)
        await _withdraw_other_ways_in(records, scope, now)

    def _incomplete(self, scope: _SignOut) -> SignOutIncomplete:
        """The 503 of a sign-out done in the database alone, saying how long until it holds."""
        return SignOutIncomplete(self.issuer.ttl("access"), everywhere=scope.everywhere)

    # --- sessions ---------------------------------------------------------------------------

    async def list_sessions(self, caller: Principal) -> list[SessionView]:
        """The caller's active sessions, most recently used first."""
        user = _uuid_or_none(caller.user_id)
        if user is None:
            return []
        async with self._work() as records:
            rows = await records.sessions.active(user, self.clock())
        return [
            SessionView(
                s.id,
                s.created_at,
                s.last_used_at,
                s.expires_at,
                s.user_agent,
                current=str(s.id) == caller.family,
            )
            for s in rows
        ]

    async def revoke_session(self, caller: Principal, session_id: uuid.UUID) -> None:
        """Sign out one of the caller's sessions; 404 if it is not theirs."""
        user = _uuid_or_none(caller.user_id)
        async with self._work() as records:
            session = await records.sessions.get_one_or_none(LoginSession.id == session_id)
            if session is None or session.user_id != user:
                raise NotFound("no such session")
            await self._revoke_sessions(records, LoginSession.id == session_id, self.clock())

    # --- invites ------------------------------------------------------------------------

    async def create_invite(
        self,
        caller: Principal,
        expires_in_hours: int,
        note: str | None = None,
        email: str | None = None,
    ) -> InviteCreated:
        """A new single-use invite code, valid for ``expires_in_hours``, with the admin's
        ``note`` (blank: none); the code is shown only now. With ``email``, its link is
        mailed there after the answer: 409 ``mail_disabled`` without mail, 429
        ``invite_mail_throttled`` past a handful a minute per admin (nothing created)."""
        mailed_to = self._invite_mail_address(email)
        code = secrets.token_urlsafe(16)
        now = self.clock()
        kept_note = invite_note(note)
        async with self._work() as records:
            author = await self._author(records, caller)
            if mailed_to is not None:
                await _refuse_invitee_with_a_way_in(records, mailed_to, now)
                await self.throttle.reserve_invite_mail(records.attempts, caller.user_id, now)
            invite = Invite(
                id=uuid.uuid4(),
                code_hash=code_digest(code),
                created_by=author,
                created_at=now,
                expires_at=now + datetime.timedelta(hours=expires_in_hours),
                note=kept_note,
                mailed_to=mailed_to,
            )
            await records.invites.add(invite, auto_refresh=False)
            await self._unless_stripped(caller)
            if mailed_to is not None and self.mail is not None:
                sealed = self.sealing.seal(code, letters.invite_context(invite.id))
                await self._owe(records, InviteLetter(invite.id, sealed))
        self._owed()
        # The note and the address stay out of the log: they may name the person invited.
        log.info("invite_created", invite_id=str(invite.id), by=caller.user_id)
        created = InviteCreated(
            invite.id,
            code,
            invite.created_at,
            invite.expires_at,
            kept_note,
            _invite_link_path(code, mailed_to),
            mailed_to=mailed_to,
        )
        return created

    def _invite_mail_address(self, email: str | None) -> str | None:
        """The normalised address an invite is to be mailed to (400 when malformed), None
        when none; 409 ``mail_disabled`` when given but no mail server is set up."""
        if email is None:
            return None
        if self.mail is None:
            raise MailDisabled("mail is not configured on this server: hand over the link instead")
        return normalize_email(email)

    async def list_invites(self, limit: int) -> InviteList:
        """The usable invites, then the others, newest first, with what became of each and
        who used it."""
        now = self.clock()
        async with self._work() as records:
            invites = await records.invites.newest(limit, now)
        return InviteList([invite_view(listed, now) for listed in invites])

    async def revoke_invite(self, caller: Principal, invite_id: uuid.UUID) -> None:
        """The caller revokes an unused invite (again is fine); 404 unknown, 409 when
        already used."""
        async with self._work() as records:
            by = await self._author(records, caller)
            if await records.invites.revoke(invite_id, by, self.clock()):
                log.info("invite_revoked", invite_id=str(invite_id), by=caller.user_id)
                return
            invite = await records.invites.get_one_or_none(Invite.id == invite_id)
        if invite is None:
            raise NotFound("no such invite")
        if invite.used_at is not None:
            raise Conflict("this invite was already used", code="invite_used")

    # --- operators ----------------------------------------------------------------------

    async def ensure_admin_exists(self) -> AdminAccount | None:
        """Dev start-up: with no admin at all, (re)set ``admin@localhost`` as one.

        Returns the account with its generated password, to be shown once, or None when
        an admin exists.
        """
        async with self._work() as records:
            if await records.users.has_admin():
                return None
        return await self.create_admin(DEV_ADMIN_EMAIL, None, reset_password=True)

    async def create_admin(
        self, email: str, password: str | None, *, reset_password: bool = False
    ) -> AdminAccount:
        """Create an admin, or promote an existing account (its owner told, as of an admin's
        change of its role: ``made_admin``).

        A new account gets ``password``, or a generated one that is returned. An existing
        one keeps its password unless ``password`` is given or ``reset_password`` is set.
        """
        email = normalize_email(email)
        if password is not None:
            password = await asyncio.to_thread(
                check_new_password, password, email=email, display_name=None
            )
        async with self._work() as records:
            exists = await records.users.by_email(email) is not None
        if not exists:
            generated = None
            if password is None:
                password = generated = secrets.token_urlsafe(18)
            password_hash = await self.passwords.hash(password)
            try:
                async with self._work() as records:
                    await self._insert_user(
                        records, email, password_hash, "admin", None, generated=bool(generated)
                    )
            except Conflict:
                # Created concurrently (another replica starting): promote that one instead.
                retry_password = None if generated is not None else password
                return await self.create_admin(email, retry_password, reset_password=reset_password)
            return AdminAccount(email, created=True, password=generated)
        new_password = password
        if new_password is None and reset_password:
            new_password = secrets.token_urlsafe(18)
        new_hash = None if new_password is None else await self.passwords.hash(new_password)
        now = self.clock()
        async with self._work() as records:
            user = await records.users.by_email(email)
            if user is None:
                raise NotFound("the account was deleted meanwhile")
            if user.role != "admin":
                await records.users.set_role(user, "admin", now)
                # Told as an admin's change of the role is; its tokens stay (a viewer's
                # hold less), the new role coming at their next refresh.
                await self._owe(records, Notice("made_admin", user.email, now, by="admin"))
            if new_hash is not None:
                made = password is None
                await self._set_password(records, user.id, new_hash, now, generated=made)
        self._owed()
        shown = new_password if password is None else None
        return AdminAccount(email, created=False, password=shown)

    # --- internals --------------------------------------------------------------------------

    @contextlib.contextmanager
    def _refused_when_throttled(
        self,
        attempt: Attempt,
        client: ClientInfo,
        email: str | None = None,
        user: User | None = None,
    ) -> Iterator[None]:
        """Log and count ``attempt`` refused when the throttle refuses it in the block (its
        429 goes on): with the account's tag when an ``email`` was tried."""
        try:
            yield
        except Throttled as error:
            if email is None:
                refused(attempt, error.reason, client.address)
            else:
                self._signin_refused(attempt, error.reason, client, email, user)
            raise

    def _signin_refused(
        self,
        attempt: Attempt,
        reason: Reason,
        client: ClientInfo,
        email: str,
        user: User | None = None,
    ) -> None:
        """Log and count a refused password check: the account by its id when the email is
        one's, and always by its tag, which the throttled lines (no account read) share."""
        user_id = None if user is None else user.id
        tag = self.throttle.account_tag(email)
        refused(attempt, reason, client.address, user_id=user_id, account_tag=tag)

    @staticmethod
    async def _issuable(
        records: AuthRecords, user_id: uuid.UUID, disabled: type[Forbidden] | type[InvalidToken]
    ) -> User:
        """The account, held until the unit of work ends, if tokens may be issued to it.

        A disabled account gets ``disabled`` (403 at sign-in, 401 at refresh) with code
        ``account_disabled``.
        """
        user = await records.users.for_token_issue(user_id)
        if user is None:
            raise InvalidToken("the account no longer exists")
        if user.disabled_at is not None:
            raise disabled(_DISABLED_DETAIL, code="account_disabled")
        return user

    async def _reset_account(self, code_hash: str, client: ClientInfo) -> User:
        """The account a usable reset code (by its hash) belongs to, after counting the
        attempt against ``client``'s address; else the one ``invalid_reset_code`` 403."""
        now = self.clock()
        with self._refused_when_throttled("password_reset", client):
            async with self._work() as records:
                await self.throttle.reserve_address(records.attempts, "reset", client.address, now)
                reset = await records.resets.usable(code_hash, now)
                user = None if reset is None else await records.users.by_id(reset.user_id)
        if user is None:
            refused("password_reset", "invalid_reset_code", client.address)
            raise _invalid_reset_code()
        return user

    async def _account_of(self, caller: Principal) -> User:
        """The caller's account row, read in a unit of work of its own."""
        async with self._work() as records:
            return await self._caller_account(records, caller)

    @staticmethod
    async def _caller_account(records: AuthRecords, caller: Principal) -> User:
        """The caller's account row; 401 when it no longer exists."""
        user_id = _uuid_or_none(caller.user_id)
        user = None if user_id is None else await records.users.by_id(user_id)
        if user is None:
            raise InvalidToken("the account no longer exists")
        return user

    @staticmethod
    async def _user(records: AuthRecords, user_id: uuid.UUID) -> User:
        """The account an admin acts on; 404 when there is none."""
        user = await records.users.by_id(user_id)
        if user is None:
            raise NotFound("no such user")
        return user

    @staticmethod
    async def _author(records: AuthRecords, caller: Principal) -> uuid.UUID | None:
        """Who issues a code, as recorded: None for an admin token outliving its account.

        Their row is held (shared) until the code is stored, so their demotion, disabling
        or deletion, which withdraws the codes they issued, waits for the code and
        withdraws it too, or comes first (then :meth:`_unless_stripped` refuses).
        """
        author = _uuid_or_none(caller.user_id)
        if author is None or await records.users.for_token_issue(author) is None:
            return None
        return author

    async def _unless_stripped(self, caller: Principal) -> None:
        """403 when the caller's token was revoked while their code was being stored (they
        were demoted, disabled or deleted, which withdrew their codes before this one was
        stored: it would have outlived their admin rights). Asked once the code's row is
        written, which on SQLite waits for such a change to commit, as the held row does
        on Postgres; the revocation is written before that commit."""
        if await self.revocations.is_revoked(caller.jti):
            raise Forbidden("admin role required")

    async def _open_session(
        self, records: AuthRecords, user: User, client: ClientInfo, now: datetime.datetime
    ) -> IssuedTokens:
        family = uuid.uuid4()
        user = await self._issuable(records, user.id, Forbidden)
        await records.sessions.delete_expired(user.id, now, one_in=EXPIRED_SESSIONS_ONE_IN)
        issued = self._sign(user, family)
        # Written with its first refresh token's expiry: the new session needs no touch.
        login_session = LoginSession(
            id=family,
            user_id=user.id,
            created_at=now,
            last_used_at=now,
            expires_at=_at(issued.refresh.expires_at),
            user_agent=client.user_agent,
        )
        await records.sessions.open(login_session, _token_row(issued, family, now))
        return issued

    @staticmethod
    async def _live_session(records: AuthRecords, claims: Claims) -> LoginSession:
        """The session a refresh token of no row names, if it is the token's and lives."""
        family = _uuid_or_none(claims.fam)
        session = None if family is None else await records.sessions.get_one_or_none(id=family)
        if session is None:
            raise InvalidToken("unknown refresh token")
        _check_session(session, claims)
        return session

    async def _successor_in_grace(
        self, records: AuthRecords, jti: str, token: str, now: datetime.datetime
    ) -> IssuedTokens | None:
        """The pair a spent token was exchanged for, if it was spent within the grace window."""
        used_at, sealed = await records.tokens.successor_of(jti)
        if used_at is None or sealed is None or now - used_at > self.refresh_grace:
            return None
        return open_successor(token, sealed)

    async def _rotate(
        self,
        records: AuthRecords,
        session: LoginSession,
        user: User,
        client: ClientInfo,
        now: datetime.datetime,
    ) -> IssuedTokens:
        """A new pair in ``session``, whose previous refresh token was just claimed; the
        account (held since it was read) must still be enabled."""
        if user.disabled_at is not None:
            raise InvalidToken(_DISABLED_DETAIL, code="account_disabled")
        await records.tokens.delete_spent(session.id, now, self.refresh_grace)
        issued = self._sign(user, session.id)
        await records.tokens.add(_token_row(issued, session.id, now), auto_refresh=False)
        expires_at = _at(issued.refresh.expires_at)
        if not await records.sessions.touch(session.id, now, expires_at, client.user_agent):
            # Signed out since it was read (a sign-out everywhere at this moment): the
            # pair is not issued, and the unit of work rolls its row back.
            raise InvalidToken("this session was signed out", code="session_revoked")
        return issued

    async def _signed_in(
        self,
        user_id: uuid.UUID,
        now: datetime.datetime,
        *,
        unless_since: datetime.datetime | None = None,
    ) -> None:
        """Record that the account signed in (or refreshed its tokens) ``now``, in a unit of
        work of its own once the sign-in's or refresh's has committed.

        Theirs hold the account's row shared (``for_token_issue``) until they end: two
        devices of one account each writing it inside theirs would each wait for the other's
        share (a deadlock on PostgreSQL). On its own the update waits for them and holds
        nothing else. A refresh writes it at most once an hour (``unless_since``), so an
        active account costs no write per request. Best effort: the sign-in has committed,
        so a failure here is logged and the caller still gets the tokens."""
        try:
            async with self._work() as records:
                await records.users.signed_in(user_id, now, unless_since=unless_since)
        except Exception as exc:  # a shown time missed, never a sign-in lost
            log.warning("auth.last_signed_in_not_recorded", user_id=str(user_id), error=repr(exc))

    def _sign(self, user: User, family: uuid.UUID) -> IssuedTokens:
        """A new access and refresh token for ``user`` in the session ``family``; the access
        token carries the display name the row read now has (a rename shows from the next
        refresh), the refresh token none (it is shown to no module)."""
        subject, fam = str(user.id), str(family)
        access = self.issuer.sign(
            "access", user_id=subject, role=user.role, family=fam, name=user.display_name
        )
        refresh = self.issuer.sign("refresh", user_id=subject, role=user.role, family=fam)
        return IssuedTokens(access, refresh, self.issuer.ttl("access"), user.role)

    async def _revoke_sessions(
        self, records: AuthRecords, which: ColumnElement[bool], now: datetime.datetime
    ) -> None:
        """Mark sessions revoked and put their live access tokens on the revocation list.

        The sessions are marked first: the rows written wait for refreshes in flight in
        them to commit, so their new access tokens are among those read and revoked next
        (read first, a token a refresh issued meanwhile outlived a sign-out everywhere);
        a refresh later than the mark refuses to touch a revoked session. The revocation
        list is written before the commit: if the database then fails, the sessions are
        merely still refreshable, never the other way round.
        """
        await records.sessions.mark_revoked(which, now)
        await self._revoke_access_tokens(records, which, now)

    @staticmethod
    async def _withdraw_codes_issued_by(
        records: AuthRecords, admin_id: uuid.UUID, now: datetime.datetime
    ) -> None:
        """An admin stops being one (demoted, disabled, deleted): the unused reset and invite
        codes they issued, which they saw, stop working with their admin rights."""
        await records.resets.withdraw_issued_by(admin_id, now)
        await records.invites.revoke_created_by(admin_id, now)

    async def _revoke_access_tokens(
        self, records: AuthRecords, which: ColumnElement[bool], now: datetime.datetime
    ) -> None:
        """Put the live access tokens of the sessions ``which`` selects on the revocation list."""
        await self.revocations.revoke(await records.tokens.live_access_jtis(which, now))

    async def _set_password(
        self,
        records: AuthRecords,
        user_id: uuid.UUID,
        password_hash: str,
        now: datetime.datetime,
        *,
        keep: uuid.UUID | None = None,
        generated: bool = False,
    ) -> str | None:
        """Store a new password hash (``generated``: one StreamStack made and printed), sign
        out every session of the account but ``keep``, and withdraw its unused reset codes
        (a link handed over before would undo the change) and its pending email's link (one
        who knew the old password may have asked it for their own address): that address,
        if its link still worked, for the notice to name.

        The user row is written first: a refresh in flight holds it (shared) until it
        commits, so its new tokens are among those revoked here, or it sees the change.
        """
        await records.users.set_password_hash(user_id, password_hash, now, generated=generated)
        await records.resets.withdraw_unused(user_id, now)
        withdrawn = await records.pending_emails.withdraw_unused(user_id, now)
        await self._revoke_sessions(records, _sessions_but(user_id, keep), now)
        return withdrawn

    async def _registration_problem(
        self, records: AuthRecords, email: str, code_hash: str | None, client: ClientInfo
    ) -> AppError | None:
        if code_hash is not None and not await records.invites.usable(code_hash, self.clock()):
            refused("registration", "invalid_invite", client.address)
            return _invalid_invite()
        if await records.users.by_email(email) is not None:
            return _email_taken()
        return None

    async def _insert_user(
        self,
        records: AuthRecords,
        email: str,
        password_hash: str,
        role: str,
        name: str | None,
        *,
        generated: bool = False,
    ) -> User:
        now = self.clock()
        user = User(
            id=uuid.uuid4(),
            email=email,
            display_name=name,
            role=role,
            password_hash=password_hash,
            created_at=now,
            updated_at=now,
            password_generated=generated,
        )
        try:
            return await records.users.add(user, auto_refresh=False)
        except IntegrityError:
            raise _email_taken() from None


_DISABLED_DETAIL = "this account is disabled; ask an administrator"


def _token_row(issued: IssuedTokens, family: uuid.UUID, now: datetime.datetime) -> RefreshToken:
    """What is stored of a newly issued pair."""
    return RefreshToken(
        id=issued.refresh.jti,
        session_id=family,
        created_at=now,
        expires_at=_at(issued.refresh.expires_at),
        access_jti=issued.access.jti,
        access_expires_at=_at(issued.access.expires_at),
    )


async def _name_problem(records: AuthRecords, name: str | None) -> AppError | None:
    """Why a non-admin may not take the display ``name`` (it could pass for an admin's or
    an email address), or None (an admin may take any name: not asked for one)."""
    if name is None:
        return None
    return viewer_name_problem(name, await records.users.admin_names())


async def _announce_name(
    records: AuthRecords, user_id: uuid.UUID, name: str | None, now: datetime.datetime
) -> None:
    """Put ``user.named`` (the account's display name as of ``now``) in the outbox, in the
    unit of work that changes the name: the event exists if and only if the change does."""
    payload = msgspec.json.encode(UserNamed(str(user_id), name, now))
    await records.outbox.enqueue(uuid.uuid4().hex, USER_NAMED, payload, now)


async def _announce_no_longer_admin(
    records: AuthRecords, user_id: uuid.UUID, now: datetime.datetime
) -> None:
    """Put ``user.no_longer_admin`` in the outbox, in the unit of work that demotes or
    disables the admin: what they made with their rights (share links) stops with them."""
    payload = msgspec.json.encode(NoLongerAdmin(str(user_id), now))
    await records.outbox.enqueue(uuid.uuid4().hex, NO_LONGER_ADMIN, payload, now)


def _sessions_but(user_id: uuid.UUID, keep: uuid.UUID | None) -> ColumnElement[bool]:
    """The sessions of ``user_id`` other than ``keep`` (every one when it is None)."""
    sessions = LoginSession.user_id == user_id
    return sessions if keep is None else sessions & (LoginSession.id != keep)


def _digests(codes: Sequence[str]) -> list[str]:
    return [recovery_digest(code) for code in codes]


def _invalid_signin_code() -> InvalidSignInCode:
    # One answer for wrong, expired and used codes, app's or recovery.
    return InvalidSignInCode(
        "that code is not right, or was used already; codes change every 30 seconds"
    )


def _invalid_code() -> Forbidden:
    return Forbidden(
        "that code is not right, or was used already; codes change every 30 seconds",
        code="invalid_code",
    )


def _two_factor_on() -> Conflict:
    return Conflict(
        "two-factor authentication is already on; turn it off first", code="two_factor_on"
    )


def _two_factor_off() -> Conflict:
    return Conflict("two-factor authentication is off", code="two_factor_off")


def _account_disabled() -> Forbidden:
    return Forbidden(_DISABLED_DETAIL, code="account_disabled")


def _last_admin(action: str) -> Conflict:
    return Conflict(f"the last admin cannot be {action}", code="last_admin")


def _invalid_reset_code() -> Forbidden:
    # One answer for unknown, used and expired codes.
    return Forbidden("this password-reset code is not valid", code="invalid_reset_code")


def _invalid_email_code() -> Forbidden:
    # One answer for unknown, used, withdrawn and expired codes.
    return Forbidden(
        "this link to confirm a new sign-in email does not work: it was used already, a "
        "newer one replaced it, or it expired; ask for the change again on your Account page",
        code="invalid_email_code",
    )


async def _refuse_invitee_with_a_way_in(
    records: AuthRecords, email: str, now: datetime.datetime
) -> None:
    """409 when an invite is not to be mailed to ``email``: an account signs in with it
    (``invitee_is_member``, naming it), or an invite mailed there can still be used
    (``invite_pending``, naming it: the admin revokes it first to send a new one)."""
    member = await records.users.by_email(email)
    if member is not None:
        name = f" ({member.display_name})" if member.display_name else ""
        raise InviteeIsMember(
            f"{email}{name} is already a member, since {_day(member.created_at)}: they sign "
            "in with this address, and need no invite"
        )
    pending = await records.invites.live_mailed_to(email, now)
    if pending is not None:
        which = f"“{pending.note}”" if pending.note else "without a note"
        raise InvitePending(
            f"{email} already has an active invite ({which}, made {_day(pending.created_at)}, "
            f"valid until {_day(pending.expires_at)}): to send a new one, revoke that one first"
        )


def _day(moment: datetime.datetime) -> str:
    """A day as a refusal names it: ``7 December 2026``, in UTC."""
    utc = moment.astimezone(datetime.UTC)
    return f"{utc.day} {utc:%B %Y}"


def _invite_link_path(code: str, mailed_to: str | None) -> str:
    """The register page's path taking invite ``code``. An invite for an address names it
    too, URL-encoded, for the page to fill in (walk 51 F7), in the link mailed there and in
    the one its admin is shown: both go to that address's owner, who knows it. In the
    fragment, as the code: never sent to a server."""
    if mailed_to is None:
        return INVITE_LINK_PATH + code
    return f"{INVITE_LINK_PATH}{code}&email={urllib.parse.quote(mailed_to, safe='@')}"


def _invalid_invite() -> Forbidden:
    # One answer for unknown, used, revoked and expired codes: nothing to learn by probing.
    return Forbidden("this invite code is not valid", code="invalid_invite")


def _email_taken() -> Conflict:
    return Conflict("an account with this email already exists", code="email_taken")


def _signed_in_due(user: User, now: datetime.datetime) -> bool:
    """Whether a refresh ``now`` records that ``user`` signed in: not recorded for
    :data:`SIGNED_IN_EVERY`."""
    last = user.last_signed_in_at
    return last is None or last < now - SIGNED_IN_EVERY


def _check_session(session: LoginSession, claims: Claims) -> None:
    """401 unless the refresh token's claims name this session, and it is not signed out."""
    if str(session.user_id) != claims.sub or str(session.id) != claims.fam:
        raise InvalidToken("unknown refresh token")  # anything written is rolled back
    if session.revoked_at is not None:
        raise InvalidToken("this session was signed out", code="session_revoked")


async def _new_reset(
    records: AuthRecords, user_id: uuid.UUID, created_by: uuid.UUID | None, now: datetime.datetime
) -> PasswordResetCreated:
    """A new single-use reset code for the (locked) account, valid :data:`RESET_LIFETIME`;
    its older unused codes stop working. ``created_by``: the admin who issued it, or None
    when its owner asked by mail."""
    code = secrets.token_urlsafe(24)
    await records.resets.withdraw_unused(user_id, now)
    reset = PasswordReset(
        id=uuid.uuid4(),
        user_id=user_id,
        code_hash=code_digest(code),
        created_by=created_by,
        created_at=now,
        expires_at=now + RESET_LIFETIME,
    )
    await records.resets.add(reset, auto_refresh=False)
    return PasswordResetCreated(user_id, code, RESET_LINK_PATH + code, reset.expires_at)


@dataclasses.dataclass(frozen=True, slots=True)
class _SignOut:
    """What a sign-out ends: the sessions it selects, of the account ``user``; ``everywhere``,
    all of them, and the account's unused reset codes too."""

    user: uuid.UUID
    sessions: ColumnElement[bool]
    everywhere: bool

    @classmethod
    def of(cls, user_id: str, family: str | None, *, everywhere: bool) -> _SignOut | None:
        """The session ``family`` of the account ``user_id`` (or, ``everywhere``, all of its
        sessions); None when a token names no account (or no session, for one)."""
        user = _uuid_or_none(user_id)
        if user is None:
            return None
        if everywhere:
            return cls(user, LoginSession.user_id == user, everywhere)
        family_id = _uuid_or_none(family)
        if family_id is None:
            return None
        return cls(
            user, (LoginSession.id == family_id) & (LoginSession.user_id == user), everywhere
        )


async def _withdraw_other_ways_in(
    records: AuthRecords, scope: _SignOut, now: datetime.datetime
) -> None:
    """A sign-out everywhere cuts every way in: a reset link handed over earlier no longer
    works either."""
    if scope.everywhere:
        await records.resets.withdraw_unused(scope.user, now)


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
