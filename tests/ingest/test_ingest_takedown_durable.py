"""The ``media.deleted`` consumer survives restarts and is idempotent (issue 13.9).

On NATS the subscription is durable: an event published while no ingest process ran is
delivered when one starts, and becomes a ``takedown`` job on a durable queue. The job
deletes the original, the thumbnail and every output under the prefix, and running it
again (a redelivery) finds nothing and succeeds.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from streamstack.contracts.catalogue import MEDIA_DELETED, MediaWithdrawn
from streamstack.contracts.streaming import caption_paths
from streamstack.ingest.outputs import ItemOutputs
from streamstack.ingest.takedown import (
    TAKEDOWN_KIND,
    TAKEDOWN_QUEUE_CONFIG,
    StoppedATranscode,
    TakedownHandler,
    takedown_events,
    takedown_queue_name,
)
from streamstack.kernel.backends import Backends
from streamstack.kernel.jobs import Job, JobQueue
from streamstack.kernel.jobs.worker import JobRejected, JobWorker
from streamstack.kernel.storage import ObjectNotFound, ObjectStore
from streamstack.settings import Settings
from support.apps import make_settings

PACKAGE = (
    "hls/master.m3u8",
    "hls/240p/index.m3u8",
    "hls/240p/seg_00001.m4s",
    "storyboard/storyboard.vtt",
    "storyboard/sheet_001.jpg",
)


def ingest_settings(tmp_path: Path, nats_url: str) -> Settings:
    """Local objects; the event bus and job queue on NATS (or embedded, without a URL)."""
    settings: Settings = make_settings(
        "embedded",
        tmp_path / "data",
        nats_url=nats_url,
        transcode_queue=f"media-{uuid.uuid4().hex[:12]}",
    )
    return settings


@pytest.fixture(params=["embedded", "nats"])
async def backends(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backends]:
    """Local objects, and the event bus and job queue embedded or on NATS."""
    nats_url = request.getfixturevalue("nats_url") if request.param == "nats" else ""
    async with Backends(ingest_settings(tmp_path, nats_url)) as running:
        yield running


def queue_of(backends: Backends) -> JobQueue:
    settings: Settings = backends.settings
    return backends.jobs(takedown_queue_name(settings.transcode_queue), TAKEDOWN_QUEUE_CONFIG)


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def stored_item(backends: Backends, tmp_path: Path) -> MediaWithdrawn:
    """An item's original, thumbnail and transcoder outputs, and its withdrawal."""
    media_id = str(uuid.uuid4())
    media = backends.objects(backends.settings.media_bucket)
    thumbnails = backends.objects(backends.settings.thumbnails_bucket)
    await media.write(f"{media_id}.webm", chunks(b"original"), content_type="video/webm")
    await thumbnails.write(f"{media_id}.jpg", chunks(b"jpeg"), content_type="image/jpeg")
    package = tmp_path / media_id
    for name in PACKAGE:
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_bytes(name.encode())
    await ItemOutputs(media, media_id).publish(package, PACKAGE)
    return MediaWithdrawn(
        id=media_id,
        object_prefix=f"{media_id}/",
        s3_key=f"{media_id}.webm",
        thumbnail_s3_key=f"{media_id}.jpg",
        withdrawn_at=datetime.now(UTC),
    )


async def exists(store: ObjectStore, key: str) -> bool:
    try:
        await store.head(key)
    except ObjectNotFound:
        return False
    return True


async def left_of(backends: Backends, item: MediaWithdrawn) -> list[str]:
    media = backends.objects(backends.settings.media_bucket)
    thumbnails = backends.objects(backends.settings.thumbnails_bucket)
    keys = [item.s3_key, f"{item.id}/outputs.json", *(f"{item.id}/{n}" for n in PACKAGE)]
    left = [key for key in keys if await exists(media, key)]
    if item.thumbnail_s3_key and await exists(thumbnails, item.thumbnail_s3_key):
        left.append(item.thumbnail_s3_key)
    return left


