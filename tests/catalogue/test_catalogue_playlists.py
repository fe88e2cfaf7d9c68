"""Personal playlists on both backend kinds: keeping, ordering and playing them, what they
show, what goes with an item or an account, and what an attacker or a confused client gets
(a 4xx JSON error, and nothing changes)."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from typing import Any

import msgspec
from catalogue_testing import API, admin_headers, create_item, eventually
from playlist_testing import (
    PLAYLISTS,
    Client,
    add,
    items,
    mine,
    new_playlist,
    playlist_rows,
    shown,
    user,
)
from sqlalchemy import delete

from streamstack.catalogue.items import new_row
from streamstack.catalogue.models import MediaItemRow, PlaylistEntryRow, PlaylistRow
from streamstack.catalogue.repository import reading, unit_of_work
from streamstack.contracts.auth import USER_DELETED, UserDeleted
from streamstack.contracts.catalogue import NewMediaItem
from streamstack.contracts.limits import MAX_PLAYLIST_ITEMS, MAX_PLAYLISTS
from support.apps import bearer, mint_token


async def stored(client: Client, model: type[PlaylistRow | PlaylistEntryRow]) -> int:
    """Rows of ``model``'s table, straight from the database."""
    async with reading(client.app.state.backends.database) as store:
        repository = store.playlists if model is PlaylistRow else store.playlist_entries
        return await repository.count()


async def test_a_viewer_keeps_and_orders_a_playlist(catalogue_client: Client) -> None:
    client = catalogue_client
    a, b, c = await items(client, 3)
    _, alice = user(client)
    created = await client.post(
        f"{PLAYLISTS}/", json={"title": "  Cooking  ", "description": "Sunday"}, headers=alice
    )
    assert created.status_code == 201, created.text
    playlist = created.json()
    assert (playlist["title"], playlist["description"]) == ("Cooking", "Sunday")
    assert (playlist["item_count"], playlist["thumbnail_url"]) == (0, None)
    pid = playlist["id"]

    summary = await add(client, alice, pid, a, b, c, b)  # adding again changes nothing
    assert summary["item_count"] == 3
    assert summary["thumbnail_url"] == f"/api/v1/stream/thumbnails/{a}.jpg"
    assert await shown(client, alice, pid) == [a, b, c]

    moved = await client.patch(f"{PLAYLISTS}/{pid}/items/{c}", json={"position": 0}, headers=alice)
    assert moved.status_code == 200, moved.text
    assert [item["id"] for item in moved.json()["items"]] == [c, a, b]
    await client.patch(f"{PLAYLISTS}/{pid}/items/{c}", json={"position": 2}, headers=alice)
    assert await shown(client, alice, pid) == [a, b, c]
    await client.patch(f"{PLAYLISTS}/{pid}/items/{a}", json={"position": 1}, headers=alice)
    assert await shown(client, alice, pid) == [b, a, c]

    removed = await client.delete(f"{PLAYLISTS}/{pid}/items/{b}", headers=alice)
    assert removed.status_code == 204, removed.text
    assert await shown(client, alice, pid) == [a, c]
    again = await client.delete(f"{PLAYLISTS}/{pid}/items/{b}", headers=alice)
    assert (again.status_code, again.json()["code"]) == (404, "not_found")

    renamed = await client.patch(f"{PLAYLISTS}/{pid}", json={"title": "Baking"}, headers=alice)
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["title"], renamed.json()["description"]) == ("Baking", "Sunday")
    other = await new_playlist(client, alice, "Music")
    listed = await mine(client, alice, item=a)
    assert listed["total"] == 2
    assert [(p["id"], p["holds_item"]) for p in listed["playlists"]] == [
        (other, False),
        (pid, True),
    ]
    assert "holds_item" not in (await mine(client, alice))["playlists"][0]
    assert [p["id"] for p in (await mine(client, alice, page=2, page_size=1))["playlists"]] == [pid]

    assert (await client.delete(f"{PLAYLISTS}/{pid}", headers=alice)).status_code == 204
    assert (await client.get(f"{PLAYLISTS}/{pid}", headers=alice)).status_code == 404
    assert [p["id"] for p in (await mine(client, alice))["playlists"]] == [other]
    assert await stored(client, PlaylistEntryRow) == 0
    # The items stay in the catalogue.
    assert (await client.get(f"{API}/{a}")).status_code == 200


