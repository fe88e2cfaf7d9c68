"""NATS JetStream adapter for the job-queue port.

One work-queue stream per queue (``jobs-<name>``, subjects ``jobs.<name>.<kind>``, file
storage, work-queue retention so an acked job is removed) and one durable pull consumer
(``workers``) that every worker process binds to: JetStream hands each message to one
puller at a time. Enqueue sets ``Nats-Msg-Id`` to the job id, so a repeat within the
stream's duplicate window is dropped by the server.

JetStream counts every delivery of a message (``num_delivered``), a nak's too, and a
message's headers cannot change: a job released at a worker's stop (``release``) would spend
an attempt. So the queue keeps its own record of releases, a KV bucket
(``jobs-released-<name>``) keyed by job id holding the message's stream sequence and how
many times it was released; a delivery's ``attempt`` is ``num_delivered`` less those. The
record is written before the nak (a release whose record could not be written counts, as
every release did before) and dropped when the job is acked or dead-lettered; it expires
after :data:`RELEASES_KEPT_SECONDS` (a job waiting longer then counts its releases). The
consumer's own ``max_deliver`` is unlimited, since released deliveries are not attempts;
the queue's bound is kept here: a delivery past ``max_deliver`` attempts only happens when
the holder of the last attempt vanished, and the consumer dead-letters it without running
it. Dead letters are a JetStream KV bucket (``jobs-dead-<name>``) keyed by job id, written
before the message is terminated, so a crash between the two at worst writes the same
record twice. Workers announce themselves in a third bucket (``jobs-workers-<name>``), keyed
by worker id, whose entries the server drops ``presence_ttl`` seconds after they were put.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import msgspec
import nats.errors
import structlog
from nats.aio.msg import Msg
from nats.js import errors as js_errors
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StorageType
from nats.js.kv import KeyValue

from streamstack.kernel import jobs
from streamstack.kernel.nats import (
    NatsConnection,
    NatsUnavailable,
    is_transport_failure,
    once_more_if_stream_gone,
    stream_may_be_gone,
)

log = structlog.get_logger(__name__)

CONSUMER = "workers"
_KIND_HEADER = "Streamstack-Job-Kind"
#: How long a job's record of releases is kept (see the module docstring).
RELEASES_KEPT_SECONDS = 7 * 24 * 3600.0


class Releases(msgspec.Struct, frozen=True):
    """How many times the message at stream ``sequence`` was released unfinished: the
    deliveries of it that were no attempts."""

    sequence: int
    count: int


def _unavailable(what: str, exc: Exception) -> Exception:
    """Map a transport failure to :class:`JobsUnavailable`; let answers through."""
    if isinstance(exc, NatsUnavailable | jobs.JobsUnavailable):
        return exc
    if is_transport_failure(exc):
        return jobs.JobsUnavailable(f"{what}: NATS is unavailable ({exc.__class__.__name__})")
    return exc


class NatsJobQueue(jobs.CheckedQueue):
    """A :class:`~streamstack.kernel.jobs.JobQueue` on a JetStream work-queue stream."""

    def __init__(
        self, connection: NatsConnection, name: str, config: jobs.QueueConfig | None = None
    ) -> None:
        super().__init__(name, config)
        self.stream = f"jobs-{name}"
        self.subject_prefix = f"jobs.{name}"
        self.dead_bucket = f"jobs-dead-{name}"
        self.releases_bucket = f"jobs-released-{name}"
        self.workers_bucket = f"jobs-workers-{name}"
        self._connection = connection
        self._dead: KeyValue | None = None
        self._releases: KeyValue | None = None
        self._workers: KeyValue | None = None
        self._ready = False
        self._lock = asyncio.Lock()

    async def _store(self, job_id: str, kind: str, payload: bytes) -> bool:
        return await once_more_if_stream_gone(
            lambda: self._publish(job_id, kind, payload), self.set_up_again
        )

    def set_up_again(self) -> None:
        """Find (or make) the stream, its consumer and its buckets again on the
        next call: NATS lost them (its store lost or recreated)."""
        self._ready = False

    async def _publish(self, job_id: str, kind: str, payload: bytes) -> bool:
        await self._ensure()
        js = await self._connection.jetstream()
        try:
            ack = await js.publish(
                f"{self.subject_prefix}.{kind}",
                payload,
                stream=self.stream,
                headers={"Nats-Msg-Id": job_id, _KIND_HEADER: kind},
            )
        except Exception as exc:
            raise _unavailable(f"job {job_id} not enqueued", exc) from exc
        return not ack.duplicate

    async def consumer(self, on_dead_letter: jobs.DeadLetterHook | None = None) -> NatsJobConsumer:
        await self._ensure()
        js = await self._connection.jetstream()
        try:
            subscription = await js.pull_subscribe_bind(consumer=CONSUMER, stream=self.stream)
        except Exception as exc:
            raise _unavailable("job consumer not bound", exc) from exc
        return NatsJobConsumer(self, subscription, on_dead_letter)

    async def dead_letters(self, limit: int = 100) -> list[jobs.DeadLetter]:
        await self._ensure()
        assert self._dead is not None
        try:
            values = await self._values(self._dead, self.dead_bucket)
        except Exception as exc:
            raise _unavailable("dead letters not read", exc) from exc
        letters = [msgspec.json.decode(value, type=jobs.DeadLetter) for value in values]
        return sorted(letters, key=lambda letter: letter.failed_at)[:limit]

    async def announce(self, worker: jobs.WorkerSeen) -> None:
        # The bucket is made again if NATS lost it, so a worker shows up after a NATS restart.
        await once_more_if_stream_gone(lambda: self._put_worker(worker), self.set_up_again)

    async def _put_worker(self, worker: jobs.WorkerSeen) -> None:
        await self._ensure()
        assert self._workers is not None
        try:
            await self._workers.put(worker.id, msgspec.json.encode(worker))
        except Exception as exc:
            raise _unavailable(f"worker {worker.id} not announced", exc) from exc

    async def withdraw(self, worker_id: str) -> None:
        await self._ensure()
        assert self._workers is not None
        try:
            await self._workers.purge(worker_id)
        except Exception as exc:
            raise _unavailable(f"worker {worker_id} not withdrawn", exc) from exc

    async def workers(self) -> list[jobs.WorkerSeen]:
        await self._ensure()
        assert self._workers is not None
        try:
            values = await self._values(self._workers, self.workers_bucket)
        except Exception as exc:
            raise _unavailable("workers not read", exc) from exc
        return jobs.workers_seen(values)

    async def _values(self, kv: KeyValue, bucket: str) -> list[bytes]:
        """The value of every key of ``bucket`` (deleted and purged keys left out)."""
        js = await self._connection.jetstream()
        # The bucket's subjects, from the stream itself: nats-py's ``keys()`` watcher can
        # answer "no keys" on a busy host (its first pending count races the delivery).
        info = await js.stream_info(f"KV_{bucket}", subjects_filter=f"$KV.{bucket}.>")
        values = []
        for subject in info.state.subjects or {}:
            try:
                entry = await kv.get(subject.removeprefix(f"$KV.{bucket}."))
            except js_errors.KeyNotFoundError:  # deleted or expired since (a marker)
                continue
            if entry.value:
                values.append(entry.value)
        return values

    async def backlog(self) -> jobs.Backlog:
        await self._ensure()
        js = await self._connection.jetstream()
        try:
            info = await js.consumer_info(self.stream, CONSUMER)
        except Exception as exc:
            raise _unavailable("job backlog not read", exc) from exc
        return jobs.Backlog(waiting=info.num_pending or 0, running=info.num_ack_pending or 0)

    async def ping(self) -> None:
        await self._connection.ping()
        await self._ensure()

    async def _record_dead(self, letter: jobs.DeadLetter) -> None:
        await self._ensure()
        assert self._dead is not None
        try:
            await self._dead.put(letter.job.id, msgspec.json.encode(letter))
        except Exception as exc:
            raise _unavailable(f"dead letter of job {letter.job.id} not written", exc) from exc

    async def _released(self, job_id: str, sequence: int) -> int:
        """How many deliveries of the message at ``sequence`` were released, not attempts."""
        await self._ensure()
        assert self._releases is not None
        try:
            entry = await self._releases.get(job_id)
        except js_errors.KeyNotFoundError:  # never released (also a record dropped)
            return 0
        except Exception as exc:
            raise _unavailable(f"releases of job {job_id} not read", exc) from exc
        try:
            releases = msgspec.json.decode(entry.value or b"", type=Releases)
        except msgspec.DecodeError:  # a delete marker, or not ours: no release known
            return 0
        # An earlier message of the same id (enqueued again after it was done) is not this one.
        return releases.count if releases.sequence == sequence else 0

    async def _record_releases(self, job_id: str, releases: Releases) -> None:
        await self._ensure()
        assert self._releases is not None
        try:
            await self._releases.put(job_id, msgspec.json.encode(releases))
        except Exception as exc:
            raise _unavailable(f"release of job {job_id} not recorded", exc) from exc

    async def _forget_releases(self, job_id: str) -> None:
        """Drop a settled job's record of releases; best effort (it expires anyway)."""
        assert self._releases is not None
        try:
            await self._releases.delete(job_id)
        except Exception as exc:
            log.info("jobs.releases_not_forgotten", job=job_id, error=exc.__class__.__name__)

    async def _ensure(self) -> None:
        """Create the stream, the consumer and the dead-letter, release and worker buckets
        once."""
        if self._ready:
            return
        async with self._lock:
            if self._ready:
                return
            js = await self._connection.jetstream()
            try:
                await self._ensure_stream(js)
                # Also updates a consumer made before releases were kept (its max_deliver).
                await js.add_consumer(self.stream, config=self._consumer_config())
                self._dead = await _bucket(js, self.dead_bucket)
                self._releases = await _bucket(js, self.releases_bucket, RELEASES_KEPT_SECONDS)
                self._workers = await _bucket(js, self.workers_bucket, self.config.presence_ttl)
            except Exception as exc:
                raise _unavailable(f"job queue {self.name!r} not set up", exc) from exc
            self._ready = True

    async def _ensure_stream(self, js: Any) -> None:
        try:
            await js.stream_info(self.stream)
        except js_errors.NotFoundError:
            await js.add_stream(
                name=self.stream,
                subjects=[f"{self.subject_prefix}.>"],
                retention=RetentionPolicy.WORK_QUEUE,
                storage=StorageType.FILE,
                duplicate_window=self.config.dedupe_window,
            )

    def _consumer_config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=CONSUMER,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.config.ack_wait,
            max_deliver=-1,  # releases are deliveries too: the bound is the queue's (above)
            filter_subject=f"{self.subject_prefix}.>",
        )


