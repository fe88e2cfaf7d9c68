"""One suite for the events port: the in-process bus and NATS JetStream."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import msgspec
import pytest
import structlog

from streamstack.kernel import events
from streamstack.kernel.events import (
    LIVE,
    REDELIVERY_FIRST_SECONDS,
    Durable,
    Event,
    EventBus,
    decode_payload,
    subject_matches,
)
from streamstack.kernel.events.memory import MemoryEventBus
from streamstack.kernel.events.nats import NatsEventBus
from streamstack.kernel.nats import NatsConnection
from support.waiting import eventually


@pytest.fixture(params=["memory", "nats"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    if request.param == "memory":
        yield MemoryEventBus()
        return
    connection = NatsConnection(request.getfixturevalue("nats_url"))
    stream = f"TEST_{uuid.uuid4().hex[:8].upper()}"
    prefix = stream.lower()
    yield NatsEventBus(connection, stream=stream, subjects=[f"{prefix}.>"])
    await connection.close()


def subject(bus: EventBus, tail: str) -> str:
    if isinstance(bus, NatsEventBus):
        return f"{bus._subjects[0][:-2]}.{tail}"
    return f"test.{tail}"


async def collect(received: list[Event], count: int) -> None:
    for _ in range(100):
        if len(received) >= count:
            return
        await asyncio.sleep(0.05)


async def test_published_events_reach_matching_subscribers(bus: EventBus) -> None:
    received: list[Event] = []

    async def handler(event: Event) -> None:
        received.append(event)

    sub = await bus.subscribe(subject(bus, "media.>"), handler)
    await bus.publish(subject(bus, "media.published"), b'{"id": 1}', event_id="e-1")
    await bus.publish(subject(bus, "other.thing"), b"{}", event_id="e-2")
    await bus.publish(subject(bus, "media.deleted"), b'{"id": 2}', event_id="e-3")
    await collect(received, 2)
    await asyncio.sleep(0.2)
    assert [(e.id, e.payload) for e in received] == [("e-1", b'{"id": 1}'), ("e-3", b'{"id": 2}')]
    assert received[0].subject.endswith("media.published")
    await sub.unsubscribe()


async def test_a_repeated_event_id_is_delivered_once(bus: EventBus) -> None:
    received: list[Event] = []

    async def handler(event: Event) -> None:
        received.append(event)

    await bus.subscribe(subject(bus, "dup.*"), handler)
    for _ in range(3):
        await bus.publish(subject(bus, "dup.x"), b"same", event_id="only-once")
    await bus.publish(subject(bus, "dup.x"), b"next", event_id="another")
    await collect(received, 2)
    await asyncio.sleep(0.3)
    assert [e.payload for e in received] == [b"same", b"next"]


@pytest.mark.parametrize("durable", [False, True], ids=["live", "durable"])
async def test_an_event_whose_handler_raised_is_delivered_again(
    bus: EventBus, durable: bool
) -> None:
    # A take-down whose job could not be queued must come again, not be dropped: on either
    # adapter, for either kind of subscriber.
    deliveries: list[str] = []

    async def handler(event: Event) -> None:
        deliveries.append(event.id)
        if len(deliveries) < 3:
            raise RuntimeError("the job queue did not take the job")

    delivery = Durable(f"retry-{uuid.uuid4().hex[:8]}") if durable else LIVE
    sub = await bus.subscribe(subject(bus, "flaky.*"), handler, delivery)
    await bus.publish(subject(bus, "flaky.deleted"), b"take-down", event_id="flaky-1")
    await eventually(lambda: len(deliveries) >= 3, "the third delivery of the failed event")
    await asyncio.sleep(0.5)  # time for a fourth delivery, if any
    assert deliveries == ["flaky-1"] * 3
    await sub.unsubscribe()


async def test_a_failed_event_is_not_delivered_again_after_unsubscribing(bus: EventBus) -> None:
    deliveries: list[str] = []

    async def handler(event: Event) -> None:
        deliveries.append(event.id)
        raise RuntimeError("never handled")

    sub = await bus.subscribe(subject(bus, "gone.*"), handler)
    await bus.publish(subject(bus, "gone.deleted"), b"take-down", event_id="gone-1")
    await eventually(lambda: len(deliveries) >= 1, "the first delivery")
    await sub.unsubscribe()
    await asyncio.sleep(2 * REDELIVERY_FIRST_SECONDS)  # time for a redelivery, if any
    assert deliveries == ["gone-1"]


async def test_ping(bus: EventBus) -> None:
    await bus.ping()


@pytest.mark.parametrize(
    ("pattern", "subject_", "expected"),
    [
        ("a.b.c", "a.b.c", True),
        ("a.*.c", "a.x.c", True),
        ("a.*", "a.b.c", False),
        ("a.>", "a.b.c", True),
        ("a.>", "a", False),
        ("a.b", "a.b.c", False),
        ("a.b.c", "a.b", False),
    ],
)
def test_subject_matching(pattern: str, subject_: str, expected: bool) -> None:
    assert subject_matches(pattern, subject_) is expected


class _Named(msgspec.Struct, frozen=True):
    user_id: str


@pytest.mark.parametrize("payload", [b"not json", b'{"user_id": 7}', b"{}"])
def test_an_unreadable_payload_is_logged_and_dropped(
    payload: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The module's own logger, recorded (capture_logs misses a cached one).
    recorder = structlog.testing.CapturingLogger()
    monkeypatch.setattr(events, "log", recorder)
    event = Event("e-1", "test.events.named", payload)
    assert decode_payload(event, _Named, "test.unreadable_named") is None
    (call,) = recorder.calls
    assert (call.method_name, call.args, call.kwargs) == (
        "error",
        ("test.unreadable_named",),
        {"subject": "test.events.named", "event_id": "e-1"},
    )


def test_a_readable_payload_is_decoded() -> None:
    event = Event("e-1", "test.events.named", b'{"user_id": "u"}')
    assert decode_payload(event, _Named, "test.unreadable_named") == _Named("u")
