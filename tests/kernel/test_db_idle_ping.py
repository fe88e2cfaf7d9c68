"""The Postgres pool: connections are pinged only after sitting idle, a dead one is replaced
before any request sees it, and a burst's connections are kept for the next burst."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import event, text

from streamstack.kernel.db import IDLE_PING_SECONDS, Database
from support.fixtures import SettingsFactory

pytestmark = pytest.mark.parametrize("backend_kind", ["production"])


@pytest.fixture
async def database(settings_factory: SettingsFactory) -> AsyncIterator[Database]:
    """A Database on the test's own PostgreSQL database, disposed of afterwards."""
    database = Database(settings_factory(modules=("catalogue",)).effective_database_url)
    try:
        yield database
    finally:
        await database.close()


async def test_an_idle_connection_closed_by_the_server_is_replaced(database: Database) -> None:
    async with database.engine.connect() as other:
        async with database.engine.connect() as connection:
            pid = await connection.scalar(text("SELECT pg_backend_pid()"))
        # The server ends that pooled connection (as a restart would) while it is idle.
        await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await asyncio.sleep(IDLE_PING_SECONDS + 0.5)
    for _ in range(3):  # every pooled connection, dead or alive, answers
        async with database.engine.connect() as connection:
            assert await connection.scalar(text("SELECT 1")) == 1


async def test_connections_of_a_burst_are_kept_for_the_next(database: Database) -> None:
    # Fifteen requests at once, twice: the second burst finds the first one's connections
    # in the pool. With 10 pooled + 10 overflow, the 5 overflow ones were closed at their
    # return and opened again (a server process forked per request under load).
    opened: list[int] = []
    event.listen(database.engine.sync_engine, "connect", lambda *_: opened.append(1))

    async def request() -> None:
        async with database.reads.connect() as connection:
            await connection.execute(text("SELECT pg_sleep(0.05)"))

    await asyncio.gather(*(request() for _ in range(15)))
    after_first = len(opened)
    await asyncio.gather(*(request() for _ in range(15)))
    assert after_first == 15
    assert len(opened) == after_first
