"""Pooled PostgreSQL connections are pinged only after sitting idle, and a dead one is
replaced before any request sees it."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, text

from streamstack.kernel.db import IDLE_PING_SECONDS, Database
from support.fixtures import SettingsFactory


@pytest.mark.parametrize("backend_kind", ["production"])
async def test_an_idle_connection_closed_by_the_server_is_replaced(
    settings_factory: SettingsFactory,
) -> None:
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    try:
        async with database.engine.connect() as other:
            async with database.engine.connect() as connection:
                pid = await connection.scalar(text("SELECT pg_backend_pid()"))
            # The server ends that pooled connection (as a restart would) while it is idle.
            await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await asyncio.sleep(IDLE_PING_SECONDS + 0.5)
        for _ in range(3):  # every pooled connection, dead or alive, answers
            async with database.engine.connect() as connection:
                assert await connection.scalar(text("SELECT 1")) == 1
    finally:
        await database.close()


@pytest.mark.parametrize("backend_kind", ["production"])
async def test_connections_of_a_burst_are_kept_for_the_next(
    settings_factory: SettingsFactory,
) -> None:
    # Fifteen requests at once, twice: the second burst finds the first one's connections
    # in the pool. With 10 pooled + 10 overflow, the 5 overflow ones were closed at their
    # return and opened again (a server process forked per request under load).
    settings = settings_factory(modules=("catalogue",))
    database = Database(settings.effective_database_url)
    opened: list[int] = []
    event.listen(database.engine.sync_engine, "connect", lambda *_: opened.append(1))

    async def request() -> None:
        async with database.reads.connect() as connection:
            await connection.execute(text("SELECT pg_sleep(0.05)"))

    try:
        await asyncio.gather(*(request() for _ in range(15)))
        after_first = len(opened)
        await asyncio.gather(*(request() for _ in range(15)))
        assert after_first == 15
        assert len(opened) == after_first
    finally:
        await database.close()
