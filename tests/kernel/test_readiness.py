"""``/ready``'s checks: each waited for within its bound, however long its backend hangs,
and one check at a time per backend however many probes ask."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from streamstack.kernel.backends import Backends
from streamstack.kernel.errors import ServiceUnavailable
from streamstack.kernel.readiness import PING_SECONDS, ReadinessChecks
from streamstack.settings import Settings
from support.relay import FreezingRelay
from support.waiting import eventually


class HeldCheck:
    """A check that answers only once released, counting how often it was started."""

    def __init__(self) -> None:
        self.started = 0
        self.release = asyncio.Event()
        self.failure: Exception | None = None
        self.cancelled = False

    async def __call__(self) -> None:
        self.started += 1
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        if self.failure is not None:
            raise self.failure


async def test_a_hung_check_is_a_timeout_within_its_bound_and_probes_share_it() -> None:
    checks, held = ReadinessChecks(), HeldCheck()
    checks.add("slow", held, seconds=0.05)
    assert await checks.run() == {"slow": "timeout"}
    assert await checks.run() == {"slow": "timeout"}
    assert held.started == 1  # the second probe waited for the first's check
    held.release.set()
    assert await checks.run() == {"slow": "ok"}
    held.failure = ServiceUnavailable("the bucket is away")
    assert await checks.run() == {"slow": "the bucket is away"}
    assert held.started == 3  # a check that ended is not an answer for the next probe


async def test_closing_stops_a_check_still_running() -> None:
    checks, held = ReadinessChecks(), HeldCheck()
    checks.add("slow", held, seconds=0.01)
    await checks.run()
    await checks.close()
    await eventually(lambda: held.cancelled, "the check stopped")


@pytest.mark.parametrize("backend", ["database", "nats"])
async def test_a_frozen_server_is_named_within_a_second(
    tmp_path: Path, backend: str, postgres_url: str, nats_url: str
) -> None:
    upstream = postgres_url if backend == "database" else nats_url
    async with FreezingRelay(upstream) as relay:
        # The requests' own timeouts are long: the bound is readiness's.
        url = {"database_url" if backend == "database" else "nats_url": relay.url}
        settings = Settings(
            data_dir=tmp_path, database_timeout_seconds=30, nats_timeout_seconds=30, **url
        )
        async with Backends(settings) as backends:
            _ = backends.database if backend == "database" else backends.events
            assert (await backends.readiness())[backend] == "ok"
            relay.freeze()
            for _probe in range(2):  # the second waits for the same check, as long again
                async with asyncio.timeout(PING_SECONDS + 1):
                    assert (await backends.readiness())[backend] == "timeout"
            relay.thaw()

            async def answers() -> bool:
                return (await backends.readiness())[backend] == "ok"

            await eventually(answers, f"{backend} ready again")
