"""NATS adapter for the events port: JetStream publish with ``Nats-Msg-Id`` dedupe."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import structlog
from nats.aio.msg import Msg
from nats.js import errors as js_errors
from nats.js.api import ConsumerConfig, DeliverPolicy

from streamstack.kernel.events import (
    EVENT_KEEP_SECONDS,
    LIVE,
    Delivery,
    Durable,
    Event,
    EventHandler,
    EventStream,
    EventsUnavailable,
    redelivery_delay,
    stream_of,
)
from streamstack.kernel.nats import NatsConnection, NatsUnavailable, once_more_if_stream_gone

log = structlog.get_logger(__name__)

T = TypeVar("T")

#: A durable subscriber's handler has this long before its event is delivered again.
DURABLE_ACK_WAIT_SECONDS = 60.0


def acking(handler: EventHandler) -> Callable[[Msg], Awaitable[None]]:
    """A message callback running ``handler``: the message is acked when it returns, and
    handed back to be delivered again after :func:`redelivery_delay` when it raised."""

    async def deliver(msg: Msg) -> None:
        event_id = (msg.headers or {}).get("Nats-Msg-Id", "")
        try:
            await handler(Event(event_id, msg.subject, msg.data))
        except Exception:
            deliveries = msg.metadata.num_delivered or 1
            log.exception(
                "events.handler_failed",
                subject=msg.subject,
                event_id=event_id,
                deliveries=deliveries,
            )
            await msg.nak(delay=redelivery_delay(deliveries))
            return
        await msg.ack()

    return deliver


class NatsSubscription:
    """A core NATS subscription."""

    def __init__(self, sub: Any) -> None:
        self._sub = sub

    async def unsubscribe(self) -> None:
        await self._sub.unsubscribe()

    async def alive(self) -> bool:
        try:
            await self._sub.consumer_info()
        except js_errors.NotFoundError:
            return False  # NATS lost it (its store lost or recreated)
        except Exception:  # the bus away: nothing to tell, the next check will
            return True
        return True


class NatsEventBus:
    """Publishes into JetStream streams so a repeated event id is stored once.

    Each subject's stream is :func:`~streamstack.kernel.events.stream_of` it (one stream
    per publishing module), created on first use; ``stream`` and ``subjects`` pin one
    stream for every subject instead (tests use a throwaway one).
    """

    def __init__(
        self,
        connection: NatsConnection,
        *,
        stream: str | None = None,
        subjects: list[str] | None = None,
    ) -> None:
        self._connection = connection
        self._pinned = EventStream(stream, tuple(subjects or ())) if stream else None
        self._subjects = list(subjects or ())
        self._ready: set[str] = set()
        self._lock = asyncio.Lock()

    def _stream_of(self, subject: str) -> EventStream:
        return self._pinned if self._pinned is not None else stream_of(subject)

    async def publish(self, subject: str, payload: bytes, *, event_id: str) -> None:
        await self._on_stream(subject, lambda stream: self._publish(subject, payload, event_id))

    async def _on_stream(self, subject: str, attempt: Callable[[EventStream], Awaitable[T]]) -> T:
        """``attempt`` on ``subject``'s stream once it is set up; set up again and once more
        if NATS lost it."""
        stream = self._stream_of(subject)

        async def set_up_then() -> T:
            await self._ensure_stream(stream)
            return await attempt(stream)

        return await once_more_if_stream_gone(set_up_then, lambda: self._ready.discard(stream.name))

    async def _publish(self, subject: str, payload: bytes, event_id: str) -> None:
        js = await self._connection.jetstream()
        try:
            await js.publish(subject, payload, headers={"Nats-Msg-Id": event_id})
        except NatsUnavailable:
            raise
        except Exception as exc:
            raise EventsUnavailable(f"event not published: {exc.__class__.__name__}") from exc

    async def subscribe(
        self, subject: str, handler: EventHandler, delivery: Delivery = LIVE
    ) -> NatsSubscription:
        return await self._on_stream(
            subject, lambda stream: self._subscribe(stream, subject, handler, delivery)
        )

    async def _subscribe(
        self, stream: EventStream, subject: str, handler: EventHandler, delivery: Delivery
    ) -> NatsSubscription:
        # Consume from the stream, not the raw subject: only the stream has dropped the
        # duplicates, a core subscriber would see every publish attempt.
        js = await self._connection.jetstream()
        deliver = acking(handler)
        if isinstance(delivery, Durable):
            return await self._subscribe_durable(js, stream, subject, deliver, delivery.name)
        config = ConsumerConfig(deliver_policy=DeliverPolicy.NEW)
        if delivery.replay_seconds > 0:
            since = datetime.now(UTC) - timedelta(seconds=delivery.replay_seconds)
            config = ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_TIME,
                opt_start_time=since,
            )
        sub = await js.subscribe(
            subject, cb=deliver, stream=stream.name, config=config, manual_ack=True
        )
        return NatsSubscription(sub)

    @staticmethod
    async def _subscribe_durable(
        js: Any,
        stream: EventStream,
        subject: str,
        deliver: Callable[[Msg], Awaitable[None]],
        durable: str,
    ) -> NatsSubscription:
        """A queue-group push consumer named ``durable``: acked after the handler returns,
        redelivered when it raised (see :func:`acking`) or its process died."""
        sub = await js.subscribe(
            subject,
            queue=durable,
            cb=deliver,
            stream=stream.name,
            manual_ack=True,
            config=ConsumerConfig(
                durable_name=durable,
                deliver_policy=DeliverPolicy.ALL,
                filter_subject=subject,
                ack_wait=DURABLE_ACK_WAIT_SECONDS,
            ),
        )
        return NatsSubscription(sub)

    async def ping(self) -> None:
        await self._connection.ping()

    async def _ensure_stream(self, stream: EventStream) -> None:
        if stream.name in self._ready:
            return
        async with self._lock:
            if stream.name in self._ready:
                return
            js = await self._connection.jetstream()
            try:
                try:
                    await js.stream_info(stream.name)
                except js_errors.NotFoundError:
                    await js.add_stream(
                        name=stream.name,
                        subjects=list(stream.subjects),
                        duplicate_window=600.0,
                        max_age=EVENT_KEEP_SECONDS,
                    )
            except NatsUnavailable:
                raise
            except Exception as exc:
                raise EventsUnavailable(f"event stream unavailable: {exc}") from exc
            self._ready.add(stream.name)
