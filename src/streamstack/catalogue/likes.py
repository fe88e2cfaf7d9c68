"""Likes: a signed-in account likes an item (one click), everyone sees how many like it, and
the account finds the items it liked again in one list ("Liked videos").

An account likes an item it may read by its id (viewers: published and playable, listed
or not; admins: any), at most once (one row per account and item): liking again, or twice
at once, counts once, and unliking what is not liked changes nothing. An item's
``like_count`` is kept in the transaction of each like and unlike, the item's row locked
first (as a deletion and a view's count lock it), so the count is the number of rows. Who
likes what is told to no one but the account itself (its own list, and ``liked`` in the
item's answer). An item's likes go with it (the foreign key cascades), an account's when
auth announces its deletion (:meth:`LikeService.forget_user`, which lowers the counts).
"""

from __future__ import annotations

import uuid

import structlog

from streamstack.catalogue.items import listed_pairs
from streamstack.catalogue.repository import CatalogueStore, reading, unit_of_work
from streamstack.catalogue.schemas import LikedItem, LikedPage, Liking, Paging
from streamstack.catalogue.watching import account_id, known_account
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.db import Database
from streamstack.kernel.guards import Principal

log = structlog.get_logger(__name__)


class LikeService:
    """The likes' use cases, each one unit of work on the catalogue's store; times are
    read from ``clock``."""

    def __init__(self, database: Database, clock: Clock = utcnow) -> None:
        self._database = database
        self._clock = clock

    async def like(self, principal: Principal, item_id: uuid.UUID) -> Liking:
        """The caller likes an item they may read (404 as reading it); idempotent."""
        user_id, now = account_id(principal), self._clock()
        async with unit_of_work(self._database) as store:
            count = await _locked_count(store, principal, item_id)
            if await store.likes.like(user_id, item_id, now):
                await store.items.count_likes({item_id: 1})
                count += 1
        return Liking(liked=True, like_count=count)

    async def unlike(self, principal: Principal, item_id: uuid.UUID) -> Liking:
        """The caller no longer likes an item they may read (404 as reading it);
        idempotent: unliking what they did not like changes nothing."""
        user_id = account_id(principal)
        async with unit_of_work(self._database) as store:
            count = await _locked_count(store, principal, item_id)
            if await store.likes.unlike(user_id, item_id):
                await store.items.count_likes({item_id: -1})
                count -= 1
        return Liking(liked=False, like_count=count)

    async def likes(self, principal: Principal, item_id: uuid.UUID) -> bool:
        """Whether the caller likes the item (for the item's own GET, which has checked
        that they may read it)."""
        user_id = known_account(principal)
        if user_id is None:
            return False
        async with reading(self._database) as store:
            return await store.likes.likes(user_id, item_id)

    async def liked(self, principal: Principal, paging: Paging) -> LikedPage:
        """The items the caller likes and may still watch, the most recently liked first
        (an admin's: every item they like)."""
        user_id = account_id(principal)
        async with reading(self._database) as store:
            rows, total, unavailable = await store.likes.page(
                user_id,
                visible_only=not principal.is_admin,
                limit=paging.page_size,
                offset=paging.offset,
            )
            pairs = await listed_pairs(store.tags, rows, admin=principal.is_admin)
        return LikedPage(
            items=[LikedItem(item=item, liked_at=like.liked_at) for like, item in pairs],
            total=total,
            page=paging.page,
            page_size=paging.page_size,
            unavailable_count=unavailable,
        )

    async def forget_user(self, user_id: uuid.UUID) -> int:
        """Delete a deleted account's likes, each item's count lowered with them
        (idempotent); how many there were."""
        async with unit_of_work(self._database) as store:
            gone = await store.likes.remove_user(user_id)
            await store.items.count_likes(dict.fromkeys(gone, -1))
        return len(gone)


async def _locked_count(store: CatalogueStore, principal: Principal, item_id: uuid.UUID) -> int:
    """The item's like count, its row write-locked for this transaction so that likes of
    it queue up (and a deletion with them); 404 for an item the caller may not read."""
    await store.items.visible(item_id, admin=principal.is_admin)
    return (await store.items.lock(item_id)).like_count
