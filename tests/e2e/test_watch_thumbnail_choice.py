"""An admin makes an item's thumbnail of the frame the player shows, in Chromium.

A real ``streamstack dev``; the admin uploads a clip whose frames each have their own
colour, opens its watch page at 0:06 (a link to a moment), and presses "Use this frame as
thumbnail". The page shows the new thumbnail (it loads), and the thumbnail every page is
served is now of the frame at 6 s, not of the frame at 1 s an upload takes; the library,
which the same browser showed before with the old thumbnail, shows the new one at once.
"""

from __future__ import annotations

import httpx
import pytest

from e2e.spa_rig import (
    PLAYER,
    BrowserLog,
    DevServer,
    admin_on,
    chromium,
    mean_blue_difference,
    upload,
)
from system.system_video import h264_aac_mp4


def full_range_cb(frame_index: int) -> float:
    """The clip's frame's studio-range Cb as a JPEG stores it (full range)."""
    return 128 + ((frame_index * 9) % 256 - 128) * 255 / 224


#: Whether the page shows the item's thumbnail, loaded (in page scripts; the item's id).
LOADED = """id => [...document.images].some(
    image => image.currentSrc.includes(`/thumbnails/${id}.jpg`) && image.naturalWidth > 0)"""


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_an_admin_makes_the_thumbnail_of_the_frame_shown(dev_server: DevServer) -> None:
    base = dev_server.url
    log = BrowserLog()
    async with chromium() as browser:
        context, page = await admin_on(browser, log, dev_server, "/")
        clip = h264_aac_mp4(seconds=8.0, width=160, height=120)
        item_id = await upload(page, base, "Colours of their own", clip, name="colours.mp4")
        thumbnail_url = f"{base}/api/v1/stream/thumbnails/{item_id}.jpg"
        uploaded = httpx.get(thumbnail_url).content
        # The library shows the upload's stills: the browser keeps them (5 minutes).
        await page.goto(f"{base}/admin/library")
        await page.wait_for_function(LOADED, arg=item_id)

        await page.goto(f"{base}/watch/{item_id}?t=0:06")
        await page.get_by_test_id("player").wait_for()
        await page.wait_for_function(f"() => {PLAYER}.readyState >= 2")
        await page.get_by_role("button", name="Use this frame as thumbnail").click()
        await page.get_by_text("Thumbnail set to the frame at 0:06.").wait_for()
        await page.wait_for_function(
            "() => document.querySelector('.thumbnail-choice-preview')?.naturalWidth > 0"
        )
        # Back in the library, the row asks for the new stills (their URL changed with them)
        # instead of showing the cached old ones.
        versioned = f"/api/v1/stream/thumbnails/{item_id}.jpg?v="
        async with page.expect_response(lambda r: versioned in r.url) as answer:
            await page.goto(f"{base}/admin/library")
        shown = await (await answer.value).body()
        await page.wait_for_function(LOADED, arg=item_id)
        await context.close()

    chosen = httpx.get(thumbnail_url).content
    assert mean_blue_difference(uploaded) == pytest.approx(full_range_cb(25), abs=4)
    assert mean_blue_difference(chosen) == pytest.approx(full_range_cb(150), abs=4)
    assert shown == chosen
    assert log.page_errors == []
    assert log.console_errors == []
    assert log.csp_violations == []
