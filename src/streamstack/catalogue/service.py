"""The catalogue's use cases: browse, read, register, edit, delete, and stream-token requests.

No HTTP here: routes and the ``CREATE_MEDIA_ITEM`` operation both call these methods after
deciding who the caller is. Every change that other modules must hear about writes its
event to the outbox in the same transaction, then wakes the relay.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import uuid
from collections.abc import AsyncIterator, Callable, Sequence

import msgspec
import structlog
from sqlalchemy.exc import IntegrityError

from streamstack.catalogue.items import (
    apply_facts,
    apply_processing,
    apply_replacement,
    check_unchanged,
    checked_renditions,
    clean_title,
    derived_columns,
    edit_listing,
    item_etag,
    item_from_values,
    new_row,
    normalize_tags,
    to_caption_track,
    to_catalogue_item,
    to_media_item,
    transcode_failed,
    withdrawal,
)
from streamstack.catalogue.listing import ListingCache, listed_item
from streamstack.catalogue.models import CaptionTrackRow, MediaItemRow
from streamstack.catalogue.repository import (
    CaptionTrackRepository,
    CatalogueStore,
    ItemQuery,
    listing,
    reading,
    related_reading,
    unit_of_work,
)
from streamstack.catalogue.schemas import (
    EditedMediaItem,
    LibraryCounts,
    MediaPage,
    ProcessingCounts,
    RelatedItems,
    SortOrder,
    StatusCounts,
    StatusFilter,
    TagCount,
    TagList,
    UpdateMediaItem,
)
from streamstack.catalogue.search import SearchQuery
from streamstack.catalogue.watching import completion_point
from streamstack.contracts.catalogue import (
    MEDIA_DELETED,
    MEDIA_PUBLISHED,
    MEDIA_UNPUBLISHED,
    MEDIA_UPDATED,
    TRANSCODE_FAILED,
    UPLOADS_PATH,
    CaptionChange,
    CatalogueItem,
    FactsUpdate,
    ItemLookup,
    ItemMedia,
    ItemsMedia,
    ItemsMediaPage,
    MediaItem,
    MediaStatus,
    MediaVisibility,
    NewMediaItem,
    OriginalReplacement,
    ProcessingFilter,
    ProcessingUpdate,
    RecordedCaptions,
    StillsChange,
    check_publish_time,
    normalize_tag,
    object_prefix,
    owns_object,
)
from streamstack.contracts.languages import language_name, shown_label
from streamstack.contracts.limits import MAX_CAPTION_TRACKS
from streamstack.contracts.streaming import (
    IssueSharedStreamToken,
    IssueStreamToken,
    StreamCaption,
    StreamingClient,
    StreamTokenGrant,
    download_name,
)
from streamstack.kernel.budgets import Budgets
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.db import Database
from streamstack.kernel.errors import BadRequest, Conflict, NotFound, ServiceUnavailable
from streamstack.kernel.operation import CallContext
from streamstack.settings import SettingsError

log = structlog.get_logger(__name__)

#: How many due items one step of the scheduled publishing reads (more go in the next).
PUBLISH_BATCH = 50


class CatalogueService:
    """Media items in the relational store, and the events their changes cause; times
    are read from ``clock``."""

    def __init__(
        self,
        database: Database,
        *,
        wake_relay: Callable[[], None],
        streaming: Callable[[], StreamingClient],
        listing: ListingCache | None = None,
        searches: Budgets | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self._database = database
        self._clock = clock
        #: Viewers' pages; a cache that follows no events (the default) never serves.
        self._listing = listing or ListingCache()
        #: Searches each client address may still have run (None: unbounded).
        self._searches = searches
        #: Called after a commit that enqueued an event: the relay publishes it at once.
        self._wake_relay = wake_relay
        self._streaming_factory = streaming
        self._streaming: StreamingClient | None = None

    # --- reads -------------------------------------------------------------------------

    async def newest_listed(self, *, tag: str | None, limit: int) -> list[CatalogueItem]:
        """What a signed-out visitor's Browse shows first (of one ``tag``, if given): up to
        ``limit`` playable published listed items, newest published first (the feed's
        entries, from the viewers' cached pages). A tag that is only spaces is 400."""
        if tag is not None and not normalize_tag(tag):
            raise BadRequest("the tag is empty: give a tag, or none", code="invalid_tag")
        page = await self.list_items(
            admin=False, tag=tag, sort="newest", page=1, page_size=limit, client=""
        )
        return page.items

    async def list_items(
        self,
        *,
        admin: bool,
        status: StatusFilter = "published",
        processing: ProcessingFilter | None = None,
        visibility: MediaVisibility | None = None,
        q: str | None = None,
        tag: str | None = None,
        sort: SortOrder = "newest",
        page: int = 1,
        page_size: int = 20,
        client: str,
    ) -> MediaPage:
        """One page of matching items and the total: one statement, cached for viewers.

        Admins list any status, optionally only the items in one ``processing`` state or
        of one ``visibility``; everyone else sees only playable published listed items. A
        viewer's search the cache does not answer is taken from the budget of the
        ``client`` address (429 past it).
        """
        if not admin:
            status, processing, visibility = "published", None, "listed"
        search = SearchQuery.parse(q or "")
        query = ItemQuery(
            status={"all": None, "scheduled": "draft"}.get(status, status),
            tag=normalize_tag(tag) if tag is not None else "",
            sort=sort,
            playable_only=not admin,
            processing_state=processing,
            scheduled_only=status == "scheduled",
            visibility=visibility,
        )
        found = await self._found_by_id(search, query, admin=admin, page=page, size=page_size)
        if found is not None:
            return found
        # What viewers see is the same for all of them: one cached page per query.
        key = (search.words, query.tag, sort, page, page_size)
        generation = self._listing.generation
        if not admin and (cached := self._listing.get(key)) is not None:
            return cached
        if search and not admin and self._searches is not None:
            self._searches.spend(client)  # 429 before the database reads anything
        matching = (admin, status, processing, visibility, search.words, query.tag)
        known = self._listing.total(matching)
        async with listing(self._database) as pages:
            rows, total = await pages.page(
                query, search, limit=page_size, offset=(page - 1) * page_size, total=known
            )
        if known is None:
            self._listing.put_total(matching, total, generation, admin=admin)
        result = MediaPage(
            items=[listed_item(row, admin=admin) for row in rows],
            total=total,
            page=page,
            page_size=page_size,
        )
        if not admin:
            self._listing.put(key, result, generation)
        return result

    async def _found_by_id(
        self, search: SearchQuery, query: ItemQuery, *, admin: bool, page: int, size: int
    ) -> MediaPage | None:
        """The page of the item a search that is one item's id names, if it passes the
        list's filters; None when the search is no id of an item the list shows (the text
        search goes on: an id may be written in a description). One primary-key read."""
        item_id = _as_item_id(search)
        if item_id is None:
            return None
        by_id = dataclasses.replace(query, item_id=item_id)
        async with listing(self._database) as pages:
            rows, total = await pages.page(
                by_id, SearchQuery(()), limit=size, offset=(page - 1) * size
            )
        if not total:
            return None
        items = [listed_item(row, admin=admin) for row in rows]
        return MediaPage(items=items, total=total, page=page, page_size=size)

    async def get_item(self, item_id: uuid.UUID, *, admin: bool) -> CatalogueItem:
        """One item as routes open to viewers answer it; 404 for a viewer unless it is
        published and playable."""
        row, tags, captions = await self._one(item_id, admin=admin)
        return to_catalogue_item(row, tags, captions, admin=admin)

    async def whole_item(self, item_id: uuid.UUID) -> MediaItem:
        """Any item whole, its object keys included (what the contract answers ingest)."""
        return to_media_item(*await self._one(item_id, admin=True))

    async def _one(
        self, item_id: uuid.UUID, *, admin: bool
    ) -> tuple[MediaItemRow, list[str], list[CaptionTrackRow]]:
        """The item's row (404 as :meth:`get_item`), tags and caption tracks."""
        async with reading(self._database) as store:
            row = await store.items.visible(item_id, admin=admin)
            return row, await store.tags.of_item(row.id), await store.captions.of_item(row.id)

    async def existing_items(self, item_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        """Which of ``item_ids`` are items, drafts included, each with its original's key
        (what ingest's storage audit asks)."""
        async with reading(self._database) as store:
            return await store.items.existing(item_ids)

    async def items_media(self, page: ItemsMediaPage) -> ItemsMedia:
        """The next page of items in id order, with what each one's media should be (what
        ingest's storage audit compares with its buckets)."""
        after = uuid.UUID(page.after) if page.after is not None else None
        async with reading(self._database) as store:
            rows = await store.items.media_page(after, page.limit)
            languages = await store.captions.languages_of([row[0] for row in rows])
        return ItemsMedia(
            [
                ItemMedia(
                    id=str(item_id),
                    title=title,
                    original=original,
                    thumbnail=thumbnail,
                    has_hls=has_hls,
                    captions=languages.get(item_id, []),
                )
                for item_id, title, original, thumbnail, has_hls in rows
            ]
        )

    async def related_items(
        self, item_id: uuid.UUID, *, admin: bool, limit: int, viewer: uuid.UUID | None = None
    ) -> RelatedItems:
        """What to watch after an item anyone may see (404 as :meth:`get_item`): items a
        viewer can play, those sharing its tags first, then the most viewed. What the signed-
        in ``viewer`` watched to the end comes after the rest (Up next offers something new),
        chosen from twice as many candidates. The next title of the item's numbered series
        (for the ``viewer``, the first following one they have not finished) comes first."""
        async with related_reading(self._database) as reader:
            shown = await reader.related(item_id, admin=admin, limit=limit, viewer=viewer)
        return RelatedItems(
            items=[item_from_values(values, tags, admin=False) for values, tags in shown]
        )

    async def list_tags(self, *, admin: bool, prefix: str | None, limit: int) -> TagList:
        """Tags with how many items carry each, most used first; viewers count only playable
        published items, admins every item. ``prefix`` suggests tags as a filter is typed."""
        async with reading(self._database) as store:
            counts = await store.tags.counts(
                visible_only=not admin,
                prefix=normalize_tag(prefix) if prefix else "",
                limit=limit,
            )
        return TagList(tags=[TagCount(tag=tag, count=count) for tag, count in counts])

    async def library_counts(self) -> LibraryCounts:
        """How many items each choice of the Library's Status and Processing filters
        shows, and how many comments have reports: one statement (admins)."""
        async with reading(self._database) as store:
            counts = await store.items.library_counts()
        return LibraryCounts(
            status=msgspec.convert(counts, StatusCounts),
            processing=msgspec.convert(counts, ProcessingCounts),
            reported_comments=counts["reported_comments"],
        )

    # --- changes -----------------------------------------------------------------------

    async def create_item(
        self, request: NewMediaItem, *, created_by: str, past_schedule_due: bool = False
    ) -> MediaItem:
        """Register an item; 409 if its id exists, 400 ``foreign_object_key`` if its keys are
        not its own (:func:`owns_object`), 400 for a schedule of a published item or one
        past or too far ahead (:func:`check_publish_time`). ``past_schedule_due``: a module's
        call (an upload's registration), whose time was checked when the upload started, so
        one passed while the file arrived is due rather than refused. Emits ``media.published`` if published, else
        ``media.unpublished`` (a draft's stills are then refused by id too).

        ``request`` has met the contract's limits already (HTTP and the operation
        transports decode against them); here it is only normalised.
        """
        for field, key in (
            ("s3_key", request.s3_key),
            ("thumbnail_s3_key", request.thumbnail_s3_key),
        ):
            if key is not None and not owns_object(request.id, key):
                raise BadRequest(
                    f"{field} must name the item's own object ({request.id}.<extension>), "
                    f"one already stored: to add a video, upload it (POST {UPLOADS_PATH})",
                    code="foreign_object_key",
                )
        now = self._clock()
        if request.publish_at is not None:
            if request.publish:
                raise BadRequest(
                    "give publish (now) or publish_at (later), not both",
                    code="validation_error",
                )
            check_publish_time(request.publish_at, now, past_ok=past_schedule_due)
        tags = normalize_tags(request.tags)
        row = new_row(request, tags, created_by=created_by, now=now)
        item = to_media_item(row, tags, ())
        try:
            async with self._changing() as store:
                if await store.items.exists(MediaItemRow.id == row.id):
                    raise Conflict("a media item with this id exists", code="media_item_exists")
                # The item is flushed before its tags: they reference it.
                await store.items.add(row, auto_refresh=False)
                await store.tags.add_tags(row.id, tags)
                if request.publish:
                    await store.outbox.enqueue(MEDIA_PUBLISHED, msgspec.json.encode(item), now)
                else:  # announced as not published: streaming refuses its stills by id
                    await store.outbox.enqueue(MEDIA_UNPUBLISHED, withdrawal(row, now), now)
        except IntegrityError:  # created concurrently between the check and the insert
            raise Conflict("a media item with this id exists", code="media_item_exists") from None
        log.info("catalogue.item_created", media_id=item.id, status=item.status, by=created_by)
        return item

    async def update_item(
        self,
        item_id: uuid.UUID,
        changes: UpdateMediaItem,
        *,
        by: str,
        if_match: tuple[str, ...] | None = None,
    ) -> EditedMediaItem:
        """Edit title, description, tags, visibility, whether comments are on, status or
        the publish time (:func:`_schedule`); an unpublishing counts the share links it
        pauses (live ones), for the admin to be told.

        ``if_match`` (:func:`if_match_tags`): the edit is made only while the item's
        :attr:`MediaItem.etag` is among them, else 412 ``changed_elsewhere`` and nothing
        changes; None edits whatever the item holds (the CLI, bulk publishing).
        Draft -> published emits ``media.published`` (the item); published -> draft emits
        ``media.unpublished`` (a :class:`MediaWithdrawn`), so its stream tokens stop. Any
        other edit of a published item, its visibility and comments too, emits
        ``media.updated``: every replica's cached lists go.
        """
        changed = _given(changes)
        if not changed:
            raise BadRequest("nothing to change", code="validation_error")
        title = clean_title(changes.title) if isinstance(changes.title, str) else None
        new_tags = (
            None if isinstance(changes.tags, msgspec.UnsetType) else normalize_tags(changes.tags)
        )
        now = self._clock()
        paused = 0
        async with self._changing() as store:
            row = await store.items.lock(item_id)
            tags = await store.tags.of_item(item_id)
            # Under the row's lock: no other edit can land between this check and the write.
            check_unchanged(item_etag(row, tags), if_match)
            _schedule(row, changes, now)
            edit_listing(row, title, changes)
            if isinstance(changes.comments_enabled, bool):
                row.comments_enabled = changes.comments_enabled
            if new_tags is not None:
                tags = new_tags
                await store.tags.replace(item_id, new_tags)
            for column, value in derived_columns(row.title, row.description, tags).items():
                setattr(row, column, value)
            event = _change_status(row, changes.status, now)
            row.updated_at = now
            item = to_media_item(row, tags, await store.captions.of_item(item_id))
            if event is not None:
                await _announce(store, event, row, item, now)
            elif row.status == "published" and _edits_content(changes):
                # Viewers see the change: every replica's cached pages must go.
                await store.outbox.enqueue(MEDIA_UPDATED, msgspec.json.encode(item), now)
            if event == MEDIA_UNPUBLISHED:
                paused = await store.shares.live_count(item_id, now)
        _log_update(item, changed, by)
        return EditedMediaItem(**msgspec.structs.asdict(item), paused_share_links=paused)

    async def publish_due(self) -> bool:
        """Publish the drafts whose scheduled time has come and that a viewer can play,
        each as publishing by hand does (``published_at`` now unless it was public before,
        ``media.published``), in a transaction of its own; whether more may be due (a whole
        batch was read).

        Safe with other replicas doing the same: each item is taken by a conditional write
        (:meth:`MediaItemRepository.lock_due`), so it is published and announced once.
        """
        now = self._clock()
        async with reading(self._database) as store:
            due = await store.items.due(now, limit=PUBLISH_BATCH)
        for item_id in due:
            async with self._changing() as store:
                row = await store.items.lock_due(item_id, now)
                if row is None:  # another replica's, or changed since it was read
                    continue
                scheduled_for = row.publish_at
                _change_status(row, "published", now)  # a draft: it is published now
                row.updated_at = now
                tags = await store.tags.of_item(item_id)
                item = to_media_item(row, tags, await store.captions.of_item(item_id))
                await _announce(store, MEDIA_PUBLISHED, row, item, now)
            log.info(
                "catalogue.item_published_on_schedule",
                media_id=item.id,
                scheduled_for=scheduled_for.isoformat() if scheduled_for else None,
            )
        return len(due) == PUBLISH_BATCH

    async def delete_item(
        self, item_id: uuid.UUID, *, by: str, if_match: tuple[str, ...] | None = None
    ) -> None:
        """Delete an item, its tags and caption tracks; emits ``media.deleted`` (a
        :class:`MediaWithdrawn` naming its objects, caption files included), so its tokens
        stop and its objects are removed. ``if_match`` as :meth:`update_item`'s: 412
        ``changed_elsewhere`` and nothing deleted once the item is not as it was read."""
        now = self._clock()
        async with self._changing() as store:
            row = await store.items.lock(item_id)
            if if_match is not None:  # under the lock, as an edit's
                tags = await store.tags.of_item(item_id)
                check_unchanged(item_etag(row, tags), if_match, deleting=True)
            await store.tags.remove_all(item_id)
            await store.captions.remove_all(item_id)
            # Everyone's watch progress, playlist entries, comments and likes, and the item's
            # days, go in the same transaction (the foreign keys would cascade too, but only
            # where the backend enforces it).
            # Viewings, then progress: a report's order (the other deadlocked with it).
            await store.viewings.remove_item(item_id)
            await store.progress.remove_item(item_id)
            await store.days.remove_item(item_id)
            await store.playlist_entries.remove_item(item_id)
            await store.comments.remove_item(item_id)
            await store.shares.remove_item(item_id)
            await store.likes.remove_item(item_id)
            await store.items.remove(item_id)
            await store.outbox.enqueue(MEDIA_DELETED, withdrawal(row, now), now)
        log.info("catalogue.item_deleted", media_id=str(item_id), by=by)

    async def update_processing(self, update: ProcessingUpdate) -> MediaItem:
        """Record where transcoding of an item stands; 404 once the item is deleted.

        The item becomes playable for viewers with its first HLS rendition (or already was,
        when its original is browser-safe). As it becomes ``failed``, ``media.transcode_failed``
        is announced through the outbox, in the same transaction, for auth to mail admins.
        """
        renditions = checked_renditions(update)
        item_id = uuid.UUID(update.media_id)
        async with self._changing() as store:
            row = await store.items.lock(item_id)
            if update.only_from not in (None, row.processing_state):
                raise Conflict(
                    f"the item's processing is {row.processing_state}, not {update.only_from}",
                    code="processing_state_changed",
                )
            if update.keep_package and not row.has_hls:
                raise Conflict("the item has no HLS package to keep", code="no_package")
            failing = update.state == "failed" and row.processing_state != "failed"
            apply_processing(row, update, renditions)
            # Viewers see processing (and an item becoming playable): clear every cache.
            item = await self._announced(store, row)
            if failing:  # announced as it becomes failed: a report repeated is not news
                await store.outbox.enqueue(
                    TRANSCODE_FAILED, msgspec.json.encode(transcode_failed(row)), row.updated_at
                )
        log.info(
            "catalogue.processing_updated",
            media_id=item.id,
            state=item.processing_state,
            percent=item.processing_percent,
        )
        return item

    async def update_facts(self, facts: FactsUpdate, *, by: str) -> MediaItem:
        """Record what the probe read in an item's original again (its chapters, codecs …)
        for the admin ``by``; 404 when there is no such item. Only a change of them is one:
        it moves ``updated_at`` and, for a published item, emits ``media.updated`` (lists
        show the duration and codecs, so every replica's cached pages go)."""
        item_id = uuid.UUID(facts.media_id)
        async with self._changing() as store:
            row = await store.items.lock(item_id)
            changed = apply_facts(row, facts)
            if changed:
                row.updated_at = self._clock()
            tags = await store.tags.of_item(item_id)
            item = to_media_item(row, tags, await store.captions.of_item(item_id))
            if changed and row.status == "published":
                await store.outbox.enqueue(MEDIA_UPDATED, msgspec.json.encode(item), row.updated_at)
        log.info("catalogue.facts_updated", media_id=item.id, changed=changed, by=by)
        return item

    async def replace_original(self, replacement: OriginalReplacement, *, by: str) -> MediaItem:
        """Record an item's new original (a replaced video file) and its facts, uploaded by
        the admin ``by``; 404 when there is no such item, 409 ``processing_state_changed``
        when its processing is no longer what ingest read, 400 ``foreign_object_key`` for a
        key not its own. Its text, status, tags, captions, playlists and views stay; viewers'
        places in it are measured against its new length. Emits ``media.updated`` for a published item (lists show its
        duration and stills)."""
        item_id = uuid.UUID(replacement.media_id)
        for key in (replacement.s3_key, replacement.thumbnail_s3_key):
            if key is not None and not owns_object(replacement.media_id, key):
                raise BadRequest(
                    "a replaced original names the item's own objects alone",
                    code="foreign_object_key",
                )
        async with self._changing() as store:
            row = await store.items.lock(item_id)
            if row.processing_state != replacement.only_from:
                raise Conflict(
                    f"the item's processing is {row.processing_state}, not {replacement.only_from}",
                    code="processing_state_changed",
                )
            apply_replacement(row, replacement)
            if (length := replacement.duration_seconds) is not None:
                await store.progress.fit_to_length(item_id, length, completion_point(length))
            item = await self._announced(store, row)
        log.info("catalogue.original_replaced", media_id=item.id, key=replacement.s3_key, by=by)
        return item

    async def change_stills(self, change: StillsChange, *, by: str) -> MediaItem:
        """Record the version of an item's stills made again for the admin ``by`` (their
        URLs carry it), and where they are when that changes; 404 when there is no such item,
        400 ``foreign_object_key`` for a key not its own. It moves ``updated_at`` and, for a published item, emits
        ``media.updated``: every replica's cached pages go, with the old URLs in them."""
        item_id = uuid.UUID(change.media_id)
        key = change.thumbnail_s3_key
        if isinstance(key, str) and not owns_object(change.media_id, key):
            raise BadRequest("stills name the item's own objects alone", code="foreign_object_key")
        async with self._changing() as store:
            row = await store.items.lock(item_id)
            row.stills_version = change.version
            row.stills_chosen = change.chosen
            if key is not msgspec.UNSET:
                row.thumbnail_s3_key = key
            item = await self._announced(store, row)
        log.info("catalogue.stills_changed", media_id=item.id, version=change.version, by=by)
        return item

    async def change_caption(self, change: CaptionChange) -> MediaItem:
        """Record or forget one caption track of an item (its files are ingest's); the item
        with its tracks after the change. 404 when the item (or a removed track) does not
        exist, 409 past ``MAX_CAPTION_TRACKS``; an embedded track never replaces an upload.
        """
        item_id = uuid.UUID(change.media_id)
        now = self._clock()
        async with self._changing() as store:
            row = await store.items.lock(item_id)
            tracks = await store.captions.of_item(item_id)
            if change.remove:
                if not await store.captions.remove_one(item_id, change.language):
                    raise NotFound(
                        "the item has no caption track in this language", code="caption_not_found"
                    )
                tracks = [track for track in tracks if track.language != change.language]
            else:
                tracks = await _record_track(store.captions, tracks, change, now)
            row.updated_at = now
            item = to_media_item(row, await store.tags.of_item(item_id), tracks)
        # ``by`` only where an admin asked: the transcoding worker acts for no one (as
        # ``catalogue.processing_updated`` names no one).
        actor = {} if change.by is None else {"by": change.by}
        log.info(
            "catalogue.caption_changed",
            media_id=item.id,
            language=change.language,
            removed=change.remove,
            source=change.source,
            **actor,
        )
        return item

    async def _announced(self, store: CatalogueStore, row: MediaItemRow) -> MediaItem:
        """The item whole after a change of ``row``: its ``updated_at`` moved and, published,
        ``media.updated`` emitted (every replica's cached pages, which show it, go)."""
        row.updated_at = self._clock()
        tags = await store.tags.of_item(row.id)
        item = to_media_item(row, tags, await store.captions.of_item(row.id))
        if row.status == "published":
            await store.outbox.enqueue(MEDIA_UPDATED, msgspec.json.encode(item), row.updated_at)
        return item

    @contextlib.asynccontextmanager
    async def _changing(self) -> AsyncIterator[CatalogueStore]:
        """One unit of work that changes items. After its commit this process's list cache
        goes at once (even a draft changes admins' totals; other replicas clear theirs on
        the event), and the relay is woken if an event was enqueued."""
        async with unit_of_work(self._database) as store:
            yield store
        self._listing.invalidate()
        if store.outbox.enqueued:
            self._wake_relay()

    # --- streaming ---------------------------------------------------------------------

    async def issue_stream_token(
        self, item_id: uuid.UUID, *, admin: bool, context: CallContext
    ) -> StreamTokenGrant:
        """Ask streaming for a token to play the item, on behalf of the caller in ``context``.

        Admins may preview any item; others only what they can see (published, playable).
        An admin's token also downloads the item's original (``download_url``).
        """
        decided_at = self._clock().timestamp()  # before the read: no later commit is seen
        found, captions = await self._captioned(item_id, admin=admin)
        request = stream_request(found, captions, decided_at, admin=admin)
        return await self._streaming_client().issue_token(request, context)

    async def issue_shared_stream_token(self, request: IssueSharedStreamToken) -> StreamTokenGrant:
        """Ask streaming for a share link's token (:mod:`.shares` found the link live and
        its item published and playable, and built ``request`` with :func:`stream_request`)."""
        return await self._streaming_client().issue_shared_token(request)

    async def recorded_captions(self, lookup: ItemLookup) -> RecordedCaptions:
        """Any item's caption tracks as recorded now, and whether it has a master playlist
        (404 if no item): what a writer of the master reads again after its write."""
        row, captions = await self._captioned(uuid.UUID(lookup.media_id), admin=True)
        return RecordedCaptions(
            has_hls=row.has_hls, captions=[to_caption_track(track) for track in captions]
        )

    async def _captioned(
        self, item_id: uuid.UUID, *, admin: bool
    ) -> tuple[MediaItemRow, list[CaptionTrackRow]]:
        """The item's row (404 as :meth:`get_item`) and its caption tracks."""
        async with reading(self._database) as store:
            row = await store.items.visible(item_id, admin=admin)
            return row, await store.captions.of_item(item_id)

    def _streaming_client(self) -> StreamingClient:
        if self._streaming is None:
            try:
                self._streaming = self._streaming_factory()
            except SettingsError as exc:
                log.error("catalogue.streaming_not_configured", error=str(exc))
                raise ServiceUnavailable(
                    "the streaming service is not configured", code="module_unavailable"
                ) from None
        return self._streaming

    # --- operations --------------------------------------------------------------------

    async def outbox_backlog(self) -> int:
        """How many events wait in the outbox (for metrics and alerting)."""
        async with reading(self._database) as store:
            return await store.outbox.backlog()

    async def failed_items(self) -> int:
        """How many items' transcoding failed (for metrics and alerting)."""
        async with reading(self._database) as store:
            return await store.items.count_failed()


async def _record_track(
    repository: CaptionTrackRepository,
    tracks: list[CaptionTrackRow],
    change: CaptionChange,
    now: datetime.datetime,
) -> list[CaptionTrackRow]:
    """Add or replace the track ``change`` names among the item's ``tracks``; the tracks
    after it, by language. An embedded track leaves an uploaded one as it is."""
    existing = next((track for track in tracks if track.language == change.language), None)
    if existing is None:
        if len(tracks) >= MAX_CAPTION_TRACKS:
            raise Conflict(
                f"an item has at most {MAX_CAPTION_TRACKS} caption tracks; remove one first",
                code="too_many_captions",
            )
        added = CaptionTrackRow(
            media_id=uuid.UUID(change.media_id),
            language=change.language,
            label=(change.label or "").strip() or language_name(change.language),
            source=change.source,
            updated_at=now,
        )
        await repository.add(added, auto_refresh=False)
        return sorted([*tracks, added], key=lambda track: track.language)
    if change.source == "embedded" and existing.source == "upload":
        return tracks
    if change.label is not None and change.label.strip():
        existing.label = change.label.strip()
    existing.source = change.source
    existing.updated_at = now
    return tracks


def stream_request(
    found: MediaItemRow, captions: Sequence[CaptionTrackRow], decided_at: float, *, admin: bool
) -> IssueStreamToken:
    """What streaming is asked to grant of ``found`` (read from ``decided_at`` on): its
    original, its prefix, package, storyboard and captions, and for an admin its download."""
    item_id = str(found.id)
    return IssueStreamToken(
        media_id=item_id,
        s3_key=found.s3_key,
        size_bytes=found.size_bytes,
        object_prefix=object_prefix(item_id),
        hls=found.has_hls,
        storyboard=found.has_storyboard,
        captions=[
            StreamCaption(track.language, shown_label(track.label, track.language))
            for track in captions
        ],
        decided_at=decided_at,
        # An admin's token also downloads the original; a viewer's never does.
        download_name=download_name(found.title, found.s3_key) if admin else None,
    )


def _as_item_id(search: SearchQuery) -> uuid.UUID | None:
    """The item id a search of one word is, written as the API writes ids; else None."""
    if len(search.words) != 1:
        return None
    try:
        item_id = uuid.UUID(search.words[0])
    except ValueError:
        return None
    return item_id if str(item_id) == search.words[0] else None


def _log_update(item: MediaItem, changed: list[str], by: str) -> None:
    """Log an admin's edit: which fields, what the item now is, and who (walk 51 F4)."""
    log.info(
        "catalogue.item_updated",
        media_id=item.id,
        changed=sorted(changed),
        status=item.status,
        visibility=item.visibility,
        comments_enabled=item.comments_enabled,
        by=by,
    )


def _given(changes: UpdateMediaItem) -> list[str]:
    """The fields ``changes`` sets."""
    return [
        field
        for field, value in msgspec.structs.asdict(changes).items()
        if value is not msgspec.UNSET
    ]


def _edits_content(changes: UpdateMediaItem) -> bool:
    """Whether ``changes`` edit what an item shows or which lists show it (not only its
    status): a published item's visibility moves it into or out of viewers' lists, and
    its lists' cards say whether it takes comments."""
    edited = (
        changes.title,
        changes.description,
        changes.tags,
        changes.visibility,
        changes.comments_enabled,
    )
    return any(value is not msgspec.UNSET for value in edited)


def _change_status(
    row: MediaItemRow, status: MediaStatus | msgspec.UnsetType, now: datetime.datetime
) -> str | None:
    """Apply a status change to ``row``; the subject of the event it causes, if any.
    Publishing or unpublishing clears a schedule: the admin decided by hand (a scheduled
    draft unpublished stays hidden, and viewers never saw it: nothing to announce).

    ``published_at`` is when the item first went public, kept while it is a draft again: a
    video taken down to mend something comes back in its place in Newest and the feed,
    not as a new release (walk 53), on schedule too."""
    if isinstance(status, msgspec.UnsetType):
        return None
    row.publish_at = None
    if status == row.status:
        return None
    row.status = status
    if status == "published" and row.published_at is None:
        row.published_at = now
    return MEDIA_PUBLISHED if status == "published" else MEDIA_UNPUBLISHED


async def _announce(
    store: CatalogueStore, event: str, row: MediaItemRow, item: MediaItem, now: datetime.datetime
) -> None:
    """Write the event of a status change (:func:`_change_status`) to the outbox: the item
    when it went public, a :class:`MediaWithdrawn` when it was unpublished."""
    if event == MEDIA_PUBLISHED:
        await store.outbox.enqueue(event, msgspec.json.encode(item), now)
    else:
        await store.outbox.enqueue(event, withdrawal(row, now), now)


def _schedule(row: MediaItemRow, changes: UpdateMediaItem, now: datetime.datetime) -> None:
    """Set, move or (null) cancel a draft's publish time as ``changes`` say, kept in UTC.

    400 ``publish_at_past`` for a time not in the future, 400 ``publish_at_too_far`` for
    one more than ``PUBLISH_AHEAD_MAX_YEARS`` ahead, 400 ``validation_error`` with a
    status change too (publish now, or at a time), 409 ``already_published`` for a
    published item (a cancel too: it went public, which the admin must hear): the edit is
    refused whole, so nothing changes.
    """
    when = changes.publish_at
    if isinstance(when, msgspec.UnsetType):
        return
    if when is not None and changes.status is not msgspec.UNSET:
        raise BadRequest(
            "give status (publish or unpublish now) or publish_at (publish later), not both",
            code="validation_error",
        )
    if row.status == "published" and changes.status is msgspec.UNSET:
        went_public = row.published_at.isoformat(timespec="seconds") if row.published_at else "?"
        then = "there is no schedule to cancel" if when is None else "unpublish it first"
        raise Conflict(
            f"the item went public at {went_public} already: {then}",
            code="already_published",
        )
    if when is None:
        row.publish_at = None
        return
    check_publish_time(when, now)
    row.publish_at = when.astimezone(datetime.UTC)
