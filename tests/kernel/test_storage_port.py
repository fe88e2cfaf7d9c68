"""One suite for the object-store port, run against a local directory and a real S3 server."""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import errno
import hashlib
import io
import os
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.servers import S3Server, deletes_denied
from harness.tools import skip_or_fail
from streamstack.kernel import storage
from streamstack.kernel.storage import (
    DELETE_BATCH_KEYS,
    PART_BYTES,
    InvalidObjectKey,
    ListedObject,
    ObjectChanged,
    ObjectInfo,
    ObjectNotFound,
    ObjectsNotDeleted,
    ObjectStore,
    ObjectTooLarge,
    PartInfo,
    StorageError,
    StorageUnavailable,
    check_object_key,
    local,
    read_all,
    single_chunk,
)
from streamstack.kernel.storage import s3 as s3_adapter
from streamstack.kernel.storage.local import LocalObjectStore
from streamstack.kernel.storage.s3 import S3Client, S3ObjectStore, check_deleted

PAYLOAD = bytes(range(256)) * 4  # 1000+ bytes with every byte value


class Target:
    """The store under test plus a way to look behind it."""

    def __init__(
        self,
        store: ObjectStore,
        s3_client: Any | None,
        bucket: str,
        s3_server: S3Server | None = None,
    ) -> None:
        self.store = store
        self.s3_client = s3_client
        self.bucket = bucket
        self.s3_server = s3_server

    def requests(self) -> collections.Counter[str] | None:
        """The requests for the bucket that reached moto so far, by kind; None for the local
        directory, or an S3 server the session did not start (no log to read)."""
        return None if self.s3_server is None else self.s3_server.requests(self.bucket)

    def put_behind_the_store(self, key: str, data: bytes) -> None:
        """Store an object as another tool would, with a key the port may refuse."""
        if self.s3_client is None:
            path = Path(str(self.store.local_path("x"))).parent / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            return
        self.s3_client.put_object(Bucket=self.bucket, Key=key, Body=data)

    def pending_multipart_uploads(self) -> int:
        if self.s3_client is None:
            root = Path(str(self.store.local_path("x"))).parents[1]
            return len(list((root / ".multipart").iterdir()))
        r = self.s3_client.list_multipart_uploads(Bucket=self.bucket)
        return len(r.get("Uploads", []))


@pytest.fixture(params=["local", "s3"])
async def target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Target]:
    if request.param == "local":
        yield Target(LocalObjectStore(tmp_path / "objects", "media"), None, "media")
        return
    endpoint = request.getfixturevalue("s3_endpoint")
    media, _ = request.getfixturevalue("fresh_buckets")
    client = S3Client(
        endpoint.url, endpoint.access_key_id, endpoint.secret_access_key, endpoint.region
    )
    s3_client, s3_server = (
        request.getfixturevalue("s3_client"),
        request.getfixturevalue("s3_server"),
    )
    try:
        yield Target(S3ObjectStore(client, media), s3_client, media, s3_server)
    finally:
        await client.close()


