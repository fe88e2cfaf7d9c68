"""An admin's unsaved edit outlives their session ending under it, in Debian's Chromium.

A real ``streamstack dev``. The admin uploads a clip and, on a laptop, opens its edit form in
the library and types a new title and description. Meanwhile, on a phone, they press "Sign out
everywhere". Back on the laptop, Save lands on sign-in saying the session ended; what they typed
is kept in the tab's sessionStorage (no token, no password). Signed in again, the library opens
with the edit form filled with it and a notice saying so; Save stores it, and the kept draft is
forgotten.

The laptop's refused save and refresh are the only console errors allowed: no other error, no
uncaught exception and no Content-Security-Policy violation.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from e2e.spa_rig import (
    REFRESH_PATH,
    BrowserLog,
    DevServer,
    chromium,
    new_page,
    sign_in,
    upload_short_clip,
)

TITLE = "Harbour"
NEW_TITLE = "Harbour at dawn"
NEW_DESCRIPTION = "Boats leaving before the sun."
#: sessionStorage as one text, in page scripts, but the lists' scroll positions (kept for
#: Back, per tab: no draft, nothing of the account).
KEPT = (
    "() => Object.keys(sessionStorage).filter(k => k !== 'streamstack.scroll')"
    ".map(k => k + '=' + sessionStorage.getItem(k)).join('\\n')"
)


async def sign_out_everywhere(page: Page, base: str) -> None:
    """Press "Sign out everywhere" on the Account page and confirm it."""
    await page.goto(f"{base}/account")
    await page.get_by_role("button", name="Sign out everywhere").click()
    asked = page.get_by_role("alertdialog", name="Sign out everywhere?")
    await asked.get_by_role("button", name="Sign out everywhere").click()
    await page.wait_for_url(f"{base}/signin")


@pytest.mark.timeout(120)
async def test_an_unsaved_edit_survives_the_session_ending(dev_server: DevServer) -> None:
    """Signed out everywhere while editing: Save leads to sign-in, and back to the same edit."""
    base, email, password = dev_server.url, dev_server.admin_email, dev_server.admin_password
    log = BrowserLog()
    async with chromium() as browser:
        laptop, page = await new_page(browser, log)
        await sign_in(page, base, email, password)
        item_id = await upload_short_clip(page, base, TITLE, "sea")
        await page.goto(f"{base}/admin/library")
        await page.get_by_role("button", name=f"Edit {TITLE}").click()
        await page.get_by_label("Title").fill(NEW_TITLE)
        await page.get_by_label("Description").fill(NEW_DESCRIPTION)

        phone, phone_page = await new_page(browser, log)
        await sign_in(phone_page, base, email, password)
        await sign_out_everywhere(phone_page, base)

        await page.get_by_role("button", name="Save").click()
        await page.wait_for_url(f"{base}/signin")
        assert await page.get_by_test_id("signin-reason").text_content() == (
            "Your session ended. Sign in again to continue."
        )
        kept = await page.evaluate(KEPT)
        assert NEW_DESCRIPTION in kept and password not in kept and "eyJ" not in kept, kept

        await sign_in(page, base, email, password)
        await page.wait_for_url(f"{base}/admin/library")
        form = page.get_by_role("form", name=f"Edit {TITLE}")
        notice = form.get_by_test_id("draft-restored")
        await notice.wait_for()
        assert (await notice.text_content() or "").startswith(
            "Your unsaved changes from before you were signed out were restored"
        )
        assert await form.get_by_label("Title").input_value() == NEW_TITLE
        assert await form.get_by_label("Description").input_value() == NEW_DESCRIPTION
        await form.get_by_role("button", name="Save").click()

        await page.get_by_role("link", name=NEW_TITLE, exact=True).wait_for()
        # The closed form forgets its draft in an effect's clean-up, which React may run a
        # moment after the row shows the saved title: the draft goes, if not at once.
        await page.wait_for_function(f"() => ({KEPT})() === ''")
        await laptop.close()
        await phone.close()

    log.assert_clean((f"/api/v1/catalogue/{item_id}", 401), (REFRESH_PATH, 401))