async def _bucket(js: Any, name: str, ttl: float | None = None) -> KeyValue:
    """The KV bucket ``name``, made (one value a key, kept ``ttl`` seconds) if missing."""
    try:
        bucket: KeyValue = await js.key_value(name)
    except js_errors.BucketNotFoundError:
        bucket = await js.create_key_value(bucket=name, history=1, ttl=ttl)
    return bucket


class NatsJobConsumer:
    """A :class:`~streamstack.kernel.jobs.JobConsumer`: one pull subscription on the consumer."""

    def __init__(
        self, queue: NatsJobQueue, subscription: Any, on_dead_letter: jobs.DeadLetterHook | None
    ) -> None:
        self._queue = queue
        self._subscription = subscription
        self._on_dead_letter = on_dead_letter

    async def next(self, wait: float) -> NatsDelivery | None:
        deadline = time.monotonic() + wait
        connection = self._queue._connection
        while (remaining := deadline - time.monotonic()) > 0:
            # A fetch while reconnecting only times out; say "unavailable", not "no jobs".
            await connection.client()
            # A consumer NATS lost is made again under its name: this subscription, which
            # asks by name, then fetches from it.
            await self._queue._ensure()
            try:
                messages = await self._subscription.fetch(1, timeout=max(remaining, 0.05))
            except nats.errors.TimeoutError:
                await connection.client()
                return None
            except Exception as exc:
                if stream_may_be_gone(exc) or isinstance(exc, js_errors.ServiceUnavailableError):
                    self._queue.set_up_again()
                raise _unavailable("no job fetched", exc) from exc
            delivery = await self._delivery(messages[0])
            if not await delivery.bury_if_abandoned():
                return delivery
        return None

    async def _delivery(self, message: Msg) -> NatsDelivery:
        """``message`` as a delivery, its attempt counting no release."""
        delivered = int(message.metadata.num_delivered or 1)
        released = 0
        if delivered > 1:  # a first delivery was never released
            try:
                released = await self._queue._released(
                    _job_id(message), message.metadata.sequence.stream
                )
            except jobs.JobsUnavailable:
                # Its attempt is not known: hand it back (that delivery counts) rather than
                # run it as a later attempt than it is, or bury it as spent.
                with contextlib.suppress(Exception):
                    await message.nak()
                raise
        return NatsDelivery(self._queue, message, self._on_dead_letter, released)

    async def close(self) -> None:
        try:
            await self._subscription.unsubscribe()
        except Exception as exc:  # a closed connection has no subscription left to end
            log.debug("jobs.unsubscribe_failed", error=exc.__class__.__name__)


