"""No focus ring around the page or the player after a click and a shortcut key, in Chromium.

The page (``<main>``, focused by the skip link) and the player's frame (focused by a click on
the picture, so that ↑/↓ set the volume) are never reached with Tab, so they draw no focus
ring. They used to draw one as soon as a key was pressed after the click (a player shortcut
such as m): Chromium then counts the focus as visible, and the page's ``:focus-visible`` ring
framed the whole page or the whole player. A real focus ring (Tab onto a control) stays.
"""

from __future__ import annotations

import pytest

from e2e.spa_rig import BrowserLog, DevServer, admin_uploaded, chromium, watch_page_ready
from system.system_video import h264_aac_mp4

#: The focused element's tag and whether it draws a ring (a box shadow or an outline).
FOCUSED = """() => {
  const e = document.activeElement, s = getComputedStyle(e);
  return [e.tagName, s.boxShadow !== "none" || (s.outlineStyle !== "none" && s.outlineWidth !== "0px")];
}"""


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_no_ring_around_the_page_or_player(dev_server: DevServer) -> None:
    """A click on the page or the picture, then m: no ring; Tab onto a control: a ring."""
    log = BrowserLog()
    async with chromium() as browser:
        page, item_id = await admin_uploaded(
            browser, log, dev_server, "Ring test", h264_aac_mp4(), "ring.mp4"
        )
        await watch_page_ready(page, dev_server.url, item_id)

        await page.get_by_role("heading", name="Ring test").click()
        await page.keyboard.press("m")
        assert await page.evaluate(FOCUSED) == ["MAIN", False]

        await page.get_by_test_id("player").click(position={"x": 40, "y": 40})
        await page.keyboard.press("m")
        assert await page.evaluate(FOCUSED) == ["DIV", False]
        # Tab on to the next button (the seek bar before it draws its ring on its thumb).
        for _ in range(5):
            await page.keyboard.press("Tab")
            tag, ring = await page.evaluate(FOCUSED)
            if tag == "BUTTON":
                break
        assert [tag, ring] == ["BUTTON", True]
    log.assert_clean()
