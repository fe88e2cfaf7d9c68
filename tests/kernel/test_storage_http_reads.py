"""The S3 adapter's own HTTP/1.1 reads (``kernel/storage/http_reads.py``).

Against the session's real S3 server (moto, which closes every connection): ranges, chunks,
404, 412, 416 and a hung or vanished server, through the adapter's error mapping. Against
small real servers of the test's own (asyncio, on loopback), what moto cannot show: a
connection kept alive is reused, one the server closed while pooled is replaced, a body
cut short fails the read, and bytes past an answer are never taken for the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from streamstack.kernel.errors import RangeNotSatisfiable
from streamstack.kernel.storage import (
    ObjectChanged,
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
    read_all,
)
from streamstack.kernel.storage.http_reads import (
    AnswerBroken,
    ChunkBuffers,
    HttpReads,
    HttpTarget,
    MalformedAnswer,
)
from streamstack.kernel.storage.s3 import S3Client, S3ObjectStore

DATA = os.urandom(300_000)


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


@pytest.fixture
async def s3_store(
    s3_endpoint: Any, fresh_buckets: tuple[str, str]
) -> AsyncIterator[S3ObjectStore]:
    client = S3Client(
        s3_endpoint.url,
        s3_endpoint.access_key_id,
        s3_endpoint.secret_access_key,
        s3_endpoint.region,
        pool_size=2,
    )
    store = S3ObjectStore(client, fresh_buckets[0])
    await store.write("v.bin", _once(DATA), content_type="video/mp4")
    try:
        yield store
    finally:
        await client.close()


async def test_ranges_arrive_whole_in_full_chunks(s3_store: S3ObjectStore) -> None:
    # One object and one pool for every case: a bucket per case cost more than the reads.
    for chunk_size in (1000, 16 * 1024, 64 * 1024, 1024 * 1024):
        for start, length in ((0, None), (1, 99_999), (299_999, 1)):
            body = await s3_store.read("v.bin", start, length, chunk_size=chunk_size)
            chunks = [bytes(chunk) async for chunk in body]
            end = len(DATA) if length is None else start + length
            assert b"".join(chunks) == DATA[start:end], (chunk_size, start, length)
            assert all(len(chunk) == chunk_size for chunk in chunks[:-1])
            assert body.info.size == len(DATA) and body.info.content_type == "video/mp4"


async def test_chunks_a_reader_still_holds_are_never_refilled(s3_store: S3ObjectStore) -> None:
    held = [chunk async for chunk in await s3_store.read("v.bin", 0, 100_000, chunk_size=10_000)]
    for start in (100_000, 200_000):
        assert await read_all(await s3_store.read("v.bin", start, 100_000, chunk_size=10_000))
    assert b"".join(held) == DATA[:100_000]


def test_a_chunk_buffer_is_reused_only_once_nothing_refers_to_it() -> None:
    buffers = ChunkBuffers(1024, keep=2)
    first, second = buffers.take(), buffers.take()
    assert first is not second and len(first) == len(second) == 1024
    first_id = id(first)
    view = memoryview(second)
    del first, second

    again = buffers.take()

    assert id(again) == first_id  # nothing referred to it any more
    assert buffers.take() is not view.obj  # a view still refers to the second one


async def test_more_reads_than_the_pool_has_connections(s3_store: S3ObjectStore) -> None:
    async def one(i: int) -> bytes:
        return await read_all(await s3_store.read("v.bin", i * 1000, 1000))

    got = await asyncio.gather(*(one(i) for i in range(12)))
    assert got == [DATA[i * 1000 : (i + 1) * 1000] for i in range(12)]


async def test_answers_s3_refuses_map_to_the_ports_errors(s3_store: S3ObjectStore) -> None:
    with pytest.raises(ObjectNotFound):
        await s3_store.read("absent.bin")
    with pytest.raises(RangeNotSatisfiable):
        await s3_store.read("v.bin", len(DATA) + 10, 5)
    with pytest.raises(ObjectChanged):
        await s3_store.read("v.bin", 0, 10, if_match='"not-the-etag"')
    # Every refusal left the pool usable.
    assert await read_all(await s3_store.read("v.bin", 5, 5)) == DATA[5:10]


async def test_closing_a_body_early_frees_its_connection(s3_store: S3ObjectStore) -> None:
    for _ in range(6):  # three times the pool
        body = await s3_store.read("v.bin", chunk_size=1000)
        async for _chunk in body:
            break
        await body.aclose()
    assert await read_all(await s3_store.read("v.bin", 0, 3)) == DATA[:3]


# --- small servers of the test's own ----------------------------------------------------

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Origin:
    """A loopback HTTP server answering with ``handler``; it counts its connections."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> Origin:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            try:
                await self.handler(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()

        self._server = await asyncio.start_server(serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()

    def target(self, path: str = "/o?X-Amz-Signature=abc%2F") -> HttpTarget:
        return HttpTarget(f"http://127.0.0.1:{self.port}{path}")


def answer(body: bytes, *, extra: str = "", status: str = "200 OK") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body


async def keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer every request on the connection with its own request line as the body."""
    while head := await reader.readuntil(b"\r\n\r\n"):
        writer.write(answer(head.split(b"\r\n")[0]))
        await writer.drain()


async def read_body(reads: HttpReads, target: HttpTarget, chunk_size: int = 1024) -> bytes:
    got = await reads.get(target, {}, chunk_size)
    try:
        chunks = []
        while (chunk := await got.next_chunk()) is not None:
            chunks.append(bytes(chunk))
        return b"".join(chunks)
    finally:
        got.release()


@contextlib.asynccontextmanager
async def pool_on(
    handler: Handler, timeout_seconds: float = 5
) -> AsyncIterator[tuple[HttpReads, Origin]]:
    """A pool of reads and an origin answering with ``handler``; both closed after."""
    reads = HttpReads(limit=4, timeout_seconds=timeout_seconds)
    try:
        async with Origin(handler) as origin:
            yield reads, origin
    finally:
        reads.close()


async def test_a_connection_kept_alive_is_reused() -> None:
    async with pool_on(keep_alive) as (reads, origin):
        first = await read_body(reads, origin.target())
        second = await read_body(reads, origin.target())
    # The URL goes out exactly as signed (nothing re-quoted).
    assert first == second == b"GET /o?X-Amz-Signature=abc%2F HTTP/1.1"
    assert origin.connections == 1


async def test_a_connection_the_server_closes_is_not_reused() -> None:
    async def close_each(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer(b"x" * 5000, extra="Connection: close\r\n"))

    async with pool_on(close_each) as (reads, origin):
        for _ in range(3):
            assert await read_body(reads, origin.target()) == b"x" * 5000
    assert origin.connections == 3


async def test_a_pooled_connection_closed_meanwhile_is_replaced() -> None:
    async def one_then_quiet_close(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer(b"first"))  # keep-alive by HTTP/1.1's default ...
        await writer.drain()
        await reader.readuntil(b"\r\n\r\n")  # ... yet the next request gets no answer

    async with pool_on(one_then_quiet_close) as (reads, origin):
        assert await read_body(reads, origin.target()) == b"first"
        assert await read_body(reads, origin.target()) == b"first"
    assert origin.connections == 2


async def test_a_body_cut_short_fails_the_read() -> None:
    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"y" * 5000)
        await writer.drain()

    async with pool_on(cut) as (reads, origin):
        with pytest.raises(AnswerBroken):
            await read_body(reads, origin.target())
        with pytest.raises(AnswerBroken):
            await read_body(reads, origin.target(), chunk_size=200_000)


async def test_a_silent_server_times_out() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")  # then nothing
        await writer.drain()
        await asyncio.sleep(30)

    async with pool_on(silent, 0.3) as (reads, origin):
        with pytest.raises(AnswerBroken, match="no answer"):
            await read_body(reads, origin.target())


async def test_bytes_past_an_answer_are_never_read_as_the_next() -> None:
    async def overlong(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.readuntil(b"\r\n\r\n"):
            writer.write(answer(b"body") + answer(b"smuggled"))
            await writer.drain()

    async with pool_on(overlong) as (reads, origin):
        assert await read_body(reads, origin.target()) == b"body"
        assert await read_body(reads, origin.target()) == b"body"
    assert origin.connections == 2


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"SSH-2.0-OpenSSH_9.2\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"X-Long: " + b"a" * 20_000 + b"\r\n\r\n",
    ],
)
async def test_answers_we_cannot_read_are_refused(reply: bytes) -> None:
    async def odd(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(reply)
        await writer.drain()
        await asyncio.sleep(1)

    async with pool_on(odd) as (reads, origin):
        with pytest.raises(MalformedAnswer):
            await read_body(reads, origin.target())


@contextlib.asynccontextmanager
async def adapter_on(origin: Origin, s3_endpoint: Any) -> AsyncIterator[S3ObjectStore]:
    """The S3 adapter with ``origin`` as its endpoint (it signs without asking anyone)."""
    client = S3Client(
        f"http://127.0.0.1:{origin.port}",
        s3_endpoint.access_key_id,
        s3_endpoint.secret_access_key,
        s3_endpoint.region,
    )
    try:
        yield S3ObjectStore(client, "media")
    finally:
        await client.close()


async def test_the_adapter_maps_a_broken_answer_to_503(s3_endpoint: Any) -> None:
    """A server that takes the request and drops the connection: the read is a 503."""

    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")

    async with Origin(drop) as origin, adapter_on(origin, s3_endpoint) as store:
        with pytest.raises(StorageUnavailable) as info:
            await store.read("a.mp4")
    assert info.value.status == 503


async def test_the_adapter_maps_a_malformed_answer_to_502(s3_endpoint: Any) -> None:
    async def odd(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")  # no ETag
        await writer.drain()

    async with Origin(odd) as origin, adapter_on(origin, s3_endpoint) as store:
        with pytest.raises(StorageError) as info:
            await store.read("a.mp4")
    assert info.value.status == 502
