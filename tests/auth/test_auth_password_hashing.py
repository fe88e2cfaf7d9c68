"""Sign-ins do not starve playback (issue 15.6): argon2 runs in a small, low-priority pool.

The pool has one thread fewer than the cores the process may use (at least one), so a
storm of sign-ins leaves a core for everything else, and its threads run at nice 10, so
where they do share a core the scheduler favours playback.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

from streamstack.auth.passwords import HASHING_NICENESS, PasswordHashing, hashing_slots


@pytest.mark.parametrize(
    ("cores", "parallelism", "slots"),
    [(1, 1, 1), (2, 1, 1), (4, 1, 3), (8, 2, 3), (2, 4, 1), (16, 4, 3)],
)
def test_hashing_leaves_a_core_for_everything_else(cores, parallelism, slots):
    assert hashing_slots(parallelism, cores) == slots


def test_the_default_follows_the_cores_this_process_may_use():
    usable = len(os.sched_getaffinity(0))
    assert hashing_slots(1) == max(1, usable - 1)


async def test_no_more_hashes_run_at_once_than_the_pool_has_threads():
    hashing = PasswordHashing(memory_kib=1024, time_cost=1, parallelism=1, slots=2)
    running, most = 0, 0
    lock = threading.Lock()
    niceness: set[int] = set()

    def work(password: str) -> str:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            niceness.add(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        time.sleep(0.02)  # long enough for the others to pile up, if they could
        with lock:
            running -= 1
        return password

    results = await asyncio.gather(*(hashing._run(work, str(i)) for i in range(12)))
    assert results == [str(i) for i in range(12)]
    assert most == 2
    # Ten nice levels below the thread that created the pool (19 is the floor).
    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert niceness == {min(19, base + HASHING_NICENESS)}


async def test_hashing_and_verifying_still_work():
    hashing = PasswordHashing(memory_kib=1024, time_cost=1, parallelism=1)
    digest = await hashing.hash("correct horse battery staple")
    assert await hashing.verify(digest, "correct horse battery staple")
    assert not await hashing.verify(digest, "wrong horse battery staple")
    assert not await hashing.verify("not a hash", "correct horse battery staple")
