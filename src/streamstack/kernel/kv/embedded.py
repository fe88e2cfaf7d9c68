"""Embedded key-value store: an in-memory map written through to a SQLite file.

Reads are served from memory (the stream path does one per range request); every write
reaches the file before it returns, so a restart loses nothing. Single process only.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

from streamstack.kernel.kv import KeyExists, check_bucket, check_key
from streamstack.kernel.storage.private_files import private_file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (bucket, key)
)
"""
#: Every this many keys held, the expired ones leave memory and the file.
EVICT_EVERY = 1024


class EmbeddedKeyValueStore:
    """A :class:`~streamstack.kernel.kv.KeyValueStore` persisted to ``path``."""

    def __init__(self, path: Path, bucket: str, ttl_seconds: int) -> None:
        self.bucket = check_bucket(bucket)
        self.ttl_seconds = ttl_seconds
        # Live stream tokens: 0600 before SQLite opens it (its -wal/-shm files follow).
        self._db = sqlite3.connect(
            private_file(path), check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        now = time.time()
        self._db.execute("DELETE FROM kv WHERE bucket = ? AND expires_at <= ?", (bucket, now))
        rows = self._db.execute(
            "SELECT key, value, expires_at FROM kv WHERE bucket = ?", (bucket,)
        ).fetchall()
        self._memory: dict[str, tuple[bytes, float]] = {k: (v, e) for k, v, e in rows}
        self._lock = asyncio.Lock()
        # One statement at a time on the connection, and none while it closes: a cancelled
        # ``to_thread`` keeps running, and closing SQLite under a running statement crashes.
        self._db_lock = threading.Lock()

    async def get(self, key: str) -> bytes | None:
        entry = self._memory.get(check_key(key))
        if entry is None:
            return None
        value, expires_at = entry
        if expires_at <= time.time():
            return None
        return value

    async def put(self, key: str, value: bytes) -> None:
        check_key(key)
        async with self._lock:
            await self._write(key, value)

    async def create(self, key: str, value: bytes) -> None:
        check_key(key)
        async with self._lock:
            if await self.get(key) is not None:
                raise KeyExists(f"key {key!r} already exists")
            await self._write(key, value)

    async def delete(self, key: str) -> None:
        check_key(key)
        async with self._lock:
            await self._execute("DELETE FROM kv WHERE bucket = ? AND key = ?", (self.bucket, key))
            self._memory.pop(key, None)

    async def ping(self) -> None:
        await self._execute("SELECT 1", ())

    async def close(self) -> None:
        """Close the file, after any statement still running in a thread."""

        def close_locked() -> None:
            with self._db_lock:
                self._db.close()

        await asyncio.to_thread(close_locked)

    async def _execute(self, sql: str, parameters: tuple[object, ...]) -> None:
        def locked() -> None:
            with self._db_lock:
                self._db.execute(sql, parameters)

        await asyncio.to_thread(locked)

    async def _write(self, key: str, value: bytes) -> None:
        expires_at = time.time() + self.ttl_seconds
        await self._execute(
            "INSERT OR REPLACE INTO kv (bucket, key, value, expires_at) VALUES (?, ?, ?, ?)",
            (self.bucket, key, value, expires_at),
        )
        self._memory[key] = (bytes(value), expires_at)
        if len(self._memory) % EVICT_EVERY == 0:
            await self._evict_expired()

    async def _evict_expired(self) -> None:
        now = time.time()
        for key in [k for k, (_, e) in self._memory.items() if e <= now]:
            del self._memory[key]
        # The file too: else a long-running process keeps every expired key until a restart.
        await self._execute(
            "DELETE FROM kv WHERE bucket = ? AND expires_at <= ?", (self.bucket, now)
        )
