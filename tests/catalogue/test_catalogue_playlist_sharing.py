"""Playlists shared by link, and renamed without undoing another tab's rename, on both
backend kinds: who may open an unlisted playlist and what it shows them (never a draft),
that a private one's link is 404 to anyone but its owner, copies, ``If-Match`` on a rename,
and what an attacker or a confused client gets (a 4xx JSON error, and nothing changes)."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from catalogue_testing import API, admin_headers, create_item
from jose import jwt
from playlist_testing import (
    PLAYLISTS,
    Client,
    add,
    items,
    mine,
    new_playlist,
    playlist_rows,
    user,
)

from streamstack.catalogue.repository import unit_of_work
from streamstack.contracts.limits import MAX_PLAYLISTS
from streamstack.kernel.revocation import (
    REVOCATION_TTL_SECONDS,
    REVOKED_TOKENS_BUCKET,
    RevocationList,
)
from support.apps import bearer, mint_token

SHARED = f"{API}/playlists"


async def opened(client: Client, headers: dict[str, str], playlist_id: str) -> Any:
    """The playlist its link opens for the caller, which must be 200."""
    r = await client.get(f"{SHARED}/{playlist_id}", headers=headers)
    assert r.status_code == 200, r.text
    playlist = r.json()
    assert playlist["item_count"] == len(playlist["items"])
    return playlist


def ids(playlist: Any) -> list[str]:
    return [item["id"] for item in playlist["items"]]


async def share(
    client: Client, headers: dict[str, str], playlist_id: str, visibility: str = "unlisted"
) -> Any:
    r = await client.patch(
        f"{PLAYLISTS}/{playlist_id}", json={"visibility": visibility}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["visibility"] == visibility
    return r.json()


def assert_missing(r: Any) -> None:
    """A 404 that says no more than a missing playlist's does."""
    assert (r.status_code, r.json()["code"], r.json()["detail"]) == (
        404,
        "not_found",
        "no such playlist",
    ), r.text


async def test_an_unlisted_playlist_opens_for_others_without_its_drafts(
    catalogue_client: Client,
) -> None:
    client = catalogue_client
    settings = client.app.state.settings
    a, b, c = await items(client, 3)
    draft = (await create_item(client, settings, publish=False))["id"]
    _, owner = user(client, role="admin")  # an admin's playlist may hold a draft
    _, bob = user(client)
    _, carol = user(client, role="admin")
    pid = await new_playlist(client, owner, "Picks")
    await add(client, owner, pid, draft, a, b, c)

    # Private (as every playlist starts): its link is 404 to anyone else, as a missing one.
    assert (await opened(client, owner, pid))["visibility"] == "private"
    for headers in (bob, carol):
        assert_missing(await client.get(f"{SHARED}/{pid}", headers=headers))
        assert_missing(await client.get(f"{SHARED}/{uuid.uuid4()}", headers=headers))

    shared = await share(client, owner, pid)
    assert shared["item_count"] == 4 and shared["mine"] is True
    theirs = await opened(client, bob, pid)
    assert ids(theirs) == [a, b, c]  # in order, the draft left out, and not counted
    assert (theirs["title"], theirs["visibility"], theirs["mine"]) == ("Picks", "unlisted", False)
    assert "etag" not in theirs
    assert set(theirs["items"][0]) == set((await client.get(f"{API}/{a}")).json()) - {"etag"}
    # An admin opening another's link sees what any viewer does: a link shows everyone the same.
    assert ids(await opened(client, carol, pid)) == [a, b, c]
    own = await opened(client, owner, pid)
    assert (ids(own), own["mine"]) == ([draft, a, b, c], True)
    # Others are told one entry is there that they cannot watch; its owner sees them all.
    assert (theirs["unavailable_count"], own["unavailable_count"]) == (1, 0)
    assert own["etag"].startswith('"')

    # Withdrawn, an item leaves what others see (and their count), and comes back after.
    r = await client.patch(f"{API}/{b}", json={"status": "draft"}, headers=admin_headers(settings))
    assert r.status_code == 200, r.text
    assert ids(await opened(client, bob, pid)) == [a, c]
    # Each of the owner's items plays for a viewer who may play it, in the playlist's order.
    r = await client.post(f"{API}/{a}/stream-token", headers=bob)
    assert r.status_code == 200, r.text

    # Unlisted: in no one's list but its owner's.
    assert (await mine(client, bob))["playlists"] == []
    assert [p["id"] for p in (await mine(client, owner))["playlists"]] == [pid]

    await share(client, owner, pid, "private")
    assert_missing(await client.get(f"{SHARED}/{pid}", headers=bob))


