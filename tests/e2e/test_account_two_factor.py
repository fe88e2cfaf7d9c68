"""Two-factor authentication in the SPA, in Debian's Chromium, against a real ``streamstack dev``.

A viewer turns two-factor authentication on in the Account page: the password, the QR code
(drawn under the page's CSP) and the key as text, from which this test computes the codes an
authenticator app would show (pyotp), the first code, then the ten recovery codes. Signed out,
they sign in with the password and a code from the app, and once more with a recovery code
instead. The only refusals the browser sees are the sign-ins' 401 ``two_factor_required``,
asking for the code; any other console error, uncaught exception or CSP violation fails it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pyotp
import pytest
from playwright.async_api import Page

from e2e.spa_rig import (
    VIEWER_PASSWORD,
    BrowserLog,
    DevServer,
    chromium,
    new_page,
    register_viewer,
    sign_in,
    sign_out,
)

VIEWER = "two.factor@example.test"
LOGIN = "/api/v1/auth/login"


async def turn_on(page: Page, base: str) -> tuple[pyotp.TOTP, list[str]]:
    """Turn two-factor on in the Account page: the app (its key) and the recovery codes shown."""
    await page.goto(f"{base}/account")
    section = page.get_by_test_id("two-factor")
    await section.get_by_role("button", name="Turn on").click()
    await section.get_by_label("Password").fill(VIEWER_PASSWORD)
    await section.get_by_role("button", name="Continue").click()
    qr = section.get_by_alt_text("QR code to scan with your authenticator app")
    await qr.wait_for()
    # The image was drawn: the page's CSP allows its data: URL. Waited for: an image, a data:
    # URL's too, loads after its element is in the page (blocked, it never has a width).
    await page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=await qr.element_handle()
    )
    key = await section.get_by_test_id("two-factor-key").text_content()
    assert key is not None and " " in key  # grouped in fours for reading
    app = pyotp.TOTP(key.replace(" ", ""))
    await section.get_by_label("Code from your authenticator app").fill(app.now())
    await section.get_by_role("button", name="Turn on").click()
    codes = section.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    await codes.first.wait_for()
    advice = await section.get_by_test_id("recovery-codes-advice").text_content()
    assert advice is not None and "Your other sessions were signed out." in advice
    shown = [c.strip() for c in await codes.all_text_contents()]
    assert len(shown) == 10
    async with page.expect_download() as downloading:
        await section.get_by_role("link", name="Download .txt").click()
    download = await downloading.value
    assert download.suggested_filename == "streamstack-recovery-codes.txt"
    saved = Path(await download.path()).read_text()
    assert saved.splitlines()[0] == f"StreamStack recovery codes for {VIEWER}"
    assert all(code in saved.splitlines() for code in shown)
    await section.get_by_role("button", name="Done").click()
    left = section.get_by_test_id("recovery-codes-left")
    await left.wait_for()
    assert await left.text_content() == "10 recovery codes left."
    return app, shown


async def password_then(page: Page, base: str) -> None:
    """Sign in with the password: the form then asks for the code."""
    await page.goto(f"{base}/signin")
    await page.get_by_label("Email").fill(VIEWER)
    await page.get_by_label("Password", exact=True).fill(VIEWER_PASSWORD)
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await page.get_by_label("Code from your authenticator app").wait_for()


@pytest.mark.timeout(120)
async def test_turn_on_then_sign_in_with_a_code_and_a_recovery_code(dev_server: DevServer) -> None:
    """Turned on in the Account page, sign-in takes the app's code, or a recovery code once."""
    base = dev_server.url
    register_viewer(dev_server, VIEWER, VIEWER_PASSWORD)
    log = BrowserLog()
    async with chromium() as browser:
        _, page = await new_page(browser, log)
        await sign_in(page, base, VIEWER, VIEWER_PASSWORD)
        app, recovery_codes = await turn_on(page, base)
        await page.goto(f"{base}/")  # one Sign out button (the Account page has its own too)
        await sign_out(page, base)

        await password_then(page, base)
        # The code that turned it on cannot be used again: the next step's code (within the
        # one step of drift the server allows) is the one an app shows a moment later.
        await page.get_by_label("Code from your authenticator app").fill(app.at(time.time() + 30))
        await page.get_by_role("button", name="Sign in", exact=True).click()
        await page.get_by_role("button", name="Sign out").wait_for()
        assert (
            await page.get_by_test_id("recovery-code-used").count() == 0
        )  # an app's code: nothing to say
        await sign_out(page, base)

        await password_then(page, base)
        await page.get_by_role("button", name="Use a recovery code instead").click()
        await page.get_by_label("Recovery code").fill(recovery_codes[0])
        await page.get_by_role("button", name="Sign in", exact=True).click()
        await page.get_by_role("button", name="Sign out").wait_for()
        used = page.get_by_test_id("recovery-code-used")
        await used.wait_for()
        assert await used.text_content() == (
            "You used a recovery code: 9 left. Make new ones on your Account page if you are running out."
        )

        await used.get_by_role("link", name="Account page").click()
        left = page.get_by_test_id("recovery-codes-left")
        await left.wait_for()
        assert await left.text_content() == "9 recovery codes left."
    log.assert_clean((LOGIN, 401))
