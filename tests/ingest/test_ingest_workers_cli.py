"""``streamstack workers``: the real command, in a subprocess, against a served app on the
embedded backends (the command is a client of whatever the server uses): with no worker
and a job waiting, and with the in-process worker."""

from __future__ import annotations

import json
import socket
import time
import uuid
from pathlib import Path
from typing import Any

import ingest_media
import pytest
from ingest_rig import (
    Command,
    eventually,
    fast_transcoding,
    item_of,
    served_rig,
    wait_for_state,
)

from streamstack.kernel.jobs import WorkerSeen
from streamstack.kernel.jobs.embedded import EmbeddedJobQueue
from streamstack.kernel.storage import ObjectStore, StorageUnavailable
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
            "stranded": 0,
            "requeued_within_seconds": 60,
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


async def test_a_job_a_killed_worker_holds_says_when_it_is_queued_again(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    """Walk 48 F8: the worker holding a job was killed and dropped out of the workers seen;
    the job is not "in progress" but held until the queue's ack wait ends, and says so."""
    async with served_rig(settings_factory(**fast_transcoding())) as (rig, served):
        workers = Command(rig, served, tmp_path, name="workers")
        # Another process's queue handle: a job taken by a worker never seen again, and an
        # idle worker.
        other = EmbeddedJobQueue(
            rig.settings.data_dir / "jobs" / "jobs.sqlite3", rig.settings.transcode_queue
        )
        try:
            await other.enqueue(uuid.uuid4().hex, "transcode", b"{}")
            assert await (await other.consumer()).next(5) is not None
            now = time.time()
            await other.announce(WorkerSeen("0123456789abcdef", "media-2", 4242, 1, 0, now, now))
            code, out, err = await workers("--server", served.url)
        finally:
            await other.close()
        assert (code, err) == (0, "")
        assert out.splitlines()[0] == (
            "Transcoding: 1 held by a worker that stopped answering (queued again within 60 s)"
            " · 1 worker"
        )


async def test_a_viewer_is_refused_in_one_line(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    async with served_rig(settings_factory()) as (rig, served):
        workers = Command(rig, served, tmp_path, name="workers")
        code, out, err = await workers(
            "--server", served.url, token=mint_token(rig.settings, role="viewer")
        )
        assert (code, out) == (3, "")
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


async def test_a_job_held_by_a_full_disk_says_so_on_its_item_and_its_worker(
    settings_factory: SettingsFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker holds a job while the object store's disk is full: the item's row (and
    ``upload --wait``) says what it waits for, not a frozen "encoding 240p", and so does
    ``streamstack workers``; once there is room the job goes on by itself."""
    settings = settings_factory(worker_in_process=True, **fast_transcoding())
    async with served_rig(settings) as (rig, served):
        full = True
        write = ObjectStore.write

        async def on_a_full_disk(self: ObjectStore, key: str, *args: Any, **kwargs: Any) -> Any:
            if full and "/" in key:  # the package under the item's prefix, not the upload
                raise StorageUnavailable(
                    "the object store's disk is full (no space left on device)"
                )
            return await write(self, key, *args, **kwargs)

        monkeypatch.setattr(ObjectStore, "write", on_a_full_disk)
        response = await rig.upload(ingest_media.mp4(), fields={"title": "Heron"})
        assert response.status_code == 201, response.text
        media_id = response.json()["id"]
        said = "waiting: the object store's disk is full (no space left on device) — trying again"

        async def item_says_it() -> bool:
            item = (await item_of(rig, media_id)).json()
            return (item["processing_state"], item["processing_detail"]) == ("processing", said)

        await eventually(item_says_it, "the item says what its job waits for", 60)
        workers = Command(rig, served, tmp_path, name="workers")
        code, out, err = await workers("--server", served.url)
        assert code == 0, err
        assert out.splitlines()[-1].endswith(f": {said}")

        full = False
        ready, _ = await wait_for_state(rig, media_id, {"ready", "failed"})
        assert ready["processing_state"] == "ready", ready["processing_detail"]
        code, out, err = await workers("--server", served.url)
        assert "waiting:" not in out