async def test_others_cannot_change_a_shared_playlist(catalogue_client: Client) -> None:
    client = catalogue_client
    a, b = await items(client, 2)
    _, alice = user(client)
    _, mallory = user(client, role="admin")
    pid = await new_playlist(client, alice)
    await add(client, alice, pid, a)
    await share(client, alice, pid)
    before = await opened(client, alice, pid)

    for method, path, body in (
        ("PATCH", "", {"title": "Mine now"}),
        ("PATCH", "", {"visibility": "private"}),
        ("DELETE", "", None),
        ("PUT", f"/items/{b}", None),
        ("PATCH", f"/items/{a}", {"position": 0}),
        ("DELETE", f"/items/{a}", None),
    ):
        r = await client.request(method, f"{PLAYLISTS}/{pid}{path}", json=body, headers=mallory)
        assert_missing(r)
    for method in ("PATCH", "PUT", "DELETE"):  # the link's route only reads
        r = await client.request(method, f"{SHARED}/{pid}", json={"title": "x"}, headers=mallory)
        assert r.status_code == 405, (method, r.text)
    # The owner's own route still answers only the owner.
    assert_missing(await client.get(f"{PLAYLISTS}/{pid}", headers=mallory))
    assert await opened(client, alice, pid) == before


async def test_a_viewer_saves_a_copy_of_a_shared_playlist(catalogue_client: Client) -> None:
    client = catalogue_client
    settings = client.app.state.settings
    a, b, c = await items(client, 3)
    draft = (await create_item(client, settings, publish=False))["id"]
    _, owner = user(client, role="admin")
    bob_id, bob = user(client)
    pid = await new_playlist(client, owner, "Picks")
    await client.patch(f"{PLAYLISTS}/{pid}", json={"description": "For Sunday"}, headers=owner)
    await add(client, owner, pid, c, draft, a)

    r = await client.post(f"{SHARED}/{pid}/copies", headers=bob)  # private yet
    assert_missing(r)
    await share(client, owner, pid)
    r = await client.post(f"{SHARED}/{pid}/copies", headers=bob)
    assert r.status_code == 201, r.text
    copy = r.json()
    assert copy["id"] != pid
    assert (copy["title"], copy["description"], copy["visibility"], copy["mine"]) == (
        "Picks",
        "For Sunday",
        "private",
        True,
    )
    assert copy["item_count"] == 2
    assert ids(await opened(client, bob, copy["id"])) == [c, a]  # never the draft they cannot see
    assert [p["id"] for p in (await mine(client, bob))["playlists"]] == [copy["id"]]
    # The copy is Bob's own: his changes leave the owner's alone.
    await add(client, bob, copy["id"], b)
    assert ids(await opened(client, owner, pid)) == [c, draft, a]

    # At the limit, one more copy is 409 and nothing is kept.
    now = datetime.datetime.now(datetime.UTC)
    async with unit_of_work(client.app.state.backends.database) as store:
        await store.playlists.add_many(playlist_rows(bob_id, MAX_PLAYLISTS - 1, now))
    r = await client.post(f"{SHARED}/{pid}/copies", headers=bob)
    assert (r.status_code, r.json()["code"]) == (409, "too_many_playlists"), r.text
    assert (await mine(client, bob))["total"] == MAX_PLAYLISTS


async def test_a_rename_under_if_match_never_undoes_another(catalogue_client: Client) -> None:
    """Two tabs read the playlist, both rename it: the second is 412 and changes nothing."""
    client = catalogue_client
    (a,) = await items(client, 1)
    _, alice = user(client)
    pid = await new_playlist(client, alice, "Cooking")
    read = (await opened(client, alice, pid))["etag"]

    first = await client.patch(
        f"{PLAYLISTS}/{pid}", json={"title": "Baking"}, headers={**alice, "If-Match": read}
    )
    assert first.status_code == 200, first.text
    assert first.json()["etag"] != read
    second = await client.patch(
        f"{PLAYLISTS}/{pid}",
        json={"title": "Grilling", "description": "x"},
        headers={**alice, "If-Match": read},
    )
    assert (second.status_code, second.json()["code"]) == (412, "changed_elsewhere")
    assert "playlist's title or description" in second.json()["detail"]
    now = await opened(client, alice, pid)
    assert (now["title"], now["description"], now["etag"]) == ("Baking", "", first.json()["etag"])

    # Adding an item or sharing changes no etag: a rename read before them still goes.
    await add(client, alice, pid, a)
    await share(client, alice, pid)
    tag = now["etag"]
    for listed in ("{}", '"other", {}'):  # the etag read, alone or in a list
        r = await client.patch(
            f"{PLAYLISTS}/{pid}",
            json={"description": f"Sunday {listed[:3]}"},
            headers={**alice, "If-Match": listed.format(tag)},
        )
        assert r.status_code == 200, r.text
        tag = r.json()["etag"]
    r = await client.patch(
        f"{PLAYLISTS}/{pid}", json={"title": "Any"}, headers={**alice, "If-Match": "*"}
    )
    assert r.status_code == 200, r.text
    weak = await client.patch(
        f"{PLAYLISTS}/{pid}",
        json={"title": "Weak"},
        headers={**alice, "If-Match": f"W/{r.json()['etag']}"},
    )
    assert (weak.status_code, weak.json()["code"]) == (412, "changed_elsewhere")
    assert (await opened(client, alice, pid))["title"] == "Any"


