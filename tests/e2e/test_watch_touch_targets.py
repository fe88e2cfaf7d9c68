"""The watch page on a touch screen, in Chromium with touch emulation (a coarse pointer).

A viewer walk on a phone found the player's buttons 36 px across (40 px on a wider screen),
under the 44-48 px touch guidance (WCAG 2.5.5, Apple's 44 pt, Material's 48 dp), the seek bar
20 px tall, the header's theme button 40 px wide, its buttons and the page's 42 px tall, the
tags small chips. On a coarse pointer whatever the viewer taps on the watch page is now at
least 44 px both ways, uncovered, and the page is no wider than a 320 px window (six buttons
and the clock did not fit in the player's row: on a phone the clock goes above the seek bar).
A mouse keeps the desktop's sizes. The end screen's buttons too; in a phone's short player the
end screen covers the seek bar (until Cancel) rather than be cut off, and leaves the row of
buttons in reach. The settings menu of a phone's upright player is a sheet along the screen's
bottom, every row in sight (in the player it was cut off after 2½ rows).
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page, Route

from e2e.spa_rig import (
    PLAYER,
    BrowserLog,
    DevServer,
    admin_on,
    chromium,
    new_page,
    play_muted,
    upload_short_clip,
)

#: The least a tap target measures each way on a touch screen (px).
TOUCH_MIN = 44
#: Every control on the page a finger may aim at, as boxes: name, x, y, width, height, and
#: whether the element at its centre is it (nothing covers it); a checkbox's box is its label's
#: (a tap anywhere on it ticks the box). Inline links in running text (a description's, a
#: link within a sentence) are left out (WCAG 2.5.5 excepts them), as is a control folded away to nothing (the phone's
#: volume slider until the keyboard reaches it) and the skip link (off screen until focused).
TARGETS = """() => {
  const found = [];
  const controls = "button, a[href], input:not([type=hidden]), select";
  for (const e of document.querySelectorAll(controls)) {
    if (e.closest(".description") || e.classList.contains("skip-link")) continue;
    // A link inside a sentence (a notice's "Set your own on your Account page."): excepted too.
    const words = e.tagName === "A" ? [...e.parentElement.childNodes] : [];
    if (words.some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim())) continue;
    const tapped = e.type === "checkbox" ? e.closest("label") || e : e;
    const r = tapped.getBoundingClientRect();
    const style = getComputedStyle(e);
    if (r.width === 0 || r.height === 0 || style.visibility === "hidden") continue;
    const name = e.getAttribute("aria-label") || e.textContent.trim() || e.type;
    const centre = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
    const onTop = centre !== null && (centre === e || tapped.contains(centre) || centre.control === e);
    const inView = r.top >= 0 && r.bottom <= innerHeight;
    found.push({name, x: r.x, y: r.y, width: r.width, height: r.height, onTop, inView});
  }
  return found;
}"""
#: The player's buttons: the bar's, each named as it is on a paused video.
BAR_BUTTONS = ("Play", "Unmute", "Show captions", "Settings", "Picture in picture", "Full screen")


async def with_captions(route: Route) -> None:
    """The stream grant, with a captions track: the bar then has all its six buttons."""
    answer = await route.fetch()
    grant = await answer.json()
    track = {"language": "en", "label": "English", "url": f"{grant['stream_url']}/captions/en.vtt"}
    await route.fulfill(response=answer, json={**grant, "captions": [track]})


async def touch_page(browser: Browser, log: BrowserLog, storage: Any, width: int) -> Page:
    """A touch screen's page (a coarse pointer), ``width`` px wide, signed in as ``storage``."""
    _, page = await new_page(
        browser,
        log,
        viewport={"width": width, "height": 800},
        has_touch=True,
        storage_state=storage,
    )
    assert await page.evaluate("() => matchMedia('(pointer: coarse)').matches")
    await page.route("**/stream-token", with_captions)
    return page


async def signed_in_as_now(page: Page) -> Any:
    """The page's session as it is now, for the next page: each page's sign-in refreshes and
    so rotates the refresh token, and the spent one is honoured for the grace window only
    (10 s), after which presenting it again revokes the session (a run under load took longer)."""
    return await page.context.storage_state()


async def paused_with_the_bar(page: Page, url: str) -> None:
    """The watch page at ``url``, its video played a little and paused: the bar shows."""
    await page.goto(url)
    await page.get_by_role("button", name="Show captions").wait_for()
    await play_muted(page, past=0.2)
    await page.evaluate(f"() => {PLAYER}.pause()")
    await page.get_by_role("button", name="Play", exact=True).wait_for()


async def assert_touch_sized(
    page: Page, where: str, *, uncovered: bool = True
) -> list[dict[str, Any]]:
    """Every target on the page is 44 px both ways, in the window, and (``uncovered``)
    nothing covers it; the page is no wider than the window. The targets, for more checks."""
    targets = await page.evaluate(TARGETS)
    small = [t for t in targets if min(t["width"], t["height"]) < TOUCH_MIN - 0.5]
    assert small == [], (where, small)
    window = await page.evaluate("() => window.innerWidth")
    outside = [t for t in targets if t["x"] < 0 or t["x"] + t["width"] > window + 0.5]
    assert outside == [], (where, outside)
    covered = [t["name"] for t in targets if t["inView"] and not t["onTop"]]
    assert not uncovered or covered == [], (where, covered)
    assert not await page.evaluate("() => document.documentElement.scrollWidth > innerWidth")
    return targets


