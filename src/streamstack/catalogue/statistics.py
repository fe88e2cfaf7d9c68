"""An item's statistics, for admins: how it does over time and how much of it people watch.

Counted as people watch (:mod:`.watching`, in each progress report's transaction): the
views that start each day (UTC), and the time watched each day, which is the time between
a signed-in viewer's two reports of the item when they came at most
:data:`~streamstack.catalogue.watching.WATCH_GAP_MAX` apart (the player's interval, so a
paused or forgotten tab adds nothing). Read here with the item's counters (views, likes,
comments), its share links' opens and plays (:mod:`.shares`: anonymous, never views) and
how far viewers got by their saved places. Totals
only: no answer says who watched what.
"""

from __future__ import annotations

import datetime
import uuid

from streamstack.catalogue.repository import reading
from streamstack.catalogue.schemas import ItemStatistics, StatisticsDay
from streamstack.catalogue.shares import ItemNotFound
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.db import Database


class StatisticsService:
    """The admins' reading of an item's statistics; today is read from ``clock`` (UTC)."""

    def __init__(self, database: Database, clock: Clock = utcnow) -> None:
        self._database = database
        self._clock = clock

    async def of_item(self, item_id: uuid.UUID, days: int) -> ItemStatistics:
        """The item's statistics over its last ``days`` days, today the last (404
        ``item_not_found`` for no such item, of any status)."""
        today = self._clock().astimezone(datetime.UTC).date()
        first = today - datetime.timedelta(days=days - 1)
        async with reading(self._database) as store:
            item = await store.items.get_one_or_none(id=item_id)
            if item is None:
                raise ItemNotFound("no such media item")
            counted = {row.day: row for row in await store.days.of_item(item_id, first)}
            opens, plays = await store.shares.totals(item_id)
            reach = await store.progress.reach(item_id, item.duration_seconds)
        listed = []
        for offset in range(days):
            day = first + datetime.timedelta(days=offset)
            row = counted.get(day)
            listed.append(
                StatisticsDay(
                    date=day.isoformat(),
                    views=row.views if row else 0,
                    watch_seconds=round(row.watch_seconds, 1) if row else 0.0,
                )
            )
        views = sum(day.views for day in listed)
        watched = round(sum(day.watch_seconds for day in listed), 1)
        return ItemStatistics(
            item_id=item_id,
            period_days=days,
            view_count=item.view_count,
            views_in_period=views,
            watch_seconds_in_period=watched,
            days=listed,
            like_count=item.like_count,
            comment_count=item.comment_count,
            share_opens=opens,
            share_plays=plays,
            viewers=reach.viewers,
            finished=reach.finished,
            # Shares unrounded: each reader rounds once, to a whole percent (rounding here
            # too made 0.5349 read 54 % beside History's 53 %, walk 53).
            average_reached=reach.average,
            average_watched=_share_watched(watched, views, item.duration_seconds),
        )


def _share_watched(watched: float, views: int, duration: float | None) -> float | None:
    """How much of an item of ``duration`` a view watched on average, 0 to 1 (a view that
    watched parts again may count past the length: 1 at most); None without views or a
    known length."""
    if not views or not duration:
        return None
    return min(1.0, watched / (views * duration))
