"""What plays next, in Chromium: the related list beside the player, and the end screen.

A real ``streamstack dev``; the admin uploads two short clips sharing a tag and one
without. The first clip's watch page lists the tagged one first under "Up next"; played
to its end, the player offers it over the picture with a countdown, then goes to it, and
its player starts by itself (the viewer asked for it). The console stays clean.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from e2e.spa_rig import PLAYER, BrowserLog, DevServer, admin_on, chromium, play_muted, upload
from system.system_video import h264_aac_mp4


async def upload_tagged(page: Page, base: str, title: str, tags: str) -> str:
    """Upload a 2 s clip with ``tags``; the new item's id."""
    clip = h264_aac_mp4(seconds=2.0, width=160, height=120)
    return await upload(page, base, title, clip, name=f"{title}.mp4", tags=tags)


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_the_next_item_is_offered_at_the_end_and_plays(dev_server: DevServer) -> None:
    base = dev_server.url
    log = BrowserLog()
    async with chromium() as browser:
        context, page = await admin_on(browser, log, dev_server, "/")
        await upload_tagged(page, base, "Unrelated", "news")
        second = await upload_tagged(page, base, "Second walk", "walks")
        first = await upload_tagged(page, base, "First walk", "walks")

        await page.goto(f"{base}/watch/{first}")
        related = page.get_by_role("region", name="Up next")
        await related.get_by_test_id("related-item").first.wait_for()
        titles = await related.locator(".related-title").all_inner_texts()
        assert titles == ["Second walk", "Unrelated"]

        await play_muted(page, past=0.2)
        end_screen = page.get_by_test_id("up-next")
        await end_screen.wait_for(timeout=20_000)
        assert "Second walk" in await end_screen.inner_text()
        await page.wait_for_url(f"{base}/watch/{second}", timeout=20_000)
        await page.get_by_role("heading", name="Second walk").wait_for()
        await page.wait_for_function(
            f"() => {PLAYER} && !{PLAYER}.paused && {PLAYER}.currentTime > 0"
        )
        await context.close()

    assert log.page_errors == []
    assert log.console_errors == []
    assert log.csp_violations == []
