"""Link previews on both backend kinds: the SPA's pages of one video (``/watch/<id>``,
``/s/<secret>``, ``/embed/s/<secret>``) carry the video's card (title, Open Graph, Twitter,
oEmbed discovery) only for what a signed-out visitor may see, every value escaped; anything
else is the plain page, byte for byte; and ``GET /oembed`` answers the same rule."""

from __future__ import annotations

import datetime
import html.parser
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from catalogue_testing import API, admin_headers, create_item

from support.apps import AppClient, running_app
from support.clock import HeldClock
from support.fixtures import SettingsFactory

PUBLIC_URL = "https://videos.example.org"
SITE_NAME = "Herons Film Club"
OEMBED = f"{API}/oembed"
#: As Vite builds web/index.html: a title, the app's script.
INDEX = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <title>StreamStack</title>
    <script type="module" crossorigin src="/assets/index-abc123.js"></script>
  </head>
  <body><div id="root"></div></body>
</html>
"""
HOSTILE = "Pwned\"/><script>alert(1)</script> & <b>bold</b> 'quoted'"


@pytest.fixture
def clock() -> HeldClock:
    return HeldClock()


def web_dist(tmp_path: Path) -> Path:
    web = tmp_path / "web"
    web.mkdir(exist_ok=True)
    (web / "index.html").write_text(INDEX)
    return web


@pytest.fixture
async def app(
    settings_factory: SettingsFactory, tmp_path: Path, clock: HeldClock
) -> AsyncIterator[AppClient]:
    settings = settings_factory(
        modules=("catalogue", "streaming"),
        public_url=PUBLIC_URL,
        site_name=SITE_NAME,
        web_dist_dir=web_dist(tmp_path),
    )
    async with running_app(settings, clock=clock) as client:
        yield client


@pytest.fixture
async def members_only(
    settings_factory: SettingsFactory, tmp_path: Path
) -> AsyncIterator[AppClient]:
    settings = settings_factory(
        modules=("catalogue", "streaming"),
        public_url=PUBLIC_URL,
        site_name=SITE_NAME,
        guest_access="none",
        web_dist_dir=web_dist(tmp_path),
    )
    async with running_app(settings) as client:
        yield client


class Head(html.parser.HTMLParser):
    """The page's title, its meta tags (by property or name) and links (by type)."""

    def __init__(self) -> None:
        super().__init__()
        self.title, self.meta, self.links = "", {}, {}  # type: ignore[var-annotated]
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "meta" and "content" in found:
            self.meta[found.get("property") or found.get("name")] = found["content"]
        elif tag == "link":
            self.links[found.get("type")] = found
        self._in_title = tag == "title"

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False


def head_of(body: bytes) -> Head:
    parser = Head()
    parser.feed(body.decode())
    return parser


async def page(app: AppClient, path: str) -> bytes:
    r = await app.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    return r.content


async def plain(app: AppClient) -> bytes:
    """What any page that shows no video answers."""
    body = await page(app, "/library")
    assert head_of(body).title == SITE_NAME
    assert b"og:" not in body
    return body


async def share(app: AppClient, item_id: str) -> dict[str, Any]:
    settings = app.app.state.settings
    r = await app.post(
        f"{API}/{item_id}/shares", json={"expires_in_days": 1}, headers=admin_headers(settings)
    )
    assert r.status_code == 201, r.text
    link: dict[str, Any] = r.json()
    return link


async def test_a_public_video_has_its_card_on_its_watch_page(app: AppClient) -> None:
    settings = app.app.state.settings
    item = await create_item(app, settings, title="Herons at dawn", description="Grey\nbirds " * 60)
    body = await page(app, f"/watch/{item['id']}")
    head = head_of(body)
    assert head.title == f"Herons at dawn \N{EN DASH} {SITE_NAME}"
    watch = f"{PUBLIC_URL}/watch/{item['id']}"
    assert head.meta["og:type"] == "video.other"
    assert head.meta["og:title"] == "Herons at dawn"
    assert head.meta["og:url"] == watch
    assert head.meta["og:site_name"] == SITE_NAME
    assert head.meta["og:image"] == f"{PUBLIC_URL}{item['thumbnail_url']}"
    assert head.meta["twitter:card"] == "summary_large_image"
    description = head.meta["og:description"]
    assert description.startswith("Grey birds Grey birds") and description.endswith("…")
    assert len(description) <= 200 and "\n" not in description
    oembed = head.links["application/json+oembed"]["href"]
    assert oembed.startswith(f"{PUBLIC_URL}{OEMBED}?url=")
    # The SPA boots as built: its script is still there, its head otherwise untouched.
    assert b'<script type="module" crossorigin src="/assets/index-abc123.js"></script>' in body
    assert body.endswith(INDEX.split("</head>")[1].encode())
    r = await app.head(f"/watch/{item['id']}")
    assert r.status_code == 200 and r.content == b""
    # The discovery link's address answers the card's oEmbed.
    r = await app.get(oembed.removeprefix(PUBLIC_URL))
    assert r.status_code == 200, r.text
    assert r.json()["title"] == "Herons at dawn"


