"""All database access of the auth module: advanced-alchemy repositories over its tables.

The generic reads and writes come from ``SQLAlchemyAsyncRepository``. The steps where a
check and a change must be one atomic step (claiming a refresh token, demoting an admin,
counting an attempt, consuming an invite) are conditional updates, written here as
repository methods, so that they hold across replicas on Postgres and across
connections on SQLite.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import random
import uuid
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Generic, TypeVar, cast

from advanced_alchemy.filters import LimitOffset
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import (
    ColumnElement,
    CursorResult,
    String,
    Table,
    Update,
    and_,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.dml import ReturningInsert

from streamstack.auth.models import (
    AdminMailQuiet,
    AttemptCounter,
    AuthBase,
    AuthOutboxRow,
    Invite,
    LoginSession,
    OwedMail,
    PasswordReset,
    PendingEmail,
    RecoveryCode,
    RefreshToken,
    ReplyMailQuiet,
    TwoFactorSecret,
    User,
)
from streamstack.kernel.db import escape_like, upsert_insert
from streamstack.kernel.errors import NotFound
from streamstack.kernel.outbox import OutboxRecords
from streamstack.kernel.text import fold

#: The lowest instant a lock can end at: "not locked".
UNLOCKED = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
#: One counted attempt in this many also deletes long-idle counters, so the table stays small.
_SWEEP_ONE_IN = 200
_SWEEP_BATCH = 1000
_Built = TypeVar("_Built")
#: A table of quiet windows.
_Quiet = TypeVar("_Quiet", bound=ReplyMailQuiet | AdminMailQuiet)


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def update_rows(model: type[AuthBase], *where: ColumnElement[bool], **values: Any) -> Update:
    """``UPDATE`` the rows of ``model`` that ``where`` selects without synchronising the
    objects the session holds (a caller that holds one of the rows refreshes it)."""
    return update(model).where(*where).values(**values).execution_options(synchronize_session=False)


class UserRepository(SQLAlchemyAsyncRepository[User]):
    """Accounts."""

    model_type = User
    # A window-function count has no row to ride on past the last page, and says 0 there.
    count_with_window_function = False

    async def by_email(self, email: str) -> User | None:
        """The account with this (normalised) email."""
        # A plain select, as :meth:`signing_in`'s: through the generic get_one_or_none this
        # read cost 1.5 times for_token_issue's in a profile of sign-ins.
        return (await self.session.scalars(select(User).where(User.email == email))).one_or_none()

    async def signing_in(self, email: str) -> tuple[User, TwoFactorSecret | None] | None:
        """The account with this (normalised) email and its two-factor secret, if any: the
        one read of a sign-in (a second statement would cost every sign-in)."""
        query = (
            select(User, TwoFactorSecret)
            .outerjoin(TwoFactorSecret, TwoFactorSecret.user_id == User.id)
            .where(User.email == email)
        )
        row = (await self.session.execute(query)).one_or_none()
        return None if row is None else (row[0], row[1])

    async def by_id(self, user_id: uuid.UUID) -> User | None:
        """The account with this id."""
        return await self.get_one_or_none(User.id == user_id)

    async def locked(self, user_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Write-lock these accounts until the unit of work ends (in id order, as the
        last-admin check does, so lockers queue instead of deadlocking): changes of what
        belongs to them (reset codes) queue up on Postgres; SQLite serialises writes
        anyway. The ids of those that exist."""
        query = (
            select(User.id)
            .where(User.id.in_(user_ids))
            .order_by(User.id)
            .with_for_update(key_share=True)
        )
        return set((await self.session.scalars(query)).all())

    async def has_admin(self) -> bool:
        """Whether at least one account is an admin."""
        return await self.exists(User.role == "admin")

    async def admin_names(self) -> list[str]:
        """The display names of the admins (those who have one)."""
        query = select(User.display_name).where(
            User.role == "admin", User.display_name.is_not(None)
        )
        return [name for name in (await self.session.scalars(query)).all() if name]

    async def page(
        self,
        search: str | None,
        limit: int,
        offset: int,
        *,
        ids: Sequence[uuid.UUID] | None = None,
        role: str | None = None,
        disabled: bool | None = None,
    ) -> tuple[list[User], int]:
        """One page of accounts, newest first, optionally only those whose email or name
        contains ``search`` (names compared folded, :func:`fold`), only those ``ids``
        names, only those of ``role``, only the disabled (or only the enabled)."""
        where: list[ColumnElement[bool]] = [] if ids is None else [User.id.in_(ids)]
        if search:
            where.append(
                or_(
                    User.email.like(f"%{escape_like(search.lower())}%", escape="\\"),
                    User.name_key.like(f"%{escape_like(fold(search))}%", escape="\\"),
                )
            )
        if role is not None:
            where.append(User.role == role)
        if disabled is not None:
            where.append(User.disabled_at.is_not(None) if disabled else User.disabled_at.is_(None))
        return await self.get_many_and_count(
            *where,
            LimitOffset(limit=limit, offset=offset),
            order_by=[(User.created_at, True), (User.id, False)],
        )

    async def set_role(self, user: User, role: str, now: datetime.datetime) -> bool:
        """Give ``user`` the role; False (and nothing changed) if that demotes the last admin.

        Demoting is one atomic step on both backends: see :meth:`_keeps_an_admin`.
        """
        return await self._change(user, role != "admin", role=role, updated_at=now)

    async def signed_in(
        self, user_id: uuid.UUID, now: datetime.datetime, *, unless_since: datetime.datetime | None
    ) -> None:
        """Record that the account signed in ``now``; with ``unless_since``, only if it has
        not since then (so concurrent refreshes write it once). Not a change of the account:
        ``updated_at`` stays."""
        where = [User.id == user_id]
        if unless_since is not None:
            last = User.last_signed_in_at
            where.append(or_(last.is_(None), last < unless_since))
        await self.session.execute(update_rows(User, *where, last_signed_in_at=now))

    async def set_disabled(
        self, user: User, disabled_at: datetime.datetime | None, now: datetime.datetime
    ) -> bool:
        """Disable (``disabled_at`` set) or re-enable ``user``; False if that disables the
        last enabled admin (nothing changed)."""
        return await self._change(
            user, disabled_at is not None, disabled_at=disabled_at, updated_at=now
        )

    async def _change(self, user: User, keep_an_admin: bool, **values: Any) -> bool:
        """Write ``values`` to ``user``'s row and reload it; with ``keep_an_admin``, only if
        an enabled admin remains afterwards (else False, nothing changed); 404 when the row
        is gone."""
        conditions: list[ColumnElement[bool]] = [User.id == user.id]
        if keep_an_admin:
            conditions.append(await self._keeps_an_admin(user.id))
        result = await self.session.execute(update_rows(User, *conditions, **values))
        if _rowcount(result) != 1:
            # A change that got the row first deleted it (an admin's delete racing the
            # owner's): that is a missing account, not the last admin (a viewer deleted
            # twice at once was told "the last admin cannot be deleted").
            if await self.session.scalar(select(User.id).where(User.id == user.id)) is None:
                raise NotFound("no such user")
            return False
        await self.session.refresh(user)
        return True

    async def for_token_issue(self, user_id: uuid.UUID) -> User | None:
        """The account, held (shared) until the unit of work ends, before issuing it tokens.

        Disabling, deleting or changing the password of the account writes its row, so on
        Postgres it waits for an issue in flight to commit (and then revokes its tokens
        too), or the issue waits and sees the change. SQLite serialises the writes anyway.
        """
        query = select(User).where(User.id == user_id).with_for_update(read=True)
        return (await self.session.scalars(query)).one_or_none()

    async def _keeps_an_admin(self, user_id: uuid.UUID) -> ColumnElement[bool]:
        """A condition for a change to ``user_id`` that must leave an enabled admin.

        The check and the change are one atomic step on both backends: on Postgres the
        admin rows are locked first (in id order, so two such changes queue instead of
        deadlocking) and the second one re-reads the admins after the first committed; on
        SQLite the statement holds the database's write lock while its own subquery counts
        the other admins.
        """
        await self.session.execute(
            select(User.id).where(User.role == "admin").order_by(User.id).with_for_update()
        )
        other = aliased(User)
        others = (
            select(func.count())
            .select_from(other)
            .where(other.role == "admin", other.disabled_at.is_(None), other.id != user_id)
            .scalar_subquery()
        )
        return (User.role != "admin") | (User.disabled_at.is_not(None)) | (others > 0)

    async def set_email(self, user: User, email: str, now: datetime.datetime) -> bool:
        """Give ``user`` the (normalised) ``email``; False when another account has it,
        also one that took it a moment ago (the unique index decides: the unit of work then
        rolls back)."""
        try:
            return await self._change(user, False, email=email, updated_at=now)
        except IntegrityError:
            return False

    async def set_password_hash(
        self,
        user_id: uuid.UUID,
        password_hash: str,
        now: datetime.datetime,
        *,
        generated: bool = False,
    ) -> None:
        """Replace an account's password hash (``generated``: one StreamStack made)."""
        await self.session.execute(
            update_rows(
                User,
                User.id == user_id,
                password_hash=password_hash,
                password_generated=generated,
                updated_at=now,
            )
        )


