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
from streamstack.kernel.tasks import BackgroundTask

log = structlog.get_logger(__name__)

#: How long a stopping worker waits for its record to be dropped (it ages out otherwise).
WITHDRAW_SECONDS = 2.0


class Presence:
    """Announces one worker on ``queue`` while it runs: ``concurrency`` slots, and
    ``running()`` jobs now, and why they wait when a service they need is down
    (``waiting()``). The beat is the kernel's one :class:`BackgroundTask` (a failed
    announcement backs off; ``changed`` wakes it)."""

    def __init__(
        self,
        queue: JobQueue,
        concurrency: int,
        running: Callable[[], int],
        waiting: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.queue = queue
        self.concurrency = concurrency
        self._running = running
        self._waiting = waiting
        beat = queue.config.presence_ttl / 3
        # A failed announcement is tried again within a beat at most: longer, and the
        # record would age out after an outage the worker came through.
        self._beat = BackgroundTask(
            f"jobs.presence.{queue.name}",
            self._announce,
            interval_seconds=beat,
            retry_max_seconds=beat,
        )
        self.worker_id = ""
        self._started = 0.0

    async def start(self) -> None:
        """Begin announcing, under a new worker id (no-op while announcing)."""
        if self._beat.running:
            return
        self.worker_id = secrets.token_hex(8)
        self._started = time.time()
        await self._beat.start()

    def changed(self) -> None:
        """The number of running jobs, or why they wait, changed: announce it now, not at
        the next beat."""
        self._beat.wake()

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
            waiting=self._waiting(),
        )

    async def stop(self) -> None:
        """Stop announcing and drop the record (best effort: it ages out otherwise)."""
        if not self._beat.running:
            return
        await self._beat.stop(timeout_seconds=WITHDRAW_SECONDS)
        try:
            async with asyncio.timeout(WITHDRAW_SECONDS):
                await self.queue.withdraw(self.worker_id)
        except Exception as exc:  # a record left behind ages out
            log.info("jobs.withdraw_failed", queue=self.queue.name, error=repr(exc))

    async def _announce(self) -> None:
        await self.queue.announce(self.record())
