"""Auth's transactional outbox: its events are rows written with the change they announce.

Deleting an account writes a ``auth.events.user.deleted`` row in the same transaction, so
the event exists if and only if the account is gone; :class:`AuthEventRelay` publishes the
pending rows afterwards (event id as the bus's dedupe id) and marks them sent. A lost event
would leave the user's watch data in the catalogue for ever, hence the outbox rather than a
publish after the commit. While the bus is down rows wait and the relay backs off.
"""

from __future__ import annotations

import datetime
import time

import structlog

from streamstack.auth.models import AuthOutboxRow
from streamstack.auth.repository import AuthOutboxRepository
from streamstack.kernel.clock import utcnow
from streamstack.kernel.db import Database
from streamstack.kernel.events import EventBus

log = structlog.get_logger(__name__)

#: How long sent rows are kept (for inspection) before they are deleted.
SENT_RETENTION = datetime.timedelta(days=1)
_PRUNE_EVERY_SECONDS = 3600.0


class RelayFailed(Exception):
    """The bus refused an event; the rows before it were sent and marked."""


class AuthEventRelay:
    """Publishes pending auth events, one batch per step (a kernel background task)."""

    #: The name of its background task (``task:<name>`` in ``GET /ready``).
    TASK_NAME = "auth.outbox-relay"

    def __init__(self, database: Database, events: EventBus, *, batch_size: int = 100) -> None:
        self._database = database
        self._events = events
        self._batch_size = batch_size
        self._last_prune = float("-inf")

    async def relay_once(self) -> bool:
        """One batch; True when it was full (more may be waiting). Raises
        :class:`RelayFailed` when the bus refused an event (the task backs off)."""
        if self._database.is_sqlite:
            # Read, publish, then mark in a short write of its own: a slow publish never
            # holds SQLite's single write lock.
            async with self._database.unit_of_work() as session:
                rows = await AuthOutboxRepository(session=session).claim_pending(self._batch_size)
            sent, failure = await self._publish(rows)
            async with self._database.unit_of_work() as session:
                await AuthOutboxRepository(session=session).mark_sent(sent, utcnow())
        else:
            # The claimed rows stay locked until the marks commit: other replicas skip them.
            async with self._database.unit_of_work() as session:
                outbox = AuthOutboxRepository(session=session)
                rows = await outbox.claim_pending(self._batch_size)
                sent, failure = await self._publish(rows)
                await outbox.mark_sent(sent, utcnow())
        if failure is not None:
            raise RelayFailed(f"auth event not published ({failure!r})") from failure
        if len(rows) >= self._batch_size:
            return True
        await self._prune_sent()
        return False

    async def _publish(self, rows: list[AuthOutboxRow]) -> tuple[list[int], Exception | None]:
        sent: list[int] = []
        for row in rows:
            try:
                await self._events.publish(row.subject, row.payload, event_id=row.event_id)
            except Exception as exc:  # the bus is down or refused: keep the row, retry later
                return sent, exc
            sent.append(row.seq)
        return sent, None

    async def _prune_sent(self) -> None:
        if time.monotonic() - self._last_prune < _PRUNE_EVERY_SECONDS:
            return
        self._last_prune = time.monotonic()
        try:
            async with self._database.unit_of_work() as session:
                await AuthOutboxRepository(session=session).prune(utcnow() - SENT_RETENTION)
        except Exception as exc:  # housekeeping only; the next hour tries again
            log.warning("auth.outbox.prune_failed", error=exc.__class__.__name__)
