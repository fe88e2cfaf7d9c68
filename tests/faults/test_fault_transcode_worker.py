"""Transcoding workers as separate ``streamstack worker`` processes, under faults.

The app (every module) runs under uvicorn in this process; workers are real child processes
sharing its queue (the SQLite file, or JetStream), its storage and reaching catalogue over
HTTP, as in production. A worker SIGKILLed mid-job loses nothing: the job comes back after
the ack wait, another worker completes it, and only the finished package's objects remain.
An item deleted while its job runs: the worker stops and removes what it wrote. NATS
restarting mid-job: the worker's heartbeats and ack resume, the job completes exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fault_rig import CuttableLink

from streamstack.ingest.outputs import MANIFEST_NAME, decode_manifest
from streamstack.settings import PREFIX, Settings
from support.apps import bearer, free_port, mint_token, served_app
from support.processes import settings_env

pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS / "ingest") not in sys.path:
    sys.path.insert(0, str(TESTS / "ingest"))
import transcode_media  # noqa: E402
from ingest_rig import ScratchHolder  # noqa: E402

ACK_WAIT = 3.0
CATALOGUE = "/api/v1/catalogue"
ADMIN = "5b7c6a34-7c34-4b8e-8b53-3f2a3f0f9b10"


def long_source(directory: Path) -> Path:
    """Four seconds of 640x480 VP9: three rungs (the job is caught as soon as it starts)."""
    return transcode_media.vp9_webm(directory, width=640, height=480, seconds=4.0)


class WorkerProcess:
    """``python -m streamstack worker`` in its own session, its output in a log file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "streamstack", "worker", "--port", str(self.port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    async def wait_ready(self) -> None:
        """Until ``/ready`` answers 200 (its queue, storage and worker task are up)."""
        async with httpx.AsyncClient(timeout=2) as client, asyncio.timeout(60):
            while True:
                assert self.process.poll() is None, self.log.read_text()[-3000:]
                with contextlib.suppress(httpx.HTTPError):
                    ready = await client.get(f"http://127.0.0.1:{self.port}/ready")
                    if ready.status_code == 200:
                        return
                await asyncio.sleep(0.2)

    async def settled(self, outcome: str) -> float:
        """``streamstack_jobs_settled_total`` of ``outcome`` on this worker's /metrics."""
        async with httpx.AsyncClient(timeout=5) as client:
            text = (await client.get(f"http://127.0.0.1:{self.port}/metrics")).text
        pattern = rf'streamstack_jobs_settled_total{{[^}}]*outcome="{outcome}"[^}}]*}} (\S+)'
        return sum(float(value) for value in re.findall(pattern, text))

    def kill(self) -> None:
        """SIGKILL the worker and its sandbox children (its whole session)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """SIGTERM; SIGKILL if it outlives 20 s."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@contextlib.asynccontextmanager
async def platform(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """The app (no in-process worker); a client to it and the environment for workers."""
    async with served_app(settings) as url, httpx.AsyncClient(base_url=url, timeout=60) as client:
        env = {k: v for k, v in os.environ.items() if not k.startswith(PREFIX)}
        env.update(settings_env(settings))
        env.update(
            {
                f"{PREFIX}CATALOGUE_URL": url,
                f"{PREFIX}TRANSCODE_QUEUE": settings.transcode_queue,
                f"{PREFIX}JOBS_ACK_WAIT_SECONDS": str(ACK_WAIT),
                f"{PREFIX}TRANSCODE_PRESET": "ultrafast",
                f"{PREFIX}TRANSCODE_SEGMENT_SECONDS": "1.0",
                f"{PREFIX}TRANSCODE_SPOOL_DIR": str(settings.data_dir / "spool"),
                f"{PREFIX}LOG_LEVEL": "INFO",  # the tests read the worker's job events
            }
        )
        yield client, env


@dataclasses.dataclass
class Processing:
    """An item caught in ``processing`` by the first worker."""

    client: httpx.AsyncClient
    env: dict[str, str]
    """The workers' environment (to start another)."""
    worker: WorkerProcess
    item: dict[str, Any]


@contextlib.asynccontextmanager
async def item_in_processing(
    settings: Settings, workers: Any, tmp_path: Path
) -> AsyncIterator[Processing]:
    """The app and one worker; the long source uploaded, once its job has started."""
    source = long_source(tmp_path)
    async with platform(settings) as (client, env):
        worker = workers(env)
        await worker.wait_ready()
        item = await upload(client, settings, source)
        await wait_for_state(client, settings, item["id"], {"processing"})
        yield Processing(client, env, worker, item)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Any]:
    """Start worker processes; stop any left at the end."""
    started: list[WorkerProcess] = []

    def start(env: dict[str, str]) -> WorkerProcess:
        worker = WorkerProcess(env, tmp_path / f"worker-{len(started)}.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def app_settings(settings_factory: Any) -> Settings:
    """The app's settings: the queue of this test, the short ack wait, cheap argon2."""
    settings: Settings = settings_factory(
        transcode_queue=f"media-{uuid.uuid4().hex[:12]}", jobs_ack_wait_seconds=ACK_WAIT
    )
    return settings


async def upload(client: httpx.AsyncClient, settings: Settings, source: Path) -> dict[str, Any]:
    """Form upload as the admin; the registered item."""
    response = await client.post(
        "/api/v1/ingest/upload",
        files={"file": (source.name, source.read_bytes(), "video/webm")},
        data={"title": "A long clip"},
        headers=admin(settings),
    )
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()
    assert item["processing_state"] == "queued"
    return item


def admin(settings: Settings) -> dict[str, str]:
    """The admin's Authorization header."""
    return bearer(mint_token(settings, role="admin", user_id=ADMIN))


async def wait_for_state(
    client: httpx.AsyncClient, settings: Settings, media_id: str, states: set[str]
) -> dict[str, Any]:
    """Poll the item (as admin) until its processing state is one of ``states``."""
    headers = admin(settings)
    async with asyncio.timeout(120):
        while True:
            response = await client.get(f"{CATALOGUE}/{media_id}", headers=headers)
            if response.status_code == 503:  # a backend restarting: ask again
                await asyncio.sleep(0.2)
                continue
            assert response.status_code == 200, response.text
            item: dict[str, Any] = response.json()
            if item["processing_state"] in states:
                return item
            await asyncio.sleep(0.05)


def media_keys(settings: Settings, s3: Any, media_id: str) -> set[str]:
    """Keys under the item's prefix in the media bucket."""
    prefix = f"{media_id}/"
    if s3 is not None:
        listed = s3.list_objects_v2(Bucket=settings.media_bucket, Prefix=prefix)
        return {item["Key"] for item in listed.get("Contents", [])}
    root = settings.data_dir / "objects" / settings.media_bucket
    folder = root / media_id
    if not folder.is_dir():
        return set()
    return {str(p.relative_to(root)) for p in folder.rglob("*") if p.is_file()}


def media_object(settings: Settings, s3: Any, key: str) -> bytes:
    """One object of the media bucket."""
    if s3 is not None:
        data: bytes = s3.get_object(Bucket=settings.media_bucket, Key=key)["Body"].read()
        return data
    return (settings.data_dir / "objects" / settings.media_bucket / key).read_bytes()


def package_keys(settings: Settings, s3: Any, media_id: str) -> tuple[set[str], set[str]]:
    """The keys under the item's prefix, and those its manifest names (with the manifest)."""
    manifest_key = f"{media_id}/{MANIFEST_NAME}"
    listed = decode_manifest(media_object(settings, s3, manifest_key)).keys
    return media_keys(settings, s3, media_id), {*listed, manifest_key}


def s3_of(settings: Settings, request: pytest.FixtureRequest) -> Any:
    """The test's boto3 client when the app runs on S3."""
    return request.getfixturevalue("s3_client") if settings.s3_endpoint_url else None


async def test_a_worker_killed_mid_job_loses_nothing(
    settings_factory: Any, workers: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings = app_settings(settings_factory)
    s3 = s3_of(settings, request)
    async with item_in_processing(settings, workers, tmp_path) as caught:
        client, item = caught.client, caught.item
        caught.worker.kill()
        survivor = workers(caught.env)
        await survivor.wait_ready()
        try:
            ready = await wait_for_state(client, settings, item["id"], {"ready", "failed"})
        except TimeoutError:  # seen once in CI, never here: keep what the workers said
            logs = "\n".join(w.log.read_text()[-3000:] for w in (caught.worker, survivor))
            pytest.fail(f"the job never settled after the kill; the workers' logs:\n{logs}")

        assert ready["processing_state"] == "ready", ready["processing_detail"]
        assert [r["height"] for r in ready["renditions"]] == [240, 360, 480]
        assert await survivor.settled("processed") == 1
        keys, named = package_keys(settings, s3, item["id"])
        assert keys == named, "objects the package does not name"
        assert f"{item['id']}/hls/master.m3u8" in keys


@pytest.mark.parametrize("backend_kind", ["embedded"], indirect=True)
async def test_deleting_an_item_while_it_is_processed_stops_the_job_and_removes_outputs(
    settings_factory: Any, workers: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings = app_settings(settings_factory)
    s3 = s3_of(settings, request)
    async with item_in_processing(settings, workers, tmp_path) as caught:
        client, worker, item = caught.client, caught.worker, caught.item
        deleted = await client.delete(f"{CATALOGUE}/{item['id']}", headers=admin(settings))
        assert deleted.status_code == 204, deleted.text

        try:
            async with asyncio.timeout(120):
                while await worker.settled("processed") < 1:
                    await asyncio.sleep(0.2)
        except TimeoutError:  # seen once in CI (ci41 of session 43), never here: say why
            pytest.fail(
                f"the job never settled after the delete; the worker's log:\n"
                f"{worker.log.read_text()[-3000:]}"
            )
        assert media_keys(settings, s3, item["id"]) == set()
        assert "transcode_abandoned" in worker.log.read_text()
        assert "transcode_ready" not in worker.log.read_text()


@pytest.mark.parametrize("backend_kind", ["production"], indirect=True)
async def test_nats_restarting_mid_job_does_not_lose_or_repeat_the_job(
    settings_factory: Any, workers: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    nats_server = request.getfixturevalue("nats_server")
    if nats_server is None:
        pytest.skip("needs a NATS server the test can restart")
    nats_server.start()  # heals after another fault test
    settings = app_settings(settings_factory)
    s3 = s3_of(settings, request)
    async with item_in_processing(settings, workers, tmp_path) as caught:
        client, worker, item = caught.client, caught.worker, caught.item
        await asyncio.to_thread(nats_server.restart)
        ready = await wait_for_state(client, settings, item["id"], {"ready", "failed"})

        assert ready["processing_state"] == "ready", ready["processing_detail"]
        async with asyncio.timeout(30):  # the ack may land after the item is marked ready
            while await worker.settled("processed") < 1:
                await asyncio.sleep(0.2)
        assert await worker.settled("retried") == 0
        assert await worker.settled("dead_lettered") == 0
        keys, named = package_keys(settings, s3, item["id"])
        assert keys == named


@pytest.mark.parametrize("backend_kind", ["embedded"], indirect=True)
async def test_a_worker_whose_secret_catalogue_refuses_does_not_start(
    settings_factory: Any, workers: Any, tmp_path: Path
) -> None:
    """A mistyped secret on a new worker machine: the worker says so in one line and ends,
    rather than reporting ready and failing every job it takes."""
    settings = app_settings(settings_factory)
    source = transcode_media.vp9_webm(tmp_path)
    async with platform(settings) as (client, env):
        item = await upload(client, settings, source)
        refused = workers({**env, f"{PREFIX}INTERNAL_SECRET": "not-the-services-secret-0123"})

        code = await asyncio.to_thread(refused.process.wait, 60)

        said = refused.log.read_text().strip().splitlines()
        assert code == 2, said
        assert len(said) == 1, said
        assert said[0].startswith("streamstack: error: STREAMSTACK_INTERNAL_SECRET: ")
        assert "refuses this worker's service credential" in said[0]
        # Its job waits for a worker that can do it, its attempts unspent.
        waiting = await wait_for_state(client, settings, item["id"], {"queued"})
        assert waiting["processing_state"] == "queued"
        able = workers(env)
        await able.wait_ready()
        ready = await wait_for_state(client, settings, item["id"], {"ready", "failed"})
        assert ready["processing_state"] == "ready", ready["processing_detail"]
        assert await able.settled("retried") == 0


@pytest.mark.parametrize("backend_kind", ["embedded"], indirect=True)
async def test_a_worker_waits_for_a_catalogue_that_does_not_answer_yet(
    settings_factory: Any, workers: Any, tmp_path: Path
) -> None:
    settings = app_settings(settings_factory)
    async with platform(settings) as (_, env):
        nowhere = f"http://127.0.0.1:{free_port()}"
        early = workers({**env, f"{PREFIX}CATALOGUE_URL": nowhere})
        async with asyncio.timeout(30):
            while "worker.waiting_for_catalogue" not in early.log.read_text():
                assert early.process.poll() is None, early.log.read_text()
                await asyncio.sleep(0.2)
        assert early.process.poll() is None  # still waiting, not refused


async def test_a_catalogue_outage_longer_than_the_retry_budget_fails_no_job(
    settings_factory: Any, workers: Any, tmp_path: Path
) -> None:
    """The worker's link to catalogue is cut for longer than all of a job's attempts take
    (two here, 2 s apart): the job waits, the worker's /ready says why, and the job is done
    once catalogue is back, no attempt spent. Before, it was dead-lettered, the item failed."""
    settings = app_settings(settings_factory).replace(jobs_max_deliver=2)
    source = transcode_media.vp9_webm(tmp_path)
    async with platform(settings) as (client, env):
        app_url = httpx.URL(env[f"{PREFIX}CATALOGUE_URL"])
        link = await CuttableLink(app_url.host, app_url.port or 80).start()
        try:
            via_link = f"http://127.0.0.1:{link.port}"
            worker = workers(
                {**env, f"{PREFIX}CATALOGUE_URL": via_link, f"{PREFIX}JOBS_MAX_DELIVER": "2"}
            )
            await worker.wait_ready()
            await link.sever()
            item = await upload(client, settings, source)

            async with httpx.AsyncClient(timeout=5) as http, asyncio.timeout(60):
                while True:  # until the worker holds the job
                    ready = await http.get(f"http://127.0.0.1:{worker.port}/ready")
                    if ready.status_code == 503:
                        break
                    await asyncio.sleep(0.2)
            said = ready.json()["checks"]["task:ingest.transcode"]
            assert said.startswith("waiting") and "catalogue service is unreachable" in said
            await asyncio.sleep(8.0)  # the whole budget and more, with the ack wait twice
            link.restore()

            done = await wait_for_state(client, settings, item["id"], {"ready", "failed"})
        finally:
            await link.close()
        assert done["processing_state"] == "ready", done["processing_detail"]
        async with asyncio.timeout(30):
            while await worker.settled("processed") < 1:
                await asyncio.sleep(0.2)
        assert (await worker.settled("retried"), await worker.settled("dead_lettered")) == (0, 0)


@pytest.mark.parametrize("backend_kind", ["embedded"], indirect=True)
async def test_a_worker_starting_sweeps_what_a_killed_one_left_in_the_temp_dir(
    settings_factory: Any, workers: Any
) -> None:
    """No spool directory set: scratch goes to one known folder of the temporary directory,
    where the next worker started on the machine deletes a killed one's (a copy of the
    original and the package, left for ever before) and leaves a live one's alone."""
    settings = app_settings(settings_factory)
    temp = Path(tempfile.mkdtemp(prefix="ss-"))  # short: sockets live there too
    try:
        root = temp / f"streamstack-transcode-{os.getuid()}"  # one known folder per user
        root.mkdir(mode=0o700)
        killed, live = ScratchHolder(root), ScratchHolder(root)
        killed.kill()
        try:
            async with platform(settings) as (_, env):
                env = {k: v for k, v in env.items() if k != f"{PREFIX}TRANSCODE_SPOOL_DIR"}
                await workers({**env, "TMPDIR": str(temp)}).wait_ready()
                assert not killed.scratch.exists()
                assert (live.scratch / "source").is_file()
        finally:
            live.kill()
    finally:
        shutil.rmtree(temp, ignore_errors=True)
