"""The generic job worker on both queue adapters: concurrency, heartbeats, retries, stop."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import structlog

from harness.servers import free_port
from streamstack.contracts.catalogue import CatalogueClient
from streamstack.kernel.errors import ServiceUnavailable, Unauthorized
from streamstack.kernel.jobs import DeadLetter, Job, JobQueue, QueueConfig, original_id, repeat_id
from streamstack.kernel.jobs.worker import (
    Attempt,
    JobRejected,
    JobWorker,
    current_attempt,
    waiting_text,
)
from streamstack.kernel.tasks import BackgroundTask
from streamstack.kernel.transport import CREDENTIAL_REFUSED, HttpTransport
from support.job_queues import QueueFactory
from support.waiting import eventually

FAST = QueueConfig(ack_wait=1.0, max_deliver=3, retry_delays=(0.0,), dedupe_window=60.0)


async def backlog_empty(queue: JobQueue) -> None:
    for _ in range(200):
        if (await queue.backlog()).total == 0:
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"backlog never emptied: {await queue.backlog()}")


async def test_n_workers_process_jobs_concurrently(make_queue: QueueFactory) -> None:
    queue = make_queue(FAST)
    calls: Counter[str] = Counter()
    running = 0
    peak = 0
    three_at_once = asyncio.Event()

    async def handler(job: Job) -> None:
        nonlocal running, peak
        calls[job.id] += 1
        running += 1
        peak = max(peak, running)
        if running == 3:
            three_at_once.set()
        try:
            await asyncio.wait_for(three_at_once.wait(), 15)  # only 3 slots can meet here
        finally:
            running -= 1

    for i in range(9):
        await queue.enqueue(f"job-{i}", "thumbnail", str(i).encode())
    worker = JobWorker(queue, handler, name="test", concurrency=3, poll=0.2)
    await worker.start()
    await eventually(lambda: worker.stats().processed == 9, "nine jobs processed")
    await worker.stop()
    assert peak == 3  # three ran at once, never a fourth
    assert calls == Counter({f"job-{i}": 1 for i in range(9)})
    health = worker.stats()
    assert (health.processed, health.retried, health.dead_lettered) == (9, 0, 0)
    assert not health.running
    await backlog_empty(queue)


async def test_what_a_handler_logs_names_its_job(make_queue: QueueFactory) -> None:
    """Each job's log lines carry its id, kind and attempt (a storage failure deep in a take-down
    says which item it was), and nothing of one job's stays bound for the next."""
    queue = make_queue(FAST)
    seen: dict[str, dict[str, Any]] = {}

    async def handler(job: Job) -> None:
        seen[job.id] = structlog.contextvars.get_contextvars()
        structlog.contextvars.bind_contextvars(leftover=job.id)

    await queue.enqueue("a", "takedown", b"")
    await queue.enqueue("b", "transcode", b"")
    worker = JobWorker(queue, handler, name="test", concurrency=1, poll=0.2)
    await worker.start()
    await eventually(lambda: worker.stats().processed == 2, "both jobs processed")
    await worker.stop()
    assert seen == {
        "a": {"job": "a", "kind": "takedown", "attempt": 1},
        "b": {"job": "b", "kind": "transcode", "attempt": 1},
    }
    assert "job" not in structlog.contextvars.get_contextvars()


async def test_a_job_longer_than_the_ack_wait_runs_once(make_queue: QueueFactory) -> None:
    queue = make_queue(QueueConfig(ack_wait=2.0, max_deliver=3, retry_delays=(0.0,)))
    calls: Counter[str] = Counter()

    async def handler(job: Job) -> None:
        calls[job.id] += 1
        await asyncio.sleep(6.0)  # 3 ack waits: only the heartbeats keep it ours

    await queue.enqueue("long", "transcode", b"")
    # Two slots: a redelivery would reach the idle one at once.
    worker = JobWorker(queue, handler, concurrency=2, poll=0.2)
    await worker.start()
    await eventually(lambda: worker.stats().processed == 1, "the long job finished")
    await worker.stop()
    assert calls == Counter({"long": 1})
    await backlog_empty(queue)


