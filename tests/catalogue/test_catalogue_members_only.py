"""The catalogue on a members-only server (``STREAMSTACK_GUEST_ACCESS=none``), on both
backend kinds: a signed-out caller reads nothing (the list, a search, an item, its comments
(one by its id too) and replies, tags, related items, the feed) and is told the same for an
item that exists and one that does not; a forged token reads nothing either; a member reads
it all as before; a share link still opens and plays its video to whoever holds it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from catalogue_testing import API, admin_headers, put_object, viewer_headers
from comment_testing import item, person, post, reply

from support.apps import AppClient, running_app
from support.fixtures import SettingsFactory

ORIGINAL = b"members only " * 64


@pytest.fixture
async def app(settings_factory: SettingsFactory) -> AsyncIterator[AppClient]:
    settings = settings_factory(modules=("catalogue", "streaming"), guest_access="none")
    async with running_app(settings) as client:
        yield client


def guest_reads(item_id: str, comment_id: str) -> list[str]:
    """Every catalogue read a signed-out caller could make on an open server."""
    return [
        API,
        f"{API}?q=club",
        f"{API}/{item_id}",
        f"{API}/{item_id}/comments",
        f"{API}/{item_id}/comments/{comment_id}",
        f"{API}/comments/{comment_id}/replies",
        f"{API}/tags",
        f"{API}/{item_id}/related",
        f"{API}/feeds/videos.atom",
    ]


def answer(r: object) -> tuple[int, dict[str, object]]:
    """Status and body, less the request's id."""
    body = dict(r.json())  # type: ignore[attr-defined]
    body.pop("request_id", None)
    return r.status_code, body  # type: ignore[attr-defined]


async def test_a_guest_reads_nothing_and_a_member_reads_all(app: AppClient) -> None:
    item_id = await item(app, title="Club night", description="For the club.")
    _, ada = person(app, "Ada")
    comment = await post(app, item_id, ada, "See you there")
    await reply(app, comment, ada, "Bring a friend")
    missing = str(uuid.uuid4())
    told = (
        401,
        {
            "status": 401,
            "code": "sign_in_required",
            "detail": "This is a members-only server: sign in to see its videos.",
        },
    )
    forged = {"Authorization": "Bearer not-a-token"}
    for path, nothing in zip(
        guest_reads(item_id, comment["id"]), guest_reads(missing, missing), strict=True
    ):
        r = await app.get(path)
        assert answer(r) == told, (path, r.text)
        assert "Club" not in r.text and "Ada" not in r.text
        assert answer(await app.get(nothing)) == told, nothing  # no id is told to exist
        refused = await app.get(path, headers=forged)
        assert refused.status_code == 401 and "Club" not in refused.text, path
    member = viewer_headers(app.app.state.settings)
    for path in guest_reads(item_id, comment["id"]):
        r = await app.get(path, headers=member)
        assert r.status_code == 200, (path, r.text)
    listed = (await app.get(f"{API}?q=club", headers=member)).json()
    assert [found["title"] for found in listed["items"]] == ["Club night"]


async def test_a_share_link_still_plays_to_a_guest(app: AppClient) -> None:
    settings = app.app.state.settings
    item_id = await item(app, size_bytes=len(ORIGINAL))
    await put_object(settings, f"{item_id}.mp4", ORIGINAL)
    r = await app.post(
        f"{API}/{item_id}/shares", json={"expires_in_days": 7}, headers=admin_headers(settings)
    )
    assert r.status_code == 201, r.text
    secret = r.json()["path"].removeprefix("/s/")
    opened = await app.get(f"{API}/shared/{secret}")
    assert opened.status_code == 200, opened.text
    assert opened.json()["item"]["id"] == item_id
    token = await app.post(f"{API}/shared/{secret}/stream-token")
    assert token.status_code == 200, token.text
    played = await app.get(token.json()["stream_url"])
    assert played.status_code == 200 and played.content == ORIGINAL