async def test_a_playlist_shows_only_what_its_owner_may_see(catalogue_client: Client) -> None:
    client = catalogue_client
    settings = client.app.state.settings
    admin = admin_headers(settings)
    a, b, c = await items(client, 3)
    draft = (await create_item(client, settings, publish=False))["id"]
    _, alice = user(client)
    pid = await new_playlist(client, alice)
    await add(client, alice, pid, a, b, c)

    # A viewer cannot add a draft: 404 as for the item itself, and nothing changes.
    r = await client.put(f"{PLAYLISTS}/{pid}/items/{draft}", headers=alice)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    assert await shown(client, alice, pid) == [a, b, c]

    # Unpublished, an item leaves the playlist's page and its count, and comes back after.
    r = await client.patch(f"{API}/{a}", json={"status": "draft"}, headers=admin)
    assert r.status_code == 200, r.text
    assert await shown(client, alice, pid) == [b, c]
    (summary,) = (await mine(client, alice))["playlists"]
    assert summary["item_count"] == 2
    # The page says one is kept there though it cannot be watched now.
    page = (await client.get(f"{PLAYLISTS}/{pid}", headers=alice)).json()
    assert (len(page["items"]), page["unavailable_count"]) == (2, 1)
    assert summary["thumbnail_url"] == f"/api/v1/stream/thumbnails/{b}.jpg"
    # Nor does the playlist say it holds the hidden item (the page it would open lacks it).
    assert [p["holds_item"] for p in (await mine(client, alice, item=a))["playlists"]] == [False]
    # Moving among what one sees: the hidden item keeps its place, right before b.
    r = await client.patch(f"{PLAYLISTS}/{pid}/items/{c}", json={"position": 0}, headers=alice)
    assert [item["id"] for item in r.json()["items"]] == [c, b]
    r = await client.patch(f"{PLAYLISTS}/{pid}/items/{a}", json={"position": 0}, headers=alice)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = await client.patch(f"{PLAYLISTS}/{pid}/items/{b}", json={"position": 2}, headers=alice)
    assert (r.status_code, r.json()["code"]) == (400, "position_out_of_range")
    await client.patch(f"{API}/{a}", json={"status": "published"}, headers=admin)
    assert await shown(client, alice, pid) == [a, c, b]
    assert (await client.get(f"{PLAYLISTS}/{pid}", headers=alice)).json()["unavailable_count"] == 0

    # An admin's playlist holds drafts too, since they may see (and play) them.
    _, boss = user(client, role="admin")
    theirs = await new_playlist(client, boss)
    await add(client, boss, theirs, draft, a)
    assert await shown(client, boss, theirs) == [draft, a]


async def test_a_deleted_item_leaves_every_playlist(catalogue_client: Client) -> None:
    client = catalogue_client
    settings = client.app.state.settings
    a, b, c = await items(client, 3)
    _, alice = user(client)
    _, bob = user(client)
    mine_id = await new_playlist(client, alice)
    theirs = await new_playlist(client, bob)
    await add(client, alice, mine_id, a, b, c)
    await add(client, bob, theirs, b)

    r = await client.delete(f"{API}/{b}", headers=admin_headers(settings))
    assert r.status_code == 204, r.text
    assert await shown(client, alice, mine_id) == [a, c]
    assert await shown(client, bob, theirs) == []
    assert await stored(client, PlaylistEntryRow) == 2

    # The foreign key itself cascades (a row deleted by anything but the use case).
    async with unit_of_work(client.app.state.backends.database) as store:
        await store.items.session.execute(
            delete(MediaItemRow).where(MediaItemRow.id == uuid.UUID(a))
        )
    assert await shown(client, alice, mine_id) == [c]
    assert await stored(client, PlaylistEntryRow) == 1


