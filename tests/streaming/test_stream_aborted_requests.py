"""A thousand players that go away mid-stream leave no open reads behind.

The app runs in uvicorn; raw sockets ask for a large object and are reset at three moments
(right after the request, after the headers, after some body). With S3 the pool is two
connections, so even two leaked reads would stall every later request; on the local
directory a leak would show as open file descriptors.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import struct
from urllib.parse import urlsplit

from prometheus_client import REGISTRY
from streaming_rig import StreamSettings, live_stream

ABORTS = 1000
CONCURRENCY = 16
POOL_SIZE = 4
DATA = random.Random(3).randbytes(1024 * 1024)


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


async def abort_midway(host: str, port: int, path: str, moment: int) -> None:
    """Ask for the object, then reset the connection at ``moment`` (0, 1 or 2)."""
    sock = socket.socket()
    # A small receive window keeps what the kernels buffer far below the object's size, so
    # the server is still streaming when the reset comes.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, port))
    reader, writer = await asyncio.open_connection(sock=sock)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nRange: bytes=0-\r\n\r\n".encode())
        await writer.drain()
        if moment >= 1:
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 206"), head
        if moment >= 2:
            assert await reader.readexactly(64 * 1024)
    finally:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST
        writer.transport.abort()


async def test_aborted_requests_leave_the_service_healthy(stream_settings: StreamSettings) -> None:
    settings = stream_settings(s3_pool_size=POOL_SIZE, stream_chunk_bytes=64 * 1024)
    async with live_stream(settings) as live:
        info = await live.put_media(DATA)
        path = await live.stream_url(info)
        address = urlsplit(live.app_url)
        host, port = address.hostname or "127.0.0.1", address.port or 80
        assert (await live.http.get(live.app_url + path)).content == DATA  # warm up
        descriptors_before = open_descriptors()

        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(index: int) -> None:
            async with gate:
                # A stalled pool would leave the server silent: fail, do not hang.
                await asyncio.wait_for(abort_midway(host, port, path, index % 3), 30)

        await asyncio.gather(*(one(i) for i in range(ABORTS)))

        # More concurrent reads than the pool has connections: all must complete.
        ranges = [(i * 50_000, i * 50_000 + 49_999) for i in range(3 * POOL_SIZE)]
        answers = await asyncio.wait_for(
            asyncio.gather(
                *(
                    live.http.get(live.app_url + path, headers={"Range": f"bytes={a}-{b}"})
                    for a, b in ranges
                )
            ),
            timeout=60,
        )
        whole = await live.http.get(live.app_url + path)
        ready = await live.http.get(live.app_url + "/ready")
        descriptors_after = open_descriptors()

    for (a, b), answer in zip(ranges, answers, strict=True):
        assert answer.status_code == 206
        assert answer.content == DATA[a : b + 1]
    assert whole.content == DATA
    assert ready.status_code == 200, ready.text
    # A leak of one file or socket per aborted request would be a thousand.
    assert descriptors_after - descriptors_before < 50


def streamed_bytes() -> float:
    """The process's ``streamstack_streamed_bytes_total`` (the app runs in this process)."""
    return REGISTRY.get_sample_value("streamstack_streamed_bytes_total") or 0.0


async def no_stream_active() -> None:
    """Wait until no media response is being sent (the aborted one has returned)."""
    while REGISTRY.get_sample_value("streamstack_active_streams"):
        await asyncio.sleep(0.05)


async def test_a_player_that_goes_away_stops_the_read(stream_settings: StreamSettings) -> None:
    """uvicorn's ``send`` returns silently once the client has gone: the response must see
    the disconnect itself, or it reads (and counts) the whole object for nobody."""
    big = random.Random(4).randbytes(32 * 1024 * 1024)
    async with live_stream(stream_settings(stream_chunk_bytes=64 * 1024)) as live:
        info = await live.put_media(big)
        path = await live.stream_url(info)
        address = urlsplit(live.app_url)
        before = streamed_bytes()
        await abort_midway(address.hostname or "127.0.0.1", address.port or 80, path, 2)
        await asyncio.wait_for(no_stream_active(), 60)
        after = streamed_bytes()
    assert 64 * 1024 <= after - before < len(big) // 2
