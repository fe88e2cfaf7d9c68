"""Share links, on both backend kinds: an admin makes a link for one published video, lists
an item's links and stops one; whoever holds it opens the video and plays its bytes without
an account, until the link is stopped, expires, or the video is unpublished or deleted.
Every refused link (malformed ones too) is the same 404; drafts are refused at creation;
viewers reach no admin route; a bad expiry and the limit per item change nothing; stream
tokens by link are budgeted per client address."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from catalogue_testing import API, admin_headers, create_item, put_object, viewer_headers

from streamstack.contracts.limits import MAX_SHARE_LINKS
from streamstack.kernel.clock import utcnow
from streamstack.streaming.sessions import RECHECK_SECONDS
from support.apps import AppClient, running_app
from support.clock import HeldClock
from support.fixtures import SettingsFactory

ORIGINAL = bytes(range(256)) * 8
BURST = 4
REFILL_SECONDS = 5
#: What every refused link answers, word for word (less the request's id).
#: One detail for every reason, which it must not tell (a link to an unpublished video is
#: only paused), the words of the guest's page (``web/src/pages/SharedWatch.tsx``).
REFUSED = {
    "status": 404,
    "code": "share_not_found",
    "detail": "This link does not work right now. It may have expired or been stopped, or the "
    "video may be unavailable for a while. Ask the person who shared it.",
}


@pytest.fixture
def clock() -> HeldClock:
    return HeldClock(utcnow().replace(microsecond=0))


@pytest.fixture
async def app(settings_factory: SettingsFactory, clock: HeldClock) -> AsyncIterator[AppClient]:
    """Catalogue and streaming on this test's backend kind, on a held clock, with a small
    budget of stream tokens by link."""
    async with sharing_app(settings_factory, clock) as client:
        yield client


@pytest.fixture(scope="module")
async def module_app(
    module_settings_factory: SettingsFactory, module_clock: HeldClock
) -> AsyncIterator[AppClient]:
    """``app`` shared by the module's tests that touch only an item of their own and never
    move the clock (one app per backend kind)."""
    async with sharing_app(module_settings_factory, module_clock) as client:
        yield client


def sharing_app(
    factory: SettingsFactory, clock: HeldClock
) -> AbstractAsyncContextManager[AppClient]:
    settings = factory(
        modules=("catalogue", "streaming"),
        shared_token_burst=BURST,
        shared_token_refill_seconds=REFILL_SECONDS,
    )
    return running_app(settings, clock=clock)


def admin(app: AppClient) -> dict[str, str]:
    return admin_headers(app.app.state.settings)


async def video(app: AppClient, **overrides: Any) -> dict[str, Any]:
    """A new item whose original is stored (published unless told)."""
    settings = app.app.state.settings
    item = await create_item(app, settings, size_bytes=len(ORIGINAL), **overrides)
    await put_object(settings, item["s3_key"], ORIGINAL)
    return item


async def share(app: AppClient, item_id: str, days: int | None = 7) -> dict[str, Any]:
    r = await app.post(
        f"{API}/{item_id}/shares", json={"expires_in_days": days}, headers=admin(app)
    )
    assert r.status_code == 201, r.text
    link: dict[str, Any] = r.json()
    return link


def secret_of(link: dict[str, Any]) -> str:
    path: str = link["path"]
    assert path.startswith("/s/")
    assert link["embed_path"] == "/embed" + path  # the player alone, for other sites' iframes
    return path.removeprefix("/s/")


async def links(app: AppClient, item_id: str) -> list[dict[str, Any]]:
    r = await app.get(f"{API}/{item_id}/shares", headers=admin(app))
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["links"]
    return found


async def stream_url(app: AppClient, secret: str) -> str:
    r = await app.post(f"{API}/shared/{secret}/stream-token")
    assert r.status_code == 200, r.text
    url: str = r.json()["stream_url"]
    return url


async def plays(app: AppClient, url: str) -> bool:
    """Whether the stream URL answers the original's bytes to a ranged GET (404 if not)."""
    r = await app.get(url, headers={"Range": "bytes=10-19"})
    if r.status_code == 404:
        assert r.json()["code"] == "stream_token_not_found", r.text
        return False
    assert r.status_code == 206 and r.content == ORIGINAL[10:20], r.text
    return True


async def stops(app: AppClient, url: str) -> None:
    """The stream URL stops playing within the recheck of revocations (and take-downs)."""
    async with asyncio.timeout(RECHECK_SECONDS + 10):
        while await plays(app, url):
            await asyncio.sleep(0.1)