async def test_a_deleted_accounts_playlists_go_with_it(catalogue_client: Client) -> None:
    client = catalogue_client
    (a,) = await items(client, 1)
    alice_id, alice = user(client)
    _, bob = user(client)
    for title in ("One", "Two"):
        await add(client, alice, await new_playlist(client, alice, title), a)
    kept = await new_playlist(client, bob)
    await add(client, bob, kept, a)

    gone = UserDeleted(user_id=alice_id, deleted_at=datetime.datetime.now(datetime.UTC))
    await client.app.state.backends.events.publish(
        USER_DELETED, msgspec.json.encode(gone), event_id=str(uuid.uuid4())
    )

    async def forgotten() -> bool:
        return await stored(client, PlaylistRow) == 1

    await eventually(forgotten, "the deleted account's playlists deleted")
    assert await stored(client, PlaylistEntryRow) == 1
    assert await shown(client, bob, kept) == [a]


async def test_another_users_playlist_is_404_and_untouched(catalogue_client: Client) -> None:
    client = catalogue_client
    a, b = await items(client, 2)
    _, alice = user(client)
    _, mallory = user(client)
    pid = await new_playlist(client, alice)
    await add(client, alice, pid, a)
    before = (await client.get(f"{PLAYLISTS}/{pid}", headers=alice)).json()

    for target in (pid, str(uuid.uuid4())):  # someone else's answers as a missing one
        for method, path, body in (
            ("GET", "", None),
            ("PATCH", "", {"title": "Mine now"}),
            ("DELETE", "", None),
            ("PUT", f"/items/{b}", None),
            ("PATCH", f"/items/{a}", {"position": 0}),
            ("DELETE", f"/items/{a}", None),
        ):
            r = await client.request(
                method, f"{PLAYLISTS}/{target}{path}", json=body, headers=mallory
            )
            assert (r.status_code, r.json()["code"]) == (404, "not_found"), (method, path, r.text)
            assert r.json()["detail"] == "no such playlist"
    assert (await mine(client, mallory))["playlists"] == []
    assert (await client.get(f"{PLAYLISTS}/{pid}", headers=alice)).json() == before
    # A user id in a body is refused, never used.
    r = await client.post(
        f"{PLAYLISTS}/", json={"title": "x", "user_id": str(uuid.uuid4())}, headers=mallory
    )
    assert (r.status_code, r.json()["code"]) == (400, "validation_error")


async def test_anonymous_and_expired_callers_get_401(catalogue_client: Client) -> None:
    client = catalogue_client
    (a,) = await items(client, 1)
    _, alice = user(client)
    pid = await new_playlist(client, alice)
    expired = bearer(mint_token(client.app.state.settings, ttl_seconds=-60))
    for method, url, body in (
        ("GET", f"{PLAYLISTS}/", None),
        ("POST", f"{PLAYLISTS}/", {"title": "x"}),
        ("GET", f"{PLAYLISTS}/{pid}", None),
        ("PATCH", f"{PLAYLISTS}/{pid}", {"title": "x"}),
        ("DELETE", f"{PLAYLISTS}/{pid}", None),
        ("PUT", f"{PLAYLISTS}/{pid}/items/{a}", None),
        ("PATCH", f"{PLAYLISTS}/{pid}/items/{a}", {"position": 0}),
        ("DELETE", f"{PLAYLISTS}/{pid}/items/{a}", None),
    ):
        for headers, code in (({}, "unauthorized"), (expired, "invalid_token")):
            r = await client.request(method, url, json=body, headers=headers)
            assert (r.status_code, r.json()["code"]) == (401, code), (method, url)
    assert await shown(client, alice, pid) == []
    assert (await mine(client, alice))["total"] == 1


