"""Ranged GETs of presigned URLs over pooled HTTP/1.1 connections: how S3 reads are made.

aiohttp cost the S3 stream route about half of its CPU (issue 15.3, bench/throughput.py):
it resolved even an IP address in a worker thread for every new connection, and copied
each body twice on its way out. Here:

* a body is received straight into the buffer that is handed downstream
  (:class:`asyncio.BufferedProtocol`), so the kernel's copy is the only one;
* a connection is kept and reused while the server keeps it alive (S3 does); one the
  server closes (``Connection: close``, as moto answers) is closed without ceremony;
* only GET with a known ``Content-Length`` is spoken: what S3 answers a ranged GET.
"""

from __future__ import annotations

import asyncio
import ssl
import sys
from collections.abc import Mapping
from typing import cast
from urllib.parse import urlsplit

#: The status line and headers must fit in this many bytes.
HEAD_LIMIT = 16 * 1024
_HEAD_END = b"\r\n\r\n"


class AnswerBroken(ConnectionError):
    """The connection broke, or went silent for longer than the timeout, mid-answer."""


class StaleConnection(AnswerBroken):
    """A pooled connection the server had closed before it answered: ask on a new one."""


class MalformedAnswer(Exception):
    """The server answered something that is not an HTTP/1.1 answer we can read."""


class ChunkBuffers:
    """Buffers of one chunk size, each handed out again once nothing else refers to it.

    Zero-filling a new 1 MiB ``bytearray`` cost a tenth of an S3 range's CPU, in memory
    bandwidth the socket copies need as well. A buffer handed out stays listed here; once
    its reader and the server's transport (which holds a written buffer until the kernel
    has taken all of it) have let go of it, only this list refers to it, and it is reused.
    """

    #: ``sys.getrefcount`` of a listed buffer nothing else refers to: the list, the loop
    #: variable and the call's own argument.
    _UNREFERENCED = 3

    def __init__(self, size: int, keep: int) -> None:
        self.size = size
        self._keep = keep
        self._buffers: list[bytearray] = []

    def take(self) -> bytearray:
        """A buffer of :attr:`size` bytes nobody else holds (its content is stale)."""
        for buffer in self._buffers:
            if sys.getrefcount(buffer) == self._UNREFERENCED:
                return buffer
        buffer = bytearray(self.size)
        if len(self._buffers) < self._keep:
            self._buffers.append(buffer)
        return buffer


class HttpTarget:
    """A URL parsed once: where to connect, and the request's first lines."""

    __slots__ = ("host", "origin", "port", "request_head", "tls")

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url[:80]!r}")
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.tls else 80)
        self.origin = (self.host, self.port, self.tls)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        # The URL is used as signed: nothing is re-quoted, and Host is the URL's own.
        self.request_head = f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n"


class HttpAnswer:
    """An answer's status and headers (names in lower case), and its body chunk by chunk.

    Always :meth:`release` it: a connection whose body was read to the end goes back to the
    pool, any other is closed.
    """

    __slots__ = ("_connection", "_pool", "headers", "status")

    def __init__(self, connection: _Connection, pool: HttpReads) -> None:
        self._connection: _Connection | None = connection
        self._pool = pool
        self.status = connection.status
        self.headers = connection.headers

    async def next_chunk(self) -> bytearray | None:
        """The next ``chunk_size`` bytes of the body (fewer for the last), None at its end.

        Each chunk is a buffer nothing else holds: it is filled again for another answer
        only after every reference to it (the reader's, a transport's) is gone.
        """
        connection = self._connection
        if connection is None:
            return None
        return await connection.next_chunk()

    def release(self) -> None:
        """Give the connection back (or close it); idempotent."""
        connection, self._connection = self._connection, None
        if connection is not None:
            self._pool.give_back(connection)


