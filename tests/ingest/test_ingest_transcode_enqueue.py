"""Ingest keeps a transcoding job until the job queue took it, and never gives a worker the
same job twice. Both backends: the real queue (embedded SQLite, or JetStream) and database.

The outage itself (the queue not answering at upload time, then coming back, also across
a restart) is in tests/faults/test_fault_transcode_enqueue.py.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import pytest
import structlog
from sqlalchemy import select

from streamstack.ingest import jobs as ingest_jobs
from streamstack.ingest.jobs import (
    TRANSCODE_KIND,
    TranscodeJobs,
    TranscodeRequest,
    decode_request,
)
from streamstack.ingest.models import IngestOutboxRow
from streamstack.kernel.backends import Backends
from streamstack.kernel.jobs import Job, JobsUnavailable
from streamstack.kernel.outbox import OutboxRecords
from support.apps import migrate_for_app
from support.fixtures import SettingsFactory


@pytest.fixture
async def transcode_jobs(settings_factory: SettingsFactory) -> AsyncIterator[TranscodeJobs]:
    """The enqueueing side of ingest on the test's backends, with a queue of its own."""
    settings = settings_factory(modules=("ingest",))
    await migrate_for_app(settings)
    async with Backends(settings) as backends:
        queue = backends.jobs(f"media-{uuid.uuid4().hex[:12]}")
        yield TranscodeJobs(queue, backends.database)


def logged_warnings(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[str]]:
    """The events ingest's job module warns of from now on. Its logger is swapped for a
    recording one: once an app configured logging, loggers are cached, and structlog's
    ``capture_logs`` would miss them."""
    recorder = structlog.testing.CapturingLogger()
    monkeypatch.setattr(ingest_jobs, "log", recorder)
    return lambda: [call.args[0] for call in recorder.calls if call.method_name == "warning"]


def a_request() -> TranscodeRequest:
    media_id = str(uuid.uuid4())
    return TranscodeRequest(media_id, f"{media_id}.webm", demuxer="matroska", width=320)


async def recorded(jobs: TranscodeJobs) -> list[tuple[str, int]]:
    """``(job id, attempts)`` of the jobs ingest owes the queue (its outbox's unsent rows)."""
    async with jobs.outbox.records() as outbox:
        rows = await outbox.session.execute(
            select(IngestOutboxRow.event_id, IngestOutboxRow.attempts).where(
                IngestOutboxRow.sent_at.is_(None)
            )
        )
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
    assert await transcode_jobs.outbox.relay_once() is False
    assert await deliveries(transcode_jobs) == []
    assert await recorded(transcode_jobs) == [(request.media_id, 0)]

    await transcode_jobs.enqueue(request)

    assert await recorded(transcode_jobs) == []
    [job] = await deliveries(transcode_jobs)
    assert (job.id, job.kind, decode_request(job)) == (request.media_id, TRANSCODE_KIND, request)


async def test_a_job_the_queue_refused_is_relayed_at_once(
    transcode_jobs: TranscodeJobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refuse(subject: str, payload: bytes, *, event_id: str) -> None:
        raise JobsUnavailable("the job queue is not answering")

    request = a_request()
    await transcode_jobs.record(request)
    monkeypatch.setattr(transcode_jobs.outbox.sink, "publish", refuse)
    warnings = logged_warnings(monkeypatch)
    await transcode_jobs.enqueue(request)  # the upload goes on
    assert warnings() == ["transcode_enqueue_failed"]
    assert await recorded(transcode_jobs) == [(request.media_id, 1)]

    monkeypatch.undo()  # the queue answers again: the relay queues it, long before the grace
    assert await transcode_jobs.outbox.relay_once() is False
    assert await recorded(transcode_jobs) == []
    assert [job.id for job in await deliveries(transcode_jobs)] == [request.media_id]


async def test_a_job_queued_again_reaches_a_worker_once(
    transcode_jobs: TranscodeJobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The queue took the job, but its row could not be marked sent: the relay queues it
    # again, and the queue drops the repeat (job id = item uuid, within its dedupe window).
    async def unmarked(self: OutboxRecords, event_ids: object, now: object) -> None:
        raise ConnectionError("the database went away")

    request = a_request()
    await transcode_jobs.record(request)
    monkeypatch.setattr(OutboxRecords, "mark_sent", unmarked)
    warnings = logged_warnings(monkeypatch)
    await transcode_jobs.enqueue(request)
    monkeypatch.undo()
    assert warnings() == ["transcode_record_left"]
    assert await recorded(transcode_jobs) == [(request.media_id, 1)]
    assert [job.id for job in await deliveries(transcode_jobs)] == [request.media_id]

    assert await transcode_jobs.outbox.relay_once() is False
    assert await recorded(transcode_jobs) == []
    assert await deliveries(transcode_jobs) == []


async def test_a_forgotten_job_is_never_queued(transcode_jobs: TranscodeJobs) -> None:
    # Catalogue refused the item: the upload forgets its job.
    request = a_request()
    await transcode_jobs.record(request)
    await transcode_jobs.forget(request)
    assert await recorded(transcode_jobs) == []
    assert await transcode_jobs.outbox.relay_once() is False
    assert await deliveries(transcode_jobs) == []
