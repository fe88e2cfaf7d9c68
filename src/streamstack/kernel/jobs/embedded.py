"""Embedded job queue for ``streamstack dev``: a SQLite file in the data directory.

A job row stays in ``jobs`` until it is acked or dead-lettered, so a restart loses
nothing. A consumer claims the oldest visible row with one conditional ``UPDATE``
(SQLite serialises writers, so two consumers, even in two processes, never claim the same
row at once); the claim sets a lease token and hides the row for ``ack_wait`` seconds.
A holder that stops heartbeating loses the row to whoever claims it next. The claim counts
the delivery (``deliveries``, the attempt); a release counts it back. Workers' announcements
are rows of ``job_workers``, each with the moment it stops counting (``expires_at``).

Every process with the file open holds a shared ``flock`` on :data:`HOLDERS_SUFFIX`
beside it, which the system drops when the process ends, however it ends. A queue that
gets that lock alone as it opens knows every lease in the file is a dead process's (a
``kill -9``, a power cut): it releases them at once, not counting the attempt, instead
of leaving the jobs hidden for their ack wait and taking them again as a further attempt.
(A JetStream queue has no such proof, as its consumers are anywhere: its jobs come back
after their ack wait.)
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import msgspec
import structlog

from streamstack.kernel import jobs
from streamstack.kernel.storage.private_files import FILE_MODE, private_directory, private_file
from streamstack.kernel.tasks import wait_at_most

T = TypeVar("T")
log = structlog.get_logger(__name__)

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS jobs (
        queue TEXT NOT NULL,
        id TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload BLOB NOT NULL,
        deliveries INTEGER NOT NULL DEFAULT 0,
        visible_after REAL NOT NULL,
        lease TEXT,
        PRIMARY KEY (queue, id)
    )""",
    "CREATE INDEX IF NOT EXISTS jobs_visible ON jobs (queue, visible_after)",
    "CREATE INDEX IF NOT EXISTS jobs_lease ON jobs (lease)",
    """CREATE TABLE IF NOT EXISTS job_ids (
        queue TEXT NOT NULL,
        id TEXT NOT NULL,
        enqueued_at REAL NOT NULL,
        PRIMARY KEY (queue, id)
    )""",
    """CREATE TABLE IF NOT EXISTS dead_jobs (
        queue TEXT NOT NULL,
        id TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload BLOB NOT NULL,
        attempts INTEGER NOT NULL,
        reason TEXT NOT NULL,
        failed_at REAL NOT NULL,
        PRIMARY KEY (queue, id)
    )""",
    """CREATE TABLE IF NOT EXISTS job_workers (
        queue TEXT NOT NULL,
        id TEXT NOT NULL,
        seen BLOB NOT NULL,
        expires_at REAL NOT NULL,
        PRIMARY KEY (queue, id)
    )""",
)

_CLAIM = """
UPDATE jobs SET deliveries = deliveries + 1, visible_after = :until, lease = :lease
WHERE rowid = (
    SELECT rowid FROM jobs WHERE queue = :queue AND visible_after <= :now
    ORDER BY visible_after, rowid LIMIT 1
) AND visible_after <= :now
RETURNING id, kind, payload, deliveries
"""

#: How often an idle consumer looks again (jobs can become visible by time or by another
#: process's enqueue, neither of which wakes it).
_POLL_SECONDS = 0.25

#: How long a write waits for another connection's lock on the file before the queue
#: counts as unavailable (a process's own calls take turns under one lock, so only another
#: process, or a person with the file open, makes it wait).
BUSY_SECONDS = 10.0

#: Beside the queue's file: the file each process with the queue open holds a shared lock on.
HOLDERS_SUFFIX = ".holders"