class SessionRepository(SQLAlchemyAsyncRepository[LoginSession]):
    """Login sessions (refresh-token families)."""

    model_type = LoginSession

    async def active(self, user_id: uuid.UUID, now: datetime.datetime) -> list[LoginSession]:
        """A user's sessions that are neither revoked nor expired, most recently used first."""
        return await self.get_many(
            LoginSession.user_id == user_id,
            LoginSession.revoked_at.is_(None),
            LoginSession.expires_at > now,
            order_by=[(LoginSession.last_used_at, True), (LoginSession.id, False)],
        )

    async def open(self, session: LoginSession, first_token: RefreshToken) -> None:
        """Write a new session and its first refresh token in one flush (the session's
        row first: the token refers to it)."""
        self.session.add_all([session, first_token])
        await self.session.flush()

    async def delete_expired(
        self, user_id: uuid.UUID, now: datetime.datetime, *, one_in: int = 1
    ) -> None:
        """Forget a user's sessions whose last refresh token has expired (only once in
        ``one_in`` calls: they are invisible anyway, and need only be kept few)."""
        if one_in > 1 and random.randrange(one_in):  # noqa: S311 - not security-relevant
            return
        await self.session.execute(
            delete(LoginSession).where(
                LoginSession.user_id == user_id, LoginSession.expires_at < now
            )
        )

    async def touch(
        self,
        session_id: uuid.UUID,
        now: datetime.datetime,
        expires_at: datetime.datetime,
        user_agent: str | None = None,
    ) -> bool:
        """Record a use of the session, when its newest refresh token expires and, if given,
        the client's ``user_agent``; False (nothing written) once it is signed out.

        The condition is read when the row is written, after a sign-out that held the row
        commits, so a refresh that read the session before it cannot issue past it.
        """
        values: dict[str, Any] = {"last_used_at": now, "expires_at": expires_at}
        if user_agent:
            values["user_agent"] = user_agent
        result = await self.session.execute(
            update_rows(
                LoginSession,
                LoginSession.id == session_id,
                LoginSession.revoked_at.is_(None),
                **values,
            )
        )
        return _rowcount(result) == 1

    async def mark_revoked(self, which: ColumnElement[bool], now: datetime.datetime) -> None:
        """Mark the sessions ``which`` selects revoked (those not revoked already)."""
        await self.session.execute(
            update_rows(LoginSession, which, LoginSession.revoked_at.is_(None), revoked_at=now)
        )


