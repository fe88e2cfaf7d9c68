"""NATS adapter for the events port: JetStream publish with ``Nats-Msg-Id`` dedupe."""

from __future__ import annotations

import asyncio
from typing import Any

from nats.aio.msg import Msg
from nats.js import errors as js_errors
from nats.js.api import ConsumerConfig, DeliverPolicy

from streamstack.kernel.events import (
    Event,
    EventHandler,
    EventStream,
    EventsUnavailable,
    stream_of,
)
from streamstack.kernel.nats import NatsConnection, NatsUnavailable


class NatsSubscription:
    """A core NATS subscription."""

    def __init__(self, sub: Any) -> None:
        self._sub = sub

    async def unsubscribe(self) -> None:
        await self._sub.unsubscribe()


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
        await self._ensure_stream(self._stream_of(subject))
        js = await self._connection.jetstream()
        try:
            await js.publish(subject, payload, headers={"Nats-Msg-Id": event_id})
        except NatsUnavailable:
            raise
        except Exception as exc:
            raise EventsUnavailable(f"event not published: {exc.__class__.__name__}") from exc

    async def subscribe(self, subject: str, handler: EventHandler) -> NatsSubscription:
        # Consume from the stream, not the raw subject: only the stream has dropped the
        # duplicates, a core subscriber would see every publish attempt.
        stream = self._stream_of(subject)
        await self._ensure_stream(stream)
        js = await self._connection.jetstream()

        async def deliver(msg: Msg) -> None:
            event_id = (msg.headers or {}).get("Nats-Msg-Id", "")
            await handler(Event(event_id, msg.subject, msg.data))

        sub = await js.subscribe(
            subject,
            cb=deliver,
            stream=stream.name,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW),
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
                        max_age=7 * 24 * 3600.0,
                    )
            except NatsUnavailable:
                raise
            except Exception as exc:
                raise EventsUnavailable(f"event stream unavailable: {exc}") from exc
            self._ready.add(stream.name)
