"""The auth module's tables: users, sessions, refresh tokens, attempt counters, invites,
password resets, sign-in emails waiting for their owner's confirmation, two-factor
secrets and recovery codes, the outbox of auth's events, the mail owed to account holders
and when each may next be mailed of replies on a video.

A *session* is one login: every refresh token rotated out of it belongs to the same
family, whose id is the ``fam`` claim of its tokens. Each refresh token row also records
the access token issued beside it, so that revoking a session can revoke its live access
tokens too.
"""

from __future__ import annotations

import datetime
import uuid

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, validates

from streamstack.contracts.limits import INVITE_NOTE_MAX
from streamstack.kernel.db import module_metadata
from streamstack.kernel.outbox import OutboxColumns
from streamstack.kernel.text import fold

#: Room for a two-factor secret sealed (``kernel/sealing.py``: some 92 characters).
SEALED_SECRET_CHARS = 128


class AuthBase(DeclarativeBase):
    """Declarative base of the auth module only, so its migrations cover only its tables."""

    metadata = module_metadata()


class User(AuthBase):
    """An account: normalised email, argon2id hash, role."""

    __tablename__ = "auth_users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(100))
    #: ``display_name`` folded as search folds (``kernel.text.fold``), kept by
    #: :meth:`_fold_name`: what the admins' user list matches a name against.
    name_key: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16), default="viewer", index=True)
    password_hash: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    #: Set while an admin has disabled the account: no sign-in, no token issued.
    disabled_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC)
    #: True while the password is one StreamStack generated and printed (``create-admin``
    #: without one, the dev admin): its owner is asked to set their own until they do.
    password_generated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Whether its owner is mailed when someone replies to their comments (their choice on
    #: the Account page; on unless they turn it off).
    reply_mail: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: Whether an admin is mailed when a video fails to transcode or a comment is reported
    #: (their choice; read for admins alone).
    admin_mail: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: When it last signed in, or refreshed its tokens (at most once an hour, see
    #: ``UserRepository.signed_in``); None if it never has since auth_0015.
    last_signed_in_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC)

    @validates("display_name")
    def _fold_name(self, _key: str, name: str | None) -> str | None:
        # Every way a name is set (constructor, profile change) passes here: one place.
        self.name_key = fold(name) if name else None
        return name


class LoginSession(AuthBase):
    """One login and every refresh token rotated out of it (a refresh-token family)."""

    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("auth_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    last_used_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    #: When the newest refresh token of the family expires.
    expires_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    user_agent: Mapped[str | None] = mapped_column(String(512))
    revoked_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC)


class RefreshToken(AuthBase):
    """One issued refresh token (by ``jti``) and the access token issued with it."""

    __tablename__ = "auth_refresh_tokens"
    __table_args__ = (Index("ix_auth_refresh_tokens_session_id", "session_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("auth_sessions.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    expires_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    #: Set when the token was exchanged; presenting it again is reuse.
    used_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC)
    access_jti: Mapped[str] = mapped_column(String(64))
    access_expires_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    #: The pair this token was exchanged for, sealed with a key derived from this token
    #: itself: only its holder can open it, during the rotation grace window.
    successor: Mapped[bytes | None] = mapped_column(LargeBinary)


class AttemptCounter(AuthBase):
    """Attempts counted under one key (sign-in per email+address, per address, …).

    ``key`` is a keyed hash: the table holds no emails or addresses in clear.
    """

    __tablename__ = "auth_attempt_counters"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer)
    #: Attempts before this instant are refused without being counted.
    locked_until: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    #: The last counted attempt; a counter idle for long enough starts again from zero.
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC, index=True)


class SingleUseCode:
    """The columns of a code an admin hands out once: only its hash is kept, it expires,
    and ``used_at`` marks it spent (invites and password resets)."""

    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    expires_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    used_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC)

    @declared_attr
    def created_by(cls) -> Mapped[uuid.UUID | None]:
        """The admin who issued it (kept NULL once that account is deleted)."""
        return mapped_column(Uuid, ForeignKey("auth_users.id", ondelete="SET NULL"))


