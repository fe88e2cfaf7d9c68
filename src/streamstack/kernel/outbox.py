"""Transactional outbox: a module's events are rows written with the change they announce.

A use case adds the event row inside the transaction of its change (:meth:`OutboxRecords.enqueue`),
so the event exists if and only if the change was committed. :class:`OutboxRelay` then
publishes pending rows in order, with the row's event id as the bus's dedupe id, and marks
them sent. Nothing is lost while the bus is down: rows stay pending and the relay's
background task backs off. A relay that dies after publishing but before marking a row
publishes it again on its next run; the bus drops the repeat, so each event arrives once.

Each module owns its outbox table (its own name, in its own migrations); the kernel needs
only its columns: ``seq`` (auto-incrementing key), ``event_id``, ``subject``, ``payload``,
``created_at``, ``sent_at`` (NULL while pending) and, optionally, ``attempts`` (publishes
tried, counted when present).

Several replicas may relay one Postgres table: each claims its batch with
``SELECT ... FOR UPDATE SKIP LOCKED``. On SQLite (one process, one writer) the relay reads,
publishes, then marks in a short write of its own, so a slow publish never holds the
database's single write lock.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

import structlog
from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from streamstack.kernel.clock import utcnow
from streamstack.kernel.db import Database
from streamstack.kernel.events import EventBus
from streamstack.kernel.tasks import BackgroundTask

log = structlog.get_logger(__name__)

#: How long sent rows are kept (for inspection) before the relay deletes them.
SENT_RETENTION = datetime.timedelta(days=1)
_PRUNE_EVERY_SECONDS = 3600.0


#: A module's outbox: its ORM class or its ``Table``.
OutboxSource = Table | type[DeclarativeBase]


def outbox_table(source: OutboxSource) -> Table:
    """The ``Table`` of a module's outbox, given the table or its mapped class."""
    table = source if isinstance(source, Table) else source.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{source!r} is not mapped to a table")
    return table


class PendingEvent(NamedTuple):
    """An unsent row."""

    seq: int
    event_id: str
    subject: str
    payload: bytes


class RelayFailed(Exception):
    """The bus refused an event; the rows before it were sent and marked."""


class OutboxRecords:
    """One outbox table, on one session (so in the caller's transaction)."""

    def __init__(self, session: AsyncSession, table: OutboxSource) -> None:
        self.session = session
        self.table = outbox_table(table)

    async def enqueue(
        self, event_id: str, subject: str, payload: bytes, now: datetime.datetime
    ) -> None:
        """Add an event to this transaction: it exists iff the change commits."""
        values: dict[str, Any] = {
            "event_id": event_id,
            "subject": subject,
            "payload": payload,
            "created_at": now,
            "sent_at": None,
        }
        if "attempts" in self.table.c:
            values["attempts"] = 0
        await self.session.execute(insert(self.table).values(values))

    async def pending(self, limit: int, *, claim: bool) -> list[PendingEvent]:
        """The oldest unsent events; with ``claim``, row-locked and skipping rows another
        relay holds (``FOR UPDATE SKIP LOCKED``, Postgres)."""
        c = self.table.c
        query = (
            select(c.seq, c.event_id, c.subject, c.payload)
            .where(c.sent_at.is_(None))
            .order_by(c.seq)
            .limit(limit)
        )
        if claim:
            query = query.with_for_update(skip_locked=True)
        return [PendingEvent(*row) for row in (await self.session.execute(query)).all()]

    async def mark_sent(self, seqs: Sequence[int], now: datetime.datetime) -> None:
        """Record that the events ``seqs`` were published."""
        if seqs:
            values: dict[str, Any] = {"sent_at": now, **self._one_more_attempt()}
            await self.session.execute(
                update(self.table).where(self.table.c.seq.in_(seqs)).values(values)
            )

    async def count_failure(self, seq: int) -> None:
        """Record a refused publish of event ``seq`` (it stays pending)."""
        if attempts := self._one_more_attempt():
            await self.session.execute(
                update(self.table).where(self.table.c.seq == seq).values(attempts)
            )

    async def backlog(self) -> int:
        """How many events wait to be published."""
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
    """Publishes the pending rows of one outbox table, one batch per background step."""

    def __init__(
        self,
        database: Database,
        events: EventBus,
        table: OutboxSource,
        *,
        name: str,
        batch_size: int = 100,
    ) -> None:
        self.name = name
        self._database = database
        self._events = events
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

    async def relay_once(self) -> bool:
        """The background step: one batch; True when it was full (more may be waiting).

        Raises :class:`RelayFailed` (the task backs off and retries) if the bus refused one.
        Housekeeping (pruning sent rows) runs when the outbox is drained.
        """
        if await self.relay_pending() >= self._batch_size:
            return True
        await self._prune_sent()
        return False

    async def relay_pending(self) -> int:
        """Publish one batch of pending events and mark them sent; returns how many.

        Raises :class:`RelayFailed` if the bus refused one (the rows before it are marked).
        """
        if self._database.is_sqlite:
            async with self._database.session() as session:
                rows = await OutboxRecords(session, self._table).pending(
                    self._batch_size, claim=False
                )
            sent, failure = await self._publish(rows)
            async with self._database.unit_of_work() as session:
                await self._mark(OutboxRecords(session, self._table), sent, failure)
        else:
            # The claimed rows stay locked until the marks commit, so another replica skips
            # them instead of publishing them too.
            async with self._database.unit_of_work() as session:
                outbox = OutboxRecords(session, self._table)
                rows = await outbox.pending(self._batch_size, claim=True)
                sent, failure = await self._publish(rows)
                await self._mark(outbox, sent, failure)
        if failure is not None:
            seq, exc = failure
            detail = getattr(exc, "detail", None) or repr(exc)
            raise RelayFailed(f"{self.name}: event {seq} not published ({detail})") from exc
        return len(sent)

    async def backlog(self) -> int:
        """How many events wait to be published."""
        async with self._database.session() as session:
            return await OutboxRecords(session, self._table).backlog()

    async def _publish(
        self, rows: Sequence[PendingEvent]
    ) -> tuple[list[int], tuple[int, Exception] | None]:
        sent: list[int] = []
        for row in rows:
            try:
                await self._events.publish(row.subject, row.payload, event_id=row.event_id)
            except Exception as exc:  # the bus is down or refused: keep the row, retry later
                return sent, (row.seq, exc)
            sent.append(row.seq)
        return sent, None

    @staticmethod
    async def _mark(
        outbox: OutboxRecords, sent: list[int], failure: tuple[int, Exception] | None
    ) -> None:
        await outbox.mark_sent(sent, utcnow())
        if failure is not None:
            await outbox.count_failure(failure[0])

    async def _prune_sent(self) -> None:
        if time.monotonic() - self._last_prune < _PRUNE_EVERY_SECONDS:
            return
        self._last_prune = time.monotonic()
        try:
            async with self._database.unit_of_work() as session:
                await OutboxRecords(session, self._table).prune(utcnow() - SENT_RETENTION)
        except Exception as exc:  # housekeeping only; the next hour tries again
            log.warning("outbox.prune_failed", relay=self.name, error=exc.__class__.__name__)
