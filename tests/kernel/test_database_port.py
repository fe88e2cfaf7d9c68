"""The relational store: every module's migrations run on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

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


async def test_a_sqlite_connection_comes_back_to_the_pool_out_of_any_transaction(
    tmp_path: Path,
) -> None:
    """What was left uncommitted on a connection is rolled back when it is returned (the
    pool's reset, done on SQLite only when a transaction is open); a read's connection
    comes back as it was."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        async with database.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE marks (n INTEGER)"))
        async with database.reads.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            await driver.execute("BEGIN")
            await driver.execute("INSERT INTO marks VALUES (1)")
            assert driver.in_transaction
        assert not driver.in_transaction
        async with database.reads.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM marks"))).scalar_one() == 0
            driver = (await conn.get_raw_connection()).driver_connection
        assert not driver.in_transaction
        async with database.engine.begin() as conn:  # the write lock is free again
            await conn.execute(text("INSERT INTO marks VALUES (2)"))
        async with database.reads.connect() as conn:
            assert (await conn.execute(text("SELECT n FROM marks"))).scalars().all() == [2]
    finally:
        await database.close()
