"""Streaming a file that is not in the page cache does not stall the server.

The local-directory store sends a chunk from the file's map only when the page cache holds
all of it, and has a worker thread read any other chunk, so while a large cold range
streams, ``/health`` keeps answering and the bytes are exact. Correctness only: the p99 of
``/health`` during cold streaming is measured in ``bench/cold_cache.py``.
"""

from __future__ import annotations

import asyncio
import os

import pytest
from streaming_rig import StreamSettings, live_stream

from support.page_cache import evict, resident_pages

SIZE = 48 * 1024 * 1024


@pytest.mark.parametrize("stream_backend", ["embedded"])
async def test_health_answers_while_a_cold_range_streams(
    stream_settings: StreamSettings,
) -> None:
    data = os.urandom(SIZE)
    async with live_stream(stream_settings(stream_chunk_bytes=1024 * 1024)) as live:
        info = await live.put_media(data)
        url = f"{live.app_url}{await live.stream_url(info)}"
        path = live.backends.objects(live.settings.media_bucket).local_path(info.key)
        assert path is not None
        evict(path)
        cached = resident_pages(path)
        assert cached == 0, f"{cached} pages still in the page cache: the test proves nothing"
        first_chunk = asyncio.Event()
        received = bytearray()
        health: list[int] = []

        async def stream() -> int:
            headers = {"Range": f"bytes=1000-{SIZE - 1001}"}
            async with live.http.stream("GET", url, headers=headers) as response:
                async for chunk in response.aiter_bytes(256 * 1024):
                    received.extend(chunk)
                    first_chunk.set()
                    await asyncio.sleep(0)  # let the health checks interleave
                return response.status_code

        async def probe() -> None:
            await first_chunk.wait()
            for _ in range(10):
                response = await live.http.get(f"{live.app_url}/health")
                health.append(response.status_code)

        streaming = asyncio.create_task(stream())
        await probe()
        done_while_streaming = not streaming.done()
        status = await streaming

    assert status == 206
    assert bytes(received) == data[1000 : SIZE - 1000]
    assert health == [200] * 10
    assert done_while_streaming, "the health checks only finished after the stream"
