"""PostgreSQL restarts while the app is busy writing and reading.

Requests in flight fail cleanly (our JSON error shape, never a 500, never a hang); the
connection pool recovers by itself; and no change is half-written: an item exists with
all of its tags and its one ``media.published`` event, or not at all.
"""

from __future__ import annotations

import asyncio
import collections
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from fault_rig import (
    BoundedClient,
    Outcome,
    admin_headers,
    assert_no_slow_answers,
    new_item,
    production_settings,
    restarted_on_exit,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from harness.tools import skip_or_fail
from streamstack.contracts.catalogue import MEDIA_PUBLISHED
from support.apps import served_app

pytestmark = pytest.mark.slow

WRITERS = 4
READERS = 2
TAGS = ["one", "two", "three"]
RECOVERY_SECONDS = 30.0


async def stored_items(database_url: str) -> dict[str, dict[str, Any]]:
    """Every item in the database: its tags and the published events naming it."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            items: dict[str, dict[str, Any]] = {
                str(row[0]): {"tags": [], "events": 0}
                for row in await conn.execute(text("SELECT id FROM media_items"))
            }
            for media_id, tag in await conn.execute(text("SELECT media_id, tag FROM media_tags")):
                items.setdefault(str(media_id), {"tags": [], "events": 0, "orphan": True})
                items[str(media_id)]["tags"].append(tag)
            events = await conn.execute(
                text("SELECT payload FROM catalogue_outbox WHERE subject = :subject"),
                {"subject": MEDIA_PUBLISHED},
            )
            for (payload,) in events:
                media_id = str(json.loads(bytes(payload))["id"])
                items.setdefault(media_id, {"tags": [], "events": 0, "orphan": True})
                items[media_id]["events"] += 1
            return items
    finally:
        await engine.dispose()


async def test_restart_postgres_under_load(
    tmp_path: Path,
    postgres_server: Any,
    fresh_database_url: str,
    nats_url: str,
    s3_endpoint: Any,
    fresh_buckets: tuple[str, str],
) -> None:
    if postgres_server is None:
        skip_or_fail("needs a PostgreSQL server the test can restart")
    settings = production_settings(
        tmp_path / "data",
        database_url=fresh_database_url,
        nats_url=nats_url,
        s3=s3_endpoint,
        buckets=fresh_buckets,
    )
    admin = admin_headers(settings)
    outcomes: list[Outcome] = []
    answered: dict[str, int] = {}  # item id -> status of its create request

    async with served_app(settings) as url, BoundedClient(url) as client:
        stop = asyncio.Event()

        async def writer() -> None:
            while not stop.is_set():
                item = new_item(tags=TAGS)
                outcome = await client.request(
                    "create", "POST", "/api/v1/catalogue/", json=item, headers=admin
                )
                answered[item["id"]] = outcome.status
                outcomes.append(outcome)
                register = await client.request(
                    "register",
                    "POST",
                    "/api/v1/auth/register",
                    json={"email": f"u-{uuid.uuid4().hex[:10]}@example.com", "password": "x" * 12},
                )
                outcomes.append(register)

        async def reader() -> None:
            while not stop.is_set():
                outcomes.append(await client.request("list", "GET", "/api/v1/catalogue/"))

        load = asyncio.gather(
            *[writer() for _ in range(WRITERS)], *[reader() for _ in range(READERS)]
        )
        with restarted_on_exit(postgres_server):
            try:
                await asyncio.sleep(1.0)
                before_restart = len(outcomes)
                await postgres_server.arestart()
                await asyncio.sleep(2.0)  # the load goes on against the restarted server
            finally:
                stop.set()
                await load

        # The pool recovers without restarting the app: every request works again.
        deadline = asyncio.get_running_loop().time() + RECOVERY_SECONDS
        while (await client.request("list", "GET", "/api/v1/catalogue/")).status != 200:
            assert asyncio.get_running_loop().time() < deadline, "the pool did not recover"
            await asyncio.sleep(0.25)
        for _ in range(5):
            item = new_item(tags=TAGS)
            created = await client.request(
                "create", "POST", "/api/v1/catalogue/", json=item, headers=admin
            )
            assert created.status == 201, created
            answered[item["id"]] = created.status

    assert before_restart > 0, "no load ran before the restart"
    statuses = collections.Counter(o.status for o in outcomes)
    failed = [o for o in outcomes if o.status >= 400]
    assert failed, f"the restart went unnoticed: {statuses}"
    unclean = [str(o) for o in failed if o.status == 500 or not o.is_error_shape]
    assert not unclean, unclean[:5]
    assert_no_slow_answers(outcomes)

    items = await stored_items(fresh_database_url)
    half_written = {
        item_id: item
        for item_id, item in items.items()
        if item.get("orphan") or sorted(item["tags"]) != sorted(TAGS) or item["events"] != 1
    }
    assert not half_written, half_written
    created_ok = {item_id for item_id, status in answered.items() if status == 201}
    assert created_ok <= set(items), "an item answered 201 is missing"
    assert set(items) <= set(answered), "an item nobody asked for exists"
