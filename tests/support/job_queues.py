"""The job-queue port's fixture: a queue on each adapter (embedded SQLite, NATS JetStream).

Shared by the port's suite and the tests of what runs on a queue (workers, metrics).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from streamstack.kernel.jobs import JobQueue, QueueConfig
from streamstack.kernel.jobs.embedded import EmbeddedJobQueue
from streamstack.kernel.jobs.nats import NatsJobQueue
from streamstack.kernel.nats import NatsConnection

QueueFactory = Callable[..., JobQueue]


@pytest.fixture(params=["embedded", "nats"], name="make_queue")
async def queue_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[QueueFactory]:
    """Build a queue on the adapter under test: ``factory(config, name=None)``.

    Without a name the queue is new and uniquely named; with the name of an earlier one it
    is a second handle on the same queue, with its own connection (as another process).
    """
    connections: list[NatsConnection] = []
    embedded: list[EmbeddedJobQueue] = []

    def factory(config: QueueConfig, name: str | None = None) -> JobQueue:
        name = name or f"test-{uuid.uuid4().hex[:10]}"
        if request.param == "embedded":
            queue = EmbeddedJobQueue(tmp_path / "jobs" / "jobs.sqlite3", name, config)
            embedded.append(queue)
            return queue
        connection = NatsConnection(request.getfixturevalue("nats_url"))
        connections.append(connection)
        return NatsJobQueue(connection, name, config)

    yield factory
    for queue in embedded:
        await queue.close()
    for connection in connections:
        await connection.close()
