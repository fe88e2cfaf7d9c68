"""Watch progress: resume, continue watching and history of signed-in users.

The catalogue keeps where each user is in each item (one row per user and item). Every use
case acts on the caller's own rows only: the user id comes from the verified token, never
from the request. Viewers' lists show only items they may play (published and playable);
an admin's show every item they watched.

An item's rows are deleted with the item (in the delete's transaction, see
:meth:`CatalogueService.delete_item`) and a user's rows when auth announces the account's
deletion (:func:`user_deletion_events`, to which the module also gives the playlists'
forgetter).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeGuard

import structlog
from sqlalchemy.exc import IntegrityError

from streamstack.catalogue.items import listed_pairs
from streamstack.catalogue.models import MediaItemRow, WatchProgressRow
from streamstack.catalogue.repository import (
    CatalogueStore,
    reading,
    unit_of_work,
)
from streamstack.catalogue.schemas import (
    Paging,
    SaveProgress,
    WatchedItem,
    WatchedPage,
    WatchProgress,
)
from streamstack.contracts.auth import USER_DELETED, UserDeleted
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.db import Database
from streamstack.kernel.errors import Forbidden, NotFound
from streamstack.kernel.events import Event, EventBus, decode_payload
from streamstack.kernel.events.following import DurableFollower
from streamstack.kernel.guards import Principal

log = structlog.get_logger(__name__)

#: Past this share of an item it counts as watched to the end (credits need no resume).
COMPLETED_FRACTION = 0.95
#: … and for items of at least :data:`LONG_ITEM_SECONDS`, within this many seconds of the end.
COMPLETED_TAIL_SECONDS = 10.0
LONG_ITEM_SECONDS = 60.0
#: A report under this many seconds into an item is a glance (Up next's autoplay into it,
#: "Start over" and leaving): it keeps a place further on, or an item watched to the end,
#: where it turned "Watched" into "Stopped at 0:00" (outside walk 49, F2).
GLANCE_SECONDS = 5.0
#: A viewer's progress report is a new view of an item after this long without one (or
#: the first ever): watching on after a pause is the same view, coming back is another.
NEW_VIEW_AFTER = datetime.timedelta(hours=1)
#: The longest time between a viewer's two reports of an item that counts as watched: the
#: player reports every 10 s while playing (``SAVE_EVERY_MS`` in the SPA's useProgress.ts),
#: one after another, so a longer gap is a pause, a tab left open or a stall, which must add
#: nothing (a paused tab reports once, on pause, then nothing until it plays on).
WATCH_GAP_MAX = datetime.timedelta(seconds=15)
#: The durable consumer of user deletions; every catalogue process of a deployment shares it.
USER_DELETIONS_DURABLE = "catalogue-user-deleted"
#: The background task that keeps following user deletions (``task:<name>`` in ``/ready``).
USER_DELETIONS_TASK = "catalogue.user-deleted-events"


def is_completed(position: float, duration: float | None) -> bool:
    """Whether ``position`` is at the end of an item of ``duration`` (unknown: never)."""
    if duration is None or duration <= 0:
        return False
    return position >= completion_point(duration)


def completion_point(duration: float) -> float:
    """Where an item of ``duration`` counts as watched to the end: its last 5 %, or for a
    long one its last :data:`COMPLETED_TAIL_SECONDS` if that comes first."""
    point = duration * COMPLETED_FRACTION
    if duration >= LONG_ITEM_SECONDS:
        point = min(point, duration - COMPLETED_TAIL_SECONDS)
    return point


def keeps_place(
    saved: WatchProgressRow | None, report: WatchProgressRow
) -> TypeGuard[WatchProgressRow]:
    """Whether ``saved`` stays as it is rather than ``report``: a glance at the start
    (under :data:`GLANCE_SECONDS`) of an item watched to the end or further on."""
    if saved is None or report.position_seconds >= GLANCE_SECONDS:
        return False
    return saved.completed or saved.position_seconds > report.position_seconds


def account_id(principal: Principal) -> uuid.UUID:
    """The caller's account id as stored, for what the catalogue keeps per account (watch
    progress, playlists, comments, likes): auth issues uuids; anything else keeps nothing."""
    account = known_account(principal)
    if account is None:
        raise Forbidden("this account cannot keep anything in the catalogue")
    return account


def known_account(principal: Principal | None) -> uuid.UUID | None:
    """The caller's account id when it may have watch data (signed in with an auth uuid)."""
    if principal is None:
        return None
    try:
        return uuid.UUID(principal.user_id)
    except ValueError:
        return None


