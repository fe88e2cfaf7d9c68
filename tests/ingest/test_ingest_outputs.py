"""An item's outputs manifest: what a package upload keeps, replaces and deletes."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import msgspec

from harness.servers import S3Server
from harness.tools import skip_or_fail
from streamstack.ingest.outputs import MANIFEST_NAME, ItemOutputs, Manifest
from streamstack.kernel.storage import ObjectNotFound, ObjectStore, single_chunk
from streamstack.kernel.storage.local import LocalObjectStore
from streamstack.kernel.storage.s3 import S3Client, S3ObjectStore


def package(directory: Path, names: list[str]) -> list[str]:
    """Write each named file (its name as its bytes) under ``directory``."""
    for name in names:
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(name)
    return names


async def stored(store: ObjectStore, media_id: str, names: list[str]) -> list[bool]:
    found = []
    for name in names:
        try:
            await store.head(f"{media_id}/{name}")
            found.append(True)
        except ObjectNotFound:
            found.append(False)
    return found


OLD = ["hls/240p/seg_00001.m4s", "hls/240p/index.m3u8", "hls/master.m3u8"]
NEW = ["hls/a1/240p/seg_00001.m4s", "hls/a1/240p/index.m3u8", "hls/master.m3u8"]
NEWER = ["hls/b2/240p/seg_00001.m4s", "hls/b2/240p/index.m3u8", "hls/master.m3u8"]


async def test_a_package_replacing_a_live_one_keeps_it_until_the_next(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects", "media")
    media_id = str(uuid.uuid4())
    outputs = ItemOutputs(store, media_id)
    await outputs.publish(tmp_path, package(tmp_path, OLD))

    await outputs.publish(tmp_path, package(tmp_path, NEW), keep_live=True)
    # Viewers who loaded the old playlists still find its segments.
    assert await stored(store, media_id, [*OLD, *NEW]) == [True] * 6
    manifest = await outputs.recorded()
    assert set(manifest.live) == {outputs.key(name) for name in NEW}
    assert set(manifest.keys) == {outputs.key(name) for name in {*OLD, *NEW}}

    await outputs.publish(tmp_path, package(tmp_path, NEWER), keep_live=True)
    assert await stored(store, media_id, OLD[:2]) == [False, False]
    assert await stored(store, media_id, [*NEW, *NEWER]) == [True] * 6

    # Without keep_live (a first transcode's attempts) what the package lacks goes at once.
    await outputs.publish(tmp_path, package(tmp_path, OLD))
    assert await stored(store, media_id, [*NEW[:2], *NEWER[:2]]) == [False] * 4
    assert set((await outputs.recorded()).keys) == {outputs.key(name) for name in OLD}


async def test_a_failed_replacement_removes_all_but_the_live_package(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects", "media")
    media_id = str(uuid.uuid4())
    outputs = ItemOutputs(store, media_id)
    await outputs.publish(tmp_path, package(tmp_path, OLD))
    # A refresh died halfway through its upload: its keys are recorded, not live.
    partial = outputs.key(NEW[0])
    await store.write(partial, single_chunk(b"x"))
    live = [outputs.key(name) for name in OLD]
    manifest = Manifest(keys=[*live, partial], live=live)
    await store.write(outputs.manifest_key, single_chunk(msgspec.json.encode(manifest)))

    assert await outputs.remove(keep_live=True) == 1
    assert await stored(store, media_id, [NEW[0], *OLD]) == [False, True, True, True]
    assert (await outputs.recorded()).live == sorted(live)

    assert await outputs.remove() == 3  # the item is deleted: everything goes
    assert await stored(store, media_id, [*OLD, MANIFEST_NAME]) == [False] * 4


async def test_a_manifest_written_as_a_list_counts_every_key_as_live(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects", "media")
    media_id = str(uuid.uuid4())
    outputs = ItemOutputs(store, media_id)
    await outputs.publish(tmp_path, package(tmp_path, OLD))
    legacy = sorted(outputs.key(name) for name in OLD)
    await store.write(outputs.manifest_key, single_chunk(msgspec.json.encode(legacy)))

    assert await outputs.recorded() == Manifest(keys=legacy, live=legacy)
    await outputs.publish(tmp_path, package(tmp_path, NEW), keep_live=True)
    assert await stored(store, media_id, OLD) == [True] * 3


async def test_on_s3_a_packages_outputs_go_in_one_request(
    tmp_path: Path, s3_server: S3Server | None, s3_endpoint: Any, fresh_buckets: tuple[str, str]
) -> None:
    """A replaced package's stale keys, and a removed package's outputs, are one
    DeleteObjects each (the manifest goes alone, after them), not one DeleteObject a key."""
    if s3_server is None:
        skip_or_fail("counts requests in moto's access log (STREAMSTACK_TEST_S3_URL is set)")
    bucket = fresh_buckets[0]
    endpoint = s3_endpoint
    client = S3Client(
        endpoint.url, endpoint.access_key_id, endpoint.secret_access_key, endpoint.region
    )
    segments = [f"hls/240p/seg_{number:05d}.m4s" for number in range(12)]
    try:
        outputs = ItemOutputs(S3ObjectStore(client, bucket), str(uuid.uuid4()))
        await outputs.publish(tmp_path, package(tmp_path, [*segments, "hls/master.m3u8"]))
        await outputs.publish(tmp_path, package(tmp_path, NEW))  # the 12 segments go
        assert s3_server.requests(bucket)["DeleteObjects"] == 1
        assert await outputs.remove() == 3
    finally:
        await client.close()
    received = s3_server.requests(bucket)
    assert (received["DeleteObjects"], received["DeleteObject"]) == (2, 1)  # 1: the manifest


async def test_the_manifest_records_the_size_of_each_live_file(tmp_path: Path) -> None:
    """What the storage audit compares to find files cut short: the live package's sizes,
    as written (a kept older package is no longer live, and not sized)."""
    store = LocalObjectStore(tmp_path / "objects", "media")
    outputs = ItemOutputs(store, str(uuid.uuid4()))
    await outputs.publish(tmp_path, package(tmp_path, OLD))
    assert (await outputs.recorded()).sizes == {outputs.key(name): len(name) for name in OLD}

    await outputs.publish(tmp_path, package(tmp_path, NEW), keep_live=True)
    assert (await outputs.recorded()).sizes == {outputs.key(name): len(name) for name in NEW}
