"""Transactional outbox: a module's events are rows written with the change they announce.

A use case adds the event row inside the transaction of its change (:meth:`OutboxRecords.enqueue`),
so the event exists if and only if the change was committed. :class:`OutboxRelay` then
sends pending rows in order to its sink, with the row's event id as the sink's dedupe id,
and marks them sent. The sink is the event bus (``publish(subject, payload, event_id=…)``),
or a job queue (:class:`JobSink`: the event id is the job's id, the subject its kind).
Nothing is lost while the sink is down: rows stay pending and the relay's background task
backs off. A relay that dies after sending but before marking a row sends it again on its
next run; the sink drops the repeat, so each event arrives once.

Each module owns its outbox table (its own name, in its own migrations); the kernel needs
only its columns: ``seq`` (auto-incrementing key), ``event_id``, ``subject``, ``payload``,
``created_at``, ``sent_at`` (NULL while pending) and, optionally, ``attempts`` (sends
tried, counted when present) and ``due_at`` (a row is pending only from then: the code
that wrote it means to send it itself, and leaves it to the relay only if it could not).

Several replicas may relay one Postgres table: each claims its batch with
``SELECT ... FOR UPDATE SKIP LOCKED``. On SQLite (one process, one writer) the relay reads,
sends, then marks in a short write of its own, so a slow send never holds the
database's single write lock.
"""

from __future__ import annotations

import contextlib
import datetime
import time
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol

import structlog
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    BigInteger,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.db import Database
from streamstack.kernel.tasks import BackgroundTask

if TYPE_CHECKING:
    from streamstack.kernel.jobs import JobQueue

log = structlog.get_logger(__name__)

#: How long sent rows are kept (for inspection) before the relay deletes them.
SENT_RETENTION = datetime.timedelta(days=1)
_PRUNE_EVERY_SECONDS = 3600.0


#: A module's outbox: its ORM class or its ``Table``.
OutboxSource = Table | type[DeclarativeBase]


class OutboxColumns:
    """The columns and indexes every outbox has, declared once: a module's outbox model is
    this mixin on the module's declarative base, with its table's name, the lengths of
    ``event_id`` and ``subject`` its migration gave them, the column of its index of unsent
    rows, and the optional ``attempts`` and ``due_at`` if it has them."""

    __tablename__: str
    EVENT_ID_LENGTH: ClassVar[int]
    SUBJECT_LENGTH: ClassVar[int]
    #: The column the index of unsent rows is ordered by (None: the table has no such index).
    PENDING_INDEX_ON: ClassVar[str | None] = None

    #: Insertion order, which is also relay order.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    sent_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC)

    @declared_attr
    def event_id(cls) -> Mapped[str]:
        """The sink's dedupe id (``Nats-Msg-Id``, a job's id): a repeat is dropped."""
        return mapped_column(String(cls.EVENT_ID_LENGTH), unique=True)

    @declared_attr
    def subject(cls) -> Mapped[str]:
        """The event's subject, or the job's kind."""
        return mapped_column(String(cls.SUBJECT_LENGTH))

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index, ...]:
        """The relay's indexes: ``ix_<table>_sent_at`` (pruning) and ``ix_<table>_pending``,
        the unsent rows, all the relay ever scans; partial on both databases, so it stays
        tiny however many rows were sent."""
        table, column = cls.__tablename__, cls.PENDING_INDEX_ON
        pruning = Index(f"ix_{table}_sent_at", "sent_at")
        if column is None:
            return (pruning,)
        unsent = text("sent_at IS NULL")
        pending = Index(f"ix_{table}_pending", column, postgresql_where=unsent, sqlite_where=unsent)
        return (pending, pruning)


def outbox_table(source: OutboxSource) -> Table:
    """The ``Table`` of a module's outbox, given the table or its mapped class."""
    table = source if isinstance(source, Table) else source.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{source!r} is not mapped to a table")
    return table


class OutboxSink(Protocol):
    """Where a relay sends rows: the event bus (an ``EventBus`` is one) or a :class:`JobSink`."""

    async def publish(self, subject: str, payload: bytes, *, event_id: str) -> None:
        """Send one row; a repeat of ``event_id`` is dropped (the relay may send one twice)."""
        ...