class EmbeddedJobQueue(jobs.CheckedQueue):
    """A :class:`~streamstack.kernel.jobs.JobQueue` persisted to the SQLite file ``path``."""

    def __init__(self, path: Path, name: str, config: jobs.QueueConfig | None = None) -> None:
        super().__init__(name, config)
        # The queue's folder is its own: 0700 even if it existed; the file 0600 (SQLite gives
        # its -wal and -shm files the database file's mode).
        private_directory(path.parent, owned=True)
        private_file(path)
        self._db = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=BUSY_SECONDS
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        for statement in _SCHEMA:
            self._db.execute(statement)
        self._holding: int | None = _hold(path.with_name(path.name + HOLDERS_SUFFIX), self._db)
        self._lock = threading.Lock()
        self._wakeup: asyncio.Condition | None = None

    async def _store(self, job_id: str, kind: str, payload: bytes) -> bool:

        def insert(db: sqlite3.Connection) -> bool:
            now = time.time()
            with _transaction(db):
                db.execute(
                    "DELETE FROM job_ids WHERE queue = ? AND enqueued_at < ?",
                    (self.name, now - self.config.dedupe_window),
                )
                fresh = db.execute(
                    "INSERT OR IGNORE INTO job_ids (queue, id, enqueued_at) VALUES (?, ?, ?)",
                    (self.name, job_id, now),
                ).rowcount
                if not fresh:
                    return False
                # A job still queued past the dedupe window is not stored twice.
                return bool(
                    db.execute(
                        "INSERT OR IGNORE INTO jobs (queue, id, kind, payload, visible_after)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (self.name, job_id, kind, bytes(payload), now),
                    ).rowcount
                )

        stored = await self._run(insert)
        if stored:
            await self._notify()
        return stored

    async def consumer(
        self, on_dead_letter: jobs.DeadLetterHook | None = None
    ) -> EmbeddedJobConsumer:
        return EmbeddedJobConsumer(self, on_dead_letter)

    async def dead_letters(self, limit: int = 100) -> list[jobs.DeadLetter]:
        rows = await self._run(
            lambda db: db.execute(
                "SELECT id, kind, payload, attempts, reason, failed_at FROM dead_jobs"
                " WHERE queue = ? ORDER BY failed_at, rowid LIMIT ?",
                (self.name, limit),
            ).fetchall()
        )
        return [jobs.DeadLetter(jobs.Job(i, k, p), a, r, f) for i, k, p, a, r, f in rows]

    async def backlog(self) -> jobs.Backlog:
        def count(db: sqlite3.Connection) -> tuple[int, int]:
            row = db.execute(
                "SELECT count(*), coalesce(sum(lease IS NOT NULL AND visible_after > ?), 0)"
                " FROM jobs WHERE queue = ?",
                (time.time(), self.name),
            ).fetchone()
            return int(row[0]), int(row[1])

        total, running = await self._run(count)
        return jobs.Backlog(waiting=total - running, running=running)

    async def ping(self) -> None:
        await self._run(lambda db: db.execute("SELECT 1").fetchone())

    async def announce(self, worker: jobs.WorkerSeen) -> None:
        expires_at = time.time() + self.config.presence_ttl
        await self._run(
            lambda db: db.execute(
                "INSERT OR REPLACE INTO job_workers (queue, id, seen, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (self.name, worker.id, msgspec.json.encode(worker), expires_at),
            )
        )

    async def withdraw(self, worker_id: str) -> None:
        await self._run(
            lambda db: db.execute(
                "DELETE FROM job_workers WHERE queue = ? AND id = ?", (self.name, worker_id)
            )
        )

    async def workers(self) -> list[jobs.WorkerSeen]:
        def seen(db: sqlite3.Connection) -> list[bytes]:
            now = time.time()
            db.execute("DELETE FROM job_workers WHERE expires_at <= ?", (now,))
            rows = db.execute(
                "SELECT seen FROM job_workers WHERE queue = ? AND expires_at > ?",
                (self.name, now),
            ).fetchall()
            return [row[0] for row in rows]

        return jobs.workers_seen(await self._run(seen))

    async def close(self) -> None:
        """Close the file; jobs held by consumers are redelivered after their ack wait, or
        as soon as a queue opens the file with no other process on it."""
        with self._lock:
            self._db.close()
            holding, self._holding = self._holding, None
            if holding is not None:
                os.close(holding)  # the shared lock goes with it

    # --- used by consumers and deliveries ---------------------------------------------------

    async def _claim(self, on_dead_letter: jobs.DeadLetterHook | None) -> EmbeddedDelivery | None:
        lease = uuid.uuid4().hex
        now = time.time()
        params = {"queue": self.name, "now": now, "until": now + self.config.ack_wait}
        rows = await self._run(lambda db: db.execute(_CLAIM, {**params, "lease": lease}).fetchall())
        if not rows:
            return None
        job_id, kind, payload, deliveries = rows[0]
        job = jobs.Job(job_id, kind, payload)
        return EmbeddedDelivery(self, job, int(deliveries), lease, on_dead_letter)

    async def _update(self, sql: str, *params: object) -> bool:
        """Run one statement on this delivery's row; False when the lease was lost."""
        changed = await self._run(lambda db: db.execute(sql, params).rowcount)
        return bool(changed)

    async def _dead_letter(self, lease: str, letter: jobs.DeadLetter) -> bool:
        def move(db: sqlite3.Connection) -> bool:
            with _transaction(db):
                db.execute(
                    "INSERT OR REPLACE INTO dead_jobs"
                    " (queue, id, kind, payload, attempts, reason, failed_at)"
                    " SELECT queue, id, kind, payload, ?, ?, ? FROM jobs"
                    " WHERE queue = ? AND lease = ?",
                    (letter.attempts, letter.reason, letter.failed_at, self.name, lease),
                )
                return bool(
                    db.execute(
                        "DELETE FROM jobs WHERE queue = ? AND lease = ?", (self.name, lease)
                    ).rowcount
                )

        return await self._run(move)

    async def _wait(self, seconds: float) -> None:
        if self._wakeup is None:
            self._wakeup = asyncio.Condition()
        async with self._wakeup:
            await wait_at_most(seconds, self._wakeup.wait())

    async def _notify(self) -> None:
        if self._wakeup is not None:
            async with self._wakeup:
                self._wakeup.notify_all()

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def locked() -> T:
            with self._lock:
                return work(self._db)

        try:
            return await asyncio.to_thread(locked)
        except sqlite3.Error as exc:
            raise jobs.JobsUnavailable(f"job queue {self.name!r} is unavailable: {exc}") from exc


