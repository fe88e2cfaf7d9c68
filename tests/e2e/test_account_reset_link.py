"""An admin's password-reset link, used once (issue 16 item 6), in Debian's Chromium.

Against a real ``streamstack dev``: the admin presses "Reset link" for a viewer on the Users
page and the link is shown once (gone after a reload). The viewer, who forgot their
password, opens it in their own browser (the code rides in the fragment and fills the form),
sets a new password and signs in with it. Opening the same link again shows at once that
it was used (the page asks the server before offering the form), with no password field to
fill, and the password stays the one they set. No console error besides that check's 403,
no uncaught exception, no CSP violation.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from e2e.spa_rig import (
    VIEWER_PASSWORD,
    BrowserLog,
    DevServer,
    admin_on,
    chromium,
    new_page,
    register_viewer,
    sign_in,
    sign_out,
)

VIEWER = "forgetful@example.test"
NEW_PASSWORD = "amber heron above the weir"
CHECK = "/api/v1/auth/password-reset/check"


async def set_password_with(page: Page, link: str, password: str) -> None:
    """Open the reset ``link`` and submit ``password`` with the code it carries (not shown to edit)."""
    await page.goto(link)
    await page.get_by_label("New password", exact=True).fill(password)
    assert await page.get_by_label("Reset code").count() == 0
    await page.get_by_role("button", name="Set password").click()


@pytest.mark.timeout(120)
async def test_reset_link_works_once(dev_server: DevServer) -> None:
    """Issued and shown once; sets a password once; the used link says so when opened."""
    base = dev_server.url
    register_viewer(dev_server, VIEWER, VIEWER_PASSWORD)
    log = BrowserLog()
    async with chromium() as browser:
        admin, admin_page = await admin_on(browser, log, dev_server, "/admin/users")
        await admin_page.get_by_role("button", name=f"Password-reset link for {VIEWER}").click()
        shown = admin_page.get_by_test_id("reset-link")
        await shown.wait_for()
        assert VIEWER in (await shown.text_content() or "")
        link = await shown.locator("code").text_content()
        assert link is not None and link.startswith(f"{base}/reset-password#code="), link
        await admin_page.reload()  # shown once: the server never tells it again
        await admin_page.get_by_role("button", name=f"Disable {VIEWER}").wait_for()
        assert await admin_page.get_by_test_id("reset-link").count() == 0
        await admin.close()

        viewer, page = await new_page(browser, log)
        await set_password_with(page, link, NEW_PASSWORD)
        done = page.get_by_test_id("reset-done")
        await done.wait_for()
        await done.get_by_role("link", name="Sign in").click()
        await sign_in(page, base, VIEWER, NEW_PASSWORD)
        await sign_out(page, base)

        await page.goto(link)
        dead = page.get_by_test_id("reset-link-dead")
        await dead.wait_for()
        assert await dead.text_content() == (
            "This reset code is not valid: it may be mistyped, used already or expired. "
            "Ask for a new link, or sign in if you know your password."
        )
        # dev mails reset links: a new one is asked for on the sign-in's own page.
        asked = dead.get_by_role("link", name="Ask for a new link")
        assert await asked.get_attribute("href") == "/forgot-password"
        assert await page.get_by_label("New password", exact=True).count() == 0
        assert await page.get_by_role("button", name="Set password").count() == 0
        await sign_in(page, base, VIEWER, NEW_PASSWORD)
        await viewer.close()

    log.assert_clean((CHECK, 403))
