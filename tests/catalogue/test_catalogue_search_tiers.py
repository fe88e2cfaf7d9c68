"""A search page filled tier by tier is exactly the page of every match ranked at once.

A search reads each relevance tier either by walking the list's own order (a dense tier)
or through the search index (a sparse one, a ranked one, or a walk that came up short),
and skips tiers once those above fill the page. Every one of those paths must give the
page a plain ranking of every match gives: this test ranks the catalogue in Python and
compares, on both backends, for queries chosen so that each path is taken.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from catalogue_testing import API, admin_headers, create_item
from sqlalchemy import insert, text

from streamstack.catalogue.items import derived_columns, normalize_tags
from streamstack.catalogue.models import MediaItemRow, MediaTagRow
from streamstack.catalogue.repository import WALK_WINDOW
from streamstack.catalogue.search import (
    DIGITS,
    FUZZY_WORDS,
    SearchQuery,
    edits,
    number_start_regex,
    whole_word_regex,
)
from support.apps import AppClient, running_app
from support.fixtures import SettingsFactory

#: More items than a walk reads, so that a tier can lie beyond the window.
ITEMS = WALK_WINDOW + 400
START = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)


def title_of(i: int) -> str:
    if i % 1500 == 42:
        return "Lagoon"  # the query itself: first of all
    if i == 2001:
        return "Clip 0"  # two words, the query itself: before "Clip 0003" and the like
    words = [f"Clip {i:04d}"]
    if i % 3 == 0:
        words.append("lagoon")  # a dense title tier
    elif i % 5 == 1:
        words.append("Lagoons")  # "lagoon" as part of a word: after it as a whole word
    if i % 997 == 5:
        words.append("Glacier")  # a sparse title tier beside a dense one elsewhere
    return " ".join(words)


def description_of(i: int) -> str:
    words = ["seeded"]
    if i % 10 == 0:
        words.append("glacier")  # dense, exact elsewhere; "glaicer" finds it by a typo
    if i >= ITEMS - 3 or i < 40:
        words.append("marmot")  # the newest three, then only far beyond any walk's window
    if i % 50 == 7:
        words.append("glacial")  # a forgiven typo of "glacier" ("glaci.r" is no match)
    return " ".join(words)


def seed_rows() -> list[dict[str, Any]]:
    rows = []
    for i in range(ITEMS):
        title, description = title_of(i), description_of(i)
        tags = normalize_tags([f"mod{n}" for n in (2, 3) if i % n == 0])
        when = START + datetime.timedelta(minutes=i)
        published = i % 7 != 0
        rows.append(
            {
                "id": uuid.UUID(int=i + 1),
                "title": title,
                "description": description,
                "status": "published" if published else "draft",
                "s3_key": f"media/{i}.mp4",
                "size_bytes": 1000 + i,
                "content_type": "video/mp4",
                "duration_seconds": float(i % 600),
                **derived_columns(title, description, tags),
                "created_by": "seeder",
                "created_at": when,
                "updated_at": when,
                "published_at": when if published else None,
                "playable": i % 11 != 0,
                "tags": tags,
            }
        )
    return rows


def holds(word: str, text: str) -> bool:
    """Whether ``text`` holds ``word`` as it is (a number only where a number begins)."""
    if DIGITS.match(word):
        return re.search(number_start_regex(word), text) is not None
    return word in text


def matcher(index: int, word: str) -> Callable[[str], bool]:
    """Whether a text holds ``word`` (with one typo forgiven, as the search does)."""
    if index >= FUZZY_WORDS or len(edits(word)) == 1:
        return lambda text: holds(word, text)
    patterns = [re.compile(".".join(re.escape(piece) for piece in edit)) for edit in edits(word)]
    return lambda text: any(p.search(text) for p in patterns)


def relevance(words: tuple[str, ...], title: str, text: str) -> int:
    """One word: 6 the title itself, 5 a whole word of another title, 4 part of one, 2
    exactly elsewhere, 1 by a typo. Several: per word 5 a whole word of the title, 4 part
    of one, 2 exactly elsewhere, 1 by a typo; 1 more for the title that is the query."""
    if len(words) == 1:
        word = words[0]
        if title == word:
            return 6
        if word in title:
            return 5 if re.search(whole_word_regex(word), title) else 4
        return 2 if word in text else 1
    score = int(title == " ".join(words))
    for word in words:
        if holds(word, title):
            score += 5 if re.search(whole_word_regex(word), title) else 4
        else:
            score += 2 if holds(word, text) else 1
    return score


def expected_ids(rows: list[dict[str, Any]], q: str, *, admin: bool, sort: str) -> list[uuid.UUID]:
    """Every match, ranked by :func:`relevance`, then in the list's order."""
    words = SearchQuery.parse(q).words
    tests = [matcher(index, word) for index, word in enumerate(words)]
    found = []
    for row in rows:
        if not admin and not (row["status"] == "published" and row["playable"]):
            continue
        text = row["search_text"]
        if not all(test(text) for test in tests):
            continue
        found.append((relevance(words, row["title_key"], text), row))
    when = "created_at" if admin else "published_at"
    keys: dict[str, Callable[[dict[str, Any]], Any]] = {
        "newest": lambda r: (r[when], r["id"]),
        "oldest": lambda r: (r[when], r["id"]),
        "title": lambda r: (r["title_order"], r["id"]),
        "longest": lambda r: (r["duration_seconds"], r["id"]),
    }
    descending = sort in ("newest", "longest")
    found.sort(key=lambda pair: keys[sort](pair[1]), reverse=descending)
    found.sort(key=lambda pair: pair[0], reverse=True)  # stable: relevance first
    return [row["id"] for _, row in found]


