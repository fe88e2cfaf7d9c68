"""A long title with no spaces never makes a page wider than the window, in Chromium.

Found on a new-user walk: a title whose first word is 111 letters long made the watch page
3,221 px wide at 1280 x 800 and 1,602 px on a 390 x 844 phone (the player small in a corner),
and a library row 1,220 px wide on the phone; in Up next beside the player the same title
broke into some fifteen lines of a few letters. A display name of 100 letters, the header's
link to the account, pushed the header past the window too, and the phone's menu with it.
The unit tests' DOM lays nothing out.
"""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Page

from e2e.spa_rig import (
    BrowserLog,
    DevServer,
    admin_on,
    bearer_for,
    chromium,
    upload,
    upload_short_clip,
)
from system.system_video import h264_aac_mp4

#: The walk's title: one word of 111 letters, then ordinary words up to the 200 allowed.
LONG_WORD = "Averyveryverylongwordwithoutanyspaces" * 3
LONG_TITLE = f"{LONG_WORD} and a very long title that keeps going on and on".ljust(200, "!")
#: The window sizes of the walk: a laptop's and a phone's.
WINDOWS = ({"width": 1280, "height": 800}, {"width": 390, "height": 844})


async def assert_no_sideways_scroll(page: Page, where: str) -> None:
    """The page is no wider than the window: nothing to scroll sideways."""
    widths = await page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], (where, widths)


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_a_long_title_keeps_every_page_within_the_window(dev_server: DevServer) -> None:
    assert len(LONG_TITLE) == 200 and len(LONG_WORD) == 111
    base = dev_server.url
    with httpx.Client(base_url=base, timeout=10.0) as client:
        headers = bearer_for(client, dev_server.admin_email, dev_server.admin_password)
        name = {"display_name": "D" * 100}
        client.patch("/api/v1/auth/me", json=name, headers=headers).raise_for_status()
    log = BrowserLog()
    async with chromium() as browser:
        _, page = await admin_on(browser, log, dev_server, "/")
        clip = h264_aac_mp4(seconds=2.0, width=160, height=120)
        long_id = await upload(page, base, LONG_TITLE, clip, name="long.mp4")
        other_id = await upload_short_clip(page, base, "Short title", "walk")
        for window in WINDOWS:
            await page.set_viewport_size(window)
            await page.goto(f"{base}/watch/{long_id}")
            await page.get_by_role("heading", name=LONG_TITLE).wait_for()
            await assert_no_sideways_scroll(page, f"watch at {window}")
            await page.goto(f"{base}/admin/library")
            await page.get_by_role("link", name=LONG_TITLE).wait_for()
            await assert_no_sideways_scroll(page, f"library at {window}")
            await assert_menu_within_window(page)
            await assert_up_next_takes_two_lines(page, f"{base}/watch/{other_id}")
    log.assert_clean()


async def assert_up_next_takes_two_lines(page: Page, url: str) -> None:
    """In Up next beside another item's player, the long title takes two lines, no more."""
    await page.goto(url)
    related = page.get_by_role("region", name="Up next")
    title = related.locator(".related-title", has_text=LONG_WORD)
    await title.wait_for()
    height, line = await title.evaluate(
        "e => [e.getBoundingClientRect().height, parseFloat(getComputedStyle(e).lineHeight)]"
    )
    assert height <= 2 * line + 1, (height, line)
    await assert_no_sideways_scroll(page, url)


async def assert_menu_within_window(page: Page) -> None:
    """Folded (a phone), the open menu, the long display name in it, is no wider than the window:
    its last button is whole in it."""
    menu = page.get_by_role("button", name="Menu")
    if not await menu.is_visible():
        return
    await menu.click()
    box = await page.get_by_role("button", name="Sign out").bounding_box()
    width = await page.evaluate("() => window.innerWidth")
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (box, width)
    await menu.click()
