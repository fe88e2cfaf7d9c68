"""Likes, on both backend kinds: liking and unliking (idempotent, and two at once count
once), the count everyone sees and ``liked`` only the caller sees, the items a viewer may
not read (404 as reading them), the caller's list of liked videos (newest first, paged,
leaving out what they can no longer watch), what goes with an item or an account, and
what anonymous and confused callers get (nothing changes)."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from typing import Any

import msgspec
from catalogue_testing import API, admin_headers, eventually
from comment_testing import Client, assert_error, item, person

from streamstack.catalogue.models import LikeRow
from streamstack.catalogue.repository import reading
from streamstack.contracts.auth import USER_DELETED, UserDeleted
from support.apps import bearer


async def like(client: Client, item_id: str, headers: dict[str, str]) -> Any:
    r = await client.put(f"{API}/{item_id}/like", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def unlike(client: Client, item_id: str, headers: dict[str, str]) -> Any:
    r = await client.delete(f"{API}/{item_id}/like", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def liked(client: Client, headers: dict[str, str], **params: Any) -> Any:
    r = await client.get(f"{API}/me/likes", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def titles(page: Any) -> list[str]:
    return [row["item"]["title"] for row in page["items"]]


async def count(client: Client, item_id: str) -> int:
    r = await client.get(f"{API}/{item_id}", headers=admin_headers(client.app.state.settings))
    assert r.status_code == 200, r.text
    return int(r.json()["like_count"])


async def test_liking_counts_once_and_unliking_takes_it_back(catalogue_client: Client) -> None:
    client = catalogue_client
    item_id = await item(client)
    _, ada = person(client, "Ada")
    _, bob = person(client, "Bob")
    assert await like(client, item_id, ada) == {"liked": True, "like_count": 1}
    assert await like(client, item_id, ada) == {"liked": True, "like_count": 1}
    assert await like(client, item_id, bob) == {"liked": True, "like_count": 2}
    seen = (await client.get(f"{API}/{item_id}", headers=ada)).json()
    assert (seen["liked"], seen["like_count"]) == (True, 2)
    anonymous = (await client.get(f"{API}/{item_id}")).json()
    assert "liked" not in anonymous and anonymous["like_count"] == 2
    assert await unlike(client, item_id, ada) == {"liked": False, "like_count": 1}
    assert await unlike(client, item_id, ada) == {"liked": False, "like_count": 1}
    assert (await client.get(f"{API}/{item_id}", headers=ada)).json()["liked"] is False
    listed = (await client.get(f"{API}/")).json()["items"]
    assert [i["like_count"] for i in listed if i["id"] == item_id] == [1]
    # A body is ignored, as adding to a playlist ignores one.
    r = await client.put(f"{API}/{item_id}/like", content=b"{nonsense", headers=ada)
    assert r.status_code == 200 and r.json()["like_count"] == 2, r.text


async def test_likes_of_one_account_at_once_count_once(catalogue_client: Client) -> None:
    """Two tabs (or a script) liking at once: one row, one more in the count; and many
    accounts at once all count."""
    client = catalogue_client
    item_id = await item(client)
    _, ada = person(client)
    answers = await asyncio.gather(
        *(client.put(f"{API}/{item_id}/like", headers=ada) for _ in range(8))
    )
    assert [a.status_code for a in answers] == [200] * 8, [a.text for a in answers]
    assert {a.json()["like_count"] for a in answers} == {1}
    others = [person(client)[1] for _ in range(5)]
    answers = await asyncio.gather(
        *(client.put(f"{API}/{item_id}/like", headers=h) for h in others),
        *(client.delete(f"{API}/{item_id}/like", headers=ada) for _ in range(3)),
    )
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert await count(client, item_id) == 5
    async with reading(client.app.state.backends.database) as store:
        assert await store.likes.count(LikeRow.item_id == uuid.UUID(item_id)) == 5


async def test_items_a_viewer_may_not_read_are_404_and_unlisted_ones_are_liked(
    catalogue_client: Client,
) -> None:
    client = catalogue_client
    admin = admin_headers(client.app.state.settings)
    _, ada = person(client)
    draft = await item(client, publish=False)
    for item_id in (draft, str(uuid.uuid4())):
        for method in ("PUT", "DELETE"):
            r = await client.request(method, f"{API}/{item_id}/like", headers=ada)
            assert_error(r, 404, "not_found")
    assert await count(client, draft) == 0
    assert (await like(client, draft, admin))["like_count"] == 1  # admins read drafts
    r = await client.put(f"{API}/{uuid.uuid4()}/like", headers=admin)
    assert_error(r, 404, "not_found")
    unlisted = await item(client)
    r = await client.patch(f"{API}/{unlisted}", json={"visibility": "unlisted"}, headers=admin)
    assert r.status_code == 200, r.text
    assert (await like(client, unlisted, ada))["like_count"] == 1
    r = await client.put(f"{API}/not-an-id/like", headers=ada)
    assert r.status_code in (400, 404), r.text


async def test_the_list_is_newest_first_paged_and_leaves_out_what_cannot_be_watched(
    catalogue_client: Client,
) -> None:
    client = catalogue_client
    admin = admin_headers(client.app.state.settings)
    _, ada = person(client)
    empty = {"items": [], "total": 0, "page": 1, "page_size": 20, "unavailable_count": 0}
    assert await liked(client, ada) == empty
    ids = [await item(client, title=f"Video {n}") for n in range(4)]
    for item_id in ids:
        await like(client, item_id, ada)
    await like(client, ids[0], ada)  # again: it keeps its place
    first = await liked(client, ada, page=1, page_size=3)
    assert titles(first) == ["Video 3", "Video 2", "Video 1"]
    assert (first["total"], first["page"], first["page_size"]) == (4, 1, 3)
    assert titles(await liked(client, ada, page=2, page_size=3)) == ["Video 0"]
    assert first["items"][0]["liked_at"]
    r = await client.patch(f"{API}/{ids[1]}", json={"status": "draft"}, headers=admin)
    assert r.status_code == 200, r.text
    assert (await client.delete(f"{API}/{ids[2]}", headers=admin)).status_code == 204
    page = await liked(client, ada)
    assert titles(page) == ["Video 3", "Video 0"] and page["total"] == 2
    assert (await liked(client, admin))["total"] == 0  # someone else's list is not one's own
    for bad in ({"page": 0}, {"page_size": 0}, {"page_size": 1000}, {"page": "x"}):
        r = await client.get(f"{API}/me/likes", params=bad, headers=ada)
        assert r.status_code == 400, r.text


async def test_the_list_counts_liked_videos_unpublished_but_not_those_deleted(
    catalogue_client: Client,
) -> None:
    """Liked videos that are unpublished stay liked, out of sight: the list says how many,
    as a playlist does; a deleted one is gone for good and not counted. An admin's own
    list shows them all, so none is hidden from it."""
    client = catalogue_client
    admin = admin_headers(client.app.state.settings)
    _, ada = person(client)
    _, bob = person(client, "Bob")
    heron, rover, tram = [await item(client, title=t) for t in ("Heron", "Rover", "Tram")]
    for item_id in (heron, rover, tram):
        await like(client, item_id, ada)
        await like(client, item_id, admin)
    await like(client, tram, bob)
    r = await client.patch(f"{API}/{heron}", json={"status": "draft"}, headers=admin)
    assert r.status_code == 200, r.text
    assert (await client.delete(f"{API}/{rover}", headers=admin)).status_code == 204
    page = await liked(client, ada)
    assert (titles(page), page["total"], page["unavailable_count"]) == (["Tram"], 1, 1)
    assert (await liked(client, ada, page=2, page_size=1))["unavailable_count"] == 1
    assert (await liked(client, bob))["unavailable_count"] == 0  # only one's own list
    mine = await liked(client, admin)
    assert (titles(mine), mine["unavailable_count"]) == (["Tram", "Heron"], 0)
    r = await client.patch(f"{API}/{heron}", json={"status": "published"}, headers=admin)
    assert r.status_code == 200, r.text
    page = await liked(client, ada)
    assert (titles(page), page["unavailable_count"]) == (["Tram", "Heron"], 0)


async def test_an_item_deleted_takes_its_likes_with_it(catalogue_client: Client) -> None:
    client = catalogue_client
    gone, kept = await item(client), await item(client)
    _, ada = person(client)
    for item_id in (gone, kept):
        await like(client, item_id, ada)
    admin = admin_headers(client.app.state.settings)
    assert (await client.delete(f"{API}/{gone}", headers=admin)).status_code == 204
    async with reading(client.app.state.backends.database) as store:
        assert [row.item_id for row in await store.likes.list()] == [uuid.UUID(kept)]


async def test_a_deleted_account_takes_its_likes_and_lowers_the_counts(
    catalogue_client: Client,
) -> None:
    client = catalogue_client
    one, two = await item(client), await item(client)
    ada_id, ada = person(client, "Ada")
    _, bob = person(client, "Bob")
    for item_id in (one, two):
        await like(client, item_id, ada)
    await like(client, one, bob)
    gone = UserDeleted(user_id=ada_id, deleted_at=datetime.datetime.now(datetime.UTC))
    await client.app.state.backends.events.publish(
        USER_DELETED, msgspec.json.encode(gone), event_id=str(uuid.uuid4())
    )

    async def forgotten() -> bool:
        return await count(client, two) == 0

    await eventually(forgotten, "the deleted account's likes deleted")
    assert [await count(client, i) for i in (one, two)] == [1, 0]
    assert (await liked(client, ada))["total"] == 0
    assert (await liked(client, bob))["total"] == 1


async def test_anonymous_callers_and_bad_tokens_are_401(catalogue_client: Client) -> None:
    client = catalogue_client
    item_id = await item(client)
    for method, path in (("PUT", "/like"), ("DELETE", "/like")):
        r = await client.request(method, f"{API}/{item_id}{path}")
        assert_error(r, 401, r.json()["code"])
    assert (await client.get(f"{API}/me/likes")).status_code == 401
    r = await client.put(f"{API}/{item_id}/like", headers=bearer("not-a-token"))
    assert r.status_code == 401, r.text
    assert await count(client, item_id) == 0
