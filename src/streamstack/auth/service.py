"""Auth use cases: accounts, sign-in, token rotation, sessions, revocation, roles.

No HTTP here: routes translate requests into these calls and the results into responses.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import secrets
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, cast

import structlog
from sqlalchemy import ColumnElement, CursorResult, Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from streamstack.auth.credentials import (
    InvalidCredentialFormat,
    check_password,
    clean_display_name,
    normalize_email,
)
from streamstack.auth.models import LoginSession, RefreshToken, User
from streamstack.auth.passwords import PasswordHashing
from streamstack.auth.schemas import SessionView, UserPage, UserView
from streamstack.auth.throttle import LoginThrottle
from streamstack.auth.tokens import SignedToken, TokenIssuer
from streamstack.kernel.db import Database
from streamstack.kernel.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from streamstack.kernel.jwt import Claims, InvalidToken, TokenVerifier
from streamstack.kernel.revocation import RevocationList

log = structlog.get_logger(__name__)

DEV_ADMIN_EMAIL = "admin@localhost"
MAX_USER_AGENT_CHARS = 512


class InvalidCredentials(Unauthorized):
    """Wrong email or password; the same answer whether or not the account exists."""

    code = "invalid_credentials"


@dataclasses.dataclass(frozen=True, slots=True)
class ClientInfo:
    """Where a sign-in or refresh comes from."""

    address: str
    user_agent: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class IssuedTokens:
    """An access token and the refresh token of the same session."""

    access: SignedToken
    refresh: SignedToken
    #: Lifetime of the access token in seconds.
    expires_in: int


@dataclasses.dataclass(frozen=True, slots=True)
class AdminAccount:
    """Result of creating or promoting an admin; ``password`` is set when one was generated."""

    email: str
    created: bool
    password: str | None


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _at(epoch_seconds: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch_seconds, datetime.UTC)


def user_view(user: User) -> UserView:
    """The public view of a user row."""
    return UserView(user.id, user.email, user.display_name, user.role, user.created_at)


def clean_user_agent(raw: str | None) -> str | None:
    """The User-Agent header as stored: printable characters only, bounded length."""
    if not raw:
        return None
    text = "".join(c for c in raw if c.isprintable())[:MAX_USER_AGENT_CHARS].strip()
    return text or None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class AuthService:
    """Everything the auth module does, over its tables and the revocation list."""

    def __init__(
        self,
        *,
        database: Database,
        revocations: RevocationList,
        passwords: PasswordHashing,
        issuer: TokenIssuer,
        verifier: TokenVerifier,
        throttle: LoginThrottle,
        allow_registration: bool,
    ) -> None:
        self._db = database
        self._revocations = revocations
        self._passwords = passwords
        self._issuer = issuer
        self._verifier = verifier
        self._throttle = throttle
        self._allow_registration = allow_registration

    # --- accounts -----------------------------------------------------------------------

    async def register(self, email: str, password: str, display_name: str | None) -> UserView:
        """Create a viewer account; 409 when the email is taken."""
        if not self._allow_registration:
            raise Forbidden("self-registration is switched off", code="registration_disabled")
        email = normalize_email(email)
        password = check_password(password)
        name = clean_display_name(display_name)
        async with self._db.session() as db:
            if await self._user_by_email(db, email) is not None:
                raise _email_taken()
        password_hash = await self._passwords.hash(password)
        user = await self._insert_user(email, password_hash, role="viewer", display_name=name)
        return user_view(user)

    async def current_user(self, claims: Claims) -> UserView:
        """The account of a verified access token."""
        async with self._db.session() as db:
            user = await self._user_by_id(db, claims.sub)
        if user is None:
            raise InvalidToken("the account no longer exists")
        return user_view(user)

    async def list_users(self, search: str | None, limit: int, offset: int) -> UserPage:
        """One page of users, newest first, optionally only emails containing ``search``."""
        where: list[ColumnElement[bool]] = []
        if search and not search.isprintable():
            # NUL ends the pattern early in SQLite and is an encoding error in Postgres.
            raise BadRequest("q: must not contain control characters", code="invalid_input")
        if search and search.strip():
            pattern = f"%{_escape_like(search.strip().lower())}%"
            where.append(User.email.like(pattern, escape="\\"))
        async with self._db.session() as db:
            total = await db.scalar(select(func.count()).select_from(User).where(*where))
            rows = await db.scalars(
                select(User)
                .where(*where)
                .order_by(User.created_at.desc(), User.id)
                .limit(limit)
                .offset(offset)
            )
            items = [user_view(u) for u in rows]
        return UserPage(items, int(total or 0), limit, offset)

    async def change_role(self, user_id: uuid.UUID, role: str) -> UserView:
        """Set a user's role; the last admin cannot be demoted.

        The user's live access tokens are revoked, so the new role applies from their next
        refresh instead of when their current token expires.
        """
        async with self._db.session() as db:
            user = await db.get(User, user_id)
            if user is None:
                raise NotFound("no such user")
            if user.role == role:
                return user_view(user)
            if user.role == "admin":
                admins = await db.scalar(
                    select(func.count()).select_from(User).where(User.role == "admin")
                )
                if (admins or 0) <= 1:
                    raise Conflict("the last admin cannot be demoted", code="last_admin")
            log.info("role_changed", user_id=str(user.id), old=user.role, new=role)
            user.role = role
            user.updated_at = _now()
            jtis = await self._live_access_jtis(db, LoginSession.user_id == user.id)
            await self._revoke_jtis(jtis)
            await db.commit()
            return user_view(user)

    # --- sign-in and tokens -----------------------------------------------------------------

    async def login(self, email: str, password: str, client: ClientInfo) -> IssuedTokens:
        """Check the password (throttled) and open a new session."""
        email = normalize_email(email)
        await self._throttle.check(email, client.address)
        # No account has a password outside the rules; it is verified anyway, for the timing.
        with contextlib.suppress(InvalidCredentialFormat):
            password = check_password(password)
        async with self._db.session() as db:
            user = await self._user_by_email(db, email)
        if user is None:
            await self._passwords.verify_nobody(password)
            valid = False
        else:
            valid = await self._passwords.verify(user.password_hash, password)
        if user is None or not valid:
            await self._throttle.record_failure(email, client.address)
            raise InvalidCredentials("wrong email or password")
        await self._throttle.record_success(email)
        if self._passwords.needs_rehash(user.password_hash):
            await self._set_password_hash(user.id, await self._passwords.hash(password))
        now = _now()
        family = uuid.uuid4()
        async with self._db.session() as db:
            await db.execute(
                delete(LoginSession).where(
                    LoginSession.user_id == user.id, LoginSession.expires_at < now
                )
            )
            db.add(
                LoginSession(
                    id=family,
                    user_id=user.id,
                    created_at=now,
                    last_used_at=now,
                    expires_at=now,
                    user_agent=client.user_agent,
                )
            )
            await db.flush()
            issued = await self._issue(db, user, family, now)
            await db.commit()
        return issued

    async def refresh(self, token: str, client: ClientInfo) -> IssuedTokens:
        """Exchange a refresh token for a new pair; reuse of a spent one kills its session."""
        claims = self._verifier.verify(token, "refresh")
        now = _now()
        async with self._db.session() as db:
            found = (
                await db.execute(
                    select(RefreshToken, LoginSession)
                    .join(LoginSession, RefreshToken.session_id == LoginSession.id)
                    .where(RefreshToken.id == claims.jti)
                )
            ).first()
            if found is None:
                raise InvalidToken("unknown refresh token")
            row, session = found.tuple()
            if str(session.user_id) != claims.sub or str(session.id) != claims.fam:
                raise InvalidToken("unknown refresh token")
            if session.revoked_at is not None:
                raise InvalidToken("this session was signed out", code="session_revoked")
            claimed = cast(
                CursorResult[Any],
                await db.execute(
                    update(RefreshToken)
                    .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
                    .values(used_at=now)
                ),
            )
            if claimed.rowcount != 1:
                # Rotated before: either a thief or the owner holds a copy. End the session.
                log.warning("refresh_token_reused", user_id=claims.sub, session_id=str(session.id))
                await self._revoke_sessions(db, LoginSession.id == session.id)
                await db.commit()
                raise InvalidToken(
                    "refresh token reused; the session was revoked", code="refresh_token_reused"
                )
            user = await db.get(User, session.user_id)
            if user is None:
                raise InvalidToken("the account no longer exists")
            await db.execute(
                delete(RefreshToken).where(
                    RefreshToken.session_id == session.id,
                    RefreshToken.expires_at < now,
                    RefreshToken.access_expires_at < now,
                )
            )
            if client.user_agent:
                session.user_agent = client.user_agent
            issued = await self._issue(db, user, session.id, now)
            await db.commit()
        return issued

    async def authenticate(self, token: str) -> Claims:
        """Verify an access token and refuse it if it was revoked."""
        claims = self._verifier.verify(token, "access")
        await self._revocations.check(claims.jti)
        return claims

    async def logout(self, claims: Claims) -> None:
        """Revoke the presented access token and the session it belongs to."""
        await self._revocations.revoke(claims.jti)
        family = _uuid_or_none(claims.fam)
        user = _uuid_or_none(claims.sub)
        if family is None or user is None:
            return
        async with self._db.session() as db:
            await self._revoke_sessions(
                db, (LoginSession.id == family) & (LoginSession.user_id == user)
            )
            await db.commit()

    async def logout_all(self, claims: Claims) -> None:
        """Revoke every session of the caller and every access token issued in them."""
        await self._revocations.revoke(claims.jti)
        user = _uuid_or_none(claims.sub)
        if user is None:
            return
        async with self._db.session() as db:
            await self._revoke_sessions(db, LoginSession.user_id == user)
            await db.commit()

    # --- sessions ---------------------------------------------------------------------------

    async def list_sessions(self, claims: Claims) -> list[SessionView]:
        """The caller's active sessions, most recently used first."""
        user = _uuid_or_none(claims.sub)
        if user is None:
            return []
        async with self._db.session() as db:
            rows = await db.scalars(
                select(LoginSession)
                .where(
                    LoginSession.user_id == user,
                    LoginSession.revoked_at.is_(None),
                    LoginSession.expires_at > _now(),
                )
                .order_by(LoginSession.last_used_at.desc(), LoginSession.id)
            )
            return [
                SessionView(
                    s.id,
                    s.created_at,
                    s.last_used_at,
                    s.expires_at,
                    s.user_agent,
                    current=str(s.id) == claims.fam,
                )
                for s in rows
            ]

    async def revoke_session(self, claims: Claims, session_id: uuid.UUID) -> None:
        """Sign out one of the caller's sessions; 404 if it is not theirs."""
        user = _uuid_or_none(claims.sub)
        async with self._db.session() as db:
            session = await db.get(LoginSession, session_id)
            if session is None or session.user_id != user:
                raise NotFound("no such session")
            await self._revoke_sessions(db, LoginSession.id == session_id)
            await db.commit()

    # --- operators ----------------------------------------------------------------------

    async def ensure_admin_exists(self) -> str | None:
        """Dev start-up: with no admin at all, (re)set ``admin@localhost`` as one.

        Returns the generated password, to be shown once, or None when an admin exists.
        """
        async with self._db.session() as db:
            if await db.scalar(select(User.id).where(User.role == "admin").limit(1)):
                return None
        account = await self.create_admin(DEV_ADMIN_EMAIL, None, reset_password=True)
        return account.password

    async def create_admin(
        self, email: str, password: str | None, *, reset_password: bool = False
    ) -> AdminAccount:
        """Create an admin, or promote an existing account (its sessions are ended).

        A new account gets ``password``, or a generated one that is returned. An existing
        one keeps its password unless ``password`` is given or ``reset_password`` is set.
        """
        email = normalize_email(email)
        if password is not None:
            password = check_password(password)
        async with self._db.session() as db:
            existing = await self._user_by_email(db, email)
            if existing is not None:
                new_password = password
                if new_password is None and reset_password:
                    new_password = secrets.token_urlsafe(18)
                existing.role = "admin"
                existing.updated_at = _now()
                if new_password is not None:
                    existing.password_hash = await self._passwords.hash(new_password)
                    await self._revoke_sessions(db, LoginSession.user_id == existing.id)
                await db.commit()
                shown = new_password if password is None else None
                return AdminAccount(email, created=False, password=shown)
        generated = None
        if password is None:
            password = generated = secrets.token_urlsafe(18)
        password_hash = await self._passwords.hash(password)
        try:
            await self._insert_user(email, password_hash, role="admin", display_name=None)
        except Conflict:
            # Created concurrently (another replica starting): promote that one instead.
            retry_password = None if generated is not None else password
            return await self.create_admin(email, retry_password, reset_password=reset_password)
        return AdminAccount(email, created=True, password=generated)

    # --- internals --------------------------------------------------------------------------

    async def _issue(
        self, db: AsyncSession, user: User, family: uuid.UUID, now: datetime.datetime
    ) -> IssuedTokens:
        subject, fam = str(user.id), str(family)
        access = self._issuer.sign("access", user_id=subject, role=user.role, family=fam)
        refresh = self._issuer.sign("refresh", user_id=subject, role=user.role, family=fam)
        db.add(
            RefreshToken(
                id=refresh.jti,
                session_id=family,
                created_at=now,
                expires_at=_at(refresh.expires_at),
                access_jti=access.jti,
                access_expires_at=_at(access.expires_at),
            )
        )
        await db.execute(
            update(LoginSession)
            .where(LoginSession.id == family)
            .values(last_used_at=now, expires_at=_at(refresh.expires_at))
        )
        return IssuedTokens(access, refresh, self._issuer.ttl("access"))

    async def _revoke_sessions(self, db: AsyncSession, which: ColumnElement[bool]) -> None:
        """Mark sessions revoked and put their live access tokens on the revocation list.

        The revocation list is written first: if the database then fails, the sessions
        are merely still refreshable, never the other way round.
        """
        await self._revoke_jtis(await self._live_access_jtis(db, which))
        await db.execute(
            update(LoginSession)
            .where(which, LoginSession.revoked_at.is_(None))
            .values(revoked_at=_now())
        )

    async def _live_access_jtis(
        self, db: AsyncSession, which: ColumnElement[bool]
    ) -> Sequence[str]:
        query: Select[str] = (
            select(RefreshToken.access_jti)
            .join(LoginSession, RefreshToken.session_id == LoginSession.id)
            .where(which, RefreshToken.access_expires_at > _now())
        )
        return (await db.scalars(query)).all()

    async def _revoke_jtis(self, jtis: Iterable[str]) -> None:
        for jti in jtis:
            await self._revocations.revoke(jti)

    async def _insert_user(
        self, email: str, password_hash: str, *, role: str, display_name: str | None
    ) -> User:
        now = _now()
        user = User(
            id=uuid.uuid4(),
            email=email,
            display_name=display_name,
            role=role,
            password_hash=password_hash,
            created_at=now,
            updated_at=now,
        )
        async with self._db.session() as db:
            db.add(user)
            try:
                await db.commit()
            except IntegrityError:
                raise _email_taken() from None
        return user

    async def _set_password_hash(self, user_id: uuid.UUID, password_hash: str) -> None:
        async with self._db.session() as db:
            await db.execute(
                update(User)
                .where(User.id == user_id)
                .values(password_hash=password_hash, updated_at=_now())
            )
            await db.commit()

    @staticmethod
    async def _user_by_email(db: AsyncSession, email: str) -> User | None:
        user: User | None = await db.scalar(select(User).where(User.email == email))
        return user

    @staticmethod
    async def _user_by_id(db: AsyncSession, user_id: str) -> User | None:
        key = _uuid_or_none(user_id)
        return None if key is None else await db.get(User, key)


def _email_taken() -> Conflict:
    return Conflict("an account with this email already exists", code="email_taken")


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