def refused(response: httpx.Response) -> None:
    assert response.status_code == 404, response.text
    body = response.json()
    assert {key: body[key] for key in REFUSED} == REFUSED


def no_such_id(response: httpx.Response) -> None:
    """An admin stopping a link of no known id is told so (not a guest's words)."""
    assert response.status_code == 404, response.text
    assert (response.json()["code"], response.json()["detail"]) == (
        "share_not_found",
        "No share link has this id: it may have gone with its video.",
    )


async def refused_everywhere(app: AppClient, secret: str) -> None:
    refused(await app.get(f"{API}/shared/{secret}"))
    refused(await app.post(f"{API}/shared/{secret}/stream-token"))


async def test_an_admin_creates_lists_and_stops_links(app: AppClient, clock: HeldClock) -> None:
    item = await video(app)
    week = await share(app, item["id"])
    assert len(secret_of(week)) == 43 and week["item_id"] == item["id"]
    expires = datetime.datetime.fromisoformat(week["expires_at"])
    assert expires == clock.now + datetime.timedelta(days=7)
    assert (week["opens"], week["revoked_at"], week["last_opened_at"]) == (0, None, None)
    clock.advance(1)
    never = await share(app, item["id"], None)
    assert never["expires_at"] is None and secret_of(never) != secret_of(week)
    assert [link["id"] for link in await links(app, item["id"])] == [never["id"], week["id"]]
    for _ in range(2):  # stopping it again changes nothing
        r = await app.delete(f"{API}/shares/{week['id']}", headers=admin(app))
        assert r.status_code == 204, r.text
    listed = {link["id"]: link for link in await links(app, item["id"])}
    assert listed[week["id"]]["revoked_at"] is not None
    assert listed[week["id"]]["revoked_reason"] == "stopped_by_admin"
    assert (listed[never["id"]]["revoked_at"], listed[never["id"]]["revoked_reason"]) == (
        None,
        None,
    )
    no_such_id(await app.delete(f"{API}/shares/{item['id']}", headers=admin(app)))  # no such link
    r = await app.get(f"{API}/{never['id']}/shares", headers=admin(app))  # no such item
    assert r.status_code == 404 and r.json()["code"] == "item_not_found"


async def test_anyone_with_the_link_watches_without_an_account(app: AppClient) -> None:
    item = await video(app)
    r = await app.patch(f"{API}/{item['id']}", json={"visibility": "unlisted"}, headers=admin(app))
    assert r.status_code == 200, r.text  # an unlisted video is shared as a listed one
    link = await share(app, item["id"])
    secret = secret_of(link)
    anonymous = (await app.get(f"{API}/{item['id']}")).json()
    tickets = set()
    for _ in range(2):
        r = await app.get(f"{API}/shared/{secret}")
        assert r.status_code == 200, r.text
        opened = r.json()
        tickets.add(uuid.UUID(opened.pop("play_ticket")))  # each load its own
        assert opened == {"item": anonymous, "expires_at": link["expires_at"]}
    assert len(tickets) == 2
    counted = (await links(app, item["id"]))[0]
    assert counted["opens"] == 2 and counted["last_opened_at"] is not None
    assert counted["plays"] == 0  # opened, never played
    r = await app.post(f"{API}/shared/{secret}/stream-token")
    assert r.status_code == 200, r.text
    assert r.json()["download_url"] is None  # a link never downloads
    assert await plays(app, r.json()["stream_url"])
    original = await app.get(f"{r.json()['stream_url']}/original")
    assert original.status_code == 404


async def test_a_stopped_link_stops_playback_under_way(app: AppClient) -> None:
    item = await video(app)
    stopped, kept = await share(app, item["id"]), await share(app, item["id"])
    url, other = await stream_url(app, secret_of(stopped)), await stream_url(app, secret_of(kept))
    assert await plays(app, url)
    # What a share link's player asks every few seconds as it plays from its buffer.
    assert (await app.head(url)).status_code == 200
    r = await app.delete(f"{API}/shares/{stopped['id']}", headers=admin(app))
    assert r.status_code == 204, r.text
    await stops(app, url)
    assert (await app.head(url)).status_code == 404
    await refused_everywhere(app, secret_of(stopped))
    assert await plays(app, other)  # another link of the item plays on