def _hold(holders: Path, db: sqlite3.Connection) -> int:
    """Hold the queue file's shared lock (its open descriptor); first, when no other process
    holds it, release every job a lease holds: their holders are provably dead."""
    fd = os.open(holders, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pass  # another process has the queue open: its leases may be live
    else:
        with _transaction(db):
            # Visible now, not after the ack wait; the attempt stays spent (unlike a release):
            # a job that itself kills its process (the OOM killer) must still run out of
            # attempts, not be taken again as its first by every restart.
            released = db.execute(
                "UPDATE jobs SET lease = NULL, visible_after = min(visible_after, ?)"
                " WHERE lease IS NOT NULL RETURNING queue",
                (time.time(),),
            ).fetchall()
        if released:
            log.info(
                "jobs.released_after_restart",
                count=len(released),
                queues=sorted({queue for (queue,) in released}),
            )
    # Converted, not dropped: a flock turns shared in place (if not atomically; nothing was
    # claimed yet, so a sweep by another process opening meanwhile takes nothing live).
    fcntl.flock(fd, fcntl.LOCK_SH)
    return fd


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class EmbeddedJobConsumer:
    """A :class:`~streamstack.kernel.jobs.JobConsumer` of an :class:`EmbeddedJobQueue`."""

    def __init__(self, queue: EmbeddedJobQueue, on_dead_letter: jobs.DeadLetterHook | None) -> None:
        self._queue = queue
        self._on_dead_letter = on_dead_letter
        self._closed = False

    async def next(self, wait: float) -> EmbeddedDelivery | None:
        deadline = time.monotonic() + wait
        while not self._closed:
            delivery = await self._queue._claim(self._on_dead_letter)
            if delivery is not None:
                if not await delivery.bury_if_abandoned():
                    return delivery
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            await self._queue._wait(min(remaining, _POLL_SECONDS))
        return None

    async def close(self) -> None:
        self._closed = True


class EmbeddedDelivery(jobs.HeldDelivery):
    """A :class:`~streamstack.kernel.jobs.Delivery` identified by its lease token."""

    def __init__(
        self,
        queue: EmbeddedJobQueue,
        job: jobs.Job,
        attempt: int,
        lease: str,
        on_dead_letter: jobs.DeadLetterHook | None = None,
    ) -> None:
        super().__init__(job, attempt, queue.config, on_dead_letter)
        self._queue = queue
        self._lease = lease

    async def ack(self) -> None:
        if not await self._queue._update(
            "DELETE FROM jobs WHERE queue = ? AND lease = ?", self._queue.name, self._lease
        ):
            log.warning("jobs.ack_after_lease_lost", queue=self._queue.name, job=self.job.id)

    async def nak(self, delay: float = 0.0) -> None:
        await self._queue._update(
            "UPDATE jobs SET visible_after = ?, lease = NULL WHERE queue = ? AND lease = ?",
            time.time() + max(delay, 0.0),
            self._queue.name,
            self._lease,
        )
        await self._queue._notify()

    async def release(self) -> None:
        # The claim counted this delivery: uncount it, so the next claim is this attempt.
        await self._queue._update(
            "UPDATE jobs SET visible_after = ?, lease = NULL, deliveries = max(deliveries - 1, 0)"
            " WHERE queue = ? AND lease = ?",
            time.time(),
            self._queue.name,
            self._lease,
        )
        await self._queue._notify()

    async def in_progress(self) -> None:
        await self._queue._update(
            "UPDATE jobs SET visible_after = ? WHERE queue = ? AND lease = ?",
            time.time() + self._queue.config.ack_wait,
            self._queue.name,
            self._lease,
        )

    async def _bury(self, letter: jobs.DeadLetter) -> None:
        await self._queue._dead_letter(self._lease, letter)
