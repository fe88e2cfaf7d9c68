"""Unlisted items, on both backend kinds: a published item no viewer's list shows (Browse,
its cached pages and totals, search, a tag's page and the tag counts, most viewed, Up next
and related), which anyone signed in watches by its link (the item, its stream token), and
which their history and a playlist hold as any other; admins find it with a filter; and
what a viewer, a revoked token or a malformed visibility gets (nothing changes)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from catalogue_testing import API, admin_headers, create_item, eventually, viewer_headers
from jose import jwt
from playlist_testing import add, new_playlist, shown, user

from streamstack.kernel.revocation import (
    REVOCATION_TTL_SECONDS,
    REVOKED_TOKENS_BUCKET,
    RevocationList,
)
from support.apps import AppClient, bearer, mint_token
from support.fixtures import SettingsFactory
from support.processes import module_processes


async def titles(client: httpx.AsyncClient, **params: Any) -> tuple[list[str], int]:
    """The titles of a list page and its total."""
    headers = params.pop("headers", None)
    r = await client.get(f"{API}/", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return [item["title"] for item in r.json()["items"]], r.json()["total"]


async def unlist(client: httpx.AsyncClient, item_id: str, headers: dict[str, str]) -> Any:
    r = await client.patch(f"{API}/{item_id}", json={"visibility": "unlisted"}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def related(client: httpx.AsyncClient, item_id: str, headers: dict[str, str]) -> list[str]:
    r = await client.get(f"{API}/{item_id}/related", headers=headers)
    assert r.status_code == 200, r.text
    return [item["title"] for item in r.json()["items"]]


async def test_an_unlisted_item_is_in_no_list_yet_plays_by_its_link(
    catalogue_client: AppClient,
) -> None:
    client, settings = catalogue_client, catalogue_client.app.state.settings
    admin, viewer = admin_headers(settings), viewer_headers(settings)
    await create_item(client, settings, title="Lecture 1", tags=["physics"])
    hidden = await create_item(client, settings, title="Lecture 2", tags=["physics"])
    assert hidden["visibility"] == "listed"
    assert await titles(client) == (["Lecture 2", "Lecture 1"], 2)  # now cached
    answer = await unlist(client, hidden["id"], admin)
    assert answer["visibility"] == "unlisted" and answer["status"] == "published"
    for headers in (None, viewer):
        assert await titles(client, headers=headers) == (["Lecture 1"], 1)
        assert await titles(client, headers=headers, sort="popular") == (["Lecture 1"], 1)
        assert await titles(client, headers=headers, q="lecture") == (["Lecture 1"], 1)
        assert await titles(client, headers=headers, q=hidden["id"]) == ([], 0)
        assert await titles(client, headers=headers, tag="physics") == (["Lecture 1"], 1)
    r = await client.get(f"{API}/tags", headers=viewer)
    assert r.json()["tags"] == [{"tag": "physics", "count": 1}]
    first = (await titles(client, headers=admin, status="all"))[0]
    assert sorted(first) == ["Lecture 1", "Lecture 2"]  # admins list it
    assert await titles(client, headers=admin, visibility="unlisted") == (["Lecture 2"], 1)
    assert await titles(client, headers=admin, visibility="listed") == (["Lecture 1"], 1)
    r = await client.get(f"{API}/tags", headers=admin)
    assert r.json()["tags"] == [{"tag": "physics", "count": 2}]
    # Up next of the first lecture is neither the next of its series nor a related item.
    lecture_1 = next(item for item in (await client.get(f"{API}/")).json()["items"])
    assert await related(client, lecture_1["id"], viewer) == []
    # By its link: the item, its Up next (the listed ones) and a stream token.
    r = await client.get(f"{API}/{hidden['id']}", headers=viewer)
    assert r.status_code == 200 and r.json()["visibility"] == "unlisted"
    assert await related(client, hidden["id"], viewer) == ["Lecture 1"]
    r = await client.post(f"{API}/{hidden['id']}/stream-token", headers=viewer)
    assert r.status_code == 200, r.text


async def test_watched_or_in_a_playlist_an_unlisted_item_shows_as_any(
    catalogue_client: AppClient,
) -> None:
    client, settings = catalogue_client, catalogue_client.app.state.settings
    hidden = await create_item(client, settings, title="For one class")
    await unlist(client, hidden["id"], admin_headers(settings))
    _, viewer = user(client)
    r = await client.put(
        f"{API}/{hidden['id']}/progress", json={"position_seconds": 3.0}, headers=viewer
    )
    assert r.status_code == 200, r.text
    for which in ("history", "continue-watching"):
        r = await client.get(f"{API}/me/{which}", headers=viewer)
        assert [entry["item"]["id"] for entry in r.json()["items"]] == [hidden["id"]]
        assert r.json()["total"] == 1
    playlist = await new_playlist(client, viewer)
    await add(client, viewer, playlist, hidden["id"])
    assert await shown(client, viewer, playlist) == [hidden["id"]]


async def test_listing_it_again_brings_it_back_and_drafts_keep_their_visibility(
    catalogue_client: AppClient,
) -> None:
    client, settings = catalogue_client, catalogue_client.app.state.settings
    admin = admin_headers(settings)
    item = await create_item(client, settings, title="Back again", publish=False)
    assert (await unlist(client, item["id"], admin))["status"] == "draft"
    r = await client.patch(f"{API}/{item['id']}", json={"status": "published"}, headers=admin)
    assert r.json()["visibility"] == "unlisted"
    assert await titles(client) == ([], 0)  # cached now
    r = await client.patch(f"{API}/{item['id']}", json={"visibility": "listed"}, headers=admin)
    assert r.status_code == 200 and r.json()["visibility"] == "listed"
    assert await titles(client) == (["Back again"], 1)


async def test_bad_visibilities_viewers_and_revoked_tokens_change_nothing(
    catalogue_client: AppClient,
) -> None:
    client, settings = catalogue_client, catalogue_client.app.state.settings
    admin = admin_headers(settings)
    item = await create_item(client, settings, title="Stays listed")
    url = f"{API}/{item['id']}"
    for bad in ("hidden", "", "UNLISTED", None, 1, ["unlisted"], {"v": 1}):
        r = await client.patch(url, json={"visibility": bad}, headers=admin)
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["code"] == "validation_error"
    for bad in ("hidden", "UNLISTED", "x" * 300):
        r = await client.get(f"{API}/", params={"visibility": bad}, headers=admin)
        assert r.status_code == 400, (bad, r.text)
    # A viewer asking for unlisted items gets the listed ones, as for any admin filter.
    assert await titles(client, visibility="unlisted", headers=viewer_headers(settings)) == (
        ["Stays listed"],
        1,
    )
    r = await client.patch(url, json={"visibility": "unlisted"}, headers=viewer_headers(settings))
    assert r.status_code == 403, r.text
    token = mint_token(settings, role="admin", user_id=str(uuid.uuid4()))
    revocations = RevocationList(
        client.app.state.backends.kv(REVOKED_TOKENS_BUCKET, REVOCATION_TTL_SECONDS)
    )
    await revocations.revoke(jwt.get_unverified_claims(token)["jti"])
    r = await client.patch(url, json={"visibility": "unlisted"}, headers=bearer(token))
    assert (r.status_code, r.json()["code"]) == (401, "token_revoked")
    r = await client.get(url, headers=admin)
    assert r.json()["visibility"] == "listed"
    assert await titles(client) == (["Stays listed"], 1)


# One process is one replica on the embedded backends: replicas exist only in production.
@pytest.mark.parametrize("backend_kind", ["production"])
async def test_unlisting_in_one_replica_clears_the_others_list(
    settings_factory: SettingsFactory,
) -> None:
    """Two catalogue processes on one database and one events bus: an item unlisted in
    one leaves the other's cached list (and its total) within a second, and comes back."""
    settings = settings_factory(modules=("catalogue",))
    admin = admin_headers(settings)
    async with module_processes(settings, [["catalogue"], ["catalogue"]]) as deployment:
        first, second = deployment.processes
        async with (
            httpx.AsyncClient(base_url=first.url, timeout=10) as one,
            httpx.AsyncClient(base_url=second.url, timeout=10) as other,
        ):
            item = await create_item(one, settings, title="Shared by link")

            async def listed() -> bool:
                return await titles(other) == (["Shared by link"], 1)

            await eventually(listed, what="the item in the other replica", seconds=1.0)
            assert await listed()  # cached there now
            await unlist(one, item["id"], admin)

            async def gone() -> bool:
                return await titles(other) == ([], 0)

            await eventually(gone, what="the unlisting in the other replica", seconds=1.0)
            r = await one.patch(f"{API}/{item['id']}", json={"visibility": "listed"}, headers=admin)
            assert r.status_code == 200, r.text
            await eventually(listed, what="the listing in the other replica", seconds=1.0)
