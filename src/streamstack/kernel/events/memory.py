"""In-process event bus for the one-process dev mode.

Each event reaches the matching handlers before ``publish`` returns. A handler that raises
gets the event again later, as a NATS subscriber's handler would: after
:func:`~streamstack.kernel.events.redelivery_delay`, again and again until it returns, the
subscriber unsubscribes, or :data:`~streamstack.kernel.events.EVENT_KEEP_SECONDS` have
passed (when a stream would have dropped the event). Redeliveries run in tasks of their own,
so ``publish`` never waits for them; they end with the process (nothing is kept across a
restart) or with :meth:`MemoryEventBus.close`.
"""

from __future__ import annotations

import asyncio
import time

import structlog

from streamstack.kernel.events import (
    EVENT_KEEP_SECONDS,
    LIVE,
    Delivery,
    Event,
    EventHandler,
    redelivery_delay,
    subject_matches,
)
from streamstack.kernel.recently_used import RecentlyUsed

log = structlog.get_logger(__name__)


class MemorySubscription:
    """A subscription on a :class:`MemoryEventBus`."""

    def __init__(self, bus: MemoryEventBus, subject: str, handler: EventHandler) -> None:
        self.subject = subject
        self.handler = handler
        self._bus = bus

    async def unsubscribe(self) -> None:
        if self in self._bus.subscriptions:
            self._bus.subscriptions.remove(self)

    async def alive(self) -> bool:
        return self in self._bus.subscriptions

    async def deliver(self, event: Event, deliveries: int) -> bool:
        """Run the handler for the ``deliveries``-th time; False (logged) when it raised."""
        try:
            await self.handler(event)
        except Exception:
            log.exception(
                "events.handler_failed",
                subject=event.subject,
                event_id=event.id,
                deliveries=deliveries,
            )
            return False
        return True


class MemoryEventBus:
    """Delivers each event to the matching handlers before ``publish`` returns, and again
    later to each handler that raised."""

    def __init__(self, dedupe_window: int = 10_000) -> None:
        self.subscriptions: list[MemorySubscription] = []
        #: Ids of the latest events published, oldest first (a duplicate, dropped, does not
        #: keep its id longer).
        self._seen: RecentlyUsed[str, None] = RecentlyUsed(dedupe_window)
        self._redeliveries: set[asyncio.Task[None]] = set()

    async def publish(self, subject: str, payload: bytes, *, event_id: str) -> None:
        if event_id in self._seen:
            return
        self._seen.put(event_id, None)
        event = Event(event_id, subject, payload)
        for sub in list(self.subscriptions):
            if subject_matches(sub.subject, subject) and not await sub.deliver(event, 1):
                task = asyncio.create_task(
                    self._redeliver(sub, event), name=f"events.redeliver-{event_id}"
                )
                self._redeliveries.add(task)
                task.add_done_callback(self._redeliveries.discard)

    async def _redeliver(self, sub: MemorySubscription, event: Event) -> None:
        """Deliver ``event`` to ``sub`` again until its handler returns (see the module)."""
        give_up_at = time.monotonic() + EVENT_KEEP_SECONDS
        deliveries = 1
        while time.monotonic() < give_up_at:
            await asyncio.sleep(redelivery_delay(deliveries))
            if sub not in self.subscriptions:
                return
            deliveries += 1
            if await sub.deliver(event, deliveries):
                return
        log.error("events.given_up", subject=event.subject, event_id=event.id)

    async def subscribe(
        self, subject: str, handler: EventHandler, delivery: Delivery = LIVE
    ) -> MemorySubscription:
        # In one process every event is delivered inside ``publish``: nothing to replay, and
        # no other process to share a durable subscription with.
        sub = MemorySubscription(self, subject, handler)
        self.subscriptions.append(sub)
        return sub

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        """Stop the redeliveries still waiting (the events are lost, as at a restart)."""
        tasks = list(self._redeliveries)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