class HttpReads:
    """A pool of HTTP/1.1 connections for GETs, at most ``limit`` open at once.

    ``timeout_seconds`` bounds connecting, and every wait for the server's next bytes.
    Full-size chunks come from :class:`ChunkBuffers`, keeping at most ``limit`` of each size
    (one per connection that may be open).
    """

    def __init__(self, *, limit: int, timeout_seconds: float) -> None:
        self._limit = limit
        self._buffers: dict[int, ChunkBuffers] = {}
        self._timeout = timeout_seconds
        self._slots = asyncio.Semaphore(limit)
        self._idle: dict[tuple[str, int, bool], list[_Connection]] = {}
        self._tls: ssl.SSLContext | None = None

    async def get(
        self, target: HttpTarget, headers: Mapping[str, str], chunk_size: int
    ) -> HttpAnswer:
        """Send a GET for ``target`` and wait for the answer's head.

        A pooled connection the server closed meanwhile is retried once on a new one;
        :class:`AnswerBroken`, :class:`OSError` or :class:`TimeoutError` otherwise.
        """
        request = target.request_head
        for name, value in headers.items():
            request += f"{name}: {value}\r\n"
        data = (request + "\r\n").encode("latin-1")
        buffers = self._buffers.get(chunk_size)
        if buffers is None:
            buffers = self._buffers[chunk_size] = ChunkBuffers(chunk_size, self._limit)
        await self._slots.acquire()
        try:
            while True:
                connection = self._pooled(target.origin)
                reused = connection is not None
                if connection is None:
                    connection = await self._connect(target)
                try:
                    await connection.ask(data, buffers)
                except StaleConnection:
                    if reused:
                        continue
                    raise
                except BaseException:
                    connection.close()
                    raise
                return HttpAnswer(connection, self)
        except BaseException:
            self._slots.release()
            raise

    def give_back(self, connection: _Connection) -> None:
        """Pool ``connection`` if it can carry another request, else close it."""
        self._slots.release()
        if connection.reusable:
            connection.idle()
            pooled = self._idle.setdefault(connection.origin, [])
            if len(pooled) < self._limit:
                pooled.append(connection)
                return
        connection.close()

    def close(self) -> None:
        """Close every pooled connection."""
        for pooled in self._idle.values():
            for connection in pooled:
                connection.close()
        self._idle.clear()

    def _pooled(self, origin: tuple[str, int, bool]) -> _Connection | None:
        pooled = self._idle.get(origin)
        while pooled:
            connection = pooled.pop()  # the most recently used: the least likely to be stale
            if not connection.closed:
                return connection
        return None

    async def _connect(self, target: HttpTarget) -> _Connection:
        loop = asyncio.get_running_loop()
        tls = None
        if target.tls:
            if self._tls is None:
                self._tls = ssl.create_default_context()
            tls = self._tls
        async with asyncio.timeout(self._timeout):
            _, connection = await loop.create_connection(
                lambda: _Connection(loop, target.origin, self._timeout),
                target.host,
                target.port,
                ssl=tls,
            )
        return connection


_IDLE, _HEAD, _BODY = 0, 1, 2


