"""The generic job worker: N concurrent pullers running one handler on any job queue.

Each slot pulls one delivery at a time from its own consumer, runs the handler while
heartbeating ``in_progress`` (so a job may run far longer than the ack wait), then acks
on success, retries with the queue's backoff on an error, and dead-letters after the
last attempt (or at once when the handler raises :class:`JobRejected`); ``on_retry`` hears
each failure it retries, ``on_dead_letter`` each job it gives up. A service the
handler needs being down is not the job's fault: the worker keeps the delivery, runs the
handler again after a backoff, takes no other job meanwhile and says so in ``health()``.
Stopping lets running jobs finish for most of ``stop_timeout``, then cancels them and
hands their jobs back to the queue (``release``: the attempt is not spent), so another
worker picks them up without waiting for the ack wait.
``cancel(job_id)`` ends a running job for good (its owner deleted what it works on).
While it runs, the worker announces itself on its queue (:mod:`.presence`), so the queue's
``workers()`` lists it; its graceful stop withdraws it.

A :class:`JobWorker` is a :class:`~streamstack.kernel.tasks.BackgroundTask`: a module lists
it in ``MountedModule.tasks``, the app starts and stops it, and ``GET /ready`` reports its
``health()``. Its ``stop`` is graceful (finish, then release), not the base class's cancel;
``run_once()`` pulls and runs one job (tests, operator commands).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import msgspec
import structlog

from streamstack.kernel.backoff import backoff_seconds
from streamstack.kernel.errors import AppError, ServiceUnavailable
from streamstack.kernel.jobs import (
    DeadLetterHook,
    Delivery,
    Job,
    JobConsumer,
    JobQueue,
    original_id,
)
from streamstack.kernel.jobs.metrics import JOB_DURATION, JOBS_SETTLED
from streamstack.kernel.jobs.presence import Presence
from streamstack.kernel.tasks import BackgroundTask, wait_at_most
from streamstack.kernel.transport import CREDENTIAL_REFUSED

log = structlog.get_logger(__name__)

R = TypeVar("R")
JobHandler = Callable[[Job], Awaitable[None]]

#: Longest error text kept in a dead letter or in ``health()``.
_MAX_REASON = 2000
#: How long a job waits, holding its delivery, for a service it needs (see
#: :func:`outage_reason`) before that counts as a failed attempt after all.
OUTAGE_HOLD_SECONDS = 3600.0


class Attempt(msgspec.Struct, frozen=True):
    """Which delivery of its job a handler runs: ``number`` (1 for the first) of the
    ``allowed`` deliveries before the job is dead-lettered."""

    number: int
    allowed: int

    @property
    def last(self) -> bool:
        """No delivery follows this one if it fails."""
        return self.number >= self.allowed


_ATTEMPT: contextvars.ContextVar[Attempt | None] = contextvars.ContextVar(
    "job_attempt", default=None
)


@contextlib.contextmanager
def attempting(attempt: Attempt) -> Iterator[None]:
    """Run the block as ``attempt`` of its job: what :func:`current_attempt` answers in it
    (the worker runs each handler so)."""
    token = _ATTEMPT.set(attempt)
    try:
        yield
    finally:
        _ATTEMPT.reset(token)


def current_attempt() -> Attempt | None:
    """The attempt the running job handler is on (None outside one): a handler may tell
    its users that a job started again, or that a failure will be retried."""
    return _ATTEMPT.get()


#: Called with the job, the attempt that failed and its error just before the worker hands
#: the job back for another attempt, and only then: not for the last attempt nor a rejection
#: (those are dead-lettered), not while a service outage holds the job (no attempt is spent),
#: not for a job released at a stop. E.g. to tell users it will be tried again. Best effort:
#: if it raises, the job is retried all the same.
RetryHook = Callable[[Job, Attempt, BaseException], Awaitable[None]]
#: Called with the job and why (:func:`outage_reason`) when a service outage starts to hold
#: the job, and when the reason changes (not at every try): e.g. to tell users what the job
#: waits for. Best effort: if it raises, the job waits all the same.
HoldHook = Callable[[Job, str], Awaitable[None]]


class JobRejected(Exception):
    """Raised by a handler when the job can never succeed: dead-letter it now.

    The message is the dead-letter reason, so write it for a person ("not a video: …").
    """


def outage_reason(error: BaseException) -> str | None:
    """Why a handler's failure is not its job's: a service it needs is down (503) or refuses
    this process's service credential (401 ``invalid_service_secret``). None when the
    failure may be the job's own, and counts as an attempt."""
    refused = isinstance(error, AppError) and error.code == CREDENTIAL_REFUSED
    return describe(error) if isinstance(error, ServiceUnavailable) or refused else None


