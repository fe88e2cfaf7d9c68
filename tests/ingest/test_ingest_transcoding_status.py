"""``GET /api/v1/ingest/transcoding``: the transcoding jobs waiting and running and the
workers seen, admins only, on both backend kinds: with no worker (the rig's default, as a
deployment whose ``worker`` service never started) and with the in-process one."""

from __future__ import annotations

import asyncio
import math
import socket
import time
import uuid
from pathlib import Path
from typing import Any

import ingest_media
import pytest
from ingest_rig import API, Rig, RigFactory, eventually, fast_transcoding, item_of

from streamstack.ingest.jobs import _JobRun
from streamstack.kernel.jobs import WorkerSeen

TRANSCODING = f"{API}/transcoding"


@pytest.fixture(scope="module")
def rig_settings() -> dict[str, Any]:
    """A queue of this module's own: the jobs it leaves waiting trouble no other test."""
    return {"transcode_queue": f"media-{uuid.uuid4().hex[:12]}"}


async def status(rig: Rig) -> dict[str, Any]:
    response = await rig.client.get(TRANSCODING, headers=rig.admin())
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_jobs_waiting_with_no_worker_say_nothing_takes_them(rig: Rig) -> None:
    before = await status(rig)
    assert before["workers"] == []
    assert before["seen_within_seconds"] == 30

    queue = rig.client.app.state.backends.jobs(rig.settings.transcode_queue)
    await queue.enqueue(uuid.uuid4().hex, "transcode", b"{}")

    async def counted() -> bool:
        return (await status(rig))["waiting"] == before["waiting"] + 1

    await eventually(counted, "the job counted as waiting", 10)
    after = await status(rig)
    assert (after["state"], after["running"], after["workers"]) == ("no_worker", 0, [])


def worker_seen(running: int) -> WorkerSeen:
    """A worker's announcement, as another process's worker makes it."""
    now = time.time()
    return WorkerSeen(uuid.uuid4().hex[:16], "media-2", 4242, 1, running, now, now)


async def test_a_job_held_by_a_worker_no_longer_seen_is_said_apart(rig: Rig) -> None:
    """Walk 48 F8: a worker killed while it transcodes holds its job until the queue's ack
    wait ends; once it drops out of the workers seen, the job is not "in progress"."""
    queue = rig.client.app.state.backends.jobs(rig.settings.transcode_queue)
    before = await status(rig)
    await queue.enqueue(uuid.uuid4().hex, "transcode", b"{}")
    consumer = await queue.consumer()
    delivery = await consumer.next(5)
    assert delivery is not None
    holder, idle = worker_seen(running=1), worker_seen(running=0)
    try:
        await queue.announce(holder)
        await queue.announce(idle)

        async def running() -> bool:
            answer = await status(rig)
            return (answer["running"], answer["stranded"], len(answer["workers"])) == (1, 0, 2)

        await eventually(running, "the job running on a worker seen", 10)

        await queue.withdraw(holder.id)  # as a killed worker's record ages out

        async def stranded() -> bool:
            answer = await status(rig)
            return (answer["running"], answer["stranded"], len(answer["workers"])) == (0, 1, 1)

        await eventually(stranded, "the job held by a worker no longer seen", 10)
        answer = await status(rig)
        assert (answer["state"], answer["waiting"]) == ("working", before["waiting"])
        assert answer["requeued_within_seconds"] == math.ceil(rig.settings.jobs_ack_wait_seconds)
    finally:
        await queue.withdraw(idle.id)
        await delivery.release()
        await consumer.close()


async def test_the_in_process_worker_is_seen(rig_factory: RigFactory) -> None:
    async with rig_factory(worker_in_process=True, **fast_transcoding()) as rig:

        async def seen() -> bool:
            return len((await status(rig))["workers"]) == 1

        await eventually(seen, "the worker seen", 10)
        answer = await status(rig)
        assert (answer["state"], answer["waiting"], answer["running"]) == ("idle", 0, 0)
        (worker,) = answer["workers"]
        assert (worker["host"], worker["concurrency"], worker["running"]) == (
            socket.gethostname(),
            rig.settings.worker_concurrency,
            0,
        )
        assert worker["started_at"] <= worker["last_seen_at"]


async def test_a_job_a_worker_took_says_it_started(
    rig_factory: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's first report of the job it took, held before its first step: the item
    said "queued for a worker" while the status counted the job running on one."""
    released = False
    spool = _JobRun.spool

    async def held(run: _JobRun, path: Path) -> Path:
        while not released:  # until the test has read the first report
            await asyncio.sleep(0.05)
        return await spool(run, path)

    monkeypatch.setattr(_JobRun, "spool", held)
    async with rig_factory(worker_in_process=True, **fast_transcoding()) as rig:
        try:
            uploaded = await rig.upload(ingest_media.mp4(), fields={"title": "Taken"})
            assert uploaded.status_code == 201, uploaded.text
            media_id = uploaded.json()["id"]

            async def taken() -> bool:
                item = (await item_of(rig, media_id)).json()
                return (
                    item["processing_state"] == "processing" and (await status(rig))["running"] == 1
                )

            await eventually(taken, "the job taken by the worker", 30)
            item = (await item_of(rig, media_id)).json()
            assert (item["processing_detail"], item["processing_percent"]) == (
                "started on a worker",
                0,
            )
        finally:
            released = True


async def test_the_status_is_for_admins_only(rig: Rig) -> None:
    as_viewer = await rig.client.get(TRANSCODING, headers=rig.viewer())
    anonymous = await rig.client.get(TRANSCODING)
    revoked = await rig.client.get(TRANSCODING, headers=await rig.revoked_admin())

    assert (as_viewer.status_code, as_viewer.json()["code"]) == (403, "forbidden")
    assert anonymous.status_code == 401
    assert (revoked.status_code, revoked.json()["code"]) == (401, "token_revoked")


async def test_a_queue_not_answering_is_a_503(rig_factory: RigFactory) -> None:
    async with rig_factory(**fast_transcoding()) as rig:
        queue = rig.client.app.state.backends.jobs(rig.settings.transcode_queue)
        if rig.settings.nats_url:
            await rig.client.app.state.backends.nats.close()
        else:
            await queue.close()
        response = await rig.client.get(TRANSCODING, headers=rig.admin())
        assert response.status_code == 503, response.text
        assert response.json()["code"] in {"jobs_unavailable", "nats_unavailable"}
