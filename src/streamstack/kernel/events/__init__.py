"""Events port: publish domain events by subject, subscribe with NATS-style wildcards.

Adapters: NATS JetStream (:mod:`.nats`), which drops a second publish of the same event id
within its duplicate window, and an in-process bus (:mod:`.memory`) that does the same.

Delivery is at least once on both: an event whose handler raised is delivered to that
subscriber again after :func:`redelivery_delay` (growing with each failed delivery), for as
long as events are kept (:data:`EVENT_KEEP_SECONDS`, a stream's age limit), or until the
subscriber unsubscribes. Handlers must therefore be idempotent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

import msgspec
import structlog

from streamstack.kernel.backoff import backoff_seconds
from streamstack.kernel.errors import ServiceUnavailable

#: The first redelivery of an event whose handler raised waits this long ...
REDELIVERY_FIRST_SECONDS = 0.5
#: ... and each further one twice as long as the one before, up to this.
REDELIVERY_MOST_SECONDS = 5.0
#: How long an event is kept (a JetStream stream's ``max_age``), and so for how long an
#: event whose handler keeps failing is delivered again.
EVENT_KEEP_SECONDS = 7 * 24 * 3600.0


class Event(msgspec.Struct, frozen=True):
    """One delivered event."""

    id: str
    subject: str
    payload: bytes


EventHandler = Callable[[Event], Awaitable[None]]

log = structlog.get_logger(__name__)

_Payload = TypeVar("_Payload")


def decode_payload(event: Event, kind: type[_Payload], unreadable: str) -> _Payload | None:
    """The event's payload as ``kind``, or None when it is not one: logged as the error
    ``unreadable`` (with the event's subject and id) for the handler to drop it, since
    delivering it again would not make it readable."""
    try:
        return msgspec.json.decode(event.payload, type=kind)
    except msgspec.DecodeError:  # a ValidationError too: it is one
        log.error(unreadable, subject=event.subject, event_id=event.id)
        return None


class EventsUnavailable(ServiceUnavailable, code="events_unavailable"):
    """The event backend did not take the event."""


class Live(msgspec.Struct, frozen=True):
    """Every subscriber gets every event published from now on; with ``replay_seconds`` > 0
    also those published that many seconds before."""

    replay_seconds: float = 0.0


class Durable(msgspec.Struct, frozen=True):
    """The subscribers sharing ``name`` get each event once between them, events published
    while none was running included, and one whose handler raised comes again
    (at-least-once; on the in-process bus delivery happens inside ``publish`` and its
    redeliveries in the process, so there is nothing to keep across a restart)."""

    name: str


#: How a subscriber is served: live (optionally replaying the recent past) or durable.
Delivery = Live | Durable
#: The default delivery: live, from now on.
LIVE = Live()


class Subscription(Protocol):
    """A live subscription."""

    async def unsubscribe(self) -> None:
        """Stop delivery."""
        ...

    async def alive(self) -> bool:
        """Whether delivery still stands: NATS may have lost the consumer with its store
        (then subscribe again). True while that cannot be told (the bus away)."""
        ...


class EventBus(Protocol):
    """Publish and subscribe."""

    async def publish(self, subject: str, payload: bytes, *, event_id: str) -> None:
        """Publish once: a repeat of ``event_id`` is dropped (within a window)."""
        ...

    async def subscribe(
        self, subject: str, handler: EventHandler, delivery: Delivery = LIVE
    ) -> Subscription:
        """Call ``handler`` for each event on ``subject`` (``*`` and ``>`` wildcards),
        delivered as ``delivery`` says (:class:`Live` or :class:`Durable`)."""
        ...

    async def ping(self) -> None:
        """Raise :class:`EventsUnavailable` unless the backend answers."""
        ...


class EventStream(msgspec.Struct, frozen=True):
    """Where one owner's events are kept (a JetStream stream in production)."""

    name: str
    subjects: tuple[str, ...]


def redelivery_delay(deliveries: int) -> float:
    """How long an event waits to be delivered again after its ``deliveries``-th delivery
    to a subscriber ended with the handler raising (both adapters wait this long)."""
    return backoff_seconds(deliveries, REDELIVERY_FIRST_SECONDS, REDELIVERY_MOST_SECONDS)


def stream_of(subject: str) -> EventStream:
    """The stream an event subject belongs to, by the subject naming rule.

    Every subject is ``<owner>.events.<name…>`` (the owner is the publishing module; its
    contract publishes the subjects). All of an owner's events are kept in one stream,
    ``<OWNER>_EVENTS`` with subjects ``<owner>.events.>``. The kernel needs to know no
    module for this: the subject says it.
    """
    owner, _, rest = subject.partition(".")
    kind, _, tail = rest.partition(".")
    if not owner.isidentifier() or kind != "events" or not tail:
        raise ValueError(f"event subject {subject!r} is not '<owner>.events.<name>'")
    return EventStream(f"{owner.upper()}_EVENTS", (f"{owner}.events.>",))


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: ``*`` is one token, a final ``>`` one or more."""
    want, have = pattern.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":
            return len(have) > i
        if i >= len(have) or (token != "*" and token != have[i]):
            return False
    return len(want) == len(have)
