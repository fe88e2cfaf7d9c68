"""Job-queue port: durable work items handed to one worker at a time, retried, dead-lettered.

Two adapters implement :class:`JobQueue`: a NATS JetStream work-queue stream in production
(:mod:`.nats`) and an embedded SQLite queue in the data directory for ``streamstack dev``
(:mod:`.embedded`). Both pass the same suite in ``tests/kernel/test_jobs_port.py``.

Semantics shared by both:

* ``enqueue`` with a job id already enqueued within the dedupe window stores nothing.
* A consumer holds a delivery for ``ack_wait`` seconds; ``in_progress()`` restarts that
  clock. A delivery neither acked nor released in time is delivered again (to anyone).
* ``attempt`` counts deliveries, 1 for the first; ``max_deliver`` are allowed. A delivery
  given back with ``release`` (a worker stopping) is no attempt: the next one has the
  same number. Whoever
  holds a delivery decides what a failure means (``nak`` with ``retry_delay`` for another
  attempt, ``term`` to dead-letter it: :class:`~streamstack.kernel.jobs.worker.JobWorker`
  does so); a job whose holder vanished on its last attempt is dead-lettered the next time
  a consumer sees it, without running it.
* Delivery is at least once: handlers must be idempotent.
* Each running worker announces itself (``announce``, a :class:`WorkerSeen`) every third
  of ``presence_ttl``; ``workers()`` lists those seen within it. A graceful stop drops the
  record (``withdraw``); a killed worker's ages out. So an admin can tell "nothing takes
  jobs".

:class:`~streamstack.kernel.jobs.worker.JobWorker` runs handlers on top of any queue.
"""

from __future__ import annotations

import abc
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Protocol

import msgspec

from streamstack.kernel.errors import BadRequest, ServiceUnavailable

# Job ids and kinds travel in NATS subjects and headers, so both adapters accept only
# characters that are safe there (a UUID or a slug fits).
_JOB_ID = re.compile(r"[A-Za-z0-9_\-=]{1,128}")
_KIND = re.compile(r"[a-z0-9_\-]{1,64}")
#: Between the id of a job and the token of a repeat of it (:func:`repeat_id`).
REPEAT_MARK = "="
#: A queue name (also the ``transcode_queue`` setting's rule): it becomes a stream name.
QUEUE_NAME = r"[a-z0-9_\-]{1,48}"
_QUEUE = re.compile(QUEUE_NAME)


class JobsUnavailable(ServiceUnavailable, code="jobs_unavailable"):
    """The job queue backend did not answer."""


class InvalidJob(BadRequest, code="invalid_job"):
    """A job id, kind or queue name outside the allowed alphabet."""


class Job(msgspec.Struct, frozen=True):
    """One unit of work: a caller-chosen id (the dedupe key), a kind and opaque bytes."""

    id: str
    kind: str
    payload: bytes


class DeadLetter(msgspec.Struct, frozen=True):
    """A job given up on: what it was, how many deliveries it had, and why it failed."""

    job: Job
    attempts: int
    reason: str
    failed_at: float


class Backlog(msgspec.Struct, frozen=True):
    """Jobs not finished: ``waiting`` for a consumer (incl. delayed retries), ``running``."""

    waiting: int
    running: int

    @property
    def total(self) -> int:
        """Every job not yet acked or dead-lettered."""
        return self.waiting + self.running


class WorkerSeen(msgspec.Struct, frozen=True):
    """A job worker as it last announced itself on a queue: its ``id`` (its own, new at
    each start), the ``host`` and process (``pid``) it runs in, how many jobs it runs at
    once (``concurrency``) and now (``running``), when it ``started`` and was last ``seen``
    (Unix times, by its own clock); ``waiting``: why its jobs wait, while a service they
    need is down (they are held, not failed)."""

    id: str
    host: str
    pid: int
    concurrency: int
    running: int
    started: float
    seen: float
    waiting: str | None = None


