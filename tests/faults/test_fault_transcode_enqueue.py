"""The job queue is away when an upload is registered, then comes back.

The upload still succeeds and its item says ``queued``; ingest keeps the job it could not
queue (unsent in its outbox ``ingest_outbox``, counted by ``streamstack_ingest_unqueued_jobs``
on ``/metrics``), and its relay task queues it once the queue answers again, in the same
process or, after a restart, in the next one. The item is then transcoded without a new
upload, by exactly one run of the transcoding handler.

The queue goes away while the upload's body is on its way, after the request was
authenticated (in production that reads NATS KV, so NATS must be up when it starts):
NATS is stopped (a server of the test's own), or, embedded, another connection holds the
queue's SQLite file locked, so the queue's writes time out.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
from fault_rig import admin_headers, form_headers, form_parts, production_settings, small_mp4
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from harness.servers import NatsServer
from harness.tools import skip_or_fail
from streamstack.ingest.models import IngestOutboxRow, Upload
from streamstack.kernel.db import Database
from streamstack.kernel.jobs import embedded as embedded_jobs
from streamstack.kernel.nats import NatsConnection
from streamstack.settings import Settings
from support.apps import make_settings, running_app
from support.waiting import eventually

pytestmark = pytest.mark.slow

FAST = {"transcode_preset": "ultrafast", "transcode_segment_seconds": 1.0}
TRANSCODE_SECONDS = 120.0


class QueueOutage(Protocol):
    """The job queue stops answering, and answers again."""

    async def begin(self) -> None: ...

    async def end(self) -> None: ...


class NatsDown:
    """The NATS server stops (it keeps its streams on disk) and starts again (a no-op
    when it runs)."""

    def __init__(self, server: NatsServer) -> None:
        self.server = server

    async def begin(self) -> None:
        await self.server.astop()

    async def end(self) -> None:
        await self.server.astart()


class QueueFileLocked:
    """Another connection holds the embedded queue's SQLite file locked for writing, until
    :meth:`end` (a no-op when it does not)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.holder: sqlite3.Connection | None = None

    async def begin(self) -> None:
        holder = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        await asyncio.to_thread(holder.execute, "BEGIN EXCLUSIVE")
        self.holder = holder

    async def end(self) -> None:
        holder, self.holder = self.holder, None
        if holder is not None:
            holder.execute("ROLLBACK")
            holder.close()


@contextlib.asynccontextmanager
async def answering_afterwards(outage: QueueOutage) -> AsyncIterator[None]:
    """Whatever the test does, the queue answers again after the block."""
    try:
        yield
    finally:
        await outage.end()


def settings_for(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """The app on ``backend``, with its own transcode queue and fast x264."""
    queue = f"media-{uuid.uuid4().hex[:12]}"
    if backend == "embedded":
        return make_settings("embedded", tmp_path / "data", transcode_queue=queue, **FAST)
    server: NatsServer | None = request.getfixturevalue("own_nats_server")
    if server is None:
        skip_or_fail("needs a NATS server the test can stop (STREAMSTACK_TEST_NATS_URL is set)")
    return production_settings(
        tmp_path / "data",
        database_url=request.getfixturevalue("fresh_database_url"),
        nats_url=server.url,
        s3=request.getfixturevalue("s3_endpoint"),
        buckets=request.getfixturevalue("fresh_buckets"),
        transcode_queue=queue,
        **FAST,
    )


def outage_of(backend: str, request: pytest.FixtureRequest, settings: Settings) -> QueueOutage:
    if backend == "embedded":
        # Each call on the locked file waits this long to give up: the first app's enqueue,
        # relay and job pulls, and its shut-down behind them (26 s at the production 10 s).
        request.getfixturevalue("monkeypatch").setattr(embedded_jobs, "BUSY_SECONDS", 2.0)
        return QueueFileLocked(settings.data_dir / "jobs" / "jobs.sqlite3")
    server: NatsServer = request.getfixturevalue("own_nats_server")
    return NatsDown(server)


async def upload_rows(database: Database) -> int:
    async with database.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(Upload)) or 0)


async def unqueued(database: Database) -> list[tuple[str, int]]:
    """``(job id, failed attempts)`` of the jobs ingest has not got into the queue."""
    async with database.unit_of_work() as session:
        rows = await session.execute(
            select(IngestOutboxRow.event_id, IngestOutboxRow.attempts).where(
                IngestOutboxRow.sent_at.is_(None)
            )
        )
        return [(job_id, attempts) for job_id, attempts in rows]


