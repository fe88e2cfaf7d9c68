"""argon2id password hashing, off the event loop and bounded in memory."""

from __future__ import annotations

import asyncio
import os
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError


class PasswordHashing:
    """Hash and verify passwords with argon2id at the configured cost.

    Each hash takes ``memory_kib`` of memory in a worker thread; a semaphore keeps at most
    one per core running, so a burst of logins queues instead of exhausting memory.
    """

    def __init__(self, *, memory_kib: int, time_cost: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            type=Type.ID,
        )
        self._slots = asyncio.Semaphore(os.cpu_count() or 1)
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        """The argon2id hash of ``password`` (PHC string with salt and parameters)."""
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``password_hash``."""
        async with self._slots:
            return await asyncio.to_thread(self._verify, password_hash, password)

    async def prepare(self) -> None:
        """Make the dummy hash now, so that the first unknown-email login is not slower."""
        await self._dummy()

    async def verify_nobody(self, password: str) -> None:
        """Spend the time a real verification takes, for an email with no account.

        Without this, a login for an unknown email would answer measurably faster than
        one with a wrong password, and reveal which emails have accounts.
        """
        await self.verify(await self._dummy(), password)

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether ``password_hash`` was made with other (weaker) parameters."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
