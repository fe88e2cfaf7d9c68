"""A still video started in its last segments before it first played plays to its end, in Chromium.

A real ``streamstack dev`` (x264 ``veryfast``: B-frames, 4 s segments) transcodes a 14-second
clip of one unchanging picture with its sound: a podcast's cover. Past its first segment
each segment holds that picture; the package has an audio group, so hls.js ends the stream
only once playback has begun. Outside walk 49 (F1): such a segment was one frame, which the
decoder (holding two back for B-frames) never showed before the end of the stream, so
"Resume from" or a link's moment in the last segments spun for good (``readyState`` 1).
"""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Page

from e2e.spa_rig import (
    PLAYER,
    BrowserLog,
    DevServer,
    chromium,
    new_page,
    play_muted,
    sign_in,
    upload,
    wait_until_ready,
)
from e2e.test_watch_resume import pause_at
from system.system_video import h264_aac_mp4

TITLE = "A cover held for fourteen seconds"
#: How long the last seconds may take to play out on a busy machine (ms).
PLAYS_OUT_MS = 30_000


async def ends_on_hls(page: Page) -> None:
    """Wait until hls.js has played the video to its end."""
    delivery = await page.locator(".player-frame").get_attribute("data-delivery")
    assert delivery == "hls", delivery
    await page.wait_for_function(f"() => {PLAYER}.ended", timeout=PLAYS_OUT_MS)


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_a_still_resumed_or_linked_near_its_end_plays_to_the_end(
    dev_server: DevServer,
) -> None:
    """Resume from 0:13 of 0:14 and a link to 0:11, each before the first play: each ends."""
    base = dev_server.url
    log = BrowserLog()
    async with chromium() as browser:
        context, page = await new_page(browser, log)
        await sign_in(page, base, dev_server.admin_email, dev_server.admin_password)
        clip = h264_aac_mp4(seconds=14.0, width=160, height=90, still=True)
        item_id = await upload(page, base, TITLE, clip, "cover.mp4")
        item = await asyncio.to_thread(wait_until_ready, dev_server, item_id)
        assert item["has_hls"], item

        await page.goto(f"{base}/watch/{item_id}")
        await pause_at(page, 13.0)
        await page.reload()
        await page.get_by_role("button", name="Resume from 0:13").click()
        await ends_on_hls(page)

        await page.goto(f"{base}/watch/{item_id}?t=0:11")
        await page.get_by_role("button", name="Copy link at 0:11").wait_for()
        await play_muted(page, past=11.0)
        await ends_on_hls(page)
        await context.close()

    assert log.page_errors == []
    assert log.console_errors == []
