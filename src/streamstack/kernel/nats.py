"""One NATS connection per process, shared by the KV and event adapters.

The connection is made in the background and kept up by nats-py's reconnect loop. While
NATS is away, callers get :class:`~streamstack.kernel.errors.ServiceUnavailable` at once
instead of waiting on a request that cannot be answered; when NATS returns, the same
connection carries on, so the service recovers without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import nats
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js import errors as js_errors

from streamstack.kernel.errors import ServiceUnavailable
from streamstack.settings import NATS_TIMEOUT_SECONDS

T = TypeVar("T")

log = structlog.get_logger(__name__)

#: The subject :meth:`NatsConnection.ping` asks: nothing subscribes to it.
_PING_SUBJECT = "_STREAMSTACK.ping"


class NatsUnavailable(ServiceUnavailable, code="nats_unavailable"):
    """NATS did not answer."""


class NatsConnection:
    """A lazily started, self-healing NATS connection.

    ``timeout`` bounds each request and the wait for the first connect: NATS that has not
    answered by then counts as away (``STREAMSTACK_NATS_TIMEOUT_SECONDS``). One value for
    both, as both answer the same question for a caller: is NATS there?
    """

    def __init__(self, url: str, *, timeout: float = NATS_TIMEOUT_SECONDS) -> None:
        self.url = url
        self.timeout = timeout
        self._client: Client | None = None
        self._connecting: asyncio.Task[Client] | None = None
        self._closed = False

    async def client(self) -> Client:
        """The connected client, or :class:`NatsUnavailable` if NATS is not reachable now."""
        if self._client is None:
            if self._connecting is None:
                self._connecting = asyncio.create_task(self._connect())
            done, _ = await asyncio.wait({self._connecting}, timeout=self.timeout)
            if not done:
                raise NatsUnavailable("NATS is not reachable")
            self._client = self._connecting.result()
        if not self._client.is_connected:
            raise NatsUnavailable("NATS connection lost; reconnecting")
        return self._client

    async def jetstream(self) -> JetStreamContext:
        """A JetStream context on the shared connection."""
        return (await self.client()).jetstream(timeout=self.timeout)

    async def ping(self) -> None:
        """Round-trip to the server or raise :class:`NatsUnavailable`.

        A request nobody serves, which the server answers "no responders". Not nats-py's
        ``flush()``: a flush that timed out stays in its list of awaited PONGs, and the PONG
        that comes once NATS answers again stopped its read loop (a result set on a
        cancelled future), so after a hang longer than the timeout the connection served
        nothing until it was found stale, half a minute later.
        """
        client = await self.client()
        try:
            await client.request(_PING_SUBJECT, b"", timeout=self.timeout)
        except nats.errors.NoRespondersError:
            return  # the server's own answer
        except Exception as exc:
            raise NatsUnavailable(f"NATS did not answer: {exc.__class__.__name__}") from exc

    async def close(self) -> None:
        """Drain and close; stop trying to connect."""
        self._closed = True
        if self._connecting is not None:
            await _cancel_until_done(self._connecting)
        if self._client is not None and not self._client.is_closed:
            with contextlib.suppress(Exception):
                await self._client.close()

    async def _connect(self) -> Client:
        async def on_error(exc: Exception) -> None:
            log.debug("nats.error", error=str(exc) or exc.__class__.__name__)

        async def on_disconnect() -> None:
            log.warning("nats.disconnected", url=self.url)

        async def on_reconnect() -> None:
            log.info("nats.reconnected", url=self.url)

        options: dict[str, Any] = {
            "servers": self.url.split(","),
            "connect_timeout": self.timeout,
            "allow_reconnect": True,
            "max_reconnect_attempts": -1,
            "reconnect_time_wait": 0.5,
            "error_cb": on_error,
            "disconnected_cb": on_disconnect,
            "reconnected_cb": on_reconnect,
        }
        client: Client = await nats.connect(**options)
        return client


async def _cancel_until_done(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` and wait for it to end, cancelling it again should it run on.

    nats-py's first connect retries for ever while NATS is away, and on Python 3.11 its
    ``asyncio.wait_for`` loses a cancellation that arrives as an attempt ends (gh-86296):
    the connect then went on, and an app stopped while NATS was away waited out its 10 s
    shut-down step in ``close()``. A cancellation that is lost is sent again.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=0.1)
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()


def stream_may_be_gone(exc: BaseException | None) -> bool:
    """True when ``exc`` may mean the stream (or KV bucket) itself is gone: NATS answers,
    but nothing takes the subject or knows the name, as after its store was lost or
    recreated. The adapters then set the stream up again and try once more."""
    return isinstance(
        exc,
        js_errors.NoStreamResponseError | nats.errors.NoRespondersError | js_errors.NotFoundError,
    )


async def once_more_if_stream_gone(
    attempt: Callable[[], Awaitable[T]], set_up_again: Callable[[], None]
) -> T:
    """``attempt()``; if it failed because NATS lost the stream or bucket (its store lost
    or recreated; the failure itself or the one it was mapped from), ``set_up_again()``
    and try once more."""
    try:
        return await attempt()
    except Exception as exc:
        if not (stream_may_be_gone(exc) or stream_may_be_gone(exc.__cause__)):
            raise
        set_up_again()
        return await attempt()


def is_transport_failure(exc: BaseException) -> bool:
    """True when ``exc`` means NATS could not serve the call (not a protocol answer).

    JetStream's own "unavailable" answer (while it restarts) counts, and so does a publish
    no stream acknowledged (the server is back but JetStream not yet): to a caller it is
    NATS being away, like a timeout.
    """
    return isinstance(
        exc,
        js_errors.ServiceUnavailableError
        | js_errors.NoStreamResponseError
        | asyncio.TimeoutError
        | nats.errors.TimeoutError
        | nats.errors.NoRespondersError
        | nats.errors.ConnectionClosedError
        | nats.errors.NoServersError
        | nats.errors.OutboundBufferLimitError
        | nats.errors.StaleConnectionError
        | nats.errors.ConnectionReconnectingError
        | OSError,
    )