#: Queries and the paths they take: "lagoon" a dense title tier (walked); "glacier" a
#: sparse title tier then a dense one elsewhere; "glaicer" two empty tiers then a dense
#: typo tier; "marmot" dense at the head yet short within the window (the walk falls
#: back to the index); "clip 0" and "glacier lagoon" several words (a ranked tier);
#: "xylophone" nothing; "cli" a word too short to forgive a typo; "lagono" a typo of six
#: letters (the index finds its candidates by the pieces every one of its variants holds).
QUERIES = [
    "lagoon",
    "glacier",
    "glaicer",
    "marmot",
    "clip 0",
    "glacier lagoon",
    "xylophone",
    "cli",
    "lagono",
]


@pytest.fixture
async def unbudgeted_client(settings_factory: SettingsFactory) -> AsyncIterator[AppClient]:
    """The catalogue, its viewers' search budget beyond what a test asks (hundreds of
    searches from one address in seconds: the pages are proved here, not the budget)."""
    settings = settings_factory(modules=("catalogue",), search_burst=100_000)
    async with running_app(settings) as client:
        yield client


async def test_tiered_pages_equal_a_full_ranking(unbudgeted_client: AppClient) -> None:
    catalogue_client = unbudgeted_client
    rows = seed_rows()
    tags = [{"media_id": row["id"], "tag": tag} for row in rows for tag in row["tags"]]
    items = [{key: value for key, value in row.items() if key != "tags"} for row in rows]
    database = catalogue_client.app.state.backends.database
    async with database.session() as session, session.begin():
        await session.execute(insert(MediaItemRow), items)
        await session.execute(insert(MediaTagRow), tags)
    admin = admin_headers(catalogue_client.app.state.settings)
    # Pages deep enough that a walk cannot fill them (page_end past the window), too.
    pages = [(1, 24), (2, 24), (1, 100), (45, 100)]
    for q in QUERIES:
        for role in ("admin", "viewer"):
            for sort in ("newest", "oldest", "title", "longest"):
                every = expected_ids(rows, q, admin=role == "admin", sort=sort)
                for page, size in pages:
                    params: dict[str, Any] = {"q": q, "sort": sort, "page": page}
                    params["page_size"] = size
                    headers = None
                    if role == "admin":
                        params["status"] = "all"
                        headers = admin
                    r = await catalogue_client.get(f"{API}/", params=params, headers=headers)
                    assert r.status_code == 200, r.text
                    body = r.json()
                    got = [uuid.UUID(item["id"]) for item in body["items"]]
                    want = every[(page - 1) * size : page * size]
                    assert got == want, (q, role, sort, page, size)
                    assert body["total"] == len(every), (q, role, sort)


async def fts_rows(client: AppClient, match: str) -> int | None:
    """How many rows SQLite's FTS5 index finds for ``match`` (None on PostgreSQL)."""
    database = client.app.state.backends.database
    if not database.is_sqlite:
        return None
    async with database.engine.connect() as connection:
        statement = text("SELECT count(*) FROM media_search WHERE media_search MATCH :m")
        return int((await connection.execute(statement, {"m": match})).scalar_one())


