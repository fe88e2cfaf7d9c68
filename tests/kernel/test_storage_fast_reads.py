"""The fast read path of the object stores: what ``head`` remembers is dropped when the object
changes, ranged reads stay exact across chunk edges, and a file that is not in the page cache
reads the same bytes as a cached one (local directory: slices of the file's map, and the
worker-thread read for what the page cache does not hold). Run on a local directory and on
a real S3 server."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from streamstack.kernel.storage import ObjectChanged, ObjectNotFound, ObjectStore, read_all
from streamstack.kernel.storage.local import LocalObjectStore
from streamstack.kernel.storage.s3 import S3Client, S3ObjectStore
from support.page_cache import evict

OLD = bytes(range(256)) * 40  # 10,240 bytes
NEW = bytes(reversed(range(256))) * 50  # 12,800 bytes: another size, another ETag


@pytest.fixture(params=["local", "s3"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ObjectStore]:
    if request.param == "local":
        yield LocalObjectStore(tmp_path / "objects", "media")
        return
    endpoint = request.getfixturevalue("s3_endpoint")
    media, _ = request.getfixturevalue("fresh_buckets")
    client = S3Client(
        endpoint.url, endpoint.access_key_id, endpoint.secret_access_key, endpoint.region
    )
    try:
        yield S3ObjectStore(client, media)
    finally:
        await client.close()


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_head_sees_a_replaced_object(store: ObjectStore) -> None:
    first = await store.write("v/a.mp4", _once(OLD), content_type="video/mp4")
    assert await store.head("v/a.mp4") == first  # now remembered
    await store.head("v/a.mp4")

    second = await store.write("v/a.mp4", _once(NEW), content_type="video/webm")

    seen = await store.head("v/a.mp4")
    assert (seen.size, seen.etag, seen.content_type) == (len(NEW), second.etag, "video/webm")
    assert seen.etag != first.etag
    body = await store.read("v/a.mp4", 100, 50)
    assert body.info.etag == second.etag
    assert await read_all(body) == NEW[100:150]


async def test_a_read_with_the_old_etag_fails_after_a_replacement(store: ObjectStore) -> None:
    first = await store.write("v/b.mp4", _once(OLD), content_type="video/mp4")
    await read_all(await store.read("v/b.mp4", if_match=first.etag))
    await store.write("v/b.mp4", _once(NEW), content_type="video/mp4")

    with pytest.raises(ObjectChanged):
        await store.read("v/b.mp4", 0, 10, if_match=first.etag)


async def test_a_deleted_object_is_gone_although_head_remembered_it(store: ObjectStore) -> None:
    await store.write("v/c.mp4", _once(OLD), content_type="video/mp4")
    await store.head("v/c.mp4")
    await read_all(await store.read("v/c.mp4"))

    await store.delete("v/c.mp4")

    with pytest.raises(ObjectNotFound):
        await store.head("v/c.mp4")
    with pytest.raises(ObjectNotFound):
        await store.read("v/c.mp4")


@pytest.mark.parametrize("zero_copy", [False, True])
@pytest.mark.parametrize(("start", "length"), [(0, None), (1, 4095), (4095, 2), (10_000, 999)])
async def test_ranges_across_chunk_edges(
    store: ObjectStore, start: int, length: int | None, zero_copy: bool
) -> None:
    await store.write("v/d.mp4", _once(OLD), content_type="video/mp4")

    body = await store.read("v/d.mp4", start, length, chunk_size=1024, zero_copy=zero_copy)

    end = len(OLD) if length is None else min(len(OLD), start + length)
    assert await read_all(body) == OLD[start:end]


async def test_a_file_changed_in_place_is_described_anew(tmp_path: Path) -> None:
    """Someone rewrites an object's file without the adapter (same inode): the mtime and
    size still change, so the remembered answer is not used."""
    store = LocalObjectStore(tmp_path / "objects", "media")
    (tmp_path / "objects" / "media" / "loose.bin").write_bytes(OLD)
    first = await store.head("loose.bin")

    (tmp_path / "objects" / "media" / "loose.bin").write_bytes(NEW)

    second = await store.head("loose.bin")
    assert second.size == len(NEW)
    assert second.etag != first.etag
    assert await read_all(await store.read("loose.bin", 0, 256)) == NEW[:256]


async def test_a_file_out_of_the_page_cache_reads_exactly(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects", "media")
    data = os.urandom(3 * 1024 * 1024 + 17)
    await store.write("cold.bin", _once(data), content_type="application/octet-stream")
    evict(store.local_path("cold.bin"))

    body = await store.read("cold.bin", 123, len(data) - 200, chunk_size=1024 * 1024)

    assert await read_all(body) == data[123:-77]