class RefreshTokenRepository(SQLAlchemyAsyncRepository[RefreshToken]):
    """Issued refresh tokens and the access tokens issued beside them."""

    model_type = RefreshToken

    async def with_session(self, jti: str) -> tuple[RefreshToken, LoginSession, User] | None:
        """The token with this ``jti``, its session and its account, the account held
        (shared) until the unit of work ends, as :meth:`UserRepository.for_token_issue`
        holds it: one statement for the three.

        On SQLite, read it only after a write in the same unit of work: a read before the
        first write runs outside the transaction (the driver begins one at the first write),
        so a change committed meanwhile would go unseen.
        """
        row = (
            await self.session.execute(
                select(RefreshToken, LoginSession, User)
                .join(LoginSession, RefreshToken.session_id == LoginSession.id)
                .join(User, LoginSession.user_id == User.id)
                .where(RefreshToken.id == jti)
                .with_for_update(read=True, of=User)
            )
        ).first()
        return None if row is None else (row[0], row[1], row[2])

    async def claim(self, jti: str, now: datetime.datetime) -> bool:
        """Mark the token used; False if it was used before (the one atomic test of reuse)."""
        result = await self.session.execute(
            update_rows(
                RefreshToken, RefreshToken.id == jti, RefreshToken.used_at.is_(None), used_at=now
            )
        )
        return _rowcount(result) == 1

    async def seal_successor(self, jti: str, sealed: bytes) -> None:
        """Keep the (sealed) pair that token ``jti`` was exchanged for."""
        await self.session.execute(
            update_rows(RefreshToken, RefreshToken.id == jti, successor=sealed)
        )

    async def successor_of(self, jti: str) -> tuple[datetime.datetime | None, bytes | None]:
        """When token ``jti`` was used and the sealed pair it was exchanged for."""
        row = (
            await self.session.execute(
                select(RefreshToken.used_at, RefreshToken.successor).where(RefreshToken.id == jti)
            )
        ).first()
        return (None, None) if row is None else (row[0], row[1])

    async def live_access_jtis(
        self, which: ColumnElement[bool], now: datetime.datetime
    ) -> Sequence[str]:
        """Ids of unexpired access tokens issued in the sessions ``which`` selects."""
        query = (
            select(RefreshToken.access_jti)
            .join(LoginSession, RefreshToken.session_id == LoginSession.id)
            .where(which, RefreshToken.access_expires_at > now)
        )
        return (await self.session.scalars(query)).all()

    async def delete_spent(
        self, session_id: uuid.UUID, now: datetime.datetime, grace: datetime.timedelta
    ) -> None:
        """Forget a session's tokens no longer needed: their access token has expired (none
        of it is left to revoke), and the refresh token has too, or was exchanged longer
        than ``grace`` ago (no successor to hand out again). Presenting a forgotten one is
        still reuse: the service takes any unknown token of a live session for one."""
        await self.session.execute(
            delete(RefreshToken).where(
                RefreshToken.session_id == session_id,
                RefreshToken.access_expires_at < now,
                or_(RefreshToken.expires_at < now, RefreshToken.used_at < now - grace),
            )
        )


