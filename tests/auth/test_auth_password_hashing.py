"""Sign-ins do not starve playback (issue 15.6): argon2 runs in a small, low-priority pool.

The pool has one worker process fewer than the cores the process may use (at least one),
so a storm of sign-ins leaves a core for everything else, and its workers run at nice 19,
so where they do share a core the scheduler favours playback; being processes, a worker
the scheduler puts aside never holds the server's GIL.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from streamstack.auth.passwords import HASHING_NICENESS, PasswordHashing, hashing_slots
from streamstack.kernel.lifetime import death_signal


@pytest.mark.parametrize(
    ("cores", "parallelism", "slots"),
    [(1, 1, 1), (2, 1, 1), (4, 1, 3), (8, 2, 3), (2, 4, 1), (16, 4, 3)],
)
def test_hashing_leaves_a_core_for_everything_else(cores, parallelism, slots):
    assert hashing_slots(parallelism, cores) == slots


def test_the_default_follows_the_cores_this_process_may_use():
    usable = len(os.sched_getaffinity(0))
    assert hashing_slots(1) == max(1, usable - 1)


async def test_no_more_hashes_run_at_once_than_the_pool_has_workers():
    hashing = PasswordHashing(memory_kib=1024, time_cost=1, parallelism=1, slots=2)
    # A burst: twelve at once, each long enough for the others to pile up if they could.
    await asyncio.gather(*(hashing._run(time.sleep, 0.02) for _ in range(12)))
    workers = set(await asyncio.gather(*(hashing._run(os.getpid) for _ in range(12))))
    assert len(workers) <= 2
    assert os.getpid() not in workers
    # HASHING_NICENESS levels below the process that made the pool (19 is the floor).
    base = os.getpriority(os.PRIO_PROCESS, 0)
    assert {os.getpriority(os.PRIO_PROCESS, pid) for pid in workers} == {
        min(19, base + HASHING_NICENESS)
    }
    # And each dies with the app: after a kill -9 of it, none runs on, orphaned.
    assert await hashing._run(death_signal) == signal.SIGKILL


async def test_a_dead_worker_is_replaced():
    hashing = PasswordHashing(memory_kib=1024, time_cost=1, parallelism=1, slots=1)
    worker = await hashing._run(os.getpid)
    os.kill(worker, signal.SIGKILL)
    digest = await hashing.hash("correct horse battery staple")
    assert await hashing.verify(digest, "correct horse battery staple")
    assert await hashing._run(os.getpid) != worker


async def test_hashing_and_verifying_still_work():
    hashing = PasswordHashing(memory_kib=1024, time_cost=1, parallelism=1)
    digest = await hashing.hash("correct horse battery staple")
    assert await hashing.verify(digest, "correct horse battery staple")
    assert not await hashing.verify(digest, "wrong horse battery staple")
    assert not await hashing.verify("not a hash", "correct horse battery staple")
