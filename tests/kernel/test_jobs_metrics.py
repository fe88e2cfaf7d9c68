"""Job metrics: settled jobs by outcome, handler durations, and the backlog and the workers
seen, read at scrape."""

from __future__ import annotations

import asyncio
import time

from prometheus_client import REGISTRY

from streamstack.kernel.jobs import Job, QueueConfig, WorkerSeen
from streamstack.kernel.jobs.metrics import JOB_BACKLOG, JOB_WORKERS, track_backlog
from streamstack.kernel.jobs.worker import JobRejected, JobWorker
from streamstack.kernel.metrics import refresh_tracked_gauges, untrack_gauge
from support.job_queues import QueueFactory

FAST = QueueConfig(ack_wait=1.0, max_deliver=2, retry_delays=(0.0,))


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_workers_count_outcomes_and_time_handlers(make_queue: QueueFactory) -> None:
    queue = make_queue(FAST)

    async def handler(job: Job) -> None:
        if job.id == "bad":
            raise JobRejected("not a video")

    for job_id in ("a", "b", "bad"):
        await queue.enqueue(job_id, "thumbnail", b"")
    worker = JobWorker(queue, handler, concurrency=2, poll=0.2)
    await worker.start()
    for _ in range(400):
        stats = worker.stats()
        if stats.processed == 2 and stats.dead_lettered == 1:
            break
        await asyncio.sleep(0.05)
    await worker.stop()
    name = queue.name
    assert sample("streamstack_jobs_settled_total", queue=name, outcome="processed") == 2
    assert sample("streamstack_jobs_settled_total", queue=name, outcome="dead_lettered") == 1
    assert sample("streamstack_job_duration_seconds_count", queue=name, kind="thumbnail") == 3


async def test_the_backlog_is_read_at_each_scrape(make_queue: QueueFactory) -> None:
    queue = make_queue(FAST)
    track_backlog(queue)
    try:
        for job_id in ("x", "y", "z"):
            await queue.enqueue(job_id, "thumbnail", b"")
        consumer = await queue.consumer()
        held = await consumer.next(10.0)
        assert held is not None
        await refresh_tracked_gauges()
        name = queue.name
        assert sample("streamstack_job_backlog", queue=name, state="waiting") == 2
        assert sample("streamstack_job_backlog", queue=name, state="running") == 1
        await held.ack()
        await consumer.close()
    finally:
        untrack_gauge(JOB_WORKERS.labels(queue=queue.name))
        for state in ("waiting", "running"):
            untrack_gauge(JOB_BACKLOG.labels(queue=queue.name, state=state))


async def test_the_workers_seen_are_read_at_each_scrape(make_queue: QueueFactory) -> None:
    queue = make_queue(FAST)
    track_backlog(queue)
    try:
        await refresh_tracked_gauges()
        assert sample("streamstack_job_workers", queue=queue.name) == 0
        now = time.time()
        for worker_id in ("w-1", "w-2"):
            await queue.announce(WorkerSeen(worker_id, "host-a", 1, 1, 0, now, now))
        await refresh_tracked_gauges()
        assert sample("streamstack_job_workers", queue=queue.name) == 2
    finally:
        untrack_gauge(JOB_WORKERS.labels(queue=queue.name))
        for state in ("waiting", "running"):
            untrack_gauge(JOB_BACKLOG.labels(queue=queue.name, state=state))
