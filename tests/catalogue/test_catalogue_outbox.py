"""The outbox: no event lost while NATS is down, none doubled when a relay dies or two run."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from catalogue_testing import (
    EventLog,
    catalogue_relay,
    create_item,
    eventually,
    new_item,
    outbox_backlog,
    service_without_relay,
    stored_events,
)

from harness.servers import NatsServer
from harness.tools import skip_or_fail
from streamstack.cli import apply_migrations
from streamstack.contracts.catalogue import MEDIA_PUBLISHED
from streamstack.kernel.backends import Backends
from streamstack.kernel.events import EventBus, EventHandler, EventsUnavailable, Subscription
from streamstack.kernel.outbox import RelayFailed
from streamstack.settings import Settings
from support.apps import make_settings, running_app
from support.fixtures import SettingsFactory


@pytest.fixture
async def backends(settings_factory: SettingsFactory) -> AsyncIterator[Backends]:
    """The catalogue's backends on this test's kind, migrated, with no app running."""
    settings = settings_factory(modules=("catalogue",))
    await apply_migrations(settings, settings.modules)
    async with Backends(settings) as backends:
        yield backends


class FaultyBus:
    """The real bus, with a fault injected around each publish."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.published: list[str] = []
        self.first_published = asyncio.Event()
        self.hang_after_publish = False
        self.hold_before_publish: asyncio.Event | None = None
        self.fail = False

    async def publish(self, subject: str, payload: bytes, *, event_id: str) -> None:
        if self.fail:
            raise EventsUnavailable("bus refused the event")
        if self.hold_before_publish is not None:
            self.first_published.set()
            await self.hold_before_publish.wait()
        await self.bus.publish(subject, payload, event_id=event_id)
        self.published.append(event_id)
        self.first_published.set()
        if self.hang_after_publish:
            await asyncio.Event().wait()  # the relay "dies" here, before marking the row

    async def subscribe(self, subject: str, handler: EventHandler) -> Subscription:
        return await self.bus.subscribe(subject, handler)

    async def ping(self) -> None:
        await self.bus.ping()


async def test_a_relay_killed_after_publishing_before_marking_delivers_once(
    backends: Backends,
) -> None:
    service = service_without_relay(backends)
    async with EventLog.attached(backends) as log:
        first = await service.create_item(new_item(title="First"), created_by="admin")
        second = await service.create_item(new_item(title="Second"), created_by="admin")
        assert await service.outbox_backlog() == 2

        dying_bus = FaultyBus(backends.events)
        dying_bus.hang_after_publish = True
        # The relay as the module runs it: the kernel background task of the relay.
        dying = catalogue_relay(backends.database, dying_bus).task(interval_seconds=5.0)
        await dying.start()
        await asyncio.wait_for(dying_bus.first_published.wait(), 30)
        await dying.stop()  # killed between the publish and the mark
        assert dying_bus.published != []
        assert await service.outbox_backlog() == 2  # nothing was marked sent

        restarted = catalogue_relay(backends.database, backends.events)
        assert await restarted.relay_pending() == 2  # the first one is published again
        assert await service.outbox_backlog() == 0
        assert await restarted.relay_pending() == 0

        async def second_arrived() -> bool:
            return len(log.about(second.id)) == 1

        await eventually(second_arrived, what="the second event")
    # The bus dropped the repeat: each event arrived once.
    assert [e.subject for e in log.about(first.id)] == [MEDIA_PUBLISHED]
    assert [e.subject for e in log.about(second.id)] == [MEDIA_PUBLISHED]
    if backends.settings.nats_url:
        stored = await stored_events(backends.settings.nats_url, {first.id, second.id})
        assert sorted(m for m, _, _ in stored) == sorted([first.id, second.id])