async def test_unpublishing_stops_a_link_until_published_again(
    app: AppClient, clock: HeldClock
) -> None:
    item = await video(app)
    link = await share(app, item["id"])
    url = await stream_url(app, secret_of(link))
    assert await plays(app, url)
    r = await app.patch(f"{API}/{item['id']}", json={"status": "draft"}, headers=admin(app))
    assert r.status_code == 200, r.text
    await stops(app, url)
    await refused_everywhere(app, secret_of(link))
    r = await app.patch(f"{API}/{item['id']}", json={"status": "published"}, headers=admin(app))
    assert r.status_code == 200, r.text
    clock.advance(1)  # tokens carry whole seconds: one of the withdrawal's second is refused
    assert (await app.get(f"{API}/shared/{secret_of(link)}")).status_code == 200
    assert await plays(app, await stream_url(app, secret_of(link)))


async def test_unpublishing_answers_how_many_links_it_pauses(
    app: AppClient, clock: HeldClock
) -> None:
    item = await video(app)
    await share(app, item["id"], 1)
    clock.advance(24 * 3600)  # that one has expired: it pauses nothing
    await share(app, item["id"])
    await share(app, item["id"], None)
    stopped = await share(app, item["id"])
    r = await app.delete(f"{API}/shares/{stopped['id']}", headers=admin(app))
    assert r.status_code == 204, r.text

    async def edited(body: dict[str, Any], of: dict[str, Any] = item) -> int:
        r = await app.patch(f"{API}/{of['id']}", json=body, headers=admin(app))
        assert r.status_code == 200, r.text
        paused: int = r.json()["paused_share_links"]
        return paused

    assert await edited({"status": "draft"}) == 2
    assert await edited({"status": "draft"}) == 0  # a draft already: nothing more paused
    assert await edited({"title": "Renamed"}) == 0
    assert await edited({"status": "published"}) == 0
    assert await edited({"status": "draft"}, await video(app)) == 0  # never shared


async def test_a_link_ends_at_its_expiry(app: AppClient, clock: HeldClock) -> None:
    item = await video(app)
    link = await share(app, item["id"], 1)
    url = await stream_url(app, secret_of(link))
    clock.advance(24 * 3600 - 1)
    assert await plays(app, url)
    assert (await app.get(f"{API}/shared/{secret_of(link)}")).status_code == 200
    clock.advance(1)
    assert not await plays(app, url)
    await refused_everywhere(app, secret_of(link))
    assert (await links(app, item["id"]))[0]["revoked_at"] is None  # ended, not stopped


async def test_deleting_the_item_deletes_its_links(app: AppClient) -> None:
    item = await video(app)
    link = await share(app, item["id"])
    url = await stream_url(app, secret_of(link))
    r = await app.delete(f"{API}/{item['id']}", headers=admin(app))
    assert r.status_code == 204, r.text
    await stops(app, url)
    await refused_everywhere(app, secret_of(link))
    no_such_id(await app.delete(f"{API}/shares/{link['id']}", headers=admin(app)))


async def test_drafts_and_unknown_items_are_not_shared(app: AppClient) -> None:
    draft = await video(app, publish=False)
    future = (utcnow() + datetime.timedelta(days=1)).isoformat()
    scheduled = await video(app, publish=False)
    r = await app.patch(f"{API}/{scheduled['id']}", json={"publish_at": future}, headers=admin(app))
    assert r.status_code == 200, r.text
    for item in (draft, scheduled):
        r = await app.post(f"{API}/{item['id']}/shares", json={}, headers=admin(app))
        assert r.status_code == 409 and r.json()["code"] == "item_not_published", r.text
        assert await links(app, item["id"]) == []
    r = await app.post(f"{API}/{link_less_id()}/shares", json={}, headers=admin(app))
    assert r.status_code == 404 and r.json()["code"] == "item_not_found"


@pytest.mark.parametrize("backend_kind", ["embedded"])  # a setting read at mount, no backend
async def test_no_embed_page_is_offered_where_no_site_may_frame_it(
    settings_factory: SettingsFactory,
) -> None:
    settings = settings_factory(modules=("catalogue", "streaming"), embed_ancestors="'none'")
    async with running_app(settings) as app:
        item = await video(app)
        made = await share(app, item["id"])
        assert made["path"].startswith("/s/") and made["embed_path"] is None
        assert [link["embed_path"] for link in await links(app, item["id"])] == [None]


@pytest.mark.parametrize("backend_kind", ["embedded"])  # a setting read at mount, no backend
@pytest.mark.parametrize(
    ("ancestors", "sites"),
    [
        ("*", ["*"]),
        ("https://club.example  'self'", ["https://club.example", "'self'"]),
        ("'none'", []),
    ],
)
async def test_the_list_names_the_sites_that_may_embed_its_links(
    settings_factory: SettingsFactory, ancestors: str, sites: list[str]
) -> None:
    settings = settings_factory(modules=("catalogue", "streaming"), embed_ancestors=ancestors)
    async with running_app(settings) as app:
        item = await video(app)
        await share(app, item["id"])
        r = await app.get(f"{API}/{item['id']}/shares", headers=admin(app))
    assert r.status_code == 200, r.text
    assert r.json()["embed_sites"] == sites


