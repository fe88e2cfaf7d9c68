"""uvicorn's HTTP/1.1 protocol, sending a response's head together with its first body bytes.

uvicorn writes the status line and headers as soon as ``http.response.start`` arrives, in
a send of their own, and the body in the next. On loopback each send also runs the
receiving side of TCP; for a 1 MiB range from the page cache the head's send was a fifth
of the stream route's CPU (py-spy, bench/throughput.py). Here a short ``bytes`` write is
held until the event loop's current step ends: a body written in that step goes out with
it in one ``writev``, and otherwise it is sent then, as uvicorn would have.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

import msgspec
import structlog
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from streamstack.kernel.errors import AppError

log = structlog.get_logger(__name__)

#: Writes of ``bytes`` up to this size are held for the next write (a head is a few hundred).
HOLD_BYTES = 16 * 1024


class HeadHoldingTransport(asyncio.Transport):
    """A transport that holds one short write until the next write or the loop's next step.

    Only immutable ``bytes`` are held: a ``bytearray`` or a view (a reused buffer, a mapped
    file) goes to the socket at once, after whatever was held.
    """

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._transport.writelines((held, data))
        elif type(data) is bytes and len(data) <= HOLD_BYTES:
            self._held = data
            self._loop.call_soon(self.flush)
        else:
            self._transport.write(data)

    def writelines(self, list_of_data: Iterable[bytes | bytearray | memoryview]) -> None:
        self.flush()
        self._transport.writelines(list_of_data)

    def flush(self) -> None:
        """Send what is held, if anything."""
        held = self._held
        if held is not None:
            self._held = None
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.flush()
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + len(self._held or b"")

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)


#: The most a request's head (request line and header fields) may take. uvicorn's
#: httptools protocol sets no bound: a client could send a header of gigabytes, held in
#: memory as it arrives. nginx allows 32 KiB in front of production; this is twice that.
MAX_HEAD_BYTES = 64 * 1024


class RequestHeadTooLarge(AppError, status=431, code="request_head_too_large"):
    """A request line and header fields longer than :data:`MAX_HEAD_BYTES`."""


#: The answer to a longer head, in the API's error shape; the connection is then closed.
_HEAD_TOO_LARGE_BODY = msgspec.json.encode(
    RequestHeadTooLarge(
        f"the request line and headers may take at most {MAX_HEAD_BYTES} bytes"
    ).body()
)
_HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: application/json\r\n"
    b"content-length: " + str(len(_HEAD_TOO_LARGE_BODY)).encode() + b"\r\n"
    b"connection: close\r\n\r\n" + _HEAD_TOO_LARGE_BODY
)


#: How long a new connection may take to send a whole request head, and a kept-alive one
#: the head of its next request once it began. uvicorn times only idle kept-alive
#: connections: a client sending a head a byte at a time (or nothing) held its connection,
#: and enough of them the process's file descriptors. nginx's own limit is 60 s.
HEAD_TIMEOUT_SECONDS = 30.0
#: A request body still to come must bring at least :data:`BODY_MIN_BYTES` in every window
#: of this many seconds (Apache's ``mod_reqtimeout`` idea; nginx's ``client_body_timeout``
#: only times the gap between two reads): a body trickled a byte at a time, awaited by the
#: app or sent on after its answer, held a connection and a request for good. A resumable
#: upload cut off here goes on from what it had sent.
BODY_WINDOW_SECONDS = 60.0
#: 32 KiB a minute, about 550 bytes a second: any link that plays video sends far more, and a
#: small body arrives whole long before a window ends.
BODY_MIN_BYTES = 32 * 1024
#: How long a refused head's connection still reads (and drops) what the client sends after
#: the 431 (nginx's ``lingering_time`` idea): closed with the client's bytes unread, the
#: kernel answers with a reset, and a reset can destroy the 431 in the client's buffer.
LINGER_SECONDS = 2.0


class _HeadTooLarge(Exception):
    """Raised from the parser's callback at the end of a head past :data:`MAX_HEAD_BYTES`."""