async def upload_while_the_queue_goes(
    client: httpx.AsyncClient, settings: Settings, database: Database, outage: QueueOutage
) -> dict[str, Any]:
    """A form upload whose body pauses once the app has taken the request (its upload row
    exists) until the queue is away; the registered item."""
    head, tail = form_parts("Queued while the queue was away")
    video = small_mp4()

    async def body() -> AsyncIterator[bytes]:
        yield head
        await eventually(lambda: upload_rows(database), "the upload's row")
        await outage.begin()
        yield video
        yield tail

    response = await client.post(
        "/api/v1/ingest/upload", content=body(), headers=form_headers(settings)
    )
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()
    return item


async def transcoded(client: httpx.AsyncClient, settings: Settings, media_id: str) -> list[str]:
    """Poll the item until it is ready or failed; the processing states seen on the way
    (an answer of 503, while NATS reconnects, is waited out)."""
    seen: list[str] = []
    async with asyncio.timeout(TRANSCODE_SECONDS):
        while not seen or seen[-1] not in ("ready", "failed"):
            response = await client.get(
                f"/api/v1/catalogue/{media_id}", headers=admin_headers(settings)
            )
            if response.status_code != 503:
                assert response.status_code == 200, response.text
                state = response.json()["processing_state"]
                if not seen or seen[-1] != state:
                    seen.append(state)
            await asyncio.sleep(0.1)
    return seen


async def unqueued_on_metrics(client: httpx.AsyncClient, count: int) -> None:
    """A scrape of ``/metrics`` sets ``streamstack_ingest_unqueued_jobs`` to ``count``.

    Scraped again until it does: a gauge whose read times out (SQLite busy under a loaded
    machine) keeps its last value for that scrape, as designed; the next scrape reads anew.
    """

    async def scraped() -> bool:
        assert (await client.get("/metrics")).status_code == 200
        return REGISTRY.get_sample_value("streamstack_ingest_unqueued_jobs") == count

    await eventually(scraped, f"a scrape reading {count} unqueued jobs", interval=0.5)


def handler_runs(queue: str) -> float:
    """How many times a transcoding handler ran for ``queue`` (in this process)."""
    labels = {"queue": queue, "kind": "transcode"}
    return REGISTRY.get_sample_value("streamstack_job_duration_seconds_count", labels) or 0.0


async def jobs_stored(settings: Settings) -> int:
    """How many jobs the queue ever stored (a duplicate id is dropped, not stored)."""
    queue = settings.transcode_queue
    if not settings.nats_url:
        path = settings.data_dir / "jobs" / "jobs.sqlite3"
        with contextlib.closing(sqlite3.connect(path)) as db:
            row = db.execute("SELECT count(*) FROM job_ids WHERE queue = ?", (queue,)).fetchone()
        return int(row[0])
    connection = NatsConnection(settings.nats_url)
    try:
        js = await connection.jetstream()
        return int((await js.stream_info(f"jobs-{queue}")).state.last_seq)
    finally:
        await connection.close()


@pytest.mark.parametrize(
    ("backend", "restart"),
    [("production", False), ("production", True), ("embedded", True)],
    ids=["production", "production-restarted", "embedded-restarted"],
)
async def test_a_job_the_queue_did_not_take_is_queued_once_it_is_back(
    backend: str, restart: bool, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings = settings_for(backend, request, tmp_path)
    outage = outage_of(backend, request, settings)
    # With a restart, the first process runs no worker: only the relay of the next one can
    # get the job to the queue (and the embedded worker would wait on the lock meanwhile).
    first = settings.replace(worker_in_process=not restart)
    async with answering_afterwards(outage):
        async with running_app(first) as client:
            database = client.app.state.backends.database
            item = await upload_while_the_queue_goes(client, settings, database, outage)
            assert (item["processing_state"], item["playable"]) == ("queued", True)
            owed = await unqueued(database)
            assert [job_id for job_id, _ in owed] == [item["id"]]
            assert all(attempts >= 1 for _, attempts in owed), owed
            await unqueued_on_metrics(client, 1)
            if not restart:
                await outage.end()
                seen = await transcoded(client, settings, item["id"])
                assert await unqueued(database) == []
                await unqueued_on_metrics(client, 0)
        if restart:
            await outage.end()
            async with running_app(settings.replace(worker_in_process=True)) as client:
                seen = await transcoded(client, settings, item["id"])
                assert await unqueued(client.app.state.backends.database) == []
                await unqueued_on_metrics(client, 0)

    assert seen[-1] == "ready", seen
    assert "queued" not in seen[1:], seen  # never queued again once it was processed
    assert handler_runs(settings.transcode_queue) == 1
    assert await jobs_stored(settings) == 1