async def jobs_for(queue: JobQueue, media_id: str) -> list[Job]:
    """Take every queued job (acking it) until the queue stays empty for a second, having
    seen one for ``media_id``; the jobs for it. (On the session's NATS server a new durable
    subscription also gets earlier tests' deletions: idempotent jobs, other ids.)"""
    consumer = await queue.consumer()
    mine: list[Job] = []
    try:
        async with asyncio.timeout(30):
            while True:
                delivery = await consumer.next(wait=1.0)
                if delivery is None:
                    if mine:
                        return mine
                    continue
                await delivery.ack()
                if delivery.job.id == media_id:
                    mine.append(delivery.job)
    finally:
        await consumer.close()


def takedown_handler(backends: Backends, transcoding: JobWorker | None = None) -> TakedownHandler:
    """The takedown handler on the backends' media and thumbnails buckets."""
    return TakedownHandler(
        backends.objects(backends.settings.media_bucket),
        backends.objects(backends.settings.thumbnails_bucket),
        transcoding,
    )


async def test_the_job_deletes_every_object_and_may_run_again(
    backends: Backends, tmp_path: Path
) -> None:
    item = await stored_item(backends, tmp_path)
    assert len(await left_of(backends, item)) == 2 + 1 + len(PACKAGE)
    handler = takedown_handler(backends)
    job = Job(item.id, TAKEDOWN_KIND, msgspec.json.encode(item))

    await handler(job)
    assert await left_of(backends, item) == []
    await handler(job)  # a redelivery: nothing left, still a success
    assert await left_of(backends, item) == []


def lookalike(media_id: str) -> str:
    """Another uuid with the same first 35 characters: a prefix shorter than ``<uuid>/``
    would take its objects too."""
    return media_id[:-1] + ("0" if media_id[-1] != "0" else "1")


async def test_the_job_deletes_what_no_manifest_names_and_nothing_of_another_item(
    backends: Backends, tmp_path: Path
) -> None:
    item, other = await stored_item(backends, tmp_path), await stored_item(backends, tmp_path)
    media = backends.objects(backends.settings.media_bucket)
    # Written straight into the store, named by no manifest nor by the event (no captions).
    strays = [
        f"{item.id}/storyboard/x.jpg",
        f"{item.id}/hls/old/segment.ts",
        *(f"{item.id}/{path}" for path in caption_paths("en")),
    ]
    kept = [f"{lookalike(item.id)}/hls/segment.ts", f"{item.id}-old/hls/segment.ts"]
    for key in (*strays, *kept):
        await media.write(key, chunks(b"stray"), content_type="application/octet-stream")
    kept += [other.s3_key, f"{other.id}/outputs.json", *(f"{other.id}/{n}" for n in PACKAGE)]

    await takedown_handler(backends)(Job(item.id, TAKEDOWN_KIND, msgspec.json.encode(item)))
    assert await left_of(backends, item) == []
    assert [listed.key async for listed in media.objects(f"{item.id}/")] == []
    assert [key for key in kept if not await exists(media, key)] == []
    assert len(await left_of(backends, other)) == 2 + 1 + len(PACKAGE)


async def test_a_key_the_store_refuses_is_left_and_the_job_succeeds(
    backends: Backends, tmp_path: Path
) -> None:
    item = await stored_item(backends, tmp_path)
    bucket = backends.settings.data_dir / "objects" / backends.settings.media_bucket
    odd = bucket / item.id / "hls" / "odd name.ts"  # another tool's key: no port call takes it
    odd.write_bytes(b"odd")

    await takedown_handler(backends)(Job(item.id, TAKEDOWN_KIND, msgspec.json.encode(item)))
    assert await left_of(backends, item) == []
    assert odd.read_bytes() == b"odd"