class JobSink:
    """An outbox whose rows are jobs: each is queued with its event id as the job's id (the
    queue's dedupe key) and its subject as the job's kind."""

    def __init__(self, queue: JobQueue) -> None:
        self.queue = queue

    async def publish(self, subject: str, payload: bytes, *, event_id: str) -> None:
        """Queue the row as a job (the queue drops a second job of the same id)."""
        added = await self.queue.enqueue(event_id, subject, payload)
        log.info("outbox.job_queued", job_id=event_id, kind=subject, added=added)


class PendingEvent(NamedTuple):
    """An unsent row."""

    seq: int
    event_id: str
    subject: str
    payload: bytes


class RelayFailed(Exception):
    """The sink refused an event; the rows before it were sent and marked."""


class OutboxRecords:
    """One outbox table, on one session (so in the caller's transaction)."""

    def __init__(self, session: AsyncSession, table: OutboxSource) -> None:
        self.session = session
        self.table = outbox_table(table)

    async def enqueue(
        self,
        event_id: str,
        subject: str,
        payload: bytes,
        now: datetime.datetime,
        *,
        due_at: datetime.datetime | None = None,
    ) -> None:
        """Add an event to this transaction: it exists iff the change commits. With
        ``due_at`` (a table with the column), the relay leaves it alone until then."""
        values: dict[str, Any] = {
            "event_id": event_id,
            "subject": subject,
            "payload": payload,
            "created_at": now,
            "sent_at": None,
        }
        if "attempts" in self.table.c:
            values["attempts"] = 0
        if "due_at" in self.table.c:
            values["due_at"] = due_at or now
        elif due_at is not None:
            raise TypeError(f"{self.table.name} has no due_at column")
        await self.session.execute(insert(self.table).values(values))

    async def pending(
        self, limit: int, *, claim: bool, now: datetime.datetime
    ) -> list[PendingEvent]:
        """The oldest unsent events (that are due at ``now``, where rows have a ``due_at``);
        with ``claim``, row-locked and skipping rows another relay holds
        (``FOR UPDATE SKIP LOCKED``, Postgres)."""
        c = self.table.c
        query = (
            select(c.seq, c.event_id, c.subject, c.payload)
            .where(c.sent_at.is_(None))
            .order_by(c.seq)
            .limit(limit)
        )
        if "due_at" in c:
            query = query.where(c.due_at <= now)
        if claim:
            query = query.with_for_update(skip_locked=True)
        return [PendingEvent(*row) for row in (await self.session.execute(query)).all()]

    async def mark_sent(self, event_ids: Sequence[str], now: datetime.datetime) -> None:
        """Record that the events ``event_ids`` were sent (by the relay, or by the code that
        wrote them)."""
        if event_ids:
            values: dict[str, Any] = {"sent_at": now, **self._one_more_attempt()}
            await self.session.execute(
                update(self.table).where(self.table.c.event_id.in_(event_ids)).values(values)
            )

    async def count_failure(self, event_id: str, now: datetime.datetime) -> None:
        """Record a refused send of ``event_id``: it stays pending, due from ``now`` where
        rows have a ``due_at`` (so the relay retries it, even one its writer meant to send)."""
        values = self._one_more_attempt()
        if "due_at" in self.table.c:
            values["due_at"] = now
        if values:
            await self.session.execute(
                update(self.table).where(self.table.c.event_id == event_id).values(values)
            )

    async def discard(self, event_id: str) -> None:
        """Delete event ``event_id``, sent or not: what it announced did not happen."""
        await self.session.execute(delete(self.table).where(self.table.c.event_id == event_id))

    async def backlog(self) -> int:
        """How many events wait to be sent (due or not)."""
        query = select(func.count()).select_from(self.table).where(self.table.c.sent_at.is_(None))
        return int((await self.session.execute(query)).scalar_one())

    async def prune(self, sent_before: datetime.datetime) -> None:
        """Delete events sent before ``sent_before``."""
        await self.session.execute(delete(self.table).where(self.table.c.sent_at < sent_before))

    def _one_more_attempt(self) -> dict[str, Any]:
        if "attempts" not in self.table.c:
            return {}
        return {"attempts": self.table.c.attempts + 1}


