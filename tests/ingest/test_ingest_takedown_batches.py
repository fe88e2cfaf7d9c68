"""A take-down deletes an item's objects in batches: a handful of requests to S3 however
many objects the item has, and a batch holds only keys that are the item's to delete."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
import structlog

from harness.servers import S3Server, deletes_denied
from harness.tools import skip_or_fail
from streamstack.contracts.catalogue import MediaWithdrawn
from streamstack.ingest import takedown
from streamstack.ingest.processing import poster_key
from streamstack.ingest.takedown import TAKEDOWN_KIND, TakedownHandler
from streamstack.kernel import storage
from streamstack.kernel.jobs import Job
from streamstack.kernel.storage import (
    ListedObject,
    ObjectsNotDeleted,
    StorageUnavailable,
    single_chunk,
)
from streamstack.kernel.storage.local import LocalObjectStore
from streamstack.kernel.storage.s3 import S3Client, S3ObjectStore

#: Objects under the item's prefix: more than one batch of the take-down's (made 10 here).
UNDER_PREFIX = 25


def withdrawal(media_id: str) -> Job:
    """The take-down job of an item with an original, a thumbnail and a poster."""
    withdrawn = MediaWithdrawn(
        id=media_id,
        object_prefix=f"{media_id}/",
        s3_key=f"{media_id}.webm",
        thumbnail_s3_key=f"{media_id}.jpg",
        withdrawn_at=datetime.now(UTC),
    )
    return Job(media_id, TAKEDOWN_KIND, msgspec.json.encode(withdrawn))


def deletions(server: S3Server, bucket: str) -> tuple[int, int]:
    """``(DeleteObject, DeleteObjects)`` requests that reached the server for ``bucket``."""
    received = server.requests(bucket)
    return received["DeleteObject"], received["DeleteObjects"]


@dataclasses.dataclass(frozen=True)
class ItemInMoto:
    """An item stored in moto as ingest leaves it (its original, :data:`UNDER_PREFIX`
    objects under its prefix, its thumbnail and poster), and the port's stores on it."""

    server: S3Server
    s3_client: Any
    media_id: str
    under_prefix: list[str]
    media: S3ObjectStore
    thumbnails: S3ObjectStore