async def test_a_job_naming_another_items_prefix_is_rejected(backends: Backends) -> None:
    handler = takedown_handler(backends)
    media_id = str(uuid.uuid4())
    for payload in (
        msgspec.json.encode(
            MediaWithdrawn(media_id, f"{uuid.uuid4()}/", f"{media_id}.mp4", None, datetime.now(UTC))
        ),
        msgspec.json.encode(
            MediaWithdrawn(media_id, f"{media_id}/", "../escape", None, datetime.now(UTC))
        ),
        b"not json",
    ):
        with pytest.raises(JobRejected):
            await handler(Job(media_id, TAKEDOWN_KIND, payload))


async def test_a_deletion_event_becomes_one_queued_job(backends: Backends, tmp_path: Path) -> None:
    queue = queue_of(backends)
    follower = takedown_events(backends.events, queue)
    await follower.follow()
    item = await stored_item(backends, tmp_path)
    payload = msgspec.json.encode(item)

    event_id = str(uuid.uuid4())
    await backends.events.publish(MEDIA_DELETED, payload, event_id=event_id)
    await backends.events.publish(MEDIA_DELETED, payload, event_id=str(uuid.uuid4()))

    jobs = await jobs_for(queue, item.id)
    await follower.stop()
    assert len(jobs) == 1  # the repeated event is the same job (its id is the item's)
    assert jobs[0].kind == TAKEDOWN_KIND
    assert msgspec.json.decode(jobs[0].payload, type=MediaWithdrawn) == item


async def test_an_event_published_while_no_ingest_runs_is_delivered_later(
    nats_url: str, tmp_path: Path
) -> None:
    settings = ingest_settings(tmp_path, nats_url)
    # The first ingest process ever: creates the durable subscription, then stops.
    async with Backends(settings) as first:
        follower = takedown_events(first.events, queue_of(first))
        await follower.follow()
        await follower.stop()
        item = await stored_item(first, tmp_path)
        await first.events.publish(  # catalogue deletes while no ingest runs
            MEDIA_DELETED, msgspec.json.encode(item), event_id=str(uuid.uuid4())
        )

    async with Backends(settings) as restarted:
        follower = takedown_events(restarted.events, queue_of(restarted))
        await follower.follow()
        jobs = await jobs_for(queue_of(restarted), item.id)
        await follower.stop()
    assert [job.id for job in jobs] == [item.id]


async def test_a_transcoding_job_running_here_is_stopped_and_cleaned_after(
    backends: Backends, tmp_path: Path
) -> None:
    item = await stored_item(backends, tmp_path)
    media = backends.objects(backends.settings.media_bucket)
    started, written_after = asyncio.Event(), f"{item.id}/hls/late.m4s"
    first_pass_over = asyncio.Event()

    async def transcoding(job: Job) -> None:  # stands in for a long transcode
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            # An upload in flight when it was stopped lands after all, and after the first
            # pass has listed the prefix: only the pass the queue runs again finds it.
            await first_pass_over.wait()
            late = tmp_path / "late" / "hls"
            late.mkdir(parents=True)
            (late / "late.m4s").write_bytes(b"late")
            await ItemOutputs(media, item.id).publish(late.parent, ["hls/late.m4s"])
            raise

    queue = backends.jobs(f"transcode-{uuid.uuid4().hex[:12]}")
    worker = JobWorker(queue, transcoding, name="transcode-stand-in", poll=0.1)
    await queue.enqueue(item.id, "transcode", b"{}")
    await worker.start()
    try:
        async with asyncio.timeout(15):
            await started.wait()
        handler = takedown_handler(backends, worker)
        job = Job(item.id, TAKEDOWN_KIND, msgspec.json.encode(item))

        with pytest.raises(StoppedATranscode):  # the queue runs it again shortly
            await handler(job)
        first_pass_over.set()
        async with asyncio.timeout(15):
            while worker.stats().cancelled < 1:
                await asyncio.sleep(0.05)
        assert await exists(media, written_after)
        await handler(job)
    finally:
        await worker.stop()

    assert await left_of(backends, item) == []
    assert not await exists(media, written_after)
