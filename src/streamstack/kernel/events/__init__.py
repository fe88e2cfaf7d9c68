"""Events port: publish domain events by subject, subscribe with NATS-style wildcards.

Adapters: NATS JetStream (:mod:`.nats`), which drops a second publish of the same event id
within its duplicate window, and an in-process bus (:mod:`.memory`) that does the same.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

import msgspec

from streamstack.kernel.errors import ServiceUnavailable


class Event(msgspec.Struct, frozen=True):
    """One delivered event."""

    id: str
    subject: str
    payload: bytes


EventHandler = Callable[[Event], Awaitable[None]]


class EventsUnavailable(ServiceUnavailable):
    """The event backend did not take the event."""

    code = "events_unavailable"


class Subscription(Protocol):
    """A live subscription."""

    async def unsubscribe(self) -> None:
        """Stop delivery."""
        ...


class EventBus(Protocol):
    """Publish and subscribe."""

    async def publish(self, subject: str, payload: bytes, *, event_id: str) -> None:
        """Publish once: a repeat of ``event_id`` is dropped (within a window)."""
        ...

    async def subscribe(self, subject: str, handler: EventHandler) -> Subscription:
        """Call ``handler`` for each event on ``subject`` (``*`` and ``>`` wildcards)."""
        ...

    async def ping(self) -> None:
        """Raise :class:`EventsUnavailable` unless the backend answers."""
        ...


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: ``*`` is one token, a final ``>`` one or more."""
    want, have = pattern.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":
            return len(have) > i
        if i >= len(have) or (token != "*" and token != have[i]):
            return False
    return len(want) == len(have)
