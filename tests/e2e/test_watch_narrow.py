"""The watch page's player in a 320 px window (400 % zoom of a 1280 px one), with a mouse.

An accessibility walk found the clock ("0:00 / 0:08") running under the captions button there,
and the volume slider, which the keyboard unfolds from nothing to 64 px, covering the clock and
part of that button (walk41 F6, WCAG 1.4.10). In a narrow player the clock now sits above the
seek bar, clear of the row of buttons.
"""

from __future__ import annotations

import pytest

from e2e.spa_rig import BrowserLog, DevServer, admin_on, chromium, upload_short_clip

#: The names of the bar's controls whose boxes meet the clock's (an empty list: it is clear).
OVER_THE_CLOCK = """() => {
  const clock = document.querySelector("[data-testid=player-time]").getBoundingClientRect();
  const controls = document.querySelectorAll(".player-controls button, .player-controls input");
  return [...controls].filter((e) => {
    const r = e.getBoundingClientRect();
    const meets = r.left < clock.right && clock.left < r.right && r.top < clock.bottom && clock.top < r.bottom;
    return r.width > 0 && meets;
  }).map((e) => e.getAttribute("aria-label"));
}"""


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_the_clock_is_clear_of_the_controls_at_320_px(dev_server: DevServer) -> None:
    """At 320 px nothing in the bar meets the clock, also with the volume slider focused."""
    log = BrowserLog()
    async with chromium() as browser:
        _, page = await admin_on(browser, log, dev_server, "/")
        item = await upload_short_clip(page, dev_server.url, "Narrow", "walk")
        await page.set_viewport_size({"width": 320, "height": 640})
        await page.goto(f"{dev_server.url}/watch/{item}")
        await page.get_by_test_id("player-time").wait_for()
        assert await page.evaluate(OVER_THE_CLOCK) == []

        volume = page.get_by_role("slider", name="Volume")
        await volume.focus()
        # Unfolded by the focus (a transition): wait until it has its width.
        await page.wait_for_function(
            "() => document.querySelector('.volume-slider').getBoundingClientRect().width >= 60"
        )
        assert await page.evaluate(OVER_THE_CLOCK) == []
    log.assert_clean()
