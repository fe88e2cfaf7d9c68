"""Personal playlists: named, ordered lists of items a signed-in user saves to play in turn.

A playlist is private to its owner: every change reaches it through the caller's own
user id (from the verified token), and another user's playlist is 404 exactly like a
missing one. Its owner may make it ``unlisted``: then its link (its id, a random UUID)
opens it, to view, play or copy, for anyone signed in; it still changes for its owner alone
and is listed to no one else. A playlist shows only the items its owner may see now
(viewers: published and playable), and anyone else who opens it only the published,
playable ones, whatever their role; an item no longer seen stays in it, and shows again if
it comes back.
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

from streamstack.catalogue.items import (
    check_unchanged,
    clean_title,
    edit_listing,
    edit_tag,
    listed_items,
    thumbnail_url,
)
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


def playlist_tag(row: PlaylistRow) -> str:
    """:attr:`PlaylistSummary.etag`: what a rename changes (title and description), digested
    as an item's :func:`edit_tag` is. Not ``updated_at``: adding an item in another tab
    moves it, and would refuse a rename that undoes nothing."""
    return edit_tag(row.title, row.description, ())


def to_summary(
    row: PlaylistRow, head: PlaylistHead | None, holds_item: bool | None = None, *, mine: bool
) -> PlaylistSummary:
    """The public shape of a playlist without its items; its etag only to its owner
    (``mine``)."""
    count, first, thumbnail, version = head if head is not None else (0, None, None, None)
    return PlaylistSummary(
        id=str(row.id),
        title=row.title,
        description=row.description,
        visibility="unlisted" if row.visibility == "unlisted" else "private",
        mine=mine,
        etag=playlist_tag(row) if mine else msgspec.UNSET,
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
                to_summary(row, heads.get(row.id), row.id in holding if item else None, mine=True)
                for row in rows
            ],
            total=total,
            page=paging.page,
            page_size=paging.page_size,
        )

    async def create(self, principal: Principal, request: NewPlaylist) -> PlaylistSummary:
        """A new, empty playlist of the caller's; 409 ``too_many_playlists`` past
        :data:`MAX_PLAYLISTS`."""
        row = self._new_row(principal, clean_title(request.title), request.description)
        async with unit_of_work(self._database) as store:
            await store.playlists.add(row, auto_refresh=False)
        await self._within_limit(row)
        log.info("catalogue.playlist_created", playlist_id=str(row.id))
        return to_summary(row, None, mine=True)

    async def copy(self, principal: Principal, playlist_id: uuid.UUID) -> PlaylistSummary:
        """A new private playlist of the caller's, a copy of one its link opens for them
        (:meth:`open`): its title, description and the items it shows them, in order.
        404 as :meth:`open`; 409 ``too_many_playlists`` past :data:`MAX_PLAYLISTS`."""
        try:
            async with unit_of_work(self._database) as store:
                source = await store.playlists.opened(playlist_id, account_id(principal))
                items = await store.playlist_entries.shown(
                    source.id, visible_only=not _sees_all(principal, source)
                )
                row = self._new_row(principal, source.title, source.description)
                await store.playlists.add(row, auto_refresh=False)
                await store.playlist_entries.add_many(
                    [
                        PlaylistEntryRow(
                            playlist_id=row.id,
                            media_id=item.id,
                            position=position,
                            added_at=row.created_at,
                        )
                        for position, item in enumerate(items)
                    ],
                    auto_expunge=True,
                )
        except IntegrityError:  # an item was deleted between the read and the write
            raise Conflict(
                "the playlist changed while it was being copied: copy it again",
                code="playlist_changed",
            ) from None
        await self._within_limit(row)
        log.info("catalogue.playlist_copied", playlist_id=str(row.id), source=str(playlist_id))
        return to_summary(row, _head(items), mine=True)

    def _new_row(self, principal: Principal, title: str, description: str) -> PlaylistRow:
        """A new private playlist of the caller's (not stored yet)."""
        now = self._clock()
        return PlaylistRow(
            id=uuid.uuid4(),  # random (v4): its id is the link that opens it once shared
            user_id=account_id(principal),
            title=title,
            description=description,
            visibility="private",
            created_at=now,
            updated_at=now,
        )

    async def _within_limit(self, row: PlaylistRow) -> None:
        """409 ``too_many_playlists``, and the new ``row`` taken back, when it took its owner
        past :data:`MAX_PLAYLISTS`.

        Stored first, then counted: of creations at once each counts the others (or they
        count it), so two can never both take the last place, as they did when each counted
        before storing."""
        async with unit_of_work(self._database) as store:
            count = await store.playlists.count(PlaylistRow.user_id == row.user_id)
            over = count > MAX_PLAYLISTS
            if over:
                await store.playlists.remove(row.id)
        if over:
            raise Conflict(
                f"you have {MAX_PLAYLISTS} playlists, the most one may keep: delete one first",
                code="too_many_playlists",
            )

    async def get(self, principal: Principal, playlist_id: uuid.UUID) -> Playlist:
        """One of the caller's playlists with the items they may see, in order (404 if
        it is not theirs)."""
        async with reading(self._database) as store:
            row = await store.playlists.mine(playlist_id, account_id(principal))
            return await self._shown(store, principal, row)

    async def open(self, principal: Principal, playlist_id: uuid.UUID) -> Playlist:
        """The playlist its link opens: one of the caller's (as :meth:`get`), or another's
        that is ``unlisted``, showing the published, playable items alone (``mine``
        false, no etag). 404 for anything else, a private one included."""
        async with reading(self._database) as store:
            row = await store.playlists.opened(playlist_id, account_id(principal))
            return await self._shown(store, principal, row)

    async def edit(
        self,
        principal: Principal,
        playlist_id: uuid.UUID,
        changes: PlaylistChanges,
        *,
        if_match: tuple[str, ...] | None = None,
    ) -> PlaylistSummary:
        """Rename the playlist, change its description or who may see it. With
        ``if_match`` (:func:`if_match_tags`) only while its :func:`playlist_tag` is among
        them, else 412 ``changed_elsewhere`` and nothing changes."""
        if all(
            value is msgspec.UNSET
            for value in (changes.title, changes.description, changes.visibility)
        ):
            raise BadRequest("nothing to change", code="validation_error")
        title = clean_title(changes.title) if isinstance(changes.title, str) else None
        async with unit_of_work(self._database) as store:
            row = await store.playlists.lock(playlist_id, account_id(principal))
            # Under the row's lock: no other rename can land between this check and the write.
            check_unchanged(
                playlist_tag(row), if_match, what="playlist", edited="title or description"
            )
            edit_listing(row, title, changes)
            row.updated_at = self._clock()
            return await self._summary(store, principal, row)

    async def delete(
        self,
        principal: Principal,
        playlist_id: uuid.UUID,
        *,
        if_match: tuple[str, ...] | None = None,
    ) -> None:
        """Delete one of the caller's playlists (its items stay in the catalogue). With
        ``if_match``, only while its :func:`playlist_tag` is among them (412 otherwise)."""
        async with unit_of_work(self._database) as store:
            row = await store.playlists.lock(playlist_id, account_id(principal))
            check_unchanged(
                playlist_tag(row),
                if_match,
                what="playlist",
                edited="title or description",
                deleting=True,
            )
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
        """The summary of one of the caller's own playlists."""
        heads = await store.playlist_entries.heads([row.id], visible_only=not principal.is_admin)
        return to_summary(row, heads.get(row.id), mine=True)

    @staticmethod
    async def _shown(store: CatalogueStore, principal: Principal, row: PlaylistRow) -> Playlist:
        """The playlist with the items it shows the caller, its owner or not."""
        admin = _sees_all(principal, row)
        items = await store.playlist_entries.shown(row.id, visible_only=not admin)
        entries = await store.playlist_entries.number(row.id)
        shown = await listed_items(store.tags, items, admin=admin)
        summary = to_summary(row, _head(items), mine=row.user_id == account_id(principal))
        return Playlist(
            **msgspec.structs.asdict(summary),
            items=shown,
            unavailable_count=entries - len(items),
        )


def _sees_all(principal: Principal, row: PlaylistRow) -> bool:
    """Whether the caller sees every item of the playlist, drafts too: an admin, in their own.
    Whoever opens another's by its link sees what any viewer may (never a draft), whatever
    their role: a shared link shows everyone the same playlist."""
    return principal.is_admin and row.user_id == account_id(principal)


def _head(items: Sequence[MediaItemRow]) -> PlaylistHead | None:
    """What a summary shows of the items shown: their number, the first and its thumbnail."""
    if not items:
        return None
    return len(items), items[0].id, items[0].thumbnail_s3_key, items[0].stills_version
