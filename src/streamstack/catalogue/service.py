"""The catalogue's use cases: browse, read, register, edit, delete, and stream-token requests.

No HTTP here: routes and the ``CREATE_MEDIA_ITEM`` operation both call these methods after
deciding who the caller is. Every change that other modules must hear about writes its
event to the outbox in the same transaction, then wakes the relay.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import msgspec
import structlog
from sqlalchemy import ColumnElement, UnaryExpression, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from streamstack.catalogue.models import MediaItemRow, MediaTagRow
from streamstack.catalogue.outbox import OutboxRelay, enqueue
from streamstack.catalogue.schemas import (
    CreateMediaItem,
    MediaPage,
    SortOrder,
    StatusFilter,
    UpdateMediaItem,
)
from streamstack.contracts.catalogue import MEDIA_DELETED, MEDIA_PUBLISHED, MediaItem
from streamstack.contracts.streaming import IssueStreamToken, StreamingClient, StreamTokenGrant
from streamstack.kernel.db import Database
from streamstack.kernel.errors import BadRequest, Conflict, NotFound, ServiceUnavailable
from streamstack.kernel.operation import CallContext
from streamstack.kernel.storage import check_object_key
from streamstack.settings import SettingsError

log = structlog.get_logger(__name__)

_SPACES = re.compile(r"\s+")


def normalize_tag(tag: str) -> str:
    """A tag as stored and matched: trimmed, inner whitespace collapsed, lower-cased."""
    return _SPACES.sub(" ", tag).strip().lower()


def normalize_tags(tags: Iterable[str]) -> list[str]:
    """Distinct normalised tags, sorted; 400 if one is blank."""
    result = {normalize_tag(tag) for tag in tags}
    if "" in result:
        raise BadRequest("tags must not be blank", code="validation_error")
    return sorted(result)


def title_key(title: str) -> str:
    """The case-insensitive sort key of a title."""
    return title.lower()


def search_text(title: str, description: str, tags: Sequence[str]) -> str:
    """What ``q`` searches: title, description and tags, lower-cased."""
    return "\n".join((title, description, " ".join(tags))).lower()


def thumbnail_url(item_id: uuid.UUID) -> str:
    """Where streaming serves an item's thumbnail."""
    return f"/api/v1/stream/thumbnails/{item_id}.jpg"


def to_media_item(row: MediaItemRow, tags: Sequence[str]) -> MediaItem:
    """The public shape of a stored item."""
    return MediaItem(
        id=str(row.id),
        title=row.title,
        description=row.description,
        status="published" if row.status == "published" else "draft",
        s3_key=row.s3_key,
        size_bytes=row.size_bytes,
        content_type=row.content_type,
        duration_seconds=row.duration_seconds,
        video_codec=row.video_codec,
        audio_codec=row.audio_codec,
        width=row.width,
        height=row.height,
        fps=row.fps,
        thumbnail_s3_key=row.thumbnail_s3_key,
        thumbnail_url=thumbnail_url(row.id) if row.thumbnail_s3_key else None,
        tags=list(tags),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        published_at=row.published_at,
    )


