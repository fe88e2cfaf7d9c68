"""All database access of the catalogue: advanced-alchemy repositories on one unit of work.

A use case opens one :func:`unit_of_work` and reaches its tables through the
repositories of the :class:`CatalogueStore` it yields, so everything it reads and writes is
one session and one transaction. The repositories are advanced-alchemy's
``SQLAlchemyAsyncRepository``; what its generic methods cannot say (a lock-taking no-op
update, an upsert, bulk deletes, the one-statement list page) is a method here.

``wrap_exceptions`` is off: the kernel's session turns connection failures into 503, and
the service turns a duplicate id into 409; both need SQLAlchemy's own exceptions.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import itertools
import string
import uuid
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar, cast, get_args

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import (
    CTE,
    ClauseElement,
    ColumnElement,
    CompoundSelect,
    Executable,
    FromClause,
    Integer,
    ScalarSelect,
    Select,
    String,
    Subquery,
    UnaryExpression,
    Uuid,
    and_,
    bindparam,
    case,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_scoped_session
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.sql.visitors import cloned_traverse

from streamstack.catalogue.items import (
    OUTDATED,
    SHOWN_COLUMNS,
    SUBTITLE_MARKS,
    SeriesNumber,
    series_numbers,
    shown_values,
    subtitle_marked,
)
from streamstack.catalogue.models import (
    NO_AUTHOR,
    CaptionTrackRow,
    CommenterRow,
    CommentReportRow,
    CommentRow,
    ItemDayRow,
    LikeRow,
    MediaItemRow,
    MediaTagRow,
    OutboxRow,
    PlaylistEntryRow,
    PlaylistRow,
    PlayTicketRow,
    ShareLinkRow,
    ViewingRow,
    WatchProgressRow,
)
from streamstack.catalogue.schemas import CommentRemoved, SortOrder
from streamstack.catalogue.search import SearchQuery, SearchTier, fts_hits
from streamstack.contracts.catalogue import ProcessingState
from streamstack.kernel.db import (
    Database,
    DriverStatement,
    escape_like,
    unavailable_as_503,
    upsert_insert,
)
from streamstack.kernel.errors import NotFound
from streamstack.kernel.outbox import OutboxRecords

#: What makes an item visible to viewers (anyone but admins): published and playable.
VISIBLE_TO_VIEWERS: tuple[ColumnElement[bool], ...] = (
    MediaItemRow.status == "published",
    # ``=`` (not ``IS``): an equality the viewers' indexes can seek on, on both backends.
    MediaItemRow.playable == True,  # noqa: E712
)
#: What puts an item in viewers' lists (Browse, search, tags, Up next, related): visible
#: to them and ``listed``. An unlisted one is watched by its link alone (by id, its stream
#: token, a playlist, one's history), as :data:`VISIBLE_TO_VIEWERS` lets it.
LISTED_TO_VIEWERS: tuple[ColumnElement[bool], ...] = (
    *VISIBLE_TO_VIEWERS,
    MediaItemRow.visibility == "listed",
)
#: "The most viewed first": ties go to the newest.
_MOST_VIEWED = (
    MediaItemRow.view_count.desc(),
    MediaItemRow.published_at.desc(),
    MediaItemRow.id.desc(),
)
#: Related items: each of an item's tags offers this many times the items asked for.
RELATED_PER_TAG = 4
#: How far down the most-viewed order a tag's items are looked for before its own items
#: are sorted instead (a tag on 1 item in 32 fills 32 candidates within it).
RELATED_WALK = 1024
#: The most items of one tag that are sorted (a tag rarer at the head than that is
#: rare; past this many, an arbitrary part of it is considered).
RELATED_TAG_MEMBERS = 4096
#: The primary key of ``watch_progress`` and ``viewings``: what an upsert matches on, never
#: overwrites.
_KEY = frozenset({"user_id", "media_id"})


async def _upsert(
    session: AsyncSession | async_scoped_session[AsyncSession],
    model: type[WatchProgressRow | ViewingRow],
    values: dict[str, Any],
    *,
    only_over: ColumnElement[bool] | None = None,
) -> bool:
    """Insert or overwrite one (user, item) row in one statement, so two writers racing for
    a first row cannot collide; with ``only_over``, an existing row is overwritten only
    where it holds. Whether a row was written: the write decides, not a read before it."""
    statement = upsert_insert(session.get_bind().dialect.name, model).values(**values)
    written = await session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "media_id"],
            set_={key: statement.excluded[key] for key in values if key not in _KEY},
            where=only_over,
        ).returning(model.user_id)
    )
    return written.first() is not None


#: The item id of a statement's shape that names one item: one statement serves them all.
BOUND_ITEM = uuid.UUID(int=0)


@dataclasses.dataclass(frozen=True, slots=True)
class ItemQuery:
    """Which items a list shows, and in which order."""

    #: Only items in this status; None for every status.
    status: str | None
    #: A normalised tag the item must have; "" for any.
    tag: str
    sort: SortOrder
    #: Only items a viewer can play (the original is browser-safe or a rendition exists).
    playable_only: bool = False
    #: Only items in this processing state (or ``outdated``: :data:`OUTDATED`); None for any.
    processing_state: str | None = None
    #: Only this item (a search for its id), :data:`BOUND_ITEM` in a statement's shape
    #: (the id bound at execution); None for any.
    item_id: uuid.UUID | None = None
    #: Only items with a publish time set (scheduled drafts).
    scheduled_only: bool = False
    #: Only items of this visibility (viewers: ``listed``); None for any.
    visibility: str | None = None

    def conditions(self, *, status_seekable: bool = True) -> list[ColumnElement[bool]]:
        """The WHERE clauses; without ``status_seekable`` the status is compared in a form
        no index can seek on (``status || ''``), so the planner looks for another way in."""
        conditions: list[ColumnElement[bool]] = []
        if self.status is not None:
            status = MediaItemRow.status if status_seekable else MediaItemRow.status.concat("")
            conditions.append(status == self.status)
        if self.playable_only:
            conditions.append(VISIBLE_TO_VIEWERS[1])
        if self.processing_state == "outdated":
            conditions.append(OUTDATED)
        elif self.processing_state is not None:
            conditions.append(MediaItemRow.processing_state == self.processing_state)
        if self.tag:
            # "?" is the tag bound at execution (a statement shared by every tag).
            tag = bindparam("tag", type_=String) if self.tag == "?" else self.tag
            tagged = select(MediaTagRow.media_id).where(MediaTagRow.tag == tag)
            conditions.append(MediaItemRow.id.in_(tagged))
        if self.item_id is not None:
            conditions.append(MediaItemRow.id == bindparam("item_id", type_=MediaItemRow.id.type))
        if self.scheduled_only:
            conditions.append(MediaItemRow.publish_at.is_not(None))
        if self.visibility is not None:
            conditions.append(MediaItemRow.visibility == self.visibility)
        return conditions

    def ordering(self) -> list[UnaryExpression[Any]]:
        """ORDER BY; each sort matches one of the table's indexes, ``id`` breaks ties."""
        # Published lists order by when an item went live; drafts have no such date.
        when = MediaItemRow.published_at if self.status == "published" else MediaItemRow.created_at
        if self.sort == "newest":
            return [when.desc(), MediaItemRow.id.desc()]
        if self.sort == "oldest":
            return [when.asc(), MediaItemRow.id.asc()]
        if self.sort == "title":
            return [MediaItemRow.title_order.asc(), MediaItemRow.id.asc()]
        if self.sort == "longest":
            return [MediaItemRow.duration_seconds.desc().nulls_last(), MediaItemRow.id.desc()]
        if self.sort == "popular":
            # Ties (often: nothing viewed yet) newest first, not in the order of their ids.
            return [MediaItemRow.view_count.desc(), when.desc(), MediaItemRow.id.desc()]
        if self.sort == "due":
            return [MediaItemRow.publish_at.asc().nulls_last(), MediaItemRow.id.asc()]
        return [MediaItemRow.duration_seconds.asc().nulls_last(), MediaItemRow.id.asc()]


#: A row that :func:`_write_locked` can lock: it has an ``updated_at`` to set to itself.
_Lockable = TypeVar("_Lockable", MediaItemRow, PlaylistRow)


async def _write_locked(
    repository: SQLAlchemyAsyncRepository[_Lockable],
    where: ColumnElement[bool],
    *,
    missing: str,
) -> _Lockable:
    """The row ``where`` picks, write-locked for this transaction; 404 ``missing`` if none.

    It writes to the row first, so concurrent changes of one row queue up: on Postgres the
    UPDATE takes the row lock; on SQLite it takes the file's write lock at once, so the row
    read next is the one this transaction changes (the driver begins no transaction for a
    SELECT: a read first could be overtaken by another writer before this one writes). The
    UPDATE changes nothing: it sets ``updated_at`` to its own value.
    """
    model = repository.model_type
    result = await repository.session.execute(
        update(model)
        .where(where)
        .values(updated_at=model.updated_at)
        .execution_options(synchronize_session=False)
    )
    row = None
    if getattr(result, "rowcount", 0):
        row = await repository.get_one_or_none(where, execution_options={"populate_existing": True})
    if row is None:
        raise NotFound(missing)
    return row


def _due(now: datetime.datetime) -> tuple[ColumnElement[bool], ...]:
    """What makes a draft due to be published at ``now``: its time has come, and a viewer
    can play it (one still transcoding goes public once it plays; a failed one waits)."""
    return (
        MediaItemRow.publish_at <= now,
        MediaItemRow.status == "draft",
        VISIBLE_TO_VIEWERS[1],
    )