class AttemptRepository(SQLAlchemyAsyncRepository[AttemptCounter]):
    """Attempt counters with a lock that grows with the attempts (throttling)."""

    model_type = AttemptCounter
    id_attribute = "key"

    async def reserve(
        self,
        keys: Sequence[tuple[str, int]],
        now: datetime.datetime,
        *,
        max_seconds: int,
        idle_seconds: int,
        first_lock_seconds: int = 1,
    ) -> tuple[str, datetime.datetime] | None:
        """Count one attempt under each ``(key, free attempts)``, or refuse it while a key is
        locked: then the first locked key (in ``keys`` order) and its lock end are returned
        and the caller must roll back, so that a refused attempt is counted nowhere.

        Returns None when the attempt may go on. Counting is one upsert of every key that
        only updates unlocked rows, so concurrent attempts (replicas on Postgres,
        connections on SQLite) can never all see "unlocked": each is counted, in turn,
        before anyone checks a password. The rows are written in ``keys`` order (Postgres
        inserts a VALUES list in its order), so callers that always list their keys in the
        same order queue instead of deadlocking. The ``free``-th attempt locks a key for
        ``first_lock_seconds``, every later one for twice as long as the one before, up to
        ``max_seconds``; a counter idle for ``idle_seconds`` starts again from one.
        """
        params: dict[str, object] = {
            "now": now,
            "stale": now - datetime.timedelta(seconds=idle_seconds),
        }
        params |= {f"key_{n}": key for n, (key, _) in enumerate(keys)}
        upsert = _reserve_statement(self._dialect.name, len(keys))
        counted: dict[str, int] = {
            key: attempts for key, attempts in (await self.session.execute(upsert, params)).all()
        }
        for key, _ in keys:
            if key not in counted:
                locked_until: datetime.datetime | None = await self.session.scalar(
                    select(AttemptCounter.locked_until).where(AttemptCounter.key == key)
                )
                return key, locked_until or UNLOCKED
        for key, free in keys:
            if counted[key] >= free:
                await self._lock(key, now, counted[key] - free, max_seconds, first_lock_seconds)
        return None

    async def _lock(
        self,
        key: str,
        now: datetime.datetime,
        past_free: int,
        max_seconds: int,
        first_lock_seconds: int = 1,
    ) -> None:
        """Lock ``key`` for ``first_lock_seconds`` at its ``free``-th attempt, twice as long
        for each one after."""
        # The exponent is bounded so that years of attempts cannot overflow a float.
        delay = min(first_lock_seconds * 2.0 ** min(past_free, 32), float(max_seconds))
        await self.session.execute(
            update_rows(
                AttemptCounter,
                AttemptCounter.key == key,
                locked_until=now + datetime.timedelta(seconds=delay),
            )
        )

    async def settle(self, forgotten: str | None, released: Sequence[str]) -> None:
        """A sign-in succeeded: clear ``forgotten`` (count and lock; None: none) and take back
        its one attempt under each key of ``released``, in one statement.

        The lock each key has goes too: it is the one this attempt set when it was counted
        (a key is counted only once its lock before has run out), so a success from an
        address others' failures pushed past its free attempts no longer holds the next
        person there for 2^(count-free) s; the count stays, so the next failure is slowed
        as before. A cleared counter
        behaves as a missing one (the next attempt counts 1, unlocked) and is swept when
        idle. The rows are locked in the order given, as :meth:`reserve` writes them, so a
        sign-in settling and one reserving the same keys queue instead of deadlocking on
        Postgres (SQLite serialises writers anyway).
        """
        # No key is empty: "" clears nothing.
        params = {"forgotten": forgotten or ""} | {
            f"key_{n}": key for n, key in enumerate(released)
        }
        await self.session.execute(_settle_statement(len(released)), params)

    async def sweep(
        self, now: datetime.datetime, idle_seconds: int, *, one_in: int = _SWEEP_ONE_IN
    ) -> None:
        """Once in ``one_in`` calls, drop counters idle for ``idle_seconds`` (the table stays
        small)."""
        # Called last in a unit of work: it skips rows other transactions hold (Postgres), so
        # it never waits, and a transaction that waits on nothing after it cannot deadlock.
        if random.randrange(one_in):  # noqa: S311 - not security-relevant
            return
        before = now - datetime.timedelta(seconds=idle_seconds)
        idle = (
            select(AttemptCounter.key)
            .where(AttemptCounter.updated_at < before, AttemptCounter.locked_until < before)
            .limit(_SWEEP_BATCH)
            .with_for_update(skip_locked=True)
        )
        await self.session.execute(delete(AttemptCounter).where(AttemptCounter.key.in_(idle)))


@functools.cache
def _reserve_statement(dialect: str, keys: int) -> ReturningInsert[Any]:
    """:meth:`AttemptRepository.reserve`'s upsert of ``keys`` keys on ``dialect``, with bound
    values (``key_N``, ``now``, ``stale``): built once, as :func:`_settle_statement`."""
    table = cast(Table, AttemptCounter.__table__)
    now = bindparam("now", type_=table.c.updated_at.type)
    stale = bindparam("stale", type_=table.c.updated_at.type)
    rows = [
        {
            "key": bindparam(f"key_{n}", type_=String),
            "attempts": 1,
            "locked_until": UNLOCKED,
            "updated_at": now,
        }
        for n in range(keys)
    ]
    return (
        upsert_insert(dialect, table)
        .values(rows)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "attempts": case((table.c.updated_at < stale, 1), else_=table.c.attempts + 1),
                "updated_at": now,
            },
            where=table.c.locked_until <= now,
        )
        .returning(table.c.key, table.c.attempts)
    )


