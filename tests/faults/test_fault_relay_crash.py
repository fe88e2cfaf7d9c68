"""The catalogue's outbox relay dies between a commit and the publish of its event.

The catalogue runs as a real ``streamstack serve --module catalogue`` process on Postgres
and NATS, and is killed with SIGKILL while events are committed but not yet published.
After a restart, each event reaches the ``CATALOGUE_EVENTS`` stream exactly once, in
both windows a crash can hit:

* before the publish: JetStream refuses the events (their stream is made full, "discard
  new"), so the relay holds the committed rows when it dies. (NATS itself stays up: every
  request is authenticated against the revocation list in NATS KV, which fails closed, so
  with NATS down no item could be created at all);
* after the publish but before the row was marked sent: the state such a crash leaves
  (the message in the stream, the row still pending) is set up exactly, by publishing
  the pending row the way the relay does (same subject, payload and ``Nats-Msg-Id``);
  the restarted relay publishes it again, and JetStream's duplicate window drops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import nats
import pytest
from fault_rig import HANG_BOUND_SECONDS, admin_headers, new_item
from nats.js.api import DiscardPolicy
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from harness.servers import free_port
from streamstack.cli import apply_migrations
from streamstack.settings import Settings
from support.apps import make_settings
from support.processes import ServeProcess, clean_environment, settings_env

pytestmark = pytest.mark.slow

STREAM = "CATALOGUE_EVENTS"
DRAIN_SECONDS = 30.0


@contextlib.asynccontextmanager
async def catalogue_process(settings: Settings, log: Path) -> AsyncIterator[ServeProcess]:
    """``streamstack serve --module catalogue`` in production mode for ``settings``, ready."""
    production = {"STREAMSTACK_ENVIRONMENT": "production", "STREAMSTACK_LOG_FORMAT": "json"}
    env = clean_environment(**{**settings_env(settings), **production})
    served = ServeProcess(["catalogue"], free_port(), env, log)
    try:
        await served.wait_ready()
        yield served
    finally:
        served.stop()


def create(url: str, settings: Settings) -> str:
    item = new_item()
    response = httpx.post(
        f"{url}/api/v1/catalogue/",
        json=item,
        headers=admin_headers(settings),
        timeout=HANG_BOUND_SECONDS,
    )
    assert response.status_code == 201, response.text
    return str(item["id"])


async def outbox(database_url: str) -> dict[str, tuple[str, str, bytes, bool]]:
    """Outbox rows by media id: (event id, subject, payload, sent)."""
    import json

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT event_id, subject, payload, sent_at FROM catalogue_outbox")
            )
            return {
                str(json.loads(bytes(payload))["id"]): (
                    event_id,
                    subject,
                    bytes(payload),
                    sent_at is not None,
                )
                for event_id, subject, payload, sent_at in rows
            }
    finally:
        await engine.dispose()


async def stream_copies(nats_url: str, event_ids: set[str]) -> dict[str, int]:
    """How many messages of the events stream carry each of ``event_ids``."""
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        state = (await js.stream_info(STREAM)).state
        counts = dict.fromkeys(event_ids, 0)
        for seq in range(state.first_seq, state.last_seq + 1):
            try:
                message = await js.get_msg(STREAM, seq)
            except nats.js.errors.NotFoundError:
                continue
            event_id = (message.headers or {}).get("Nats-Msg-Id")
            if event_id in counts:
                counts[event_id] += 1
        return counts
    finally:
        await client.close()


async def publish_as_the_relay(nats_url: str, event_id: str, subject: str, payload: bytes) -> None:
    client = await nats.connect(nats_url)
    try:
        await client.jetstream().publish(subject, payload, headers={"Nats-Msg-Id": event_id})
    finally:
        await client.close()


@contextlib.asynccontextmanager
async def events_refused(nats_url: str) -> AsyncIterator[None]:
    """The events stream takes no new message (full, discard new); restored afterwards."""
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        info = await js.stream_info(STREAM)
        full = dataclasses.replace(
            info.config, max_msgs=max(1, info.state.messages), discard=DiscardPolicy.NEW
        )
        await js.update_stream(full)
        try:
            yield
        finally:
            await js.update_stream(info.config)
    finally:
        await client.close()


async def test_kill_the_relay_between_commit_and_publish(
    tmp_path: Path, nats_url: str, fresh_database_url: str
) -> None:
    settings = make_settings(
        "embedded",
        tmp_path / "data",
        database_url=fresh_database_url,
        nats_url=nats_url,
        modules=("catalogue",),
    )
    await apply_migrations(settings, settings.modules)
    log = tmp_path / "catalogue.log"

    async with catalogue_process(settings, log) as first:
        published = await asyncio.to_thread(create, first.url, settings)
        # The control: with the stream open the relay publishes at once.
        deadline = time.monotonic() + DRAIN_SECONDS
        while not (await outbox(fresh_database_url))[published][3]:
            assert time.monotonic() < deadline, "the relay never published"
            await asyncio.sleep(0.1)

        async with events_refused(nats_url):
            before_publish = await asyncio.to_thread(create, first.url, settings)
            after_publish = await asyncio.to_thread(create, first.url, settings)
            rows = await outbox(fresh_database_url)
            assert not rows[before_publish][3] and not rows[after_publish][3]
            first.process.kill()  # the relay dies holding two committed, unpublished events
            first.process.wait()

    event_id, subject, payload, _ = rows[after_publish]
    await publish_as_the_relay(nats_url, event_id, subject, payload)

    async with catalogue_process(settings, log):
        deadline = time.monotonic() + DRAIN_SECONDS
        while not all(sent for *_, sent in (await outbox(fresh_database_url)).values()):
            assert time.monotonic() < deadline, (
                f"pending events not relayed:\n{log.read_text()[-3000:]}"
            )
            await asyncio.sleep(0.2)

    rows = await outbox(fresh_database_url)
    ids = {rows[media][0]: media for media in (published, before_publish, after_publish)}
    copies = await stream_copies(nats_url, set(ids))
    assert {ids[event]: count for event, count in copies.items()} == {
        published: 1,
        before_publish: 1,
        after_publish: 1,
    }
