"""Ended sessions in the SPA (issue 16 items 5, 6 and 7), in Debian's Chromium.

Three journeys against a real ``streamstack dev``, each with two browser contexts (two
devices: their own cookies and storage):

* **Password change.** A viewer is signed in on a laptop and on a phone. On the phone they
  change their password on the Account page; the laptop's next click (History) lands on
  sign-in saying "Your session ended", the old password is refused there and the new one
  works. The phone stays signed in, now with one session. Then they fix a typo in their
  email on the phone: it stays as it was until the link mailed to the new address is opened
  (on the laptop); then both devices, still signed in, show the new one.
* **Signed out everywhere.** The viewer presses "Sign out everywhere" on the phone; the
  laptop's next click (Browse, a public page) falls back to browsing signed out, saying the
  session ended, with no error on the page.
* **Admin disables a signed-in viewer.** While the viewer is signed in, the admin presses
  "Disable" on the Users page (and confirms); the viewer's next click fails and lands on sign-in saying
  the session ended, signing in again is refused with "This account is disabled", and once
  the admin presses "Enable" the viewer signs in again.

Chromium logs each 4xx a page gets as a console error; the journeys name the refusals they
provoke on purpose (the dead session's 401s, the refused sign-ins), and every other console
error, uncaught exception or CSP violation fails them.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.async_api import Page

from e2e.spa_rig import (
    FAILED_LOAD,
    VIEWER_PASSWORD,
    BrowserLog,
    DevServer,
    admin_on,
    chromium,
    new_page,
    register_viewer,
    sign_in,
)
from support.mail import mails_in
from support.waiting import eventually

VIEWER = "viewer@example.test"
NEW_PASSWORD = "violet kestrel under granite"
FIXED_EMAIL = "viewer.fixed@example.test"
CONFIRM_LINK = re.compile(r"^(http://\S+/confirm-email#code=\S+)$", re.MULTILINE)
SESSIONS = "/api/v1/auth/sessions"
HISTORY = "/api/v1/catalogue/me/history"
REFRESH = "/api/v1/auth/refresh"
LOGIN = "/api/v1/auth/login"


async def session_ended(page: Page, base: str, link: str) -> None:
    """Click ``link`` in the header: the page lands on sign-in saying the session ended."""
    await page.get_by_role("navigation", name="Main").get_by_role("link", name=link).click()
    await page.wait_for_url(f"{base}/signin")
    reason = page.get_by_test_id("signin-reason")
    assert await reason.text_content() == "Your session ended. Sign in again to continue."


async def refused_sign_in(page: Page, password: str, message: str) -> None:
    """Sign-in with ``password`` stays on the form, showing ``message``."""
    await page.get_by_label("Email").fill(VIEWER)
    await page.get_by_label("Password", exact=True).fill(password)
    await page.get_by_role("button", name="Sign in", exact=True).click()
    error = page.get_by_test_id("signin-error")
    await error.wait_for()
    assert await error.text_content() == message
    assert await page.get_by_role("button", name="Sign out").count() == 0


def mailed_to(tmp_path: Path, email: str) -> list[EmailMessage]:
    """The mails the dev server (data under ``tmp_path``) wrote to ``email``."""
    return [mail for mail in mails_in(tmp_path / "data" / "mail") if mail["To"] == email]


@pytest.mark.timeout(120)
async def test_password_change_signs_out_the_other_session(
    dev_server: DevServer, tmp_path: Path
) -> None:
    """Phone changes the password; the laptop's next click says the session ended."""
    base = dev_server.url
    register_viewer(dev_server, VIEWER, VIEWER_PASSWORD)
    log = BrowserLog()
    async with chromium() as browser:
        laptop, laptop_page = await new_page(browser, log)
        await sign_in(laptop_page, base, VIEWER, VIEWER_PASSWORD)
        phone, phone_page = await new_page(browser, log)
        await sign_in(phone_page, base, VIEWER, VIEWER_PASSWORD)

        await phone_page.goto(f"{base}/account")
        await phone_page.get_by_test_id("session").nth(1).wait_for()  # both devices
        form = phone_page.get_by_role("form", name="Change password")
        await form.get_by_label("Current password").fill(VIEWER_PASSWORD)
        await form.get_by_label("New password").fill(NEW_PASSWORD)
        await form.get_by_role("button", name="Change password").click()
        await phone_page.get_by_test_id("password-changed").wait_for()
        await phone_page.wait_for_function(
            "() => document.querySelectorAll('[data-testid=session]').length === 1"
        )

        await session_ended(laptop_page, base, "History")
        await refused_sign_in(
            laptop_page, VIEWER_PASSWORD, "Wrong credentials: the email or password is not correct."
        )
        await sign_in(laptop_page, base, VIEWER, NEW_PASSWORD)

        # The phone's own session survived the change (a reload restores it).
        await phone_page.reload()
        await phone_page.get_by_test_id("account-email").wait_for()
        assert await phone_page.get_by_test_id("account-email").text_content() == VIEWER

        # A typo in the email is fixed on the phone: the laptop stays signed in, and sees it.
        form = phone_page.get_by_role("form", name="Change email")
        await form.get_by_label("New email").fill(FIXED_EMAIL)
        await form.get_by_label("Password").fill(NEW_PASSWORD)
        await form.get_by_role("button", name="Change email").click()
        await phone_page.get_by_test_id("email-pending").wait_for()
        assert await phone_page.get_by_test_id("account-email").text_content() == VIEWER
        # The link mailed to the new address is opened on the other device.
        await eventually(lambda: bool(mailed_to(tmp_path, FIXED_EMAIL)), "the link mailed")
        (mail,) = mailed_to(tmp_path, FIXED_EMAIL)
        body = mail.get_body(("plain",))
        assert body is not None
        found = CONFIRM_LINK.search(body.get_content())
        assert found is not None, body.get_content()
        await laptop_page.goto(found[1])
        await laptop_page.get_by_role("button", name="Confirm my new email").click()
        confirmed = laptop_page.get_by_test_id("email-confirmed")
        await confirmed.wait_for()
        assert f"Your sign-in email is now {FIXED_EMAIL}." in (await confirmed.text_content() or "")
        await phone_page.reload()
        await phone_page.get_by_test_id("account-email").wait_for()
        assert await phone_page.get_by_test_id("account-email").text_content() == FIXED_EMAIL
        await laptop_page.goto(f"{base}/account")
        shown = laptop_page.get_by_test_id("account-email")
        await shown.wait_for()
        assert await shown.text_content() == FIXED_EMAIL
        await laptop.close()
        await phone.close()

    log.assert_clean((HISTORY, 401), (REFRESH, 401), (LOGIN, 401))