@functools.cache
def _settle_statement(released: int) -> Update:
    """:meth:`AttemptRepository.settle`'s statement for ``released`` keys besides the
    forgotten one, with bound values (``forgotten``, ``key_N``).

    Built once: every successful sign-in runs it, and building it anew (cases, a sub-select,
    its cache key) cost about as much event-loop CPU as running it.
    """
    key, attempts = AttemptCounter.key, AttemptCounter.attempts
    forgotten = bindparam("forgotten", type_=String)
    keys = [bindparam(f"key_{n}", type_=String) for n in range(released)]
    in_order = (
        select(key)
        .where(key.in_([forgotten, *keys]))
        .order_by(case(*((key == name, rank) for rank, name in enumerate([forgotten, *keys]))))
        .with_for_update()
    )
    return update_rows(
        AttemptCounter,
        key.in_(in_order),
        attempts > 0,
        attempts=case((key == forgotten, 0), else_=attempts - 1),
        # Every lock goes: the one in place is the one this attempt's count set (it was
        # counted only once the lock before had run out, and any attempt after it waits
        # that lock out), and a success must not hold the next person at the address.
        locked_until=UNLOCKED,
    )


#: Why an invite was withdrawn when no admin revoked it (``Invite.revoked_reason``).
MAKER_NO_LONGER_ADMIN = "maker_no_longer_admin"
INVITEE_JOINED = "invitee_joined"


@dataclasses.dataclass(frozen=True, slots=True)
class ListedInvite:
    """An invite as the list reads it: the row, the email and display name of the account
    that used it while that account exists (None both when unused or deleted), and the
    names (display name, else email) of the admins who made and revoked it while their
    accounts exist."""

    invite: Invite
    used_by_email: str | None
    used_by_display_name: str | None
    created_by_name: str | None
    revoked_by_name: str | None


class InviteRepository(SQLAlchemyAsyncRepository[Invite]):
    """Single-use invite codes."""

    model_type = Invite

    async def newest(self, limit: int, now: datetime.datetime) -> list[ListedInvite]:
        """The invites still usable at ``now``, then the others, each part newest first, each
        invite with who used, made and revoked it: one statement (outer joins on the
        accounts), however many of them were used. Usable first: a class's hundred used
        invites must not push an older live code out of the page, where no admin could see
        or revoke it."""
        maker, revoker = aliased(User), aliased(User)
        statement = (
            select(
                Invite,
                User.email,
                User.display_name,
                func.coalesce(maker.display_name, maker.email),
                func.coalesce(revoker.display_name, revoker.email),
            )
            .outerjoin(User, User.id == Invite.used_by)
            .outerjoin(maker, maker.id == Invite.created_by)
            .outerjoin(revoker, revoker.id == Invite.revoked_by)
            .order_by(case((and_(*_live(now)), 0), else_=1), Invite.created_at.desc(), Invite.id)
            .limit(limit)
        )
        rows = await self.session.execute(statement)
        return [ListedInvite(*row) for row in rows]

    async def live_mailed_to(self, email: str, now: datetime.datetime) -> Invite | None:
        """The newest invite still usable at ``now`` that was mailed to ``email``, if any."""
        statement = (
            select(Invite)
            .where(Invite.mailed_to == email, *_live(now))
            .order_by(Invite.created_at.desc())
            .limit(1)
        )
        return cast("Invite | None", await self.session.scalar(statement))

    async def usable(self, code_hash: str, now: datetime.datetime) -> bool:
        """Whether an unused, unrevoked, unexpired invite has this code hash."""
        return await self.exists(*self._usable(code_hash, now))

    async def consume(self, code_hash: str, user_id: uuid.UUID, now: datetime.datetime) -> bool:
        """Use the invite up for ``user_id``; False if it is not usable (any more)."""
        result = await self.session.execute(
            update_rows(Invite, *self._usable(code_hash, now), used_at=now, used_by=user_id)
        )
        return _rowcount(result) == 1

    async def revoke(
        self, invite_id: uuid.UUID, by: uuid.UUID | None, now: datetime.datetime
    ) -> bool:
        """The admin ``by`` revokes an unused invite; False if there is none such."""
        return await self._revoke(Invite.id == invite_id, now, revoked_by=by) == 1

    async def revoke_created_by(self, admin_id: uuid.UUID, now: datetime.datetime) -> None:
        """Revoke every unused invite ``admin_id`` created (that person saw each code)."""
        await self._revoke(Invite.created_by == admin_id, now, revoked_reason=MAKER_NO_LONGER_ADMIN)

    async def withdraw_spares(self, user_id: uuid.UUID, email: str, now: datetime.datetime) -> None:
        """Withdraw the unused invites mailed to ``email``, or to where the invite
        ``user_id`` registered with was mailed: that person has an account now, and a
        spare invite would be a registration code in the wild."""
        used = select(Invite.mailed_to).where(Invite.used_by == user_id)
        mailed_there = or_(Invite.mailed_to == email, Invite.mailed_to.in_(used))
        await self._revoke(mailed_there, now, revoked_reason=INVITEE_JOINED)

    async def _revoke(self, which: ColumnElement[bool], now: datetime.datetime, **why: Any) -> int:
        result = await self.session.execute(
            update_rows(
                Invite,
                which,
                Invite.used_at.is_(None),
                Invite.revoked_at.is_(None),
                revoked_at=now,
                **why,
            )
        )
        return _rowcount(result)

    @staticmethod
    def _usable(code_hash: str, now: datetime.datetime) -> list[ColumnElement[bool]]:
        return [*_unspent(Invite, code_hash, now), Invite.revoked_at.is_(None)]


