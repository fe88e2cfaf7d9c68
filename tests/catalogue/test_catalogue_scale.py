"""10,000 items: lists stay correct, and each list request costs the same few queries."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from catalogue_testing import API, admin_headers
from sqlalchemy import insert

from streamstack.catalogue.items import derived_columns, normalize_tags
from streamstack.catalogue.models import MediaItemRow, MediaTagRow
from support.apps import AppClient
from support.queries import counting_queries

ITEMS = 10_000
START = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)


def seed_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Items i = 0..9999: every 10th a draft, tags by divisibility, durations cycling."""
    items: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    for i in range(ITEMS):
        item_id = uuid.UUID(int=i + 1)
        title = f"Clip {i:05d}" + (" sunset" if i % 1000 == 7 else "")
        item_tags = normalize_tags(
            [f"mod{n}" for n in (2, 3, 5) if i % n == 0] + (["Rare Bird"] if i % 2500 == 1 else [])
        )
        when = START + datetime.timedelta(minutes=i)
        published = i % 10 != 0
        items.append(
            {
                "id": item_id,
                "title": title,
                "description": "seeded",
                "status": "published" if published else "draft",
                "s3_key": f"media/{item_id}.mp4",
                "size_bytes": 1000 + i,
                "content_type": "video/mp4",
                "duration_seconds": float(i % 600),
                "video_codec": "h264",
                "audio_codec": "aac",
                "width": 640,
                "height": 360,
                "fps": 30.0,
                "thumbnail_s3_key": None,
                **derived_columns(title, "seeded", item_tags),
                "created_by": "seeder",
                "created_at": when,
                "updated_at": when,
                "published_at": when if published else None,
            }
        )
        tags.extend({"media_id": item_id, "tag": tag} for tag in item_tags)
    return items, tags


async def test_ten_thousand_items_list_correctly_in_constant_queries(
    catalogue_client: AppClient,
) -> None:
    items, tags = seed_rows()
    async with catalogue_client.app.state.backends.database.session() as session, session.begin():
        await session.execute(insert(MediaItemRow), items)
        await session.execute(insert(MediaTagRow), tags)
    published = [i for i in range(ITEMS) if i % 10 != 0]

    async def page(**params: Any) -> dict[str, Any]:
        r = await catalogue_client.get(f"{API}/", params=params)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def clip(i: int) -> str:
        return str(uuid.UUID(int=i + 1))

    first = await page(page_size=100)
    assert first["total"] == len(published) == 9000
    assert [it["id"] for it in first["items"]] == [clip(i) for i in published[::-1][:100]]
    last = await page(page_size=100, page=90)
    assert [it["id"] for it in last["items"]] == [clip(i) for i in published[::-1][8900:]]
    assert (await page(page_size=100, page=91))["items"] == []

    oldest = await page(sort="oldest", page_size=3, page=2)
    assert [it["id"] for it in oldest["items"]] == [clip(i) for i in published[3:6]]
    by_title = await page(sort="title", page_size=2)
    assert [it["title"] for it in by_title["items"]] == ["Clip 00001", "Clip 00002"]
    by_duration = await page(sort="duration", page_size=5)
    assert {it["duration_seconds"] for it in by_duration["items"]} == {1.0}

    mod5 = await page(tag="mod5", page_size=100)
    assert mod5["total"] == sum(1 for i in published if i % 5 == 0)
    assert all("mod5" in it["tags"] for it in mod5["items"])
    rare = await page(tag="rare bird")
    assert sorted(it["id"] for it in rare["items"]) == sorted(
        clip(i) for i in published if i % 2500 == 1
    )
    sunset = await page(q="SUNSET")
    assert sorted(it["title"] for it in sunset["items"]) == [
        f"Clip {i:05d} sunset" for i in range(7, ITEMS, 1000)
    ]
    combined = await page(q="clip 0", tag="mod3", sort="title", page_size=4)
    expected = [f"Clip {i:05d}" for i in published if i % 3 == 0][:4]
    assert (
        [it["title"] for it in combined["items"]]
        == expected
        == [
            "Clip 00003",
            "Clip 00006",
            "Clip 00009",
            "Clip 00012",
        ]
    )

    r = await catalogue_client.get(
        f"{API}/",
        params={"status": "all", "page_size": 1},
        headers=admin_headers(catalogue_client.app.state.settings),
    )
    assert r.json()["total"] == ITEMS

    # No N+1: a page of 100 costs as many queries as a page of 1: ONE statement (items,
    # tags and total), uncached (an admin's list), with a search too.
    admin = admin_headers(catalogue_client.app.state.settings)
    counts = []
    for params in (
        {"page_size": 1},
        {"page_size": 100},
        {"page_size": 100, "tag": "mod2"},
        {"page_size": 100, "q": "clip 0001"},
    ):
        with counting_queries(catalogue_client) as statements:
            r = await catalogue_client.get(f"{API}/", params=params, headers=admin)
            assert r.status_code == 200, r.text
        counts.append(len(statements))
    assert counts == [1, 1, 1, 1], counts
    # A viewer's page already served comes from the cache: no query at all.
    await page(page_size=7, sort="title")
    with counting_queries(catalogue_client) as statements:
        again = await page(page_size=7, sort="title")
    assert statements == [] and again["total"] == 9000


async def test_a_search_finding_nothing_is_not_counted_again(catalogue_client: AppClient) -> None:
    """An empty first page proves that nothing matches: no count reads the candidates a
    second time (the costliest searches are those that find nothing)."""
    items = seed_rows()[0][:100]
    async with catalogue_client.app.state.backends.database.session() as session, session.begin():
        await session.execute(insert(MediaItemRow), items)
    admin = admin_headers(catalogue_client.app.state.settings)
    for q in ("zebra", "zunsep", "clip zebra"):  # exact, a typo too far, two words
        with counting_queries(catalogue_client) as statements:
            params = {"q": q, "status": "all"}
            r = await catalogue_client.get(f"{API}/", params=params, headers=admin)
        assert r.status_code == 200, r.text
        assert (r.json()["items"], r.json()["total"]) == ([], 0)
        assert not [s for s in statements if s.startswith("SELECT (SELECT count(*)")], q