class WorkerStats(msgspec.Struct, frozen=True):
    """Counters since the worker was built, and the last error seen."""

    name: str
    running: bool
    concurrency: int
    busy: int
    processed: int
    retried: int
    dead_lettered: int
    released: int
    cancelled: int
    last_error: str | None


def describe(exc: BaseException) -> str:
    """The error text recorded for a failed attempt."""
    text = f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__
    return text[:_MAX_REASON]


def waiting_text(reason: str) -> str:
    """What a person is told of a job held for ``reason`` (:func:`outage_reason`'s, the
    error's class name left out): ``waiting: the object store's disk is full (…) — trying
    again``."""
    name, _, words = reason.partition(": ")
    return f"waiting: {words if words and name.isidentifier() else reason} — trying again"


class JobWorker(BackgroundTask):
    """Runs ``handler`` for every job of ``queue`` with ``concurrency`` parallel slots.

    ``heartbeat``: seconds between ``in_progress`` calls (default a third of the ack wait);
    ``stop_timeout``: the bound of ``stop`` (default 8 s, inside the app's 10 s shut-down
    step), spent finishing running jobs, then releasing them; ``poll``: how long one
    pull waits for a job; ``on_dead_letter``: runs before a job is given up (see
    :data:`~streamstack.kernel.jobs.DeadLetterHook`); ``on_retry``: runs before a failed
    job is handed back for another attempt (see :data:`RetryHook`); ``on_hold``: runs when
    a job starts waiting for a service (see :data:`HoldHook`); ``outage_hold``: how long a
    job waits for a service it needs (see :meth:`_run_handler`).
    """

    def __init__(
        self,
        queue: JobQueue,
        handler: JobHandler,
        *,
        name: str = "jobs",
        concurrency: int = 1,
        heartbeat: float | None = None,
        stop_timeout: float = 8.0,
        poll: float = 1.0,
        on_dead_letter: DeadLetterHook | None = None,
        on_retry: RetryHook | None = None,
        on_hold: HoldHook | None = None,
        outage_hold: float = OUTAGE_HOLD_SECONDS,
    ) -> None:
        if concurrency < 1:
            raise ValueError("a job worker needs at least one slot")
        super().__init__(name, self._run_one, interval_seconds=poll)
        self._log = structlog.get_logger(__name__, worker=name)
        self.queue = queue
        self.concurrency = concurrency
        self._handler = handler
        self._on_dead_letter = on_dead_letter
        self._on_retry = on_retry
        self._on_hold = on_hold
        self._heartbeat = heartbeat or max(queue.config.ack_wait / 3, 0.05)
        # Settling (ack, nak, release, term) is retried while the backend is away; the heartbeats go on
        # meanwhile. A late ack is still right (the work is done, even if the job was handed
        # out again), so keep trying for a while: two ack waits, at least 30 s.
        self._settle_for = max(2 * queue.config.ack_wait, 30.0)
        self._stop_timeout = stop_timeout
        self._poll = poll
        self._slots: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self._abandon = asyncio.Event()
        self._busy = 0
        self.presence = Presence(queue, concurrency, lambda: self._busy, self._waiting_for)
        self._counts = dict.fromkeys(
            ("processed", "retried", "dead_lettered", "released", "cancelled"), 0
        )
        self._running: dict[str, asyncio.Task[None]] = {}
        self._cancelled: set[str] = set()
        self._last_job_error: str | None = None
        self._outage_hold = outage_hold
        # Jobs held through an outage, and why: no slot takes another meanwhile.
        self._held: dict[str, str] = {}
        self._no_outage = asyncio.Event()
        self._no_outage.set()

    async def start(self) -> None:
        """Start the slots (no-op when running)."""
        if self._slots:
            return
        self._stopping.clear()
        self._abandon.clear()
        self._slots = [
            asyncio.create_task(self._run_slot(i), name=f"{self.name}-worker-{i}")
            for i in range(self.concurrency)
        ]
        await self.presence.start()
        self._log.info("jobs.worker_started", queue=self.queue.name, slots=self.concurrency)

    async def stop(self, timeout_seconds: float | None = None) -> None:
        """Stop pulling; let running jobs finish, then release them; all within the timeout.

        ``timeout_seconds`` defaults to the ``stop_timeout`` given at construction. The last
        half of it, at most 2 s, is kept for handing unfinished jobs back to the queue.
        """
        if not self._slots:
            return
        self._stopping.set()
        # It takes no more jobs: withdrawn meanwhile, so the stop lasts no longer for it.
        withdrawn = asyncio.create_task(self.presence.stop())
        slots, self._slots = self._slots, []
        timeout = self._stop_timeout if timeout_seconds is None else timeout_seconds
        release = min(2.0, timeout / 2)
        try:
            _, pending = await asyncio.wait(slots, timeout=timeout - release)
            if pending:
                self._abandon.set()  # running handlers are cancelled, their jobs handed back
                await asyncio.wait(pending, timeout=release)
        finally:
            # A release stuck on a dead backend, or this stop cancelled by the app's bound:
            # end the slots anyway; an unreleased job comes back after its ack wait.
            for task in slots:
                task.cancel()
        await asyncio.gather(*slots, return_exceptions=True)
        await withdrawn
        self._log.info("jobs.worker_stopped", **self._counts)

    def cancel(self, job_id: str) -> bool:
        """Stop job ``job_id`` and its repeats (:func:`.repeat_id`) if they run here, and ack
        them: they will not run again.

        For work whose subject is gone (an item deleted while it is processed); the handler
        sees ``CancelledError`` and should clean up what it wrote. False if none runs here.
        """
        running = [
            (running_id, task)
            for running_id, task in self._running.items()
            if original_id(running_id) == job_id and not task.done()
        ]
        for running_id, task in running:
            self._cancelled.add(running_id)
            task.cancel()
        return bool(running)

    @property
    def running(self) -> bool:
        """Whether the slots are alive."""
        return bool(self._slots) and not all(t.done() for t in self._slots)

    def health(self) -> str:
        """As a task's, and while jobs wait for a service, which and why (``/ready`` 503:
        this worker takes no job meanwhile)."""
        if self.running and self._held:
            reason = self._waiting_for()
            return f"waiting ({len(self._held)} job(s) held, attempts unspent): {reason}"
        return super().health()

    def _waiting_for(self) -> str | None:
        """Why the jobs this worker holds wait (the first held's reason), or None."""
        return next(iter(self._held.values()), None)

    def stats(self) -> WorkerStats:
        """Jobs processed, retried, dead-lettered, released and cancelled; slots busy."""
        return WorkerStats(
            name=self.name,
            running=self.running,
            concurrency=self.concurrency,
            busy=self._busy,
            last_error=self.last_error or self._last_job_error,
            **self._counts,
        )

    # --- one slot ---------------------------------------------------------------------------

    async def _run_slot(self, index: int) -> None:
        consumer: JobConsumer | None = None
        failures = 0  # this slot's, for its backoff; self.failures is what health() reports
        while not self._stopping.is_set():
            if not self._no_outage.is_set():  # a job waits for a service: take no other
                await wait_at_most(self._poll, self._no_outage.wait())
                continue
            try:
                if consumer is None:
                    consumer = await self.queue.consumer(self._on_dead_letter)
                delivery = await consumer.next(self._poll)
            except Exception as exc:
                failures += 1
                self.failures += 1
                self.last_error = describe(exc)
                self._log.warning("jobs.pull_failed", slot=index, error=self.last_error)
                if consumer is not None:
                    await consumer.close()
                    consumer = None
                await self._pause(backoff_seconds(failures, 1.0, 5.0))
                continue
            failures = self.failures = 0
            self.last_error = None
            if delivery is not None:
                await self._run_delivery(delivery)
        if consumer is not None:
            await consumer.close()

    async def _run_one(self) -> bool:
        """Pull one job (waiting up to ``poll`` seconds) and run it; False if none came."""
        consumer = await self.queue.consumer(self._on_dead_letter)
        try:
            delivery = await consumer.next(self._poll)
        finally:
            await consumer.close()
        if delivery is None:
            return False
        await self._run_delivery(delivery)
        return True

    async def _run_delivery(self, delivery: Delivery) -> None:
        self._busy += 1
        self.presence.changed()
        try:
            await self._process(delivery)
        except Exception as exc:  # the job's ack wait runs out and it comes back
            self._last_job_error = f"job {delivery.job.id} not settled: {describe(exc)}"
            self._log.error("jobs.settle_failed", error=self._last_job_error)
        finally:
            self._busy -= 1
            self.presence.changed()

    async def _process(self, delivery: Delivery) -> None:
        job = delivery.job
        attempt = Attempt(delivery.attempt, self.queue.config.max_deliver)
        heartbeat = asyncio.create_task(self._keep_alive(delivery))
        handler = asyncio.create_task(self._run_handler(job, attempt))
        self._running[job.id] = handler
        abandon = asyncio.create_task(self._abandon.wait())
        began = time.monotonic()
        try:
            await asyncio.wait({handler, abandon}, return_when=asyncio.FIRST_COMPLETED)
            if job.id in self._cancelled:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await handler
                await self._settle(delivery.ack)
                self._count("cancelled")
                self._log.info("jobs.cancelled", job=job.id, attempt=delivery.attempt)
                return
            if not handler.done() or handler.cancelled():
                handler.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await handler
                await self._settle(delivery.release)  # nothing failed: no attempt spent
                self._count("released")
                self._log.info("jobs.released", job=job.id, attempt=delivery.attempt)
                return
            await self._conclude(delivery, attempt, handler.exception(), time.monotonic() - began)
        finally:
            self._running.pop(job.id, None)
            self._cancelled.discard(job.id)
            abandon.cancel()
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _conclude(
        self, delivery: Delivery, attempt: Attempt, error: BaseException | None, seconds: float
    ) -> None:
        """Settle a delivery whose handler ended: ack it, dead-letter it (a rejection, or its
        last attempt failed), or hand it back for the next attempt after the backoff. This is
        the one place that tells a retry from a dead letter."""
        job = delivery.job
        job_log = self._log.bind(job=job.id, kind=job.kind, attempt=attempt.number)
        if error is None:
            await self._settle(delivery.ack)
            self._count("processed")
            job_log.info("jobs.done", seconds=round(seconds, 3))
            return
        reason = str(error)[:_MAX_REASON] if isinstance(error, JobRejected) else describe(error)
        self._last_job_error = f"job {job.id}: {reason}"
        if isinstance(error, JobRejected) or attempt.last:
            await self._settle(delivery.term, reason)
            self._count("dead_lettered")
            job_log.warning("jobs.dead_lettered", error=reason)
            return
        await self._before_retry(job, attempt, error)
        await self._settle(delivery.nak, self.queue.config.retry_delay(attempt.number))
        self._count("retried")
        job_log.warning("jobs.retry", error=reason)

    async def _before_retry(self, job: Job, attempt: Attempt, error: BaseException) -> None:
        """Run the retry hook (before the nak: the next attempt must not start under it)."""
        if self._on_retry is None:
            return
        try:
            with structlog.contextvars.bound_contextvars(
                job=job.id, kind=job.kind, attempt=attempt.number
            ):
                await self._on_retry(job, attempt, error)
        except Exception as exc:  # a word to users, not the retry: the job goes back anyway
            self._log.warning("jobs.retry_hook_failed", job=job.id, error=describe(exc))

    async def _run_handler(self, job: Job, attempt: Attempt) -> None:
        """Run the handler; while it fails because a service it needs is down or refuses
        this worker (:func:`outage_reason`), run it again after a backoff.

        The job keeps its delivery meanwhile (the heartbeats go on), so no attempt is
        spent on either queue: JetStream counts deliveries on the server, and a nak would
        count one. After ``outage_hold`` seconds the failure counts as an attempt after all.
        """
        held_since: float | None = None
        waits = 0
        try:
            while True:
                try:
                    await self._call_handler(job, attempt)
                    return
                except Exception as exc:
                    reason = outage_reason(exc)
                    held_since = held_since or time.monotonic()
                    if reason is None or time.monotonic() - held_since >= self._outage_hold:
                        raise
                    waits += 1
                    await self._hold(job, reason)
                    # The task's backoff: retry_min_seconds doubling up to retry_max_seconds.
                    delay = backoff_seconds(waits, self.retry_min_seconds, self.retry_max_seconds)
                    self._log.warning(
                        "jobs.waiting_for_service", job=job.id, error=reason, retry_in_seconds=delay
                    )
                    await asyncio.sleep(delay)
        finally:
            if self._held.pop(job.id, None) is not None:
                self.presence.changed()
            if not self._held:
                self._no_outage.set()

    async def _hold(self, job: Job, reason: str) -> None:
        """Keep ``job`` waiting for ``reason``; a new reason is announced and told."""
        told = self._held.get(job.id) == reason
        self._held[job.id] = reason
        self._no_outage.clear()
        if told:
            return
        self.presence.changed()
        if self._on_hold is None:
            return
        try:
            await self._on_hold(job, reason)
        except Exception as exc:  # a word to users, not the wait: the job waits anyway
            self._log.warning("jobs.hold_hook_failed", job=job.id, error=describe(exc))

    async def _call_handler(self, job: Job, attempt: Attempt) -> None:
        # Every line the handler logs names its job and attempt, and current_attempt()
        # answers (this task's own context: nothing leaks to another job).
        with (
            attempting(attempt),
            structlog.contextvars.bound_contextvars(
                job=job.id, kind=job.kind, attempt=attempt.number
            ),
            JOB_DURATION.labels(queue=self.queue.name, kind=job.kind).time(),
        ):
            await self._handler(job)

    def _count(self, outcome: str) -> None:
        self._counts[outcome] += 1
        JOBS_SETTLED.labels(queue=self.queue.name, outcome=outcome).inc()

    async def _keep_alive(self, delivery: Delivery) -> None:
        while True:
            await asyncio.sleep(self._heartbeat)
            try:
                await delivery.in_progress()
            except Exception as exc:  # the next beat may get through; the ack wait is the bound
                log.debug("jobs.heartbeat_failed", job=delivery.job.id, error=describe(exc))

    async def _settle(self, step: Callable[..., Awaitable[R]], *args: object) -> R:
        """Run ``step`` (ack, nak, release, term), retrying while the backend is away."""
        deadline = time.monotonic() + self._settle_for
        while True:
            try:
                return await step(*args)
            except ServiceUnavailable as exc:
                if time.monotonic() >= deadline:
                    raise
                self._log.info("jobs.settle_retry", error=describe(exc))
                await asyncio.sleep(0.5)

    async def _pause(self, seconds: float) -> None:
        await wait_at_most(seconds, self._stopping.wait())
