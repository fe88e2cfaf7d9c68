"""Pooled PostgreSQL connections are pinged only after sitting idle, and a dead one is
replaced before any request sees it."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

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
