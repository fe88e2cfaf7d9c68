"""The list's fast paths: viewers' cached pages follow every change; search finds what people type.

Both backends (SQLite with FTS5 trigrams, PostgreSQL with pg_trgm). No timing assertions:
"within 1 s" is the deadline of ``eventually``, not a measured figure.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from catalogue_testing import admin_headers, create_item, eventually, viewer_headers

from streamstack.catalogue.listing import ADMIN_TOTAL_SECONDS, RECOUNT_SECONDS, ListingCache
from streamstack.catalogue.repository import ItemQuery, listing
from streamstack.catalogue.search import SearchQuery
from streamstack.kernel.db import Database, DatabaseUnavailable
from streamstack.kernel.events.memory import MemoryEventBus
from support.apps import AppClient
from support.fixtures import SettingsFactory
from support.processes import module_processes

API = "/api/v1/catalogue"


async def titles(client: httpx.AsyncClient, **params: Any) -> tuple[list[str], int]:
    r = await client.get(f"{API}/", params=params, headers=params.pop("headers", None))
    assert r.status_code == 200, r.text
    body = r.json()
    return [item["title"] for item in body["items"]], body["total"]


async def test_cached_pages_follow_publish_update_unpublish_delete(
    catalogue_client: AppClient,
) -> None:
    client, settings = catalogue_client, catalogue_client.app.state.settings
    admin = admin_headers(settings)
    assert await titles(client) == ([], 0)
    assert await titles(client) == ([], 0)  # now cached
    live = await create_item(client, settings, title="First light")
    draft = await create_item(client, settings, title="Secret draft", publish=False)
    assert await titles(client) == (["First light"], 1)
    # An admin's list shows the draft; it never leaks into the viewers' cache.
    assert sorted((await titles(client, status="all", headers=admin))[0]) == [
        "First light",
        "Secret draft",
    ]
    assert await titles(client) == (["First light"], 1)
    assert await titles(client, headers=viewer_headers(settings)) == (["First light"], 1)
    r = await client.patch(f"{API}/{live['id']}", json={"title": "Renamed"}, headers=admin)
    assert r.status_code == 200
    assert await titles(client) == (["Renamed"], 1)
    r = await client.patch(f"{API}/{draft['id']}", json={"status": "published"}, headers=admin)
    assert await titles(client) == (["Secret draft", "Renamed"], 2)
    r = await client.patch(f"{API}/{live['id']}", json={"status": "draft"}, headers=admin)
    assert await titles(client) == (["Secret draft"], 1)
    r = await client.delete(f"{API}/{draft['id']}", headers=admin)
    assert r.status_code == 204
    assert await titles(client) == ([], 0)


async def test_totals_and_pages_of_the_cached_list(catalogue_client: AppClient) -> None:
    client, settings = catalogue_client, catalogue_client.app.state.settings
    for index in range(5):
        await create_item(client, settings, title=f"Item {index}", tags=[f"t{index % 2}"])
    await create_item(client, settings, title="Hidden", publish=False)
    assert await titles(client, page_size=2, page=3) == (["Item 0"], 5)
    assert await titles(client, page_size=2, page=9) == ([], 5)
    assert await titles(client, tag="t1", sort="title") == (["Item 1", "Item 3"], 2)
    assert await titles(client, page_size=2, page=9) == ([], 5)  # cached, still true


async def test_an_admins_tag_filter_finds_drafts_and_narrows_the_other_filters(
    catalogue_client: AppClient,
) -> None:
    """The admin library's tag filter: drafts too, with status, processing and search, and a
    total that follows a bulk tag change (each item's PATCH) at once."""
    client, settings = catalogue_client, catalogue_client.app.state.settings
    admin = admin_headers(settings)
    await create_item(client, settings, title="Walk draft", tags=["Travel"], publish=False)
    await create_item(client, settings, title="Walk live", tags=["travel", "sea"])
    sail = await create_item(client, settings, title="Sail", tags=["sea"], publish=False)
    await create_item(client, settings, title="Walk home", tags=["home"], publish=False)
    every = {"status": "all", "sort": "title", "headers": admin}
    assert await titles(client, tag="travel", **every) == (["Walk draft", "Walk live"], 2)
    assert await titles(client, tag=" TRAVEL ", status="draft", q="walk", headers=admin) == (
        ["Walk draft"],
        1,
    )
    assert await titles(client, tag="travel", processing="failed", **every) == ([], 0)
    assert await titles(client, tag="travel") == (["Walk live"], 1)  # viewers: published only
    r = await client.get(f"{API}/tags", headers=admin)
    assert r.json()["tags"][:2] == [{"tag": "sea", "count": 2}, {"tag": "travel", "count": 2}]

    r = await client.patch(f"{API}/{sail['id']}", json={"tags": ["sea", "travel"]}, headers=admin)
    assert r.status_code == 200, r.text
    assert await titles(client, tag="travel", **every) == (["Sail", "Walk draft", "Walk live"], 3)
    r = await client.get(f"{API}/tags", params={"prefix": "tr"}, headers=admin)
    assert r.json()["tags"] == [{"tag": "travel", "count": 3}]


async def test_admin_totals_follow_every_change(catalogue_client: AppClient) -> None:
    """Totals are reused between requests (no count per request), never past a change."""
    client, settings = catalogue_client, catalogue_client.app.state.settings
    admin = admin_headers(settings)
    assert (await titles(client, status="all", headers=admin))[1] == 0
    draft = await create_item(client, settings, title="Draft", publish=False)
    assert (await titles(client, status="all", headers=admin))[1] == 1
    assert (await titles(client, status="draft", headers=admin))[1] == 1
    live = await create_item(client, settings, title="Live")
    assert (await titles(client, status="all", headers=admin))[1] == 2
    assert (await titles(client, status="draft", headers=admin))[1] == 1
    assert (await titles(client, status="all", page=5, headers=admin)) == ([], 2)
    r = await client.patch(f"{API}/{draft['id']}", json={"status": "published"}, headers=admin)
    assert r.status_code == 200
    assert (await titles(client, status="draft", headers=admin))[1] == 0
    assert (await titles(client))[1] == 2
    assert (await client.delete(f"{API}/{live['id']}", headers=admin)).status_code == 204
    assert (await titles(client, status="all", page=5, headers=admin)) == ([], 1)
    assert (await titles(client))[1] == 1


async def test_not_playable_items_stay_out_of_viewers_lists(catalogue_client: AppClient) -> None:
    client, settings = catalogue_client, catalogue_client.app.state.settings
    await create_item(client, settings, title="Needs transcoding", playable=False)
    await create_item(client, settings, title="Plays")
    assert await titles(client) == (["Plays"], 1)
    assert await titles(client, q="transcoding") == ([], 0)
    admin = admin_headers(settings)
    assert (await titles(client, headers=admin))[1] == 2


async def test_search_ranks_and_forgives_one_typo(catalogue_client: AppClient) -> None:
    client, settings = catalogue_client, catalogue_client.app.state.settings
    await create_item(
        client, settings, title="Mountain walk", description="A glacier far away", tags=["ice"]
    )
    await create_item(client, settings, title="Glacier lagoon", description="Blue water")
    await create_item(client, settings, title="City lights", description="Night traffic")
    await create_item(client, settings, title="Desert", tags=["glacial", "sand"])
    assert (await titles(client, q="glacier"))[0] == ["Glacier lagoon", "Mountain walk"]
    assert (await titles(client, q="glaicer"))[0] == ["Glacier lagoon", "Mountain walk"]
    # A word's typo may also meet a piece of a longer word ("glaci" of "glacial").
    assert {"Glacier lagoon", "Mountain walk"} <= set((await titles(client, q="GLACIR"))[0])
    assert (await titles(client, q="glacier blue"))[0] == ["Glacier lagoon"]
    assert (await titles(client, q="traffik"))[0] == ["City lights"]
    assert (await titles(client, q="sand"))[0] == ["Desert"]
    assert (await titles(client, q="xylophone"))[0] == []
    # An exact title word ranks above a forgiven typo elsewhere.
    assert (await titles(client, q="glacial"))[0][0] == "Desert"


async def test_a_typo_beside_punctuation_is_forgiven(catalogue_client: AppClient) -> None:
    """Punctuation in a word is a literal character on both backends (PostgreSQL matches
    a word with one regular expression, SQLite with LIKE patterns)."""
    client, settings = catalogue_client, catalogue_client.app.state.settings
    await create_item(client, settings, title="C++ (basics) [v1.2]", description="see a.b*c|d")
    await create_item(client, settings, title="Other", description="v1x2 basic a-b-c-d")
    for q in ("(basics)", "(basic)", "[v1.2]", "a.b*d|d", "a.b*c|d"):
        assert (await titles(client, q=q))[0] == ["C++ (basics) [v1.2]"], q
    assert (await titles(client, q="v1.2"))[0] == ["C++ (basics) [v1.2]"]
    assert (await titles(client, q="a?b?c"))[0] == []
    assert (await titles(client, q="[v1,2]"))[0] == []  # a word with a digit forgives none


@pytest.fixture(scope="module")
async def hostile_catalogue(module_catalogue_client: AppClient) -> AppClient:
    """One item seeded once per module and backend, for tests that only search."""
    settings = module_catalogue_client.app.state.settings
    await create_item(module_catalogue_client, settings, title="100%_\\ sure")
    return module_catalogue_client


@pytest.mark.parametrize(
    "q",
    [
        '"',
        '"glacier',
        "*",
        "glac*",
        "NEAR(a b)",
        "-glacier",
        "a OR b",
        "%",
        "_",
        "100%_\\",
        "''; DROP TABLE media_items; --",
        "^ : + { } ( )",
        "é" * 100,
    ],
)
async def test_hostile_search_text_is_no_error(hostile_catalogue: AppClient, q: str) -> None:
    r = await hostile_catalogue.get(f"{API}/", params={"q": q})
    assert r.status_code == 200, r.text
    if q in ("%", "_"):
        assert r.json()["total"] == 1  # a wildcard is a character like any other


async def test_unreadable_search_text_is_a_400(hostile_catalogue: AppClient) -> None:
    for q in ("a\x00b", "x" * 60_000, "line\nbreak"):
        r = await hostile_catalogue.get(f"{API}/", params={"q": q})
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "validation_error"


# One process is one replica on the embedded backends: replicas exist only in production.
@pytest.mark.parametrize("backend_kind", ["production"])
async def test_a_change_in_one_replica_reaches_the_others_list(
    settings_factory: SettingsFactory,
) -> None:
    """Two ``streamstack serve --module catalogue`` processes on one database and one events
    bus (the production backends): an item published or edited through one shows in the
    other's cached list within a second."""
    settings = settings_factory(modules=("catalogue",))
    assert settings.nats_url, "the production backends have an events bus"
    async with module_processes(settings, [["catalogue"], ["catalogue"]]) as deployment:
        first, second = deployment.processes
        async with (
            httpx.AsyncClient(base_url=first.url, timeout=10) as one,
            httpx.AsyncClient(base_url=second.url, timeout=10) as other,
        ):
            assert await titles(other) == ([], 0)
            assert await titles(other) == ([], 0)  # now cached in the second
            item = await create_item(one, settings, title="From the first")

            async def listed() -> bool:
                return (await titles(other))[0] == ["From the first"]

            await eventually(listed, what="the item in the other replica", seconds=1.0)
            admin = admin_headers(settings)
            await one.patch(f"{API}/{item['id']}", json={"title": "Edited"}, headers=admin)

            async def edited() -> bool:
                return (await titles(other))[0] == ["Edited"]

            await eventually(edited, what="the edit in the other replica", seconds=1.0)
            await one.delete(f"{API}/{item['id']}", headers=admin)

            async def deleted() -> bool:
                return await titles(other) == ([], 0)

            await eventually(deleted, what="the delete in the other replica", seconds=1.0)


async def test_a_list_page_on_an_unreachable_database_is_503() -> None:
    """List pages use a bare Core connection, not a session: the same 503 all the same."""
    database = Database("postgresql+asyncpg://nobody:nothing@127.0.0.1:9/none")
    query = ItemQuery(status="published", tag="", sort="newest", playable_only=True)
    try:
        with pytest.raises(DatabaseUnavailable) as caught:
            async with listing(database) as pages:
                await pages.page(query, SearchQuery.parse("glacier"), limit=1, offset=0)
        assert caught.value.status == 503
    finally:
        await database.close()


async def test_one_request_recounts_an_aged_out_total_while_others_use_the_old_one() -> None:
    """No herd of counts when a total ages out; any change still forgets it at once."""
    now = [100.0]
    cache = ListingCache(seconds=10.0, clock=lambda: now[0])
    await cache.follow(MemoryEventBus())
    cache.put_total("k", 7, cache.generation, admin=True)
    assert cache.total("k") == 7
    now[0] += ADMIN_TOTAL_SECONDS + 0.1
    assert cache.total("k") is None  # this caller counts again
    assert cache.total("k") == 7  # the others meanwhile: the old total
    cache.put_total("k", 8, cache.generation, admin=True)
    assert cache.total("k") == 8
    now[0] += ADMIN_TOTAL_SECONDS + 0.1
    assert cache.total("k") is None
    now[0] += RECOUNT_SECONDS + 0.1  # that count never came back: someone else counts
    assert cache.total("k") is None
    assert cache.total("k") == 8
    cache.invalidate()  # a change: nobody gets the old total
    assert cache.total("k") is None and cache.total("k") is None


async def test_quotes_and_backslashes_in_a_search_are_plain_characters(
    catalogue_client: AppClient,
) -> None:
    """Search patterns are written into the SQL as quoted literals: a quote or a backslash
    in what was typed is a character to find, on both backends."""
    client, settings = catalogue_client, catalogue_client.app.state.settings
    await create_item(client, settings, title="O'Brien's path", description="C:\\media\\x")
    await create_item(client, settings, title="Obrien path", description="plain")
    assert (await titles(client, q="o'brien's"))[0] == ["O'Brien's path"]
    assert (await titles(client, q="o'brein's"))[0] == ["O'Brien's path"]  # one typo
    assert (await titles(client, q="c:\\media\\x"))[0] == ["O'Brien's path"]
    assert (await titles(client, q="'; select 1; --"))[0] == []