BAD_BODIES: list[tuple[str, bytes]] = [
    ("POST", b"{}"),
    ("POST", b'{"title": ""}'),
    ("POST", b'{"title": "   "}'),
    ("POST", b'{"title": "' + b"t" * 201 + b'"}'),
    ("POST", b'{"title": "two\\nlines"}'),
    ("POST", b'{"title": 7}'),
    ("POST", b'{"title": "x", "description": "' + b"d" * 5001 + b'"}'),
    ("POST", b'{"title": "x", "description": "nul\\u0000"}'),
    ("POST", b'{"title": "x", "public": true}'),
    ("POST", b"[]"),
    ("POST", b"not json"),
    ("PATCH", b"{}"),
    ("PATCH", b'{"title": ""}'),
    ("PATCH", b'{"title": "' + b"t" * 201 + b'"}'),
    ("PATCH", b'{"title": null}'),
    ("PATCH", b'{"items": []}'),
]


async def test_bad_input_is_refused_and_changes_nothing(catalogue_client: Client) -> None:
    client = catalogue_client
    a, b = await items(client, 2)
    _, alice = user(client)
    pid = await new_playlist(client, alice)
    await add(client, alice, pid, a, b)
    before = (await client.get(f"{PLAYLISTS}/{pid}", headers=alice)).json()

    for method, body in BAD_BODIES:
        url = f"{PLAYLISTS}/" if method == "POST" else f"{PLAYLISTS}/{pid}"
        r = await client.request(method, url, content=body, headers=alice)
        assert r.status_code == 400, (method, body[:40], r.text)
        assert set(r.json()) == {"status", "code", "detail", "request_id"}
    for body in (
        b'{"position": -1}',
        b'{"position": 1.5}',
        b'{"position": "first"}',
        b'{"position": ' + str(MAX_PLAYLIST_ITEMS).encode() + b"}",
        b'{"position": 99999999999999999999}',
        b'{"position": 0, "playlist_id": "x"}',
        b"{}",
    ):
        r = await client.patch(f"{PLAYLISTS}/{pid}/items/{a}", content=body, headers=alice)
        assert (r.status_code, r.json()["code"]) == (400, "validation_error"), (body, r.text)
    r = await client.patch(f"{PLAYLISTS}/{pid}/items/{a}", json={"position": 2}, headers=alice)
    assert (r.status_code, r.json()["code"]) == (400, "position_out_of_range")

    for bad in ("not-a-uuid", "1", "..%2F..%2Fetc", "x" * 300, str(uuid.uuid4())[:-1]):
        for method, url in (
            ("GET", f"{PLAYLISTS}/{bad}"),
            ("PATCH", f"{PLAYLISTS}/{bad}"),
            ("DELETE", f"{PLAYLISTS}/{bad}"),
            ("PUT", f"{PLAYLISTS}/{pid}/items/{bad}"),
            ("PATCH", f"{PLAYLISTS}/{pid}/items/{bad}"),
            ("DELETE", f"{PLAYLISTS}/{pid}/items/{bad}"),
        ):
            r = await client.request(method, url, json={"position": 0}, headers=alice)
            assert r.status_code in (404, 405), (method, url, r.text)
            assert r.json()["status"] == r.status_code
    unknown = str(uuid.uuid4())
    for method in ("PUT", "PATCH", "DELETE"):
        r = await client.request(
            method, f"{PLAYLISTS}/{pid}/items/{unknown}", json={"position": 0}, headers=alice
        )
        assert (r.status_code, r.json()["code"]) == (404, "not_found"), (method, r.text)
    for params in ({"page": 0}, {"page_size": 101}, {"item": "not-a-uuid"}):
        r = await client.get(f"{PLAYLISTS}/", params=params, headers=alice)
        assert r.status_code == 400, (params, r.text)
    assert (await client.get(f"{PLAYLISTS}/{pid}", headers=alice)).json() == before
    assert (await mine(client, alice))["total"] == 1