async def test_a_video_without_a_description_has_a_card_without_one(app: AppClient) -> None:
    """No empty description: a chat app shows the title alone, not a blank line."""
    settings = app.app.state.settings
    item = await create_item(app, settings, title="Herons, said nothing of", description="")
    body = await page(app, f"/watch/{item['id']}")
    head = head_of(body)
    assert head.meta["og:title"] == "Herons, said nothing of"
    assert "og:description" not in head.meta and "description" not in head.meta, head.meta


async def test_a_hostile_title_stays_text(app: AppClient) -> None:
    settings = app.app.state.settings
    item = await create_item(app, settings, title=HOSTILE, description=HOSTILE)
    body = await page(app, f"/watch/{item['id']}")
    assert b"<script>alert" not in body and b"<b>bold" not in body
    head = head_of(body)
    assert head.meta["og:title"] == HOSTILE
    assert head.meta["og:description"] == HOSTILE
    assert head.title == f"{HOSTILE} \N{EN DASH} {SITE_NAME}"
    link = await share(app, item["id"])
    r = await app.get(OEMBED, params={"url": PUBLIC_URL + link["path"]})
    assert r.status_code == 200, r.text
    frame = r.json()["html"]
    assert "<script" not in frame and "<b>" not in frame
    assert f'title="{HOSTILE.replace("&", "&amp;").replace("<", "&lt;")}' not in frame
    assert 'title="Pwned&quot;/&gt;&lt;script&gt;' in frame


async def test_what_a_guest_may_not_open_is_the_plain_page(
    app: AppClient, clock: HeldClock
) -> None:
    settings = app.app.state.settings
    expected = await plain(app)
    draft = await create_item(app, settings, title="Secret draft", publish=False)
    waiting = await create_item(app, settings, title="Not playable", playable=False)
    scheduled = await create_item(app, settings, title="Scheduled", publish=False)
    later = clock() + datetime.timedelta(days=1)
    admin = admin_headers(settings)
    r = await app.patch(
        f"{API}/{scheduled['id']}", json={"publish_at": later.isoformat()}, headers=admin
    )
    assert r.status_code == 200, r.text
    withdrawn = await create_item(app, settings, title="Withdrawn")
    r = await app.patch(f"{API}/{withdrawn['id']}", json={"status": "draft"}, headers=admin)
    assert r.status_code == 200, r.text
    for path in (
        f"/watch/{draft['id']}",
        f"/watch/{waiting['id']}",
        f"/watch/{scheduled['id']}",
        f"/watch/{withdrawn['id']}",
        f"/watch/{uuid.uuid4()}",
        "/watch/not-an-id",
        "/s/" + "A" * 43,
        "/embed/s/nonsense",
    ):
        assert await page(app, path) == expected, path
        r = await app.get(OEMBED, params={"url": PUBLIC_URL + path})
        assert r.status_code == 404, path
        assert r.json()["code"] == "preview_not_found"


async def test_an_unlisted_video_has_its_card(app: AppClient) -> None:
    settings = app.app.state.settings
    item = await create_item(app, settings, title="Only by link")
    r = await app.patch(
        f"{API}/{item['id']}", json={"visibility": "unlisted"}, headers=admin_headers(settings)
    )
    assert r.status_code == 200, r.text
    assert head_of(await page(app, f"/watch/{item['id']}")).meta["og:title"] == "Only by link"


async def test_a_share_link_has_its_card_until_it_is_stopped_or_ends(
    app: AppClient, clock: HeldClock
) -> None:
    settings = app.app.state.settings
    expected = await plain(app)
    item = await create_item(app, settings, title="Shared", width=1920, height=1080)
    link = await share(app, item["id"])
    opens = link["opens"]
    for path in (link["path"], link["embed_path"]):
        head = head_of(await page(app, path))
        assert head.meta["og:title"] == "Shared"
        assert head.meta["og:url"] == PUBLIC_URL + link["path"]
    r = await app.get(OEMBED, params={"url": PUBLIC_URL + link["path"], "maxwidth": 480})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["type"] == "video" and body["version"] == "1.0"
    assert (body["width"], body["height"]) == (480, 270)
    assert f'src="{PUBLIC_URL}{link["embed_path"]}"' in body["html"]
    assert body["provider_name"] == body["author_name"] == SITE_NAME
    assert body["provider_url"] == f"{PUBLIC_URL}/"
    assert body["thumbnail_url"] == f"{PUBLIC_URL}{item['thumbnail_url']}"
    assert (body["thumbnail_width"], body["thumbnail_height"]) == (640, 360)
    r = await app.get(OEMBED, params={"url": PUBLIC_URL + link["path"], "maxheight": 90})
    assert (r.json()["width"], r.json()["height"]) == (160, 90)
    # A crawler's visit is no open of the link.
    r = await app.get(f"{API}/{item['id']}/shares", headers=admin_headers(settings))
    assert r.json()["links"][0]["opens"] == opens

    clock.advance(2 * 86400)  # the link ended
    assert await page(app, link["path"]) == expected
    fresh = await share(app, item["id"])
    r = await app.delete(f"{API}/shares/{fresh['id']}", headers=admin_headers(settings))
    assert r.status_code == 204, r.text
    for path in (fresh["path"], fresh["embed_path"]):
        assert await page(app, path) == expected
        r = await app.get(OEMBED, params={"url": PUBLIC_URL + path})
        assert r.status_code == 404


