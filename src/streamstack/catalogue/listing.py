"""The catalogue list's read path: pages for viewers from a cache the catalogue's events clear.

What viewers (anonymous or signed-in non-admins) see is the same for all of them, so their
pages are cached per query. Every change that alters what they see writes an event to the
outbox (``media.published``, ``.unpublished``, ``.deleted``, ``.updated``); each replica
follows ``catalogue.events.media.>`` on the events port (NATS in production, so every
process hears every other's changes within the relay's latency) and clears its cache on
each one. The process that made the change clears its own at once after the commit.

Correctness rules:
- the cache serves nothing until the subscription stands (a replica that cannot hear the
  others' changes must not remember pages);
- a page read before a change and stored after it would be stale: each page is stored only
  if no event arrived since its read began (``generation``);
- entries also expire after :data:`CACHE_SECONDS`, a bound should an event be lost (a NATS
  restart that drops the consumer until the follower re-subscribes).
Admins' lists (drafts, processing states) are never cached. Totals are: no ``count(*)``
per request, for anyone. A viewers' total lives as long as their pages; an admin's total
lives :data:`ADMIN_TOTAL_SECONDS` at most (a draft registered in another replica announces
no event), and goes at once with any change in this process or any event; while one
request counts an aged-out total again, the others use the old one (:meth:`total`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import structlog

from streamstack.catalogue.items import SHOWN_COLUMNS, item_from_values
from streamstack.catalogue.repository import sorted_tags
from streamstack.catalogue.schemas import MediaPage
from streamstack.contracts.catalogue import CatalogueItem
from streamstack.kernel.events import Event, EventBus, Subscription
from streamstack.kernel.recently_used import RecentlyUsed

log = structlog.get_logger(__name__)

#: Every event the catalogue publishes about items.
LISTING_EVENTS = "catalogue.events.media.>"
#: How long a page is served at most, should an event be lost.
CACHE_SECONDS = 10.0
#: Distinct queries remembered (least recently used ones go first).
CACHE_ENTRIES = 512
#: How long an admin's list total is reused (drafts registered elsewhere send no event).
ADMIN_TOTAL_SECONDS = 2.0
#: How long an aged-out total is still given to others while one request counts again.
RECOUNT_SECONDS = 1.0


class ListingCache:
    """Viewers' list pages by query, cleared by every catalogue event."""

    TASK_NAME = "catalogue.listing-events"

    def __init__(
        self,
        *,
        seconds: float = CACHE_SECONDS,
        entries: int = CACHE_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seconds = seconds
        self._clock = clock
        # Only a put is a use: a page or total read from here keeps its place.
        self._pages: RecentlyUsed[Hashable, tuple[float, MediaPage]] = RecentlyUsed(entries)
        self._totals: RecentlyUsed[Hashable, tuple[float, int]] = RecentlyUsed(entries)
        self._subscription: Subscription | None = None
        #: Bumped by every change heard of; a read that began before one is not stored.
        self.generation = 0

    @property
    def following(self) -> bool:
        """Whether the catalogue's events are followed (only then is anything cached)."""
        return self._subscription is not None

    def get(self, key: Hashable) -> MediaPage | None:
        """The cached page for ``key``, if fresh."""
        entry = self._pages.get(key)
        if entry is None:
            return None
        if entry[0] < self._clock():
            self._pages.pop(key, None)
            return None
        return entry[1]

    def put(self, key: Hashable, page: MediaPage, generation: int) -> None:
        """Remember ``page``, read when :attr:`generation` was ``generation``."""
        if generation != self.generation or not self.following:
            return
        self._pages.put(key, (self._clock() + self._seconds, page))

    def total(self, key: Hashable) -> int | None:
        """How many items the filter ``key`` matches, if known and fresh.

        When a total has merely aged out (no change was heard of), the first caller gets
        None and counts again; the others go on with the old total for up to
        :data:`RECOUNT_SECONDS` meanwhile. Otherwise every request arriving during the
        count would count too: 16 concurrent searches of 100,000 items counted at once,
        every 2 s.
        """
        entry = self._totals.get(key)
        if entry is None:
            return None
        expires, total = entry
        now = self._clock()
        if expires >= now:
            return total
        self._totals[key] = (now + RECOUNT_SECONDS, total)
        return None

    def put_total(self, key: Hashable, total: int, generation: int, *, admin: bool) -> None:
        """Remember the total of the filter ``key``, counted at ``generation``."""
        if generation != self.generation or not self.following:
            return
        seconds = min(self._seconds, ADMIN_TOTAL_SECONDS) if admin else self._seconds
        self._totals.put(key, (self._clock() + seconds, total))

    def invalidate(self) -> None:
        """Forget every page and total: something has changed."""
        self.generation += 1
        self._pages.clear()
        self._totals.clear()

    async def on_event(self, event: Event) -> None:
        """An item changed (here or in another replica)."""
        self.invalidate()

    async def follow(self, events: EventBus) -> None:
        """Follow the catalogue's events, if not yet (the background task's step: retried
        with backoff while the bus is down; nothing is cached meanwhile)."""
        if self._subscription is not None:
            if await self._subscription.alive():
                return
            await self.unfollow()  # NATS lost it: nothing cached until it stands again
        self._subscription = await events.subscribe(LISTING_EVENTS, self.on_event)
        # Changes made before the subscription stood were not heard: start afresh.
        self.invalidate()
        log.info("catalogue.listing_following", subject=LISTING_EVENTS)

    async def try_follow(self, events: EventBus) -> None:
        """Follow before the first request if the bus answers (start-up hook)."""
        try:
            await self.follow(events)
        except Exception as exc:
            log.warning("catalogue.listing_not_following", error=str(exc) or type(exc).__name__)

    async def unfollow(self) -> None:
        """Stop following (shut-down hook); nothing is cached after this."""
        subscription, self._subscription = self._subscription, None
        self.invalidate()
        if subscription is not None:
            await subscription.unsubscribe()


def listed_item(row: Sequence[Any], *, admin: bool) -> CatalogueItem:
    """One row of :class:`~streamstack.catalogue.repository.ItemPages` as a list answers it
    (the values of ``SHOWN_COLUMNS``, then the tags, then the total)."""
    return item_from_values(row, sorted_tags(row[len(SHOWN_COLUMNS)]), admin=admin)
