"""A portrait video is shown large on the watch page, on a desktop and on a phone, in Chromium.

A real ``streamstack dev``; the admin uploads a small portrait clip (160x288, browser-safe, so
it plays at once). The watch page used to give the ``<video>`` its shape but no size, so it
showed at its pixel size in a wide black frame; it must take most of the window's
height (never more than 85 %) at its own shape, and never be wider than the page.
"""

from __future__ import annotations

import pytest

from e2e.spa_rig import BrowserLog, DevServer, admin_uploaded, chromium, watch_page_ready
from system.system_video import h264_aac_mp4

VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_portrait_video_fills_the_height(dev_server: DevServer) -> None:
    """160x288: about 85 % of the window's height, 9:16, within the page's width."""
    log = BrowserLog()
    clip = h264_aac_mp4(seconds=2.0, width=160, height=288)
    async with chromium() as browser:
        page, item_id = await admin_uploaded(
            browser, log, dev_server, "Standing up", clip, "standing.mp4"
        )
        for name, (width, height) in VIEWPORTS.items():
            await page.set_viewport_size({"width": width, "height": height})
            await watch_page_ready(page, dev_server.url, item_id)
            box = await page.get_by_test_id("player").bounding_box()
            assert box is not None
            page_width = await page.evaluate("() => document.documentElement.clientWidth")
            assert box["height"] >= 0.6 * height, (name, box)
            assert box["height"] <= 0.85 * height + 1, (name, box)
            assert box["width"] <= page_width, (name, box, page_width)
            assert box["width"] / box["height"] == pytest.approx(160 / 288, abs=0.01), (name, box)
            assert await page.evaluate("() => document.documentElement.scrollWidth") <= page_width
    log.assert_clean()
