"""One suite for the job-queue port, run against the embedded queue and NATS JetStream."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from streamstack.kernel.jobs import (
    Delivery,
    InvalidJob,
    JobConsumer,
    QueueConfig,
)
from streamstack.kernel.jobs.embedded import EmbeddedJobQueue
from support.job_queues import QueueFactory
from support.waiting import eventually

#: Short enough to keep the suite quick, long enough for a loaded 2-core machine.
SHORT = QueueConfig(ack_wait=1.0, max_deliver=3, retry_delays=(0.0,), dedupe_window=60.0)


async def take(consumer: JobConsumer, wait: float = 10.0) -> Delivery:
    """The next delivery, failing the test if none comes."""
    delivery = await consumer.next(wait)
    assert delivery is not None, f"no delivery within {wait} s"
    return delivery


async def test_enqueue_consume_ack(make_queue: QueueFactory) -> None:
    queue = make_queue(SHORT)
    payload = bytes(range(256))
    assert await queue.enqueue("job-1", "transcode", payload) is True

    # JetStream updates a consumer's pending count after it acknowledged the publish.
    async def waiting_one() -> bool:
        return (await queue.backlog()).total == 1

    await eventually(waiting_one, "the job counted in the backlog", 10)
    consumer = await queue.consumer()
    delivery = await take(consumer)
    assert (delivery.job.id, delivery.job.kind, delivery.job.payload) == (
        "job-1",
        "transcode",
        payload,
    )
    assert delivery.attempt == 1
    await delivery.ack()
    assert await consumer.next(2.5) is None  # gone for good, not redelivered
    assert (await queue.backlog()).total == 0
    assert await queue.dead_letters() == []
    await queue.ping()
    await consumer.close()


async def test_the_same_job_id_enqueued_twice_is_one_job(make_queue: QueueFactory) -> None:
    queue = make_queue(SHORT)
    assert await queue.enqueue("same", "transcode", b"first") is True
    assert await queue.enqueue("same", "transcode", b"second") is False
    assert await queue.enqueue("other", "transcode", b"x") is True
    consumer = await queue.consumer()
    seen = []
    for _ in range(2):
        delivery = await take(consumer)
        seen.append((delivery.job.id, delivery.job.payload))
        await delivery.ack()
    assert sorted(seen) == [("other", b"x"), ("same", b"first")]
    assert await consumer.next(0.5) is None
    assert await queue.enqueue("same", "transcode", b"third") is False  # still in the window
    assert await consumer.next(0.5) is None
    await consumer.close()


async def test_a_delivery_not_acked_within_ack_wait_is_redelivered(
    make_queue: QueueFactory,
) -> None:
    queue = make_queue(SHORT)
    await queue.enqueue("slow", "transcode", b"p")
    first, second = await queue.consumer(), await queue.consumer()
    held = await take(first)
    assert held.attempt == 1
    again = await take(second)  # after the ack wait, to another consumer
    assert (again.job.id, again.attempt) == ("slow", 2)
    await again.ack()
    assert (await queue.backlog()).total == 0
    await first.close()
    await second.close()


async def test_in_progress_keeps_the_job_from_being_redelivered(
    make_queue: QueueFactory,
) -> None:
    queue = make_queue(QueueConfig(ack_wait=2.0, max_deliver=3, retry_delays=(0.0,)))
    await queue.enqueue("long", "transcode", b"p")
    holder, other = await queue.consumer(), await queue.consumer()
    held = await take(holder)
    for _ in range(25):  # 5 s of heartbeats, 2.5 ack waits
        await held.in_progress()
        assert await other.next(0.2) is None, "redelivered while the holder heartbeats"
    # The holder stops heartbeating: the job moves on.
    again = await take(other)
    assert (again.job.id, again.attempt) == ("long", 2)
    await again.ack()
    await holder.close()
    await other.close()


async def test_nak_releases_the_job_for_another_attempt(make_queue: QueueFactory) -> None:
    queue = make_queue(SHORT)
    await queue.enqueue("retry", "transcode", b"p")
    consumer = await queue.consumer()
    first = await take(consumer)
    await first.nak(0.0)
    second = await take(consumer)
    assert (second.job.id, second.attempt) == ("retry", 2)
    await second.nak(SHORT.retry_delay(second.attempt))  # attempt 2 of 3 failed: retried
    third = await take(consumer)
    assert third.attempt == 3
    await third.ack()
    assert await queue.dead_letters() == []
    await consumer.close()


async def test_a_released_job_comes_back_as_the_same_attempt(make_queue: QueueFactory) -> None:
    # A worker stopping hands its job back: nothing failed, so no attempt is spent, however
    # often it happens (workers restarted by deploys); a nak after a failure spends one.
    # A long ack wait: only the release can bring it back this soon.
    queue = make_queue(QueueConfig(ack_wait=60.0, max_deliver=3, retry_delays=(0.0,)))
    await queue.enqueue("deployed", "transcode", b"p")
    consumer = await queue.consumer()
    for _ in range(queue.config.max_deliver + 2):
        delivery = await take(consumer)
        assert (delivery.job.id, delivery.attempt) == ("deployed", 1)
        await delivery.release()
    failed = await take(consumer)
    assert failed.attempt == 1
    await failed.nak(0.0)
    second = await take(consumer)
    assert second.attempt == 2
    await second.release()
    again = await take(consumer)
    assert again.attempt == 2
    await again.ack()
    assert await consumer.next(2.5) is None
    assert await queue.dead_letters() == []
    assert (await queue.backlog()).total == 0
    await consumer.close()


async def test_a_job_failing_max_deliver_times_dead_letters_with_the_reason(
    make_queue: QueueFactory,
) -> None:
    # As the worker does: nak after each failure, term after the last.
    queue = make_queue(SHORT)
    await queue.enqueue("poison", "transcode", b"bad input")
    await queue.enqueue("fine", "transcode", b"ok")
    consumer = await queue.consumer()
    outcomes = []
    while len(outcomes) < 4:
        delivery = await take(consumer)
        if delivery.job.id == "fine":
            await delivery.ack()
            outcomes.append("fine")
        elif delivery.attempt < SHORT.max_deliver:
            await delivery.nak(SHORT.retry_delay(delivery.attempt))
            outcomes.append(f"retried {delivery.attempt}")
        else:
            await delivery.term(f"decoder error on attempt {delivery.attempt}")
            outcomes.append("dead")
    assert sorted(outcomes) == ["dead", "fine", "retried 1", "retried 2"]
    assert await consumer.next(2.5) is None
    [letter] = await queue.dead_letters()
    assert (letter.job.id, letter.job.kind, letter.job.payload) == (
        "poison",
        "transcode",
        b"bad input",
    )
    assert letter.attempts == 3
    assert letter.reason == "decoder error on attempt 3"
    assert (await queue.backlog()).total == 0
    await consumer.close()


async def test_term_dead_letters_at_once(make_queue: QueueFactory) -> None:
    queue = make_queue(SHORT)
    await queue.enqueue("hopeless", "transcode", b"p")
    consumer = await queue.consumer()
    delivery = await take(consumer)
    await delivery.term("not a video")
    assert await consumer.next(2.5) is None
    [letter] = await queue.dead_letters()
    assert (letter.job.id, letter.attempts, letter.reason) == ("hopeless", 1, "not a video")
    await consumer.close()


async def test_a_job_whose_last_holder_vanished_is_dead_lettered(make_queue: QueueFactory) -> None:
    queue = make_queue(QueueConfig(ack_wait=1.0, max_deliver=1, retry_delays=(0.0,)))
    await queue.enqueue("orphan", "transcode", b"p")
    lost, survivor = await queue.consumer(), await queue.consumer()
    await take(lost)  # never acked: its holder "died" on the only attempt allowed
    for _ in range(20):
        assert await survivor.next(0.5) is None, "a job past max_deliver was handed out"
        if letters := await queue.dead_letters():
            break
    else:
        pytest.fail("the abandoned job was never dead-lettered")
    [letter] = letters
    assert letter.job.id == "orphan"
    assert "no outcome after 1 deliveries" in letter.reason
    assert (await queue.backlog()).total == 0
    await lost.close()
    await survivor.close()


async def test_two_consumers_never_hold_the_same_job(make_queue: QueueFactory) -> None:
    queue = make_queue(QueueConfig(ack_wait=30.0, max_deliver=3))
    ids = {f"race-{i}" for i in range(12)}
    for job_id in ids:
        await queue.enqueue(job_id, "transcode", b"p")
    consumers = [await queue.consumer() for _ in range(3)]
    held: list[Delivery] = []

    async def grab(consumer: JobConsumer) -> None:
        while (delivery := await consumer.next(1.0)) is not None:
            held.append(delivery)

    await asyncio.gather(*(grab(c) for c in consumers))
    got = [d.job.id for d in held]
    assert sorted(got) == sorted(ids), "a job was handed to two consumers, or lost"
    backlog = await queue.backlog()
    assert (backlog.waiting, backlog.running) == (0, 12)
    await asyncio.gather(*(d.ack() for d in held))
    assert (await queue.backlog()).total == 0
    for consumer in consumers:
        await consumer.close()


@pytest.mark.parametrize(
    ("job_id", "kind"), [("", "k"), ("a b", "k"), ("a.b", "k"), ("x", "K!"), ("x", "")]
)
async def test_invalid_ids_and_kinds_are_refused(
    make_queue: QueueFactory, job_id: str, kind: str
) -> None:
    queue = make_queue(SHORT)
    with pytest.raises(InvalidJob) as info:
        await queue.enqueue(job_id, kind, b"p")
    assert info.value.status == 400


async def test_embedded_queue_survives_closing_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "data" / "jobs" / "jobs.sqlite3"
    config = QueueConfig(ack_wait=1.0, max_deliver=3, retry_delays=(0.0,))
    first = EmbeddedJobQueue(path, "media", config)
    await first.enqueue("a", "transcode", b"A")
    await first.enqueue("b", "transcode", b"B")
    await first.enqueue("c", "transcode", b"C")
    consumer = await first.consumer()
    held = await take(consumer)  # the process "dies" holding it
    dead = await take(consumer)
    await dead.term("broken")
    await first.close()

    second = EmbeddedJobQueue(path, "media", config)
    assert await second.enqueue("a", "transcode", b"again") is False  # dedupe remembered
    assert [d.job.id for d in await second.dead_letters()] == [dead.job.id]
    consumer = await second.consumer()
    seen = {}
    for _ in range(2):
        delivery = await take(consumer)
        seen[delivery.job.id] = delivery.attempt
        await delivery.ack()
    assert seen[held.job.id] == 2  # its holder is gone: taken again at once, as the next attempt
    assert set(seen) | {dead.job.id} == {"a", "b", "c"}
    other_queue = EmbeddedJobQueue(path, "other", config)
    assert (await other_queue.backlog()).total == 0
    await other_queue.close()
    await second.close()


async def test_a_reopened_embedded_queue_takes_back_at_once_what_a_dead_process_held(
    tmp_path: Path,
) -> None:
    """The jobs a process held when it died (its descriptors closed, as ``kill -9`` leaves
    them) are taken again as soon as the queue opens with no other process on it, as the
    next attempt (a job that kills its process must run out of attempts); never while
    another process has it open (its leases may be live)."""
    path = tmp_path / "data" / "jobs" / "jobs.sqlite3"
    config = QueueConfig(ack_wait=3600.0, max_deliver=3)
    first = EmbeddedJobQueue(path, "media", config)
    await first.enqueue("a", "transcode", b"A")
    held = await take(await first.consumer())
    beside = EmbeddedJobQueue(path, "media", config)  # a process opening it meanwhile
    assert await (await beside.consumer()).next(0.0) is None
    await first.close()
    assert await (await beside.consumer()).next(0.0) is None  # beside was not alone
    assert (await beside.backlog()).running == 1
    await beside.close()

    second = EmbeddedJobQueue(path, "media", config)
    assert (await second.backlog()).running == 0
    again = await take(await second.consumer(), wait=0.0)
    assert (again.job.id, held.attempt, again.attempt) == ("a", 1, 2)
    await again.ack()
    await second.close()


async def test_embedded_queue_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "jobs" / "jobs.sqlite3"
    queue = EmbeddedJobQueue(path, "media")
    await queue.enqueue("a", "transcode", b"A")
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for file in path.parent.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    await queue.close()
