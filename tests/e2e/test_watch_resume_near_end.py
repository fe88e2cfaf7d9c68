"""Resuming (or a link's moment) near the end of an HLS video plays it to its end, in Chromium.

A real ``streamstack dev`` transcodes a 14-second clip into HLS (4 s segments: the last
two are 8 to 12 s and 12 to 14 s). The viewer plays it, pauses at 10 s and comes back:
"Resume from 0:10" plays from there to the end. A link to 0:11 does the same once played,
and so does a seek to 0:12 made before the first play. Outside walk 49 (F1) saw the player
spin for good after such a start (``readyState`` 1, the last segments buffered) on a
video of one unchanging picture (a podcast's cover): past its first segment each segment
was one frame, which the decoder (holding two back for x264 ``veryfast``'s B-frames) showed
only at the end of the stream, and hls.js ends a package with an audio group only once
playback has begun. The moving clip guards the path; the still one failed before the
transcoder handed each held picture over enough times per segment.
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

TITLE = "Fourteen seconds to the end"
STILL_TITLE = "A cover held for fourteen seconds"
#: How long the last seconds may take to play out on a busy machine (ms).
PLAYS_OUT_MS = 30_000


async def plays_to_the_end(page: Page) -> None:
    """Wait until hls.js has played the video to its end."""
    delivery = await page.locator(".player-frame").get_attribute("data-delivery")
    assert delivery == "hls", delivery
    await page.wait_for_function(f"() => {PLAYER}.ended", timeout=PLAYS_OUT_MS)


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_resume_and_a_link_near_the_end_play_to_the_end(dev_server: DevServer) -> None:
    """Resume from 0:10 of 0:14, a link to 0:11, a seek to 0:12 before play: each ends."""
    base = dev_server.url
    log = BrowserLog()
    async with chromium() as browser:
        context, page = await new_page(browser, log)
        await sign_in(page, base, dev_server.admin_email, dev_server.admin_password)
        clip = h264_aac_mp4(seconds=14.0, width=160, height=90)
        item_id = await upload(page, base, TITLE, clip, "near-end.mp4")
        item = await asyncio.to_thread(wait_until_ready, dev_server, item_id)
        assert item["has_hls"], item

        await page.goto(f"{base}/watch/{item_id}")
        await pause_at(page, 10.0)
        await page.reload()
        await page.get_by_role("button", name="Resume from 0:10").click()
        await plays_to_the_end(page)

        await page.goto(f"{base}/watch/{item_id}?t=0:11")
        await page.get_by_role("button", name="Copy link at 0:11").wait_for()
        await play_muted(page, past=11.0)
        await plays_to_the_end(page)

        await page.goto(f"{base}/watch/{item_id}?t=0:01")
        await page.get_by_role("button", name="Copy link at 0:01").wait_for()
        await page.evaluate(f"() => {{ {PLAYER}.currentTime = 12; }}")
        await play_muted(page, past=12.0)
        await plays_to_the_end(page)
        await context.close()

    assert log.page_errors == []
    assert log.console_errors == []


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
        item_id = await upload(page, base, STILL_TITLE, clip, "cover.mp4")
        item = await asyncio.to_thread(wait_until_ready, dev_server, item_id)
        assert item["has_hls"], item

        await page.goto(f"{base}/watch/{item_id}")
        await pause_at(page, 13.0)
        await page.reload()
        await page.get_by_role("button", name="Resume from 0:13").click()
        await plays_to_the_end(page)

        await page.goto(f"{base}/watch/{item_id}?t=0:11")
        await page.get_by_role("button", name="Copy link at 0:11").wait_for()
        await play_muted(page, past=11.0)
        await plays_to_the_end(page)
        await context.close()

    assert log.page_errors == []
    assert log.console_errors == []