def to_progress(row: WatchProgressRow) -> WatchProgress:
    """The public shape of a stored row."""
    return WatchProgress(
        media_id=str(row.media_id),
        position_seconds=row.position_seconds,
        duration_seconds=row.duration_seconds,
        completed=row.completed,
        updated_at=row.updated_at,
    )


def not_watched(item: MediaItemRow) -> WatchProgress:
    """The progress of an item the caller never played: at the start."""
    return WatchProgress(
        media_id=str(item.id),
        position_seconds=0.0,
        duration_seconds=item.duration_seconds,
        completed=False,
        updated_at=None,
    )


class WatchingService:
    """The watch-progress use cases, each one unit of work on the catalogue's store; times
    are read from ``clock``."""

    def __init__(self, database: Database, clock: Clock = utcnow) -> None:
        self._database = database
        self._clock = clock

    async def save(
        self, principal: Principal, media_id: uuid.UUID, request: SaveProgress
    ) -> WatchProgress:
        """Record where the caller is in an item they may play (404 otherwise).

        The position is clamped to the item's length; the catalogue's length wins over the
        player's. A glance keeps the place saved (see :func:`keeps_place`). Idempotent: the same request leaves the same position. The first report,
        and the first after :data:`NEW_VIEW_AFTER` without one, counts a view of the item.
        """
        user_id = account_id(principal)
        now = self._clock()
        try:
            async with unit_of_work(self._database) as store:
                item = await store.items.visible(media_id, admin=principal.is_admin)
                # Item, then viewings, then progress: every use case's order (another order
                # deadlocked with a deletion on PostgreSQL).
                await self._count(store, user_id, media_id, now)
                row = _progress_row(user_id, item, request, now)
                saved = await store.progress.of(user_id, media_id)
                if keeps_place(saved, row):
                    return to_progress(saved)
                await store.progress.save(row)
        except IntegrityError:  # the item was deleted between the check and the write
            raise NotFound("no such media item") from None
        return to_progress(row)

    async def _count(
        self, store: CatalogueStore, user_id: uuid.UUID, media_id: uuid.UUID, now: datetime.datetime
    ) -> None:
        """Note the report: a view when it starts one, else the time since the user's last
        report, as watched that day, when that was at most :data:`WATCH_GAP_MAX` ago."""
        since = now - NEW_VIEW_AFTER
        previous = await store.viewings.last_report(user_id, media_id)
        if previous is None or previous <= since:
            if await self._starts_view(store, user_id, media_id, now):
                await store.items.count_view(media_id)
                await store.days.tally(media_id, _day(now), views=1)
                # The user's reports of over an hour ago decide nothing any more.
                await store.viewings.forget(user_id, before=since)
            return
        gap = now - previous
        if datetime.timedelta(0) < gap <= WATCH_GAP_MAX:
            await store.items.hold(media_id)
            if await store.viewings.advance(user_id, media_id, previous, now):
                await store.days.tally(media_id, _day(now), watched=gap.total_seconds())
                return
        await store.viewings.record(user_id, media_id, now)

    @staticmethod
    async def _starts_view(
        store: CatalogueStore, user_id: uuid.UUID, media_id: uuid.UUID, now: datetime.datetime
    ) -> bool:
        """Whether this report starts a view, decided by its write: of first reports at
        once (two tabs, a script's burst) one starts it, where each counted one when a read
        decided. The item's row is locked first, as a deletion locks it, so they queue up."""
        await store.items.lock(media_id)
        return await store.viewings.starts_view(user_id, media_id, now, since=now - NEW_VIEW_AFTER)

    async def get(self, principal: Principal, media_id: uuid.UUID) -> WatchProgress:
        """The caller's progress in an item they may play (404 otherwise)."""
        user_id = account_id(principal)
        async with reading(self._database) as store:
            item = await store.items.visible(media_id, admin=principal.is_admin)
            row = await store.progress.of(user_id, media_id)
        return to_progress(row) if row is not None else not_watched(item)

    async def find(self, principal: Principal, media_id: uuid.UUID) -> WatchProgress | None:
        """The caller's stored progress in an item, if any (for the item's own GET, which
        has checked visibility already)."""
        async with reading(self._database) as store:
            row = await store.progress.of(account_id(principal), media_id)
        return to_progress(row) if row is not None else None

    async def continue_watching(self, principal: Principal, paging: Paging) -> WatchedPage:
        """Items the caller started and did not finish, most recently watched first."""
        return await self._page(principal, paging, in_progress=True)

    async def history(self, principal: Principal, paging: Paging) -> WatchedPage:
        """Everything the caller watched (finished or not), most recently watched first."""
        return await self._page(principal, paging, in_progress=False)

    async def _page(
        self, principal: Principal, paging: Paging, *, in_progress: bool
    ) -> WatchedPage:
        user_id = account_id(principal)
        async with reading(self._database) as store:
            rows, total, unavailable = await store.progress.page(
                user_id,
                in_progress=in_progress,
                visible_only=not principal.is_admin,
                limit=paging.page_size,
                offset=paging.offset,
            )
            pairs = await listed_pairs(store.tags, rows, admin=principal.is_admin)
        return WatchedPage(
            items=[
                WatchedItem(item=item, progress=to_progress(progress)) for progress, item in pairs
            ],
            total=total,
            page=paging.page,
            page_size=paging.page_size,
            unavailable_count=unavailable,
        )

    async def remove(self, principal: Principal, media_id: uuid.UUID) -> None:
        """Remove one item from the caller's history (404 if it is not in it)."""
        user_id = account_id(principal)
        async with unit_of_work(self._database) as store:
            if not await store.progress.remove(user_id, media_id):
                raise NotFound("this item is not in your history")

    async def clear(self, principal: Principal) -> None:
        """Remove the caller's whole history. What they reported in the last hour is kept
        (apart, for counting views only) until an hour has passed."""
        user_id = account_id(principal)
        async with unit_of_work(self._database) as store:
            # Viewings, then progress: a report's order (the other deadlocked with it).
            await store.viewings.forget(user_id, before=self._clock() - NEW_VIEW_AFTER)
            await store.progress.remove_user(user_id)

    async def forget_user(self, user_id: uuid.UUID) -> int:
        """Delete every row of a deleted account (idempotent); how many progress rows
        there were."""
        async with unit_of_work(self._database) as store:
            await store.viewings.forget(user_id)
            return await store.progress.remove_user(user_id)


