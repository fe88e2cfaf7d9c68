"""Resume after a reload, the Continue watching row and the History page (issue 16.1), in Chromium.

A real ``streamstack dev``; the admin uploads a 30-second H.264 clip (browser-safe, so it
plays at once), plays it, and pauses at 8 s: the player saves the position. After a reload
the watch page offers "Resume from 0:08"; choosing it plays from there. Browse then shows
the item in "Continue watching" with a progress bar, History lists it, and removing it there
empties both. A link to a moment (``?t=0:13``) starts there without the resume offer; from
there the chapter keys (its description lists three chapters) go to the next chapter and
back. The console stays clean and nothing breaks the app's CSP.
"""

from __future__ import annotations

import json

import pytest
from playwright.async_api import Page, Request

from e2e.spa_rig import (
    PLAYER,
    BrowserLog,
    DevServer,
    chromium,
    new_page,
    play_muted,
    seek_paused,
    sign_in,
    upload,
)
from system.system_video import h264_aac_mp4

CHAPTERS = "Three parts:\n0:00 Start\n0:10 Middle\n0:20 End"


def saves_at_least(request: Request, seconds: float) -> bool:
    """Whether ``request`` saves a position of at least ``seconds``."""
    if request.method != "PUT" or not request.url.endswith("/progress"):
        return False
    body = json.loads(request.post_data or "{}")
    return float(body.get("position_seconds", 0)) >= seconds


async def pause_at(page: Page, seconds: float) -> None:
    """Play muted, then pause at ``seconds`` (the seek while paused is saved)."""
    await play_muted(page, past=0.3)
    async with page.expect_request(lambda r: saves_at_least(r, seconds - 0.1)):
        await seek_paused(page, seconds)


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_resume_after_reload(dev_server: DevServer) -> None:
    """Pause at 8 s, reload: resume from 0:08; Continue watching and History show it."""
    base = dev_server.url
    title = "Twenty seconds of gradient"
    log = BrowserLog()
    async with chromium() as browser:
        context, page = await new_page(browser, log)
        await sign_in(page, base, dev_server.admin_email, dev_server.admin_password)
        clip = h264_aac_mp4(seconds=30.0, width=160, height=120)
        item_id = await upload(page, base, title, clip, "gradient.mp4", description=CHAPTERS)
        await page.goto(f"{base}/watch/{item_id}")
        await page.get_by_role("heading", name=title).wait_for()
        # A first visit asks nothing.
        assert await page.get_by_test_id("resume-offer").count() == 0
        await pause_at(page, 8.0)

        await page.reload()
        resume = page.get_by_role("button", name="Resume from 0:08")
        await resume.wait_for()
        await resume.click()
        await page.wait_for_function(f"() => !{PLAYER}.paused && {PLAYER}.currentTime >= 8")
        await page.evaluate(f"() => {PLAYER}.pause()")

        # A link to a moment starts there, offers no resume, and (not played) saves nothing.
        await page.goto(f"{base}/watch/{item_id}?t=0:13")
        await page.get_by_role("button", name="Copy link at 0:13").wait_for()
        assert await page.evaluate(f"() => {PLAYER}.currentTime") == 13
        assert await page.get_by_test_id("resume-offer").count() == 0
        await chapter_keys_from_13_s(page)

        await page.goto(f"{base}/")
        row = page.get_by_role("list", name="Continue watching")
        await row.get_by_role("link", name=title).wait_for()
        await row.get_by_test_id("watch-progress").wait_for()

        await page.get_by_role("link", name="History").click()
        entry = page.get_by_test_id("history-entry").filter(has_text=title)
        await entry.wait_for()
        await page.get_by_role("button", name=f"Remove {title} from history").click()
        await page.get_by_test_id("empty-state").wait_for()
        await page.goto(f"{base}/")
        await page.get_by_test_id("media-card").filter(has_text=title).wait_for()
        assert await page.get_by_role("list", name="Continue watching").count() == 0
        await context.close()

    assert log.page_errors == []
    assert log.console_errors == []
    assert log.csp_violations == []


#: Whether the player has seeked to a time and its bar shows the chapter there.
SEEKED_INTO_CHAPTER = f"""([time, title]) => {{
  const v = {PLAYER};
  const shown = document.querySelector('[data-testid=player-chapter]')?.textContent;
  return v.currentTime === time && !v.seeking && shown === title;
}}"""


async def chapter_keys_from_13_s(page: Page) -> None:
    """At 0:13 (Middle), Ctrl+→ goes to End at 0:20; Ctrl+← there (not 3 s into it) back to
    Middle at 0:10; each said to screen readers. The video stays paused."""
    chapter = page.get_by_test_id("player-chapter")
    said = page.get_by_test_id("shortcut-announcer")
    await page.keyboard.press("Control+ArrowRight")
    # The bar's chapter follows the player's clock, rendered after the seek's events: the
    # seek done, the old chapter could still be shown for a moment.
    await page.wait_for_function(SEEKED_INTO_CHAPTER, arg=[20, "End"])
    assert await chapter.inner_text() == "End"
    assert await said.text_content() == "Chapter 3 of 3: End"
    await page.keyboard.press("Control+ArrowLeft")
    await page.wait_for_function(SEEKED_INTO_CHAPTER, arg=[10, "Middle"])
    assert await chapter.inner_text() == "Middle"
    assert await said.text_content() == "Chapter 2 of 3: Middle"
    assert await page.evaluate(f"() => {PLAYER}.paused")