async def test_the_search_index_follows_every_change(catalogue_client: AppClient) -> None:
    """The index (contentless FTS5 on SQLite, keyed by ``media_search_keys``) learns each
    new text and forgets the old one: renames, new descriptions, deletions."""
    client, settings = catalogue_client, catalogue_client.app.state.settings
    admin = admin_headers(settings)

    async def found(q: str) -> list[str]:
        r = await client.get(f"{API}/", params={"q": q, "status": "all"}, headers=admin)
        assert r.status_code == 200, r.text
        return [item["title"] for item in r.json()["items"]]

    item = await create_item(client, settings, title="Alpine meadow", description="cows")
    await create_item(client, settings, title="Other", description="nothing alike")
    assert await found("alpine") == ["Alpine meadow"]
    assert await fts_rows(client, 'title_words : "alpine"') in (1, None)
    r = await client.patch(f"{API}/{item['id']}", json={"title": "Coastal dunes"}, headers=admin)
    assert r.status_code == 200, r.text
    assert await found("alpine") == []
    assert await found("dunes") == ["Coastal dunes"]
    assert await fts_rows(client, '"alpine"') in (0, None)
    # Its new whole word (title_words, the index's title column), not only its letters.
    assert await fts_rows(client, 'title_words : " dunes "') in (1, None)
    assert await fts_rows(client, 'title_words : " alpine "') in (0, None)
    assert await found("coastal") == ["Coastal dunes"]
    r = await client.patch(f"{API}/{item['id']}", json={"description": "goats"}, headers=admin)
    assert await found("cows") == [] and await found("goats") == ["Coastal dunes"]
    assert (await client.delete(f"{API}/{item['id']}", headers=admin)).status_code == 204
    assert await found("dunes") == [] and await found("goats") == []
    assert await fts_rows(client, '"dunes" OR "goats"') in (0, None)
    assert await fts_rows(client, '"other"') in (1, None)


#: A tag of SQL's own characters: PostgreSQL's search statement carries its values in its
#: SQL (the page, the tag, the status), so each must come out as the value it is.
ODD_TAG = "it's \\ 50%_off"


async def test_search_pages_carry_the_tag_and_page_they_were_asked_for(
    catalogue_client: AppClient,
) -> None:
    client, settings = catalogue_client, catalogue_client.app.state.settings
    admin = admin_headers(settings)
    made = []
    for i in range(7):
        tags = [ODD_TAG] if i % 3 else ["its 50 off"]  # a near miss of the odd tag
        title = f"Glacier walk {i}"
        made.append(await create_item(client, settings, title=title, tags=tags))
    await create_item(client, settings, title="Meadow", tags=[ODD_TAG])  # no match
    newest_first = [item["title"] for item in reversed(made) if ODD_TAG in item["tags"]]
    assert len(newest_first) == 4
    for headers in (admin, None):  # an admin's totals are counted, then known for 2 s
        for asked in range(2):  # once with the total counted, once with it known
            pages = []
            for page in (1, 2, 3):
                params = {"q": "glaicer", "tag": ODD_TAG, "page": page, "page_size": 3}
                r = await client.get(f"{API}/", params=params, headers=headers)
                assert r.status_code == 200, r.text
                body = r.json()
                assert (body["total"], body["page"], body["page_size"]) == (4, page, 3), asked
                pages.append([item["title"] for item in body["items"]])
            assert pages == [newest_first[:3], newest_first[3:], []], (headers, asked)


async def test_the_title_that_is_the_query_comes_first_then_whole_words(
    catalogue_client: AppClient,
) -> None:
    client, settings = catalogue_client, catalogue_client.app.state.settings
    titles = ("Episode", "Episode 1", "Episode 100", "Episode 10, part 1", "Episode 11")
    for title in (*titles, "Episode 12"):
        await create_item(client, settings, title=title)

    async def found(q: str) -> list[str]:
        r = await client.get(f"{API}/", params={"q": q})
        assert r.status_code == 200, r.text
        return [item["title"] for item in r.json()["items"]]

    # The newest first among equals: the title that is the query is the oldest.
    assert await found("episode 1") == [
        "Episode 1",
        "Episode 10, part 1",  # "1" a whole word of it
        "Episode 12",
        "Episode 11",
        "Episode 100",
    ]
    assert await found("EPISODE   1") == await found("episode 1")  # folded alike
    # One word: the title that is the word, then every other title holding it alike.
    assert await found("Épisode") == [
        "Episode",
        "Episode 12",
        "Episode 11",
        "Episode 10, part 1",
        "Episode 100",
        "Episode 1",
    ]


async def test_one_word_ranks_titles_holding_it_whole_before_those_holding_part_of_it(
    catalogue_client: AppClient,
) -> None:
    """ "cat" finds "The cat sat" before "Concatenate", however new the latter (the list's
    order only breaks ties within each)."""
    client, settings = catalogue_client, catalogue_client.app.state.settings
    for title in (
        "Cat",
        "The cat sat",
        "Catalogue tour",
        "Cat-flap fixes",
        "Concatenate",
        "Bobcats",
    ):
        await create_item(client, settings, title=title)

    r = await client.get(f"{API}/", params={"q": "cat"})

    assert r.status_code == 200, r.text
    assert [item["title"] for item in r.json()["items"]] == [
        "Cat",
        "Cat-flap fixes",
        "The cat sat",
        "Bobcats",
        "Concatenate",
        "Catalogue tour",
    ]
    # A word holding a separator: whole ("cat-flap") or inside a word ("t-flap"), each
    # found by the index, where the title's separators are spaces.
    for q in ("cat-flap", "t-flap"):
        r = await client.get(f"{API}/", params={"q": q})
        assert [item["title"] for item in r.json()["items"]] == ["Cat-flap fixes"], q
