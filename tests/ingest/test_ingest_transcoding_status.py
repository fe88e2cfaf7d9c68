"""``GET /api/v1/ingest/transcoding``: the transcoding jobs waiting and running and the
workers seen, admins only, on both backend kinds: with no worker (the rig's default, as a
deployment whose ``worker`` service never started) and with the in-process one."""

from __future__ import annotations

import socket
import uuid
from typing import Any

import pytest
from ingest_rig import API, Rig, RigFactory, eventually, fast_transcoding

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
