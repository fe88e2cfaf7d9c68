"""Transactional outbox: events are rows written with the change, relayed to the bus later.

A use case calls ``OutboxRepository.enqueue`` inside the transaction of its change, so the event exists
if and only if the change was committed. :class:`OutboxRelay` then publishes pending rows in
order, with the row's event id as the bus's dedupe id (``Nats-Msg-Id``), and marks them
sent. Nothing is lost while the bus is down: rows stay pending and the relay retries with
backoff. A relay that dies after publishing but before marking a row publishes it again on
its next run; the bus drops the repeat, so each event is delivered once.

The relay is one step (:meth:`OutboxRelay.relay_once`) that ``module.py`` runs as a kernel
:class:`~streamstack.kernel.tasks.BackgroundTask`: woken after each commit that enqueued,
polling as a safety net, backing off while the bus or the database is down.

Several replicas may relay the same Postgres table: each claims its batch with
``SELECT ... FOR UPDATE SKIP LOCKED``. SQLite is the one-process embedded backend, where a
single relay runs.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Sequence

import structlog

from streamstack.catalogue.repository import (
    OutboxRepository,
    PendingEvent,
    reading,
    unit_of_work,
)
from streamstack.kernel.clock import utcnow
from streamstack.kernel.db import Database
from streamstack.kernel.events import EventBus

log = structlog.get_logger(__name__)

#: How long sent rows are kept (for inspection) before the relay deletes them.
SENT_RETENTION = datetime.timedelta(days=1)
_PRUNE_EVERY_SECONDS = 3600.0


class RelayFailed(Exception):
    """The bus refused an event; the rows before it were sent and marked."""


class OutboxRelay:
    """Publishes pending outbox rows, one batch per step."""

    #: The name of its background task (``task:<name>`` in ``GET /ready``).
    TASK_NAME = "catalogue.outbox-relay"

    def __init__(self, database: Database, events: EventBus, *, batch_size: int = 100) -> None:
        self._database = database
        self._events = events
        self._batch_size = batch_size
        self._last_prune = float("-inf")

    async def relay_once(self) -> bool:
        """The background step: one batch; True when it was full (more may be waiting).

        Raises :class:`RelayFailed` (the task backs off and retries) if the bus refused one.
        Housekeeping (pruning sent rows) runs when the outbox is drained.
        """
        if await self.relay_pending() >= self._batch_size:
            return True
        await self._prune_sent()
        return False

    # --- one pass ----------------------------------------------------------------------

    async def relay_pending(self) -> int:
        """Publish one batch of pending events and mark them sent; returns how many.

        Raises :class:`RelayFailed` if the bus refused one (the rows before it are marked).
        """
        if self._database.is_sqlite:
            return await self._relay_single_process()
        return await self._relay_claimed()

    async def backlog(self) -> int:
        """How many events wait to be published."""
        async with reading(self._database) as store:
            return await store.outbox.backlog()

    async def _relay_claimed(self) -> int:
        # The claimed rows stay locked until the marks commit, so another replica skips
        # them instead of publishing them too.
        async with unit_of_work(self._database) as store:
            rows = await store.outbox.pending(self._batch_size, claim=True)
            sent, failure = await self._publish(rows)
            await self._mark(store.outbox, sent, failure)
        return self._outcome(sent, failure)

    async def _relay_single_process(self) -> int:
        # SQLite: read, publish, then mark in a short write transaction of its own, so a
        # slow publish never holds the database's single write lock.
        async with reading(self._database) as store:
            rows = await store.outbox.pending(self._batch_size, claim=False)
        sent, failure = await self._publish(rows)
        async with unit_of_work(self._database) as store:
            await self._mark(store.outbox, sent, failure)
        return self._outcome(sent, failure)

    async def _publish(
        self, rows: Sequence[PendingEvent]
    ) -> tuple[list[int], tuple[int, Exception] | None]:
        sent: list[int] = []
        for seq, event_id, subject, payload in rows:
            try:
                await self._events.publish(subject, payload, event_id=event_id)
            except Exception as exc:  # the bus is down or refused: keep the row, retry later
                return sent, (seq, exc)
            sent.append(seq)
        return sent, None

    @staticmethod
    async def _mark(
        outbox: OutboxRepository, sent: list[int], failure: tuple[int, Exception] | None
    ) -> None:
        await outbox.mark_sent(sent, utcnow())
        if failure is not None:
            await outbox.count_failure(failure[0])

    @staticmethod
    def _outcome(sent: list[int], failure: tuple[int, Exception] | None) -> int:
        if failure is not None:
            seq, exc = failure
            raise RelayFailed(
                f"event {seq} not published ({getattr(exc, 'detail', None) or exc!r})"
            ) from exc
        return len(sent)

    async def _prune_sent(self) -> None:
        if time.monotonic() - self._last_prune < _PRUNE_EVERY_SECONDS:
            return
        self._last_prune = time.monotonic()
        try:
            async with unit_of_work(self._database) as store:
                await store.outbox.prune(utcnow() - SENT_RETENTION)
        except Exception as exc:  # housekeeping only; the next hour tries again
            log.warning("catalogue.outbox.prune_failed", error=exc.__class__.__name__)
