"""An unpublished item's thumbnail and poster show to the admin and to nobody else, in Chromium.

Thumbnails are ``<img>`` and ``<video poster>`` requests, which carry no bearer: the admin's
browser shows its access token in the stills pass, a cookie auth sets at sign-in for the
thumbnails' path alone. A visitor who kept the URL of a since-unpublished item's
thumbnail gets 404, and so does the admin's browser once signed out. The pass lives as long as
the access token: an admin's page left open past it renews both when a still fails.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from e2e.spa_rig import (
    BrowserLog,
    DevServer,
    admin_uploaded,
    change_status,
    chromium,
    running_dev_server,
    sign_out,
    wait_until_ready,
    watch_page_ready,
)
from streamstack.contracts.streaming import STILLS_PASS_COOKIE
from system.system_video import h264_aac_mp4

#: Loads ``url`` as an ``<img>`` does: its pixel width, or 0 when the load failed.
IMAGE_WIDTH = """(url) => new Promise((resolve) => {
  const image = new Image();
  image.onload = () => resolve(image.naturalWidth);
  image.onerror = () => resolve(0);
  image.src = url;
})"""
#: Appends an ``<img>`` of ``url`` to the page: its pixel width once loaded, or 0 when it
#: has not loaded within 10 s (a failure is not final: the page may load it again).
IMAGE_IN_PAGE_WIDTH = """(url) => new Promise((resolve) => {
  const image = document.createElement("img");
  image.addEventListener("load", () => resolve(image.naturalWidth));
  setTimeout(() => resolve(0), 10000);
  document.body.append(image);
  image.src = url;
})"""
#: The access token's (and so the stills pass's) life on the idle-page test's server.
ACCESS_TTL_S = 15
#: How long an unpublishing may take to reach streaming (the take-downs' bound).
WITHIN_SECONDS = 5.0


def visitor_status(server: DevServer, path: str) -> int:
    """What an anonymous request for ``path`` is answered."""
    return httpx.get(f"{server.url}{path}", timeout=10.0).status_code


def answers_visitors(server: DevServer, path: str, status: int) -> None:
    """``path`` answers a visitor ``status`` within :data:`WITHIN_SECONDS`."""
    deadline = time.monotonic() + WITHIN_SECONDS
    while visitor_status(server, path) != status:
        assert time.monotonic() < deadline, f"{path} not answering {status} to visitors"
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_an_unpublished_items_stills_show_to_the_admin_alone(dev_server: DevServer) -> None:
    log = BrowserLog()
    async with chromium() as browser:
        clip = h264_aac_mp4(seconds=1.0, width=160, height=120)
        page, item_id = await admin_uploaded(browser, log, dev_server, "Draft", clip, "d.mp4")
        item = wait_until_ready(dev_server, item_id)
        thumbnail, poster = item["thumbnail_url"], item["poster_url"]
        assert visitor_status(dev_server, thumbnail) == 200  # published: public

        await page.goto(f"{dev_server.url}/admin/library")
        await page.get_by_role("button", name="Unpublish Draft").click()
        await page.get_by_role("button", name="Publish Draft", exact=True).wait_for()
        answers_visitors(dev_server, thumbnail, 404)
        assert visitor_status(dev_server, poster) == 404

        # The admin's browser loads both as <img> (new URLs: it may have kept the public
        # answers of the published item for their 5 minutes), and the draft's poster.
        for url in (thumbnail, poster):
            assert await page.evaluate(IMAGE_WIDTH, f"{url}?seen=hidden") > 0
        private = {
            r.url.removeprefix(dev_server.url)
            for r in log.responses
            if r.status == 200 and r.headers.get("cache-control") == "private, no-store"
        }
        assert private >= {f"{thumbnail}?seen=hidden", f"{poster}?seen=hidden"}, private
        # A stream token issued in the second of the withdrawal is refused (tokens carry whole
        # seconds) and the player renews it (test_watch_refused_at_first.py): past that
        # second, the page plays with no refusal in its console.
        await asyncio.sleep(1.0)
        await watch_page_ready(page, dev_server.url, item_id)
        assert await page.get_by_test_id("player").get_attribute("poster") == poster

        # Signed out, the same browser shows them no more: not even the copies it loaded.
        await sign_out(page, dev_server.url)
        for url in (f"{poster}?seen=hidden", f"{thumbnail}?seen=signed-out"):
            assert await page.evaluate(IMAGE_WIDTH, url) == 0, url
    log.assert_clean((thumbnail, 404), (poster, 404))
    # Published again (keeping its first publish date, older than the unpublish), its
    # stills are public again.
    change_status(dev_server, item_id, "published")
    for url in (thumbnail, poster):
        answers_visitors(dev_server, url, 200)


@pytest.fixture
def short_access_server(tmp_path: Path) -> Iterator[DevServer]:
    """``streamstack dev`` whose access tokens live :data:`ACCESS_TTL_S` seconds."""
    with running_dev_server(
        tmp_path, STREAMSTACK_ACCESS_TOKEN_TTL_SECONDS=str(ACCESS_TTL_S)
    ) as server:
        yield server


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_an_admin_page_left_open_past_its_token_loads_hidden_stills(
    short_access_server: DevServer,
) -> None:
    """A lazy image that loads after the pass expired renews it and loads (it failed: 404)."""
    server, log = short_access_server, BrowserLog()
    async with chromium() as browser:
        clip = h264_aac_mp4(seconds=1.0, width=160, height=120)
        page, item_id = await admin_uploaded(browser, log, server, "Idle", clip, "i.mp4")
        thumbnail = wait_until_ready(server, item_id)["thumbnail_url"]
        await page.goto(f"{server.url}/admin/library")
        await page.get_by_role("button", name="Unpublish Idle").click()
        await page.get_by_role("button", name="Publish Idle", exact=True).wait_for()
        answers_visitors(server, thumbnail, 404)

        # The page asks nothing more: its token and pass expire, and the browser drops the pass.
        await page.wait_for_timeout((ACCESS_TTL_S + 1) * 1000)
        names = {cookie.get("name") for cookie in await page.context.cookies()}
        assert STILLS_PASS_COOKIE not in names, names
        idle = f"{thumbnail}?seen=idle"
        assert await page.evaluate(IMAGE_IN_PAGE_WIDTH, idle) > 0
        loads = [r.status for r in log.responses if r.url.endswith(idle)]
        assert loads == [404, 200], loads
    log.assert_clean((thumbnail, 404), *log.retried_after_401())