async def test_a_retriable_error_is_retried_then_succeeds(make_queue: QueueFactory) -> None:
    queue = make_queue(FAST)
    calls: Counter[str] = Counter()
    attempts: list[Attempt | None] = []

    async def handler(job: Job) -> None:
        calls[job.id] += 1
        attempts.append(current_attempt())  # what a handler tells its users
        if calls[job.id] == 1:
            raise ConnectionError("object store hiccup")

    await queue.enqueue("flaky", "transcode", b"")
    worker = JobWorker(queue, handler, poll=0.2)
    await worker.start()
    await eventually(lambda: worker.stats().processed == 1, "the retried job finished")
    await worker.stop()
    health = worker.stats()
    assert (health.retried, health.dead_lettered, calls["flaky"]) == (1, 0, 2)
    assert health.last_error == "job flaky: ConnectionError: object store hiccup"
    assert await queue.dead_letters() == []
    assert attempts == [Attempt(1, 3), Attempt(2, 3)]
    assert not attempts[0].last and current_attempt() is None


async def test_a_job_failing_every_attempt_is_dead_lettered_with_its_error(
    make_queue: QueueFactory,
) -> None:
    queue = make_queue(FAST)
    calls: Counter[str] = Counter()

    async def handler(job: Job) -> None:
        calls[job.id] += 1
        if job.id == "poison":
            raise ValueError(f"cannot decode stream 0 (attempt {calls[job.id]})")

    await queue.enqueue("poison", "transcode", b"")
    await queue.enqueue("healthy", "transcode", b"")
    worker = JobWorker(queue, handler, concurrency=2, poll=0.2)
    await worker.start()
    await eventually(lambda: worker.stats().dead_lettered == 1, "the poison job dead-lettered")
    await eventually(lambda: worker.stats().processed == 1, "the healthy job finished")
    await worker.stop()
    assert calls == Counter({"poison": 3, "healthy": 1})
    [letter] = await queue.dead_letters()
    assert letter.job.id == "poison" and letter.attempts == 3
    assert letter.reason == "ValueError: cannot decode stream 0 (attempt 3)"
    await backlog_empty(queue)


async def test_a_rejected_job_is_dead_lettered_at_once(make_queue: QueueFactory) -> None:
    queue = make_queue(FAST)
    calls: Counter[str] = Counter()

    async def handler(job: Job) -> None:
        calls[job.id] += 1
        raise JobRejected("not a video: no decodable stream")

    await queue.enqueue("text-file", "transcode", b"")
    worker = JobWorker(queue, handler, poll=0.2)
    await worker.start()
    await eventually(lambda: worker.stats().dead_lettered == 1, "the rejected job dead-lettered")
    await worker.stop()
    assert calls["text-file"] == 1
    [letter] = await queue.dead_letters()
    assert (letter.attempts, letter.reason) == (1, "not a video: no decodable stream")


async def test_stop_lets_a_running_job_finish(make_queue: QueueFactory) -> None:
    queue = make_queue(FAST)
    started = asyncio.Event()
    finished: list[str] = []

    async def handler(job: Job) -> None:
        started.set()
        await asyncio.sleep(0.5)
        finished.append(job.id)

    await queue.enqueue("almost-done", "transcode", b"")
    worker = JobWorker(queue, handler, poll=0.2, stop_timeout=10.0)
    await worker.start()
    await asyncio.wait_for(started.wait(), 20)
    await worker.stop()
    assert finished == ["almost-done"]
    assert worker.stats().processed == 1
    await backlog_empty(queue)


async def test_stop_releases_a_job_that_does_not_finish_in_time(make_queue: QueueFactory) -> None:
    # A long ack wait: only the release can make the job available again this soon.
    queue = make_queue(QueueConfig(ack_wait=60.0, max_deliver=3, retry_delays=(0.0,)))
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def handler(job: Job) -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    await queue.enqueue("endless", "transcode", b"")
    worker = JobWorker(queue, handler, poll=0.2, stop_timeout=3.0)
    await worker.start()
    await asyncio.wait_for(started.wait(), 20)
    await worker.stop()
    assert cancelled.is_set()
    health = worker.stats()
    assert (health.released, health.processed, health.running) == (1, 0, False)
    consumer = await queue.consumer()
    delivery = await consumer.next(10.0)
    # Nothing failed: the next run is the same attempt (it said "attempt 2 of 3").
    assert delivery is not None and (delivery.job.id, delivery.attempt) == ("endless", 1)
    await delivery.ack()
    await consumer.close()