async def test_a_refused_event_stays_pending_and_blocks_nothing_before_it(
    backends: Backends,
) -> None:
    service = service_without_relay(backends)
    await service.create_item(new_item(), created_by="admin")
    await service.create_item(new_item(publish=False), created_by="admin")  # unpublished
    await service.create_item(new_item(), created_by="admin")
    bus = FaultyBus(backends.events)
    bus.fail = True
    relay = catalogue_relay(backends.database, bus)
    with pytest.raises(RelayFailed):
        await relay.relay_pending()
    assert await service.outbox_backlog() == 3
    bus.fail = False
    assert await relay.relay_pending() == 3
    assert await service.outbox_backlog() == 0
    assert len(set(bus.published)) == 3


async def test_events_wait_out_a_nats_outage(
    nats_server: NatsServer | None, nats_url: str, fresh_database_url: str, tmp_path: Path
) -> None:
    if nats_server is None:
        skip_or_fail("needs the session's own NATS server, to stop and start it")
    assert nats_server is not None
    settings = make_settings(
        "embedded",
        tmp_path / "data",
        modules=("catalogue",),
        database_url=fresh_database_url,
        nats_url=nats_url,
    )
    async with running_app(settings) as client:
        warm_up = await create_item(client, settings, title="Before the outage")

        async def relayed() -> bool:
            return await outbox_backlog(client.app.state.backends) == 0

        await eventually(relayed, what="the warm-up event to go out")
        await nats_server.astop()
        try:
            # Admin routes fail closed while the revocation list (NATS KV) is away, so
            # the changes are made through the use cases, as ingest's calls would be.
            service = service_without_relay(client.app.state.backends)
            items = [
                msgspec.to_builtins(
                    await service.create_item(new_item(title=f"During {i}"), created_by="admin")
                )
                for i in range(3)
            ]
            assert await outbox_backlog(client.app.state.backends) == 3  # kept, not lost
            r = await client.get("/api/v1/catalogue/", params={"q": "during"})
            assert r.json()["total"] == 3  # browsing never needed NATS
        finally:
            await nats_server.astart()
        await eventually(relayed, what="the relay to catch up after NATS came back")

    ids = {item["id"] for item in items}
    stored = await stored_events(nats_url, ids | {warm_up["id"]})
    assert sorted(m for m, _, _ in stored) == sorted([*ids, warm_up["id"]])  # once each
    assert {s for _, s, _ in stored} == {MEDIA_PUBLISHED}
    assert len({msg_id for _, _, msg_id in stored}) == 4


async def test_two_replicas_relay_different_rows(fresh_database_url: str, tmp_path: Path) -> None:
    """On Postgres each relay claims its batch with SKIP LOCKED: no row is published twice."""
    settings: Settings = make_settings(
        "embedded", tmp_path / "data", modules=("catalogue",), database_url=fresh_database_url
    )
    await apply_migrations(settings, settings.modules)
    async with Backends(settings) as backends:
        service = service_without_relay(backends)
        for i in range(12):
            await service.create_item(new_item(title=f"Item {i}"), created_by="admin")
        held = FaultyBus(backends.events)
        held.hold_before_publish = asyncio.Event()
        free = FaultyBus(backends.events)
        replica_a = catalogue_relay(backends.database, held, batch_size=4)
        replica_b = catalogue_relay(backends.database, free, batch_size=4)

        first_batch = asyncio.create_task(replica_a.relay_pending())
        await asyncio.wait_for(held.first_published.wait(), 30)  # A holds rows 1-4
        # Without SKIP LOCKED, B would wait for A's locks while A waits for us: a hang.
        assert await asyncio.wait_for(replica_b.relay_pending(), 30) == 4
        held.hold_before_publish.set()
        assert await asyncio.wait_for(first_batch, 30) == 4
        assert set(held.published).isdisjoint(free.published)

        results: list[Any] = await asyncio.gather(
            replica_a.relay_pending(), replica_b.relay_pending()
        )
        assert sum(results) == 4
        assert await service.outbox_backlog() == 0
        every = held.published + free.published
        assert len(every) == len(set(every)) == 12
