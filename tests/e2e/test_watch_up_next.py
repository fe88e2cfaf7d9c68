"""What plays next, in Chromium: the related list beside the player, and the end screen.

A real ``streamstack dev``; the admin uploads two short clips sharing a tag and one
without. The first clip's watch page lists the tagged one first under "Up next"; played
to its end, the player offers it over the picture with a countdown, then goes to it, and
its player starts by itself (the viewer asked for it). The console stays clean.

The end screen leaves the control bar in reach, as on YouTube: it used to cover the whole
picture, bar and all, until Cancel. In a phone's player (390 px wide, 16:9) it fits above the
bar; a press on the seek bar takes it away, and Replay plays the item again.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Locator, Page

from e2e.spa_rig import (
    PLAYER,
    BrowserLog,
    DevServer,
    admin_on,
    chromium,
    play_into_next,
    play_muted,
    play_past,
    upload_short_clip,
)


@pytest.mark.slow
@pytest.mark.timeout(300)
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

        await page.set_viewport_size({"width": 390, "height": 844})
        await end_screen_leaves_the_bar(page, f"{base}/watch/{first}")
        await page.set_viewport_size({"width": 1280, "height": 800})
        await play_into_next(page, base, "Second walk", f"/watch/{second}")
        await context.close()

    assert log.page_errors == []
    assert log.console_errors == []
    assert log.csp_violations == []


async def end_screen_leaves_the_bar(page: Page, url: str) -> None:
    """Played to its end, the item's end screen fits above the bar, whose seek bar takes it
    away; the bar's Replay plays again. The end screen follows the bar in Tab order: the
    focus is on Replay as the video ends (pressed to play), and Tab goes on into it."""
    await play_muted(page, past=0.2)
    end_screen = page.get_by_test_id("up-next")
    await end_screen.wait_for(timeout=20_000)
    seek = page.get_by_role("slider", name="Seek")
    await assert_fits_above(end_screen, page.locator(".player-frame"), seek)
    await page.get_by_role("button", name="Replay").focus()
    autoplay = end_screen.get_by_role("switch", name="Autoplay")
    for _ in range(10):
        await page.keyboard.press("Tab")
        if await autoplay.evaluate("e => e === document.activeElement"):
            break
    assert await autoplay.evaluate("e => e === document.activeElement")
    await page.get_by_role("button", name="Replay").focus()
    await page.keyboard.press("Shift+Tab")
    assert await seek.evaluate("e => e === document.activeElement")
    # A real press: Playwright refuses to click a seek bar that something covers.
    box = await seek.bounding_box()
    assert box is not None
    await seek.click(position={"x": box["width"] / 4, "y": box["height"] / 2})
    await end_screen.wait_for(state="hidden")
    assert await page.evaluate(f"() => {PLAYER}.currentTime") < 1.5

    await play_past(page, 60)
    await end_screen.wait_for()
    await page.get_by_role("button", name="Replay").click()
    await end_screen.wait_for(state="hidden")
    await page.wait_for_function(f"() => !{PLAYER}.paused && !{PLAYER}.ended")
    assert page.url == url


async def assert_fits_above(end_screen: Locator, frame: Locator, seek: Locator) -> None:
    """Nothing of the end screen overflows, and its parts, each named, are in the player
    above the seek bar."""
    overflow = await end_screen.evaluate(
        "e => [e.scrollHeight - e.clientHeight, e.scrollWidth - e.clientWidth]"
    )
    assert overflow == [0, 0], overflow
    outer, bar = await frame.bounding_box(), await seek.bounding_box()
    assert outer is not None and bar is not None
    parts = [
        end_screen.get_by_role("switch", name="Autoplay"),
        end_screen.get_by_role("link", name="Play now"),
        end_screen.get_by_role("button", name="Cancel"),
        end_screen.locator(".up-next-title"),
    ]
    for part in parts:
        box = await part.bounding_box()
        assert box is not None, part
        assert outer["x"] <= box["x"] and box["x"] + box["width"] <= outer["x"] + outer["width"]
        assert outer["y"] <= box["y"] and box["y"] + box["height"] <= bar["y"], (part, box, bar)