async def test_a_members_only_server_shows_share_links_alone(members_only: AppClient) -> None:
    app = members_only
    settings = app.app.state.settings
    expected = await plain(app)
    item = await create_item(app, settings, title="Members' film")
    assert await page(app, f"/watch/{item['id']}") == expected
    r = await app.get(OEMBED, params={"url": f"{PUBLIC_URL}/watch/{item['id']}"})
    assert r.status_code == 404 and r.json()["code"] == "preview_not_found"
    link = await share(app, item["id"])
    assert head_of(await page(app, link["path"])).meta["og:title"] == "Members' film"
    r = await app.get(OEMBED, params={"url": PUBLIC_URL + link["path"]})
    assert r.status_code == 200 and r.json()["title"] == "Members' film"


async def test_oembed_of_a_watch_page_is_a_link(app: AppClient) -> None:
    settings = app.app.state.settings
    item = await create_item(app, settings, title="Watched")
    r = await app.get(OEMBED, params={"url": f"{PUBLIC_URL}/watch/{item['id']}?t=30"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["type"] == "link" and "html" not in body and body["title"] == "Watched"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 400),
        ({"url": ""}, 400),
        ({"url": "x" * 2001}, 400),
        ({"url": f"{PUBLIC_URL}/watch/x\n"}, 400),
        ({"url": "WATCH", "maxwidth": "0"}, 400),
        ({"url": "WATCH", "maxwidth": "wide"}, 400),
        ({"url": "WATCH", "maxheight": "99999"}, 400),
        ({"url": "WATCH", "format": "yaml"}, 400),
        ({"url": "WATCH", "format": "xml"}, 501),
        ({"url": "https://elsewhere.example/watch/ITEM"}, 404),
        ({"url": "http://videos.example.org/watch/ITEM"}, 404),
        ({"url": f"{PUBLIC_URL}/watch/ITEM/comments"}, 404),
        ({"url": f"{PUBLIC_URL}/library"}, 404),
        ({"url": "javascript:alert(1)"}, 404),
        ({"url": "WATCH", "url2": "x"}, 200),
    ],
)
async def test_oembed_refuses_what_it_cannot_answer(
    app: AppClient, params: dict[str, str], status: int
) -> None:
    item = await create_item(app, app.app.state.settings)
    watch = f"{PUBLIC_URL}/watch/{item['id']}"
    asked = {
        name: watch if value == "WATCH" else value.replace("ITEM", item["id"])
        for name, value in params.items()
    }
    r = await app.get(OEMBED, params=asked)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    if status != 200:
        assert r.json()["status"] == status


async def test_a_share_link_no_site_may_frame_is_a_link(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    settings = settings_factory(
        modules=("catalogue", "streaming"),
        public_url=PUBLIC_URL,
        embed_ancestors="'none'",
        web_dist_dir=web_dist(tmp_path),
    )
    async with running_app(settings) as app:
        item = await create_item(app, settings, title="Kept at home")
        link = await share(app, item["id"])
        r = await app.get(OEMBED, params={"url": PUBLIC_URL + link["path"]})
    assert r.status_code == 200, r.text
    assert r.json()["type"] == "link" and "html" not in r.json()


@pytest.mark.parametrize(
    ("asked", "kept"),
    [
        ("?t=90", "?t=90"),
        ("?t=1m30s", "?t=90"),
        ("?t=1:30", "?t=90"),
        ("?t=1:02:03&x=1", "?t=3723"),
        ("?t=7.5", "?t=7.5"),
        ("?t=5000", ""),  # past the end: the player would ignore it
        ("?t=-5", ""),
        ("?t=abc", ""),
        ("?t=", ""),
        ("?start=90", ""),
    ],
)
async def test_oembed_keeps_a_link_s_start_time(app: AppClient, asked: str, kept: str) -> None:
    settings = app.app.state.settings
    item = await create_item(app, settings, title="Prizes", duration_seconds=4000.0)
    link = await share(app, item["id"])
    r = await app.get(OEMBED, params={"url": PUBLIC_URL + link["path"] + asked})
    assert r.status_code == 200, r.text
    player = f'src="{PUBLIC_URL}{link["embed_path"]}{kept}"'
    assert player in r.json()["html"]