async def test_a_job_released_by_every_stop_is_never_spent(make_queue: QueueFactory) -> None:
    """Workers restarted (deploys) more times than a job has attempts: each run is its first,
    and it is never dead-lettered without having failed."""
    queue = make_queue(QueueConfig(ack_wait=60.0, max_deliver=2, retry_delays=(0.0,)))
    attempts: list[Attempt | None] = []
    finish = False
    started = asyncio.Event()

    async def handler(job: Job) -> None:
        attempts.append(current_attempt())
        started.set()
        if not finish:
            await asyncio.sleep(3600)

    await queue.enqueue("film", "transcode", b"")
    for _ in range(queue.config.max_deliver + 2):
        started.clear()
        worker = JobWorker(queue, handler, poll=0.2, stop_timeout=1.0)
        await worker.start()
        await asyncio.wait_for(started.wait(), 20)
        await worker.stop()
        assert worker.stats().released == 1
    finish = True
    worker = JobWorker(queue, handler, poll=0.2)
    await worker.start()
    await eventually(lambda: worker.stats().processed == 1, "the job done at last")
    await worker.stop()
    assert attempts == [Attempt(1, 2)] * (queue.config.max_deliver + 3)
    assert await queue.dead_letters() == []
    await backlog_empty(queue)


async def test_health_follows_the_lifecycle(make_queue: QueueFactory) -> None:
    queue = make_queue(FAST)

    async def handler(job: Job) -> None:
        return None

    worker = JobWorker(queue, handler, name="thumbnails", concurrency=2, poll=0.2)
    assert worker.health() == "not running" and not worker.running
    before = worker.stats()
    assert (before.name, before.running, before.concurrency) == ("thumbnails", False, 2)
    await worker.start()
    await worker.start()  # idempotent
    await eventually(lambda: worker.health() == "ok", "the worker reported healthy")
    await worker.stop(timeout_seconds=1.0)
    await worker.stop()
    assert not worker.running
    assert worker.health() == "not running"


def test_a_worker_needs_a_slot() -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        JobWorker(None, None, concurrency=0)  # type: ignore[arg-type]


async def test_the_dead_letter_hook_hears_each_job_given_up(make_queue: QueueFactory) -> None:
    queue = make_queue(FAST)
    heard: list[DeadLetter] = []

    async def on_dead_letter(letter: DeadLetter) -> None:
        heard.append(letter)

    async def handler(job: Job) -> None:
        if job.id == "rejected":
            raise JobRejected("unsupported container")
        raise OSError("decoder crashed")

    await queue.enqueue("rejected", "transcode", b"")
    await queue.enqueue("crashing", "transcode", b"")
    worker = JobWorker(queue, handler, concurrency=2, poll=0.2, on_dead_letter=on_dead_letter)
    await worker.start()
    await eventually(lambda: len(heard) == 2, "both jobs dead-lettered")
    await worker.stop()
    reasons = {letter.job.id: (letter.attempts, letter.reason) for letter in heard}
    assert reasons == {
        "rejected": (1, "unsupported container"),
        "crashing": (3, "OSError: decoder crashed"),
    }
    assert {letter.job.id for letter in await queue.dead_letters()} == {"rejected", "crashing"}