@pytest.mark.timeout(120)
async def test_admin_disables_a_signed_in_viewer(dev_server: DevServer) -> None:
    """Disabled: the viewer's next click ends their session, sign-in is refused; enabled: in."""
    base = dev_server.url
    register_viewer(dev_server, VIEWER, VIEWER_PASSWORD)
    log = BrowserLog()
    async with chromium() as browser:
        viewer, viewer_page = await new_page(browser, log)
        await sign_in(viewer_page, base, VIEWER, VIEWER_PASSWORD)
        admin, admin_page = await admin_on(browser, log, dev_server, "/admin/users")
        await admin_page.get_by_role("button", name=f"Disable {VIEWER}").click()
        asked = admin_page.get_by_role("alertdialog", name="Disable this account?")
        await asked.get_by_role("button", name="Disable").click()
        enable = admin_page.get_by_role("button", name=f"Enable {VIEWER}")
        await enable.wait_for()
        row = admin_page.get_by_role("row").filter(has_text=VIEWER)
        assert "Disabled" in (await row.get_by_role("cell").first.text_content() or "")

        await session_ended(viewer_page, base, "History")
        await refused_sign_in(
            viewer_page,
            VIEWER_PASSWORD,
            "This account is disabled. Ask an administrator to enable it again.",
        )

        await enable.click()
        await admin_page.get_by_role("button", name=f"Disable {VIEWER}").wait_for()
        await sign_in(viewer_page, base, VIEWER, VIEWER_PASSWORD)
        await viewer.close()
        await admin.close()

    log.assert_clean((HISTORY, 401), (REFRESH, 401), (LOGIN, 403))


def test_only_the_named_refusals_are_forgiven() -> None:
    """The rig forgives Chromium's line for a named (path, status), nothing else."""
    line = f"{FAILED_LOAD} 401 (Unauthorized) (http://127.0.0.1:1{HISTORY}?page=1)"
    log = BrowserLog(console_errors=[line, "TypeError: x is undefined (http://127.0.0.1:1/a.js)"])
    assert log.unexpected_console_errors((HISTORY, 401)) == log.console_errors[1:]
    assert log.unexpected_console_errors((HISTORY, 403), (REFRESH, 401)) == log.console_errors


@pytest.mark.timeout(120)
async def test_signed_out_everywhere_the_other_device_browses_anonymously(
    dev_server: DevServer,
) -> None:
    """After "Sign out everywhere" elsewhere, Browse falls back to browsing signed out."""
    base = dev_server.url
    register_viewer(dev_server, VIEWER, VIEWER_PASSWORD)
    log = BrowserLog()
    async with chromium() as browser:
        laptop, laptop_page = await new_page(browser, log)
        await sign_in(laptop_page, base, VIEWER, VIEWER_PASSWORD)
        nav = laptop_page.get_by_role("navigation", name="Main")
        await nav.get_by_role("link", name="Account").click()
        await laptop_page.get_by_test_id("account-email").wait_for()
        phone, phone_page = await new_page(browser, log)
        await sign_in(phone_page, base, VIEWER, VIEWER_PASSWORD)
        await phone_page.goto(f"{base}/account")
        await phone_page.get_by_role("button", name="Sign out everywhere").click()
        asked = phone_page.get_by_role("alertdialog", name="Sign out everywhere?")
        await asked.get_by_role("button", name="Sign out everywhere").click()
        await phone_page.wait_for_url(f"{base}/signin")

        await nav.get_by_role("link", name="Browse").click()
        notice = laptop_page.get_by_test_id("session-ended")
        await notice.wait_for()
        assert (await notice.text_content() or "").startswith(
            "Your session ended, so you are browsing signed out."
        )
        await laptop_page.get_by_test_id("empty-state").wait_for()
        await nav.get_by_role("link", name="Sign in").wait_for()
        assert await laptop_page.get_by_role("alert").count() == 0
        await laptop.close()
        await phone.close()

    # Browse's own requests, the signed-in row's and the refresh each met the ended session.
    log.assert_clean(
        ("/api/v1/catalogue", 401),
        ("/api/v1/catalogue/tags", 401),  # the tag field's suggestions
        ("/api/v1/catalogue/me/continue-watching", 401),
        (HISTORY, 401),
        (REFRESH, 401),
    )
