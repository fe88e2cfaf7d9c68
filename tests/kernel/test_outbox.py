"""The kernel's transactional outbox, on SQLite and PostgreSQL: an event exists iff its
change committed, the relay publishes in order once, keeps what the bus refused, counts
attempts where the table has the column, and works for a table without it; it relays into
a job queue as well as onto the bus, and holds a row back until its ``due_at``."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    select,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.schema import SchemaItem

from streamstack.kernel.clock import utcnow
from streamstack.kernel.db import Database, module_metadata
from streamstack.kernel.events import Event
from streamstack.kernel.events.memory import MemoryEventBus
from streamstack.kernel.jobs import Job
from streamstack.kernel.jobs.embedded import EmbeddedJobQueue
from streamstack.kernel.migrations import sequence_number, timestamp
from streamstack.kernel.outbox import (
    JobSink,
    OutboxRecords,
    OutboxRelay,
    OutboxSource,
    RelayFailed,
)
from support.waiting import eventually

SUBJECT = "demo.events.thing.happened"


def outbox_table(metadata: MetaData, name: str, *, attempts: bool, due: bool = False) -> Table:
    columns: list[SchemaItem] = [
        sequence_number(),
        PrimaryKeyConstraint("seq"),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("subject", String(200), nullable=False),
        Column("payload", LargeBinary(), nullable=False),
        timestamp("created_at"),
        timestamp("sent_at", nullable=True),
    ]
    if attempts:
        columns.append(Column("attempts", Integer(), nullable=False))
    if due:
        columns.append(timestamp("due_at"))
    return Table(name, metadata, *columns)


METADATA = module_metadata()
COUNTED = outbox_table(METADATA, "demo_outbox", attempts=True)
#: Rows the code that writes them sends itself, left to the relay from their ``due_at``.
DUE = outbox_table(METADATA, "demo_due_outbox", attempts=True, due=True)


class DemoBase(DeclarativeBase):
    metadata = METADATA


class PlainOutboxRow(DemoBase):
    """A module's outbox as an ORM class (what modules have), without ``attempts``."""

    __table__ = outbox_table(METADATA, "demo_plain_outbox", attempts=False)