async def test_the_retry_hook_hears_each_failure_retried_before_the_job_goes_back(
    make_queue: QueueFactory,
) -> None:
    """Not a rejection nor a last attempt (the dead-letter hook's); heard before the next
    attempt can start; a hook that raises does not stop the retry."""
    queue = make_queue(FAST)
    events: list[tuple[str, str, int]] = []

    errors: list[tuple[Attempt, str]] = []

    async def on_retry(job: Job, attempt: Attempt, error: BaseException) -> None:
        events.append(("heard", job.id, attempt.number))
        errors.append((attempt, str(error)))
        await asyncio.sleep(0.3)  # an idle slot would take a job naked already
        events.append(("told", job.id, attempt.number))
        if job.id == "flaky":
            raise ConnectionError("the hook's own service is away")

    async def handler(job: Job) -> None:
        attempt = current_attempt()
        assert attempt is not None
        events.append(("ran", job.id, attempt.number))
        if job.id == "rejected":
            raise JobRejected("not a video")
        if job.id == "poison" or attempt.number < 3:
            raise OSError(f"{job.id} failed on attempt {attempt.number}")

    for job_id in ("flaky", "poison", "rejected"):
        await queue.enqueue(job_id, "transcode", b"")
    worker = JobWorker(queue, handler, concurrency=2, poll=0.2, on_retry=on_retry)
    await worker.start()
    await eventually(lambda: worker.stats().dead_lettered == 2, "two jobs dead-lettered")
    await eventually(lambda: worker.stats().processed == 1, "the flaky job done")
    await worker.stop()
    for job_id in ("flaky", "poison"):
        mine = [(what, n) for what, other, n in events if other == job_id]
        assert mine == [
            ("ran", 1),
            ("heard", 1),
            ("told", 1),
            ("ran", 2),
            ("heard", 2),
            ("told", 2),
            ("ran", 3),
        ]
    assert [event for event in events if event[1] == "rejected"] == [("ran", "rejected", 1)]
    assert sorted(errors, key=lambda e: e[1]) == [
        (Attempt(n, 3), f"{job_id} failed on attempt {n}")
        for job_id in ("flaky", "poison")
        for n in (1, 2)
    ]
    assert worker.stats().retried == 4


async def test_an_outage_held_past_its_bound_is_a_retried_failure_the_hook_hears(
    make_queue: QueueFactory,
) -> None:
    """An outage while it is held costs no attempt and no word; held past ``outage_hold``,
    the failure counts as the attempt's, and is retried like any other."""
    queue = make_queue(FAST)
    heard: list[tuple[str, int, str]] = []
    calls: Counter[str] = Counter()

    async def on_retry(job: Job, attempt: Attempt, error: BaseException) -> None:
        heard.append((job.id, attempt.number, str(error)))

    async def handler(job: Job) -> None:
        calls[job.id] += 1
        attempt = current_attempt()
        assert attempt is not None
        if job.id == "brief" and calls[job.id] == 1:
            raise ServiceUnavailable("catalogue away a moment")
        if job.id == "long" and attempt.number == 1:
            raise ServiceUnavailable("catalogue away for good")

    await queue.enqueue("brief", "transcode", b"")
    await queue.enqueue("long", "transcode", b"")
    worker = JobWorker(queue, handler, poll=0.2, on_retry=on_retry, outage_hold=1.0)
    worker.retry_min_seconds = worker.retry_max_seconds = 0.1
    await worker.start()
    await eventually(lambda: worker.stats().processed == 2, "both jobs done")
    await worker.stop()
    assert heard == [("long", 1, "catalogue away for good")]
    assert calls["brief"] == 2 and calls["long"] > 2  # held (run again), then counted


async def test_a_failing_dead_letter_hook_leaves_the_job_to_come_back(
    make_queue: QueueFactory,
) -> None:
    queue = make_queue(QueueConfig(ack_wait=1.0, max_deliver=1, retry_delays=(0.0,)))
    calls: list[str] = []

    async def on_dead_letter(letter: DeadLetter) -> None:
        calls.append(letter.reason)
        if len(calls) == 1:
            raise ConnectionError("database away: the item cannot be marked failed yet")

    async def handler(job: Job) -> None:
        raise RuntimeError("bad frame")

    await queue.enqueue("poison", "transcode", b"")
    worker = JobWorker(queue, handler, poll=0.2, on_dead_letter=on_dead_letter)
    await worker.start()
    await eventually(lambda: len(calls) == 2, "the hook called again after the ack wait")
    await worker.stop()
    assert calls[0] == "RuntimeError: bad frame"
    assert "no outcome after 1 deliveries" in calls[1]
    [letter] = await queue.dead_letters()
    assert letter.reason == calls[1]
    assert "not settled" in (worker.stats().last_error or "")


async def test_cancel_ends_a_running_job_for_good(make_queue: QueueFactory) -> None:
    queue = make_queue(FAST)
    started = asyncio.Event()
    cleaned: list[str] = []

    async def handler(job: Job) -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cleaned.append(job.id)  # a real handler removes its partial outputs here
            raise

    await queue.enqueue("deleted-item", "transcode", b"")
    worker = JobWorker(queue, handler, concurrency=2, poll=0.2)
    await worker.start()
    await asyncio.wait_for(started.wait(), 20)
    assert worker.cancel("not-here") is False
    assert worker.cancel("deleted-item") is True
    await eventually(lambda: worker.stats().cancelled == 1, "the cancelled job settled")
    await asyncio.sleep(2 * FAST.ack_wait)  # time for a redelivery, if any
    await worker.stop()
    assert cleaned == ["deleted-item"]
    health = worker.stats()
    assert (health.processed, health.retried, health.dead_lettered) == (0, 0, 0)
    await backlog_empty(queue)
    assert await queue.dead_letters() == []


