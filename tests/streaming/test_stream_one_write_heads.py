"""The served protocol (``kernel/response_writes.py``): uvicorn's, except that a response's
head waits for its body's first bytes within one step of the event loop.

A real uvicorn on loopback and a raw ASGI app; the client reads raw bytes, so the framing
itself is checked. A head must never wait for a body that comes later, bodies of every
kind arrive whole and in order, and keep-alive and close behave as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import structlog
import uvicorn

from streamstack.kernel import response_writes
from streamstack.kernel.response_writes import HOLD_BYTES, MAX_HEAD_BYTES, HeadWithBodyProtocol
from support.apps import free_port

BIG = bytes(range(256)) * 4096  # 1 MiB
#: Set by the test once it has read a head; the app holds that response's body until then.
head_seen = threading.Event()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/late":  # the body only after the client has seen the head
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
        )
        seen = await asyncio.to_thread(head_seen.wait, 10)
        await send({"type": "http.response.body", "body": b"ok" if seen else b"no"})
        return
    if path == "/chunked":  # many short writes, no Content-Length
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for piece in (b"a", b"bb", b"ccc"):
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    if path in ("/body-size", "/body-size-later"):  # how many body bytes arrived
        if path == "/body-size-later":  # the app asks for the body after a while
            await asyncio.sleep(3.0)  # past a body window of the patient server
        size = 0
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        answer = str(size).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(answer)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": answer})
        return
    if path == "/early":  # answers without reading the body, as a refused bearer is
        headers = [(b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    if path == "/not-modified":
        await send({"type": "http.response.start", "status": 304, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    bodies: dict[str, bytes | bytearray | memoryview] = {
        "/small": b"small",
        "/held-size": b"h" * HOLD_BYTES,
        "/big-bytes": BIG,
        "/big-bytearray": bytearray(BIG),
        "/big-view": memoryview(BIG)[1:],
    }
    body = bodies[path]
    headers = [(b"content-length", str(len(body)).encode())]
    if "close" in scope["query_string"].decode():
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@contextlib.contextmanager
def serving(protocol: type[HeadWithBodyProtocol]) -> Iterator[int]:
    """The raw app in uvicorn with ``protocol``, on a free port."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, lifespan="off", http=protocol
    )
    served = uvicorn.Server(config)
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    while not served.started:
        assert thread.is_alive()
        time.sleep(0.02)
    yield port
    served.should_exit = True
    thread.join(20)


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    with serving(HeadWithBodyProtocol) as port:
        yield port


class Connection:
    """One raw keep-alive connection to the server."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def head(self, path: str, method: str = "GET") -> dict[str, str]:
        self.writer.write(f"{method} {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        raw = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 10)
        status, *lines = raw.decode("latin-1").split("\r\n")[:-2]
        fields = dict(line.lower().split(": ", 1) for line in lines)
        return {"status": status.split()[1], **fields}

    async def get(self, path: str, method: str = "GET") -> tuple[dict[str, str], bytes]:
        head = await self.head(path, method)
        if head.get("transfer-encoding") == "chunked":
            body = b""
            while size := int(await self.reader.readuntil(b"\r\n"), 16):
                body += await self.reader.readexactly(size + 2)
                body = body[:-2]
            await self.reader.readexactly(2)
            return head, body
        length = 0 if method == "HEAD" else int(head.get("content-length", "0"))
        return head, await asyncio.wait_for(self.reader.readexactly(length), 10)


@pytest.fixture
async def connection(server: int) -> AsyncIterator[Connection]:
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    yield Connection(reader, writer)
    writer.close()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/small", b"small"),
        ("/held-size", b"h" * HOLD_BYTES),
        ("/big-bytes", BIG),
        ("/big-bytearray", BIG),
        ("/big-view", BIG[1:]),
    ],
)
async def test_bodies_arrive_whole_on_one_connection(
    connection: Connection, path: str, body: bytes
) -> None:
    for _ in range(3):
        head, got = await connection.get(path)
        assert head["status"] == "200" and got == body


async def test_a_head_does_not_wait_for_a_later_body(connection: Connection) -> None:
    head_seen.clear()
    head = await connection.head("/late")
    head_seen.set()
    body = await asyncio.wait_for(connection.reader.readexactly(2), 10)
    assert head["status"] == "200" and body == b"ok"


async def test_short_writes_stay_in_order(connection: Connection) -> None:
    _, body = await connection.get("/chunked")
    assert body == b"abbccc"
    assert (await connection.get("/small"))[1] == b"small"


async def test_answers_without_a_body(connection: Connection) -> None:
    head, body = await connection.get("/not-modified")
    assert head["status"] == "304" and body == b""
    head, body = await connection.get("/big-bytes", method="HEAD")
    assert head["content-length"] == str(len(BIG)) and body == b""
    assert (await connection.get("/small"))[1] == b"small"


async def test_connection_close_after_the_whole_body(connection: Connection) -> None:
    head, body = await connection.get("/small?close")
    assert head["connection"] == "close" and body == b"small"
    assert await asyncio.wait_for(connection.reader.read(), 10) == b""  # then closed


@pytest.mark.parametrize(
    "start",
    [b"GET /small HTTP/1.1\r\nHost: t\r\nX-Big: ", b"GET /small?", b"GET /small HTTP/1.1\r\n"],
    ids=["one-header", "url", "many-headers"],
)
async def test_a_head_past_the_limit_is_431_and_closes(
    connection: Connection, start: bytes
) -> None:
    """uvicorn's protocol alone held a head of any size in memory as it arrived."""
    piece = b"X-Many: " + b"m" * 100 + b"\r\n" if start.endswith(b"\r\n") else b"a" * 4096
    connection.writer.write(start)
    sent = len(start)
    while sent <= MAX_HEAD_BYTES + len(piece):
        connection.writer.write(piece)
        sent += len(piece)
    await connection.writer.drain()
    raw = await asyncio.wait_for(connection.reader.read(), 10)  # then closed
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 "), raw[:200]
    assert json.loads(body)["code"] == "request_head_too_large"


