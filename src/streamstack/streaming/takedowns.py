"""Take-downs: stream tokens of an unpublished or deleted item stop working at once.

Catalogue publishes ``media.unpublished`` and ``media.deleted`` (a ``MediaWithdrawn``)
through its outbox. Every streaming process subscribes and keeps, in memory, when each item
was withdrawn; a token issued at or before that moment is refused (404, as an expired
token), with no extra KV lookup per request. A token issued later is the catalogue's
decision after the withdrawal (an admin previewing a draft, or a republished item), so it
plays.

An entry is kept for one token lifetime: by then every token it could block has expired.
On NATS the subscription replays that long a window of events at start-up, so a restarted
process forgets nothing that still matters; the set is also kept in KV
(a :class:`~.repository.SavedState`, read at start-up, written per take-down), which is
what a restarted one-process dev server (in-process bus, nothing to replay) relies on.
"""

from __future__ import annotations

import structlog

from streamstack.contracts.catalogue import MEDIA_DELETED, MEDIA_UNPUBLISHED, MediaWithdrawn
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.events import Event, decode_payload
from streamstack.streaming.models import StreamGrant
from streamstack.streaming.repository import SavedState

log = structlog.get_logger(__name__)

#: The events that take an item's tokens down.
WITHDRAWAL_SUBJECTS = (MEDIA_UNPUBLISHED, MEDIA_DELETED)


class Takedowns:
    """When each recently withdrawn item was withdrawn (epoch seconds), in memory."""

    def __init__(
        self, ttl_seconds: float, record: SavedState[dict[str, float]], clock: Clock = utcnow
    ) -> None:
        self._ttl = ttl_seconds
        self._record = record
        self._clock = clock
        self._withdrawn: dict[str, float] = {}

    def withdraw(self, media_id: str, at: float) -> None:
        """Refuse the item's tokens issued at or before ``at`` (the latest withdrawal wins)."""
        self._withdrawn[media_id] = max(at, self._withdrawn.get(media_id, at))
        self._forget_expired(self._clock().timestamp())

    def blocks(self, grant: StreamGrant) -> bool:
        """Whether ``grant`` was issued before its item was taken down.

        ``issued_at`` has whole seconds, so a token issued in the second of the withdrawal
        is refused too: the player asks for a new one, which the catalogue decides on.
        """
        withdrawn = self._withdrawn.get(grant.media_id)
        return withdrawn is not None and grant.issued_at <= withdrawn

    def _forget_expired(self, now: float) -> None:
        expired = [key for key, at in self._withdrawn.items() if at + self._ttl < now]
        for key in expired:
            del self._withdrawn[key]

    async def on_event(self, event: Event) -> None:
        """Record one ``media.unpublished`` / ``media.deleted`` event."""
        withdrawn = decode_payload(event, MediaWithdrawn, "takedown.unreadable_event")
        if withdrawn is None:
            return
        self.withdraw(withdrawn.id, withdrawn.withdrawn_at.timestamp())
        log.info("takedown.recorded", media_id=withdrawn.id, subject=event.subject)
        try:
            await self._record.save(dict(self._withdrawn))
        except Exception as exc:  # memory has it; only a restart would forget it
            log.warning("takedown.not_saved", error=str(exc) or exc.__class__.__name__)

    async def restore(self) -> None:
        """Take up the saved take-downs (before each subscription: a restart, a lost one)."""
        for media_id, at in (await self._record.load() or {}).items():
            self.withdraw(media_id, at)
