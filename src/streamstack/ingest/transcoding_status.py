"""Whether transcoding works: the queue of transcoding jobs and the workers taking them.

Transcoding workers are processes of their own (``streamstack worker``). When none runs,
uploads stay ``queued`` for ever and nothing else says why; this answers how many jobs
wait and run, which workers announced themselves on the queue (the job-queue port's
``workers()``), and how many jobs a worker no longer seen still holds (a killed one's, queued
again when their ack wait ends), for the admins' library page and ``streamstack workers``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec

from streamstack.ingest.schemas import TranscodingStatus
from streamstack.kernel.jobs import JobQueue


class TranscodingQueue:
    """The queue of transcoding jobs as admins watch it."""

    def __init__(self, queue: JobQueue, unrelayed: Callable[[], Awaitable[int]]) -> None:
        self.queue = queue
        self.unrelayed = unrelayed

    async def status(self) -> TranscodingStatus:
        """The jobs waiting and running and the workers seen (503 ``jobs_unavailable`` when
        the queue's backend does not answer)."""
        backlog = await self.queue.backlog()
        workers = await self.queue.workers()
        status = TranscodingStatus.of(backlog, workers, self.queue.config)
        return msgspec.structs.replace(status, unrelayed=await self.unrelayed())
