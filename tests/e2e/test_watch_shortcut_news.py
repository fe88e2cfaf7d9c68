"""The player's keys say what they did, to a screen reader and on screen, in Chromium.

A real ``streamstack dev``; the admin uploads a 20-second H.264 clip (browser-safe, so it
plays at once) and plays it, muted. → moves it 5 s on: the status region says where it went
("Forward 5 seconds, 0:07 of 0:20") and "+5 s" shows over the top of the picture for a
moment: hidden from screen readers, letting clicks through to the video, clear of the
control bar, fading out (not where the viewer asked for less motion). With the focus in the
player, ↑ unmutes at the level kept ("Volume 100 %") and ↓ lowers it ("Volume 95 %").
The console stays clean and nothing breaks the app's CSP.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page

from e2e.spa_rig import (
    PLAYER,
    BrowserLog,
    DevServer,
    admin_uploaded,
    chromium,
    play_muted,
    watch_page_ready,
)
from system.system_video import h264_aac_mp4

#: Where → lands from the first seconds of the 20 s clip, as the status region says it (once
#: more pressed when the flash was gone before it could be measured).
FORWARD = re.compile(r"^Forward 5 seconds, 0:(0[5-9]|1[0-9]) of 0:20$")


async def said(page: Page) -> str:
    """What the player's status region says now."""
    return await page.get_by_test_id("shortcut-announcer").inner_text()


#: Whether the status region's words match a pattern and (unless it is null) the flash over
#: the picture shows the given words, in one look.
SAYS_AND_SHOWS = """([pattern, shown]) => {
  const said = document.querySelector('[data-testid=shortcut-announcer]').textContent;
  const flash = document.querySelector('[data-testid=shortcut-flash]');
  return new RegExp(pattern).test(said) && (shown === null || flash?.textContent === shown);
}"""


async def says(page: Page, words: str | re.Pattern[str], shown: str | None = None) -> None:
    """Wait until the status region says ``words`` (all of them, or a match of the pattern)
    while the flash shows ``shown``: both come in one render, and the flash is gone within
    its second, which a read after the wait could miss on a loaded machine."""
    pattern = words.pattern if isinstance(words, re.Pattern) else f"^{re.escape(words)}$"
    await page.wait_for_function(SAYS_AND_SHOWS, arg=[pattern, shown])


#: In one look (the flash is gone within a second): whether it is hidden from screen readers,
#: its bottom and the seek bar's top, and what a click at its middle would reach.
FLASH_PLACE = """() => {
  const flash = document.querySelector('[data-testid=shortcut-flash]');
  if (!flash) return null;
  const box = flash.getBoundingClientRect();
  const bar = document.querySelector('[data-testid=player-controls] input[type=range]');
  const under = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
  return {
    ariaHidden: flash.getAttribute('aria-hidden'),
    bottom: box.bottom,
    barTop: bar.getBoundingClientRect().top,
    under: under?.dataset.testid ?? null,
  };
}"""


async def flash_is_out_of_the_way(page: Page) -> None:
    """The flash is hidden from screen readers, above the control bar, and a click on it
    reaches the video (the picture's own click: play/pause). On a loaded machine the checks
    before may outlast the flash's second: then → flashes it again."""
    place = await page.evaluate(FLASH_PLACE)
    for _ in range(3):
        if place is not None:
            break
        await page.keyboard.press("ArrowRight")
        await page.get_by_test_id("shortcut-flash").wait_for()
        place = await page.evaluate(FLASH_PLACE)
    assert place is not None, "no flash to measure"
    assert place["ariaHidden"] == "true", place
    assert place["bottom"] < place["barTop"], place
    assert place["under"] == "player", place


#: The flash's CSS animation, once it shows (null until then).
FLASH_ANIMATION = """() => {
  const flash = document.querySelector('[data-testid=shortcut-flash]');
  return flash && getComputedStyle(flash).animationName;
}"""


async def animation_of_flash(page: Page) -> str:
    """Press ← and answer the flash's CSS animation (``none`` when it only shows and hides)."""
    await page.keyboard.press("ArrowLeft")
    # Seen as it shows, in one look: a wait for the flash then a read of it was two, between
    # which the flash's second could pass on a loaded machine.
    shown = await page.wait_for_function(FLASH_ANIMATION)
    name: str = await shown.json_value()
    return name


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_keys_say_what_they_did(dev_server: DevServer) -> None:
    """→ and ↑/↓ on a playing video: said in the status region, shown over the picture."""
    log = BrowserLog()
    clip = h264_aac_mp4(seconds=20.0, width=320, height=176)
    async with chromium() as browser:
        page, item_id = await admin_uploaded(browser, log, dev_server, "Keys", clip, "keys.mp4")
        await watch_page_ready(page, dev_server.url, item_id)
        assert await said(page) == ""
        await play_muted(page, past=0.5)

        before = await page.evaluate(f"() => {PLAYER}.currentTime")
        await page.keyboard.press("ArrowRight")
        flash = page.get_by_test_id("shortcut-flash")
        await says(page, FORWARD, "+5 s")
        assert await page.evaluate(f"() => {PLAYER}.currentTime") >= before + 4.5
        await flash_is_out_of_the_way(page)
        # Gone after its moment; the words stay in the region.
        await flash.wait_for(state="detached", timeout=3_000)
        assert FORWARD.match(await said(page))

        # ↑/↓ are the volume's with the focus in the player (elsewhere they scroll the page).
        await page.locator(".player-frame").focus()
        await page.keyboard.press("ArrowUp")
        await says(page, "Volume 100 %", "100 %")
        await page.keyboard.press("ArrowDown")
        await says(page, "Volume 95 %", "95 %")
        volume = await page.evaluate(f"() => [{PLAYER}.volume, {PLAYER}.muted, {PLAYER}.paused]")
        assert volume == [0.95, False, False]

        assert await animation_of_flash(page) == "player-flash-fade"
        await page.emulate_media(reduced_motion="reduce")
        assert await animation_of_flash(page) == "none"
    log.assert_clean()
