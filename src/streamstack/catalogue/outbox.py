"""Transactional outbox: events are rows written with the change, relayed to the bus later.

A use case calls ``OutboxRepository.enqueue`` inside the transaction of its change, so the event exists
if and only if the change was committed. :class:`OutboxRelay` then publishes pending rows in
order, with the row's event id as the bus's dedupe id (``Nats-Msg-Id``), and marks them
sent. Nothing is lost while the bus is down: rows stay pending and the relay retries with
backoff. A relay that dies after publishing but before marking a row publishes it again on
its next run; the bus drops the repeat, so each event is delivered once.

Several replicas may relay the same Postgres table: each claims its batch with
``SELECT ... FOR UPDATE SKIP LOCKED``. SQLite is the one-process embedded backend, where a
single relay runs.
"""

from __future__ import annotations

import asyncio
import contextlib
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
from streamstack.kernel.db import Database
from streamstack.kernel.events import EventBus

log = structlog.get_logger(__name__)

#: How long sent rows are kept (for inspection) before the relay deletes them.
SENT_RETENTION = datetime.timedelta(days=1)
_PRUNE_EVERY_SECONDS = 3600.0


class RelayFailed(Exception):
    """The bus refused an event; the rows before it were sent and marked."""


class OutboxRelay:
    """Publishes pending outbox rows: woken after each commit, polling as a safety net."""

    def __init__(
        self,
        database: Database,
        events: EventBus,
        *,
        batch_size: int = 100,
        poll_seconds: float = 5.0,
        retry_min_seconds: float = 0.2,
        retry_max_seconds: float = 5.0,
    ) -> None:
        self._database = database
        self._events = events
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._retry_min_seconds = retry_min_seconds
        self._retry_max_seconds = retry_max_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_prune = float("-inf")

    # --- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Start relaying in the background (an app start-up hook)."""
        if self._task is None or self._task.done():
            self._wake.set()  # whatever a previous run left pending goes out at once
            self._task = asyncio.create_task(self._run(), name="catalogue-outbox-relay")

    async def stop(self) -> None:
        """Stop relaying (an app shut-down hook); unsent rows wait for the next start."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    def wake(self) -> None:
        """Relay now rather than at the next poll: called after a commit that enqueued."""
        self._wake.set()

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
        await outbox.mark_sent(sent, _now())
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

    # --- the background loop -----------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while True:
            self._wake.clear()
            try:
                relayed = await self.relay_pending()
            except Exception as exc:  # bus or database down: back off, keep everything
                failures += 1
                delay = min(self._retry_max_seconds, self._retry_min_seconds * 2 ** (failures - 1))
                log.warning(
                    "catalogue.outbox.relay_failed",
                    error=str(exc) or exc.__class__.__name__,
                    failures=failures,
                    retry_in_seconds=delay,
                )
                await asyncio.sleep(delay)
                continue
            if failures:
                log.info("catalogue.outbox.relay_recovered", after_failures=failures)
                failures = 0
            if relayed >= self._batch_size:
                continue  # more are waiting
            await self._prune_sent()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_seconds)

    async def _prune_sent(self) -> None:
        if time.monotonic() - self._last_prune < _PRUNE_EVERY_SECONDS:
            return
        self._last_prune = time.monotonic()
        try:
            async with unit_of_work(self._database) as store:
                await store.outbox.prune(_now() - SENT_RETENTION)
        except Exception as exc:  # housekeeping only; the next hour tries again
            log.warning("catalogue.outbox.prune_failed", error=exc.__class__.__name__)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
