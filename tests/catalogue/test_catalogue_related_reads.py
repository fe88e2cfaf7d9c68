"""SQLite reads related items (Up next) in one statement of its own; PostgreSQL statement
by statement through the session. Both must choose the same items in the same order: here
SQLite's statement answers what the session's statements answer on the same catalogue."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from sqlalchemy import insert

from streamstack.catalogue.items import SHOWN_COLUMNS, derived_columns, normalize_tags
from streamstack.catalogue.models import MediaItemRow, MediaTagRow, WatchProgressRow
from streamstack.catalogue.repository import (
    RELATED_WALK,
    SessionRelatedItems,
    ShownItem,
    SqliteRelatedItems,
    reading,
    related_reading,
)
from streamstack.kernel.db import Database
from streamstack.kernel.errors import NotFound
from support.apps import AppClient

pytestmark = pytest.mark.parametrize("backend_kind", ["embedded"])

#: More items than the most-viewed head a tag's walk reads, so some walks come up short.
ITEMS = RELATED_WALK + 500
START = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
#: Who finished some items (and half watched others), and who watched nothing.
FINISHER, STRANGER = uuid.UUID(int=1 << 100), uuid.UUID(int=2 << 100)


def item_id(i: int) -> uuid.UUID:
    return uuid.UUID(int=i + 1)


def views(i: int) -> int:
    """Few distinct counts (ties broken by the newest, then the id); 0 for 1 item in 13."""
    return (i * 7919) % 13


def tags_of(i: int) -> list[str]:
    """ "common" fills its walk; "tail" is on many items, few of them in the most-viewed
    head (its walk comes up short: its items are sorted instead); "solo" is on two items,
    "pair" on ten; one item in eleven has no tags at all."""
    if i % 11 == 0:
        return []
    tags = ["common"] if i % 3 == 0 else []
    tags += ["five"] if i % 5 == 0 else []
    tags += ["tail"] if views(i) == 0 or i % 97 == 0 else []
    tags += ["solo"] if i in (101, 901) else []
    tags += ["pair"] if 1200 <= i < 1210 else []
    return normalize_tags(tags)


def item_row(i: int) -> dict[str, Any]:
    title = f"Item {i:04d}"
    published = i % 50 != 0
    # Two items to a minute: equal counts and times, told apart by the id.
    when = START + datetime.timedelta(minutes=i // 2)
    return {
        "id": item_id(i),
        "title": title,
        "description": "seeded",
        "status": "published" if published else "draft",
        "s3_key": f"{item_id(i)}.mp4",
        "size_bytes": 1000 + i,
        "content_type": "video/mp4",
        "duration_seconds": 60.0,
        **derived_columns(title, "seeded", tags_of(i)),
        "created_by": "seeder",
        "created_at": when,
        "updated_at": when,
        "published_at": when if published else None,
        "playable": i % 37 != 0,
        "view_count": views(i),
    }


#: What the finisher finished: every sixth of the first 600 items (some share tags with
#: the items asked about) and the newest of the most viewed (what a fill-up offers first).
FINISHED = {*range(0, 600, 6), *(i for i in range(ITEMS - 200, ITEMS) if views(i) == 12)}


def progress_row(i: int) -> dict[str, Any]:
    """The finisher's row for item ``i``: finished (:data:`FINISHED`) or half watched."""
    return {
        "user_id": FINISHER,
        "media_id": item_id(i),
        "position_seconds": 60.0 if i in FINISHED else 30.0,
        "duration_seconds": 60.0,
        "completed": i in FINISHED,
        "updated_at": START,
    }


async def seed(database: Database) -> None:
    async with database.session() as session, session.begin():
        await session.execute(insert(MediaItemRow), [item_row(i) for i in range(ITEMS)])
        tags = [{"media_id": item_id(i), "tag": t} for i in range(ITEMS) for t in tags_of(i)]
        await session.execute(insert(MediaTagRow), tags)
        watched = [progress_row(i) for i in sorted(FINISHED | set(range(0, 600, 4)))]
        await session.execute(insert(WatchProgressRow), watched)


async def both_ways(
    database: Database, item: uuid.UUID, *, admin: bool, limit: int, viewer: uuid.UUID | None
) -> tuple[list[ShownItem], list[ShownItem]]:
    """What SQLite's statement and the session's statements answer."""
    async with related_reading(database) as reader:
        assert isinstance(reader, SqliteRelatedItems)
        one = await reader.related(item, admin=admin, limit=limit, viewer=viewer)
    async with reading(database) as store:
        each = await SessionRelatedItems(store).related(
            item, admin=admin, limit=limit, viewer=viewer
        )
    return one, each


def shown(items: list[ShownItem]) -> list[tuple[tuple[Any, ...], list[str]]]:
    """The shown values (a row of SQLite's also carries the joined tags) and tags."""
    return [(tuple(values)[: len(SHOWN_COLUMNS)], tags) for values, tags in items]


async def test_sqlites_one_statement_chooses_what_the_sessions_statements_choose(
    catalogue_client: AppClient,
) -> None:
    database = catalogue_client.app.state.backends.database
    await seed(database)
    # common+five; common+tail; tail alone (sorted, not walked); solo (one other); no
    # tags; common+pair (sharing two or one); the newest.
    asked = [15, 39, 13, 101, 121, 1203, ITEMS - 1]
    assert [tags_of(i) for i in (39, 13, 121, 1203)] == [
        ["common", "tail"],
        ["tail"],
        [],
        ["common", "pair"],
    ]
    for i in asked:
        for limit in (1, 3, 8, 24):
            for viewer in (None, FINISHER, STRANGER):
                one, each = await both_ways(
                    database, item_id(i), admin=False, limit=limit, viewer=viewer
                )
                assert shown(one) == shown(each), (i, limit, viewer)
                assert len(one) == limit, (i, limit, viewer)
    # An admin looking at a draft is offered what viewers could watch after it.
    one, each = await both_ways(database, item_id(50), admin=True, limit=8, viewer=None)
    assert shown(one) == shown(each) and len(one) == 8


async def test_what_the_finisher_finished_comes_after_the_rest_in_sqlites_statement(
    catalogue_client: AppClient,
) -> None:
    database = catalogue_client.app.state.backends.database
    await seed(database)
    for_everyone, _ = await both_ways(database, item_id(39), admin=False, limit=24, viewer=None)
    mine, _ = await both_ways(database, item_id(39), admin=False, limit=24, viewer=FINISHER)
    finished = {item_id(i) for i in FINISHED}
    # Some of everyone's are finished; for the finisher, those come after the rest, past
    # the 24 (enough candidates are left).
    assert {values[0] for values, _ in for_everyone} & finished
    assert len(mine) == 24 and not {values[0] for values, _ in mine} & finished


async def test_sqlites_statement_is_404_for_what_the_caller_may_not_see(
    catalogue_client: AppClient,
) -> None:
    database = catalogue_client.app.state.backends.database
    await seed(database)
    for i in (50, 37, ITEMS + 1):  # a draft, an unplayable item, no item
        with pytest.raises(NotFound):
            await both_ways(database, item_id(i), admin=False, limit=8, viewer=None)
