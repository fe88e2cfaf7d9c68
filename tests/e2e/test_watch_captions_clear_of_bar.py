"""Captions stay clear of the player's control bar on a phone, in Chromium (walk55 F1).

A real ``streamstack dev``; the admin uploads a still clip (the same picture throughout, so two
screenshots differ only where the caption is drawn). A phone's touch screen (390 x 844 upright,
844 x 390 sideways) turns captions on; the stream grant carries a track whose WebVTT file the
test serves: one long cue over the whole clip. Where Chromium draws the cue is found by two
screenshots of the player, the track showing and hidden. While the bar shows (paused), inline
and full screen, the caption's lowest row is above the seek bar and the clock; once the bar has
hidden (playing, untouched) the caption goes back down over where the bar was. With a fixed
3.5rem lift, the phone's taller bar (its 44 px seek bar, the clock above it) ran through the
caption, and full screen the seek bar struck it through.
"""

from __future__ import annotations

import asyncio
import io
import re
from typing import Any

import av
import pytest
from playwright.async_api import Page, Route

from e2e.spa_rig import (
    PLAYER,
    BrowserLog,
    DevServer,
    admin_on,
    chromium,
    new_page,
    upload,
    wait_until_ready,
)
from system.system_video import h264_aac_mp4

CUE = "A caption line long enough to wrap on a phone held upright"
VTT = f"WEBVTT\n\n00:00:00.000 --> 00:01:00.000\n{CUE}\n"
#: A screenshot's pixel counts as changed by the caption past this difference in grey.
CHANGED = 40
#: A row holds the caption when at least this many of its pixels changed.
CAPTION_PIXELS = 3
#: Where, in the player (its top at 0), the bar's seek bar and clock begin.
BAR_TOP = """f => { const top = f.getBoundingClientRect().top;
  const parts = [...f.querySelectorAll('.seek-bar, .player-where')]
    .map(p => p.getBoundingClientRect()).filter(b => b.height > 0);
  return Math.min(...parts.map(b => b.top)) - top; }"""


async def with_captions(route: Route) -> None:
    """The stream grant, with an English track (its file served by ``caption_file``)."""
    answer = await route.fetch()
    grant = await answer.json()
    track = {"language": "en", "label": "English", "url": f"{grant['stream_url']}/captions/en.vtt"}
    await route.fulfill(response=answer, json={**grant, "captions": [track]})


async def caption_file(route: Route) -> None:
    """The track's WebVTT: one cue over the whole clip."""
    await route.fulfill(status=200, content_type="text/vtt", body=VTT)


def grey_rows(png: bytes) -> list[bytes]:
    """A PNG screenshot's rows of grey pixels."""
    with av.open(io.BytesIO(png), format="png_pipe") as image:
        frame = next(image.decode(video=0)).reformat(format="gray")
        plane = frame.planes[0]
        data = bytes(plane)
        return [data[row * plane.line_size :][: plane.width] for row in range(plane.height)]


async def settled_shot(page: Page) -> list[bytes]:
    """The player's screenshot once two in a row agree (the caption's move has a transition)."""
    frame = page.locator(".player-frame")
    shot = grey_rows(await frame.screenshot())
    while True:
        again = grey_rows(await frame.screenshot())
        if again == shot:
            return shot
        shot = again


async def caption_bottom(page: Page) -> float:
    """The caption's lowest row in the player (its top at 0, CSS px; device scale 1): where a
    screenshot with the track showing differs from one with it hidden."""
    showing = await settled_shot(page)
    await page.evaluate(f"() => {{ {PLAYER}.textTracks[0].mode = 'hidden'; }}")
    hidden = await settled_shot(page)
    await page.evaluate(f"() => {{ {PLAYER}.textTracks[0].mode = 'showing'; }}")
    rows = [
        index
        for index, (seen, bare) in enumerate(zip(showing, hidden, strict=True))
        if sum(abs(a - b) > CHANGED for a, b in zip(seen, bare, strict=True)) >= CAPTION_PIXELS
    ]
    assert rows, "no caption drawn"
    return rows[-1] + 1


async def assert_caption_above_the_bar(page: Page, where: str) -> None:
    """Paused, the bar shows: the caption's bottom is above its seek bar and clock."""
    bar_top: float = await page.locator(".player-frame").evaluate(BAR_TOP)
    bottom = await caption_bottom(page)
    assert bottom <= bar_top + 1, (where, bottom, bar_top)


async def phone_page(browser: Any, log: BrowserLog, storage: Any, width: int, height: int) -> Page:
    """A phone's touch screen, signed in as ``storage``, its grants carrying the track."""
    _, page = await new_page(
        browser,
        log,
        viewport={"width": width, "height": height},
        has_touch=True,
        is_mobile=True,
        device_scale_factor=1,
        storage_state=storage,
    )
    await page.route("**/stream-token", with_captions)
    await page.route("**/captions/en.vtt", caption_file)
    return page


async def captions_on_and_paused(page: Page, url: str) -> None:
    """The watch page at ``url``: captions on, the video played a little, paused (the bar shows)."""
    await page.goto(url)
    # On, unless the choice is remembered from the last page (then the button hides them).
    captions = page.get_by_role("button", name=re.compile(r"^(Show|Hide) captions$"))
    if await captions.get_attribute("aria-label") == "Show captions":
        await captions.tap()
    await page.wait_for_function(f"() => {PLAYER}.readyState >= 1")
    await page.evaluate(f"async () => {{ const v = {PLAYER}; v.muted = true; await v.play(); }}")
    await page.wait_for_function(
        f"""cue => {{ const v = {PLAYER}; const t = v.textTracks[0];
              return v.currentTime > 0.3 && t.mode === 'showing' && t.activeCues
                && [...t.activeCues].some(c => c.text === cue); }}""",
        arg=CUE,
    )
    await page.evaluate(f"() => {PLAYER}.pause()")
    await page.get_by_role("button", name="Play", exact=True).wait_for()


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_captions_move_above_the_bar_while_it_shows(dev_server: DevServer) -> None:
    base = dev_server.url
    log = BrowserLog()
    async with chromium() as browser:
        context, admin = await admin_on(browser, log, dev_server, "/")
        clip = h264_aac_mp4(seconds=20.0, width=320, height=180, still=True)
        item_id = await upload(admin, base, "Captioned still", clip, name="still.mp4")
        await asyncio.to_thread(wait_until_ready, dev_server, item_id)
        storage = await context.storage_state()
        await context.close()

        for width, height in ((390, 844), (844, 390)):
            page = await phone_page(browser, log, storage, width, height)
            await captions_on_and_paused(page, f"{base}/watch/{item_id}")
            await assert_caption_above_the_bar(page, f"{width}x{height} inline")

            await page.get_by_role("button", name="Full screen").tap()
            await page.wait_for_function("() => document.fullscreenElement !== null")
            await assert_caption_above_the_bar(page, f"{width}x{height} full screen")
            await page.get_by_role("button", name="Exit full screen").tap()
            await page.wait_for_function("() => document.fullscreenElement === null")

            if width < height:
                # Playing untouched, the bar hides: the caption goes back down, over where it was.
                bar_top = await page.locator(".player-frame").evaluate(BAR_TOP)
                await page.evaluate(f"async () => {{ await {PLAYER}.play(); }}")
                await page.locator(".player-frame.controls-hidden").wait_for()
                assert await caption_bottom(page) > bar_top + 8
            storage = await page.context.storage_state()
            await page.context.close()

    log.assert_clean()
