"""Personal playlists: named, ordered lists of items a signed-in user saves to play in turn.

A playlist is private to its owner: every use case reaches it through the caller's own
user id (from the verified token), and another user's playlist is 404 exactly like a
missing one. A playlist shows only the items its owner may see now (viewers: published and
playable); an item they can no longer see stays in it, and shows again if it comes back.
An item deleted from the catalogue leaves every playlist (in the delete's transaction, and
the foreign key cascades); an account's playlists go with the account (the
``user.deleted`` follower in :mod:`.watching`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import msgspec
import structlog
from sqlalchemy.exc import IntegrityError

from streamstack.catalogue.items import clean_title, thumbnail_url, to_catalogue_item
from streamstack.catalogue.models import MediaItemRow, PlaylistEntryRow, PlaylistRow
from streamstack.catalogue.repository import CatalogueStore, PlaylistHead, reading, unit_of_work
from streamstack.catalogue.schemas import (
    NewPlaylist,
    Paging,
    Playlist,
    PlaylistChanges,
    PlaylistPage,
    PlaylistSummary,
)
from streamstack.catalogue.watching import account_id
from streamstack.contracts.limits import MAX_PLAYLIST_ITEMS, MAX_PLAYLISTS
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.db import Database
from streamstack.kernel.errors import BadRequest, Conflict, NotFound
from streamstack.kernel.guards import Principal

log = structlog.get_logger(__name__)


def reordered(
    entries: Sequence[uuid.UUID], shown: Sequence[uuid.UUID], moving: uuid.UUID, position: int
) -> list[uuid.UUID]:
    """Every entry of a playlist in its new order once ``moving`` is at ``position`` among
    the ``shown`` ones (what the caller sees); the entries they do not see keep their
    places relative to the others."""
    others = [media_id for media_id in shown if media_id != moving]
    order = [media_id for media_id in entries if media_id != moving]
    if position < len(others):
        at = order.index(others[position])
    else:  # the last place: right after the last item shown
        at = order.index(others[-1]) + 1 if others else len(order)
    order.insert(at, moving)
    return order


def to_summary(
    row: PlaylistRow, head: PlaylistHead | None, holds_item: bool | None = None
) -> PlaylistSummary:
    """The public shape of a playlist without its items."""
    count, first, thumbnail, version = head if head is not None else (0, None, None, None)
    return PlaylistSummary(
        id=str(row.id),
        title=row.title,
        description=row.description,
        item_count=count,
        thumbnail_url=thumbnail_url(first, version) if first is not None and thumbnail else None,
        created_at=row.created_at,
        updated_at=row.updated_at,
        holds_item=msgspec.UNSET if holds_item is None else holds_item,
    )


class PlaylistService:
    """The playlist use cases, each one unit of work on the catalogue's store; times are
    read from ``clock``."""

    def __init__(self, database: Database, clock: Clock = utcnow) -> None:
        self._database = database
        self._clock = clock

    async def page(
        self, principal: Principal, paging: Paging, *, item: uuid.UUID | None = None
    ) -> PlaylistPage:
        """The caller's playlists, the most recently changed first, each with how many
        items it shows and its first one's thumbnail; with ``item``, whether each holds it."""
        user_id = account_id(principal)
        async with reading(self._database) as store:
            rows, total = await store.playlists.page(
                user_id, limit=paging.page_size, offset=paging.offset
            )
            ids = [row.id for row in rows]
            viewer = not principal.is_admin
            heads = await store.playlist_entries.heads(ids, visible_only=viewer)
            entries = store.playlist_entries
            holding = await entries.holding(ids, item, visible_only=viewer) if item else set()
        return PlaylistPage(
            playlists=[
                to_summary(row, heads.get(row.id), row.id in holding if item else None)
                for row in rows
            ],
            total=total,
            page=paging.page,
            page_size=paging.page_size,
        )

    async def create(self, principal: Principal, request: NewPlaylist) -> PlaylistSummary:
        """A new, empty playlist of the caller's; 409 ``too_many_playlists`` past
        :data:`MAX_PLAYLISTS`."""
        user_id = account_id(principal)
        now = self._clock()
        row = PlaylistRow(
            id=uuid.uuid4(),
            user_id=user_id,
            title=clean_title(request.title),
            description=request.description,
            created_at=now,
            updated_at=now,
        )
        async with unit_of_work(self._database) as store:
            await store.playlists.add(row, auto_refresh=False)
        # Stored first, then counted: of creations at once each counts the others (or
        # they count it), so two can never both take the last place, as they did when each
        # counted before storing. A creation past the limit is taken back.
        async with unit_of_work(self._database) as store:
            over = await store.playlists.count(PlaylistRow.user_id == user_id) > MAX_PLAYLISTS
            if over:
                await store.playlists.delete(row.id)
        if over:
            raise Conflict(
                f"you have {MAX_PLAYLISTS} playlists, the most one may keep: delete one first",
                code="too_many_playlists",
            )
        log.info("catalogue.playlist_created", playlist_id=str(row.id))
        return to_summary(row, None)

    async def get(self, principal: Principal, playlist_id: uuid.UUID) -> Playlist:
        """One of the caller's playlists with the items they may see, in order (404 if
        it is not theirs)."""
        async with reading(self._database) as store:
            row = await store.playlists.mine(playlist_id, account_id(principal))
            return await self._shown(store, principal, row)

    async def edit(
        self, principal: Principal, playlist_id: uuid.UUID, changes: PlaylistChanges
    ) -> PlaylistSummary:
        """Rename the playlist or change its description."""
        if changes.title is msgspec.UNSET and changes.description is msgspec.UNSET:
            raise BadRequest("nothing to change", code="validation_error")
        title = clean_title(changes.title) if isinstance(changes.title, str) else None
        async with unit_of_work(self._database) as store:
            row = await store.playlists.lock(playlist_id, account_id(principal))
            if title is not None:
                row.title = title
            if isinstance(changes.description, str):
                row.description = changes.description
            row.updated_at = self._clock()
            return await self._summary(store, principal, row)

    async def delete(self, principal: Principal, playlist_id: uuid.UUID) -> None:
        """Delete one of the caller's playlists (its items stay in the catalogue)."""
        async with unit_of_work(self._database) as store:
            await store.playlists.lock(playlist_id, account_id(principal))
            await store.playlists.remove(playlist_id)
        log.info("catalogue.playlist_deleted", playlist_id=str(playlist_id))

    async def add(
        self, principal: Principal, playlist_id: uuid.UUID, media_id: uuid.UUID
    ) -> PlaylistSummary:
        """Put an item the caller may see at the end of their playlist; idempotent (an item
        in it already stays where it is). 404 for an item they may not see, 409
        ``playlist_full`` past :data:`MAX_PLAYLIST_ITEMS`."""
        now = self._clock()
        try:
            async with unit_of_work(self._database) as store:
                row = await store.playlists.lock(playlist_id, account_id(principal))
                await store.items.visible(media_id, admin=principal.is_admin)
                entries = store.playlist_entries
                if not await entries.holding([playlist_id], media_id, visible_only=False):
                    if await entries.count(PlaylistEntryRow.playlist_id == playlist_id) >= (
                        MAX_PLAYLIST_ITEMS
                    ):
                        raise Conflict(
                            f"a playlist holds at most {MAX_PLAYLIST_ITEMS} items",
                            code="playlist_full",
                        )
                    entry = PlaylistEntryRow(
                        playlist_id=playlist_id,
                        media_id=media_id,
                        position=await entries.last_position(playlist_id) + 1,
                        added_at=now,
                    )
                    await entries.add(entry, auto_refresh=False)
                    row.updated_at = now
                return await self._summary(store, principal, row)
        except IntegrityError:  # the item was deleted between the check and the write
            raise NotFound("no such media item") from None

    async def remove(
        self, principal: Principal, playlist_id: uuid.UUID, media_id: uuid.UUID
    ) -> None:
        """Take an item out of the caller's playlist (404 if it is not in it)."""
        async with unit_of_work(self._database) as store:
            row = await store.playlists.lock(playlist_id, account_id(principal))
            if not await store.playlist_entries.remove_one(playlist_id, media_id):
                raise NotFound("this item is not in the playlist")
            row.updated_at = self._clock()

    async def move(
        self, principal: Principal, playlist_id: uuid.UUID, media_id: uuid.UUID, position: int
    ) -> Playlist:
        """Move an item of the caller's playlist to ``position`` (0 first) among the items
        they see; 404 if it is not in it, 400 ``position_out_of_range`` past the last."""
        async with unit_of_work(self._database) as store:
            row = await store.playlists.lock(playlist_id, account_id(principal))
            entries = await store.playlist_entries.of(playlist_id)
            shown = await store.playlist_entries.shown(
                playlist_id, visible_only=not principal.is_admin
            )
            shown_ids = [item.id for item in shown]
            if media_id not in shown_ids:
                raise NotFound("this item is not in the playlist")
            if position >= len(shown_ids):
                raise BadRequest(
                    f"position {position} is past the playlist's last item ({len(shown_ids) - 1})",
                    code="position_out_of_range",
                )
            order = reordered([entry.media_id for entry in entries], shown_ids, media_id, position)
            places = {item: place for place, item in enumerate(order)}
            for entry in entries:  # the changed ones are written when the unit of work ends
                entry.position = places[entry.media_id]
            row.updated_at = self._clock()
            return await self._shown(store, principal, row)

    async def forget_user(self, user_id: uuid.UUID) -> int:
        """Delete every playlist of a deleted account (idempotent); how many there were."""
        async with unit_of_work(self._database) as store:
            return await store.playlists.remove_user(user_id)

    @staticmethod
    async def _summary(
        store: CatalogueStore, principal: Principal, row: PlaylistRow
    ) -> PlaylistSummary:
        heads = await store.playlist_entries.heads([row.id], visible_only=not principal.is_admin)
        return to_summary(row, heads.get(row.id))

    @staticmethod
    async def _shown(store: CatalogueStore, principal: Principal, row: PlaylistRow) -> Playlist:
        admin = principal.is_admin
        items = await store.playlist_entries.shown(row.id, visible_only=not admin)
        tags = await store.tags.of_items([item.id for item in items])
        summary = to_summary(row, _head(items))
        return Playlist(
            **msgspec.structs.asdict(summary),
            items=[to_catalogue_item(item, tags.get(item.id, []), admin=admin) for item in items],
        )


def _head(items: Sequence[MediaItemRow]) -> PlaylistHead | None:
    """What a summary shows of the items shown: their number, the first and its thumbnail."""
    if not items:
        return None
    return len(items), items[0].id, items[0].thumbnail_s3_key, items[0].stills_version
