"""The watch page's player is large and wholly in view, on a desktop and on a phone held either
way, for a landscape and a portrait video, in Chromium.

A real ``streamstack dev``; the admin uploads a small clip (browser-safe, so it plays at once),
a viewer watches it (a viewer's header is one line at these widths; an admin's has more links).
The player must be as wide as the page's column or as tall as the window below the header
allows, at the video's shape (16:9 for a landscape one), with its bottom (the control bar) in
view without scrolling, and never wider than the page. It used to fail both ways: a portrait
video had its shape but no size, so it showed at its pixel size (a 160 px strip) in a wide black
frame; a landscape one was as wide as the column whatever the window's height, so on a phone
held sideways its control bar was below the fold. In an upright window (a phone held upright) a
portrait video stops at about 3/5 of the window's height, pillarboxed, so that the title and
Like under it are in view.
"""

from __future__ import annotations

import pytest

from e2e.spa_rig import (
    BrowserLog,
    DevServer,
    admin_uploaded,
    chromium,
    new_page,
    register_viewer,
    sign_in,
    watch_page_ready,
)
from system.system_video import h264_aac_mp4

VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844), "phone sideways": (844, 390)}
#: Where the tester saw an account still on its generated password lose the control bar.
NOTICE_VIEWPORTS = {"laptop": (1366, 768), "desktop": (1280, 800), "phone sideways": (844, 390)}
#: What the page keeps above the player at most: the header and the page's top padding.
ABOVE_PLAYER = 96
#: A portrait video's height at most in an upright window (a phone's), as a share of its height:
#: filling the column it took 77 % of a phone's screen, its title at the bottom edge (walk55 F3).
PORTRAIT_CAP = 0.62


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    ("width", "height"), [(160, 288), (320, 176)], ids=["portrait", "landscape"]
)
async def test_player_is_large_and_in_view(dev_server: DevServer, width: int, height: int) -> None:
    """Fills the column or the window's height, at the video's shape, bottom in view."""
    log = BrowserLog()
    clip = h264_aac_mp4(seconds=2.0, width=width, height=height)
    shape = width / height if height > width else 16 / 9
    async with chromium() as browser:
        _, item_id = await admin_uploaded(browser, log, dev_server, "Sized", clip, "sized.mp4")
        register_viewer(dev_server, "sized@example.com", "viewer password")
        _, page = await new_page(browser, log)
        await sign_in(page, dev_server.url, "sized@example.com", "viewer password")
        for name, (view_width, view_height) in VIEWPORTS.items():
            await page.set_viewport_size({"width": view_width, "height": view_height})
            await watch_page_ready(page, dev_server.url, item_id)
            box = await page.get_by_test_id("player").bounding_box()
            column = await page.locator(".player-frame").bounding_box()
            assert box is not None and column is not None
            page_width = await page.evaluate("() => document.documentElement.clientWidth")
            seen = (name, box, column)
            assert box["y"] + box["height"] <= view_height, seen
            # A portrait video in an upright window stops at PORTRAIT_CAP of its height.
            capped = height > width and view_height > view_width
            tallest = PORTRAIT_CAP * view_height if capped else view_height - ABOVE_PLAYER
            assert box["width"] >= 0.95 * column["width"] or box["height"] >= 0.95 * tallest, seen
            assert not capped or box["height"] <= tallest + 1, seen
            assert box["width"] / box["height"] == pytest.approx(shape, abs=0.01), seen
            if view_height > view_width:
                # Upright: the title and the actions under it in view, not at the bottom edge.
                actions = await page.get_by_role("button", name="Like").bounding_box()
                assert actions is not None, seen
                assert actions["y"] + actions["height"] <= view_height, (seen, actions)
            assert column["width"] <= page_width, (seen, page_width)
            assert await page.evaluate("() => document.documentElement.scrollWidth") <= page_width
    log.assert_clean()


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    ("width", "height"), [(160, 288), (320, 176)], ids=["portrait", "landscape"]
)
async def test_player_is_in_view_below_a_notice(
    dev_server: DevServer, width: int, height: int
) -> None:
    """The dev admin, still on its generated password, has a notice above every page: the
    player takes the height left below it, its control bar in view. It was sized as if the
    notice were not there: at 1366x768 the seek bar sat at y=759, at 844x390 below the fold."""
    log = BrowserLog()
    clip = h264_aac_mp4(seconds=2.0, width=width, height=height)
    async with chromium() as browser:
        page, item_id = await admin_uploaded(browser, log, dev_server, "Noted", clip, "noted.mp4")
        for name, (view_width, view_height) in NOTICE_VIEWPORTS.items():
            await page.set_viewport_size({"width": view_width, "height": view_height})
            await watch_page_ready(page, dev_server.url, item_id)
            notice = await page.get_by_test_id("generated-password").bounding_box()
            box = await page.get_by_test_id("player").bounding_box()
            controls = await page.get_by_test_id("player-controls").bounding_box()
            assert notice is not None and box is not None and controls is not None
            seen = (name, notice, box, controls)
            assert notice["y"] + notice["height"] <= box["y"], seen
            assert box["y"] + box["height"] <= view_height, seen
            assert controls["y"] + controls["height"] <= view_height, seen
            # Not shrunk for nothing: the player still fills the column or the height left.
            column = await page.locator(".player-frame").bounding_box()
            assert column is not None
            assert box["width"] >= 0.95 * column["width"] or (
                box["y"] + box["height"] >= view_height - 24
            ), seen
    log.assert_clean()