async def test_the_limits_hold(catalogue_client: Client) -> None:
    """At :data:`MAX_PLAYLISTS` playlists and :data:`MAX_PLAYLIST_ITEMS` items, one more is
    409 and nothing changes (the rows up to the limit are written straight to the store)."""
    client = catalogue_client
    (extra,) = await items(client, 1)
    alice_id, alice = user(client)
    pid = await new_playlist(client, alice)
    now = datetime.datetime.now(datetime.UTC)
    filler = [
        new_row(msgspec.convert(_item_fields(), NewMediaItem), [], created_by="test", now=now)
        for _ in range(MAX_PLAYLIST_ITEMS)
    ]
    async with unit_of_work(client.app.state.backends.database) as store:
        await store.items.add_many(filler, auto_expunge=True)
        await store.playlist_entries.add_many(
            [
                PlaylistEntryRow(
                    playlist_id=uuid.UUID(pid), media_id=row.id, position=n, added_at=now
                )
                for n, row in enumerate(filler)
            ]
        )
        await store.playlists.add_many(playlist_rows(alice_id, MAX_PLAYLISTS - 1, now))
    r = await client.put(f"{PLAYLISTS}/{pid}/items/{extra}", headers=alice)
    assert (r.status_code, r.json()["code"]) == (409, "playlist_full"), r.text
    # What is in it already may still be "added": nothing to do.
    assert (await add(client, alice, pid, str(filler[0].id)))["item_count"] == MAX_PLAYLIST_ITEMS
    r = await client.post(f"{PLAYLISTS}/", json={"title": "One more"}, headers=alice)
    assert (r.status_code, r.json()["code"]) == (409, "too_many_playlists"), r.text
    assert (await mine(client, alice))["total"] == MAX_PLAYLISTS
    assert len(await shown(client, alice, pid)) == MAX_PLAYLIST_ITEMS
    # The last item may move to the top, and back.
    last = str(filler[-1].id)
    r = await client.patch(f"{PLAYLISTS}/{pid}/items/{last}", json={"position": 0}, headers=alice)
    assert r.json()["items"][0]["id"] == last
    # Another account is not held by Alice's limits.
    _, bob = user(client)
    await new_playlist(client, bob)


def _item_fields() -> dict[str, Any]:
    item_id = str(uuid.uuid4())
    return {
        "id": item_id,
        "title": "Filler",
        "s3_key": f"{item_id}.mp4",
        "size_bytes": 1,
        "content_type": "video/mp4",
        "video_codec": "h264",
        "audio_codec": "aac",
        "publish": True,
    }


async def test_creations_at_once_cannot_pass_the_limit_together(catalogue_client: Client) -> None:
    """One place left and four creations at once: at most one gets it (counted then stored,
    all four did), the others are 409, and the caller never holds more than the limit."""
    client = catalogue_client
    bob_id, bob = user(client)
    now = datetime.datetime.now(datetime.UTC)
    async with unit_of_work(client.app.state.backends.database) as store:
        await store.playlists.add_many(playlist_rows(bob_id, MAX_PLAYLISTS - 1, now))

    async def create(n: int) -> Any:
        return await client.post(f"{PLAYLISTS}/", json={"title": f"Race {n}"}, headers=bob)

    answers = await asyncio.gather(*(create(n) for n in range(4)))
    created = [r for r in answers if r.status_code == 201]
    assert len(created) <= 1, [r.status_code for r in answers]
    for refused in (r for r in answers if r.status_code != 201):
        assert (refused.status_code, refused.json()["code"]) == (409, "too_many_playlists")
    assert (await mine(client, bob))["total"] == MAX_PLAYLISTS - 1 + len(created)