async def chunks_of(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def test_write_head_and_read_back(target: Target) -> None:
    info = await target.store.write("a/video.mp4", chunks_of(PAYLOAD), content_type="video/mp4")
    assert info.size == len(PAYLOAD)
    head = await target.store.head("a/video.mp4")
    assert head.size == len(PAYLOAD)
    assert head.content_type == "video/mp4"
    assert head.etag == info.etag and head.etag.startswith('"')
    assert head.last_modified.tzinfo is not None
    assert await read_all(await target.store.read("a/video.mp4")) == PAYLOAD


@pytest.mark.parametrize(("start", "length"), [(0, 1), (0, 500), (500, None), (999, 1), (10, 5000)])
async def test_ranged_reads_return_exactly_the_slice(
    target: Target, start: int, length: int | None
) -> None:
    await target.store.write("r.bin", chunks_of(PAYLOAD[:1000]))
    body = await target.store.read("r.bin", start, length, chunk_size=64 * 1024)
    end = 1000 if length is None else min(1000, start + length)
    assert await read_all(body) == PAYLOAD[start:end]


async def test_if_match_guards_against_a_replaced_object(target: Target) -> None:
    first = await target.store.write("swap.bin", chunks_of(b"old" * 100))
    assert await read_all(await target.store.read("swap.bin", if_match=first.etag)) == b"old" * 100
    await target.store.write("swap.bin", chunks_of(b"new" * 101))
    with pytest.raises(ObjectChanged) as info:
        await target.store.read("swap.bin", 0, 10, if_match=first.etag)
    assert info.value.status == 412


async def test_missing_objects(target: Target) -> None:
    with pytest.raises(ObjectNotFound):
        await target.store.head("nope.mp4")
    with pytest.raises(ObjectNotFound):
        await target.store.read("nope.mp4")
    await target.store.delete("nope.mp4")  # deleting nothing is fine


async def test_delete_removes_the_object(target: Target) -> None:
    await target.store.write("del.bin", chunks_of(b"x"))
    await target.store.delete("del.bin")
    with pytest.raises(ObjectNotFound):
        await target.store.head("del.bin")


async def test_delete_many_deletes_every_key_a_batch_at_a_time(target: Target) -> None:
    """A list longer than one request's worth: every listed object goes, absent keys are
    fine, and S3 gets one DeleteObjects request per 1,000 keys, no DeleteObject."""
    assert DELETE_BATCH_KEYS == 1000  # S3's limit per DeleteObjects request
    keys = [f"many/{number:04d}.m4s" for number in range(DELETE_BATCH_KEYS + 1)]
    stored = [keys[0], keys[DELETE_BATCH_KEYS - 1], keys[DELETE_BATCH_KEYS]]  # both batches
    for key in [*stored, "kept.bin"]:
        await target.store.write(key, single_chunk(b"x"))
    before = target.requests()

    await target.store.delete_many(keys)
    assert [entry.key for entry in await listed(target.store)] == ["kept.bin"]
    if before is not None:
        sent = target.requests()
        assert sent is not None
        assert sent["DeleteObjects"] - before["DeleteObjects"] == 2
        assert sent["DeleteObject"] == before["DeleteObject"]
    await target.store.delete_many([])  # nothing to delete is fine too


async def test_delete_many_checks_every_key_before_deleting_any(target: Target) -> None:
    await target.store.write("a/kept.bin", single_chunk(b"x"))
    for bad in ESCAPES:
        with pytest.raises(InvalidObjectKey):
            await target.store.delete_many(["a/kept.bin", "a/absent.bin", bad])
    assert [entry.key for entry in await listed(target.store)] == ["a/kept.bin"]


@pytest.mark.parametrize("target", ["s3"], indirect=True)
async def test_delete_many_raises_for_a_key_the_store_refuses(target: Target) -> None:
    """S3 answers DeleteObjects with 200 and lists the keys it refused: the port raises,
    naming the first; the others are deleted. (A bucket policy denying the delete of one
    key is the refusal here; the local directory refuses no key the port accepts.)"""
    if target.s3_server is None:  # an S3 server's administrator may be above its policies
        skip_or_fail("needs moto, which applies a bucket policy to every caller")
    assert target.s3_client is not None
    for key in ("a/1.m4s", "locked/1.m4s", "z/2.m4s"):
        await target.store.write(key, single_chunk(b"x"))
    with (
        deletes_denied(target.s3_client, target.bucket, "locked/*"),
        pytest.raises(ObjectsNotDeleted) as info,
    ):
        await target.store.delete_many(["a/1.m4s", "locked/1.m4s", "z/2.m4s"])
    assert (info.value.key, info.value.reason, info.value.status) == (
        "locked/1.m4s",
        "AccessDenied",
        502,
    )
    assert [entry.key for entry in await listed(target.store)] == ["locked/1.m4s"]


@pytest.mark.parametrize("target", ["s3"], indirect=True)
async def test_a_refused_batch_is_logged_key_by_key(
    target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refusal in the second of two batches: the log names that batch's keys, all of
    them (any may be gone), the refused one and why; the first batch is gone unlogged."""
    if target.s3_server is None:
        skip_or_fail("needs moto, which applies a bucket policy to every caller")
    assert target.s3_client is not None
    recorder = structlog.testing.CapturingLogger()
    monkeypatch.setattr(storage, "deletion_log", lambda: recorder)
    keys = [f"a/{number:04d}.m4s" for number in range(DELETE_BATCH_KEYS)]
    second = ["locked/1.m4s", "z/2.m4s"]
    for key in (keys[0], *second):
        await target.store.write(key, single_chunk(b"x"))
    with (
        deletes_denied(target.s3_client, target.bucket, "locked/*"),
        pytest.raises(ObjectsNotDeleted),
    ):
        await target.store.delete_many([*keys, *second])

    failed = [call.kwargs for call in recorder.calls if call.args == ("storage.delete_failed",)]
    assert failed == [
        {
            "bucket": target.bucket,
            "keys": second,
            "count": 2,
            "error": "objects_not_deleted",
            "refused_key": "locked/1.m4s",
            "reason": "AccessDenied",
        }
    ]
    assert [entry.key for entry in await listed(target.store)] == ["locked/1.m4s"]


def test_a_delete_objects_answer_is_checked_key_by_key() -> None:
    """What DeleteObjects answers (with status 200) for keys it did not delete: a refusal
    is a 502 naming the first key, a busy S3 a 503, an absent key (which some S3-compatible
    stores report as NoSuchKey) no error."""
    error = {"Key": "a/1.m4s", "Code": "AccessDenied", "Message": "Access Denied"}
    check_deleted({"ResponseMetadata": {"HTTPStatusCode": 200}})
    check_deleted({"Errors": [{**error, "Code": "NoSuchKey"}]})
    with pytest.raises(ObjectsNotDeleted) as refused:
        check_deleted({"Errors": [{**error, "Code": "NoSuchKey"}, error, {**error, "Key": "b"}]})
    assert (refused.value.key, refused.value.reason, refused.value.status) == (
        "a/1.m4s",
        "AccessDenied",
        502,
    )
    assert "2 object(s)" in str(refused.value)
    with pytest.raises(StorageUnavailable) as busy:
        check_deleted({"Errors": [{**error, "Code": "SlowDown"}]})
    assert busy.value.status == 503


async def test_delete_objects_carries_a_content_md5(
    s3_endpoint: Any, fresh_buckets: tuple[str, str]
) -> None:
    """botocore checksums DeleteObjects' body with CRC32 only, which some S3-compatible
    stores (older MinIO releases …) refuse: the adapter adds the body's Content-MD5 and
    keeps the CRC32."""
    endpoint = s3_endpoint
    client = S3Client(
        endpoint.url, endpoint.access_key_id, endpoint.secret_access_key, endpoint.region
    )
    sent: list[Any] = []
    try:
        events = (await client.get()).meta.events
        events.register("before-send.s3.DeleteObjects", lambda request, **_: sent.append(request))
        await S3ObjectStore(client, fresh_buckets[0]).delete_many(["a.bin", "b/c.bin"])
    finally:
        await client.close()
    [request] = sent
    md5 = base64.b64encode(hashlib.md5(request.body, usedforsecurity=False).digest())
    assert request.headers["Content-MD5"] == md5
    assert "x-amz-checksum-crc32" in request.headers
    assert b"<Quiet>true</Quiet>" in request.body


async def test_large_write_goes_multipart_and_round_trips(target: Target) -> None:
    data = os.urandom(2 * PART_BYTES + 12345)
    info = await target.store.write("big.bin", chunks_of(data, 1024 * 1024))
    assert info.size == len(data)
    assert await read_all(await target.store.read("big.bin", chunk_size=1024 * 1024)) == data
    tail = await read_all(await target.store.read("big.bin", PART_BYTES - 10, 20))
    assert tail == data[PART_BYTES - 10 : PART_BYTES + 10]
    assert target.pending_multipart_uploads() == 0


async def test_size_limit_keeps_nothing(target: Target) -> None:
    data = b"z" * (PART_BYTES + 1024 * 1024)
    with pytest.raises(ObjectTooLarge) as info:
        await target.store.write(
            "toolarge.bin", chunks_of(data, 1024 * 1024), max_bytes=PART_BYTES + 10
        )
    assert info.value.status == 413
    with pytest.raises(ObjectNotFound):
        await target.store.head("toolarge.bin")
    assert target.pending_multipart_uploads() == 0


async def test_a_failing_source_keeps_nothing(target: Target) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"a" * PART_BYTES
        yield b"b" * 1024
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await target.store.write("broken.bin", broken())
    with pytest.raises(ObjectNotFound):
        await target.store.head("broken.bin")
    assert target.pending_multipart_uploads() == 0


async def test_multipart_api(target: Target) -> None:
    store = target.store
    upload_id = await store.start_multipart("parts.bin", "video/webm")
    first = await store.put_part("parts.bin", upload_id, 1, b"1" * (5 * 1024 * 1024))
    second = await store.put_part("parts.bin", upload_id, 2, b"2" * 100)
    listed = await store.list_parts("parts.bin", upload_id)
    assert [(p.number, p.size) for p in listed] == [(1, 5 * 1024 * 1024), (2, 100)]
    info = await store.complete_multipart("parts.bin", upload_id, [first, second])
    assert info.size == 5 * 1024 * 1024 + 100
    assert info.content_type == "video/webm"
    assert await read_all(await store.read("parts.bin", 5 * 1024 * 1024 - 1, 3)) == b"122"
    assert target.pending_multipart_uploads() == 0


async def test_a_completion_sent_again_after_a_refused_one_finishes(target: Target) -> None:
    """A part list naming a part the store does not hold is refused (S3's ``InvalidPart``)
    and keeps every part; sent again right, the completion gives the bytes and the ETag of
    one never refused, though the local directory had joined the first part meanwhile."""
    store = target.store
    data = [b"1" * (5 * 1024 * 1024), b"2" * (5 * 1024 * 1024), b"3" * 100]

    async def upload(key: str) -> tuple[str, list[PartInfo]]:
        upload_id = await store.start_multipart(key, "video/mp4")
        return upload_id, [
            await store.put_part(key, upload_id, n, d) for n, d in enumerate(data, 1)
        ]

    clean_id, clean_parts = await upload("clean.mp4")
    clean = await store.complete_multipart("clean.mp4", clean_id, clean_parts)
    upload_id, parts = await upload("resent.mp4")
    wrong = [parts[0], PartInfo(2, parts[1].size, parts[2].etag), parts[2]]
    with pytest.raises(StorageError):
        await store.complete_multipart("resent.mp4", upload_id, wrong)
    assert await store.list_parts("resent.mp4", upload_id) == parts
    info = await store.complete_multipart("resent.mp4", upload_id, parts)
    assert (info.size, info.etag) == (clean.size, clean.etag)
    assert await read_all(await store.read("resent.mp4")) == b"".join(data)
    assert target.pending_multipart_uploads() == 0


async def test_abort_multipart(target: Target) -> None:
    store = target.store
    upload_id = await store.start_multipart("aborted.bin", "video/mp4")
    await store.put_part("aborted.bin", upload_id, 1, b"x" * 10)
    await store.abort_multipart("aborted.bin", upload_id)
    with pytest.raises(ObjectNotFound):
        await store.list_parts("aborted.bin", upload_id)
    assert target.pending_multipart_uploads() == 0
    await store.abort_multipart("aborted.bin", upload_id)  # twice is fine


async def test_free_space_is_the_disks_or_unknown(target: Target) -> None:
    """A local directory says how much its file system can still take (what ``df`` calls
    available); an S3 bucket cannot say."""
    before = await target.store.free_bytes()
    if target.s3_client is not None:
        assert before is None
        return
    root = Path(str(target.store.local_path("x"))).parent
    disk = os.statvfs(root)
    # Other test workers write to the same disk between the two readings; 64 MiB is far
    # less than what root's reserve (free but not available) or the disk's size differ by.
    assert before == pytest.approx(disk.f_bavail * disk.f_frsize, abs=64 * 2**20)


async def listed(store: ObjectStore, prefix: str = "") -> list[ListedObject]:
    return [entry async for entry in store.objects(prefix)]


async def test_an_empty_bucket_lists_nothing(target: Target) -> None:
    assert await listed(target.store) == []
    assert await listed(target.store, "a/") == []


async def test_a_listing_names_every_object_in_key_order(target: Target) -> None:
    """Nested keys come back whole, sorted as S3 sorts them (``a.b`` before ``a/…``: '.' is
    below '/'), with their sizes and times."""
    keys = ["b.bin", "a/x/y/deep.m4s", "a.b", "a/1.ts", "ab", "a-b/c"]
    for number, key in enumerate(keys):
        await target.store.write(key, single_chunk(b"x" * number))
    entries = await listed(target.store)
    assert [entry.key for entry in entries] == sorted(keys)
    assert {entry.key: entry.size for entry in entries} == {k: n for n, k in enumerate(keys)}
    head = await target.store.head("a/x/y/deep.m4s")
    deep = next(entry for entry in entries if entry.key == "a/x/y/deep.m4s")
    assert abs((deep.last_modified - head.last_modified).total_seconds()) < 2


async def test_a_prefix_narrows_the_listing(target: Target) -> None:
    for key in ("a/1", "a/2/3", "ab", "abc/d", "b/1"):
        await target.store.write(key, single_chunk(b"x"))

    async def keys(prefix: str) -> list[str]:
        return [entry.key for entry in await listed(target.store, prefix)]

    assert await keys("a/") == ["a/1", "a/2/3"]
    assert await keys("a") == ["a/1", "a/2/3", "ab", "abc/d"]
    assert await keys("a/2") == ["a/2/3"]
    assert await keys("ab") == ["ab", "abc/d"]
    assert await keys("zz") == []
    for bad in ("../", "/a", "a//", ".meta/"):
        with pytest.raises(InvalidObjectKey):
            target.store.objects(bad)


async def test_a_listing_pages_through_many_keys(
    target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three keys a page: 25 objects take nine ListObjectsV2 calls on S3.
    monkeypatch.setattr(s3_adapter, "LIST_PAGE_KEYS", 3)
    keys = sorted(f"many/{number:03d}.bin" for number in range(25))
    for key in keys:
        await target.store.write(key, single_chunk(b"x"))
    assert [entry.key for entry in await listed(target.store)] == keys
    assert [entry.key for entry in await listed(target.store, "many/01")] == keys[10:20]


async def test_a_listing_names_keys_as_the_store_holds_them(target: Target) -> None:
    """Keys of every character the port allows, and ones another tool stored that it
    refuses (spaces, accents), are named as they are."""
    allowed = "0_Odd-Name.v2/A.b-c_D.9"
    await target.store.write(allowed, single_chunk(b"ok"))
    target.put_behind_the_store("dropped in/vidéo 1.mp4", b"abc")
    entries = await listed(target.store)
    assert [(e.key, e.size) for e in entries] == [(allowed, 2), ("dropped in/vidéo 1.mp4", 3)]


async def test_a_listing_names_no_unfinished_or_internal_file(target: Target) -> None:
    """An unfinished multipart upload, a failed write and the local store's metadata are
    no objects."""
    await target.store.write("kept.bin", single_chunk(b"x"))
    upload_id = await target.store.start_multipart("pending.bin", "video/mp4")
    await target.store.put_part("pending.bin", upload_id, 1, b"y" * 10)
    with pytest.raises(ObjectTooLarge):
        await target.store.write("too-big.bin", single_chunk(b"z" * 100), max_bytes=10)
    assert [entry.key for entry in await listed(target.store)] == ["kept.bin"]
    await target.store.delete("kept.bin")
    assert await listed(target.store) == []


async def test_closing_a_body_early_is_clean(target: Target) -> None:
    await target.store.write("early.bin", chunks_of(os.urandom(512 * 1024)))
    for _ in range(20):
        body = await target.store.read("early.bin", chunk_size=64 * 1024)
        async for _chunk in body:
            break
        await body.aclose()
    assert len(await read_all(await target.store.read("early.bin", 0, 10))) == 10


ESCAPES = [
    "../x",
    "a/../../x",
    "/etc/passwd",
    "a//b",
    "./a",
    "a/./b",
    "a\\b",
    "a\x00b",
    "",
    ".hidden",
    "a/",
]


def every_keyed_call(store: ObjectStore, key: str) -> list[Callable[[], Awaitable[object]]]:
    """Each of the port's methods that take a key, called with ``key``."""

    async def local_path() -> object:
        return store.local_path(key)

    part = PartInfo(1, 1, '"x"')
    return [
        lambda: store.head(key),
        lambda: store.read(key),
        lambda: store.read(key, 10, 20, if_match='"x"', chunk_size=1024, zero_copy=True),
        lambda: store.write(key, chunks_of(b"x")),
        lambda: store.delete(key),
        lambda: store.delete_many(["ok.bin", key]),
        lambda: store.start_multipart(key, "video/mp4"),
        lambda: store.put_part(key, "upload", 1, b"x"),
        lambda: store.list_parts(key, "upload"),
        lambda: store.complete_multipart(key, "upload", [part]),
        lambda: store.abort_multipart(key, "upload"),
        lambda: store.presigned_get(key, 60),
        local_path,
    ]


@pytest.mark.parametrize("key", ESCAPES)
async def test_keys_cannot_escape_the_bucket(target: Target, key: str) -> None:
    """The port checks the key before the adapter sees it: every call with a bad key is
    refused, and nothing (no object, no upload) is left behind."""
    for call in every_keyed_call(target.store, key):
        with pytest.raises(InvalidObjectKey):
            await call()
    assert target.pending_multipart_uploads() == 0


async def test_a_bad_key_is_refused_before_the_store_is_asked() -> None:
    """Even with S3 unreachable, a bad key is a 400 (InvalidObjectKey), not a 503."""
    client = S3Client("http://127.0.0.1:9", "k", "s", "us-east-1", timeout_seconds=1)
    try:
        for call in every_keyed_call(S3ObjectStore(client, "media"), "../x"):
            with pytest.raises(InvalidObjectKey) as info:
                await call()
            assert info.value.status == 400
    finally:
        await client.close()


@given(key=st.text(max_size=60))
def test_check_object_key_never_accepts_a_path_escape(key: str) -> None:
    try:
        check_object_key(key)
    except InvalidObjectKey:
        return
    parts = key.split("/")
    assert all(p and p not in (".", "..") and not p.startswith(".") for p in parts)
    assert "\\" not in key and "\x00" not in key and not key.startswith("/")


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(start=st.integers(0, 1200), length=st.one_of(st.none(), st.integers(1, 1200)))
async def test_any_range_matches_slicing(target: Target, start: int, length: int | None) -> None:
    key = "hyp.bin"
    try:
        await target.store.head(key)
    except ObjectNotFound:
        await target.store.write(key, chunks_of(PAYLOAD[:1000]))
    if start >= 1000:
        return  # beyond the end is the caller's 416, not a read
    body = await target.store.read(key, start, length, chunk_size=64 * 1024)
    end = 1000 if length is None else min(1000, start + length)
    assert await read_all(body) == PAYLOAD[start:end]


def test_local_store_refuses_a_symlink_out_of_the_bucket(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects", "media")
    (tmp_path / "secret.txt").write_text("secret")
    (tmp_path / "objects" / "media" / "link.mp4").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(InvalidObjectKey):
        store.local_path("link.mp4")


async def test_the_local_store_leaves_no_empty_folders_behind(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects", "media")
    for key in ("item/hls/240p/seg_1.m4s", "item/hls/240p/seg_2.m4s", "item/original.mp4"):
        await store.write(key, single_chunk(b"x"))
    bucket, meta = tmp_path / "objects" / "media", tmp_path / "objects" / ".meta" / "media"

    await store.delete("item/hls/240p/seg_1.m4s")
    assert (bucket / "item/hls/240p").is_dir()  # a file is left in it
    await store.delete("item/hls/240p/seg_2.m4s")
    assert not (bucket / "item/hls").exists() and not (meta / "item/hls").exists()
    assert (bucket / "item").is_dir()
    await store.delete("item/original.mp4")
    assert not (bucket / "item").exists() and not (meta / "item").exists()
    assert bucket.is_dir() and meta.is_dir()  # never the bucket itself
    await store.write("item/again.mp4", single_chunk(b"y"))
    assert await read_all(await store.read("item/again.mp4")) == b"y"


async def test_a_local_write_outlasts_deletes_emptying_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A take-down beside a write removes the folders it empties, as often as it finds one
    empty: here the write's new folder goes, between its making and the rename, three
    times in a row (the CI run that failed saw it go twice)."""
    store = LocalObjectStore(tmp_path / "objects", "media")
    folder = tmp_path / "objects" / "media" / "item" / "captions"
    written_meta = local.write_private
    removals = []

    def meta_then_folder_gone(path: Path, data: bytes) -> None:
        written_meta(path, data)
        if len(removals) < 3:
            removals.append(folder)
            folder.rmdir()  # empty until the rename: what a delete beside it removes

    monkeypatch.setattr(local, "write_private", meta_then_folder_gone)
    await store.write("item/captions/en.vtt", single_chunk(b"WEBVTT\n"))

    assert len(removals) == 3
    assert await read_all(await store.read("item/captions/en.vtt")) == b"WEBVTT\n"


async def test_the_local_store_deletes_many_with_their_metadata(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects", "media")
    keys = ["item/hls/240p/seg_1.m4s", "item/hls/240p/seg_2.m4s", "item/original.mp4"]
    for key in keys:
        await store.write(key, single_chunk(b"x"))
    bucket, meta = tmp_path / "objects" / "media", tmp_path / "objects" / ".meta" / "media"
    assert len(list(meta.rglob("*.json"))) == 3

    await store.delete_many([*keys, "item/absent.vtt"])
    assert list(bucket.iterdir()) == [] and list(meta.iterdir()) == []


#: Files of the local take-down tests below: a few HLS rungs' worth of segments.
MANY_FILES = 300


async def stored_segments(store: ObjectStore) -> list[str]:
    """``MANY_FILES`` small objects in three folders, as an item's HLS package is."""
    keys = [f"item/hls/{number % 3}/seg_{number:05d}.m4s" for number in range(MANY_FILES)]
    for key in keys:
        await store.write(key, single_chunk(b"segment"))
    return keys


async def test_the_local_store_deletes_many_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A take-down of many files on the local directory leaves the loop free: a coroutine
    beside it keeps running, and the files go in one worker-thread hop, not one each."""
    store = LocalObjectStore(tmp_path / "objects", "media")
    keys = await stored_segments(store)
    hops = 0
    to_thread = asyncio.to_thread

    async def counted_hop(*args: Any, **kwargs: Any) -> Any:
        nonlocal hops
        hops += 1
        return await to_thread(*args, **kwargs)

    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0)  # the ticker has started
    monkeypatch.setattr(asyncio, "to_thread", counted_hop)
    ticks = 0
    try:
        await store.delete_many(keys)
    finally:
        monkeypatch.undo()
        ticker.cancel()
    # Deleting on the loop would give the ticker no turn at all (0), whatever the speed.
    assert ticks > 0
    assert hops == 1
    assert await listed(store) == []
    assert list((tmp_path / "objects" / ".meta" / "media").iterdir()) == []


async def test_reads_racing_a_local_delete_find_the_objects_gone_after_it(
    tmp_path: Path,
) -> None:
    """Reads while the worker thread deletes may see an object or not; once the delete is
    over, every read finds it absent and no cache keeps it (a map would keep a deleted
    file's disk space)."""
    store = LocalObjectStore(tmp_path / "objects", "media")
    keys = await stored_segments(store)
    for key in keys[:10]:  # cached head answers and maps before the delete
        await read_all(await store.read(key, zero_copy=True))
    deleting = asyncio.create_task(store.delete_many(keys))
    raced = 0
    while not deleting.done():  # the last keys go last: read them first
        key = keys[-1 - raced % len(keys)]
        with contextlib.suppress(ObjectNotFound):
            await read_all(await store.read(key, zero_copy=True))
        raced += 1
        await asyncio.sleep(0)  # a read of a cached file never waits: let the thread finish
    await deleting
    assert raced > 0
    # Asked before any read below, which would itself drop what it finds gone.
    assert not [key for key in keys if key in store._maps or key in store._infos]
    for key in keys:
        with pytest.raises(ObjectNotFound):
            await store.head(key)
        with pytest.raises(ObjectNotFound):
            await store.read(key, zero_copy=True)


async def test_a_read_that_opened_a_file_before_its_delete_caches_nothing_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race above, made certain: a read opens its file, then waits for the file's
    metadata while a whole delete runs; it still answers (its file is open), but neither
    the ``head`` answer nor a map of the deleted file stays cached."""
    writer = LocalObjectStore(tmp_path / "objects", "media")
    await writer.write("item/hls/0/seg.m4s", single_chunk(b"segment"))
    store = LocalObjectStore(tmp_path / "objects", "media")  # nothing cached yet
    entered, release = threading.Event(), threading.Event()
    describe = store._describe

    def slow_describe(key: str, stat: os.stat_result) -> ObjectInfo:
        entered.set()
        release.wait(10)
        return describe(key, stat)

    monkeypatch.setattr(store, "_describe", slow_describe)
    reading = asyncio.create_task(store.read("item/hls/0/seg.m4s", zero_copy=True))
    assert await asyncio.to_thread(entered.wait, 10)
    await store.delete_many(["item/hls/0/seg.m4s"])
    release.set()
    assert await read_all(await reading) == b"segment"
    assert "item/hls/0/seg.m4s" not in store._maps and not store._infos
    with pytest.raises(ObjectNotFound):
        await store.head("item/hls/0/seg.m4s")


class _FullDisk(io.RawIOBase):
    """A file whose every write finds the disk full."""

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


async def test_a_full_disk_is_a_503_and_keeps_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not a 500: an upload may resume once space is freed.
    store = LocalObjectStore(tmp_path / "objects", "media")
    monkeypatch.setattr(local, "open_private", lambda path: _FullDisk())
    with pytest.raises(StorageUnavailable, match="disk is full"):
        await store.write("clip.mp4", single_chunk(b"x" * 100))
    upload_id = await store.start_multipart("big.mp4", "video/mp4")
    monkeypatch.setattr(local, "write_private", lambda path, data: _FullDisk().write(data))
    with pytest.raises(StorageUnavailable, match="disk is full"):
        await store.put_part("big.mp4", upload_id, 1, b"y" * 100)
    with pytest.raises(StorageUnavailable, match="disk is full"):
        await store.start_multipart("other.mp4", "video/mp4")
    assert not list((tmp_path / "objects" / "media").rglob("*.mp4"))


async def test_unreachable_s3_is_a_503(tmp_path: Path) -> None:
    client = S3Client("http://127.0.0.1:9", "k", "s", "us-east-1", timeout_seconds=1)
    store = S3ObjectStore(client, "media")
    try:
        with pytest.raises(StorageUnavailable) as info:
            await store.head("a.mp4")
        assert info.value.status == 503
        with pytest.raises(StorageUnavailable):
            await listed(store)
    finally:
        await client.close()


async def test_delete_many_of_an_unreachable_s3_is_a_503() -> None:
    # Its first call: the 503 is its own failed request's, not the breaker's that opened.
    client = S3Client("http://127.0.0.1:9", "k", "s", "us-east-1", timeout_seconds=1)
    try:
        with pytest.raises(StorageUnavailable, match="unreachable") as info:
            await S3ObjectStore(client, "media").delete_many(["a.mp4", "b.mp4"])
        assert info.value.status == 503
        assert client.breaker.is_open  # the calls after it fail at once
    finally:
        await client.close()


async def test_a_listing_of_a_missing_bucket_directory_is_a_503(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects", "media")
    (tmp_path / "objects" / "media").rmdir()
    with pytest.raises(StorageUnavailable):
        await listed(store)
