"""The header keeps one row at every width, an admin's and a viewer's, in Chromium.

An admin's navigation has four more links than a viewer's (Upload, Library, Users, Comments,
the last folding it below 1,180 px where it was 1,080). It used
to fold into the Menu only below 640 px, like a viewer's, so between about 640 and 900 px
(a phone held sideways is 844 px wide) it wrapped: the theme toggle alone on a second row,
the sticky header twice as tall over every admin page. Found on the admin walk (F1). Then
Playlists joined both navigations and each wrapped again just above its fold (an admin's at
1,000 px, a viewer's at 700), which the widths here straddle.

The header stays at the top of the window while the page scrolls, folded or not: folded, it
used to go static, so an admin's scrolled away at every width up to 1,080 px. Open in a short
window, an admin's menu is taller than the window; its last link is still within reach.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Locator, Page

from e2e.spa_rig import (
    VIEWER_PASSWORD,
    BrowserLog,
    DevServer,
    admin_on,
    chromium,
    new_page,
    register_viewer,
    sign_in,
)

#: One row: the brand's height (about 41 px) and the header's padding, well under two rows.
ONE_ROW_PX = 70
#: A window short enough that an empty library scrolls by more than the header's height.
SHORT_WINDOW_PX = 300


#: Each side of where an admin's navigation folds, and a phone held either way.
ADMIN_WIDTHS = (390, 844, 1000, 1100, 1280)


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_admin_header_is_one_row(dev_server: DevServer) -> None:
    """At every width the admin's header is one row; its links, or the Menu, all on it.

    One server and one browser for all widths (a page each): a server per width cost more
    than the checks."""
    log = BrowserLog()
    async with chromium() as browser:
        for width in ADMIN_WIDTHS:
            context, page = await admin_on(browser, log, dev_server, "/admin/library")
            await page.set_viewport_size({"width": width, "height": 390})
            # The heading shows while the page still loads; the loaded page (its empty state) is
            # what must scroll: under load, measuring the shorter loading page failed in CI.
            await page.get_by_test_id("empty-state").wait_for()
            header = await page.get_by_role("banner").bounding_box()
            assert header is not None and header["height"] < ONE_ROW_PX, (width, header)
            await assert_header_stays_on_scroll(page, width)
            menu = page.get_by_role("button", name="Menu")
            if await menu.is_visible():
                await menu.click()
            await page.get_by_role("link", name="Users").wait_for()
            await assert_in_reach(page, page.get_by_role("button", name="Sign out"))
            await context.close()
    log.assert_clean()


async def assert_header_stays_on_scroll(page: Page, width: int) -> None:
    """Scrolled down by more than its height, the header is still at the top, whole, and
    what is scrolled into view stops below it."""
    await page.set_viewport_size({"width": width, "height": SHORT_WINDOW_PX})
    scrolled = await page.evaluate(
        "() => { window.scrollTo(0, document.documentElement.scrollHeight); return window.scrollY; }"
    )
    assert scrolled > ONE_ROW_PX, (width, scrolled)
    header = await page.get_by_role("banner").bounding_box()
    assert header is not None and header["y"] == 0, (width, header)
    # What is scrolled into view from below stops under it, not behind it.
    heading = page.get_by_role("heading", name="Library")
    await heading.evaluate("e => e.scrollIntoView({block: 'nearest'})")
    shown = await heading.bounding_box()
    assert shown is not None and shown["y"] >= header["height"], (width, shown, header)
    await page.evaluate("() => window.scrollTo(0, 0)")


async def assert_in_reach(page: Page, target: Locator) -> None:
    """Scrolled to, ``target`` is wholly in the window and gets a press on it. The open menu is
    taller than a short window; a sticky header that tall moves with the page as it scrolls,
    so scrolling to its last link (as Tab does) left it below the window."""
    await target.scroll_into_view_if_needed()
    box = await target.bounding_box()
    height = await page.evaluate("() => window.innerHeight")
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, box
    centre = [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]
    hit = await page.evaluate("([x, y]) => document.elementFromPoint(x, y)?.textContent", centre)
    assert hit == await target.text_content(), hit


@pytest.mark.slow
@pytest.mark.timeout(60)
async def test_a_viewers_header_is_one_row(dev_server: DevServer) -> None:
    """A viewer's header is one row just above and below where it folds."""
    register_viewer(dev_server, "header@example.org", VIEWER_PASSWORD)
    log = BrowserLog()
    async with chromium() as browser:
        _, page = await new_page(browser, log)
        await sign_in(page, dev_server.url, "header@example.org", VIEWER_PASSWORD)
        for width in (700, 820, 1000):
            await page.set_viewport_size({"width": width, "height": 390})
            header = await page.get_by_role("banner").bounding_box()
            assert header is not None and header["height"] < ONE_ROW_PX, (width, header)
    log.assert_clean()
