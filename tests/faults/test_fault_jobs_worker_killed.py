"""A worker process is SIGKILLed mid-job: the job is redelivered to another worker and completes.

Runs on both queue adapters. The killed worker is a real child process holding the job
(its handler has started); nothing tells the queue it died. Another worker (this test's
process) gets the job once the ack wait has passed, as attempt 2, and finishes it; nothing
is dead-lettered and the queue ends empty. On the embedded queue the two processes share the
SQLite file, the survivor having it open all along; a process that opens it alone after the
kill (a restarted ``streamstack dev``) takes the job at once, as the next attempt.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from streamstack.kernel.jobs import Job, JobQueue, QueueConfig
from streamstack.kernel.jobs.embedded import EmbeddedJobQueue
from streamstack.kernel.jobs.nats import NatsJobQueue
from streamstack.kernel.jobs.worker import JobWorker
from streamstack.kernel.nats import NatsConnection

pytestmark = pytest.mark.slow

CONFIG = QueueConfig(ack_wait=2.0, max_deliver=3, retry_delays=(0.0,))
SRC = Path(__file__).resolve().parents[2] / "src"

# The doomed worker: announces the job it runs in a marker file, then works "forever".
WORKER = """
import asyncio, sys
from pathlib import Path
from streamstack.kernel.jobs import QueueConfig
from streamstack.kernel.jobs.embedded import EmbeddedJobQueue
from streamstack.kernel.jobs.nats import NatsJobQueue
from streamstack.kernel.jobs.worker import JobWorker
from streamstack.kernel.nats import NatsConnection

adapter, target, name, marker = sys.argv[1:5]

async def main() -> None:
    config = QueueConfig(ack_wait=2.0, max_deliver=3, retry_delays=(0.0,))
    if adapter == "nats":
        queue = NatsJobQueue(NatsConnection(target), name, config)
    else:
        queue = EmbeddedJobQueue(Path(target), name, config)

    async def handler(job) -> None:
        Path(marker).write_text(f"{job.id}")
        await asyncio.sleep(3600)

    await JobWorker(queue, handler, poll=0.2).start()
    await asyncio.Event().wait()

asyncio.run(main())
"""


@pytest.fixture(params=["embedded", "nats"])
async def target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    """(adapter, where): a SQLite path or a NATS URL."""
    if request.param == "embedded":
        yield "embedded", str(tmp_path / "jobs" / "jobs.sqlite3")
        return
    nats_server: Any = request.getfixturevalue("nats_server")
    if nats_server is not None:
        nats_server.start()  # heals after another fault test
    yield "nats", request.getfixturevalue("nats_url")


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Any]:
    """Start worker child processes; kill any left at the end."""
    children: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> subprocess.Popen[bytes]:
        env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        child = subprocess.Popen(
            [sys.executable, "-c", WORKER, *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "worker.log").open("wb"),
        )
        children.append(child)
        return child

    yield start
    for child in children:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=10)


def open_queue(adapter: str, where: str, name: str) -> tuple[JobQueue, Any]:
    if adapter == "nats":
        connection = NatsConnection(where)
        return NatsJobQueue(connection, name, CONFIG), connection.close
    queue = EmbeddedJobQueue(Path(where), name, CONFIG)
    return queue, queue.close


async def kill_once_it_runs(doomed: Any, marker: Path, tmp_path: Path) -> None:
    """SIGKILL the child worker once its handler has started the job (its ``marker`` written)."""
    for _ in range(600):  # the child imports, connects and pulls: allow a slow machine
        if marker.exists():
            break
        assert doomed.poll() is None, (tmp_path / "worker.log").read_text()[-2000:]
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the child worker never started the job")
    assert marker.read_text() == "victim"
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=10)


async def test_a_job_of_a_killed_worker_completes_elsewhere(
    target: tuple[str, str], spawn: Any, tmp_path: Path
) -> None:
    adapter, where = target
    name = f"kill-{uuid.uuid4().hex[:10]}"
    queue, close = open_queue(adapter, where, name)
    marker = tmp_path / "running"
    try:
        assert await queue.enqueue("victim", "transcode", b"payload")
        doomed = spawn(adapter, where, name, str(marker))
        await kill_once_it_runs(doomed, marker, tmp_path)

        finished: list[Job] = []

        async def handler(job: Job) -> None:
            finished.append(job)

        survivor = JobWorker(queue, handler, poll=0.2)
        await survivor.start()
        for _ in range(600):
            if survivor.stats().processed:
                break
            await asyncio.sleep(0.05)
        await survivor.stop()
        assert [(j.id, j.payload) for j in finished] == [("victim", b"payload")]
        assert (await queue.backlog()).total == 0
        assert await queue.dead_letters() == []
    finally:
        await close()


async def test_the_sole_process_opening_after_a_kill_takes_its_job_back_at_once(
    spawn: Any, tmp_path: Path
) -> None:
    """A restarted one-process install (``streamstack dev`` after ``kill -9``): the queue
    opens with no other process on it, so the killed one's job is taken at once, not after
    the ack wait; as the next attempt, so a job that kills its process still runs out."""
    where = tmp_path / "jobs" / "jobs.sqlite3"
    name = f"kill-{uuid.uuid4().hex[:10]}"
    queue = EmbeddedJobQueue(where, name, CONFIG)
    assert await queue.enqueue("victim", "transcode", b"payload")
    await queue.close()  # the child is the only process on the queue
    marker = tmp_path / "running"
    doomed = spawn("embedded", str(where), name, str(marker))
    await kill_once_it_runs(doomed, marker, tmp_path)

    restarted = EmbeddedJobQueue(where, name, CONFIG)
    try:
        delivery = await (await restarted.consumer()).next(0.0)
        assert delivery is not None
        assert (delivery.job.id, delivery.attempt) == ("victim", 2)
        await delivery.ack()
    finally:
        await restarted.close()
