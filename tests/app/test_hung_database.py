"""A hung database, as requests and ``/ready`` meet it: a request it holds up gets a 503
``database_unavailable`` once the database timeout passes (not asyncpg's 30 s command
timeout), and ``/ready`` names the database within about a second, as it does for a
stopped one. Production backends: the embedded SQLite cannot hang (tests/kernel/
test_db_timeouts.py covers its write lock)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from streamstack.kernel.readiness import PING_SECONDS
from streamstack.settings import Settings
from support.apps import AppClient, running_app
from support.fixtures import SettingsFactory
from support.relay import FreezingRelay

pytestmark = pytest.mark.parametrize("backend_kind", ["production"])

#: How long a request may take here before the test calls it a hang: well past the test's
#: 1 s database timeout, well short of the 30 s a request waited before.
HANG_SECONDS = 10.0


@pytest.fixture
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(modules=("catalogue",), database_timeout_seconds=1.0)


@pytest.fixture
async def relay(settings: Settings) -> AsyncIterator[FreezingRelay]:
    """The app's way to its database, which the test may freeze (thawed at the end)."""
    async with FreezingRelay(settings.database_url) as relay:
        try:
            yield relay
        finally:
            relay.thaw()


#: A page size no request asked for yet: viewers' pages are cached per query.
_PAGE_SIZES = itertools.count(1)


async def catalogue(client: AppClient) -> tuple[int, str, str | None]:
    """The catalogue's first page, read from the database: status, error code and
    Retry-After (a request the bound cuts answers 503 ``server_restarting``)."""
    async with asyncio.timeout(HANG_SECONDS):
        answer = await client.get(f"/api/v1/catalogue/?page_size={next(_PAGE_SIZES)}")
    code = answer.json().get("code", "") if answer.status_code != 200 else ""
    return answer.status_code, code, answer.headers.get("retry-after")


async def test_a_request_a_lock_holds_up_is_a_503_after_the_timeout(settings: Settings) -> None:
    engine = create_async_engine(settings.database_url)
    try:
        async with running_app(settings) as client, engine.connect() as locker:
            await locker.execute(text("LOCK TABLE media_items IN ACCESS EXCLUSIVE MODE"))
            status, code, retry_after = await catalogue(client)
            await locker.rollback()
            assert (status, code) == (503, "database_unavailable")
            assert retry_after is not None
            assert (await catalogue(client))[0] == 200
    finally:
        await engine.dispose()


async def test_a_frozen_database_is_a_quick_503_and_ready_says_so(
    settings: Settings, relay: FreezingRelay
) -> None:
    async with running_app(settings.replace(database_url=relay.url)) as client:
        assert (await catalogue(client))[0] == 200
        relay.freeze()
        assert (await catalogue(client))[:2] == (503, "database_unavailable")
        # Within about a second, where it waited out the 3 s every check gets, and more.
        async with asyncio.timeout(PING_SECONDS + 1):
            ready = await client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] == "timeout"
        relay.thaw()
        assert (await catalogue(client))[0] == 200