#: The open settings menu's rows (each choice with its label), and whether it scrolls.
MENU_ROWS = """menu => ({
  rows: [...menu.querySelectorAll(".player-tool")].filter(r => r.getClientRects().length > 0)
    .map(r => { const b = r.getBoundingClientRect(); return {top: b.top, bottom: b.bottom}; }),
  scrolls: menu.scrollHeight > menu.clientHeight + 1,
})"""


async def assert_settings_within_the_player(page: Page, where: str) -> None:
    """The open settings menu lies within the player's frame, not over the page below it."""
    menu = await page.get_by_role("group", name="Player settings").bounding_box()
    frame = await page.locator(".player-frame").bounding_box()
    assert menu is not None and frame is not None, where
    assert menu["y"] >= frame["y"] - 0.5, (where, menu, frame)
    assert menu["y"] + menu["height"] <= frame["y"] + frame["height"] + 0.5, (where, menu, frame)


async def assert_settings_in_a_sheet(page: Page, where: str) -> None:
    """On a phone held upright the open settings menu is a sheet along the window's bottom, each
    of its rows wholly in sight without scrolling, below the player's gear. In the player's
    200 px strip it showed 2½ rows and hid Autoplay next behind a scroll (walk55 F2)."""
    group = page.get_by_role("group", name="Player settings")
    menu = await group.bounding_box()
    gear = await page.get_by_role("button", name="Settings").bounding_box()
    window = await page.evaluate("() => ({width: innerWidth, height: innerHeight})")
    assert menu is not None and gear is not None, where
    seen = (where, menu, gear, window)
    assert menu["y"] + menu["height"] == pytest.approx(window["height"], abs=1), seen
    assert menu["width"] == pytest.approx(window["width"], abs=1), seen
    assert gear["y"] + gear["height"] <= menu["y"], seen
    inside = await group.evaluate(MENU_ROWS)
    assert not inside["scrolls"], (seen, inside)
    assert len(inside["rows"]) == 3, (seen, inside)  # Captions, Speed, Autoplay next
    for row in inside["rows"]:
        assert menu["y"] <= row["top"] and row["bottom"] <= window["height"], (seen, inside)


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_what_a_finger_taps_on_the_watch_page_is_44_px(dev_server: DevServer) -> None:
    base = dev_server.url
    log = BrowserLog()
    async with chromium() as browser:
        context, admin = await admin_on(browser, log, dev_server, "/")
        await upload_short_clip(admin, base, "Second walk", "walks")  # what plays next
        first = await upload_short_clip(admin, base, "First walk", "walks, evening")
        storage = await context.storage_state()

        # A phone of 320 px and a tablet: the bar's six buttons, the seek bar, the header, the
        # tags and the page's buttons; then the settings' choices.
        for width in (320, 768):
            page = await touch_page(browser, log, storage, width)
            await paused_with_the_bar(page, f"{base}/watch/{first}")
            names = [t["name"] for t in await assert_touch_sized(page, f"{width} px")]
            for name in (*BAR_BUTTONS, "Seek", "Switch to dark theme", "walks", "evening"):
                assert name in names, (width, name, names)
            await page.get_by_role("button", name="Settings").click()
            await page.get_by_label("Speed").wait_for()
            # On the tablet the menu covers the seek bar, within the player (hanging below it, it
            # covered the page's Copy link, title and Like); on the upright phone, whose player is
            # too short for it, it is a sheet along the screen's bottom, every row in sight.
            # No keys, no switch for their shortcuts.
            await assert_touch_sized(page, f"{width} px, settings open", uncovered=False)
            if width < 600:
                await assert_settings_in_a_sheet(page, f"{width} px")
            else:
                await assert_settings_within_the_player(page, f"{width} px")
            assert await page.get_by_label("Autoplay next").is_visible(), width
            assert not await page.get_by_label("Keyboard shortcuts").is_visible(), width
            storage = await signed_in_as_now(page)
            await page.close()

        # The end screen on the phone: its buttons 44 px, over the seek bar, the bar's row
        # of buttons (Replay) in reach below it.
        page = await touch_page(browser, log, storage, 320)
        await paused_with_the_bar(page, f"{base}/watch/{first}")
        await play_muted(page, past=0.2)
        end_screen = page.get_by_test_id("up-next")
        await end_screen.wait_for(timeout=20_000)
        targets = await assert_touch_sized(page, "end screen", uncovered=False)
        on_top = {t["name"]: t["onTop"] for t in targets if t["inView"]}
        assert [name for name, shown in on_top.items() if not shown] == ["Seek"], on_top
        for name in ("Play now", "Cancel", "Replay", "Full screen"):
            assert on_top.get(name), (name, on_top)
        assert await end_screen.evaluate("e => e.scrollHeight - e.clientHeight") == 0
        await end_screen.get_by_role("button", name="Cancel").tap()
        await end_screen.wait_for(state="hidden")
        assert "Seek" in [t["name"] for t in await assert_touch_sized(page, "after Cancel")]

        # A mouse: the desktop's bar as it was (40 px buttons, a 20 px seek bar).
        _, desk = await new_page(browser, log, storage_state=await signed_in_as_now(page))
        await desk.route("**/stream-token", with_captions)
        await paused_with_the_bar(desk, f"{base}/watch/{first}")
        for name in BAR_BUTTONS:
            box = await desk.get_by_role("button", name=name, exact=True).bounding_box()
            assert box is not None and round(box["width"]) == round(box["height"]) == 40, name
        seek = await desk.get_by_role("slider", name="Seek").bounding_box()
        assert seek is not None and round(seek["height"]) == 20, seek
        await desk.get_by_role("button", name="Settings").click()
        await desk.get_by_label("Keyboard shortcuts").wait_for()  # a keyboard: offered
        await assert_settings_within_the_player(desk, "a mouse")

    log.assert_clean()
