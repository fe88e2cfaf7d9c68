"""A list page read by the driver itself (SQLite's fast path) is the page SQLAlchemy reads.

``ItemPages.page`` runs SQLite's page statements through aiosqlite directly and converts
the values with the columns' own result processors (kernel ``DriverStatement``); every
value of every row must come out as SQLAlchemy gives it, for every shape of list, searches
included (their LIKE patterns written into the SQL once, quotes, backslashes, ``%`` and
``_`` kept literal).
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from typing import Any

import pytest
from sqlalchemy import insert

from streamstack.catalogue.items import derived_columns, normalize_tags
from streamstack.catalogue.listing import listed_item
from streamstack.catalogue.models import MediaItemRow, MediaTagRow
from streamstack.catalogue.repository import (
    ItemQuery,
    PageShape,
    _driver_statement,
    _page_statements,
    listing,
)
from streamstack.catalogue.search import SearchQuery
from support.apps import AppClient

START = datetime.datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=datetime.UTC)
#: Characters that quote, escape or match in SQL and LIKE, in some items' descriptions.
PUNCTUATION = ' it\'s 50%_off \\ "q"'


def varied_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Items whose values take every form a column allows: nulls, flags, renditions."""
    items, tags = [], []
    for i in range(40):
        item_id = uuid.uuid4()
        title = f"Item {i:02d} é"
        description = f"row {i}" + (" glacier" if i % 2 else "") + (PUNCTUATION * (i % 4 == 1))
        item_tags = normalize_tags(["all", f"mod{i % 3}"][: 1 + i % 2]) if i % 5 else []
        when = START + datetime.timedelta(minutes=i, microseconds=i)
        published = i % 4 != 0
        items.append(
            {
                "id": item_id,
                "title": title,
                "description": description,
                "status": "published" if published else "draft",
                "s3_key": f"media/{item_id}.mp4",
                "size_bytes": 10**10 + i,
                "content_type": "video/mp4",
                "duration_seconds": None if i % 7 == 0 else i * 1.5,
                "video_codec": None if i % 6 == 0 else "h264",
                "audio_codec": None if i % 6 == 1 else "aac",
                "width": None if i % 7 == 0 else 1920,
                "height": None if i % 7 == 0 else 1080,
                "fps": None if i % 7 == 0 else 29.97,
                "thumbnail_s3_key": f"thumbs/{item_id}.jpg" if i % 2 else None,
                **derived_columns(title, description, item_tags),
                "created_by": "tester",
                "created_at": when,
                "updated_at": when + datetime.timedelta(seconds=i),
                "published_at": when if published else None,
                "original_playable": i % 3 != 0,
                "playable": i % 3 != 0,
                "processing_state": ("none", "queued", "running", "ready", "failed")[i % 5],
                "processing_percent": i % 101,
                "processing_detail": "it broke" if i % 5 == 4 else None,
                "renditions": [{"height": 360, "bandwidth": 800_000}] if i % 3 == 2 else [],
                "has_hls": i % 3 == 2,
                "has_storyboard": i % 2 == 0,
            }
        )
        tags += [{"media_id": item_id, "tag": tag} for tag in item_tags]
    return items, tags


QUERIES = [
    ItemQuery(status=None, tag="", sort="newest"),
    ItemQuery(status="published", tag="", sort="oldest", playable_only=True),
    ItemQuery(status="draft", tag="", sort="title"),
    ItemQuery(status=None, tag="all", sort="duration"),
    ItemQuery(status=None, tag="", sort="longest", processing_state="failed"),
]
#: No search, one word, a typo (the search index's path), and SQL's own characters.
SEARCHES = [SearchQuery(()), *map(SearchQuery.parse, ["row", "glaicer", PUNCTUATION])]


@pytest.mark.parametrize("backend_kind", ["embedded"])
async def test_driver_pages_equal_sqlalchemy_pages(catalogue_client: AppClient) -> None:
    database = catalogue_client.app.state.backends.database
    items, tags = varied_rows()
    async with database.session() as session, session.begin():
        await session.execute(insert(MediaItemRow), items)
        await session.execute(insert(MediaTagRow), tags)
    found: set[SearchQuery] = set()
    for query in QUERIES:
        for search in SEARCHES:
            for total in (None, 17):
                if await same_page(database, query, search, total):
                    found.add(search)
    assert found == set(SEARCHES)


async def same_page(
    database: Any, query: ItemQuery, search: SearchQuery, total: int | None
) -> bool:
    """Whether the driver's page of ``query`` equals SQLAlchemy's (asserted), and has rows."""
    async with listing(database) as pages:
        shape = PageShape(
            dataclasses.replace(query, tag="?" if query.tag else ""),
            search.words,
            "sqlite",
            counted=total is None,
        )
        assert _driver_statement(shape, pages.connection.dialect) is not None
        values: dict[str, Any] = {"page_limit": 9, "page_offset": 3, "page_end": 12}
        values |= {"tag": query.tag} if query.tag else {}
        values |= {"known_total": total} if total is not None else {}
        statement, _ = _page_statements(shape)
        expected = [tuple(row) for row in await pages.connection.execute(statement, values)]
        rows, counted = await pages.page(query, search, limit=9, offset=3, total=total)
    assert [tuple(row) for row in rows] == expected, (query, search)
    if not expected:
        return False
    assert [type(v) for v in rows[0]] == [type(v) for v in expected[0]]
    assert counted == (total if total is not None else expected[0][-1])
    for admin in (True, False):
        assert [listed_item(r, admin=admin) for r in rows] == [
            listed_item(r, admin=admin) for r in expected
        ]
    return True
