"""``streamstack workers``: the real command, in a subprocess, against a served app on the
embedded backends (the command is a client of whatever the server uses): with no worker
and a job waiting, and with the in-process worker."""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path

import ingest_media
import pytest
from ingest_rig import Command, eventually, fast_transcoding, served_rig

from streamstack.kernel.jobs.embedded import EmbeddedJobQueue
from support.apps import mint_token
from support.fixtures import SettingsFactory


@pytest.fixture
def backend_kind() -> str:
    """The embedded backends only: the command is a client of whatever the server uses."""
    return "embedded"


async def test_jobs_waiting_with_no_worker_exit_1_and_say_what_to_do(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    async with served_rig(settings_factory(**fast_transcoding())) as (rig, served):
        workers = Command(rig, served, tmp_path, name="workers")
        code, out, err = await workers("--server", served.url)
        assert (code, out.strip(), err) == (
            0,
            "Transcoding: nothing waiting · no worker running",
            "",
        )

        # A job on the served app's queue, through a handle of our own (as another process).
        waiting = EmbeddedJobQueue(
            rig.settings.data_dir / "jobs" / "jobs.sqlite3", rig.settings.transcode_queue
        )
        try:
            await waiting.enqueue(uuid.uuid4().hex, "transcode", b"{}")
        finally:
            await waiting.close()
        code, out, err = await workers("--server", served.url)
        assert code == 1
        assert out.strip() == "Transcoding: 1 waiting · no worker running"
        assert err == (
            "streamstack: 1 video is waiting to be transcoded, but no transcoding worker is "
            "running (none seen in the last 30s). Start one with `streamstack worker` "
            "(README, Workers).\n"
        )
        code, out, _ = await workers("--json", "--server", served.url)
        assert code == 1
        assert json.loads(out) | {"workers": []} == {
            "state": "no_worker",
            "waiting": 1,
            "running": 0,
            "workers": [],
            "seen_within_seconds": 30,
            "unrelayed": 0,
        }


async def test_the_running_worker_is_listed(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    settings = settings_factory(worker_in_process=True, **fast_transcoding())
    async with served_rig(settings) as (rig, served):
        workers = Command(rig, served, tmp_path, name="workers")

        async def listed() -> bool:
            code, out, _ = await workers("--json", "--server", served.url)
            return code == 0 and len(json.loads(out)["workers"]) == 1

        await eventually(listed, "the worker listed", 20)
        code, out, err = await workers("--server", served.url)
        assert code == 0, err
        summary, head, row = out.splitlines()
        assert summary == "Transcoding: nothing waiting · 1 worker"
        assert head.split() == ["WORKER", "HOST", "PID", "JOBS", "STARTED", "LAST", "SEEN"]
        cells = row.split()
        assert cells[1:5] == [socket.gethostname(), cells[2], "0", "of"]
        assert cells[5] == str(rig.settings.worker_concurrency)


async def test_a_viewer_is_refused_in_one_line(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    async with served_rig(settings_factory()) as (rig, served):
        workers = Command(rig, served, tmp_path, name="workers")
        code, out, err = await workers(
            "--server", served.url, token=mint_token(rig.settings, role="viewer")
        )
        assert (code, out) == (1, "")
        assert err.startswith("streamstack: workers: ") and len(err.splitlines()) == 1


async def test_an_item_queued_with_no_job_is_said_with_what_to_do(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    """The queue's store lost (NATS's, or the embedded queue's file replaced): the item
    stays queued for ever, and the command says so where it said 'nothing waiting'."""
    async with served_rig(settings_factory(**fast_transcoding())) as (rig, served):
        workers = Command(rig, served, tmp_path, name="workers")
        ids = []
        for _ in range(2):
            response = await rig.upload(ingest_media.mp4())
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])

        async def queued() -> bool:
            _, out, _ = await workers("--json", "--server", served.url)
            return json.loads(out)["waiting"] == 2

        await eventually(queued, "both jobs in the queue", 20)
        code, out, err = await workers("--server", served.url)
        assert code == 1 and "no job" not in err  # no worker, but the jobs are there

        # Its job gone from the queue (taken by nothing: as a lost store leaves it).
        waiting = EmbeddedJobQueue(
            rig.settings.data_dir / "jobs" / "jobs.sqlite3", rig.settings.transcode_queue
        )
        try:
            consumer = await waiting.consumer()
            delivery = await consumer.next(5)
            assert delivery is not None
            await delivery.ack()
            await consumer.close()
        finally:
            await waiting.close()
        code, out, err = await workers("--server", served.url)
        assert code == 1
        assert out.strip() == "Transcoding: 1 waiting · no worker running"
        said = err.splitlines()[-1]
        assert said.startswith(
            "streamstack: 1 item is queued but the queue has no job for it (was the queue's "
            "store lost?): run streamstack transcode --force ITEM (one of: "
        ), err
        assert sorted(said.removesuffix(")").split("(one of: ")[1].split()) == sorted(ids)
