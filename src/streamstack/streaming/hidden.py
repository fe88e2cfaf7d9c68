"""Hidden items: the thumbnails and posters of an unpublished or deleted item are refused.

Thumbnails are public (an ``<img>`` sends no bearer), so streaming has to know which items
viewers may not see. Catalogue publishes ``media.published`` (the item, with its
``published_at``), ``media.unpublished`` and ``media.deleted`` (a ``MediaWithdrawn``, with
its ``withdrawn_at``) through its outbox; every streaming process follows them and keeps
the latest of each item, ordered by those times (the catalogue's one clock), not by
arrival: the subjects are separate subscriptions, and a replay brings old events after
newer ones.

An item unpublished stays hidden until it is published again; one deleted stays hidden for
as long as an event can be replayed (its objects are removed by ingest meanwhile). An item
published is forgotten after that time too: shown is what an item nobody hid is. The
hidden ones are kept in KV (:class:`~.repository.HiddenItemsRecord`), which is all a restarted
one-process dev server (in-process bus, nothing to replay) knows; on NATS each process
also replays the events of the time the stream keeps them.

A draft is announced as not published when it is registered (``media.unpublished``), and
catalogue's migration ``catalogue_0016`` announced the drafts there were before that.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
import structlog

from streamstack.contracts.catalogue import (
    MEDIA_DELETED,
    MEDIA_PUBLISHED,
    MEDIA_UNPUBLISHED,
    MediaWithdrawn,
)
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.errors import ServiceUnavailable
from streamstack.kernel.events import EVENT_KEEP_SECONDS, Event
from streamstack.streaming.models import Seen
from streamstack.streaming.repository import HiddenItemsRecord

log = structlog.get_logger(__name__)

#: The events that show or hide an item.
VISIBILITY_SUBJECTS = (MEDIA_PUBLISHED, MEDIA_UNPUBLISHED, MEDIA_DELETED)
PRUNE_EVERY_SECONDS = 60.0


class HiddenItemsUnknown(ServiceUnavailable, code="hidden_items_unknown"):
    """The hidden items could not be read yet (the KV store was down at start-up)."""


class _Published(msgspec.Struct, frozen=True):
    """The fields of a ``media.published`` payload (a ``MediaItem``) read here.

    ``updated_at`` is when it went public this time: ``published_at`` is when it first did,
    kept across an unpublish, so it would be older than the ``media.unpublished`` it follows.
    """

    id: str
    updated_at: datetime | None = None


class HiddenItems:
    """Which items viewers may not see, in memory, answered with no lookup."""

    def __init__(self, record: HiddenItemsRecord, clock: Clock = utcnow) -> None:
        self._record = record
        self._clock = clock
        self._seen: dict[str, Seen] = {}
        self._pruned_at = 0.0
        #: Whether the saved hidden items were read: until then nothing is known hidden, so
        #: thumbnails are refused (503) rather than shown to anyone (fail closed).
        self.known = False

    def hides(self, media_id: str) -> bool:
        """Whether viewers may not see the item ``media_id``."""
        seen = self._seen.get(media_id)
        return seen is not None and seen.hidden

    def see(self, media_id: str, seen: Seen) -> bool:
        """Record ``seen`` unless something later is known; whether the hidden set changed.
        At the same moment, hidden wins."""
        known = self._seen.get(media_id)
        if known is not None and (known.at > seen.at or (known.at == seen.at and known.hidden)):
            return False
        self._seen[media_id] = seen
        self._forget_old(self._clock().timestamp())
        return seen.hidden or (known is not None and known.hidden)

    def _forget_old(self, now: float) -> None:
        """Drop what no event can contradict any more (at most once a minute: a replay
        brings thousands of events)."""
        if now - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = now
        old = [
            key
            for key, seen in self._seen.items()
            if not seen.lasting and seen.at + EVENT_KEEP_SECONDS < now
        ]
        for key in old:
            del self._seen[key]

    async def on_event(self, event: Event) -> None:
        """Record one ``media.published`` / ``media.unpublished`` / ``media.deleted``."""
        try:
            media_id, seen = _read(event)
        except msgspec.DecodeError:
            log.error("hidden_items.unreadable_event", subject=event.subject, event_id=event.id)
            return
        if not self.see(media_id, seen):
            return
        log.info("hidden_items.changed", media_id=media_id, hidden=seen.hidden)
        try:
            await self._record.save(self._hidden(), media_id)
        except Exception as exc:  # memory has it; only a restart would forget it
            log.warning("hidden_items.not_saved", error=str(exc) or exc.__class__.__name__)

    def _hidden(self) -> dict[str, Seen]:
        return {key: seen for key, seen in self._seen.items() if seen.hidden}

    async def restore(self) -> None:
        """Take up the saved hidden items (before each subscription: a restart, a lost
        one), and save them again: a record nobody rewrote would expire with its bucket."""
        saved = await self._record.load()
        for media_id, seen in saved.items():
            self.see(media_id, seen)
        self.known = True
        if saved:
            await self._record.save(self._hidden())


def _read(event: Event) -> tuple[str, Seen]:
    """The item an event is about, and what it says of it (``DecodeError`` if unreadable)."""
    if event.subject == MEDIA_PUBLISHED:
        published = msgspec.json.decode(event.payload, type=_Published)
        at = published.updated_at.timestamp() if published.updated_at else 0.0
        return published.id, Seen(hidden=False, at=at, lasting=False)
    withdrawn = msgspec.json.decode(event.payload, type=MediaWithdrawn)
    lasting = event.subject == MEDIA_UNPUBLISHED
    return withdrawn.id, Seen(hidden=True, at=withdrawn.withdrawn_at.timestamp(), lasting=lasting)