async def test_a_video_that_does_not_play_is_not_shared(app: AppClient) -> None:
    # Published, waiting for its transcode (or failed): its guest was told the link "no
    # longer works", and the admin had been told "anyone with this link can watch".
    waiting = await video(app, playable=False)
    r = await app.post(f"{API}/{waiting['id']}/shares", json={}, headers=admin(app))
    assert r.status_code == 409 and r.json()["code"] == "item_not_playable", r.text
    assert "does not play yet" in r.json()["detail"]
    assert await links(app, waiting["id"]) == []


def link_less_id() -> str:
    return "00000000-0000-4000-8000-000000000000"


MALFORMED = [
    "x",
    "A" * 42,
    "A" * 44,
    "A" * 42 + ".",
    "A" * 42 + "%2e",
    "%2e%2e",
    "A" * 42 + "%C3%A9",
    "A" * 1000,
]


async def test_every_refused_link_is_the_same_404(app: AppClient, clock: HeldClock) -> None:
    item = await video(app)
    link = await share(app, item["id"])
    secret = secret_of(link)
    unknown = ("B" if secret[0] != "B" else "C") + secret[1:]
    for candidate in (unknown, *MALFORMED):
        clock.advance(REFILL_SECONDS)  # guesses spend the address's budget too
        await refused_everywhere(app, candidate)
    assert (await links(app, item["id"]))[0]["opens"] == 0


async def test_viewers_and_anonymous_callers_reach_no_admin_route(app: AppClient) -> None:
    item = await video(app)
    link = await share(app, item["id"])
    viewer = viewer_headers(app.app.state.settings)
    for headers, status in ((viewer, 403), ({}, 401)):
        calls = (
            app.post(f"{API}/{item['id']}/shares", json={}, headers=headers),
            app.get(f"{API}/{item['id']}/shares", headers=headers),
            app.delete(f"{API}/shares/{link['id']}", headers=headers),
        )
        for call in calls:
            assert (await call).status_code == status
    assert [entry["revoked_at"] for entry in await links(app, item["id"])] == [None]


async def test_the_live_links_of_an_item_are_limited(app: AppClient, clock: HeldClock) -> None:
    item = await video(app)
    made = [await share(app, item["id"], 1) for _ in range(MAX_SHARE_LINKS)]
    r = await app.post(f"{API}/{item['id']}/shares", json={}, headers=admin(app))
    assert r.status_code == 409 and r.json()["code"] == "too_many_share_links", r.text
    await app.delete(f"{API}/shares/{made[0]['id']}", headers=admin(app))
    await share(app, item["id"])  # a stopped one counts no more
    clock.advance(24 * 3600)  # …nor do expired ones
    await share(app, item["id"])
    assert len(await links(app, item["id"])) == MAX_SHARE_LINKS + 2


@pytest.mark.parametrize(
    "body",
    [
        {"expires_in_days": 0},
        {"expires_in_days": 366},
        {"expires_in_days": -1},
        {"expires_in_days": 1.5},
        {"expires_in_days": 7, "secret": "mine"},
        [],
    ],
)
async def test_a_bad_expiry_is_400_and_makes_no_link(module_app: AppClient, body: Any) -> None:
    """On the module's app: an item of its own, refused writes only."""
    app = module_app
    item = await video(app)
    r = await app.post(f"{API}/{item['id']}/shares", json=body, headers=admin(app))
    assert r.status_code == 400, r.text
    assert await links(app, item["id"]) == []


async def test_stream_tokens_by_link_are_budgeted_per_address(
    app: AppClient, clock: HeldClock
) -> None:
    item = await video(app)
    secret = secret_of(await share(app, item["id"]))
    for _ in range(BURST):
        await stream_url(app, secret)
    r = await app.post(f"{API}/shared/{secret}/stream-token")
    assert r.status_code == 429, r.text
    assert r.json()["code"] == "stream_tokens_throttled"
    assert r.headers["retry-after"] == str(REFILL_SECONDS)
    elsewhere = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app.app, client=("192.0.2.7", 4321)),
        base_url=str(app.base_url),
    )
    async with elsewhere:  # another address has its own budget
        assert (await elsewhere.post(f"{API}/shared/{secret}/stream-token")).status_code == 200
    clock.advance(REFILL_SECONDS)
    await stream_url(app, secret)