class _HeadRefusedLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """uvicorn's logger for a connection whose head was refused for its size, which says so
    itself (``request_head_too_large``): without uvicorn's "Invalid HTTP request received."
    warning for the parser's stop, the one warning it writes then."""

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        if level != logging.WARNING:
            super().log(level, msg, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # What uvicorn reads of a Logger beyond logging (its ``level``, for trace lines).
        return getattr(self.logger, name)


class HeadWithBodyProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol writing through a :class:`HeadHoldingTransport`
    (``uvicorn.run(..., http=HeadWithBodyProtocol)``), refusing a request head longer than
    :data:`MAX_HEAD_BYTES` (431) before more of it is held, and closing a connection whose
    head takes longer than :attr:`head_timeout_seconds` or whose body, still to come,
    brings less than :attr:`body_min_bytes` in a window of :attr:`body_window_seconds`.

    One timer a connection watches both, set again when it fires, so a request costs a
    clock reading rather than a timer of its own.
    """

    head_timeout_seconds = HEAD_TIMEOUT_SECONDS
    body_window_seconds = BODY_WINDOW_SECONDS
    body_min_bytes = BODY_MIN_BYTES

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        # When the pending head began (None between its end and the next one's first byte).
        self._head_since: float | None = self.loop.time()
        self._read_bytes = 0  # bytes received on the connection, but the read being parsed
        self._head_from = 0  # _read_bytes before the read in which the pending head began
        self._window_from: int | None = None  # _read_bytes when a body's window opened
        self._refused = False  # a 431 was sent: what the client still sends is dropped
        self._head_oversized = False  # a whole head past the limit stopped the parser
        self._reading = 0  # bytes of the read being parsed
        super().connection_made(HeadHoldingTransport(transport, self.loop))
        self._watch = self.loop.call_later(self.head_timeout_seconds, self._watch_client)

    def connection_lost(self, exc: Exception | None) -> None:
        self._watch.cancel()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        self._head_since = self.loop.time()
        self._head_from = self._read_bytes
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._head_since = None
        # A head that came whole in one read (asyncio reads up to 256 KiB) ended before
        # data_received could count it: measured here, refused before the app sees it.
        # Only when the reads it came in could hold that much (never on a stream GET).
        received = self._read_bytes - self._head_from + self._reading
        if received > MAX_HEAD_BYTES and self._head_size() > MAX_HEAD_BYTES:
            self._head_oversized = True
            # Only now, not on every connection: uvicorn logs the parser's stop next.
            self.logger = _HeadRefusedLogger(self.logger, {})  # type: ignore[assignment]
            raise _HeadTooLarge  # the parser stops; uvicorn answers through send_400_response
        super().on_headers_complete()

    def _head_size(self) -> int:
        """The bytes of the request line's target and header fields just parsed."""
        return len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)

    def send_400_response(self, msg: str) -> None:
        if self._head_oversized:
            self._refuse_head()
            return
        super().send_400_response(msg)

    def _watch_client(self) -> None:
        wait = self.head_timeout_seconds
        if self._head_since is not None:
            wait = self._head_since + self.head_timeout_seconds - self.loop.time()
        elif self.cycle is not None and self.cycle.more_body:
            wait = 0.0 if self._body_too_slow() else self.body_window_seconds
        else:
            self._window_from = None
        if wait > 0:
            self._watch = self.loop.call_later(wait, self._watch_client)
        elif not self.transport.is_closing():
            self.transport.close()

    def _body_too_slow(self) -> bool:
        """Whether a body still to come brought too little in the window now ending; a new
        window opens. The first look only opens one, and so does a look while the client
        may not send (reading paused because the app is behind, or ``Expect:
        100-continue`` not answered yet)."""
        opened, self._window_from = self._window_from, self._read_bytes
        if opened is None or self.cycle.waiting_for_100_continue or self.flow.read_paused:
            return False
        return self._read_bytes - opened < self.body_min_bytes

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        self._reading = len(data)
        super().data_received(data)
        self._read_bytes += len(data)
        if (
            self._head_since is not None
            and self._read_bytes - self._head_from > MAX_HEAD_BYTES
            and not self.transport.is_closing()
        ):
            self._refuse_head()

    def _refuse_head(self) -> None:
        """Answer 431, then end the connection gently (see :data:`LINGER_SECONDS`)."""
        log.info("request_head_too_large", client=self.client and self.client[0])
        self._head_since = None
        self._refused = True
        self.transport.write(_HEAD_TOO_LARGE)
        self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)
