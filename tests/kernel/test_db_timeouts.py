"""A database that does not answer costs a request the database timeout, then a 503: a
statement another connection's lock holds up (SQLite's write lock too), and one a frozen
server never answers. Statements of no request (migrations) have no such limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import structlog
from sqlalchemy import text

from streamstack.kernel import db as db_module
from streamstack.kernel.db import Database, DatabaseUnavailable
from support.relay import FreezingRelay

#: The database timeout of these tests' engines.
TIMEOUT_SECONDS = 1.0
#: How long a test waits for the 503 before it calls the wait a hang: well past the
#: timeout, well short of asyncpg's 30 s command timeout and SQLite's 30 s busy timeout.
HANG_SECONDS = 10.0
#: Per backend: what holds the table ``marks`` so that no other connection may write it.
HOLD = {
    "sqlite": ["BEGIN IMMEDIATE"],
    "postgresql": ["BEGIN", "LOCK TABLE marks IN ACCESS EXCLUSIVE MODE"],
}


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> structlog.testing.CapturingLogger:
    """What the database layer logs."""
    captured = structlog.testing.CapturingLogger()
    monkeypatch.setattr(db_module, "log", captured)
    return captured


@pytest.fixture
async def marks(database_url: str) -> AsyncIterator[Database]:
    """A database with a table ``marks``, and engines on it with the test's timeout."""
    database = Database(database_url, timeout=TIMEOUT_SECONDS)
    try:
        async with database.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE marks (n INTEGER)"))
        yield database
    finally:
        await database.close()


async def write_a_mark(database: Database) -> None:
    async with database.unit_of_work() as session:
        await session.execute(text("INSERT INTO marks VALUES (1)"))


async def test_a_write_another_connection_holds_up_is_a_503_after_the_timeout(
    database_url: str, marks: Database, warnings: structlog.testing.CapturingLogger
) -> None:
    holder = Database(database_url)  # no timeout: it holds the lock as long as it likes
    try:
        async with holder.engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            for statement in HOLD[conn.dialect.name]:
                await driver.execute(statement)
            with pytest.raises(DatabaseUnavailable) as refused:
                async with asyncio.timeout(HANG_SECONDS):
                    await write_a_mark(marks)
            await driver.execute("ROLLBACK")
    finally:
        await holder.close()
    assert (refused.value.status, refused.value.code) == (503, "database_unavailable")
    await write_a_mark(marks)  # the lock gone, the pool serves again
    if marks.is_sqlite:
        return  # SQLite's "database is locked" is an unavailable database as before
    assert [call.args for call in warnings.calls] == [("database.timeout",)]
    assert "statement timeout" in warnings.calls[0].kwargs["error"]


async def test_a_statement_a_frozen_server_never_answers_is_a_503(
    fresh_database_url: str, warnings: structlog.testing.CapturingLogger
) -> None:
    async with FreezingRelay(fresh_database_url) as relay:
        database = Database(relay.url, timeout=TIMEOUT_SECONDS)
        try:
            async with database.engine.begin() as conn:  # a pooled connection, just used
                await conn.execute(text("CREATE TABLE marks (n INTEGER)"))
            relay.freeze()
            with pytest.raises(DatabaseUnavailable) as refused:
                async with asyncio.timeout(HANG_SECONDS):
                    await write_a_mark(database)
            assert refused.value.code == "database_unavailable"
            assert [call.args for call in warnings.calls] == [("database.timeout",)]
            relay.thaw()
            await write_a_mark(database)  # nothing stuck once it runs again
        finally:
            relay.thaw()
            await database.close()
