"""NATS comes back with its store lost (a recreated ``nats-data`` volume): every stream and
KV bucket is gone, while the processes that made them run on.

Each adapter finds its stream or bucket missing on the next call, sets it up again and
goes on, without a restart: a revocation is written, an event published (and heard by a
durable follower, which subscribes again), a job enqueued and fetched by the worker's
existing consumer.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator

import pytest

from harness.servers import NatsServer
from harness.tools import skip_or_fail
from streamstack.kernel.events import Event
from streamstack.kernel.events.following import DurableFollower
from streamstack.kernel.events.nats import NatsEventBus
from streamstack.kernel.jobs import QueueConfig
from streamstack.kernel.jobs.nats import NatsJobQueue
from streamstack.kernel.kv.nats import NatsKeyValueStore
from streamstack.kernel.nats import NatsConnection
from support.waiting import eventually

pytestmark = pytest.mark.slow


@pytest.fixture
async def connection(own_nats_server: NatsServer | None) -> AsyncIterator[NatsConnection]:
    if own_nats_server is None:
        skip_or_fail("needs a NATS server the test can restart (STREAMSTACK_TEST_NATS_URL is set)")
    connection = NatsConnection(own_nats_server.url)
    yield connection
    await connection.close()


def lose_store(server: NatsServer) -> None:
    """Stop NATS, delete its JetStream store, start it again on the same port."""
    with server.stopped(crash=True):
        shutil.rmtree(server.store_dir / "jetstream", ignore_errors=True)


async def test_every_adapter_sets_up_again_what_nats_lost(
    own_nats_server: NatsServer, connection: NatsConnection
) -> None:
    name = uuid.uuid4().hex[:10]
    kv = NatsKeyValueStore(connection, f"lost-{name}", ttl_seconds=3600)
    bus = NatsEventBus(connection, stream=f"LOST_{name}", subjects=[f"lost{name}.>"])
    queue = NatsJobQueue(connection, f"lost-{name}", QueueConfig(ack_wait=5.0))
    await kv.put("before", b"1")
    await bus.publish(f"lost{name}.made", b"{}", event_id="e1")
    await queue.enqueue("job-1", "work", b"one")
    heard: list[str] = []

    async def hear(event: Event) -> None:
        heard.append(event.id)

    follower = DurableFollower(bus, f"lost{name}.heard", hear, f"lost-{name}")
    await follower.follow()
    consumer = await queue.consumer()
    first = await consumer.next(wait=5.0)
    assert first is not None and first.job.id == "job-1"
    await first.ack()

    lose_store(own_nats_server)

    async def written() -> bool:
        try:
            await kv.put("after", b"2")
        except Exception:  # JetStream still starting: 503 until it answers
            return False
        return await kv.get("after") == b"2"

    await eventually(written, "a revocation written into the bucket made again", seconds=30)
    assert await kv.get("before") is None  # lost with the store, as the README says
    await bus.publish(f"lost{name}.made", b"{}", event_id="e2")
    # The follower's background step finds its consumer gone and subscribes again.
    await follower.follow()
    await bus.publish(f"lost{name}.heard", b"{}", event_id="e3")
    await eventually(lambda: heard == ["e3"], "the event heard by the follower again", seconds=15)
    await follower.stop()
    assert await queue.enqueue("job-2", "work", b"two")
    # The worker's consumer, made before the loss, fetches from the consumer made again.
    again = await consumer.next(wait=10.0)
    assert again is not None and again.job.id == "job-2"
    await again.ack()
    await consumer.close()
