"""The process's backends build the job queue from settings: SQLite in dev, JetStream with NATS."""

from __future__ import annotations

import asyncio
import stat
import uuid
from pathlib import Path

import pytest

from streamstack.kernel.backends import Backends
from streamstack.kernel.jobs import Job, QueueConfig
from streamstack.kernel.jobs.embedded import EmbeddedJobQueue
from streamstack.kernel.jobs.nats import NatsJobQueue
from streamstack.kernel.jobs.worker import JobWorker
from streamstack.settings import Settings, SettingsError


async def run_one_job(backends: Backends, queue_name: str) -> list[str]:
    """Enqueue one job on the backends' queue and let a worker process it."""
    queue = backends.jobs(queue_name)
    done: list[str] = []

    async def handler(job: Job) -> None:
        done.append(job.id)

    assert await queue.enqueue("job-1", "transcode", b"{}")
    worker = JobWorker(queue, handler, concurrency=backends.settings.worker_concurrency, poll=0.2)
    await worker.start()
    for _ in range(400):
        if done:
            break
        await asyncio.sleep(0.05)
    await worker.stop()
    assert (await queue.backlog()).total == 0
    return done


async def test_dev_uses_the_embedded_queue_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", jobs_ack_wait_seconds=7.0, jobs_max_deliver=2)
    async with Backends(settings) as backends:
        queue = backends.jobs("media")
        assert isinstance(queue, EmbeddedJobQueue)
        assert backends.jobs("media") is queue
        assert queue.config == QueueConfig(ack_wait=7.0, max_deliver=2)
        path = tmp_path / "data" / "jobs" / "jobs.sqlite3"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert (await backends.readiness())["jobs:media"] == "ok"
        assert await run_one_job(backends, "media") == ["job-1"]


async def test_with_nats_the_queue_is_a_jetstream_stream(tmp_path: Path, nats_url: str) -> None:
    settings = Settings(data_dir=tmp_path / "data", nats_url=nats_url, worker_concurrency=2)
    name = f"media-{uuid.uuid4().hex[:8]}"
    async with Backends(settings) as backends:
        queue = backends.jobs(name)
        assert isinstance(queue, NatsJobQueue)
        ready = await backends.readiness()
        assert (ready[f"jobs:{name}"], ready["nats"]) == ("ok", "ok")
        assert await run_one_job(backends, name) == ["job-1"]


def test_production_needs_nats_for_a_job_queue(tmp_path: Path) -> None:
    backends = Backends(Settings(data_dir=tmp_path, environment="production"))
    with pytest.raises(SettingsError, match="STREAMSTACK_NATS_URL"):
        backends.jobs("media")


@pytest.mark.parametrize(
    "variable", ["JOBS_ACK_WAIT_SECONDS", "JOBS_MAX_DELIVER", "WORKER_CONCURRENCY"]
)
def test_job_settings_must_be_positive(variable: str) -> None:
    with pytest.raises(SettingsError, match=f"STREAMSTACK_{variable}"):
        Settings.from_env({f"STREAMSTACK_{variable}": "0"})
    assert Settings.from_env({f"STREAMSTACK_{variable}": "3"})