def _live(now: datetime.datetime) -> list[ColumnElement[bool]]:
    """An invite neither used, revoked nor expired at ``now``."""
    return [Invite.used_at.is_(None), Invite.revoked_at.is_(None), Invite.expires_at > now]


class PasswordResetRepository(SQLAlchemyAsyncRepository[PasswordReset]):
    """Single-use password-reset codes."""

    model_type = PasswordReset

    async def usable(self, code_hash: str, now: datetime.datetime) -> PasswordReset | None:
        """The unused, unexpired reset with this code hash, if any."""
        return await self.get_one_or_none(*_unspent(PasswordReset, code_hash, now))

    async def consume(self, code_hash: str, now: datetime.datetime) -> uuid.UUID | None:
        """Use up the unused, unexpired reset with this code hash; its user, or None."""
        result = await self.session.execute(
            update_rows(
                PasswordReset, *_unspent(PasswordReset, code_hash, now), used_at=now
            ).returning(PasswordReset.user_id)
        )
        return result.scalar_one_or_none()

    async def withdraw_unused(self, user_id: uuid.UUID, now: datetime.datetime) -> None:
        """Spend every unused reset of a user (a newer one replaces them)."""
        await self._withdraw(PasswordReset.user_id == user_id, now)

    async def withdraw_issued_by(self, admin_id: uuid.UUID, now: datetime.datetime) -> None:
        """Spend every unused reset ``admin_id`` issued (that person saw each code)."""
        await self._withdraw(PasswordReset.created_by == admin_id, now)

    async def _withdraw(self, which: ColumnElement[bool], now: datetime.datetime) -> None:
        await self.session.execute(
            update_rows(PasswordReset, which, PasswordReset.used_at.is_(None), used_at=now)
        )


class PendingEmailRepository(SQLAlchemyAsyncRepository[PendingEmail]):
    """Sign-in emails asked for and the single-use codes that confirm them: one usable per
    account at most (a new request withdraws the older)."""

    model_type = PendingEmail

    async def of(self, user_id: uuid.UUID, now: datetime.datetime) -> PendingEmail | None:
        """The account's pending email whose code is still usable at ``now``, if any."""
        return await self.get_one_or_none(PendingEmail.user_id == user_id, *_usable_pending(now))

    async def usable(self, pending_id: uuid.UUID, now: datetime.datetime) -> PendingEmail | None:
        """The pending email ``pending_id`` while its code can still be used."""
        return await self.get_one_or_none(PendingEmail.id == pending_id, *_usable_pending(now))

    async def consume(self, code_hash: str, now: datetime.datetime) -> tuple[uuid.UUID, str] | None:
        """Use up the code of this hash if neither used, withdrawn nor expired: the account
        and the email it confirms, or None. A conditional update: two uses of one code
        cannot both succeed."""
        result = await self.session.execute(
            update_rows(
                PendingEmail, *_unspent(PendingEmail, code_hash, now), used_at=now
            ).returning(PendingEmail.user_id, PendingEmail.email)
        )
        row = result.one_or_none()
        return None if row is None else (row[0], row[1])

    async def withdraw_unused(self, user_id: uuid.UUID, now: datetime.datetime) -> str | None:
        """Spend every unused code of the account (a newer request, a cancel, a new
        password): the address whose link could still be used until now, if any."""
        result = await self.session.execute(
            update_rows(
                PendingEmail,
                PendingEmail.user_id == user_id,
                PendingEmail.used_at.is_(None),
                used_at=now,
            ).returning(PendingEmail.email, PendingEmail.expires_at)
        )
        return next((email for email, expires_at in result if expires_at > now), None)


def _usable_pending(now: datetime.datetime) -> list[ColumnElement[bool]]:
    """A pending email whose code can still be used at ``now``."""
    return [PendingEmail.used_at.is_(None), PendingEmail.expires_at > now]