def workers_seen(records: Iterable[bytes]) -> list[WorkerSeen]:
    """The workers of stored announcements (JSON :class:`WorkerSeen`), the longest running
    first; a record that does not read as one (another version's) is left out."""
    seen = []
    for record in records:
        try:
            seen.append(msgspec.json.decode(record, type=WorkerSeen))
        except msgspec.DecodeError:
            continue
    return sorted(seen, key=lambda worker: (worker.started, worker.id))


class QueueConfig(msgspec.Struct, frozen=True):
    """How a queue redelivers, and how long a worker's announcement lasts.

    ``retry_delays[i]`` is the wait before attempt ``i + 2`` after a failure (the last value
    repeats); ``dedupe_window`` is how long a job id is remembered after ``enqueue``;
    ``presence_ttl`` how long a worker counts as seen after it announced itself (workers
    announce every third of it).
    """

    ack_wait: float = 30.0
    max_deliver: int = 5
    retry_delays: Sequence[float] = (2.0, 10.0, 30.0, 120.0)
    dedupe_window: float = 3600.0
    presence_ttl: float = 30.0

    def retry_delay(self, attempt: int) -> float:
        """The wait before the next delivery after attempt number ``attempt`` failed."""
        if not self.retry_delays:
            return 0.0
        return float(self.retry_delays[min(max(attempt, 1), len(self.retry_delays)) - 1])


#: Called with the dead letter before a job is dead-lettered (e.g. to mark an item failed).
#: If it raises, the job is not dead-lettered now: it comes back after its ack wait.
DeadLetterHook = Callable[[DeadLetter], Awaitable[None]]


def abandoned_reason(attempts: int) -> str:
    """The dead-letter reason of a job whose holder never reported an outcome."""
    return (
        f"no outcome after {attempts} deliveries: the worker holding the last attempt "
        "stopped or timed out without acknowledging it"
    )


class Delivery(Protocol):
    """One job handed to one consumer, until it is acked, released or its ack wait ends."""

    job: Job
    attempt: int

    async def ack(self) -> None:
        """The job is done: it will not be delivered again."""
        ...

    async def nak(self, delay: float = 0.0) -> None:
        """Give the job back, to be delivered again after ``delay`` seconds: this attempt
        is spent."""
        ...

    async def release(self) -> None:
        """Give the job back unfinished but not failed (its holder stops), to be delivered
        again at once: this attempt is not spent, the next delivery has its number."""
        ...

    async def in_progress(self) -> None:
        """Still working: restart the ack-wait clock."""
        ...

    async def term(self, reason: str) -> None:
        """Give up on the job now: record a dead letter with ``reason``, never redeliver."""
        ...


class JobConsumer(Protocol):
    """One puller. Use one per concurrent worker; many may share a queue."""

    async def next(self, wait: float) -> Delivery | None:
        """The next delivery, or None when none came within ``wait`` seconds."""
        ...

    async def close(self) -> None:
        """Stop pulling (deliveries still held time out and are redelivered)."""
        ...


class JobQueue(Protocol):
    """A named, durable queue of jobs."""

    name: str
    config: QueueConfig

    async def enqueue(self, job_id: str, kind: str, payload: bytes) -> bool:
        """Store a job; False when ``job_id`` was enqueued within the dedupe window."""
        ...

    async def consumer(self, on_dead_letter: DeadLetterHook | None = None) -> JobConsumer:
        """A new consumer of this queue; ``on_dead_letter`` runs for each job it gives up."""
        ...

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """Poison jobs, oldest first."""
        ...

    async def backlog(self) -> Backlog:
        """How many jobs wait and run (for metrics and readiness). A gauge, not a receipt: on
        JetStream the count of waiting jobs may trail an acknowledged ``enqueue`` by a moment."""
        ...

    async def ping(self) -> None:
        """Raise :class:`JobsUnavailable` unless the backend answers."""
        ...

    async def announce(self, worker: WorkerSeen) -> None:
        """Record ``worker`` as seen for ``config.presence_ttl`` seconds, replacing its
        earlier record."""
        ...

    async def withdraw(self, worker_id: str) -> None:
        """Drop the record of worker ``worker_id`` (it stops); no error if there is none."""
        ...

    async def workers(self) -> list[WorkerSeen]:
        """The workers that announced themselves within ``config.presence_ttl`` seconds,
        the longest running first."""
        ...