@pytest.fixture
async def item(
    s3_server: S3Server | None,
    s3_endpoint: Any,
    s3_client: Any,
    fresh_buckets: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[ItemInMoto]:
    """An :class:`ItemInMoto`, the take-down's batches made 10 keys (25 keys: three)."""
    if s3_server is None:
        skip_or_fail("reads moto's access log and bucket policies (STREAMSTACK_TEST_S3_URL set)")
    monkeypatch.setattr(takedown, "DELETE_BATCH_KEYS", 10)
    media_bucket, thumbnails_bucket = fresh_buckets
    media_id = str(uuid.uuid4())
    keys = [f"{media_id}/hls/240p/seg_{number:05d}.m4s" for number in range(UNDER_PREFIX)]
    for key in [*keys, f"{media_id}.webm"]:
        s3_client.put_object(Bucket=media_bucket, Key=key, Body=b"x")
    for key in (f"{media_id}.jpg", poster_key(media_id)):
        s3_client.put_object(Bucket=thumbnails_bucket, Key=key, Body=b"x")
    endpoint = s3_endpoint
    client = S3Client(
        endpoint.url, endpoint.access_key_id, endpoint.secret_access_key, endpoint.region
    )
    media, thumbnails = (
        S3ObjectStore(client, media_bucket),
        S3ObjectStore(client, thumbnails_bucket),
    )
    try:
        yield ItemInMoto(s3_server, s3_client, media_id, keys, media, thumbnails)
    finally:
        await client.close()


async def test_a_takedown_costs_one_request_a_batch_not_one_an_object(item: ItemInMoto) -> None:
    await TakedownHandler(item.media, item.thumbnails)(withdrawal(item.media_id))
    left = [entry async for entry in item.media.objects()]
    assert left + [entry async for entry in item.thumbnails.objects()] == []
    # One request per 10 listed keys (25: three, the original in the last), one for the
    # thumbnail and poster; one each would have been 26 and 2.
    assert deletions(item.server, item.media.bucket) == (0, 3)
    assert deletions(item.server, item.thumbnails.bucket) == (0, 1)


class PrefixIgnoringStore(LocalObjectStore):
    """A store whose listing ignores its prefix and names the whole bucket."""

    def _objects(self, prefix: str) -> AsyncIterator[ListedObject]:
        return super()._objects("")


async def test_a_batch_holds_only_the_items_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A listing that strays beyond the prefix costs no other item its objects (an error is
    logged), and a key the port refuses is left with a warning; the rest are deleted."""
    recorder = structlog.testing.CapturingLogger()
    monkeypatch.setattr(takedown, "log", recorder)
    media = PrefixIgnoringStore(tmp_path / "objects", "media")
    thumbnails = LocalObjectStore(tmp_path / "objects", "thumbnails")
    media_id, other = str(uuid.uuid4()), str(uuid.uuid4())
    for key in (f"{media_id}/hls/seg_1.m4s", f"{media_id}.webm", f"{other}/hls/seg_1.m4s"):
        await media.write(key, single_chunk(b"x"))
    odd = tmp_path / "objects" / "media" / media_id / "odd name.ts"  # another tool's key
    odd.write_bytes(b"odd")

    await TakedownHandler(media, thumbnails)(withdrawal(media_id))
    assert sorted([entry.key async for entry in media.objects()]) == sorted(
        [
            f"{other}/hls/seg_1.m4s",
            f"{media_id}/odd name.ts",
        ]
    )
    logged = [(call.method_name, call.args[0], call.kwargs.get("key")) for call in recorder.calls]
    assert ("error", "takedown.foreign_key_listed", f"{other}/hls/seg_1.m4s") in logged
    assert ("warning", "takedown.unusable_key_left", f"{media_id}/odd name.ts") in logged


def failed_batches(recorder: structlog.testing.CapturingLogger) -> list[dict[str, Any]]:
    """What each ``storage.delete_failed`` line said."""
    return [call.kwargs for call in recorder.calls if call.args == ("storage.delete_failed",)]


async def test_a_refused_batch_is_logged_key_by_key(
    item: ItemInMoto, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S3 refuses one key of the second batch: the take-down fails (to be retried) after
    logging every key that batch held, since any of them may be gone, and which key was
    refused and why."""
    recorder = structlog.testing.CapturingLogger()
    monkeypatch.setattr(storage, "deletion_log", lambda: recorder)
    media_bucket, media_id, keys = item.media.bucket, item.media_id, item.under_prefix
    refused = keys[13]
    with deletes_denied(item.s3_client, media_bucket, refused), pytest.raises(ObjectsNotDeleted):
        await TakedownHandler(item.media, item.thumbnails)(withdrawal(media_id))
    left = [entry.key async for entry in item.media.objects()]

    assert failed_batches(recorder) == [
        {
            "bucket": media_bucket,
            "keys": keys[10:20],
            "count": 10,
            "error": "objects_not_deleted",
            "refused_key": refused,
            "reason": "AccessDenied",
        }
    ]
    assert left == [f"{media_id}.webm", refused, *keys[20:]]  # for the retry to delete


async def test_a_batch_the_store_could_not_take_is_logged_key_by_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The thumbnails' store is down: the take-down fails (to be retried) after naming the
    keys it could not delete."""
    recorder = structlog.testing.CapturingLogger()
    monkeypatch.setattr(storage, "deletion_log", lambda: recorder)
    media = LocalObjectStore(tmp_path / "objects", "media")
    client = S3Client("http://127.0.0.1:9", "k", "s", "us-east-1", timeout_seconds=1)
    media_id = str(uuid.uuid4())
    try:
        handler = TakedownHandler(media, S3ObjectStore(client, "thumbnails"))
        with pytest.raises(StorageUnavailable):
            await handler(withdrawal(media_id))
    finally:
        await client.close()
    assert failed_batches(recorder) == [
        {
            "bucket": "thumbnails",
            "keys": [f"{media_id}.jpg", poster_key(media_id)],
            "count": 2,
            "error": "storage_unavailable",
        }
    ]