def like_pattern(text: str) -> str:
    """``%text%`` for LIKE, with the wildcards of ``text`` escaped (escape char ``\\``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class CatalogueService:
    """Media items in the relational store, and the events their changes cause."""

    def __init__(
        self,
        database: Database,
        relay: OutboxRelay,
        streaming: Callable[[], StreamingClient],
    ) -> None:
        self._database = database
        self._relay = relay
        self._streaming_factory = streaming
        self._streaming: StreamingClient | None = None

    # --- reads -------------------------------------------------------------------------

    async def list_items(
        self,
        *,
        status: StatusFilter = "published",
        q: str | None = None,
        tag: str | None = None,
        sort: SortOrder = "newest",
        page: int = 1,
        page_size: int = 20,
    ) -> MediaPage:
        """One page of matching items and the total; three queries whatever the page size."""
        conditions: list[ColumnElement[bool]] = []
        if status != "all":
            conditions.append(MediaItemRow.status == status)
        needle = (q or "").strip().lower()
        if needle:
            conditions.append(MediaItemRow.search_text.like(like_pattern(needle), escape="\\"))
        if tag is not None and normalize_tag(tag):
            tagged = select(MediaTagRow.media_id).where(MediaTagRow.tag == normalize_tag(tag))
            conditions.append(MediaItemRow.id.in_(tagged))
        query = (
            select(MediaItemRow)
            .where(*conditions)
            .order_by(*_ordering(sort, status))
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
        async with self._database.session() as session:
            total = await session.scalar(
                select(func.count()).select_from(MediaItemRow).where(*conditions)
            )
            rows = (await session.scalars(query)).all()
            tags = await _tags_of(session, [row.id for row in rows])
        return MediaPage(
            items=[to_media_item(row, tags.get(row.id, [])) for row in rows],
            total=int(total or 0),
            page=page,
            page_size=page_size,
        )

    async def get_item(self, item_id: uuid.UUID, *, include_drafts: bool) -> MediaItem:
        """One item; a draft is hidden (404) unless ``include_drafts``."""
        async with self._database.session() as session:
            row = await session.get(MediaItemRow, item_id)
            if row is None or (row.status != "published" and not include_drafts):
                raise NotFound("no such media item")
            tags = await _tags_of(session, [row.id])
        return to_media_item(row, tags.get(row.id, []))

    # --- changes -----------------------------------------------------------------------

    async def create_item(self, request: CreateMediaItem, *, created_by: str) -> MediaItem:
        """Register an item; 409 if its id exists. Emits ``media.published`` if published."""
        _check_keys(request.s3_key, request.thumbnail_s3_key)
        title = request.title.strip()
        if not title:
            raise BadRequest("title must not be blank", code="validation_error")
        tags = normalize_tags(request.tags)
        item_id = request.id or uuid.uuid4()
        now = _now()
        row = MediaItemRow(
            id=item_id,
            title=title,
            title_key=title_key(title),
            description=request.description,
            status="published" if request.publish else "draft",
            s3_key=request.s3_key,
            size_bytes=request.size_bytes,
            content_type=request.content_type,
            duration_seconds=request.duration_seconds,
            video_codec=request.video_codec,
            audio_codec=request.audio_codec,
            width=request.width,
            height=request.height,
            fps=request.fps,
            thumbnail_s3_key=request.thumbnail_s3_key,
            search_text=search_text(title, request.description, tags),
            created_by=created_by,
            created_at=now,
            updated_at=now,
            published_at=now if request.publish else None,
        )
        item = to_media_item(row, tags)
        try:
            async with self._database.session() as session, session.begin():
                if await session.get(MediaItemRow, item_id) is not None:
                    raise Conflict("a media item with this id exists", code="media_item_exists")
                session.add(row)
                await session.flush()  # the item before its tags: they reference it
                session.add_all(MediaTagRow(media_id=item_id, tag=tag) for tag in tags)
                if request.publish:
                    enqueue(session, MEDIA_PUBLISHED, msgspec.json.encode(item), now)
        except IntegrityError:  # created concurrently between the check and the insert
            raise Conflict("a media item with this id exists", code="media_item_exists") from None
        if request.publish:
            self._relay.wake()
        log.info("catalogue.item_created", media_id=str(item_id), status=item.status)
        return item

    async def update_item(self, item_id: uuid.UUID, changes: UpdateMediaItem) -> MediaItem:
        """Edit title, description, tags or status; draft -> published emits ``media.published``."""
        if all(
            value is msgspec.UNSET
            for value in (changes.title, changes.description, changes.tags, changes.status)
        ):
            raise BadRequest("nothing to change", code="validation_error")
        title = None
        if isinstance(changes.title, str):
            title = changes.title.strip()
            if not title:
                raise BadRequest("title must not be blank", code="validation_error")
        new_tags = (
            None if isinstance(changes.tags, msgspec.UnsetType) else normalize_tags(changes.tags)
        )
        now = _now()
        published = False
        async with self._database.session() as session, session.begin():
            row = await _lock(session, item_id)
            tags = (
                new_tags
                if new_tags is not None
                else (await _tags_of(session, [item_id])).get(item_id, [])
            )
            if title is not None:
                row.title, row.title_key = title, title_key(title)
            if isinstance(changes.description, str):
                row.description = changes.description
            if new_tags is not None:
                await session.execute(delete(MediaTagRow).where(MediaTagRow.media_id == item_id))
                session.add_all(MediaTagRow(media_id=item_id, tag=tag) for tag in new_tags)
            row.search_text = search_text(row.title, row.description, tags)
            if changes.status == "published" and row.status != "published":
                row.status, row.published_at, published = "published", now, True
            elif changes.status == "draft" and row.status != "draft":
                row.status, row.published_at = "draft", None
            row.updated_at = now
            item = to_media_item(row, tags)
            if published:
                enqueue(session, MEDIA_PUBLISHED, msgspec.json.encode(item), now)
        if published:
            self._relay.wake()
        log.info("catalogue.item_updated", media_id=str(item_id), status=item.status)
        return item

    async def delete_item(self, item_id: uuid.UUID) -> None:
        """Delete an item and its tags; emits ``media.deleted`` with the item as it was."""
        now = _now()
        async with self._database.session() as session, session.begin():
            row = await _lock(session, item_id)
            item = to_media_item(row, (await _tags_of(session, [item_id])).get(item_id, []))
            await session.execute(delete(MediaTagRow).where(MediaTagRow.media_id == item_id))
            await session.execute(delete(MediaItemRow).where(MediaItemRow.id == item_id))
            enqueue(session, MEDIA_DELETED, msgspec.json.encode(item), now)
        self._relay.wake()
        log.info("catalogue.item_deleted", media_id=str(item_id))

    # --- streaming ---------------------------------------------------------------------

    async def issue_stream_token(
        self, item_id: uuid.UUID, *, include_drafts: bool, context: CallContext
    ) -> StreamTokenGrant:
        """Ask streaming for a token to play the item, on behalf of the caller in ``context``."""
        async with self._database.session() as session:
            found = (
                await session.execute(
                    select(MediaItemRow.status, MediaItemRow.s3_key, MediaItemRow.size_bytes).where(
                        MediaItemRow.id == item_id
                    )
                )
            ).one_or_none()
        if found is None or (found.status != "published" and not include_drafts):
            raise NotFound("no such media item")
        request = IssueStreamToken(
            media_id=str(item_id), s3_key=found.s3_key, size_bytes=found.size_bytes
        )
        return await self._streaming_client().issue_token(request, context)

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
        return await self._relay.backlog()


async def _lock(session: AsyncSession, item_id: uuid.UUID) -> MediaItemRow:
    """Write to the row first, so concurrent changes of one item queue up (404 if absent).

    On Postgres the UPDATE takes the row lock; on SQLite it takes the write lock at once,
    instead of a read that would fail to upgrade if another writer got in between. It
    changes nothing: it sets a column to its own value.
    """
    result = await session.execute(
        update(MediaItemRow)
        .where(MediaItemRow.id == item_id)
        .values(updated_at=MediaItemRow.updated_at)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) == 0:
        raise NotFound("no such media item")
    row = await session.get(MediaItemRow, item_id, populate_existing=True)
    if row is None:  # pragma: no cover - the UPDATE just found it in this transaction
        raise NotFound("no such media item")
    return row


async def _tags_of(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """The tags of several items in one query."""
    if not ids:
        return {}
    rows = await session.execute(
        select(MediaTagRow.media_id, MediaTagRow.tag)
        .where(MediaTagRow.media_id.in_(ids))
        .order_by(MediaTagRow.media_id, MediaTagRow.tag)
    )
    tags: dict[uuid.UUID, list[str]] = {}
    for media_id, tag in rows:
        tags.setdefault(media_id, []).append(tag)
    return tags


def _ordering(sort: SortOrder, status: StatusFilter) -> list[UnaryExpression[Any]]:
    """ORDER BY for a sort key; each matches one of the table's indexes, ``id`` breaks ties."""
    # Published lists order by when an item went live; drafts have no such date.
    when = MediaItemRow.published_at if status == "published" else MediaItemRow.created_at
    if sort == "newest":
        return [when.desc(), MediaItemRow.id.desc()]
    if sort == "oldest":
        return [when.asc(), MediaItemRow.id.asc()]
    if sort == "title":
        return [MediaItemRow.title_key.asc(), MediaItemRow.id.asc()]
    return [MediaItemRow.duration_seconds.asc().nulls_last(), MediaItemRow.id.asc()]


def _check_keys(*keys: str | None) -> None:
    """400 ``invalid_object_key`` unless each key is a safe relative object key."""
    for key in keys:
        if key is not None:
            check_object_key(key)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
