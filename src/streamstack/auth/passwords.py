"""argon2id password hashing, off the event loop, bounded in cores and memory."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import os
import secrets
import threading
from collections.abc import Callable
from typing import TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import ARGON2_VERSION

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


#: How much nicer than the rest of the process the hashing threads run: when they compete
#: with playback for a core, the scheduler gives playback most of it (Linux weighs a task
#: 10 nice levels up at about a tenth).
HASHING_NICENESS = 10
_NICEST = 19


def _lower_priority() -> None:
    # Linux schedules threads as tasks: setpriority on the thread id affects this thread only.
    with contextlib.suppress(AttributeError, OSError):
        thread = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(_NICEST, current + HASHING_NICENESS))


class PasswordHashing:
    """Hash and verify passwords with argon2id at the configured cost.

    Each hash takes ``memory_kib`` of memory and CPU in a thread of the hashing pool (argon2
    releases the GIL). The pool has :func:`hashing_slots` threads, so at least one core stays
    free of hashing and a burst of sign-ins queues (bounding its memory) instead of starving
    playback; its threads also run at a lower priority, for the cores they do share.
    """

    def __init__(
        self, *, memory_kib: int, time_cost: int, parallelism: int, slots: int | None = None
    ) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            type=Type.ID,
        )
        self.slots = slots if slots is not None else hashing_slots(parallelism)
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=self.slots, thread_name_prefix="argon2", initializer=_lower_priority
        )
        # A well-formed hash with the current parameters and random bytes: verifying
        # against it costs what a real verification costs, and computing it costs nothing.
        salt = _b64(secrets.token_bytes(self._hasher.salt_len))
        digest = _b64(secrets.token_bytes(self._hasher.hash_len))
        cost = f"m={memory_kib},t={time_cost},p={parallelism}"
        self._dummy_hash = f"$argon2id$v={ARGON2_VERSION}${cost}${salt}${digest}"

    async def hash(self, password: str) -> str:
        """The argon2id hash of ``password`` (PHC string with salt and parameters)."""
        return await self._run(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``password_hash``."""
        return await self._run(self._verify, password_hash, password)

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

    async def _run(self, work: Callable[..., T], *args: str) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, work, *args)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def _b64(raw: bytes) -> str:
    # PHC strings use standard base64 without padding.
    return base64.b64encode(raw).decode().rstrip("=")
