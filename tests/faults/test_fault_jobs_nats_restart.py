"""NATS restarts while a job worker is busy, and while it is idle.

Mid-job: the handler is running when NATS restarts. The worker's heartbeats resume on
the healed connection, the job finishes after the restart and is acked exactly once: one
handler run, one ``+ACK`` on the wire (watched by a plain NATS subscriber on the stream's
ack subjects), no redelivery, and the stream is empty afterwards.

Ack during an outage: the job finishes while NATS is down; the worker keeps trying to ack
and the ack lands once NATS is back, with no redelivery.

Idle: the worker's pulls fail while NATS is down (``health()`` says so), and it picks up a
job enqueued after the restart without being restarted itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest
from fault_rig import restarted_on_exit

from harness.servers import NatsServer
from harness.tools import skip_or_fail
from streamstack.kernel.jobs import Job, QueueConfig
from streamstack.kernel.jobs.nats import CONSUMER, NatsJobQueue
from streamstack.kernel.jobs.worker import JobWorker
from streamstack.kernel.nats import NatsConnection
from support.waiting import eventually

pytestmark = pytest.mark.slow

#: The job outlives several ack waits after the restart: only heartbeats keep it.
CONFIG = QueueConfig(ack_wait=3.0, max_deliver=3, retry_delays=(0.0,))
RECOVERY_SECONDS = 30.0


@pytest.fixture
def nats_server(own_nats_server: NatsServer | None) -> NatsServer | None:
    """A NATS server of the test's own, not the session's (see ``own_nats_server``)."""
    return own_nats_server


@pytest.fixture
def nats_url(nats_server: NatsServer | None) -> str:
    """The URL of :func:`nats_server` (the session's external one if it is set)."""
    return nats_server.url if nats_server is not None else os.environ["STREAMSTACK_TEST_NATS_URL"]


@pytest.fixture
async def queue(nats_server: Any, nats_url: str) -> AsyncIterator[NatsJobQueue]:
    if nats_server is None:
        skip_or_fail("needs a NATS server the test can restart (STREAMSTACK_TEST_NATS_URL is set)")
    nats_server.start()  # no-op when running; heals after another fault test
    connection = NatsConnection(nats_url)
    yield NatsJobQueue(connection, f"fault-{uuid.uuid4().hex[:10]}", CONFIG)
    await connection.close()


@contextlib.asynccontextmanager
async def ack_watcher(nats_url: str, queue: NatsJobQueue) -> AsyncIterator[Counter[bytes]]:
    """Count every acknowledgement sent for the queue's consumer, by kind."""
    seen: Counter[bytes] = Counter()
    client = await nats.connect(nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)

    async def count(msg: Any) -> None:
        kind = msg.data.split(b" ", 1)[0] or b"+ACK"  # an empty body is an ack too
        seen[kind] += 1

    await client.subscribe(f"$JS.ACK.{queue.stream}.{CONSUMER}.>", cb=count)
    await client.flush()
    try:
        yield seen
    finally:
        await client.close()


async def test_nats_restarts_mid_job_and_the_job_is_acked_once(
    queue: NatsJobQueue, nats_server: Any, nats_url: str
) -> None:
    calls: Counter[str] = Counter()
    started, restarted = asyncio.Event(), asyncio.Event()

    async def handler(job: Job) -> None:
        calls[job.id] += 1
        started.set()
        await restarted.wait()
        await asyncio.sleep(3 * CONFIG.ack_wait)

    await queue.enqueue("survivor", "transcode", b"payload")
    # Two slots: a redelivery would reach the idle one at once.
    worker = JobWorker(queue, handler, name="fault", concurrency=2, poll=0.5)
    async with ack_watcher(nats_url, queue) as acks:
        await worker.start()
        try:
            await asyncio.wait_for(started.wait(), RECOVERY_SECONDS)
            with restarted_on_exit(nats_server):
                await nats_server.arestart()
            restarted.set()
            await eventually(lambda: worker.stats().processed == 1, "the job's completion")
            await asyncio.sleep(2 * CONFIG.ack_wait)  # time for a redelivery, if any
        finally:
            await worker.stop()

    assert calls == Counter({"survivor": 1})
    assert acks[b"+ACK"] == 1, acks
    assert not acks.keys() - {b"+ACK", b"+WPI"}, acks  # no nak, no term
    assert acks[b"+WPI"] >= 1  # heartbeats reached the server after the restart
    health = worker.stats()
    assert (health.processed, health.retried, health.dead_lettered) == (1, 0, 0)
    js = await queue._connection.jetstream()
    info = await js.consumer_info(queue.stream, CONSUMER)
    assert (info.num_pending, info.num_ack_pending, info.num_redelivered) == (0, 0, 0)
    assert (await js.stream_info(queue.stream)).state.messages == 0
    assert await queue.dead_letters() == []


async def test_an_idle_worker_recovers_from_a_nats_restart(
    queue: NatsJobQueue, nats_server: Any
) -> None:
    done: list[str] = []

    async def handler(job: Job) -> None:
        done.append(job.id)

    await queue.enqueue("before", "transcode", b"")
    worker = JobWorker(queue, handler, name="fault", concurrency=2, poll=0.5)
    await worker.start()
    try:
        await eventually(lambda: done == ["before"], "the first job")
        with restarted_on_exit(nats_server):
            await nats_server.astop()
            await eventually(lambda: worker.health().startswith("failing ("), "health: the outage")
            assert worker.running
            await nats_server.astart()
        for _ in range(int(RECOVERY_SECONDS / 0.25)):  # enqueue answers once NATS is back
            with contextlib.suppress(Exception):
                await queue.enqueue("after", "transcode", b"")
                break
            await asyncio.sleep(0.25)
        await eventually(lambda: done == ["before", "after"], "the job enqueued after the restart")
        await eventually(lambda: worker.health() == "ok", "health reporting recovery")
    finally:
        await worker.stop()


async def test_nats_down_when_the_job_finishes_the_ack_waits_for_it(
    queue: NatsJobQueue, nats_server: Any
) -> None:
    calls: Counter[str] = Counter()
    started, down = asyncio.Event(), asyncio.Event()

    async def handler(job: Job) -> None:
        calls[job.id] += 1
        started.set()
        await down.wait()  # finish while NATS is away: the ack cannot reach it yet

    await queue.enqueue("ack-later", "transcode", b"")
    worker = JobWorker(queue, handler, name="fault", concurrency=2, poll=0.5)
    await worker.start()
    try:
        await asyncio.wait_for(started.wait(), RECOVERY_SECONDS)
        with restarted_on_exit(nats_server):
            await nats_server.astop()
            down.set()
            await asyncio.sleep(1.0)
            assert worker.stats().processed == 0  # still trying to ack
            await nats_server.astart()
        await eventually(lambda: worker.stats().processed == 1, "the ack after NATS came back")
        await asyncio.sleep(2 * CONFIG.ack_wait)  # time for a redelivery, if any
    finally:
        await worker.stop()
    assert calls == Counter({"ack-later": 1})
    js = await queue._connection.jetstream()
    info = await js.consumer_info(queue.stream, CONSUMER)
    assert (info.num_pending, info.num_ack_pending, info.num_redelivered) == (0, 0, 0)
