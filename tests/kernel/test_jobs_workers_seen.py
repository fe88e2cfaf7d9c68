"""Workers seen on a job queue (``announce``, ``withdraw``, ``workers``), on both adapters:
what lets an admin tell "nothing is taking jobs" from "busy"."""

from __future__ import annotations

import asyncio
import os
import socket
import time

import msgspec

from streamstack.kernel.jobs import Job, QueueConfig, WorkerSeen, workers_seen
from streamstack.kernel.jobs.worker import JobWorker
from support.job_queues import QueueFactory
from support.waiting import eventually

#: Announcements last 1.5 s: a worker announces every 0.5 s.
SHORT = QueueConfig(ack_wait=5.0, max_deliver=3, retry_delays=(0.0,), presence_ttl=1.5)


def seen(worker_id: str, *, running: int = 0, started: float | None = None) -> WorkerSeen:
    now = time.time()
    return WorkerSeen(worker_id, "host-a", 4242, 2, running, started or now, now)


async def test_an_announced_worker_is_listed_until_withdrawn(make_queue: QueueFactory) -> None:
    queue = make_queue(SHORT)
    assert await queue.workers() == []
    first, second = seen("w-first", started=time.time() - 60), seen("w-second", running=1)
    await queue.announce(second)
    await queue.announce(first)
    assert await queue.workers() == [first, second]  # the longest running first

    busier = seen("w-second", running=2, started=second.started)
    await queue.announce(busier)  # replaces its earlier record
    assert await queue.workers() == [first, busier]

    await queue.withdraw("w-first")
    await queue.withdraw("w-never-announced")
    assert await queue.workers() == [busier]
    # Another handle on the same queue (another process) sees the same.
    assert await make_queue(SHORT, name=queue.name).workers() == [busier]


async def test_a_worker_that_stops_announcing_ages_out(make_queue: QueueFactory) -> None:
    queue = make_queue(SHORT)
    await queue.announce(seen("w-killed"))
    assert [worker.id for worker in await queue.workers()] == ["w-killed"]

    async def gone() -> bool:
        return await queue.workers() == []

    await eventually(gone, "the record aged out", 6)


async def test_a_running_worker_announces_itself_and_how_busy_it_is(
    make_queue: QueueFactory,
) -> None:
    queue = make_queue(SHORT)
    release = asyncio.Event()

    async def handler(job: Job) -> None:
        await release.wait()

    worker = JobWorker(queue, handler, concurrency=3, poll=0.2)
    await worker.start()
    try:

        async def listed(running: int) -> bool:
            workers = await queue.workers()
            return len(workers) == 1 and workers[0].running == running

        await eventually(lambda: listed(0), "the worker listed, idle", 10)
        (record,) = await queue.workers()
        assert (record.host, record.pid, record.concurrency) == (
            socket.gethostname(),
            os.getpid(),
            3,
        )
        assert record.started <= record.seen <= time.time()

        await queue.enqueue("job-1", "transcode", b"")
        await eventually(lambda: listed(1), "the worker listed with its job running", 10)
        # Announcements go on while it runs (a record lasts 1.5 s).
        await asyncio.sleep(2.0)
        assert await listed(1)
        release.set()
        await eventually(lambda: listed(0), "the worker listed idle again", 10)
    finally:
        await worker.stop()
    assert await queue.workers() == []  # a graceful stop withdraws it at once


def test_a_record_of_another_shape_is_left_out() -> None:
    listed = seen("w-1")
    records = [b'{"id": "w-0", "host": "h"}', b"not json", msgspec.json.encode(listed)]
    assert workers_seen(records) == [listed]