def _day(at: datetime.datetime) -> datetime.date:
    """The day (UTC) a moment counts on."""
    return at.astimezone(datetime.UTC).date()


def _progress_row(
    user_id: uuid.UUID, item: MediaItemRow, request: SaveProgress, now: datetime.datetime
) -> WatchProgressRow:
    """The progress a report saves: its position clamped to the item's length (the
    catalogue's length wins over the player's)."""
    duration = item.duration_seconds or request.duration_seconds
    position = request.position_seconds
    if duration is not None:
        position = min(position, duration)
    return WatchProgressRow(
        user_id=user_id,
        media_id=item.id,
        position_seconds=position,
        duration_seconds=duration,
        completed=is_completed(position, duration),
        updated_at=now,
    )


#: What one account's deletion deletes of one kind (watch rows, playlists): how many.
UserForgetter = Callable[[uuid.UUID], Awaitable[int]]


def user_deletion_events(
    events: EventBus, forgetters: Mapping[str, UserForgetter]
) -> DurableFollower:
    """Runs every forgetter on each account auth deletes (``auth.events.user.deleted``),
    and logs how many of each kind went (by the forgetters' names).

    A durable subscription (NATS: a durable consumer shared by every API process, acked
    after the rows are gone, redelivered if the delete failed), so an event published while
    no catalogue process ran is still handled; a redelivery deletes nothing more.
    """

    async def on_user_deleted(event: Event) -> None:
        # Raising (database down) makes the bus deliver again.
        deleted = decode_payload(event, UserDeleted, "catalogue.unreadable_user_deleted")
        if deleted is None:
            return
        user_id = uuid.UUID(deleted.user_id)
        gone = {kind: await forget(user_id) for kind, forget in forgetters.items()}
        log.info("catalogue.user_watch_data_deleted", user_id=deleted.user_id, **gone)

    return DurableFollower(events, USER_DELETED, on_user_deleted, USER_DELETIONS_DURABLE)