class Invite(SingleUseCode, AuthBase):
    """A single-use invite code an admin created."""

    __tablename__ = "auth_invites"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    used_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("auth_users.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC)
    #: The admin who revoked it (None when it was withdrawn for them, or that account is gone).
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("auth_users.id", ondelete="SET NULL")
    )
    #: Why it was withdrawn when no admin revoked it: ``maker_no_longer_admin`` (its maker
    #: was demoted, disabled or deleted) or ``invitee_joined`` (an account has the address
    #: it was mailed to); None when revoked by an admin, and for every revoke before auth_0014.
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    #: What the admin noted to tell it apart ("for Alice, video club"); None when blank.
    note: Mapped[str | None] = mapped_column(String(INVITE_NOTE_MAX))
    #: The address the invite's link was mailed to; None when the admin handed it over.
    mailed_to: Mapped[str | None] = mapped_column(String(320), index=True)


class PasswordReset(SingleUseCode, AuthBase):
    """A single-use password-reset code an admin issued for a user."""

    __tablename__ = "auth_password_resets"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("auth_users.id", ondelete="CASCADE"), index=True
    )


class PendingEmail(AuthBase):
    """A sign-in email its account's owner asked for, not yet theirs: it becomes the
    account's when the single-use code mailed to it is used before ``expires_at``. Only the
    code's hash is kept; ``used_at`` marks it used, or withdrawn by a newer request or a
    cancel. The address is not reserved: anyone may register with it meanwhile."""

    __tablename__ = "auth_pending_emails"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("auth_users.id", ondelete="CASCADE"), index=True
    )
    #: Normalised, as ``User.email``.
    email: Mapped[str] = mapped_column(String(320))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    expires_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    used_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC)


class TwoFactorSecret(AuthBase):
    """An account's TOTP secret: pending from its setup until its first code confirms it
    (``enabled_at``), then two-factor is on. Goes with the account."""

    __tablename__ = "auth_two_factor"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("auth_users.id", ondelete="CASCADE"), primary_key=True
    )
    #: Base32, as the authenticator app was given it, sealed (``kernel/sealing.py``) with
    #: the account's id as its context; a row written before sealing holds it in clear.
    secret: Mapped[str] = mapped_column(String(SEALED_SECRET_CHARS))
    #: When the setup started (a pending one lasts ``two_factor.SETUP_LIFETIME``).
    created_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    enabled_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC)
    #: The TOTP time step of the last code used: that one and earlier are refused (replay).
    last_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(AuthBase):
    """One unused recovery code of an account (by its SHA-256); deleted when used."""

    __tablename__ = "auth_recovery_codes"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("auth_users.id", ondelete="CASCADE"), primary_key=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)


class AuthOutboxRow(OutboxColumns, AuthBase):
    """An event written in the transaction of its change, published by the relay later."""

    __tablename__ = "auth_outbox"
    EVENT_ID_LENGTH = 64
    SUBJECT_LENGTH = 200


class OwedMail(AuthBase):
    """A mail a committed change owes (its letter: the kind and the few facts its writer
    needs, never a link or a code in clear), written and sent by the task ``auth.mail``;
    deleted once sent or given up."""

    __tablename__ = "auth_owed_mail"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    #: The letter's kind, as logged: a ``KIND`` of :mod:`~streamstack.auth.letters`
    #: (``reset_mail``, ``invite_mail``, ``notice_mail``, ``reply_mail`` …).
    kind: Mapped[str] = mapped_column(String(32))
    #: The letter, as JSON (``letters.Letter``).
    letter: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    #: When it may be taken next: now, a retry's time, or the end of a sender's claim.
    due_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC, index=True)
    #: Hand-overs tried so far (counted when claimed).
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class ReplyMailQuiet(AuthBase):
    """Until when an account is mailed no other reply on one video: the first reply mailed
    starts a quiet window, so a flood of replies sends one mail (and a redelivered event,
    whose reply is inside the window it started, none)."""

    __tablename__ = "auth_reply_mail_quiet"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("auth_users.id", ondelete="CASCADE"), primary_key=True
    )
    #: The catalogue's item (no key: auth does not hold items).
    item_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    #: Replies at or after this time may be mailed again (the last mailed one's time plus
    #: the window, by the catalogue's clock, as the replies' times are).
    quiet_until: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)


class AdminMailQuiet(AuthBase):
    """Until when an admin is mailed nothing more of one kind (``transcode_failed``,
    ``comment_reported``): the first mailed starts a quiet window, so a burst of failures
    or reports sends one mail (and a redelivered event, inside the window it started, none)."""

    __tablename__ = "auth_admin_mail_quiet"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("auth_users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: What happens at or after this time may be mailed again (the last mailed one's time
    #: plus the window, by the catalogue's clock, as the events' times are).
    quiet_until: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
