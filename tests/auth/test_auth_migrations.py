"""The hand-written migrations build exactly the tables the auth models describe, and an
upgrade keeps what was there (invites made before auth_0004 have no note). Both backends."""

from __future__ import annotations

import datetime
import uuid

from sqlalchemy import DateTime, Uuid, bindparam, inspect, select, text
from sqlalchemy.engine import Connection

from streamstack.auth.models import AuthBase, Invite, User
from streamstack.auth.module import MODULE
from streamstack.cli import apply_migrations
from streamstack.kernel.db import Database
from support.fixtures import SettingsFactory
from support.migrations import Revisions

REVISIONS = Revisions(MODULE, AuthBase.metadata)

OLD_INVITE = text(
    "INSERT INTO auth_invites (id, code_hash, created_at, expires_at)"
    " VALUES (:id, 'old-code-hash', :now, :now)"
).bindparams(bindparam("id", type_=Uuid()), bindparam("now", type_=DateTime(timezone=True)))


OLD_USER_AND_SESSION = (
    text(
        "INSERT INTO auth_users (id, email, role, password_hash, created_at, updated_at)"
        " VALUES (:id, 'kept@example.com', 'viewer', 'hash', :now, :now)"
    ),
    text(
        "INSERT INTO auth_sessions (id, user_id, created_at, last_used_at, expires_at)"
        " VALUES (:id, :id, :now, :now, :now)"
    ),
)


def invite_columns(connection: Connection) -> set[str]:
    return {c["name"] for c in inspect(connection).get_columns("auth_invites")}


async def test_the_migrations_match_the_models(settings_factory: SettingsFactory) -> None:
    settings = settings_factory(modules=("auth",))
    await apply_migrations(settings, settings.modules)
    await apply_migrations(settings, settings.modules)  # a second run is a no-op
    database = Database(settings.effective_database_url)
    try:
        async with database.engine.connect() as connection:
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()


async def test_invite_notes_come_and_go_with_their_revision(
    settings_factory: SettingsFactory,
) -> None:
    """auth_0004 adds the invites' note, NULL for those made before; its downgrade drops
    exactly that column and keeps the invites."""
    settings = settings_factory(modules=("auth",))
    database = Database(settings.effective_database_url)
    invite_id = uuid.uuid4()
    now = datetime.datetime.now(datetime.UTC)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "auth_0003")
            await connection.execute(OLD_INVITE, {"id": invite_id, "now": now})
            await connection.run_sync(REVISIONS.upgrade)
            assert await connection.run_sync(REVISIONS.differences) == []
            notes = await connection.execute(select(Invite.id, Invite.note))
            assert list(notes) == [(invite_id, None)]
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.downgrade, "auth_0003")
            assert "note" not in await connection.run_sync(invite_columns)
            assert await connection.scalar(text("SELECT count(*) FROM auth_invites")) == 1
            await connection.run_sync(REVISIONS.upgrade)
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()


async def test_a_downgrade_keeps_the_users_sessions(settings_factory: SettingsFactory) -> None:
    """Downgrades drop their columns in place: a table rebuild (alembic's batch mode on
    SQLite) dropped ``auth_users`` under its sessions' cascading key, signing everyone out."""
    settings = settings_factory(modules=("auth",))
    database = Database(settings.effective_database_url)
    now = datetime.datetime.now(datetime.UTC)
    kept = {"id": uuid.uuid4(), "now": now}
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade)
            for statement in OLD_USER_AND_SESSION:
                await connection.execute(statement.bindparams(*TYPES), kept)
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.downgrade, "auth_0001")
            assert await connection.scalar(text("SELECT count(*) FROM auth_sessions")) == 1
            await connection.run_sync(REVISIONS.upgrade)
            assert await connection.scalar(text("SELECT count(*) FROM auth_sessions")) == 1
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()


TYPES = (bindparam("id", type_=Uuid()), bindparam("now", type_=DateTime(timezone=True)))


async def test_names_made_before_auth_0012_are_found_folded(
    settings_factory: SettingsFactory,
) -> None:
    """auth_0012 keeps each display name folded (``name_key``), those already there too;
    an account without a name has none."""
    settings = settings_factory(modules=("auth",))
    database = Database(settings.effective_database_url)
    named, nameless = uuid.uuid4(), uuid.uuid4()
    now = datetime.datetime.now(datetime.UTC)
    insert = text(
        "INSERT INTO auth_users (id, email, display_name, role, password_hash, created_at,"
        " updated_at) VALUES (:id, :email, :name, 'viewer', 'hash', :now, :now)"
    ).bindparams(*TYPES)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "auth_0011")
            await connection.execute(
                insert, {"id": named, "email": "a@example.com", "name": "José Straße", "now": now}
            )
            await connection.execute(
                insert, {"id": nameless, "email": "b@example.com", "name": None, "now": now}
            )
            await connection.run_sync(REVISIONS.upgrade)
            assert await connection.run_sync(REVISIONS.differences) == []
            keys = dict((await connection.execute(select(User.id, User.name_key))).all())
            assert keys == {named: "jose strasse", nameless: None}
            await connection.run_sync(REVISIONS.downgrade, "auth_0011")
            assert await connection.scalar(text("SELECT count(*) FROM auth_users")) == 2
    finally:
        await database.close()
