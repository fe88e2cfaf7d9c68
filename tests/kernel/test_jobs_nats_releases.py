"""The JetStream adapter's record of releases: what makes a release no attempt on a server
that counts every delivery (see :mod:`streamstack.kernel.jobs.nats`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import msgspec
import pytest
from nats.js import errors as js_errors
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy

from streamstack.kernel.jobs import Delivery, JobConsumer, JobsUnavailable, QueueConfig
from streamstack.kernel.jobs.nats import CONSUMER, NatsJobQueue, Releases
from streamstack.kernel.nats import NatsConnection

CONFIG = QueueConfig(ack_wait=60.0, max_deliver=2, retry_delays=(0.0,), dedupe_window=60.0)


@pytest.fixture
async def connection(nats_url: str) -> AsyncIterator[NatsConnection]:
    """A connection of the test's own."""
    connection = NatsConnection(nats_url)
    yield connection
    await connection.close()


async def take(consumer: JobConsumer) -> Delivery:
    """The next delivery, failing the test if none comes within 10 s."""
    delivery = await consumer.next(10.0)
    assert delivery is not None, "no delivery within 10 s"
    return delivery


async def test_a_consumer_made_before_releases_were_kept_is_made_unlimited(
    connection: NatsConnection,
) -> None:
    # Its max_deliver was the queue's plus one: a job released that often was never
    # delivered again (stuck in the stream, no dead letter).
    name = f"old-{uuid.uuid4().hex[:8]}"
    js = await connection.jetstream()
    await js.add_stream(
        name=f"jobs-{name}", subjects=[f"jobs.{name}.>"], retention=RetentionPolicy.WORK_QUEUE
    )
    old = ConsumerConfig(
        durable_name=CONSUMER,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=CONFIG.ack_wait,
        max_deliver=CONFIG.max_deliver + 1,
        filter_subject=f"jobs.{name}.>",
    )
    await js.add_consumer(f"jobs-{name}", config=old)
    queue = NatsJobQueue(connection, name, CONFIG)
    await queue.enqueue("film", "transcode", b"p")
    consumer = await queue.consumer()
    for _ in range(CONFIG.max_deliver + 3):
        delivery = await take(consumer)
        assert delivery.attempt == 1
        await delivery.release()
    assert (await js.consumer_info(f"jobs-{name}", CONSUMER)).config.max_deliver == -1
    done = await take(consumer)
    await done.ack()
    releases = await js.key_value(queue.releases_bucket)
    with pytest.raises(js_errors.KeyNotFoundError):  # forgotten once the job is done
        await releases.get("film")
    await consumer.close()


async def test_the_releases_of_an_earlier_job_of_the_same_id_do_not_count(
    connection: NatsConnection,
) -> None:
    # An id enqueued again once its job was done (past the dedupe window) is another
    # message: a record of the first that was never dropped is not its own.
    queue = NatsJobQueue(connection, f"again-{uuid.uuid4().hex[:8]}", CONFIG)
    await queue.ping()
    js = await connection.jetstream()
    releases = await js.key_value(queue.releases_bucket)
    await releases.put("item", msgspec.json.encode(Releases(sequence=999, count=5)))
    await queue.enqueue("item", "transcode", b"p")
    consumer = await queue.consumer()
    first = await take(consumer)
    await first.nak(0.0)  # failed: the next is attempt 2, the old record notwithstanding
    second = await take(consumer)
    assert second.attempt == 2
    await second.ack()
    await consumer.close()


async def test_a_release_that_could_not_be_recorded_counts_but_hands_the_job_back(
    connection: NatsConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = NatsJobQueue(connection, f"unrecorded-{uuid.uuid4().hex[:8]}", CONFIG)
    await queue.enqueue("film", "transcode", b"p")
    consumer = await queue.consumer()
    delivery = await take(consumer)

    async def bucket_away(job_id: str, releases: Releases) -> None:
        raise JobsUnavailable("release of job film not recorded: NATS is unavailable")

    monkeypatch.setattr(queue, "_record_releases", bucket_away)
    await delivery.release()
    again = await take(consumer)  # at once, not after the ack wait
    assert (again.job.id, again.attempt) == ("film", 2)
    await again.ack()
    await consumer.close()