class _Connection(asyncio.BufferedProtocol):
    """One connection, receiving an answer's head into a small buffer and its body
    straight into the chunks handed out; it stops reading while a full chunk waits."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, origin: tuple[str, int, bool], timeout: float
    ) -> None:
        self.origin = origin
        self.closed = False
        self.status = 0
        self.headers: dict[str, str] = {}
        self._loop = loop
        self._timeout = timeout
        self._transport: asyncio.Transport | None = None
        self._phase = _IDLE
        self._head = bytearray(HEAD_LIMIT)
        self._head_view = memoryview(self._head)
        self._head_filled = 0
        self._surplus = 0  # where the body's first bytes start in the head buffer
        self._keep_alive = False
        self._unreceived = 0  # body bytes not yet in a chunk
        self._buffers: ChunkBuffers | None = None
        self._chunk: bytearray | None = None
        self._chunk_view = self._head_view
        self._filled = 0
        self._ready: bytearray | None = None
        self._paused = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._last_data = 0.0
        self._timer: asyncio.TimerHandle | None = None

    @property
    def reusable(self) -> bool:
        """True when the answer was read to its end and the server keeps the connection."""
        return (
            self._keep_alive
            and not self.closed
            and self._error is None
            and self._phase == _BODY
            and self._unreceived == 0
            and self._chunk is None
            and self._ready is None
        )

    # -- the consumer's side ------------------------------------------------------------

    async def ask(self, request: bytes, buffers: ChunkBuffers) -> None:
        """Send ``request`` and wait until the answer's head has been read; the body will
        come in chunks of ``buffers``' size."""
        if self.closed:
            raise StaleConnection("the server closed the connection")
        assert self._transport is not None
        self._phase = _HEAD
        self._head_filled = 0
        self._buffers = buffers
        self._transport.write(request)
        self._timer = self._loop.call_later(self._timeout, self._check_silence)
        while self._phase == _HEAD:
            await self._wait()

    async def next_chunk(self) -> bytearray | None:
        """The next chunk of the body, or None after its last."""
        while self._ready is None:
            if self._chunk is None and self._unreceived == 0:
                return None
            await self._wait()
        chunk, self._ready = self._ready, None
        if self._unreceived:
            self._start_chunk()
        return chunk

    def idle(self) -> None:
        """Back in the pool: nothing is expected until the next request."""
        self._phase = _IDLE
        self._cancel_timer()

    def close(self) -> None:
        """Close the connection (whatever remains of an answer is dropped)."""
        self._cancel_timer()
        self.closed = True
        self._chunk = self._ready = None
        self._chunk_view = self._head_view
        if self._transport is not None:
            self._transport.close()

    async def _wait(self) -> None:
        if self._error is not None:
            raise self._error
        if self._paused:
            self._paused = False
            assert self._transport is not None
            self._transport.resume_reading()
        self._last_data = self._loop.time()
        self._waiter = self._loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None
        if self._error is not None:
            raise self._error

    def _start_chunk(self) -> None:
        """A new chunk for the body's next bytes, filled first from the head buffer."""
        buffers = self._buffers
        assert buffers is not None
        full = self._unreceived >= buffers.size
        chunk = buffers.take() if full else bytearray(self._unreceived)  # the last, shorter
        size = len(chunk)
        self._chunk = chunk
        self._chunk_view = memoryview(chunk)
        self._filled = 0
        surplus = self._head_filled - self._surplus
        if surplus:
            taken = min(surplus, size)
            chunk[:taken] = self._head_view[self._surplus : self._surplus + taken]
            self._surplus += taken
            self._received(taken)

    def _received(self, count: int) -> None:
        """``count`` more bytes are in the current chunk."""
        self._filled += count
        if self._filled < len(self._chunk_view):
            return
        self._unreceived -= self._filled
        self._ready, self._chunk = self._chunk, None
        self._chunk_view = self._head_view  # let go of the chunk: it is the reader's now
        self._wake()
        if self._unreceived and not self._paused and not self.closed:
            assert self._transport is not None
            # One full chunk waits for the consumer: hold the rest in the socket.
            self._paused = True
            self._transport.pause_reading()

    # -- the event loop's side ----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport instances, but have its methods.
        self._transport = cast("asyncio.Transport", transport)

    def get_buffer(self, sizehint: int) -> memoryview:
        if self.closed:
            return self._head_view  # dropped
        if self._phase == _BODY and self._chunk is not None:
            return self._chunk_view[self._filled :]
        if self._phase == _HEAD:
            return self._head_view[self._head_filled :]
        # Bytes nobody asked for (past an answer's end, or while idle): read and drop them;
        # buffer_updated closes the connection.
        return self._head_view

    def buffer_updated(self, nbytes: int) -> None:
        self._last_data = self._loop.time()
        if self._phase == _BODY and self._chunk is not None:
            self._received(nbytes)
        elif self._phase == _HEAD:
            self._head_updated(nbytes)
        else:
            # Bytes past the answer's end: this connection cannot be trusted again.
            self._keep_alive = False
            if self._phase == _IDLE:
                self.close()

    def _head_updated(self, nbytes: int) -> None:
        searched_to = max(0, self._head_filled - 3)
        self._head_filled += nbytes
        end = self._head.find(_HEAD_END, searched_to, self._head_filled)
        if end < 0:
            if self._head_filled == HEAD_LIMIT:
                self._fail(MalformedAnswer("the answer's head is too large"))
            return
        try:
            self._read_head(bytes(self._head_view[:end]))
        except (MalformedAnswer, ValueError, UnicodeDecodeError) as exc:
            self._fail(exc if isinstance(exc, MalformedAnswer) else MalformedAnswer(str(exc)))
            return
        self._surplus = end + len(_HEAD_END)
        self._phase = _BODY
        self._wake()
        if self._head_filled - self._surplus > self._unreceived:
            self._keep_alive = False  # more than the answer: dropped, and never reused
        if self._unreceived:
            self._start_chunk()

    def _read_head(self, head: bytes) -> None:
        status_line, *lines = head.decode("latin-1").split("\r\n")
        version, _, rest = status_line.partition(" ")
        if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
            raise MalformedAnswer(f"not an HTTP/1 status line: {status_line[:80]!r}")
        headers: dict[str, str] = {}
        for line in lines:
            name, colon, value = line.partition(":")
            if not colon:
                raise MalformedAnswer(f"not a header line: {line[:80]!r}")
            headers[name.strip().lower()] = value.strip()
        self.status = int(rest[:3])
        self.headers = headers
        length = headers.get("content-length")
        framed = length is not None and length.isdigit() and "transfer-encoding" not in headers
        if not framed and 200 <= self.status < 300:
            raise MalformedAnswer("an answer without a Content-Length")
        self._unreceived = int(length) if framed and length else 0
        self._keep_alive = (
            framed and version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        )

    def eof_received(self) -> bool | None:
        if self._phase == _HEAD and self._head_filled == 0:
            self._fail(StaleConnection("the server closed the connection"))
        elif self._incomplete:
            self._fail(AnswerBroken("the server closed the connection mid-answer"))
        self.closed = True
        return None  # let the transport close itself

    def connection_lost(self, exc: Exception | None) -> None:
        if self._incomplete:
            self._fail(AnswerBroken(f"the connection was lost mid-answer: {exc!r}"))
        self.closed = True
        self._cancel_timer()

    @property
    def _incomplete(self) -> bool:
        """True while an answer's head or body is still to come."""
        return self._phase == _HEAD or (self._phase == _BODY and self._unreceived > 0)

    def _check_silence(self) -> None:
        """The read timeout: fail a wait once the server has said nothing for too long."""
        self._timer = None
        if self._phase == _IDLE or self.closed:
            return
        silent = self._loop.time() - self._last_data
        if self._waiter is not None and silent >= self._timeout:
            self._fail(AnswerBroken(f"no answer for {self._timeout:g} s"))
            return
        remaining = self._timeout - silent if self._waiter is not None else self._timeout
        self._timer = self._loop.call_later(max(remaining, 0.01), self._check_silence)

    def _fail(self, error: BaseException) -> None:
        if self._error is None:
            self._error = error
        self._wake()
        self.close()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
