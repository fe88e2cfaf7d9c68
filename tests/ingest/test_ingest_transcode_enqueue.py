"""Ingest keeps a transcoding job until the job queue took it, and never gives a worker the
same job twice. Both backends: the real queue (embedded SQLite, or JetStream) and database.

The outage itself (the queue not answering at upload time, then coming back, also across
a restart) is in tests/faults/test_fault_transcode_enqueue.py.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from streamstack.ingest.jobs import (
    TRANSCODE_KIND,
    TranscodeJobs,
    TranscodeRequest,
    decode_request,
)
from streamstack.ingest.models import UnqueuedJob
from streamstack.ingest.repository import UnqueuedJobs
from streamstack.kernel.backends import Backends
from streamstack.kernel.clock import utcnow
from streamstack.kernel.jobs import Job
from support.apps import migrate_for_app
from support.fixtures import SettingsFactory


@pytest.fixture
async def transcode_jobs(settings_factory: SettingsFactory) -> AsyncIterator[TranscodeJobs]:
    """The enqueueing side of ingest on the test's backends, with a queue of its own."""
    settings = settings_factory(modules=("ingest",))
    await migrate_for_app(settings)
    async with Backends(settings) as backends:
        queue = backends.jobs(f"media-{uuid.uuid4().hex[:12]}")
        yield TranscodeJobs(queue, UnqueuedJobs(backends.database))


def a_request() -> TranscodeRequest:
    media_id = str(uuid.uuid4())
    return TranscodeRequest(media_id, f"{media_id}.webm", demuxer="matroska", width=320)


async def recorded(jobs: TranscodeJobs) -> list[tuple[str, int]]:
    async with jobs.unqueued.database.unit_of_work() as session:
        rows = await session.execute(select(UnqueuedJob.id, UnqueuedJob.attempts))
        return [(job_id, attempts) for job_id, attempts in rows]


async def deliveries(jobs: TranscodeJobs) -> list[Job]:
    """Every job a worker gets from the queue now (each acked)."""
    consumer = await jobs.queue.consumer()
    taken: list[Job] = []
    try:
        while (delivery := await consumer.next(wait=1.0)) is not None:
            taken.append(delivery.job)
            await delivery.ack()
    finally:
        await consumer.close()
    return taken


async def test_a_recorded_job_is_left_to_its_upload_until_registration_had_time(
    transcode_jobs: TranscodeJobs,
) -> None:
    request = a_request()
    await transcode_jobs.record(request)
    # The item is being registered: the relay must not hand its job to a worker yet (it
    # would find no item and drop the job).
    assert await transcode_jobs.enqueue_due() is False
    assert await deliveries(transcode_jobs) == []
    assert await recorded(transcode_jobs) == [(request.media_id, 0)]

    await transcode_jobs.enqueue(request)

    assert await recorded(transcode_jobs) == []
    [job] = await deliveries(transcode_jobs)
    assert (job.id, job.kind, decode_request(job)) == (request.media_id, TRANSCODE_KIND, request)


async def test_a_job_queued_again_reaches_a_worker_once(transcode_jobs: TranscodeJobs) -> None:
    # The queue took the job and a worker did it, but the process died before it deleted
    # its record: the relay queues it again, and the queue drops the repeat (job id = item
    # uuid, within the queue's dedupe window).
    request = a_request()
    await transcode_jobs.record(request)
    await transcode_jobs.enqueue(request)
    assert [job.id for job in await deliveries(transcode_jobs)] == [request.media_id]
    left = Job(request.media_id, TRANSCODE_KIND, b"")
    await transcode_jobs.unqueued.add(left, utcnow() - datetime.timedelta(seconds=1))

    assert await transcode_jobs.enqueue_due() is False
    assert await recorded(transcode_jobs) == []
    assert await deliveries(transcode_jobs) == []


async def test_a_forgotten_job_is_never_queued(transcode_jobs: TranscodeJobs) -> None:
    # Catalogue refused the item: the upload forgets its job.
    request = a_request()
    await transcode_jobs.record(request)
    await transcode_jobs.forget(request)
    assert await recorded(transcode_jobs) == []
    assert await transcode_jobs.enqueue_due() is False
    assert await deliveries(transcode_jobs) == []