class MediaItemRepository(SQLAlchemyAsyncRepository[MediaItemRow]):
    """Media items."""

    model_type = MediaItemRow
    wrap_exceptions = False

    async def visible(self, item_id: uuid.UUID, *, admin: bool) -> MediaItemRow:
        """The item, if the caller may see (and play) it: admins any, others only
        :data:`VISIBLE_TO_VIEWERS` ones; 404 otherwise."""
        viewers = () if admin else VISIBLE_TO_VIEWERS
        row = await self.get_one_or_none(MediaItemRow.id == item_id, *viewers)
        if row is None:
            raise NotFound("no such media item")
        return row

    async def lock(self, item_id: uuid.UUID) -> MediaItemRow:
        """The item, write-locked for this transaction (404 if absent): concurrent
        changes of one item queue up (:func:`_write_locked`)."""
        return await _write_locked(self, MediaItemRow.id == item_id, missing="no such media item")

    async def related(
        self, item_id: uuid.UUID, limit: int, viewer: uuid.UUID | None = None
    ) -> list[MediaItemRow]:
        """Up to ``limit`` listed items a viewer can play, for whoever watches ``item_id``: those
        sharing the most of its tags first (then the most viewed, then the newest), then,
        when too few share one, the most viewed others. What the signed-in ``viewer``
        watched to the end comes after the rest, chosen from twice as many candidates.

        Bounded reads, whatever the catalogue's size: the candidates are each tag's
        ``RELATED_PER_TAG * limit`` most viewed items (:meth:`_most_viewed_tagged`),
        ranked by how many of the item's tags they share. Ranking every item that shares a
        tag took 160 ms at 100,000 items with tags on a quarter of them each.

        SQLite chooses the same in one statement (:func:`_related_in_one`): a change here
        is one there too (``test_catalogue_related_reads`` compares the two)."""
        mine = list(
            await self.session.scalars(
                select(MediaTagRow.tag).where(MediaTagRow.media_id == item_id)
            )
        )
        finished_last = _finished_last(viewer)
        rows: list[MediaItemRow] = []
        if mine:
            count = RELATED_PER_TAG * limit * (1 if viewer is None else 2)
            candidates = await self._most_viewed_tagged(mine, item_id, count)
            shared = func.count().label("shared")
            ranked = (
                select(MediaItemRow, shared)
                .join(MediaTagRow, MediaTagRow.media_id == MediaItemRow.id)
                .where(MediaItemRow.id.in_(candidates), MediaTagRow.tag.in_(mine))
                .group_by(MediaItemRow.id)
                .order_by(*finished_last, shared.desc(), *_MOST_VIEWED)
                .limit(limit)
            )
            rows = [row for row, _ in (await self.session.execute(ranked)).all()]
        if len(rows) < limit:
            chosen = [item_id, *(row.id for row in rows)]
            others = (
                select(MediaItemRow)
                .where(MediaItemRow.id.not_in(chosen), *LISTED_TO_VIEWERS)
                .order_by(*finished_last, *_MOST_VIEWED)
                .limit(limit - len(rows))
            )
            rows += (await self.session.scalars(others)).all()
        return rows

    async def due(self, now: datetime.datetime, *, limit: int) -> list[uuid.UUID]:
        """Up to ``limit`` drafts whose publish time has come and that a viewer can play,
        the longest due first (a seek on the ``publish_at`` index)."""
        found = await self.session.scalars(
            select(MediaItemRow.id)
            .where(*_due(now))
            .order_by(MediaItemRow.publish_at, MediaItemRow.id)
            .limit(limit)
        )
        return list(found)

    async def lock_due(self, item_id: uuid.UUID, now: datetime.datetime) -> MediaItemRow | None:
        """The item, write-locked (:meth:`lock`), if it is still due to be published
        (:meth:`due`); None once it is not: published by another replica meanwhile (whose
        write this one waited for, then found no longer matching), unpublished, cancelled,
        moved later or deleted. This conditional write is what publishes an item once."""
        due = and_(MediaItemRow.id == item_id, *_due(now))
        try:
            return await _write_locked(self, due, missing="no such scheduled item")
        except NotFound:
            return None

    async def hold(self, item_id: uuid.UUID) -> None:
        """Key-share-lock the item for this transaction (PostgreSQL; SQLite's writers queue
        anyway): a deletion, which locks it first, then waits for this writer, and this one
        for it, as a first row's foreign key would wait, only before any other row is
        locked (the order every use case keeps). Many writers may hold it at once."""
        await self.session.execute(
            select(MediaItemRow.id)
            .where(MediaItemRow.id == item_id)
            .with_for_update(key_share=True)
        )

    async def count_comments(self, counts: dict[uuid.UUID, int]) -> None:
        """Add ``counts[item]`` (negative: comments deleted) to each item's comment count,
        in the database (concurrent posts all count); not an edit, ``updated_at`` stays."""
        await self._add_counts(MediaItemRow.comment_count, counts)

    async def count_likes(self, counts: dict[uuid.UUID, int]) -> None:
        """Add ``counts[item]`` (negative: likes taken back) to each item's like count, in
        the database (as :meth:`count_comments`); not an edit, ``updated_at`` stays."""
        await self._add_counts(MediaItemRow.like_count, counts)

    async def _add_counts(
        self, count: InstrumentedAttribute[int], counts: dict[uuid.UUID, int]
    ) -> None:
        """Add ``counts[item]`` to each item's ``count`` column, in the database (one
        statement an item, so concurrent changes all count)."""
        for item_id, added in counts.items():
            await self.session.execute(
                update(MediaItemRow)
                .where(MediaItemRow.id == item_id)
                .values({count: count + added})
                .execution_options(synchronize_session=False)
            )

    async def count_view(self, item_id: uuid.UUID) -> None:
        """One more view of the item, added in the database (concurrent views all count);
        not an edit, so ``updated_at`` stays."""
        await self.session.execute(
            update(MediaItemRow)
            .where(MediaItemRow.id == item_id)
            .values(view_count=MediaItemRow.view_count + 1)
            .execution_options(synchronize_session=False)
        )

    async def existing(self, item_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        """Which of ``item_ids`` are items, of any status, each with its original's key:
        one ``IN`` query."""
        if not item_ids:
            return {}
        found = await self.session.execute(
            select(MediaItemRow.id, MediaItemRow.s3_key).where(MediaItemRow.id.in_(item_ids))
        )
        return {item_id: s3_key for item_id, s3_key in found}

    async def media_page(
        self, after: uuid.UUID | None, limit: int
    ) -> list[tuple[uuid.UUID, str, str, str | None, bool]]:
        """The next ``limit`` items in id order after ``after``: each one's id, title,
        original's key, thumbnail's key and whether it has an HLS package."""
        query = select(
            MediaItemRow.id,
            MediaItemRow.title,
            MediaItemRow.s3_key,
            MediaItemRow.thumbnail_s3_key,
            MediaItemRow.has_hls,
        ).order_by(MediaItemRow.id)
        if after is not None:
            query = query.where(MediaItemRow.id > after)
        found = await self.session.execute(query.limit(limit))
        return [(i, title, key, thumbnail, hls) for i, title, key, thumbnail, hls in found]

    async def library_counts(self) -> dict[str, int]:
        """In one statement, by name: how many items there are (``all``), drafts, scheduled
        drafts, published; in each processing state and ``outdated``; and how many comments
        have reports (``reported_comments``)."""
        state = MediaItemRow.processing_state
        counted: dict[str, ColumnElement[Any]] = {
            "all": func.count(),
            "draft": func.count().filter(MediaItemRow.status == "draft"),
            "scheduled": func.count().filter(
                MediaItemRow.status == "draft", MediaItemRow.publish_at.is_not(None)
            ),
            "published": func.count().filter(MediaItemRow.status == "published"),
            **{s: func.count().filter(state == s) for s in get_args(ProcessingState)},
            "outdated": func.count().filter(OUTDATED),
            "reported_comments": select(
                func.count(func.distinct(CommentReportRow.comment_id))
            ).scalar_subquery(),
        }
        query = select(*(value.label(name) for name, value in counted.items()))
        found = await self.session.execute(query.select_from(MediaItemRow))
        return dict(found.one()._mapping)

    async def count_failed(self) -> int:
        """How many items' transcoding failed (they wait for an admin: retry or delete)."""
        return await self.count(MediaItemRow.processing_state == "failed")

    async def remove(self, item_id: uuid.UUID) -> None:
        """Delete the item's row (its tags go with it: the foreign key cascades)."""
        await self.session.execute(delete(MediaItemRow).where(MediaItemRow.id == item_id))

    async def _most_viewed_tagged(
        self, tags: Sequence[str], item_id: uuid.UUID, count: int
    ) -> set[uuid.UUID]:
        """The ``count`` most viewed items a viewer can play of each of ``tags``, but
        ``item_id``. A tag on many items is found by walking the head of the most-viewed
        order (its index) and keeping the tagged, all tags in one statement; a rarer one,
        which that head holds too few of, by sorting its (at most
        :data:`RELATED_TAG_MEMBERS`) items. (One statement for both ways made PostgreSQL
        plan the walk as a join of the tag's every item: slower than two.)"""
        head = _most_viewed_head(item_id)
        dialect = self.session.get_bind().dialect.name
        walks = union_all(*(_walk(head, tag, count, dialect) for tag in tags))
        found: dict[str, set[uuid.UUID]] = {tag: set() for tag in tags}
        for tag, media_id in (await self.session.execute(walks)).all():
            found[tag].add(media_id)
        candidates: set[uuid.UUID] = set()
        for tag, ids in found.items():
            candidates |= (
                ids if len(ids) == count else await self._sorted_members(tag, item_id, count)
            )
        return candidates

    async def _sorted_members(self, tag: str, item_id: uuid.UUID, count: int) -> set[uuid.UUID]:
        """The ``count`` most viewed of (at most :data:`RELATED_TAG_MEMBERS`) items tagged
        ``tag`` a viewer can play, but ``item_id``."""
        sorted_members = _sorted_members(tag, item_id).limit(count)
        return set((await self.session.scalars(sorted_members)).all())


def _finished_last(
    viewer: uuid.UUID | BindParameter[uuid.UUID] | None,
) -> tuple[ColumnElement[bool], ...]:
    """The ordering that puts what ``viewer`` watched to the end last (none for anyone
    else: the shared order)."""
    return () if viewer is None else (_finished_by(viewer),)


def _finished_by(viewer: uuid.UUID | BindParameter[uuid.UUID]) -> ColumnElement[bool]:
    """Whether ``viewer`` watched the item to the end (one lookup by watch progress's key)."""
    return (
        select(WatchProgressRow.media_id)
        .where(
            WatchProgressRow.user_id == viewer,
            WatchProgressRow.media_id == MediaItemRow.id,
            WatchProgressRow.completed.is_(True),
        )
        .exists()
    )


def _walk(head: Subquery, tag: str, count: int, dialect: str) -> Select[Any]:
    """``(tag, id)`` of the first ``count`` items of ``head`` (most viewed first) tagged
    ``tag``, as a member of a UNION ALL (SQLite allows no LIMIT in one)."""
    first = _walked(head, tag, count, dialect).subquery()
    return select(literal(tag, String).label("tag"), first.c.id)


def _walked(
    head: Subquery, tag: str | BindParameter[str], count: int | BindParameter[int], dialect: str
) -> Select[Any]:
    """The ids of the first ``count`` items of ``head`` (most viewed first) tagged ``tag``."""
    tagged = select(MediaTagRow.media_id).where(
        MediaTagRow.media_id == head.c.id, MediaTagRow.tag == tag
    )
    walked: Select[Any] = select(head.c.id).where(tagged.exists())
    if dialect != "sqlite":
        # PostgreSQL may join by hashing the head, which loses its order (the candidates
        # were then any of the tag's items in the head, not its most viewed). Ordered, it
        # reads the head in order and stops at ``count``, which is also faster. SQLite
        # reads a subquery in its order anyway; ordered again, it tests every row.
        walked = walked.order_by(
            head.c.view_count.desc(), head.c.published_at.desc(), head.c.id.desc()
        )
    return walked.limit(count)


def _most_viewed_head(item_id: uuid.UUID | BindParameter[uuid.UUID]) -> Subquery:
    """The first :data:`RELATED_WALK` listed items a viewer can play, but ``item_id``, most
    viewed first: what a tag's walk reads."""
    return (
        select(MediaItemRow.id, MediaItemRow.view_count, MediaItemRow.published_at)
        .where(*LISTED_TO_VIEWERS, MediaItemRow.id != item_id)
        .order_by(*_MOST_VIEWED)
        .limit(RELATED_WALK)
        .subquery()
    )


def _sorted_members(
    tag: str | BindParameter[str], item_id: uuid.UUID | BindParameter[uuid.UUID]
) -> Select[Any]:
    """The ids of (at most :data:`RELATED_TAG_MEMBERS`) items tagged ``tag`` a viewer can
    play, but ``item_id``, most viewed first (the caller limits them)."""
    members = (
        select(MediaTagRow.media_id)
        .where(MediaTagRow.tag == tag)
        .limit(RELATED_TAG_MEMBERS)
        .subquery()
    )
    return (
        select(MediaItemRow.id)
        .join(members, members.c.media_id == MediaItemRow.id)
        .where(*LISTED_TO_VIEWERS, MediaItemRow.id != item_id)
        .order_by(*_MOST_VIEWED)
    )


async def values_by_item(
    session: AsyncSession | async_scoped_session[AsyncSession],
    item_column: InstrumentedAttribute[uuid.UUID],
    value_column: InstrumentedAttribute[str],
    item_ids: Sequence[uuid.UUID],
) -> dict[uuid.UUID, list[str]]:
    """``value_column`` of each of ``item_ids`` that has any (its tags, its caption
    languages), sorted: one query."""
    if not item_ids:
        return {}
    rows = await session.execute(
        select(item_column, value_column)
        .where(item_column.in_(item_ids))
        .order_by(item_column, value_column)
    )
    values: dict[uuid.UUID, list[str]] = {}
    for item_id, value in rows:
        values.setdefault(item_id, []).append(value)
    return values


class MediaTagRepository(SQLAlchemyAsyncRepository[MediaTagRow]):
    """The tags of items, one row per (item, tag)."""

    model_type = MediaTagRow
    id_attribute = "media_id"
    wrap_exceptions = False

    async def of_items(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
        """The sorted tags of several items, in one query."""
        return await values_by_item(self.session, MediaTagRow.media_id, MediaTagRow.tag, ids)

    async def of_item(self, item_id: uuid.UUID) -> list[str]:
        """The sorted tags of one item."""
        return (await self.of_items([item_id])).get(item_id, [])

    async def replace(self, item_id: uuid.UUID, tags: Sequence[str]) -> None:
        """Make ``tags`` the item's tags."""
        await self.remove_all(item_id)
        await self.add_tags(item_id, tags)

    async def add_tags(self, item_id: uuid.UUID, tags: Sequence[str]) -> None:
        """Add ``tags`` to an item that has none of them yet."""
        if tags:
            await self.add_many([MediaTagRow(media_id=item_id, tag=tag) for tag in tags])

    async def remove_all(self, item_id: uuid.UUID) -> None:
        """Delete every tag of the item."""
        await self.session.execute(delete(MediaTagRow).where(MediaTagRow.media_id == item_id))

    async def counts(self, *, visible_only: bool, prefix: str, limit: int) -> list[tuple[str, int]]:
        """``(tag, number of items)``, most used first then by name; with ``visible_only``
        only playable published listed items count; ``prefix`` keeps tags starting with it."""
        number = func.count(MediaTagRow.media_id)
        query = (
            select(MediaTagRow.tag, number)
            .join(MediaItemRow, MediaItemRow.id == MediaTagRow.media_id)
            .group_by(MediaTagRow.tag)
            .order_by(number.desc(), MediaTagRow.tag.asc())
            .limit(limit)
        )
        if visible_only:
            query = query.where(*LISTED_TO_VIEWERS)
        if prefix:
            query = query.where(MediaTagRow.tag.like(f"{escape_like(prefix)}%", escape="\\"))
        return [(tag, count) for tag, count in await self.session.execute(query)]


class CaptionTrackRepository(SQLAlchemyAsyncRepository[CaptionTrackRow]):
    """The caption tracks of items, one row per (item, language)."""

    model_type = CaptionTrackRow
    id_attribute = "media_id"
    wrap_exceptions = False

    async def of_item(self, item_id: uuid.UUID) -> list[CaptionTrackRow]:
        """The item's tracks, by language."""
        rows = await self.session.scalars(
            select(CaptionTrackRow)
            .where(CaptionTrackRow.media_id == item_id)
            .order_by(CaptionTrackRow.language)
        )
        return list(rows)

    async def languages_of(self, item_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
        """The languages of the tracks of each of ``item_ids`` that has any: one query."""
        return await values_by_item(
            self.session, CaptionTrackRow.media_id, CaptionTrackRow.language, item_ids
        )

    async def remove_one(self, item_id: uuid.UUID, language: str) -> bool:
        """Delete the item's track of ``language``; whether there was one."""
        result = await self.session.execute(
            delete(CaptionTrackRow).where(
                CaptionTrackRow.media_id == item_id, CaptionTrackRow.language == language
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def remove_all(self, item_id: uuid.UUID) -> None:
        """Delete every track of the item."""
        await self.session.execute(
            delete(CaptionTrackRow).where(CaptionTrackRow.media_id == item_id)
        )


class OutboxRepository:
    """Events written with the change they announce; the kernel's
    :class:`~streamstack.kernel.outbox.OutboxRelay` sends them afterwards."""

    def __init__(self, session: AsyncSession) -> None:
        self._records = OutboxRecords(session, OutboxRow)
        #: Whether this unit of work enqueued an event (the relay is woken after its commit).
        self.enqueued = False

    async def enqueue(self, subject: str, payload: bytes, now: datetime.datetime) -> str:
        """Add an event to this transaction; returns its event id (the bus's dedupe id)."""
        event_id = str(uuid.uuid4())
        await self._records.enqueue(event_id, subject, payload, now)
        self.enqueued = True
        return event_id

    async def backlog(self) -> int:
        """How many events wait to be published."""
        return await self._records.backlog()


WatchedRow = tuple[WatchProgressRow, MediaItemRow]


async def _listed_and_unavailable(
    session: AsyncSession | async_scoped_session[AsyncSession],
    kept: Select[Any, MediaItemRow],
    *,
    visible_only: bool,
) -> tuple[int, int]:
    """How many rows of one account's own list (``kept``: its rows joined to their items)
    are listed to it, and how many more it keeps that it cannot watch now (unpublished,
    not playable yet; with ``visible_only`` false, as for an admin, none): one aggregate.
    A deleted item's rows went with it, so they are not counted."""
    listed = and_(*VISIBLE_TO_VIEWERS) if visible_only else true()
    counted = kept.with_only_columns(
        func.count(), func.coalesce(func.sum(case((listed, 1), else_=0)), 0)
    )
    every, shown = (await session.execute(counted)).one()
    return int(shown), int(every) - int(shown)


@dataclasses.dataclass(frozen=True, slots=True)
class WatchReach:
    """How far users got in one item, counted (never who)."""

    #: Users with a place saved in it.
    viewers: int
    #: Of them, those who watched it to the end.
    finished: int
    #: The average share of it they reached, 0 to 1; None without a length or a place.
    average: float | None


class WatchProgressRepository(SQLAlchemyAsyncRepository[WatchProgressRow]):
    """Where each user is in each item, one row per (user, item)."""

    model_type = WatchProgressRow
    id_attribute = "media_id"
    wrap_exceptions = False

    async def save(self, row: WatchProgressRow) -> None:
        """Insert or overwrite the (user, item) row."""
        values = {
            "user_id": row.user_id,
            "media_id": row.media_id,
            "position_seconds": row.position_seconds,
            "duration_seconds": row.duration_seconds,
            "completed": row.completed,
            "updated_at": row.updated_at,
        }
        await _upsert(self.session, WatchProgressRow, values)

    async def fit_to_length(
        self, media_id: uuid.UUID, duration: float, finished_from: float
    ) -> None:
        """Every user's row of an item whose file was replaced, measured against its new
        ``duration``: a place past the new end is at the end, and one from ``finished_from``
        on is watched to the end (no "Resume from 0:06" on a video of 0:04)."""
        position = WatchProgressRow.position_seconds
        await self.session.execute(
            update(WatchProgressRow)
            .where(WatchProgressRow.media_id == media_id)
            .values(
                duration_seconds=duration,
                position_seconds=case((position > duration, duration), else_=position),
                completed=or_(WatchProgressRow.completed, position >= finished_from),
            )
        )

    async def of(self, user_id: uuid.UUID, media_id: uuid.UUID) -> WatchProgressRow | None:
        """The user's row for the item, if any."""
        return await self.get_one_or_none(
            WatchProgressRow.user_id == user_id, WatchProgressRow.media_id == media_id
        )

    async def page(
        self, user_id: uuid.UUID, *, in_progress: bool, visible_only: bool, limit: int, offset: int
    ) -> tuple[list[WatchedRow], int, int]:
        """The user's rows with their items, newest first, how many in all and how many
        more are kept out of sight (:func:`_listed_and_unavailable`); with ``in_progress``
        only unfinished ones, with ``visible_only`` only playable published items."""
        conditions: list[ColumnElement[bool]] = [WatchProgressRow.user_id == user_id]
        if in_progress:
            conditions += [
                WatchProgressRow.completed.is_(False),
                WatchProgressRow.position_seconds > 0,
            ]
        kept = (
            select(WatchProgressRow, MediaItemRow)
            .join(MediaItemRow, MediaItemRow.id == WatchProgressRow.media_id)
            .where(*conditions)
        )
        total, unavailable = await _listed_and_unavailable(
            self.session, kept, visible_only=visible_only
        )
        if not total:
            return [], 0, unavailable
        rows = await self.session.execute(
            kept.where(*(VISIBLE_TO_VIEWERS if visible_only else ()))
            .order_by(WatchProgressRow.updated_at.desc(), WatchProgressRow.media_id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [(progress, item) for progress, item in rows], total, unavailable

    async def remove(self, user_id: uuid.UUID, media_id: uuid.UUID) -> bool:
        """Delete the user's row for the item; whether there was one."""
        result = await self.session.execute(
            delete(WatchProgressRow).where(
                WatchProgressRow.user_id == user_id, WatchProgressRow.media_id == media_id
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def remove_user(self, user_id: uuid.UUID) -> int:
        """Delete every row of the user; how many there were."""
        result = await self.session.execute(
            delete(WatchProgressRow).where(WatchProgressRow.user_id == user_id)
        )
        return int(getattr(result, "rowcount", 0))

    async def remove_item(self, media_id: uuid.UUID) -> None:
        """Delete every user's row for the item."""
        await self.session.execute(
            delete(WatchProgressRow).where(WatchProgressRow.media_id == media_id)
        )

    async def reach(self, media_id: uuid.UUID, duration: float | None) -> WatchReach:
        """How many users have a place in the item, how many finished it, and the average
        share of its ``duration`` they reached (a finished one all of it; None without a
        length or a place): one aggregate over the item's rows."""
        row = WatchProgressRow
        reached: ColumnElement[Any] = literal(None)
        if duration is not None and duration > 0:
            share = case(
                (row.position_seconds >= duration, 1.0), else_=row.position_seconds / duration
            )
            reached = func.avg(case((row.completed, 1.0), else_=share))
        found = await self.session.execute(
            select(func.count(), func.count().filter(row.completed), reached).where(
                row.media_id == media_id
            )
        )
        viewers, finished, average = found.one()
        return WatchReach(viewers, finished, None if average is None else float(average))


class ViewingRepository(SQLAlchemyAsyncRepository[ViewingRow]):
    """When each user last reported watching each item (what counts views)."""

    model_type = ViewingRow
    id_attribute = "media_id"
    wrap_exceptions = False

    async def last_report(
        self, user_id: uuid.UUID, media_id: uuid.UUID
    ) -> datetime.datetime | None:
        """When the user last reported watching the item, if they did (a read: a report
        found recent stays so, but one not found may be written by another)."""
        return await self.session.scalar(
            select(ViewingRow.reported_at).where(
                ViewingRow.user_id == user_id, ViewingRow.media_id == media_id
            )
        )

    async def advance(
        self,
        user_id: uuid.UUID,
        media_id: uuid.UUID,
        previous: datetime.datetime,
        at: datetime.datetime,
    ) -> bool:
        """Move the user's last report of the item from ``previous`` to ``at``; whether it
        still was ``previous``. Decided by the write: of reports at once that read the same
        previous one, one moves it (and counts the time between), the others find it moved."""
        moved = await self.session.execute(
            update(ViewingRow)
            .where(
                ViewingRow.user_id == user_id,
                ViewingRow.media_id == media_id,
                ViewingRow.reported_at == previous,
            )
            .values(reported_at=at)
            .returning(ViewingRow.user_id)
        )
        return moved.first() is not None

    async def record(self, user_id: uuid.UUID, media_id: uuid.UUID, at: datetime.datetime) -> None:
        """The user reported watching the item ``at``."""
        await _upsert(
            self.session, ViewingRow, {"user_id": user_id, "media_id": media_id, "reported_at": at}
        )

    async def starts_view(
        self,
        user_id: uuid.UUID,
        media_id: uuid.UUID,
        at: datetime.datetime,
        *,
        since: datetime.datetime,
    ) -> bool:
        """Note a report ``at``; whether it starts a view: the user's first on the item, or
        the first after ``since``.

        Decided by the write itself, never by a read before it: of reports at once (two
        tabs, a script's burst) the first to write starts the view, and the others find its
        row recent. A read first let each of them see no row and count a view.
        """
        values = {"user_id": user_id, "media_id": media_id, "reported_at": at}
        return await _upsert(
            self.session, ViewingRow, values, only_over=ViewingRow.reported_at <= since
        )

    async def forget(self, user_id: uuid.UUID, *, before: datetime.datetime | None = None) -> None:
        """Delete the user's rows (only those reported at or before ``before``, when given)."""
        statement = delete(ViewingRow).where(ViewingRow.user_id == user_id)
        if before is not None:
            statement = statement.where(ViewingRow.reported_at <= before)
        await self.session.execute(statement)

    async def remove_item(self, media_id: uuid.UUID) -> None:
        """Delete every user's row for the item."""
        await self.session.execute(delete(ViewingRow).where(ViewingRow.media_id == media_id))


class PlaylistRepository(SQLAlchemyAsyncRepository[PlaylistRow]):
    """Users' playlists. Every method takes the caller: no one reaches another's playlist
    but :meth:`opened`, which reads (never changes) one its owner shared by link."""

    model_type = PlaylistRow
    wrap_exceptions = False

    async def mine(self, playlist_id: uuid.UUID, user_id: uuid.UUID) -> PlaylistRow:
        """The user's playlist; 404 when it is missing or someone else's (the same answer:
        whether it exists is its owner's business)."""
        row = await self.get_one_or_none(
            PlaylistRow.id == playlist_id, PlaylistRow.user_id == user_id
        )
        if row is None:
            raise NotFound("no such playlist")
        return row

    async def opened(self, playlist_id: uuid.UUID, user_id: uuid.UUID) -> PlaylistRow:
        """The playlist its link opens for the user: their own, or another's that is
        ``unlisted``; 404 as :meth:`mine` otherwise (a private one's link tells no one
        else that it exists)."""
        row = await self.get_one_or_none(
            PlaylistRow.id == playlist_id,
            (PlaylistRow.user_id == user_id) | (PlaylistRow.visibility == "unlisted"),
        )
        if row is None:
            raise NotFound("no such playlist")
        return row

    async def lock(self, playlist_id: uuid.UUID, user_id: uuid.UUID) -> PlaylistRow:
        """The user's playlist, write-locked for this transaction (404 as :meth:`mine`): two
        changes of one playlist (adds counted against its limit, reorders) queue up."""
        mine = (PlaylistRow.id == playlist_id) & (PlaylistRow.user_id == user_id)
        return await _write_locked(self, mine, missing="no such playlist")

    async def page(
        self, user_id: uuid.UUID, *, limit: int, offset: int
    ) -> tuple[list[PlaylistRow], int]:
        """The user's playlists, the most recently changed first, and how many in all."""
        total = await self.count(PlaylistRow.user_id == user_id)
        if not total:
            return [], 0
        rows = await self.session.scalars(
            select(PlaylistRow)
            .where(PlaylistRow.user_id == user_id)
            .order_by(PlaylistRow.updated_at.desc(), PlaylistRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(rows), total

    async def remove(self, playlist_id: uuid.UUID) -> None:
        """Delete the playlist (its entries first: where a backend does not cascade)."""
        await self.session.execute(
            delete(PlaylistEntryRow).where(PlaylistEntryRow.playlist_id == playlist_id)
        )
        await self.session.execute(delete(PlaylistRow).where(PlaylistRow.id == playlist_id))

    async def remove_user(self, user_id: uuid.UUID) -> int:
        """Delete every playlist of the user and their entries; how many playlists."""
        mine = select(PlaylistRow.id).where(PlaylistRow.user_id == user_id)
        await self.session.execute(
            delete(PlaylistEntryRow).where(PlaylistEntryRow.playlist_id.in_(mine))
        )
        result = await self.session.execute(
            delete(PlaylistRow).where(PlaylistRow.user_id == user_id)
        )
        return int(getattr(result, "rowcount", 0))


#: A playlist's order: by position, then (for equal ones) by when and which item was added.
_PLAYLIST_ORDER = (
    PlaylistEntryRow.position,
    PlaylistEntryRow.added_at,
    PlaylistEntryRow.media_id,
)
#: What a list of playlists shows of each (:meth:`PlaylistEntryRepository.heads`): how many
#: items the caller sees, and the first of them with its thumbnail's key and stills' version.
PlaylistHead = tuple[int, uuid.UUID, str | None, str | None]


class PlaylistEntryRepository(SQLAlchemyAsyncRepository[PlaylistEntryRow]):
    """The items of playlists, one row per (playlist, item)."""

    model_type = PlaylistEntryRow
    id_attribute = "playlist_id"
    wrap_exceptions = False

    async def shown(self, playlist_id: uuid.UUID, *, visible_only: bool) -> list[MediaItemRow]:
        """The playlist's items in order; with ``visible_only`` only playable published ones."""
        viewers = VISIBLE_TO_VIEWERS if visible_only else ()
        rows = await self.session.scalars(
            select(MediaItemRow)
            .join(PlaylistEntryRow, PlaylistEntryRow.media_id == MediaItemRow.id)
            .where(PlaylistEntryRow.playlist_id == playlist_id, *viewers)
            .order_by(*_PLAYLIST_ORDER)
        )
        return list(rows)

    async def number(self, playlist_id: uuid.UUID) -> int:
        """How many entries the playlist has, whoever may see their items."""
        return await self.count(PlaylistEntryRow.playlist_id == playlist_id)

    async def of(self, playlist_id: uuid.UUID) -> list[PlaylistEntryRow]:
        """Every entry of the playlist, in order, whoever may see its item."""
        rows = await self.session.scalars(
            select(PlaylistEntryRow)
            .where(PlaylistEntryRow.playlist_id == playlist_id)
            .order_by(*_PLAYLIST_ORDER)
        )
        return list(rows)

    async def heads(
        self, playlist_ids: Sequence[uuid.UUID], *, visible_only: bool
    ) -> dict[uuid.UUID, PlaylistHead]:
        """For each of the playlists that shows an item: how many it shows, and its first
        item's id, thumbnail key and stills' version; one statement (window functions, on both backends)."""
        if not playlist_ids:
            return {}
        viewers = VISIBLE_TO_VIEWERS if visible_only else ()
        by_playlist = PlaylistEntryRow.playlist_id
        ranked = (
            select(
                by_playlist,
                PlaylistEntryRow.media_id,
                MediaItemRow.thumbnail_s3_key,
                MediaItemRow.stills_version,
                func.row_number()
                .over(partition_by=by_playlist, order_by=_PLAYLIST_ORDER)
                .label("n"),
                func.count().over(partition_by=by_playlist).label("shown"),
            )
            .join(MediaItemRow, MediaItemRow.id == PlaylistEntryRow.media_id)
            .where(by_playlist.in_(playlist_ids), *viewers)
            .subquery()
        )
        rows = await self.session.execute(
            select(
                ranked.c.playlist_id,
                ranked.c.shown,
                ranked.c.media_id,
                ranked.c.thumbnail_s3_key,
                ranked.c.stills_version,
            ).where(ranked.c.n == 1)
        )
        return {
            playlist: (shown, first, key, version) for playlist, shown, first, key, version in rows
        }

    async def holding(
        self, playlist_ids: Sequence[uuid.UUID], media_id: uuid.UUID, *, visible_only: bool
    ) -> set[uuid.UUID]:
        """Which of the playlists hold the item (none, for a viewer, while it is hidden)."""
        if not playlist_ids:
            return set()
        viewers = VISIBLE_TO_VIEWERS if visible_only else ()
        found = await self.session.scalars(
            select(PlaylistEntryRow.playlist_id)
            .join(MediaItemRow, MediaItemRow.id == PlaylistEntryRow.media_id)
            .where(
                PlaylistEntryRow.playlist_id.in_(playlist_ids),
                PlaylistEntryRow.media_id == media_id,
                *viewers,
            )
        )
        return set(found)

    async def last_position(self, playlist_id: uuid.UUID) -> int:
        """The position of the playlist's last entry (-1 when it has none)."""
        last = await self.session.scalar(
            select(func.max(PlaylistEntryRow.position)).where(
                PlaylistEntryRow.playlist_id == playlist_id
            )
        )
        return -1 if last is None else int(last)

    async def remove_one(self, playlist_id: uuid.UUID, media_id: uuid.UUID) -> bool:
        """Take the item out of the playlist; whether it was in it."""
        removed = await self.delete_where(
            PlaylistEntryRow.playlist_id == playlist_id, PlaylistEntryRow.media_id == media_id
        )
        return bool(removed)

    async def remove_item(self, media_id: uuid.UUID) -> None:
        """Take the item out of every playlist."""
        await self.session.execute(
            delete(PlaylistEntryRow).where(PlaylistEntryRow.media_id == media_id)
        )


#: A place in an item's comments, newest first: a comment's ``(created_at, id)``.
CommentPlace = tuple[datetime.datetime, uuid.UUID]
#: A comment and its author's display name (None without one).
NamedComment = tuple[CommentRow, str | None]
#: A comment, its author's display name and its item's title (the admins' list), and the
#: place in its list that a cursor after it names.
ListedComment = tuple[CommentRow, str | None, str, CommentPlace]


def _after(
    time: ColumnElement[datetime.datetime] | InstrumentedAttribute[datetime.datetime],
    key: InstrumentedAttribute[uuid.UUID],
    place: CommentPlace,
) -> ColumnElement[bool]:
    """Past ``place`` in the order ``time`` then ``key``, both descending (a keyset seek)."""
    created_at, comment_id = place
    return or_(time < created_at, and_(time == created_at, key < comment_id))


class CommentRepository(SQLAlchemyAsyncRepository[CommentRow]):
    """Comments on items, each read with its author's display name."""

    model_type = CommentRow
    wrap_exceptions = False

    async def page(
        self, item_id: uuid.UUID, *, after: CommentPlace | None, limit: int
    ) -> list[NamedComment]:
        """Up to ``limit`` of the item's top-level comments, newest first, from just after
        ``after`` (a seek on ``ix_catalogue_comments_item_created``, replies passed over)."""
        query = self._named().where(CommentRow.item_id == item_id, CommentRow.parent_id.is_(None))
        if after is not None:
            query = query.where(_after(CommentRow.created_at, CommentRow.id, after))
        query = query.order_by(CommentRow.created_at.desc(), CommentRow.id.desc()).limit(limit)
        return [(row, name) for row, name in await self.session.execute(query)]

    async def replies(
        self, parent_id: uuid.UUID, *, after: CommentPlace | None, limit: int
    ) -> list[NamedComment]:
        """Up to ``limit`` of the comment's replies, oldest first, from just after ``after``
        (a seek on ``ix_catalogue_comments_parent_created``, whatever the page)."""
        query = self._named().where(CommentRow.parent_id == parent_id)
        if after is not None:
            created_at, comment_id = after
            query = query.where(
                or_(
                    CommentRow.created_at > created_at,
                    and_(CommentRow.created_at == created_at, CommentRow.id > comment_id),
                )
            )
        query = query.order_by(CommentRow.created_at, CommentRow.id).limit(limit)
        return [(row, name) for row, name in await self.session.execute(query)]

    async def count_replies(self, counts: dict[uuid.UUID, int]) -> bool:
        """Add ``counts[comment]`` (negative: replies deleted; 0: only write-lock it, so a
        deletion of it waits) to each comment's reply count, in the database (concurrent
        replies all count); whether every comment was there."""
        found = True
        for comment_id, added in counts.items():
            result = await self.session.execute(
                update(CommentRow)
                .where(CommentRow.id == comment_id)
                .values(reply_count=CommentRow.reply_count + added)
                .execution_options(synchronize_session=False)
            )
            found = found and int(getattr(result, "rowcount", 0)) == 1
        return found

    async def named(self, comment_id: uuid.UUID) -> NamedComment | None:
        """The comment and its author's name, if it exists."""
        found = (
            await self.session.execute(self._named().where(CommentRow.id == comment_id))
        ).first()
        return None if found is None else (found[0], found[1])

    async def newest(
        self, *, after: CommentPlace | None, limit: int, author: uuid.UUID | None = None
    ) -> list[ListedComment]:
        """Up to ``limit`` of every item's comments (drafts' too), or ``author``'s alone,
        newest first, from just after ``after`` (a seek on ``ix_catalogue_comments_created``)."""
        query = (
            self._named()
            .add_columns(MediaItemRow.title)
            .join(MediaItemRow, MediaItemRow.id == CommentRow.item_id)
            .where(CommentRow.removed.is_(None))  # a placeholder has nothing to moderate
        )
        if author is not None:
            query = query.where(CommentRow.user_id == author)
        if after is not None:
            query = query.where(_after(CommentRow.created_at, CommentRow.id, after))
        query = query.order_by(CommentRow.created_at.desc(), CommentRow.id.desc()).limit(limit)
        return [
            (row, name, title, (row.created_at, row.id))
            for row, name, title in await self.session.execute(query)
        ]

    async def most_recently_reported(
        self, *, after: CommentPlace | None, limit: int, author: uuid.UUID | None = None
    ) -> list[ListedComment]:
        """Up to ``limit`` of the comments with reports (``author``'s alone, if given), the
        most recently reported first, from just after ``after`` (a comment's newest
        report's time and its id)."""
        last = func.max(CommentReportRow.created_at)
        reported = select(CommentReportRow.comment_id, last.label("last")).group_by(
            CommentReportRow.comment_id
        )
        if author is not None:
            reported = reported.join(
                CommentRow, CommentRow.id == CommentReportRow.comment_id
            ).where(CommentRow.user_id == author)
        if after is not None:
            reported = reported.having(_after(last, CommentReportRow.comment_id, after))
        keys = (
            reported.order_by(last.desc(), CommentReportRow.comment_id.desc())
            .limit(limit)
            .subquery()
        )
        query = (
            self._named()
            .add_columns(MediaItemRow.title, keys.c.last)
            .join(keys, keys.c.comment_id == CommentRow.id)
            .join(MediaItemRow, MediaItemRow.id == CommentRow.item_id)
            .order_by(keys.c.last.desc(), keys.c.comment_id.desc())
        )
        return [
            (row, name, title, (at, row.id))
            for row, name, title, at in await self.session.execute(query)
        ]

    @staticmethod
    def _named() -> Select[CommentRow, str | None]:
        return select(CommentRow, CommenterRow.display_name).outerjoin(
            CommenterRow, CommenterRow.user_id == CommentRow.user_id
        )

    async def remove_one(self, comment_id: uuid.UUID, removed: CommentRemoved) -> int:
        """Delete the comment, or, while it has replies, empty it into a placeholder for
        them (``removed`` why; its reports deleted); how many comments this call took (0:
        another did; a placeholder counts as one gone, its replies stay). The caller has
        written to it first, so on Postgres a reply's write to it comes before or after."""
        if await self._empty(CommentRow.id == comment_id, removed):
            return 1
        gone = await self.session.scalars(
            delete(CommentRow).where(CommentRow.id == comment_id).returning(CommentRow.id)
        )
        return len(gone.all())

    async def drop_emptied(self, comment_ids: Collection[uuid.UUID]) -> None:
        """Delete the placeholders among the comments that have no reply left."""
        if comment_ids:
            await self.session.execute(
                delete(CommentRow).where(
                    CommentRow.id.in_(comment_ids),
                    CommentRow.removed.is_not(None),
                    CommentRow.reply_count == 0,
                )
            )

    async def remove_user(
        self, user_id: uuid.UUID, removed: CommentRemoved
    ) -> dict[uuid.UUID, int]:
        """Delete every comment of the user; one that others' replies answer stays as a
        placeholder for them (``removed`` why; its reports deleted); how many went from each
        item. Its replies go first, each comment's count lowered (a placeholder left with
        none goes), so a comment's count then holds only the others' replies."""
        replies = (
            await self.session.execute(
                delete(CommentRow)
                .where(CommentRow.user_id == user_id, CommentRow.parent_id.is_not(None))
                .returning(CommentRow.item_id, CommentRow.parent_id)
            )
        ).all()
        counts: dict[uuid.UUID, int] = {}
        parents: dict[uuid.UUID, int] = {}
        for reply in replies:
            item_id, parent_id = reply.item_id, cast(uuid.UUID, reply.parent_id)
            counts[item_id] = counts.get(item_id, 0) + 1
            parents[parent_id] = parents.get(parent_id, 0) - 1
        await self.count_replies(parents)
        await self.drop_emptied(parents.keys())
        for item_id in await self._empty(CommentRow.user_id == user_id, removed):
            counts[item_id] = counts.get(item_id, 0) + 1
        comments = await self.session.execute(
            delete(CommentRow)
            .where(CommentRow.user_id == user_id)
            .returning(CommentRow.item_id, CommentRow.reply_count)
        )
        for item_id, replied in comments:
            counts[item_id] = counts.get(item_id, 0) + 1 + replied
        return counts

    async def _empty(self, which: ColumnElement[bool], removed: CommentRemoved) -> list[uuid.UUID]:
        """Empty the comments ``which`` that have replies into placeholders: no text, no
        author, no badge, ``removed`` why, their reports deleted; each one's item's id."""
        emptied = (
            await self.session.execute(
                update(CommentRow)
                .where(which, CommentRow.reply_count > 0, CommentRow.removed.is_(None))
                .values(body="", user_id=NO_AUTHOR, by_admin=False, edited_at=None, removed=removed)
                .returning(CommentRow.id, CommentRow.item_id)
                .execution_options(synchronize_session=False)
            )
        ).all()
        if emptied:
            await self.session.execute(
                delete(CommentReportRow).where(
                    CommentReportRow.comment_id.in_([row.id for row in emptied])
                )
            )
        return [row.item_id for row in emptied]

    async def remove_item(self, item_id: uuid.UUID) -> None:
        """Delete every comment on the item."""
        await self.session.execute(delete(CommentRow).where(CommentRow.item_id == item_id))


@dataclasses.dataclass(frozen=True, slots=True)
class ReportTally:
    """A comment's reports as the admins' list shows them."""

    count: int
    last: datetime.datetime
    #: The non-blank reasons, the newest first, at most as many as asked for.
    reasons: list[str]


class CommentReportRepository(SQLAlchemyAsyncRepository[CommentReportRow]):
    """Accounts' reports of comments (:mod:`streamstack.catalogue.comment_reports`)."""

    model_type = CommentReportRow
    wrap_exceptions = False

    async def report(
        self, comment_id: uuid.UUID, user_id: uuid.UUID, reason: str | None, at: datetime.datetime
    ) -> bool:
        """Keep the account's report of the comment, unless it reported it before (the
        first report, and its reason, kept): one statement, so two at once keep one;
        whether this one was kept (the account's first)."""
        dialect = self.session.get_bind().dialect.name
        statement = upsert_insert(dialect, CommentReportRow).values(
            comment_id=comment_id, user_id=user_id, reason=reason, created_at=at
        )
        kept = await self.session.execute(
            statement.on_conflict_do_nothing().returning(CommentReportRow.comment_id)
        )
        return kept.first() is not None

    async def reported_by(
        self, user_id: uuid.UUID, comment_ids: Sequence[uuid.UUID]
    ) -> set[uuid.UUID]:
        """Which of the comments the account reported (one query, whatever the page)."""
        if not comment_ids:
            return set()
        found = await self.session.scalars(
            select(CommentReportRow.comment_id).where(
                CommentReportRow.user_id == user_id,
                CommentReportRow.comment_id.in_(comment_ids),
            )
        )
        return set(found)

    async def tallies(
        self, comment_ids: Sequence[uuid.UUID], reasons: int
    ) -> dict[uuid.UUID, ReportTally]:
        """Each reported comment's count, newest report and up to ``reasons`` newest
        non-blank reasons: two queries, whatever the page."""
        if not comment_ids:
            return {}
        counted = await self.session.execute(
            select(
                CommentReportRow.comment_id,
                func.count(),
                func.max(CommentReportRow.created_at),
            )
            .where(CommentReportRow.comment_id.in_(comment_ids))
            .group_by(CommentReportRow.comment_id)
        )
        newest = (
            func.row_number()
            .over(
                partition_by=CommentReportRow.comment_id,
                order_by=(CommentReportRow.created_at.desc(), CommentReportRow.user_id.desc()),
            )
            .label("n")
        )
        ranked = (
            select(CommentReportRow.comment_id, CommentReportRow.reason, newest)
            .where(
                CommentReportRow.comment_id.in_(comment_ids),
                CommentReportRow.reason.is_not(None),
            )
            .subquery()
        )
        said: dict[uuid.UUID, list[str]] = {}
        for comment_id, reason in await self.session.execute(
            select(ranked.c.comment_id, ranked.c.reason)
            .where(ranked.c.n <= reasons)
            .order_by(ranked.c.comment_id, ranked.c.n)
        ):
            said.setdefault(comment_id, []).append(reason)
        return {
            comment_id: ReportTally(count, last, said.get(comment_id, []))
            for comment_id, count, last in counted
        }

    async def dismiss(self, comment_id: uuid.UUID) -> None:
        """Delete the comment's reports (the comment stays)."""
        await self.session.execute(
            delete(CommentReportRow).where(CommentReportRow.comment_id == comment_id)
        )

    async def remove_user(self, user_id: uuid.UUID) -> None:
        """Delete the reports the account made."""
        await self.session.execute(
            delete(CommentReportRow).where(CommentReportRow.user_id == user_id)
        )


class CommenterRepository(SQLAlchemyAsyncRepository[CommenterRow]):
    """The names shown with accounts' comments, each the newest known."""

    model_type = CommenterRow
    id_attribute = "user_id"
    wrap_exceptions = False

    async def name(
        self, user_id: uuid.UUID, display_name: str | None, named_at: datetime.datetime
    ) -> None:
        """Keep ``display_name`` for the account unless a name as of a later time is kept
        already: one statement, so an event and a post racing keep the newer."""
        dialect = self.session.get_bind().dialect.name
        statement = upsert_insert(dialect, CommenterRow).values(
            user_id=user_id, display_name=display_name, named_at=named_at
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id"],
                set_={
                    "display_name": statement.excluded.display_name,
                    "named_at": statement.excluded.named_at,
                },
                where=CommenterRow.named_at < statement.excluded.named_at,
            )
        )

    async def remove_user(self, user_id: uuid.UUID) -> None:
        """Forget the account's name."""
        await self.session.execute(delete(CommenterRow).where(CommenterRow.user_id == user_id))


LikedRow = tuple[LikeRow, MediaItemRow]


class LikeRepository(SQLAlchemyAsyncRepository[LikeRow]):
    """Which accounts like which items (:mod:`streamstack.catalogue.likes`), one row per
    (account, item)."""

    model_type = LikeRow
    id_attribute = "item_id"
    wrap_exceptions = False

    async def like(self, user_id: uuid.UUID, item_id: uuid.UUID, at: datetime.datetime) -> bool:
        """Keep the account's like of the item; whether this call added it (one statement:
        of two at once, or a like repeated, one adds it and the count goes up once)."""
        dialect = self.session.get_bind().dialect.name
        statement = upsert_insert(dialect, LikeRow).values(
            user_id=user_id, item_id=item_id, liked_at=at
        )
        added = await self.session.execute(
            statement.on_conflict_do_nothing().returning(LikeRow.item_id)
        )
        return added.first() is not None

    async def unlike(self, user_id: uuid.UUID, item_id: uuid.UUID) -> bool:
        """Delete the account's like of the item; whether this call deleted it."""
        result = await self.session.execute(
            delete(LikeRow).where(LikeRow.user_id == user_id, LikeRow.item_id == item_id)
        )
        return int(getattr(result, "rowcount", 0)) == 1

    async def likes(self, user_id: uuid.UUID, item_id: uuid.UUID) -> bool:
        """Whether the account likes the item."""
        return await self.exists(LikeRow.user_id == user_id, LikeRow.item_id == item_id)

    async def page(
        self, user_id: uuid.UUID, *, visible_only: bool, limit: int, offset: int
    ) -> tuple[list[LikedRow], int, int]:
        """The account's likes with their items, the most recently liked first, how many
        in all and how many more are kept out of sight (:func:`_listed_and_unavailable`);
        with ``visible_only`` only playable published items."""
        kept = (
            select(LikeRow, MediaItemRow)
            .join(MediaItemRow, MediaItemRow.id == LikeRow.item_id)
            .where(LikeRow.user_id == user_id)
        )
        total, unavailable = await _listed_and_unavailable(
            self.session, kept, visible_only=visible_only
        )
        if not total:
            return [], 0, unavailable
        rows = await self.session.execute(
            kept.where(*(VISIBLE_TO_VIEWERS if visible_only else ()))
            .order_by(LikeRow.liked_at.desc(), LikeRow.item_id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [(like, item) for like, item in rows], total, unavailable

    async def remove_user(self, user_id: uuid.UUID) -> list[uuid.UUID]:
        """Delete every like of the account; the items it liked."""
        gone = await self.session.scalars(
            delete(LikeRow).where(LikeRow.user_id == user_id).returning(LikeRow.item_id)
        )
        return list(gone)

    async def remove_item(self, item_id: uuid.UUID) -> None:
        """Delete every account's like of the item (where a backend does not cascade)."""
        await self.session.execute(delete(LikeRow).where(LikeRow.item_id == item_id))


def _live_link(now: datetime.datetime) -> ColumnElement[bool]:
    """A share link neither stopped nor expired at ``now``."""
    return and_(
        ShareLinkRow.revoked_at.is_(None),
        or_(ShareLinkRow.expires_at.is_(None), ShareLinkRow.expires_at > now),
    )


#: A share link and the name of the admin who made it (None when the catalogue knows none).
MadeLink = tuple[ShareLinkRow, str | None]


class ShareLinkRepository(SQLAlchemyAsyncRepository[ShareLinkRow]):
    """Items' share links (:mod:`streamstack.catalogue.shares`)."""

    model_type = ShareLinkRow
    wrap_exceptions = False

    async def live_count(self, item_id: uuid.UUID, now: datetime.datetime) -> int:
        """How many of the item's links are neither stopped nor expired at ``now``."""
        return await self.count(ShareLinkRow.item_id == item_id, _live_link(now))

    async def of_item(self, item_id: uuid.UUID, limit: int) -> list[MadeLink]:
        """The item's ``limit`` newest links, live and ended alike, each with its maker's
        name as the comments show it (None when the catalogue knows none)."""
        rows = await self.session.execute(
            select(ShareLinkRow, CommenterRow.display_name)
            .outerjoin(CommenterRow, CommenterRow.user_id == ShareLinkRow.created_by)
            .where(ShareLinkRow.item_id == item_id)
            .order_by(ShareLinkRow.created_at.desc(), ShareLinkRow.id.desc())
            .limit(limit)
        )
        return [(link, name) for link, name in rows]

    async def live_made_by(
        self, user_id: uuid.UUID, now: datetime.datetime, limit: int
    ) -> tuple[int, list[tuple[ShareLinkRow, str]]]:
        """How many links ``user_id`` made are live at ``now``, and the ``limit`` newest of
        them, each with its item's title."""
        made = (ShareLinkRow.created_by == user_id, _live_link(now))
        rows = await self.session.execute(
            select(ShareLinkRow, MediaItemRow.title)
            .join(MediaItemRow, MediaItemRow.id == ShareLinkRow.item_id)
            .where(*made)
            .order_by(ShareLinkRow.created_at.desc(), ShareLinkRow.id.desc())
            .limit(limit)
        )
        return await self.count(*made), [(link, title) for link, title in rows]

    async def stop_made_by(
        self,
        user_id: uuid.UUID,
        now: datetime.datetime,
        reason: str,
        made_until: datetime.datetime | None,
    ) -> list[uuid.UUID]:
        """Stop, for ``reason``, every link ``user_id`` made (up to ``made_until``, if
        given) that is not stopped yet; their ids (none the second time: a stopped link
        keeps when and why it stopped)."""
        made = [ShareLinkRow.created_by == user_id, ShareLinkRow.revoked_at.is_(None)]
        if made_until is not None:
            made.append(ShareLinkRow.created_at <= made_until)
        stopped = await self.session.execute(
            update(ShareLinkRow)
            .where(*made)
            .values(revoked_at=now, revoked_reason=reason)
            .returning(ShareLinkRow.id)
            .execution_options(synchronize_session=False)
        )
        return list(stopped.scalars())

    async def watchable(
        self, secret: str, now: datetime.datetime
    ) -> tuple[ShareLinkRow, MediaItemRow] | None:
        """The link of ``secret`` and its item, if the link is live at ``now`` and its item
        published and playable (listed or not); None otherwise, whichever it is."""
        found = await self.session.execute(
            select(ShareLinkRow, MediaItemRow)
            .join(MediaItemRow, MediaItemRow.id == ShareLinkRow.item_id)
            .where(ShareLinkRow.secret == secret, _live_link(now), *VISIBLE_TO_VIEWERS)
        )
        row = found.one_or_none()
        return None if row is None else (row[0], row[1])

    async def totals(self, item_id: uuid.UUID) -> tuple[int, int]:
        """How often the item's links were opened, and played, all of them (ended ones too)."""
        found = await self.session.execute(
            select(
                func.coalesce(func.sum(ShareLinkRow.opens), 0),
                func.coalesce(func.sum(ShareLinkRow.plays), 0),
            ).where(ShareLinkRow.item_id == item_id)
        )
        opens, plays = found.one()
        return int(opens), int(plays)

    async def issue_ticket(
        self, share_id: uuid.UUID, now: datetime.datetime, ended: datetime.datetime
    ) -> uuid.UUID:
        """A new play ticket for one load of the link's page, at ``now``; tickets of any
        link issued before ``ended`` are deleted on the way (unreported: never played)."""
        await self.session.execute(delete(PlayTicketRow).where(PlayTicketRow.opened_at < ended))
        ticket = uuid.uuid4()
        self.session.add(PlayTicketRow(id=ticket, share_id=share_id, opened_at=now))
        return ticket

    async def count_play(
        self, share_id: uuid.UUID, ticket: uuid.UUID, ended: datetime.datetime
    ) -> bool:
        """Count one play of the link by ``ticket`` (its own, issued at or after ``ended``),
        which is spent so; False for any other ticket, nothing counted."""
        spent = await self.session.execute(
            delete(PlayTicketRow)
            .where(
                PlayTicketRow.id == ticket,
                PlayTicketRow.share_id == share_id,
                PlayTicketRow.opened_at >= ended,
            )
            .returning(PlayTicketRow.id)
            .execution_options(synchronize_session=False)
        )
        if spent.first() is None:
            return False
        await self.session.execute(
            update(ShareLinkRow)
            .where(ShareLinkRow.id == share_id)
            .values(plays=ShareLinkRow.plays + 1)
        )
        return True

    async def count_open(self, share_id: uuid.UUID, now: datetime.datetime) -> None:
        """One more open of the link, at ``now`` (one statement: opens at once all count)."""
        await self.session.execute(
            update(ShareLinkRow)
            .where(ShareLinkRow.id == share_id)
            .values(opens=ShareLinkRow.opens + 1, last_opened_at=now)
        )

    async def remove_item(self, item_id: uuid.UUID) -> None:
        """Delete the item's links and their play tickets (where a backend does not cascade)."""
        links = select(ShareLinkRow.id).where(ShareLinkRow.item_id == item_id)
        await self.session.execute(delete(PlayTicketRow).where(PlayTicketRow.share_id.in_(links)))
        await self.session.execute(delete(ShareLinkRow).where(ShareLinkRow.item_id == item_id))


class ItemDayRepository(SQLAlchemyAsyncRepository[ItemDayRow]):
    """Each item's views and watch time by day (UTC), one row per (item, day)."""

    model_type = ItemDayRow
    id_attribute = "item_id"
    wrap_exceptions = False

    async def tally(
        self, item_id: uuid.UUID, day: datetime.date, *, views: int = 0, watched: float = 0.0
    ) -> None:
        """Add ``views`` and ``watched`` seconds to the item's day, in one statement (an
        upsert adding in the database: reports at once all count, the first of a day too)."""
        dialect = self.session.get_bind().dialect.name
        statement = upsert_insert(dialect, ItemDayRow).values(
            item_id=item_id, day=day, views=views, watch_seconds=watched
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["item_id", "day"],
                set_={
                    "views": ItemDayRow.views + statement.excluded.views,
                    "watch_seconds": ItemDayRow.watch_seconds + statement.excluded.watch_seconds,
                },
            )
        )

    async def of_item(self, item_id: uuid.UUID, since: datetime.date) -> list[ItemDayRow]:
        """The item's days from ``since`` on that have a row, oldest first."""
        rows = await self.session.scalars(
            select(ItemDayRow)
            .where(ItemDayRow.item_id == item_id, ItemDayRow.day >= since)
            .order_by(ItemDayRow.day)
        )
        return list(rows)

    async def remove_item(self, item_id: uuid.UUID) -> None:
        """Delete the item's days (where a backend does not cascade)."""
        await self.session.execute(delete(ItemDayRow).where(ItemDayRow.item_id == item_id))


class CatalogueStore:
    """The catalogue's repositories, all on one session: what a use case works with."""

    def __init__(self, session: AsyncSession) -> None:
        self.items = MediaItemRepository(session=session)
        self.tags = MediaTagRepository(session=session)
        self.captions = CaptionTrackRepository(session=session)
        self.outbox = OutboxRepository(session)
        self.progress = WatchProgressRepository(session=session)
        self.viewings = ViewingRepository(session=session)
        self.playlists = PlaylistRepository(session=session)
        self.playlist_entries = PlaylistEntryRepository(session=session)
        self.comments = CommentRepository(session=session)
        self.commenters = CommenterRepository(session=session)
        self.comment_reports = CommentReportRepository(session=session)
        self.shares = ShareLinkRepository(session=session)
        self.likes = LikeRepository(session=session)
        self.days = ItemDayRepository(session=session)


@asynccontextmanager
async def unit_of_work(database: Database) -> AsyncIterator[CatalogueStore]:
    """One session and one transaction: committed when the block ends, rolled back if it
    raises (database unreachable → 503)."""
    async with database.unit_of_work() as session:
        yield CatalogueStore(session)


@asynccontextmanager
async def reading(database: Database) -> AsyncIterator[CatalogueStore]:
    """One session for reads only: nothing to commit, no write lock taken on SQLite."""
    async with database.session() as session:
        yield CatalogueStore(session)


#: Joins an item's tags in one column; a tag is one line, so it never holds this character.
TAG_SEPARATOR = "\x1f"


class ItemPages:
    """Pages of items read with Core on one connection: the items, their tags and the
    total come back from ONE statement (one round trip; one thread hop on SQLite)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def page(
        self,
        query: ItemQuery,
        search: SearchQuery,
        *,
        limit: int,
        offset: int,
        total: int | None = None,
    ) -> tuple[Sequence[Sequence[Any]], int]:
        """The rows of one page (``SHOWN_COLUMNS``, then ``tags``, then ``total``) and
        how many items match in all (counted only when ``total`` is not known already);
        searches are ordered by relevance first."""
        bound = BOUND_ITEM if query.item_id is not None else None
        shape = PageShape(
            dataclasses.replace(query, tag="?" if query.tag else "", item_id=bound),
            search.words,
            self.connection.dialect.name,
            counted=total is None,
        )
        statement, count = _page_statements(shape)
        values: dict[str, Any] = {
            "page_limit": limit,
            "page_offset": offset,
            "page_end": offset + limit,
        }
        if query.tag:
            values["tag"] = query.tag
        if query.item_id is not None:
            values["item_id"] = query.item_id
        if total is not None:
            values["known_total"] = total
        driver = _driver_statement(shape, self.connection.dialect)
        rows: Sequence[Sequence[Any]]
        if driver is not None:
            rows = await driver.rows(self.connection, values)
        else:
            rows = list(await self.connection.execute(statement, values))
        if rows:
            return rows, int(rows[0][-1])
        if total is not None:
            return [], total
        if offset == 0:
            # An empty first page: nothing matches. Counting would read every candidate
            # again (a search matching nothing, the costliest, paid its scan twice).
            return [], 0
        # Past the last page: the page is empty, yet the total must be true.
        values.pop("page_limit"), values.pop("page_offset"), values.pop("page_end")
        return [], int((await self.connection.execute(count, values)).scalar_one())


@dataclasses.dataclass(frozen=True, slots=True)
class PageShape:
    """What a list statement depends on, all but its values (tag, limit, offset, total):
    equal shapes share one statement, built once."""

    #: The query, its tag replaced by "?" (bound at execution) or "" (none).
    query: ItemQuery
    words: tuple[str, ...]
    dialect: str
    #: Whether the statement counts the matching items (the total is not known yet).
    counted: bool


#: How many items, in the list's own order, a search tier is tested on to tell a dense
#: tier (read by walking that order) from a sparse one (read through the search index).
SAMPLE = 256
#: Matches in the sample that make a tier dense: then a walk of :data:`WALK_WINDOW` items
#: should fill a page (2 in 256 is 32 in 4,096).
SAMPLE_HITS = 2
#: How far along the list's order a tier is walked at most: if its items lie further
#: (all of them old, say), the tier is read through the index after all.
WALK_WINDOW = 4096


@functools.lru_cache(maxsize=512)
def _page_statements(shape: PageShape) -> tuple[Executable, Executable]:
    """The page statement and the bare count of ``shape``; building them cost more than
    running them (SQLAlchemy's compiled-SQL cache only spares the compilation)."""
    search = SearchQuery(shape.words)
    match = search.fts_match() if search and shape.dialect == "sqlite" else None
    # With the FTS5 hits at hand, SQLite must start from them (a few items, found by
    # primary key) rather than walk a status index through every item.
    conditions = shape.query.conditions(status_seekable=match is None)
    conditions += search.conditions(shape.dialect)
    if match is not None:
        conditions.append(MediaItemRow.id.in_(fts_hits(match)))
    counted = (
        select(func.count()).select_from(MediaItemRow).where(*conditions).correlate(None)
    ).scalar_subquery()
    known = counted if shape.counted else bindparam("known_total", type_=Integer)
    ordering = shape.query.ordering()
    if search:
        keys = _search_keys(search, shape.query, shape.dialect)
        order = [keys.c.relevance.desc(), *ordering]
    else:
        # A deferred join: the page's ids come from the sort's index alone (the rows an
        # OFFSET skips are neither read from the table nor given their tags); only the
        # page's own rows are then read, by primary key.
        keys = _paged(select(MediaItemRow.id).where(*conditions).order_by(*ordering))
        order = ordering
    statement = (
        select(*SHOWN_COLUMNS, _tags(shape.dialect).label("tags"), known.label("total"))
        .join_from(MediaItemRow, keys, MediaItemRow.id == keys.c.id)
        .order_by(*order)
    )
    if search and shape.dialect == "postgresql":
        statement = _planned_once(statement)
    return statement, select(counted)


#: A statement :func:`_planned_once` writes the values into.
_Statement = TypeVar("_Statement", bound=ClauseElement)


def _planned_once(statement: _Statement) -> _Statement:
    """``statement`` with every value written into its SQL but the known total, which
    only the select list reads: what PostgreSQL plans once per connection.

    asyncpg prepares each statement; PostgreSQL plans a prepared statement with values
    bound at every execution (they may change the plan: a generic plan of the list, its
    LIMIT unknown, sorted every item), and a search's statement, a dozen scans in CTEs,
    took as long to plan (1.5 ms at 100,000 items) as to run. Without such values it
    is planned once and the plan kept (a value that is only selected changes no plan,
    so PostgreSQL keeps it after five executions). Each page of a search is then a
    statement of its own, as each search is already (its words are written in too:
    :func:`~streamstack.catalogue.search._inline`).
    """

    def written_out(bind: BindParameter[Any]) -> None:
        if bind.key != "known_total":
            bind.literal_execute = True

    return cloned_traverse(statement, {}, {"bindparam": written_out})


@functools.lru_cache(maxsize=512)
def _driver_statement(shape: PageShape, dialect: Dialect) -> DriverStatement | None:
    """The page statement of ``shape`` as SQLite's driver runs it (None on PostgreSQL).
    A search's patterns are part of its shape: they are written into this SQL once."""
    statement, _ = _page_statements(shape)
    return DriverStatement.compile(cast(Select[Any], statement), dialect)


def _paged(keys: Select[Any]) -> Subquery:
    page = keys.limit(bindparam("page_limit", type_=Integer))
    return page.offset(bindparam("page_offset", type_=Integer)).subquery("page_keys")


def _search_keys(search: SearchQuery, query: ItemQuery, dialect: str) -> Subquery:
    """The ids (and relevance) of a search's page: the first ``page_end`` items of each
    tier, best tier first (a tier is not read once those above it fill the page), then
    the page cut from them."""
    tiers: list[CTE] = []
    #: The tiers later ones wait on (see SearchTier.fills_pages).
    filling: list[CTE] = []
    found = search.tiers(dialect)
    for index, (tier, dense) in enumerate(zip(found, _densities(found, query), strict=True)):
        above = sum((_count(done) for done in filling), literal_column("0", Integer))
        needed = above < _END
        tiers.append(_tier_keys(tier, index, query, dialect, needed=needed, dense=dense))
        if tier.fills_pages:
            filling.append(tiers[-1])
    hits = union_all(*(select(t.c.id, t.c.relevance) for t in tiers)).subquery("hits")
    ranked = (
        select(hits.c.id, hits.c.relevance)
        .join_from(hits, MediaItemRow, MediaItemRow.id == hits.c.id)
        .order_by(hits.c.relevance.desc(), *query.ordering())
    )
    return _paged(ranked)


def _densities(tiers: Sequence[SearchTier], query: ItemQuery) -> list[ColumnElement[bool] | None]:
    """Per tier, whether it is dense near the head of the list's order: at least
    :data:`SAMPLE_HITS` of its first :data:`SAMPLE` items (None for a ranked tier, read
    through the index whatever it holds). Tiers that share their sample
    (:attr:`SearchTier.shares_sample`) are counted in one walk of it."""
    found: list[ColumnElement[bool] | None] = []
    group: list[SearchTier] = []
    for index, tier in enumerate(tiers):
        if tier.ranked:
            found.append(None)
            continue
        group.append(tier)
        following = tiers[index + 1] if index + 1 < len(tiers) else None
        if tier.shares_sample and following is not None and not following.ranked:
            continue
        found.extend(_dense(group, index + 1 - len(group), query))
        group = []
    return found


def _dense(tiers: Sequence[SearchTier], first: int, query: ItemQuery) -> list[ColumnElement[bool]]:
    """Whether each of ``tiers`` (numbered from ``first``) is dense in one sample of the
    list's head: its count of each tier's items, one materialized row when there are
    several (each walk of the sample reads 256 items: a tier more cost 0.3 ms)."""
    sample = _head(query, SAMPLE, f"sample_{first}")
    if len(tiers) == 1:
        sampled = select(func.count()).select_from(sample).where(*_on(sample, tiers[0].conditions))
        return [sampled.scalar_subquery() >= SAMPLE_HITS]
    counts = [
        func.count().filter(and_(*_on(sample, tier.conditions))).label(f"hits_{number}")
        for number, tier in enumerate(tiers)
    ]
    hits = select(*counts).select_from(sample).cte(f"sample_hits_{first}")
    hits = hits.prefix_with("MATERIALIZED")
    return [select(column).scalar_subquery() >= SAMPLE_HITS for column in hits.c]


def _tier_keys(
    tier: SearchTier,
    index: int,
    query: ItemQuery,
    dialect: str,
    *,
    needed: ColumnElement[bool],
    dense: ColumnElement[bool] | None,
) -> CTE:
    """The first ``page_end`` items of one tier (none unless ``needed``), in page order.

    A tier whose items all rank alike and which is ``dense`` near the head of the list's
    order (:func:`_densities`) is read by walking that order, stopping at ``page_end``
    (:data:`WALK_WINDOW` items at most); otherwise (a sparse or ranked tier, or a walk
    that came up short) through the search index.
    """
    if tier.ranked or dense is None:
        ranked = _tier_from_index(tier, index, query, dialect, when=[needed])
        return _wrapped(ranked).cte(f"tier_{index}").prefix_with("MATERIALIZED")
    relevance = literal_column(str(tier.relevance), Integer).label("relevance")
    window = _head(query, WALK_WINDOW, f"window_{index}")
    walk = select(window.c.id, relevance).where(*_on(window, tier.conditions))
    if dialect == "sqlite":
        # SQLite would sort the whole window again (so never stop early): its window is a
        # co-routine that yields items in order, and the walk takes them as they come.
        walk = _only_if(walk, and_(needed, dense), _END)
    else:
        # The window's order is the page's; PostgreSQL knows it and sorts nothing.
        walk = walk.where(needed, dense).order_by(*_on(window, query.ordering())).limit(_END)
    walked_cte = walk.cte(f"walk_{index}").prefix_with("MATERIALIZED")
    walked = _count(walked_cte) >= _END
    from_index = _tier_from_index(tier, index, query, dialect, when=[needed, ~walked])
    found: CompoundSelect[Any] = union_all(
        select(walked_cte.c.id, walked_cte.c.relevance).where(walked), _wrapped(from_index)
    )
    return found.cte(f"tier_{index}").prefix_with("MATERIALIZED")


def _tier_from_index(
    tier: SearchTier,
    index: int,
    query: ItemQuery,
    dialect: str,
    *,
    when: Sequence[ColumnElement[bool]],
) -> Select[Any]:
    """One tier's first ``page_end`` items, found through the search index (the FTS5
    hits on SQLite, a trigram index scan on PostgreSQL), if ``when`` holds."""
    sqlite = dialect == "sqlite"
    conditions = query.conditions(status_seekable=not (sqlite and tier.fts is not None))
    conditions += tier.conditions
    if sqlite and tier.fts is not None:
        conditions.append(MediaItemRow.id.in_(fts_hits(tier.fts)))
    if isinstance(tier.relevance, int):
        relevance: ColumnElement[int] = literal_column(str(tier.relevance), Integer)
    else:
        relevance = tier.relevance
    keys: list[Any] = [MediaItemRow.id, *_SORT_COLUMNS, relevance.label("relevance")]
    # Materialized: every match is read through the index first, then sorted (the
    # planner cannot turn it into a walk along a sort index, testing every item).
    matches: Select[Any] = select(*keys).where(*conditions)
    # -1: no limit (SQLite).
    matches = _only_if(matches, and_(*when), -1) if sqlite else matches.where(*when)
    found = matches.cte(f"matches_{index}").prefix_with("MATERIALIZED")
    ordering = _on(found, query.ordering())
    if not isinstance(tier.relevance, int):
        ordering.insert(0, found.c.relevance.desc())
    return select(found.c.id, found.c.relevance).order_by(*ordering).limit(_END)


def _only_if(
    rows: Select[Any], condition: ColumnElement[bool], limit: int | BindParameter[int]
) -> Select[Any]:
    """``rows`` (at most ``limit`` of them) if ``condition`` holds, else none.

    For SQLite, whose WHERE tests even a constant condition on every row (after filling
    an IN list from the FTS5 index): a LIMIT of 0 stops the statement before it starts.
    PostgreSQL tests such a condition once, before reading anything (a one-time filter).
    """
    return rows.limit(case((condition, limit), else_=0))


def _head(query: ItemQuery, size: int, name: str) -> Subquery:
    """The first ``size`` items of the list (its filters, its order): what a walk reads."""
    head = select(*_WINDOW_COLUMNS).where(*query.conditions()).order_by(*query.ordering())
    return head.limit(size).subquery(name)


def _on(source: FromClause, clauses: Sequence[ColumnElement[Any]]) -> list[ColumnElement[Any]]:
    """``clauses`` on ``media_items``, rewritten to read ``source``'s columns instead."""
    adapter = ClauseAdapter(source)
    return [adapter.traverse(clause) for clause in clauses]


def _count(rows: FromClause) -> ScalarSelect[int]:
    return select(func.count()).select_from(rows).scalar_subquery()


def _wrapped(part: Select[Any]) -> Select[Any]:
    """``part`` as a member of a UNION ALL (SQLite allows no ORDER BY or LIMIT in one)."""
    inner = part.subquery()
    return select(inner.c.id, inner.c.relevance)


#: ``page_end`` (offset + limit): how many items of each tier a page may need.
_END = bindparam("page_end", type_=Integer)
#: The columns the list orders by.
_SORT_COLUMNS = (
    MediaItemRow.created_at,
    MediaItemRow.published_at,
    MediaItemRow.title_order,
    MediaItemRow.duration_seconds,
    MediaItemRow.view_count,
)


#: What a tier's walk reads of each item: the id, the sort keys and the searched texts.
_WINDOW_COLUMNS = (
    MediaItemRow.id,
    *_SORT_COLUMNS,
    MediaItemRow.title_key,
    MediaItemRow.title_words,
    MediaItemRow.search_text,
)


def _tags(dialect: str) -> ScalarSelect[str]:
    """An item's tags joined by ``TAG_SEPARATOR`` (NULL without tags), per row."""
    tag = MediaTagRow.tag
    if dialect == "postgresql":
        joined = func.string_agg(tag, literal(TAG_SEPARATOR))
    else:
        joined = func.group_concat(tag, TAG_SEPARATOR)
    return select(joined).where(MediaTagRow.media_id == MediaItemRow.id).scalar_subquery()


def sorted_tags(joined: str | None) -> list[str]:
    """The tags of a :func:`_tags` column, sorted (as ``ORDER BY tag`` sorts on SQLite)."""
    return sorted(joined.split(TAG_SEPARATOR)) if joined else []


@asynccontextmanager
async def listing(database: Database) -> AsyncIterator[ItemPages]:
    """A connection for list pages (database unreachable → 503).

    A bare Core connection from the pool: list pages are one SELECT and need nothing of
    an ORM session, whose set-up and close cost a list request a tenth of its time.
    """
    async with _read_connection(database) as connection:
        yield ItemPages(connection)


@asynccontextmanager
async def _read_connection(database: Database) -> AsyncIterator[AsyncConnection]:
    """A bare Core connection from the pool for reads (database unreachable → 503)."""
    async with unavailable_as_503(), database.reads.connect() as connection:
        yield connection


#: An item as the API shows it: the values of ``SHOWN_COLUMNS`` in their order (more may
#: follow), and its sorted tags.
ShownItem = tuple[Sequence[Any], list[str]]


class RelatedItemsReader(Protocol):
    """Reads what to watch after an item (:func:`related_reading` gives the backend's)."""

    async def related(
        self, item_id: uuid.UUID, *, admin: bool, limit: int, viewer: uuid.UUID | None
    ) -> list[ShownItem]:
        """The items :meth:`MediaItemRepository.related` chooses, with their tags, the
        next title of the item's numbered series first if there is one a viewer can play
        (:func:`_next_in_series`: what Up next offers; for the ``viewer``, the first of
        the series' following titles they have not finished); 404 as
        :meth:`MediaItemRepository.visible` if the caller may not see ``item_id``."""
        ...


@asynccontextmanager
async def related_reading(database: Database) -> AsyncIterator[RelatedItemsReader]:
    """Where related items are read (database unreachable → 503): on SQLite in two
    statements its driver runs on a bare connection (:class:`SqliteRelatedItems`), on
    PostgreSQL statement by statement in a session (:class:`SessionRelatedItems`)."""
    if database.is_sqlite:
        async with _read_connection(database) as connection:
            yield SqliteRelatedItems(connection)
    else:
        async with reading(database) as store:
            yield SessionRelatedItems(store)


class SessionRelatedItems:
    """Related items read through the session's repositories, statement by statement.

    PostgreSQL's way: the one statement of :class:`SqliteRelatedItems` relies on SQLite
    reading a subquery in its order, and PostgreSQL planned the walks, fallbacks and
    ranking as one statement by joining a tag's every item (6.5 ms planning, 13 ms
    execution at 100,000 items).
    """

    def __init__(self, store: CatalogueStore) -> None:
        self._store = store

    async def related(
        self, item_id: uuid.UUID, *, admin: bool, limit: int, viewer: uuid.UUID | None
    ) -> list[ShownItem]:
        """See :class:`RelatedItemsReader`."""
        current = await self._store.items.visible(item_id, admin=admin)
        rows = await self._store.items.related(item_id, limit, viewer)
        tags = await self._store.tags.of_items([row.id for row in rows])
        related: list[ShownItem] = [(shown_values(row), tags.get(row.id, [])) for row in rows]
        numbers = series_numbers(current.title_key)
        if not numbers:
            return related
        session = self._store.items.session
        dialect = session.get_bind().dialect.name
        statement = _next_in_series(len(numbers), dialect, viewer is not None)
        found = (await session.execute(statement, _series_values(numbers, viewer))).all()
        return _series_first([_shown_row(row) for row in found], related, limit)


class SqliteRelatedItems:
    """Related items read on SQLite in two statements its driver runs
    (:class:`~streamstack.kernel.db.DriverStatement`): the item's tags, if the caller may
    see it, then the related items with their tags, chosen as
    :meth:`MediaItemRepository.related` chooses them: the tags' walks, a rare tag's sorted
    items, the ranking and the fill-up in one statement (:func:`_related_in_one`); a
    third, for a title with a number, looks up the next of its series.

    SQLite's own work is the same (2 ms for a signed-in viewer at 100,000 items); what
    goes is SQLAlchemy's around it: five statements through an ORM session, each four
    thread hops, the candidates' ids made uuids and bound back, ORM rows. In one process
    at 100,000 items, a signed-in viewer's related items took 11.5-13 ms that way and
    4-5 ms this way; anyone's 7.5-9 ms and 2 ms.
    """

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def related(
        self, item_id: uuid.UUID, *, admin: bool, limit: int, viewer: uuid.UUID | None
    ) -> list[ShownItem]:
        """See :class:`RelatedItemsReader`."""
        dialect = self._connection.dialect
        item = await _item_tags(admin, dialect).rows(self._connection, {"item": item_id})
        if not item:
            raise NotFound("no such media item")
        mine = sorted_tags(item[0][1])
        values: dict[str, Any] = {
            "item": item_id,
            "limit": limit,
            "per_tag": RELATED_PER_TAG * limit * (1 if viewer is None else 2),
            "viewer": viewer,
        }
        values.update((f"tag_{index}", tag) for index, tag in enumerate(mine))
        statement = _related_driver(len(mine), viewer is not None, dialect)
        related = [_shown_row(row) for row in await statement.rows(self._connection, values)]
        numbers = series_numbers(item[0][2])
        if not numbers:
            return related
        following = _next_in_series_driver(len(numbers), viewer is not None, dialect)
        found = await following.rows(self._connection, _series_values(numbers, viewer))
        return _series_first([_shown_row(row) for row in found], related, limit)


def _shown_row(row: Sequence[Any]) -> ShownItem:
    """A row of ``SHOWN_COLUMNS`` then the joined tags, as an item shown."""
    return row, sorted_tags(row[len(SHOWN_COLUMNS)])


def _series_first(
    following: list[ShownItem], related: list[ShownItem], limit: int
) -> list[ShownItem]:
    """``related`` with the next title of the item's series (``following``: it or none)
    first, where Up next offers it: moved there, or put there in place of the last."""
    if not following:
        return related
    first = following[0][0][0]
    return [following[0], *(item for item in related if item[0][0] != first)][:limit]


@functools.lru_cache(maxsize=16)
def _next_in_series(numbers: int, dialect: str, signed_in: bool) -> Executable:
    """``SHOWN_COLUMNS`` then the tags of the next title of an item's series, if a viewer
    can play it: for each of the title's last ``numbers`` numbers (:func:`series_numbers`,
    bound as ``after_0``, ``pattern_0`` …), the first title in the title order with a
    greater one there and the same words around, up to a subtitle; the last number's
    first. With ``signed_in``, the first such title ``viewer`` has not watched to the end comes before
    (the last number's, then the others'); if they finished every one, the plain next.

    One seek each on the viewers' title index (``status, playable, title_order``): the
    titles between ``after`` and ``before`` are read in order until one is the same title
    but its numbers (at most the series' items with other words around their numbers), for
    the viewer until one they have not finished (a lookup by watch progress's key each).
    """
    kinds = (True, False) if signed_in else (False,)
    members: list[Select[Any]] = []
    for rank, (unfinished, index) in enumerate(itertools.product(kinds, range(numbers))):
        wanted = [*LISTED_TO_VIEWERS, *_in_series(index)]
        if unfinished:
            wanted.append(~_finished_by(_VIEWER))
        first = (
            select(MediaItemRow.id, literal_column(str(rank), Integer).label("rank"))
            .where(*wanted)
            .order_by(MediaItemRow.title_order, MediaItemRow.id)
            .limit(1)
            .subquery()
        )
        members.append(select(first.c.id, first.c.rank))
    found = (members[0] if len(members) == 1 else union_all(*members)).subquery("series")
    return (
        select(*SHOWN_COLUMNS, _tags(dialect).label("tags"))
        .join_from(MediaItemRow, found, MediaItemRow.id == found.c.id)
        .order_by(found.c.rank)
        .limit(1)
    )


def _in_series(index: int) -> list[ColumnElement[bool]]:
    """Whether an item's title is the bound ``index``-th :class:`SeriesNumber`'s title
    with a greater number: in its range of the title order, then its prefix, a number and
    its words with a number between each two, exactly (``pattern``: at least a character
    where each number stands; ``unnumbered``: nothing but digits there), then nothing, or
    for a subtitled title a subtitle mark and anything (``subtitle``; NULL, never, for
    another)."""
    order = MediaItemRow.title_order
    unnumbered = _unnumbered(order.expression)
    marked = unnumbered
    for mark in SUBTITLE_MARKS[1:]:
        marked = func.replace(marked, literal(mark, String), literal(SUBTITLE_MARKS[0], String))
    subtitles = (bindparam(f"subtitle_{index}_{n}", type_=String) for n in range(2))
    return [
        order >= bindparam(f"after_{index}", type_=String),
        order < bindparam(f"before_{index}", type_=String),
        order.like(bindparam(f"pattern_{index}", type_=String), escape="\\"),
        or_(
            unnumbered == bindparam(f"unnumbered_{index}", type_=String),
            *(marked.like(subtitle, escape="\\") for subtitle in subtitles),
        ),
    ]


def _unnumbered(order: ColumnElement[str]) -> ColumnElement[str]:
    """``order`` without its digits (a title_order writes its numbers in ASCII digits
    alone, and only them so): neither backend's SQL has one function for it."""
    for digit in string.digits:
        order = func.replace(order, literal(digit, String), literal("", String))
    return order


def _series_values(numbers: Sequence[SeriesNumber], viewer: uuid.UUID | None) -> dict[str, Any]:
    """The values :func:`_next_in_series` binds for ``numbers`` and the ``viewer``."""
    values: dict[str, Any] = {"viewer": viewer}
    for index, number in enumerate(numbers):
        # "_%": a number is at least one digit.
        words = "_%".join(escape_like(word) for word in number.words)
        marked = escape_like(subtitle_marked(number.unnumbered))
        values.update(
            {
                f"after_{index}": number.after,
                f"before_{index}": number.before,
                f"pattern_{index}": f"{escape_like(number.prefix)}_%{words}"
                + ("%" if number.subtitled else ""),
                f"unnumbered_{index}": number.unnumbered,
            }
        )
        # A subtitle's mark right after the number, or after a space.
        for n, space in enumerate(("", " ")):
            subtitle = f"{marked}{space}{SUBTITLE_MARKS[0]}%" if number.subtitled else None
            values[f"subtitle_{index}_{n}"] = subtitle
    return values


#: The values :func:`_related_in_one` binds: the item, how many it answers, how many
#: candidates each tag offers, and the signed-in viewer.
_ITEM = bindparam("item", type_=Uuid)
_LIMIT = bindparam("limit", type_=Integer)
_PER_TAG = bindparam("per_tag", type_=Integer)
_VIEWER = bindparam("viewer", type_=Uuid)


@functools.lru_cache(maxsize=4)
def _item_tags(admin: bool, dialect: Dialect) -> DriverStatement:
    """``(id, tags, title_key)`` of the item, if ``admin`` or if viewers can see it; else
    no row."""
    viewers = () if admin else VISIBLE_TO_VIEWERS
    statement = select(MediaItemRow.id, _tags(dialect.name), MediaItemRow.title_key).where(
        MediaItemRow.id == _ITEM, *viewers
    )
    return _driven(statement, dialect)


@functools.lru_cache(maxsize=64)
def _related_driver(tags: int, signed_in: bool, dialect: Dialect) -> DriverStatement:
    """:func:`_related_in_one` for an item with ``tags`` tags, compiled once."""
    return _driven(_related_in_one(tags, signed_in), dialect)


@functools.lru_cache(maxsize=16)
def _next_in_series_driver(numbers: int, signed_in: bool, dialect: Dialect) -> DriverStatement:
    """:func:`_next_in_series` for a title with ``numbers`` numbers, compiled once."""
    return _driven(_next_in_series(numbers, dialect.name, signed_in), dialect)


def _driven(statement: Executable, dialect: Dialect) -> DriverStatement:
    driver = DriverStatement.compile(cast(Select[Any], statement), dialect)
    # Not for PostgreSQL, and every value is bound as is (no expanding IN).
    assert driver is not None, "a statement only SQLite's driver runs"
    return driver


def _related_in_one(tags: int, signed_in: bool) -> Executable:
    """SQLite's related items of ``item`` (``SHOWN_COLUMNS``, then the tags) in one
    statement: those sharing its ``tags`` tags (bound as ``tag_0`` …), ranked, then the
    most viewed others, up to ``limit``; with ``signed_in``, what ``viewer`` finished last.

    As :meth:`MediaItemRepository.related` reads them in turn: the candidates are each
    tag's ``per_tag`` first items walking the most-viewed head, or, for a tag the walk
    finds fewer of, its sorted items (:func:`_tag_candidates`); the fill-up reads nothing
    (its LIMIT is 0) when the ranked items are enough.
    """
    finished_last = _finished_last(_VIEWER if signed_in else None)
    mine = [bindparam(f"tag_{index}", type_=String) for index in range(tags)]
    ranked = _ranked_candidates(mine, finished_last) if mine else None
    conditions = [*LISTED_TO_VIEWERS, MediaItemRow.id != _ITEM]
    wanted: ColumnElement[int] = _LIMIT
    if ranked is not None:
        conditions.append(MediaItemRow.id.not_in(select(ranked.c.id)))
        wanted = _LIMIT - _count(ranked)
    others = (
        select(*_picked_columns(1, finished_last), literal_column("0", Integer).label("shared"))
        .where(*conditions)
        .order_by(*finished_last, *_MOST_VIEWED)
        .limit(wanted)
        .subquery("others")
    )
    parts = [select(*others.c)] if ranked is None else [select(*ranked.c), select(*others.c)]
    picked = (parts[0] if ranked is None else union_all(*parts)).subquery("picked")
    order = [picked.c.part, *(picked.c.finished for _ in finished_last)]
    return (
        select(*SHOWN_COLUMNS, _tags("sqlite").label("tags"))
        .join_from(MediaItemRow, picked, MediaItemRow.id == picked.c.id)
        .order_by(*order, picked.c.shared.desc(), *_MOST_VIEWED)
    )


def _picked_columns(part: int, finished_last: tuple[ColumnElement[bool], ...]) -> list[Any]:
    """``id``, ``part`` (0: ranked, 1: the fill-up) and, for a viewer, ``finished``: what
    orders the picked items, with ``shared``."""
    finished = [condition.label("finished") for condition in finished_last]
    return [MediaItemRow.id, literal_column(str(part), Integer).label("part"), *finished]


def _ranked_candidates(
    mine: Sequence[BindParameter[str]], finished_last: tuple[ColumnElement[bool], ...]
) -> CTE:
    """``(id, part 0, [finished,] shared)`` of the first ``limit`` candidates of the
    tags ``mine``, ranked: what the viewer finished last, then sharing the most tags, then
    the most viewed."""
    head = _most_viewed_head(_ITEM)
    candidates = union_all(
        *(member for index, tag in enumerate(mine) for member in _tag_candidates(head, tag, index))
    )
    shared = func.count().label("shared")
    return (
        select(*_picked_columns(0, finished_last), shared)
        .join(MediaTagRow, MediaTagRow.media_id == MediaItemRow.id)
        .where(MediaItemRow.id.in_(candidates), MediaTagRow.tag.in_(mine))
        .group_by(MediaItemRow.id)
        .order_by(*finished_last, shared.desc(), *_MOST_VIEWED)
        .limit(_LIMIT)
        .cte("ranked")
        .prefix_with("MATERIALIZED")
    )


def _tag_candidates(head: Subquery, tag: BindParameter[str], index: int) -> list[Select[Any]]:
    """The ids a tag offers as candidates, as two UNION ALL members: its walk of ``head``
    if that found ``per_tag`` items, else its sorted items (:meth:`MediaItemRepository.
    _most_viewed_tagged`'s two ways, decided in SQL)."""
    walk = _walked(head, tag, _PER_TAG, "sqlite").cte(f"walk_{index}").prefix_with("MATERIALIZED")
    walked = _count(walk) == _PER_TAG
    rarer = _only_if(_sorted_members(tag, _ITEM), ~walked, _PER_TAG).subquery()
    return [select(walk.c.id).where(walked), select(rarer.c.id)]
