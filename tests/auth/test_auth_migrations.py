"""The hand-written migrations build exactly the tables the auth models describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from streamstack.auth.models import AuthBase
from streamstack.cli import apply_migrations
from streamstack.kernel.db import Database
from support.fixtures import SettingsFactory


def differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "version_table": "alembic_version_auth"}
    )
    diffs: list[Any] = compare_metadata(context, AuthBase.metadata)
    return diffs


async def test_the_migrations_match_the_models(settings_factory: SettingsFactory) -> None:
    settings = settings_factory(modules=("auth",))
    await apply_migrations(settings, settings.modules)
    await apply_migrations(settings, settings.modules)  # a second run is a no-op
    database = Database(settings.effective_database_url)
    try:
        async with database.engine.connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        await database.close()
