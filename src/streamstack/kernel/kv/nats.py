"""NATS JetStream KV adapter for the key-value port.

Every bucket on one connection shares one circuit breaker: after a call waited out its
timeout and JetStream does not answer the probe either (NATS hung or unreachable while the
client still thinks it is connected), the others fail at once (503) until a background
probe sees JetStream answer again, instead of each waiting out the timeout too. A call
that waited out its timeout while NATS answers the probe gets its 503 alone: NATS is busy,
not away, and the next calls are served. Failures that cost no waiting (the client knows it is
disconnected, JetStream answers "unavailable" while it restarts) do not open it: they are
fast already, and opening on them would keep refusing for a while after NATS is back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from nats.js import errors as js_errors
from nats.js.client import JetStreamContext
from nats.js.kv import KeyValue

from streamstack.kernel.circuit import CircuitBreaker
from streamstack.kernel.errors import ServiceUnavailable
from streamstack.kernel.kv import KeyExists, KeyValueUnavailable, check_bucket, check_key
from streamstack.kernel.nats import (
    NatsConnection,
    NatsUnavailable,
    is_transport_failure,
    once_more_if_stream_gone,
)

T = TypeVar("T")

#: The duplicates window nats-py gives a new bucket (cut to its TTL when that is shorter).
_DUPLICATE_WINDOW_SECONDS = 120.0


class NatsKeyValueStore:
    """A :class:`~streamstack.kernel.kv.KeyValueStore` on a JetStream KV bucket.

    The bucket is created on first use with the bucket-wide TTL (JetStream ``max_age``),
    on file storage so it survives a NATS restart; an existing bucket with another TTL is
    given this one.
    """

    def __init__(
        self,
        connection: NatsConnection,
        bucket: str,
        ttl_seconds: int,
        *,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.bucket = check_bucket(bucket)
        self.ttl_seconds = ttl_seconds
        self._connection = connection
        self._breaker = breaker or nats_breaker(connection)
        self._kv: KeyValue | None = None
        self._lock = asyncio.Lock()

    async def get(self, key: str) -> bytes | None:
        check_key(key)
        try:
            entry = await self._call(lambda kv: kv.get(key))
        except js_errors.KeyNotFoundError:  # also KeyDeletedError
            return None
        return entry.value or b""

    async def put(self, key: str, value: bytes) -> None:
        check_key(key)
        await self._call(lambda kv: kv.put(key, value))

    async def create(self, key: str, value: bytes) -> None:
        check_key(key)
        try:
            await self._call(lambda kv: kv.create(key, value))
        except js_errors.KeyWrongLastSequenceError:
            raise KeyExists(f"key {key!r} already exists") from None

    async def delete(self, key: str) -> None:
        check_key(key)
        await self._call(lambda kv: kv.delete(key))

    async def ping(self) -> None:
        await self._connection.ping()
        await self._bucket()

    async def _call(self, operation: Callable[[KeyValue], Awaitable[T]]) -> T:
        """Run ``operation`` on the bucket; JetStream's answers pass, failures map to 503.
        Once more on the bucket found (or made) again when NATS has lost it."""
        return await once_more_if_stream_gone(lambda: self._attempt(operation), self._forget)

    def _forget(self) -> None:
        self._kv = None  # found (or made) again on the next call

    async def _attempt(self, operation: Callable[[KeyValue], Awaitable[T]]) -> T:
        kv = await self._bucket()
        started = self._breaker.clock()
        try:
            result = await operation(kv)
        except (js_errors.KeyNotFoundError, js_errors.KeyWrongLastSequenceError):
            self._breaker.succeeded()  # an answer, just not a value
            raise
        except Exception as exc:
            raise await self._unavailable(exc, started) from exc
        self._breaker.succeeded()
        return result

    async def _bucket(self) -> KeyValue:
        self._breaker.check()
        try:
            # Fails at once while the client knows it is disconnected; a cached bucket
            # would otherwise send into the reconnect buffer and wait out the timeout.
            await self._connection.client()
        except Exception as exc:
            raise await self._unavailable(exc) from exc
        if self._kv is not None:
            return self._kv
        async with self._lock:
            if self._kv is None:
                js = await self._connection.jetstream()
                try:
                    try:
                        kv = await js.key_value(self.bucket)
                    except js_errors.BucketNotFoundError:
                        kv = await js.create_key_value(
                            bucket=self.bucket, ttl=float(self.ttl_seconds), history=1
                        )
                    else:
                        await self._keep_ttl(js, kv)
                    self._kv = kv
                except Exception as exc:
                    raise await self._unavailable(exc) from exc
        return self._kv

    async def _keep_ttl(self, js: JetStreamContext, kv: KeyValue) -> None:
        """Give an existing bucket this store's TTL: JetStream keeps the ``max_age`` a bucket
        was created with, so a changed setting (a stream token's lifetime) would otherwise
        be ignored for as long as the bucket lives."""
        status, ttl = await kv.status(), float(self.ttl_seconds)
        if status.ttl == ttl:
            return
        config = status.stream_info.config
        # JetStream refuses a duplicates window longer than the max age: as at creation.
        window = min(_DUPLICATE_WINDOW_SECONDS, ttl)
        await js.update_stream(config.evolve(max_age=ttl, duplicate_window=window))

    async def _unavailable(self, exc: Exception, started: float | None = None) -> Exception:
        mapped: ServiceUnavailable
        if isinstance(exc, NatsUnavailable | KeyValueUnavailable):
            mapped = exc
        elif is_transport_failure(exc):
            mapped = KeyValueUnavailable(f"key-value store {self.bucket!r} is unavailable")
        else:
            return exc
        if isinstance(exc, asyncio.TimeoutError):  # nats-py's TimeoutError is one too
            await self._breaker.waited_out(started)
        return mapped


def nats_breaker(connection: NatsConnection) -> CircuitBreaker:
    """The circuit breaker of the key-value buckets on ``connection``."""

    async def jetstream_answers() -> None:
        # The connection alone comes back before JetStream does after a NATS restart:
        # closing on a ping would let requests through to fail (and re-open) once more.
        await connection.ping()
        await (await connection.jetstream()).account_info()

    return CircuitBreaker("key-value store (NATS)", jetstream_answers, KeyValueUnavailable)
