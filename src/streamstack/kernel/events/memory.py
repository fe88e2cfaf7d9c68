"""In-process event bus for the one-process dev mode."""

from __future__ import annotations

from collections import OrderedDict

import structlog

from streamstack.kernel.events import LIVE, Delivery, Event, EventHandler, subject_matches

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


class MemoryEventBus:
    """Delivers each event to the matching handlers before ``publish`` returns."""

    def __init__(self, dedupe_window: int = 10_000) -> None:
        self.subscriptions: list[MemorySubscription] = []
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._window = dedupe_window

    async def publish(self, subject: str, payload: bytes, *, event_id: str) -> None:
        if event_id in self._seen:
            return
        self._seen[event_id] = None
        if len(self._seen) > self._window:
            self._seen.popitem(last=False)
        event = Event(event_id, subject, payload)
        for sub in list(self.subscriptions):
            if subject_matches(sub.subject, subject):
                try:
                    await sub.handler(event)
                except Exception:
                    log.exception("events.handler_failed", subject=subject, event_id=event_id)

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
