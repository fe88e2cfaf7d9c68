"""The relational store: every module's migrations run on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import gc
import time
from pathlib import Path

import pytest
import structlog
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncSession

from streamstack.app import module_definitions
from streamstack.kernel import db as db_module
from streamstack.kernel.db import Database, DatabaseFull, DatabaseUnavailable, migrate
from support.full_disk import fill_the_disk_at


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


#: Per backend: a statement that keeps the driver busy for a second, and a bound on how
#: long the next writer waits for a lock (the engine's own is 30 s).
SLOW_STATEMENT = {"sqlite": "SELECT sleep(1.0)", "postgresql": "SELECT pg_sleep(1.0)"}
BOUNDED_WAIT = {
    "sqlite": "PRAGMA busy_timeout = 5000",
    "postgresql": "SET LOCAL lock_timeout = '5s'",
}


async def slow_statement(session: AsyncSession) -> None:
    """One statement of :data:`SLOW_STATEMENT` (on SQLite, ``sleep`` is defined for it)."""
    connection = await session.connection()
    if connection.dialect.name == "sqlite":
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        await driver.create_function("sleep", 1, time.sleep)
    await session.execute(text(SLOW_STATEMENT[connection.dialect.name]))


async def test_a_unit_of_work_cancelled_mid_statement_leaves_the_database_writable(
    database_url: str,
) -> None:
    """A task cancelled while its unit of work waits on the driver (a transcode's progress
    reporter stopped mid-update) leaves no write lock behind: the next writer gets in, and
    the cancelled change is rolled back.

    On SQLite the cancelled connection is closed with its statement still referenced (by
    the cancellation's traceback): SQLite then only marks it a zombie, which kept its
    transaction and the file's write lock until the garbage collector freed the statement,
    and the next writer failed with "database is locked" (a CI flake). The collector is
    off here so that the statement outlives the close, as it did there."""
    database = Database(database_url)
    gc.disable()
    try:
        async with database.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE marks (n INTEGER)"))
            await conn.execute(text("INSERT INTO marks VALUES (0)"))
        wrote = asyncio.Event()

        async def write_then_wait() -> None:
            async with database.unit_of_work() as session:
                await session.execute(text("UPDATE marks SET n = n + 1"))
                wrote.set()
                await slow_statement(session)

        task = asyncio.create_task(write_then_wait())
        await wrote.wait()  # the task now awaits the driver in its slow statement
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with database.unit_of_work() as session:
            await session.execute(text(BOUNDED_WAIT[database.engine.dialect.name]))
            await session.execute(text("UPDATE marks SET n = n + 10"))
        async with database.session() as session:
            assert (await session.execute(text("SELECT n FROM marks"))).scalar_one() == 10
    finally:
        gc.enable()
        await database.close()


async def test_a_write_that_finds_the_disk_full_is_503_database_full_and_logged(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's "database or disk is full" and PostgreSQL's 53100 are named as such (the
    operator must free space), not as a database that did not answer; nothing is written."""
    database = Database(database_url)
    try:
        async with database.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE marks (n INTEGER)"))
        await fill_the_disk_at(database, "marks")
        # The module's own logger, recorded: capture_logs misses a logger an app started
        # earlier in this worker had already cached (structlog's cache_logger_on_first_use).
        recorder = structlog.testing.CapturingLogger()
        monkeypatch.setattr(db_module, "log", recorder)

        with pytest.raises(DatabaseFull) as info:
            async with database.unit_of_work() as session:
                await session.execute(text("INSERT INTO marks VALUES (1)"))

        assert (info.value.status, info.value.code) == (503, "database_full")
        assert info.value.detail == "the server's disk is full: free space on it, then try again"
        (warning,) = [call for call in recorder.calls if call.args[0] == "database.disk_full"]
        assert warning.method_name == "warning"
        assert "full" in warning.kwargs["error"] or "space" in warning.kwargs["error"]
        async with database.session() as session:
            assert (await session.execute(text("SELECT count(*) FROM marks"))).scalar_one() == 0
    finally:
        await database.close()