class OutboxRelay:
    """Sends the pending rows of one outbox table to its sink, one batch per background step
    (reading the time from ``clock``)."""

    def __init__(
        self,
        database: Database,
        sink: OutboxSink,
        table: OutboxSource,
        *,
        name: str,
        batch_size: int = 100,
        clock: Clock = utcnow,
    ) -> None:
        self.name = name
        self.sink = sink
        self._clock = clock
        self._database = database
        self._table = outbox_table(table)
        self._batch_size = batch_size
        self._last_prune = float("-inf")

    def task(self, *, interval_seconds: float, retry_max_seconds: float = 5.0) -> BackgroundTask:
        """The background task that runs :meth:`relay_once` (``task:<name>`` in ``/ready``)."""
        return BackgroundTask(
            self.name,
            self.relay_once,
            interval_seconds=interval_seconds,
            retry_max_seconds=retry_max_seconds,
        )

    @contextlib.asynccontextmanager
    async def records(self) -> AsyncIterator[OutboxRecords]:
        """The outbox in a unit of work of its own (committed when the block ends)."""
        async with self._database.unit_of_work() as session:
            yield OutboxRecords(session, self._table)

    async def relay_once(self) -> bool:
        """The background step: one batch; True when it was full (more may be waiting).

        Raises :class:`RelayFailed` (the task backs off and retries) if the sink refused one.
        Housekeeping (pruning sent rows) runs when the outbox is drained.
        """
        if await self.relay_pending() >= self._batch_size:
            return True
        await self._prune_sent()
        return False

    async def relay_pending(self) -> int:
        """Send one batch of pending events and mark them sent; returns how many.

        Raises :class:`RelayFailed` if the sink refused one (the rows before it are marked).
        """
        if self._database.is_sqlite:
            async with self._database.session() as session:
                rows = await OutboxRecords(session, self._table).pending(
                    self._batch_size, claim=False, now=self._clock()
                )
            sent, failure = await self._send(rows)
            async with self.records() as outbox:
                await self._mark(outbox, sent, failure)
        else:
            # The claimed rows stay locked until the marks commit, so another replica skips
            # them instead of sending them too.
            async with self.records() as outbox:
                rows = await outbox.pending(self._batch_size, claim=True, now=self._clock())
                sent, failure = await self._send(rows)
                await self._mark(outbox, sent, failure)
        if failure is not None:
            row, exc = failure
            detail = getattr(exc, "detail", None) or repr(exc)
            raise RelayFailed(f"{self.name}: event {row.seq} not published ({detail})") from exc
        return len(sent)

    async def backlog(self) -> int:
        """How many events wait to be sent (due or not)."""
        async with self._database.session() as session:
            return await OutboxRecords(session, self._table).backlog()

    async def _send(
        self, rows: Sequence[PendingEvent]
    ) -> tuple[list[str], tuple[PendingEvent, Exception] | None]:
        sent: list[str] = []
        for row in rows:
            try:
                await self.sink.publish(row.subject, row.payload, event_id=row.event_id)
            except Exception as exc:  # the sink is down or refused: keep the row, retry later
                return sent, (row, exc)
            sent.append(row.event_id)
        return sent, None

    async def _mark(
        self,
        outbox: OutboxRecords,
        sent: list[str],
        failure: tuple[PendingEvent, Exception] | None,
    ) -> None:
        await outbox.mark_sent(sent, self._clock())
        if failure is not None:
            await outbox.count_failure(failure[0].event_id, self._clock())

    async def _prune_sent(self) -> None:
        if time.monotonic() - self._last_prune < _PRUNE_EVERY_SECONDS:
            return
        self._last_prune = time.monotonic()
        try:
            async with self.records() as outbox:
                await outbox.prune(self._clock() - SENT_RETENTION)
        except Exception as exc:  # housekeeping only; the next hour tries again
            log.warning("outbox.prune_failed", relay=self.name, error=exc.__class__.__name__)