class CheckedQueue(abc.ABC):
    """What every adapter's :class:`JobQueue` does alike: its name is checked, its config is
    the defaults unless one is given, and each job's id and kind are checked before it is
    stored.

    An adapter adds :meth:`_store`, ``consumer``, ``dead_letters``, ``backlog``, ``ping``,
    ``announce``, ``withdraw`` and ``workers``.
    """

    def __init__(self, name: str, config: QueueConfig | None) -> None:
        self.name = check_queue(name)
        self.config = config or QueueConfig()

    async def enqueue(self, job_id: str, kind: str, payload: bytes) -> bool:
        """Store a job; False when ``job_id`` was enqueued within the dedupe window."""
        check_job(job_id, kind)
        return await self._store(job_id, kind, payload)

    @abc.abstractmethod
    async def _store(self, job_id: str, kind: str, payload: bytes) -> bool:
        """Store a checked job; False when ``job_id`` is a repeat within the dedupe window."""


class HeldDelivery(abc.ABC):
    """What every adapter's :class:`Delivery` does alike: the dead-letter hook runs before
    a job is given up, and a job delivered past ``max_deliver`` is given up unrun.

    An adapter adds ``ack``, ``nak``, ``release``, ``in_progress`` and :meth:`_bury`.
    """

    def __init__(
        self, job: Job, attempt: int, config: QueueConfig, on_dead_letter: DeadLetterHook | None
    ) -> None:
        self.job = job
        self.attempt = attempt
        self._config = config
        self._on_dead_letter = on_dead_letter

    @abc.abstractmethod
    async def nak(self, delay: float = 0.0) -> None:
        """Give the job back, to be delivered again after ``delay`` seconds."""

    @abc.abstractmethod
    async def release(self) -> None:
        """Give the job back at once, this attempt unspent."""

    @abc.abstractmethod
    async def _bury(self, letter: DeadLetter) -> None:
        """Store ``letter`` and drop the job for good."""

    async def term(self, reason: str) -> None:
        """Give up on the job now: the hook first, then the dead letter."""
        letter = DeadLetter(self.job, self.attempt, reason, time.time())
        if self._on_dead_letter is not None:
            await self._on_dead_letter(letter)
        await self._bury(letter)

    async def bury_if_abandoned(self) -> bool:
        """Dead-letter, without running it, a job delivered past ``max_deliver`` (the holder
        of its last attempt vanished); True when it was."""
        if self.attempt <= self._config.max_deliver:
            return False
        await self.term(abandoned_reason(self.attempt - 1))
        return True


def check_job(job_id: str, kind: str) -> None:
    """Raise :class:`InvalidJob` unless ``job_id`` and ``kind`` are in their alphabets."""
    if not _JOB_ID.fullmatch(job_id):
        raise InvalidJob(f"invalid job id {job_id[:64]!r}")
    if not _KIND.fullmatch(kind):
        raise InvalidJob(f"invalid job kind {kind[:64]!r}")


def repeat_id(job_id: str) -> str:
    """A new id for doing job ``job_id``'s work again on purpose (the dedupe window drops a
    second ``job_id``); :meth:`~streamstack.kernel.jobs.worker.JobWorker.cancel` of
    ``job_id`` stops the repeat too."""
    return f"{original_id(job_id)}{REPEAT_MARK}{secrets.token_hex(6)}"


def original_id(job_id: str) -> str:
    """The id of the job that ``job_id`` repeats (``job_id`` itself when it is no repeat)."""
    return job_id.partition(REPEAT_MARK)[0]


def check_queue(name: str) -> str:
    """Return ``name`` if it is a valid queue name, else raise ValueError."""
    if not _QUEUE.fullmatch(name):
        raise ValueError(f"invalid job queue name {name!r}")
    return name