class RefusingBus(MemoryEventBus):
    """The in-process bus, which refuses every publish while ``down`` (a bus outage)."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    async def publish(self, subject: str, payload: bytes, *, event_id: str) -> None:
        if self.down:
            raise ConnectionError("bus down")
        await super().publish(subject, payload, event_id=event_id)


@pytest.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    else:
        url = request.getfixturevalue("fresh_database_url")
    database = Database(url)
    async with database.engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    try:
        yield database
    finally:
        await database.close()


async def received(bus: MemoryEventBus) -> list[Event]:
    events: list[Event] = []

    async def collect(event: Event) -> None:
        events.append(event)

    await bus.subscribe(SUBJECT, collect)
    return events


async def enqueue(database: Database, table: OutboxSource, *payloads: bytes) -> None:
    async with database.unit_of_work() as session:
        for payload in payloads:
            await OutboxRecords(session, table).enqueue(
                str(uuid.uuid4()), SUBJECT, payload, utcnow()
            )


def relay_drained(relay: OutboxRelay) -> Callable[[], Awaitable[bool]]:
    async def drained() -> bool:
        return await relay.backlog() == 0

    return drained


async def change_that_fails(database: Database) -> None:
    try:
        async with database.unit_of_work() as session:
            await OutboxRecords(session, COUNTED).enqueue("rolled-back", SUBJECT, b"x", utcnow())
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass  # rolled back, and its event with it


async def test_committed_events_are_published_in_order_once(database: Database) -> None:
    bus = RefusingBus()
    events = await received(bus)
    await enqueue(database, COUNTED, b"1", b"2", b"3")
    await change_that_fails(database)
    relay = OutboxRelay(database, bus, COUNTED, name="demo.outbox-relay", batch_size=2)

    assert await relay.backlog() == 3
    assert await relay.relay_once() is True  # a full batch: more may be waiting
    assert await relay.relay_once() is False
    assert [e.payload for e in events] == [b"1", b"2", b"3"]
    assert await relay.backlog() == 0
    assert await relay.relay_pending() == 0  # nothing is published twice
    async with database.session() as session:
        attempts = (
            (await session.execute(select(COUNTED.c.attempts).order_by(COUNTED.c.seq)))
            .scalars()
            .all()
        )
    assert attempts == [1, 1, 1]


async def test_refused_events_wait_for_the_bus_and_count_attempts(database: Database) -> None:
    bus = RefusingBus()
    events = await received(bus)
    await enqueue(database, COUNTED, b"a", b"b")
    relay = OutboxRelay(database, bus, COUNTED, name="demo.outbox-relay")
    bus.down = True

    with pytest.raises(RelayFailed, match=r"demo\.outbox-relay: event 1 not published"):
        await relay.relay_once()
    assert await relay.backlog() == 2
    async with database.session() as session:
        row = (
            await session.execute(select(COUNTED.c.attempts).order_by(COUNTED.c.seq).limit(1))
        ).scalar_one()
    assert row == 1

    bus.down = False
    assert await relay.relay_pending() == 2
    assert [e.payload for e in events] == [b"a", b"b"]


async def test_a_mapped_class_without_attempts_and_the_background_task(database: Database) -> None:
    bus = RefusingBus()
    events = await received(bus)
    relay = OutboxRelay(database, bus, PlainOutboxRow, name="demo.plain-relay")
    task = relay.task(interval_seconds=0.05)
    assert task.name == "demo.plain-relay"
    await task.start()
    try:
        await enqueue(database, PlainOutboxRow, b"p")
        task.wake()
        await eventually(relay_drained(relay), "the relay task published and marked the event")
        assert [e.payload for e in events] == [b"p"]
        assert task.health() == "ok"
    finally:
        await task.stop()


async def test_rows_reach_a_job_queue_as_jobs(database: Database, tmp_path: Path) -> None:
    queue = EmbeddedJobQueue(tmp_path / "jobs" / "jobs.sqlite3", "demo-jobs")
    try:
        relay = OutboxRelay(database, JobSink(queue), COUNTED, name="demo.job-relay")
        async with relay.records() as outbox:
            await outbox.enqueue("job-1", "demo-kind", b"first", utcnow())
            await outbox.enqueue("job-2", "other-kind", b"second", utcnow())

        assert await relay.relay_once() is False
        assert await relay.backlog() == 0
        consumer = await queue.consumer()
        deliveries = [await consumer.next(wait=5.0) for _ in range(2)]
        await consumer.close()
    finally:
        await queue.close()
    jobs = [delivery.job for delivery in deliveries if delivery is not None]
    # The event id is the job's id (the queue's dedupe key), the subject its kind.
    assert jobs == [Job("job-1", "demo-kind", b"first"), Job("job-2", "other-kind", b"second")]


async def test_a_row_is_relayed_only_once_it_is_due(database: Database) -> None:
    bus = RefusingBus()
    events = await received(bus)
    relay = OutboxRelay(database, bus, DUE, name="demo.due-relay")
    now = utcnow()
    later = now + datetime.timedelta(minutes=10)
    async with relay.records() as outbox:
        await outbox.enqueue("later", SUBJECT, b"later", now, due_at=later)
        await outbox.enqueue("now", SUBJECT, b"now", now)  # no due_at: due at once

    assert await relay.relay_pending() == 1
    assert [(e.id, e.payload) for e in events] == [("now", b"now")]
    assert await relay.backlog() == 1  # owed, but left to its writer until it is due
    async with database.session() as session:
        due = await OutboxRecords(session, DUE).pending(10, claim=False, now=later)
    assert [row.event_id for row in due] == ["later"]

    async with relay.records() as outbox:  # its writer could not send it: due now
        await outbox.count_failure("later", utcnow())
    assert await relay.relay_pending() == 1
    assert [(e.id, e.payload) for e in events] == [("now", b"now"), ("later", b"later")]
    assert await relay.backlog() == 0


async def test_rows_their_writer_sent_or_withdrew_are_never_relayed(database: Database) -> None:
    bus = RefusingBus()
    events = await received(bus)
    relay = OutboxRelay(database, bus, DUE, name="demo.due-relay")
    now = utcnow()
    async with relay.records() as outbox:
        await outbox.enqueue("sent", SUBJECT, b"s", now, due_at=now)
        await outbox.enqueue("withdrawn", SUBJECT, b"w", now, due_at=now)
    async with relay.records() as outbox:
        await outbox.mark_sent(["sent"], utcnow())
        await outbox.discard("withdrawn")

    assert await relay.backlog() == 0
    assert await relay.relay_pending() == 0
    assert events == []
    async with database.session() as session:
        rows = (await session.execute(select(DUE.c.event_id, DUE.c.attempts))).all()
    assert [tuple(row) for row in rows] == [("sent", 1)]


async def test_a_due_time_needs_the_column(database: Database) -> None:
    with pytest.raises(TypeError, match="demo_outbox has no due_at column"):
        async with database.unit_of_work() as session:
            await OutboxRecords(session, COUNTED).enqueue(
                "e", SUBJECT, b"x", utcnow(), due_at=utcnow()
            )
