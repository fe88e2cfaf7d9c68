"""A row's button pressed with the keyboard keeps the focus while its request runs, in Chromium.

The library's Unpublish and the users' Disable were disabled while their request ran, and a
disabled button loses the focus in Chromium: it fell to the page's body, so a keyboard admin
had to Tab from the top of the page to find the row again. Found on the admin walk (F10).
"""

from __future__ import annotations

import pytest

from e2e.spa_rig import BrowserLog, DevServer, admin_uploaded, chromium, register_viewer
from system.system_video import h264_aac_mp4

#: The focused element's accessible name (its aria-label), in page scripts.
FOCUSED_LABEL = "() => document.activeElement.getAttribute('aria-label')"


@pytest.mark.slow
@pytest.mark.timeout(90)
async def test_row_buttons_keep_the_focus(dev_server: DevServer) -> None:
    """Enter on Unpublish, then on Disable (and its confirmation): focus stays on the button,
    renamed Publish, Enable."""
    register_viewer(dev_server, "focus@example.com", "a long enough passphrase")
    log = BrowserLog()
    async with chromium() as browser:
        clip = h264_aac_mp4(seconds=1.0, width=160, height=120)
        page, _ = await admin_uploaded(browser, log, dev_server, "Focus clip", clip, "focus.mp4")
        await page.goto(f"{dev_server.url}/admin/library")
        await page.get_by_role("button", name="Unpublish Focus clip").focus()
        await page.keyboard.press("Enter")
        await page.get_by_role("button", name="Publish Focus clip", exact=True).wait_for()
        assert await page.evaluate(FOCUSED_LABEL) == "Publish Focus clip"

        await page.goto(f"{dev_server.url}/admin/users")
        await page.get_by_role("button", name="Disable focus@example.com").focus()
        await page.keyboard.press("Enter")
        # Disable asks first; the focus starts on Cancel, Tab reaches Disable. Confirmed, the
        # focus goes back to the row's button.
        await page.get_by_role("alertdialog", name="Disable this account?").wait_for()
        await page.keyboard.press("Tab")
        await page.keyboard.press("Enter")
        await page.get_by_role("button", name="Enable focus@example.com", exact=True).wait_for()
        assert await page.evaluate(FOCUSED_LABEL) == "Enable focus@example.com"
    log.assert_clean()
