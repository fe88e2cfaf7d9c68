"""What plays next, in Chromium: the related list beside the player, and the end screen.

A real ``streamstack dev``; the admin uploads two short clips sharing a tag and one
without. The first clip's watch page lists the tagged one first under "Up next"; played
to its end, the player offers it over the picture with a countdown, then goes to it, and
its player starts by itself (the viewer asked for it). The console stays clean.
"""

from __future__ import annotations

import pytest

from e2e.spa_rig import BrowserLog, DevServer, admin_on, chromium, play_into_next, upload_short_clip


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_the_next_item_is_offered_at_the_end_and_plays(dev_server: DevServer) -> None:
    base = dev_server.url
    log = BrowserLog()
    async with chromium() as browser:
        context, page = await admin_on(browser, log, dev_server, "/")
        await upload_short_clip(page, base, "Unrelated", "news")
        second = await upload_short_clip(page, base, "Second walk", "walks")
        first = await upload_short_clip(page, base, "First walk", "walks")

        await page.goto(f"{base}/watch/{first}")
        related = page.get_by_role("region", name="Up next")
        await related.get_by_test_id("related-item").first.wait_for()
        titles = await related.locator(".related-title").all_inner_texts()
        assert titles == ["Second walk", "Unrelated"]

        await play_into_next(page, base, "Second walk", f"/watch/{second}")
        await context.close()

    assert log.page_errors == []
    assert log.console_errors == []
    assert log.csp_violations == []
