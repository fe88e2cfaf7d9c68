"""The Atom feed of new videos (``GET /api/v1/catalogue/feeds/videos.atom``), on both backend
kinds: what a signed-out visitor's Browse shows, newest first, as well-formed Atom whatever
the titles hold; one tag's feed; a bad tag; 304 on a repeat; links to the public URL (the
request's address without one); a members-only server's feed to members alone."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from catalogue_testing import API, admin_headers, create_item, viewer_headers

from streamstack.catalogue.feeds import FEED_ENTRIES
from support.apps import AppClient, running_app
from support.fixtures import SettingsFactory

FEED = f"{API}/feeds/videos.atom"
ATOM = "{http://www.w3.org/2005/Atom}"
MEDIA = "{http://search.yahoo.com/mrss/}"
PUBLIC_URL = "https://videos.example.org"
#: The server's name (STREAMSTACK_SITE_NAME), the feed's title.
SITE_NAME = "Herons Film Club"


@pytest.fixture
async def app(settings_factory: SettingsFactory) -> AsyncIterator[AppClient]:
    settings = settings_factory(
        modules=("catalogue", "streaming"), public_url=PUBLIC_URL, site_name=SITE_NAME
    )
    async with running_app(settings) as client:
        yield client


async def feed(client: httpx.AsyncClient, **params: Any) -> ET.Element:
    """The feed, parsed (200 and the Atom media type asserted)."""
    r = await client.get(FEED, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/atom+xml; charset=utf-8"
    return parsed(r.content)


def parsed(body: bytes) -> ET.Element:
    """The feed's XML: our own server's answer, so the stdlib parser is safe to use."""
    return ET.fromstring(body)  # noqa: S314


def titles(document: ET.Element) -> list[str]:
    return [entry.findtext(f"{ATOM}title", "") for entry in document.iter(f"{ATOM}entry")]


def link(element: ET.Element, rel: str) -> str:
    found = element.find(f"{ATOM}link[@rel='{rel}']")
    assert found is not None, rel
    return found.attrib["href"]


async def test_the_feed_lists_what_browse_shows_newest_first(app: AppClient) -> None:
    settings = app.app.state.settings
    first = await create_item(app, settings, title="First", tags=["Music", "live"])
    second = await create_item(app, settings, title="Second", description="Two\nlines")
    await create_item(app, settings, title="Draft", publish=False)
    await create_item(app, settings, title="Not playable yet", playable=False)
    hidden = await create_item(app, settings, title="Unlisted")
    scheduled = await create_item(app, settings, title="Scheduled", publish=False)
    admin = admin_headers(settings)
    r = await app.patch(f"{API}/{hidden['id']}", json={"visibility": "unlisted"}, headers=admin)
    assert r.status_code == 200, r.text
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    r = await app.patch(
        f"{API}/{scheduled['id']}", json={"publish_at": later.isoformat()}, headers=admin
    )
    assert r.status_code == 200, r.text

    document = await feed(app)
    assert document.tag == f"{ATOM}feed"
    assert document.findtext(f"{ATOM}title") == "Herons Film Club"
    assert document.findtext(f"{ATOM}author/{ATOM}name") == "Herons Film Club"
    assert link(document, "self") == f"{PUBLIC_URL}{FEED}"
    assert link(document, "alternate") == f"{PUBLIC_URL}/"
    assert titles(document) == ["Second", "First"]
    newest, oldest = document.findall(f"{ATOM}entry")
    assert newest.findtext(f"{ATOM}id") == f"urn:uuid:{second['id']}"
    assert link(newest, "alternate") == f"{PUBLIC_URL}/watch/{second['id']}"
    assert newest.findtext(f"{ATOM}summary") == "Two\nlines"
    assert document.findtext(f"{ATOM}updated") == newest.findtext(f"{ATOM}updated")
    assert [c.attrib["term"] for c in oldest.iter(f"{ATOM}category")] == ["live", "music"]
    thumbnail = oldest.find(f"{MEDIA}thumbnail")
    assert thumbnail is not None
    assert thumbnail.attrib["url"].startswith(f"{PUBLIC_URL}/api/v1/stream/thumbnails/")
    assert first["id"] in thumbnail.attrib["url"]


async def test_hostile_titles_and_descriptions_give_well_formed_xml(app: AppClient) -> None:
    settings = app.app.state.settings
    title = "<b>Tom & \"Jerry\"</b> 'live' 🎬 ]]> &amp;"
    description = "<script>alert(1)</script> & \x01\x08\x0b\x1f bell\x07 ☃ \ufffe end"
    await create_item(app, settings, title=title, description=description, tags=["a&b <c>"])
    r = await app.get(FEED)
    assert r.status_code == 200
    assert b"<script>" not in r.content and b"<b>" not in r.content
    entry = parsed(r.content).find(f"{ATOM}entry")
    assert entry is not None
    assert entry.findtext(f"{ATOM}title") == title
    assert entry.findtext(f"{ATOM}summary") == "<script>alert(1)</script> &  bell ☃  end"
    assert [c.attrib["term"] for c in entry.iter(f"{ATOM}category")] == ["a&b <c>"]


async def test_one_tags_feed_and_a_bad_tag(app: AppClient) -> None:
    settings = app.app.state.settings
    await create_item(app, settings, title="Jazz night", tags=["Jazz"])
    await create_item(app, settings, title="Rock night", tags=["rock"])
    document = await feed(app, tag=" JAZZ ")
    assert titles(document) == ["Jazz night"]
    assert document.findtext(f"{ATOM}title") == "Herons Film Club: videos tagged jazz"
    assert link(document, "self") == f"{PUBLIC_URL}{FEED}?tag=jazz"
    assert link(document, "alternate") == f"{PUBLIC_URL}/?tag=jazz"
    assert titles(await feed(app, tag="nothing")) == []
    for bad in ("a,b", "x" * 41, "", "line\nbreak", "   "):
        r = await app.get(FEED, params={"tag": bad})
        assert r.status_code == 400, (bad, r.text)
        assert r.headers["content-type"].startswith("application/json")
        assert r.json()["status"] == 400


async def test_a_repeat_with_the_etag_is_304_until_a_video_changes(app: AppClient) -> None:
    settings = app.app.state.settings
    item = await create_item(app, settings, title="Before")
    r = await app.get(FEED)
    etag = r.headers["etag"]
    assert r.headers["cache-control"] == "public, max-age=300"
    again = await app.get(FEED, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert (await app.get(FEED, headers={"If-None-Match": '"other"'})).status_code == 200
    assert (await app.get(FEED, headers={"If-None-Match": "garbage"})).status_code == 200
    r = await app.patch(
        f"{API}/{item['id']}", json={"title": "After"}, headers=admin_headers(settings)
    )
    assert r.status_code == 200, r.text
    changed = await app.get(FEED, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert titles(parsed(changed.content)) == ["After"]


async def test_the_feed_is_capped(app: AppClient) -> None:
    settings = app.app.state.settings
    for number in range(FEED_ENTRIES + 1):
        await create_item(app, settings, title=f"Video {number}")
    listed = titles(await feed(app))
    assert len(listed) == FEED_ENTRIES and listed[0] == f"Video {FEED_ENTRIES}"


async def test_without_a_public_url_links_use_the_address_asked(
    settings_factory: SettingsFactory,
) -> None:
    async with running_app(settings_factory(modules=("catalogue",))) as client:
        item = await create_item(client, client.app.state.settings, title="Local")
        document = await feed(client)
        entry = document.find(f"{ATOM}entry")
        assert entry is not None
        asked = str(client.base_url).rstrip("/")
        assert link(entry, "alternate") == f"{asked}/watch/{item['id']}"
        assert link(document, "self") == f"{asked}{FEED}"


async def test_a_members_only_server_gives_its_feed_to_members_alone(
    settings_factory: SettingsFactory,
) -> None:
    settings = settings_factory(modules=("catalogue",), guest_access="none")
    async with running_app(settings) as client:
        await create_item(client, settings, title="Club night")
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            r = await client.get(FEED, headers=headers)
            assert r.status_code == 401 and "Club" not in r.text, r.text
        r = await client.get(FEED, headers=viewer_headers(settings))
        assert r.status_code == 200 and r.headers["cache-control"] == "private, no-cache"
        assert titles(parsed(r.content)) == ["Club night"]