class TwoFactorRepository(SQLAlchemyAsyncRepository[TwoFactorSecret]):
    """Accounts' TOTP secrets, pending or confirmed. Confirming and using a code are
    conditional updates, so two requests with one code cannot both succeed."""

    model_type = TwoFactorSecret

    async def of(self, user_id: uuid.UUID) -> TwoFactorSecret | None:
        """The account's secret, pending or confirmed."""
        return await self.get_one_or_none(TwoFactorSecret.user_id == user_id)

    async def not_starting(self, prefix: str) -> list[tuple[uuid.UUID, str]]:
        """(account, stored secret) of every secret not beginning with ``prefix`` (the
        current sealing key's: those kept in clear or sealed with an older key)."""
        query = select(TwoFactorSecret.user_id, TwoFactorSecret.secret).where(
            TwoFactorSecret.secret.not_like(prefix + "%")
        )
        return [(row[0], row[1]) for row in await self.session.execute(query)]

    async def replace_secret(self, user_id: uuid.UUID, stored: str, replacement: str) -> int:
        """Store ``replacement`` for the account's secret if it is still ``stored`` (one
        sealing it again meanwhile, or a new setup, wins); 1 if it was replaced, else 0."""
        result = await self.session.execute(
            update_rows(
                TwoFactorSecret,
                TwoFactorSecret.user_id == user_id,
                TwoFactorSecret.secret == stored,
                secret=replacement,
            )
        )
        return _rowcount(result)

    async def enabled_among(self, user_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these accounts have two-factor on."""
        query = select(TwoFactorSecret.user_id).where(
            TwoFactorSecret.user_id.in_(user_ids), TwoFactorSecret.enabled_at.is_not(None)
        )
        return set((await self.session.scalars(query)).all())

    async def confirm(
        self,
        user_id: uuid.UUID,
        step: int,
        now: datetime.datetime,
        started_after: datetime.datetime,
    ) -> bool:
        """Turn two-factor on with the pending secret started after ``started_after``, its
        code of ``step`` used; False when there is no such setup (nothing changed)."""
        result = await self.session.execute(
            update_rows(
                TwoFactorSecret,
                TwoFactorSecret.user_id == user_id,
                TwoFactorSecret.enabled_at.is_(None),
                TwoFactorSecret.created_at > started_after,
                enabled_at=now,
                last_step=step,
            )
        )
        return _rowcount(result) == 1

    async def use_step(self, user_id: uuid.UUID, step: int) -> bool:
        """Record the code of ``step`` used, if no code of it or a later step was; False
        (nothing changed) for a replay."""
        result = await self.session.execute(
            update_rows(
                TwoFactorSecret,
                TwoFactorSecret.user_id == user_id,
                TwoFactorSecret.enabled_at.is_not(None),
                or_(TwoFactorSecret.last_step.is_(None), TwoFactorSecret.last_step < step),
                last_step=step,
            )
        )
        return _rowcount(result) == 1

    async def remove(self, user_id: uuid.UUID) -> None:
        """Forget the account's secret and recovery codes (two-factor off)."""
        await self.session.execute(
            delete(TwoFactorSecret).where(TwoFactorSecret.user_id == user_id)
        )
        await self.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))

    async def replace_recovery_codes(self, user_id: uuid.UUID, hashes: Sequence[str]) -> None:
        """The account's recovery codes are these (by hash) and no others."""
        await self.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        self.session.add_all(RecoveryCode(user_id=user_id, code_hash=h) for h in hashes)
        await self.session.flush()

    async def spend_recovery_code(self, user_id: uuid.UUID, code_hash: str) -> bool:
        """Use up one recovery code of the account; False when it has no such unused code."""
        result = await self.session.execute(
            delete(RecoveryCode).where(
                RecoveryCode.user_id == user_id, RecoveryCode.code_hash == code_hash
            )
        )
        return _rowcount(result) == 1

    async def recovery_codes_left(self, user_id: uuid.UUID) -> int:
        """How many unused recovery codes the account has."""
        query = select(func.count()).where(RecoveryCode.user_id == user_id)
        return int((await self.session.scalar(query)) or 0)


def _unspent(
    code: type[Invite] | type[PasswordReset] | type[PendingEmail],
    code_hash: str,
    now: datetime.datetime,
) -> list[ColumnElement[bool]]:
    """The single-use code with this hash, if neither used nor expired."""
    return [code.code_hash == code_hash, code.used_at.is_(None), code.expires_at > now]


@dataclasses.dataclass(frozen=True, slots=True)
class ClaimedMail:
    """An owed letter claimed for one attempt, its ``attempt``-th."""

    id: uuid.UUID
    kind: str
    letter: bytes
    attempt: int