async def test_a_delete_under_if_match_deletes_only_the_playlist_as_read(
    catalogue_client: Client,
) -> None:
    """A playlist renamed in another tab since it was read is not deleted: 412, it stays."""
    client = catalogue_client
    _, alice = user(client)
    pid = await new_playlist(client, alice, "Cooking")
    read = (await opened(client, alice, pid))["etag"]
    renamed = await client.patch(f"{PLAYLISTS}/{pid}", json={"title": "Baking"}, headers=alice)
    assert renamed.status_code == 200, renamed.text

    stale = await client.delete(f"{PLAYLISTS}/{pid}", headers={**alice, "If-Match": read})
    assert (stale.status_code, stale.json()["code"]) == (412, "changed_elsewhere")
    assert "nothing was deleted" in stale.json()["detail"]
    bad = await client.delete(f"{PLAYLISTS}/{pid}", headers={**alice, "If-Match": "nope"})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_if_match")
    assert (await opened(client, alice, pid))["title"] == "Baking"

    current = renamed.json()["etag"]
    gone = await client.delete(f"{PLAYLISTS}/{pid}", headers={**alice, "If-Match": current})
    assert gone.status_code == 204, gone.text
    assert (await client.get(f"{PLAYLISTS}/{pid}", headers=alice)).status_code == 404


async def test_bad_input_is_refused_and_changes_nothing(catalogue_client: Client) -> None:
    client = catalogue_client
    (a,) = await items(client, 1)
    _, alice = user(client)
    _, bob = user(client)
    pid = await new_playlist(client, alice)
    await add(client, alice, pid, a)
    before = await opened(client, alice, pid)

    for body in (
        b'{"visibility": "public"}',
        b'{"visibility": null}',
        b'{"visibility": 1}',
        b'{"visibility": "UNLISTED"}',
        b'{"visibility": "unlisted", "user_id": "x"}',
    ):
        r = await client.patch(f"{PLAYLISTS}/{pid}", content=body, headers=alice)
        assert (r.status_code, r.json()["code"]) == (400, "validation_error"), (body, r.text)
    for if_match in ("no-quotes", '"open', "W/", ",", '"a" "b"', '"' + "x" * 1000 + '"'):
        r = await client.patch(
            f"{PLAYLISTS}/{pid}", json={"title": "x"}, headers={**alice, "If-Match": if_match}
        )
        assert r.status_code == 400, (if_match, r.text)
        assert r.json()["code"] in ("invalid_if_match", "validation_error")
    for bad in ("not-a-uuid", "1", "..%2F..%2Fetc", "x" * 300, pid[:-1]):
        for method, path in (("GET", ""), ("POST", "/copies")):
            r = await client.request(method, f"{SHARED}/{bad}{path}", headers=bob)
            assert r.status_code in (404, 405), (method, bad, r.text)
            assert r.json()["status"] == r.status_code
    assert await opened(client, alice, pid) == before
    assert (await mine(client, bob))["total"] == 0


async def test_anonymous_expired_and_revoked_callers_get_401(catalogue_client: Client) -> None:
    client = catalogue_client
    _, alice = user(client)
    pid = await new_playlist(client, alice)
    await share(client, alice, pid)
    expired = bearer(mint_token(client.app.state.settings, ttl_seconds=-60))
    token = mint_token(client.app.state.settings, user_id=str(uuid.uuid4()))
    revocations = RevocationList(
        client.app.state.backends.kv(REVOKED_TOKENS_BUCKET, REVOCATION_TTL_SECONDS)
    )
    await revocations.revoke(jwt.get_unverified_claims(token)["jti"])
    for method, url in (("GET", f"{SHARED}/{pid}"), ("POST", f"{SHARED}/{pid}/copies")):
        for headers, code in (
            ({}, "unauthorized"),
            (expired, "invalid_token"),
            (bearer(token), "token_revoked"),
        ):
            r = await client.request(method, url, headers=headers)
            assert (r.status_code, r.json()["code"]) == (401, code), (method, url, r.text)
    r = await client.patch(
        f"{PLAYLISTS}/{pid}", json={"visibility": "private"}, headers=bearer(token)
    )
    assert (r.status_code, r.json()["code"]) == (401, "token_revoked")
    assert (await mine(client, alice))["playlists"][0]["visibility"] == "unlisted"