async def test_cancel_ends_the_repeats_of_a_job_too(make_queue: QueueFactory) -> None:
    queue = make_queue(FAST)
    running: set[str] = set()
    cleaned: list[str] = []

    async def handler(job: Job) -> None:
        running.add(job.id)
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cleaned.append(job.id)
            raise

    # A retry of the item's job: an id of its own (the queue would drop the same one).
    repeat = repeat_id("deleted-item")
    assert original_id(repeat) == "deleted-item" != repeat
    assert repeat_id(repeat) != repeat and original_id(repeat_id(repeat)) == "deleted-item"
    assert await queue.enqueue(repeat, "transcode", b"")
    assert await queue.enqueue("deleted-item-2", "transcode", b"")
    worker = JobWorker(queue, handler, concurrency=2, poll=0.2)
    await worker.start()
    await eventually(lambda: len(running) == 2, "both jobs running")
    assert worker.cancel("deleted-item") is True
    await eventually(lambda: worker.stats().cancelled == 1, "the repeat settled")
    assert cleaned == [repeat]  # the other item's job runs on
    assert worker.cancel("deleted-item") is False
    await worker.stop()


async def test_a_worker_is_a_background_task_and_runs_one_job_on_demand(
    make_queue: QueueFactory,
) -> None:
    queue = make_queue(FAST)
    done: list[str] = []

    async def handler(job: Job) -> None:
        done.append(job.id)

    worker = JobWorker(queue, handler, name="transcode", poll=0.5)
    assert isinstance(worker, BackgroundTask)  # fits MountedModule.tasks and /ready
    assert await worker.run_once() is False  # nothing queued
    await queue.enqueue("one", "transcode", b"")
    await queue.enqueue("two", "transcode", b"")
    assert await worker.run_once() is True
    assert done == ["one"]
    assert worker.stats().processed == 1
    assert (await queue.backlog()).total == 1


async def test_two_worker_processes_share_a_queue_each_job_runs_once(
    make_queue: QueueFactory,
) -> None:
    first = make_queue(FAST)
    second = make_queue(FAST, first.name)  # same queue, its own connection or file handle
    runs: Counter[str] = Counter()
    by_worker: Counter[str] = Counter()

    def handler_of(worker: str) -> Any:
        async def handler(job: Job) -> None:
            runs[job.id] += 1
            by_worker[worker] += 1
            await asyncio.sleep(0.1)

        return handler

    ids = [f"race-{i}" for i in range(24)]
    for job_id in ids:
        await first.enqueue(job_id, "transcode", b"")
    workers = [
        JobWorker(first, handler_of("a"), concurrency=2, poll=0.2),
        JobWorker(second, handler_of("b"), concurrency=2, poll=0.2),
    ]
    for worker in workers:
        await worker.start()
    await eventually(lambda: sum(w.stats().processed for w in workers) == len(ids), "all jobs done")
    for worker in workers:
        await worker.stop()
    assert runs == Counter(dict.fromkeys(ids, 1))  # none lost, none run twice
    assert by_worker["a"] and by_worker["b"]  # both took part
    await backlog_empty(first)


#: A retry budget spent in well under a second: any attempt an outage cost would show.
TINY_BUDGET = QueueConfig(ack_wait=1.0, max_deliver=2, retry_delays=(0.0,), dedupe_window=60.0)
OUTAGE_SECONDS = 4.0  # longer than the budget, and than a few ack waits


