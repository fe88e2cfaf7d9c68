"""What plays next, in Chromium: the related list beside the player, and the end screen.

A real ``streamstack dev``; the admin uploads two short clips sharing a tag and one
without. The first clip's watch page lists the tagged one first under "Up next"; played
to its end, the player offers it over the picture with a countdown, then goes to it, and
its player starts by itself (the viewer asked for it). The console stays clean.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from e2e.spa_rig import PLAYER, BrowserLog, DevServer, chromium, new_page, play_muted, sign_in
from system.system_video import h264_aac_mp4


async def upload_tagged(page: Page, base: str, title: str, tags: str, seconds: float) -> str:
    """Upload a clip with ``tags`` through the upload page; the new item's id."""
    await page.goto(f"{base}/admin/upload")
    clip = h264_aac_mp4(seconds=seconds, width=160, height=120)
    await page.get_by_label("Video or sound file").set_input_files(
        {"name": f"{title}.mp4", "mimeType": "video/mp4", "buffer": clip}
    )
    await page.get_by_label("Title").fill(title)
    await page.get_by_label("Tags").fill(tags)
    await page.get_by_role("button", name="Upload", exact=True).click()
    result = page.get_by_test_id("upload-result-link")
    await result.wait_for(timeout=60_000)
    href = await result.get_attribute("href")
    assert href is not None and href.startswith("/watch/"), href
    return href.removeprefix("/watch/")


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_the_next_item_is_offered_at_the_end_and_plays(dev_server: DevServer) -> None:
    base = dev_server.url
    log = BrowserLog()
    async with chromium() as browser:
        context, page = await new_page(browser, log)
        await sign_in(page, base, dev_server.admin_email, dev_server.admin_password)
        await upload_tagged(page, base, "Unrelated", "news", 2.0)
        second = await upload_tagged(page, base, "Second walk", "walks", 2.0)
        first = await upload_tagged(page, base, "First walk", "walks", 2.0)

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