async def test_a_whole_head_past_the_limit_in_one_read_is_431(
    connection: Connection, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A head that arrived whole in one read (asyncio reads up to 256 KiB) ended before the
    count of a pending head's bytes saw it: a 100 KiB header was served."""
    big = b"a" * (MAX_HEAD_BYTES + 1024)
    # The module's own logger, replaced: structlog's capture misses a logger cached before.
    logged = structlog.testing.CapturingLogger()
    monkeypatch.setattr(response_writes, "log", logged)
    connection.writer.write(b"GET /small HTTP/1.1\r\nHost: t\r\nX-Big: " + big + b"\r\n\r\n")
    await connection.writer.drain()
    raw = await asyncio.wait_for(connection.reader.read(), 10)  # then closed
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 "), raw[:200]
    assert json.loads(body)["code"] == "request_head_too_large"
    # Said once, as what it is; not as uvicorn's "Invalid HTTP request received."
    assert [(c.method_name, c.args) for c in logged.calls] == [
        ("info", ("request_head_too_large",))
    ], logged.calls
    assert not [r for r in caplog.records if r.name == "uvicorn.error"], caplog.records


async def test_a_head_within_the_limit_and_a_large_body_in_one_write_pass(
    connection: Connection,
) -> None:
    near = b"n" * (MAX_HEAD_BYTES - 200)
    connection.writer.write(b"GET /small HTTP/1.1\r\nHost: t\r\nX-Near: " + near + b"\r\n\r\n")
    head = await asyncio.wait_for(connection.reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 200 ")
    assert await connection.reader.readexactly(len(b"small")) == b"small"
    body = b"b" * (4 * MAX_HEAD_BYTES)
    request = b"POST /body-size HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(body)
    connection.writer.write(request + body)
    head = await asyncio.wait_for(connection.reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 200 ")
    assert await connection.reader.readexactly(len(str(len(body)))) == str(len(body)).encode()


class QuickHeads(HeadWithBodyProtocol):
    """The protocol with a head timeout and a body window a test can wait out."""

    head_timeout_seconds = 0.5
    body_window_seconds = 0.5
    body_min_bytes = 64


@pytest.fixture(scope="module")
def quick_server() -> Iterator[int]:
    with serving(QuickHeads) as port:
        yield port


class PatientHeads(HeadWithBodyProtocol):
    """A body window an app's wait can outlast (``/body-size-later`` asks after 3 s) while
    the test's client, once it may send, has 2 s to do it: a client starved of CPU for
    half a second (four test workers on two cores) must not look idle."""

    body_window_seconds = 2.0
    body_min_bytes = 64


@pytest.fixture(scope="module")
def patient_server() -> Iterator[int]:
    with serving(PatientHeads) as port:
        yield port


@pytest.mark.parametrize("sent", [b"", b"GET /small HTTP/1.1\r\nHost: t\r\nX-Slow: a"])
async def test_a_head_too_slow_to_arrive_closes_the_connection(
    quick_server: int, sent: bytes
) -> None:
    """uvicorn timed only idle kept-alive connections: one that sent nothing, or a head a
    byte at a time, was held for good (and many of them, the file descriptors)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", quick_server)
    writer.write(sent)
    assert await asyncio.wait_for(reader.read(), 10) == b""  # closed by the server
    writer.close()
    # A head that does arrive in time, on a kept-alive connection past the timeout, is served.
    reader, writer = await asyncio.open_connection("127.0.0.1", quick_server)
    connection = Connection(reader, writer)
    for _ in range(2):
        assert (await connection.get("/small"))[1] == b"small"
        await asyncio.sleep(0.3)
    writer.close()


async def trickled_until_closed(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, pieces: int
) -> bytes:
    """Send up to ``pieces`` bytes a tenth of a second apart (under 64 in a 0.5 s window)
    until the server closes; what was read by then.

    A close with our bytes still unread in the server's socket is a reset (RFC 1122
    4.2.2.13), which is as closed as a FIN: the test wants the connection gone, not how.
    """
    closed = asyncio.ensure_future(reader.read())
    for _ in range(pieces):
        if closed.done():
            break
        writer.write(b"x")
        await asyncio.sleep(0.1)
    try:
        return await asyncio.wait_for(closed, 10)
    except ConnectionResetError:
        return b""


@pytest.mark.parametrize("pieces", [0, 50], ids=["stalls", "trickles"])
async def test_a_body_too_slow_to_come_closes_the_connection(
    quick_server: int, pieces: int
) -> None:
    """uvicorn waited for a body for ever: a login's body sent a byte at a time held a
    connection and a request for good."""
    reader, writer = await asyncio.open_connection("127.0.0.1", quick_server)
    writer.write(b"POST /body-size HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc")
    assert await trickled_until_closed(reader, writer, pieces) == b""  # no answer
    writer.close()


async def test_a_body_trickled_after_its_answer_closes_the_connection(
    quick_server: int,
) -> None:
    """A route that answers before reading (a refused bearer) leaves the body to come on a
    kept-alive connection, which uvicorn reads and drops for as long as it lasts."""
    reader, writer = await asyncio.open_connection("127.0.0.1", quick_server)
    writer.write(b"PATCH /early HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 401 ")
    assert await trickled_until_closed(reader, writer, 50) == b""
    writer.close()


async def test_a_body_that_keeps_coming_is_read_however_long_it_takes(
    quick_server: int,
) -> None:
    """The rate is asked of each window, not of the whole body (an upload takes minutes)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", quick_server)
    writer.write(b"POST /body-size HTTP/1.1\r\nHost: t\r\nContent-Length: 800\r\n\r\n")
    for _ in range(8):  # 1.6 s in all: three windows and more, each brought 200 bytes
        await asyncio.sleep(0.2)
        writer.write(b"b" * 100)
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 200 ")
    assert await reader.readexactly(3) == b"800"
    writer.close()


async def test_a_client_waiting_for_100_continue_is_not_idle(patient_server: int) -> None:
    """A client sending ``Expect: 100-continue`` sends nothing until the app asks for the
    body: an app taking longer than the idle time to ask must still get it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", patient_server)
    writer.write(
        b"POST /body-size-later HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
        b"Expect: 100-continue\r\n\r\n"
    )
    interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert interim.startswith(b"HTTP/1.1 100 ")
    writer.write(b"body")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 200 ")
    assert await reader.readexactly(1) == b"4"
    writer.close()


async def test_a_client_held_back_by_a_slow_app_is_not_idle(patient_server: int) -> None:
    """Reading stops while the app is behind (uvicorn pauses past 64 KiB unread): the client
    cannot send then, so that wait is not its idleness."""
    reader, writer = await asyncio.open_connection("127.0.0.1", patient_server)
    writer.write(
        b"POST /body-size-later HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(BIG)
    )
    writer.write(BIG)
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 200 ")
    assert await reader.readexactly(len(str(len(BIG)))) == str(len(BIG)).encode()
    writer.close()