class NatsDelivery(jobs.HeldDelivery):
    """A :class:`~streamstack.kernel.jobs.Delivery` wrapping one JetStream message."""

    def __init__(
        self,
        queue: NatsJobQueue,
        message: Msg,
        on_dead_letter: jobs.DeadLetterHook | None = None,
        released: int = 0,
    ) -> None:
        headers = message.headers or {}
        job = jobs.Job(
            id=_job_id(message),
            kind=headers.get(_KIND_HEADER, message.subject.rsplit(".", 1)[-1]),
            payload=message.data,
        )
        attempt = max(int(message.metadata.num_delivered or 1) - released, 1)
        super().__init__(job, attempt, queue.config, on_dead_letter)
        self._queue = queue
        self._message = message
        self._released = released

    async def ack(self) -> None:
        # Wait for the server's answer: a lost ack would mean the job runs again.
        try:
            await self._message.ack_sync(timeout=self._queue._connection.timeout)
        except Exception as exc:
            raise _unavailable(f"job {self.job.id} not acked", exc) from exc
        if self._released:
            await self._queue._forget_releases(self.job.id)

    async def release(self) -> None:
        """Give the job back at once, this attempt unspent: record the release, then nak."""
        releases = Releases(self._message.metadata.sequence.stream, self._released + 1)
        try:
            await self._queue._record_releases(self.job.id, releases)
        except jobs.JobsUnavailable as exc:  # handed back all the same; this one counts
            log.warning("jobs.release_counted", job=self.job.id, error=str(exc))
        await self.nak(0.0)

    async def nak(self, delay: float = 0.0) -> None:
        try:
            await self._message.nak(delay=delay if delay > 0 else None)
        except Exception as exc:
            raise _unavailable(f"job {self.job.id} not released", exc) from exc

    async def in_progress(self) -> None:
        try:
            await self._message.in_progress()
        except Exception as exc:
            raise _unavailable(f"job {self.job.id} not extended", exc) from exc

    async def _bury(self, letter: jobs.DeadLetter) -> None:
        await self._queue._record_dead(letter)
        client = self._message._client
        try:
            await client.request(
                self._message.reply, b"+TERM", timeout=self._queue._connection.timeout
            )
        except Exception as exc:
            raise _unavailable(f"job {self.job.id} not terminated", exc) from exc
        if self._released:
            await self._queue._forget_releases(self.job.id)


def _job_id(message: Msg) -> str:
    """The id of the job ``message`` holds (its ``Nats-Msg-Id``, the dedupe key)."""
    return (message.headers or {}).get("Nats-Msg-Id", "")
