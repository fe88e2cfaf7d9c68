"""The relational store: every module's migrations run on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from streamstack.app import module_definitions
from streamstack.kernel.db import Database, DatabaseUnavailable, migrate


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    url: str = request.getfixturevalue("fresh_database_url")
    return url


def migrations() -> dict[str, Path]:
    return {
        name: definition.migrations
        for name, definition in module_definitions().items()
        if definition.migrations is not None
    }


async def test_every_module_migrates_with_its_own_version_table(database_url: str) -> None:
    folders = migrations()
    assert {"auth", "catalogue"} <= set(folders)
    await migrate(database_url, folders)
    await migrate(database_url, folders)  # a second run is a no-op
    database = Database(database_url)
    try:
        async with database.engine.connect() as conn:
            tables = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
        for module in folders:
            assert f"alembic_version_{module}" in tables
        await database.ping()
    finally:
        await database.close()


async def test_sessions_on_an_unreachable_database_are_503() -> None:
    database = Database("postgresql+asyncpg://nobody:x@127.0.0.1:9/none")
    try:
        with pytest.raises(DatabaseUnavailable) as info:
            await database.ping()
        assert info.value.status == 503
        with pytest.raises(DatabaseUnavailable):
            async with database.session() as session:
                await session.connection()
    finally:
        await database.close()
