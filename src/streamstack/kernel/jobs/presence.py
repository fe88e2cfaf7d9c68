"""A job worker's presence on its queue: who it is and how busy, announced while it runs.

A :class:`~streamstack.kernel.jobs.worker.JobWorker` owns one :class:`Presence`. While the
worker runs, it announces a :class:`~streamstack.kernel.jobs.WorkerSeen` record every third
of the queue's ``presence_ttl``, and at once when the number of jobs it runs changes; its
graceful stop withdraws the record. A worker killed, or cut off from the queue's backend,
stops announcing and ages out after the TTL. So "no worker seen" means no worker has told
the queue it takes jobs for a whole TTL.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import time
from collections.abc import Callable

import structlog

from streamstack.kernel.jobs import JobQueue, WorkerSeen
from streamstack.kernel.tasks import wait_at_most

log = structlog.get_logger(__name__)

#: How long a stopping worker waits for its record to be dropped (it ages out otherwise).
WITHDRAW_SECONDS = 2.0


class Presence:
    """Announces one worker on ``queue`` while it runs: ``concurrency`` slots, and
    ``running()`` jobs now."""

    def __init__(self, queue: JobQueue, concurrency: int, running: Callable[[], int]) -> None:
        self.queue = queue
        self.concurrency = concurrency
        self._running = running
        self._every = queue.config.presence_ttl / 3
        self._changed = asyncio.Event()
        self._stopped = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.worker_id = ""
        self._started = 0.0

    def start(self) -> None:
        """Begin announcing, under a new worker id (no-op while announcing)."""
        if self._task is not None:
            return
        self.worker_id = secrets.token_hex(8)
        self._started = time.time()
        self._stopped.clear()
        self._task = asyncio.create_task(self._announce(), name=f"presence-{self.queue.name}")

    def changed(self) -> None:
        """The number of running jobs changed: announce it now, not at the next beat."""
        self._changed.set()

    def record(self) -> WorkerSeen:
        """What this worker announces now."""
        return WorkerSeen(
            id=self.worker_id,
            host=socket.gethostname(),
            pid=os.getpid(),
            concurrency=self.concurrency,
            running=self._running(),
            started=self._started,
            seen=time.time(),
        )

    async def stop(self) -> None:
        """Stop announcing and drop the record (best effort: it ages out otherwise)."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopped.set()
        self._changed.set()
        task.cancel()
        # Not ``await task``: a client library may lose the cancellation (an
        # ``asyncio.wait_for`` of Python 3.11, gh-86296); the loop then ends at the flag.
        await asyncio.wait({task}, timeout=WITHDRAW_SECONDS)
        try:
            async with asyncio.timeout(WITHDRAW_SECONDS):
                await self.queue.withdraw(self.worker_id)
        except Exception as exc:  # a record left behind ages out
            log.info("jobs.withdraw_failed", queue=self.queue.name, error=repr(exc))

    async def _announce(self) -> None:
        while not self._stopped.is_set():
            self._changed.clear()
            try:
                await self.queue.announce(self.record())
            except Exception as exc:  # the next beat may get through; the TTL is the bound
                log.debug("jobs.announce_failed", queue=self.queue.name, error=repr(exc))
            if not self._stopped.is_set():
                await wait_at_most(self._every, self._changed.wait())
