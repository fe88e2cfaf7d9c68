"""The object-store port's reads as streaming relies on them, on both adapters.

A read reports the whole object's size, ETag, Last-Modified and type (so a stream request
needs no ``head``) and yields chunks of exactly ``chunk_size`` bytes but the last.
"""

from __future__ import annotations

import random

from streaming_rig import StreamRig

from streamstack.kernel.storage import ObjectChanged, read_all

DATA = random.Random(7).randbytes(200 * 1024)


async def test_a_ranged_read_reports_the_whole_object(rig: StreamRig) -> None:
    written = await rig.put_media(DATA)

    async def ranged() -> tuple[object, bytes]:
        body = await rig.media.read(written.key, 1000, 500)
        return body.info, await read_all(body)

    info, data = await rig.in_app(ranged)
    head = await rig.in_app(rig.media.head, written.key)

    assert data == DATA[1000:1500]
    assert info == head
    assert head.size == len(DATA)
    assert head.content_type == "video/mp4"


async def test_chunks_are_full_sized_but_the_last(rig: StreamRig) -> None:
    written = await rig.put_media(DATA)

    async def chunk_sizes() -> list[int]:
        body = await rig.media.read(written.key, 10, None, chunk_size=64 * 1024)
        try:
            return [len(chunk) async for chunk in body]
        finally:
            await body.aclose()

    sizes = await rig.in_app(chunk_sizes)

    assert sizes == [65536, 65536, 65536, len(DATA) - 10 - 3 * 65536]


async def test_if_match_with_the_reported_etag_guards_the_next_read(rig: StreamRig) -> None:
    written = await rig.put_media(DATA)

    async def read_then_replace_then_read() -> bool:
        first = await rig.media.read(written.key, 0, 10)
        await first.aclose()
        await rig.media.write(written.key, _once(b"replaced"))
        try:
            second = await rig.media.read(written.key, 0, 4, if_match=first.info.etag)
        except ObjectChanged:
            return True
        await second.aclose()
        return False

    assert await rig.in_app(read_then_replace_then_read)


async def _once(data: bytes):  # type: ignore[no-untyped-def]
    yield data
