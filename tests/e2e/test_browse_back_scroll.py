"""Back from a video finds the catalogue scrolled where it was, in Chromium, on a desktop and
a phone.

Found on a viewer walk: browsing ``/?sort=title``, scrolled down to the 17th card, opening it
and pressing Back showed the right URL at the top of the grid (scrollY 0): the browser
scrolled back before the grid's request had answered, when the page was too short for it.
The catalogue's listing is answered by the test (``page.route``), a little late as a real
one is, so that the cards come after the page; publishing 30 videos would take minutes.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from playwright.async_api import Route

from e2e.spa_rig import BrowserLog, DevServer, chromium, new_page, sign_in
from e2e.test_library_at_scale import long_item

CARDS = 30
#: The card opened: the 17th.
OPENED = 16
#: How late the listing answers: the grid is drawn well after the page.
LISTING_DELAY_S = 0.4
#: How far from where it was the page may come back (a rounding of the browser's).
SLACK_PX = 3

WINDOWS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


async def answer_listing(route: Route) -> None:
    """One page of 30 published videos, answered late."""
    items = [{**long_item(i), "title": f"Video {i:02d}", "description": ""} for i in range(CARDS)]
    body = {"items": items, "total": CARDS, "page": 1, "page_size": 24}
    await asyncio.sleep(LISTING_DELAY_S)
    await route.fulfill(status=200, content_type="application/json", body=json.dumps(body))


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_back_from_a_video_scrolls_the_catalogue_back(dev_server: DevServer) -> None:
    """Scroll to the 17th card, open it, Back: scrolled as before, the same card in view."""
    log = BrowserLog()
    async with chromium() as browser:
        for name, window in WINDOWS.items():
            context, page = await new_page(browser, log, **window)
            # At desktop width: folded on a phone, the header's Sign out (which sign_in waits
            # for) is in the menu.
            await page.set_viewport_size({"width": 1280, "height": 800})
            await sign_in(page, dev_server.url, dev_server.admin_email, dev_server.admin_password)
            await page.set_viewport_size(window["viewport"])
            await page.route("**/api/v1/catalogue?*", answer_listing)
            await page.goto(f"{dev_server.url}/?sort=title")
            card = page.get_by_test_id("media-card").nth(OPENED)
            await card.scroll_into_view_if_needed()
            await page.wait_for_timeout(200)  # the scroll settled
            left_at = await page.evaluate("window.scrollY")
            assert left_at > 500, (name, left_at)

            await card.get_by_role("link").first.click()
            await page.wait_for_url("**/watch/**")
            await page.go_back()
            await page.wait_for_url("**/?sort=title")
            await page.get_by_test_id("media-card").nth(CARDS - 1).wait_for()

            await page.wait_for_function(
                "([y, slack]) => Math.abs(window.scrollY - y) <= slack",
                arg=[left_at, SLACK_PX],
                timeout=5000,
            )
            box = await page.get_by_test_id("media-card").nth(OPENED).bounding_box()
            height = window["viewport"]["height"]
            assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, (
                name,
                box,
            )
            await context.close()
