"""argon2id password hashing, off the event loop and bounded in memory."""

from __future__ import annotations

import asyncio
import base64
import os
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import ARGON2_VERSION


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
        # A well-formed hash with the current parameters and random bytes: verifying
        # against it costs what a real verification costs, and computing it costs nothing.
        salt = _b64(secrets.token_bytes(self._hasher.salt_len))
        digest = _b64(secrets.token_bytes(self._hasher.hash_len))
        cost = f"m={memory_kib},t={time_cost},p={parallelism}"
        self._dummy_hash = f"$argon2id$v={ARGON2_VERSION}${cost}${salt}${digest}"

    async def hash(self, password: str) -> str:
        """The argon2id hash of ``password`` (PHC string with salt and parameters)."""
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``password_hash``."""
        async with self._slots:
            return await asyncio.to_thread(self._verify, password_hash, password)

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

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def _b64(raw: bytes) -> str:
    # PHC strings use standard base64 without padding.
    return base64.b64encode(raw).decode().rstrip("=")