class OwedMailRepository(SQLAlchemyAsyncRepository[OwedMail]):
    """The mail committed changes owe, until sent or given up."""

    model_type = OwedMail

    async def record(self, kind: str, letter: bytes, now: datetime.datetime, limit: int) -> bool:
        """Owe ``letter`` (due now), unless ``limit`` letters are owed already: False."""
        owed = await self.session.scalar(select(func.count()).select_from(OwedMail))
        if (owed or 0) >= limit:
            return False
        row = OwedMail(kind=kind, letter=letter, created_at=now, due_at=now, attempts=0)
        await self.add(row, auto_refresh=False)
        return True

    async def claim(self, now: datetime.datetime, until: datetime.datetime) -> ClaimedMail | None:
        """The letter due soonest, if one is due, claimed until ``until`` (its attempt
        counted): replicas skip the rows another holds (Postgres's ``SKIP LOCKED``), and
        the conditional update keeps a claim one replica's on SQLite too."""
        query = (
            select(OwedMail)
            .where(OwedMail.due_at <= now)
            .order_by(OwedMail.due_at, OwedMail.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        row = (await self.session.scalars(query)).one_or_none()
        if row is None:
            return None
        claimed = update_rows(
            OwedMail,
            OwedMail.id == row.id,
            OwedMail.due_at == row.due_at,
            due_at=until,
            attempts=OwedMail.attempts + 1,
        )
        if _rowcount(await self.session.execute(claimed)) != 1:
            return None  # taken meanwhile by another process
        return ClaimedMail(row.id, row.kind, row.letter, row.attempts + 1)

    async def due_again(self, mail_id: uuid.UUID, due: datetime.datetime) -> None:
        """Take the letter ``mail_id`` again at ``due`` (its claim ends)."""
        await self.session.execute(update_rows(OwedMail, OwedMail.id == mail_id, due_at=due))

    async def done(self, mail_id: uuid.UUID) -> None:
        """Forget the letter ``mail_id``: sent, or given up."""
        await self.session.execute(delete(OwedMail).where(OwedMail.id == mail_id))


class _QuietWindowRepository(SQLAlchemyAsyncRepository[_Quiet]):
    """Until when each account is mailed no more news of each key (its table's primary key
    is the account and the key)."""

    id_attribute = "user_id"
    wrap_exceptions = False
    #: The column that keys a window besides the account.
    key_column: ClassVar[str]

    async def open_to(
        self,
        user_id: uuid.UUID,
        key: uuid.UUID | str,
        happened_at: datetime.datetime,
        quiet_until: datetime.datetime,
    ) -> bool:
        """Whether news of ``key`` from ``happened_at`` may be mailed to the account: True
        (and quiet until ``quiet_until`` from now on) unless an earlier mail's window still
        holds it. One statement (an upsert whose update is conditional), so two replicas
        taking two events mail one."""
        model, values = self.model_type, {"user_id": user_id, self.key_column: key}
        statement = upsert_insert(self.session.get_bind().dialect.name, model).values(
            **values, quiet_until=quiet_until
        )
        taken = await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=list(values),
                set_={"quiet_until": statement.excluded.quiet_until},
                where=model.quiet_until <= happened_at,
            ).returning(model.user_id)
        )
        return taken.first() is not None


class ReplyMailQuietRepository(_QuietWindowRepository[ReplyMailQuiet]):
    """Until when each account is mailed no other reply on each video (its key: the item's
    id)."""

    model_type = ReplyMailQuiet
    key_column = "item_id"


class AdminMailQuietRepository(_QuietWindowRepository[AdminMailQuiet]):
    """Until when each admin is mailed nothing more of each kind (its key: the kind)."""

    model_type = AdminMailQuiet
    key_column = "kind"


class _BuiltAtFirstUse(Generic[_Built]):
    """A repository of :class:`AuthRecords`, built on its session at first use and then kept
    on the instance (which this non-data descriptor then no longer sees)."""

    def __init__(self, build: Callable[[AsyncSession], _Built]) -> None:
        self._build = build
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, records: AuthRecords, owner: type | None = None) -> _Built:
        built = self._build(records.session)
        records.__dict__[self._name] = built
        return built


class AuthRecords:
    """The auth repositories, all on one session: what one unit of work sees.

    Each repository is built at its first use: a sign-in's two units of work use three of
    the ten, and building one costs tens of microseconds on the event loop.
    """

    users = _BuiltAtFirstUse(lambda session: UserRepository(session=session))
    sessions = _BuiltAtFirstUse(lambda session: SessionRepository(session=session))
    tokens = _BuiltAtFirstUse(lambda session: RefreshTokenRepository(session=session))
    attempts = _BuiltAtFirstUse(lambda session: AttemptRepository(session=session))
    invites = _BuiltAtFirstUse(lambda session: InviteRepository(session=session))
    resets = _BuiltAtFirstUse(lambda session: PasswordResetRepository(session=session))
    pending_emails = _BuiltAtFirstUse(lambda session: PendingEmailRepository(session=session))
    outbox = _BuiltAtFirstUse(lambda session: OutboxRecords(session, AuthOutboxRow))
    two_factor = _BuiltAtFirstUse(lambda session: TwoFactorRepository(session=session))
    owed_mail = _BuiltAtFirstUse(lambda session: OwedMailRepository(session=session))
    reply_quiet = _BuiltAtFirstUse(lambda session: ReplyMailQuietRepository(session=session))
    admin_quiet = _BuiltAtFirstUse(lambda session: AdminMailQuietRepository(session=session))

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
