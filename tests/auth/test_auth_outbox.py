"""Auth's outbox: ``auth.events.user.deleted`` exists iff the delete committed, and survives a
bus that refuses it (the relay keeps the row and publishes it later, once)."""

from __future__ import annotations

import msgspec
import pytest
from auth_accounts import PASSWORD, new_email

from streamstack.auth.models import AuthOutboxRow
from streamstack.auth.module import standalone_service
from streamstack.cli import apply_migrations
from streamstack.contracts.auth import USER_DELETED, UserDeleted
from streamstack.kernel.clock import utcnow
from streamstack.kernel.db import Database
from streamstack.kernel.errors import Conflict
from streamstack.kernel.events import Event, EventsUnavailable
from streamstack.kernel.events.memory import MemoryEventBus
from streamstack.kernel.outbox import OutboxRecords, OutboxRelay, RelayFailed


class FlakyBus(MemoryEventBus):
    """The in-process bus, refusing its first ``refusals`` publishes (a bus outage)."""

    def __init__(self, refusals: int) -> None:
        super().__init__()
        self.refusals = refusals

    async def publish(self, subject: str, payload: bytes, *, event_id: str) -> None:
        if self.refusals:
            self.refusals -= 1
            raise EventsUnavailable("the bus is down")
        await super().publish(subject, payload, event_id=event_id)


async def pending(database: Database) -> list[bytes]:
    async with database.unit_of_work() as session:
        rows = await OutboxRecords(session, AuthOutboxRow).pending(100, claim=False, now=utcnow())
        return [row.payload for row in rows]


async def test_the_event_waits_out_a_bus_outage_and_is_published_once(auth_settings):
    await apply_migrations(auth_settings, ("auth",))
    database = Database(auth_settings.effective_database_url)
    bus = FlakyBus(refusals=1)
    delivered: list[Event] = []

    async def record(event: Event) -> None:
        delivered.append(event)

    await bus.subscribe("auth.events.>", record)
    try:
        async with standalone_service(auth_settings) as service:
            email = new_email("gone")
            await service.create_admin(email, PASSWORD)
            page = await service.list_users(email, 10, 0)
            user_id = page.items[0].id
            for user in (await service.list_users(None, 100, 0)).items:
                if user.role == "admin" and user.id != user_id and not user.disabled:
                    await service.set_disabled(user.id, True)
            # The last enabled admin: refused, and no event written.
            with pytest.raises(Conflict):
                await service.delete_user(user_id)
            assert await pending(database) == []
            other = new_email("keeper")
            await service.create_admin(other, PASSWORD)
            await service.delete_user(user_id)
        [payload] = await pending(database)
        assert msgspec.json.decode(payload, type=UserDeleted).user_id == str(user_id)
        relay = OutboxRelay(database, bus, AuthOutboxRow, name="auth.outbox-relay")
        with pytest.raises(RelayFailed):
            await relay.relay_once()
        assert len(await pending(database)) == 1  # kept for the next try
        assert await relay.relay_once() is False
        assert await pending(database) == []
        await relay.relay_once()  # nothing left: nothing sent again
    finally:
        await database.close()
    assert [(e.subject, msgspec.json.decode(e.payload)["user_id"]) for e in delivered] == [
        (USER_DELETED, str(user_id))
    ]