async def test_a_job_waits_out_a_service_outage_without_spending_its_attempts(
    make_queue: QueueFactory,
) -> None:
    """Catalogue unreachable for longer than the whole retry budget: the job is held (no
    other is taken meanwhile, health says why), and done once catalogue is back."""
    queue = make_queue(TINY_BUDGET)
    nowhere = HttpTransport("catalogue", f"http://127.0.0.1:{free_port()}", "secret")
    outage = asyncio.Event()
    outage.set()
    calls: Counter[str] = Counter()

    async def handler(job: Job) -> None:
        calls[job.id] += 1
        if outage.is_set():
            await CatalogueClient(nowhere).check_credential()  # the real ConnectError's 503

    await queue.enqueue("first", "transcode", b"")
    worker = JobWorker(queue, handler, concurrency=2, poll=0.2)
    worker.retry_max_seconds = 0.5
    await worker.start()
    try:
        await eventually(lambda: worker.health().startswith("waiting"), "the job held")
        await asyncio.sleep(0.5)  # a pull begun before the hold ends within its poll
        await queue.enqueue("second", "transcode", b"")
        await asyncio.sleep(OUTAGE_SECONDS)
        assert "the catalogue service is unreachable (ConnectError)" in worker.health()
        assert calls["first"] > TINY_BUDGET.max_deliver and calls["second"] == 0
        outage.clear()
        await eventually(lambda: worker.stats().processed == 2, "both jobs done")
    finally:
        await worker.stop()
        await nowhere.close()
    stats = worker.stats()
    assert (stats.retried, stats.dead_lettered) == (0, 0)
    assert await queue.dead_letters() == []
    assert calls["second"] == 1
    await backlog_empty(queue)


async def test_a_refused_service_credential_holds_the_job_and_says_so(
    make_queue: QueueFactory,
) -> None:
    """Catalogue refuses the worker's secret (rotated under it): the job is not failed; the
    worker takes no other and its health names the credential."""
    queue = make_queue(TINY_BUDGET)
    refused = asyncio.Event()
    refused.set()

    async def handler(job: Job) -> None:
        if refused.is_set():  # what the HTTP transport raises for catalogue's 401
            raise Unauthorized(
                "service credential refused: the caller's STREAMSTACK_INTERNAL_SECRET is not "
                "this service's",
                code=CREDENTIAL_REFUSED,
            )

    await queue.enqueue("job", "transcode", b"")
    worker = JobWorker(queue, handler, poll=0.2)
    worker.retry_max_seconds = 0.5
    await worker.start()
    try:
        await eventually(lambda: "INTERNAL_SECRET" in worker.health(), "the refusal reported")
        await asyncio.sleep(2.0)
        assert worker.health().startswith("waiting")
        refused.clear()
        await eventually(lambda: worker.stats().processed == 1, "the job done")
    finally:
        await worker.stop()
    assert (worker.stats().retried, worker.stats().dead_lettered) == (0, 0)
    assert await queue.dead_letters() == []


async def test_a_held_job_is_told_once_per_reason_and_its_worker_announces_why(
    make_queue: QueueFactory,
) -> None:
    """The hold hook hears each new reason once, not each try; the worker's record on the
    queue says why its job waits while it does, and nothing once the job is done."""
    queue = make_queue(TINY_BUDGET)
    reasons = ["the object store's disk is full"]
    tries: Counter[str] = Counter()
    told: list[tuple[str, str]] = []

    async def handler(job: Job) -> None:
        if reasons:
            tries[reasons[0]] += 1
            raise ServiceUnavailable(reasons[0])

    async def on_hold(job: Job, reason: str) -> None:
        told.append((job.id, reason))

    def announcing(waiting: str | None) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return [worker.waiting for worker in await queue.workers()] == [waiting]

        return check

    await queue.enqueue("job", "transcode", b"")
    worker = JobWorker(queue, handler, poll=0.2, on_hold=on_hold)
    worker.retry_max_seconds = 0.2
    await worker.start()
    try:
        full = "ServiceUnavailable: the object store's disk is full"
        await eventually(lambda: tries[reasons[0]] >= 3, "the job tried again")
        await eventually(announcing(full), "the worker announcing why its job waits")
        reasons[0] = "catalogue away"
        await eventually(lambda: tries["catalogue away"] >= 3, "tried again for another reason")
        reasons.clear()
        await eventually(lambda: worker.stats().processed == 1, "the job done")
        await eventually(announcing(None), "the worker no longer waiting")
    finally:
        await worker.stop()
    assert told == [("job", full), ("job", "ServiceUnavailable: catalogue away")]
    assert waiting_text(full) == "waiting: the object store's disk is full — trying again"
