"""argon2id password hashing, in worker processes, bounded in cores and memory.

The hashes run in a small pool of worker processes of their own at nice 19. Not threads:
a hashing thread shares the serving process's GIL, and one the scheduler has put aside
(it is the low-priority task) while it holds the GIL, between hashes, in Python code,
stalls the event loop with it, playback included; a worker put aside stalls only itself.
So a lower priority helps playback only in a process (threads at nice 19 measured no
better than at nice 10).

Measured on 2 cores at load 6-13 from other work, split deployment, one playback client
on 1 MiB ranges and 20 sign-ins at once, 4 rounds each (medians of during ÷ alone):
workers at nice 10 kept 0.71 of playback's throughput (p50 1.48 times) at 15.4 sign-ins/s,
at nice 19 0.82 (p50 1.22 times) at 12.2/s, at idle priority (Linux ``SCHED_IDLE``) 0.84
(p50 1.08 times) at 10.1/s. Idle priority is not used: such a task gets about 0.3 % of a core
that anything else wants, so while a transcode fills the cores one sign-in would take
seconds and a queue of them minutes; at nice 19 (about 1.5 %) one takes a second or two.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import concurrent.futures.process
import contextlib
import multiprocessing
import os
import secrets
import threading
from collections.abc import Callable
from typing import NamedTuple, TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import ARGON2_VERSION

from streamstack.kernel.lifetime import die_with_parent

T = TypeVar("T")


def hashing_slots(parallelism: int, cores: int | None = None) -> int:
    """How many argon2 computations may run at once: enough to fill every core this process
    may use but one, which stays for everything else (playback, other requests).

    Each computation keeps ``parallelism`` cores busy (argon2's lanes run in threads of their
    own). One is always allowed, so a one-core machine still signs users in.
    """
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
        cores = cores or os.cpu_count() or 1
    return max(1, (cores - 1) // max(1, parallelism))


#: How much nicer than the serving process the hashing workers run: when they compete
#: with playback for a core, the scheduler gives playback nearly all of it (Linux weighs a
#: nice 19 task at about 1/70 of nice 0), yet a sign-in still finishes while a transcode
#: fills every core.
HASHING_NICENESS = 19
_NICEST = 19


class Cost(NamedTuple):
    """argon2id's parameters: what a worker needs to build its hasher."""

    memory_kib: int
    time_cost: int
    parallelism: int


def _start_worker() -> None:
    """A hashing worker's start: it dies with its parent (the app) and runs
    :data:`HASHING_NICENESS` levels nicer."""
    die_with_parent()
    with contextlib.suppress(AttributeError, OSError):
        current = os.getpriority(os.PRIO_PROCESS, 0)  # inherited from the serving process
        os.setpriority(os.PRIO_PROCESS, 0, min(_NICEST, current + HASHING_NICENESS))


# Each worker's hashers, by cost (built once: a PasswordHasher validates its parameters).
_hashers: dict[Cost, PasswordHasher] = {}


def _hasher(cost: Cost) -> PasswordHasher:
    hasher = _hashers.get(cost)
    if hasher is None:
        hasher = PasswordHasher(
            time_cost=cost.time_cost,
            memory_cost=cost.memory_kib,
            parallelism=cost.parallelism,
            type=Type.ID,
        )
        _hashers[cost] = hasher
    return hasher


def hash_in_worker(cost: Cost, password: str) -> str:
    """The argon2id hash of ``password`` (run in a hashing worker)."""
    return _hasher(cost).hash(password)


def verify_in_worker(cost: Cost, password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (run in a hashing worker)."""
    try:
        return _hasher(cost).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# One pool per size for the whole process: every app built in it (tests build hundreds)
# shares the workers, which exit with the process.
_pools: dict[int, concurrent.futures.ProcessPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(slots: int) -> concurrent.futures.ProcessPoolExecutor:
    with _pools_lock:
        pool = _pools.get(slots)
        if pool is None:
            # spawn: a fresh interpreter; forking would copy the app's threads and locks,
            # and the fork server is ingest's sandbox, started with a stripped environment.
            pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=slots,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
            )
            _pools[slots] = pool
        return pool


def _discard(slots: int, broken: concurrent.futures.ProcessPoolExecutor) -> None:
    with _pools_lock:
        if _pools.get(slots) is broken:
            del _pools[slots]
    broken.shutdown(wait=False)


class PasswordHashing:
    """Hash and verify passwords with argon2id at the configured cost.

    Each hash takes ``memory_kib`` of memory and CPU in a hashing worker process. The pool
    has :func:`hashing_slots` workers, so at least one core stays free of hashing and a
    burst of sign-ins queues (bounding its memory) instead of starving playback; the
    workers run at a lower priority, for the cores they do share.
    """

    def __init__(
        self, *, memory_kib: int, time_cost: int, parallelism: int, slots: int | None = None
    ) -> None:
        self._cost = Cost(memory_kib, time_cost, parallelism)
        # In this process only to read hashes (needs_rehash) and to size the dummy hash.
        self._hasher = _hasher(self._cost)
        self.slots = slots if slots is not None else hashing_slots(parallelism)
        # A well-formed hash with the current parameters and random bytes: verifying
        # against it costs what a real verification costs, and computing it costs nothing.
        salt = _b64(secrets.token_bytes(self._hasher.salt_len))
        digest = _b64(secrets.token_bytes(self._hasher.hash_len))
        cost = f"m={memory_kib},t={time_cost},p={parallelism}"
        self._dummy_hash = f"$argon2id$v={ARGON2_VERSION}${cost}${salt}${digest}"

    async def hash(self, password: str) -> str:
        """The argon2id hash of ``password`` (PHC string with salt and parameters)."""
        return await self._run(hash_in_worker, self._cost, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``password_hash``."""
        return await self._run(verify_in_worker, self._cost, password_hash, password)

    async def verify_nobody(self, password: str) -> None:
        """Spend the time a real verification takes, for an email with no account.

        Without this, a login for an unknown email would answer measurably faster than
        one with a wrong password, and reveal which emails have accounts.
        """
        await self.verify(self._dummy_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether ``password_hash`` was made with other (weaker) parameters."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True

    async def _run(self, work: Callable[..., T], *args: object) -> T:
        """``work(*args)`` in a hashing worker (``work`` and ``args`` must pickle)."""
        loop = asyncio.get_running_loop()
        pool = _pool(self.slots)
        try:
            return await loop.run_in_executor(pool, work, *args)
        except concurrent.futures.process.BrokenProcessPool:
            # A worker died (killed for memory, say): the pool refuses all work from then
            # on, so the next sign-in gets a new one instead of an error forever.
            _discard(self.slots, pool)
            return await loop.run_in_executor(_pool(self.slots), work, *args)


def _b64(raw: bytes) -> str:
    # PHC strings use standard base64 without padding.
    return base64.b64encode(raw).decode().rstrip("=")
