"""A form's submit button pressed with the keyboard keeps the focus while its request runs, in Chromium.

Every form disabled its submit button while its request ran, and a disabled button loses the
focus in Chromium: it fell to the page's body, so a keyboard user had to Tab from the top of
the page (sign in, Save name, Add captions, Create playlist …). The button is now held
(aria-disabled) and cancels its own click while busy; this checks both in a real browser,
where jsdom cannot: the focus stays on Sign in through a refused attempt, and neither the
button pressed again nor Enter in a field (implicit submission clicks the submit button)
sends the form a second time.
"""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Route

from e2e.spa_rig import VIEWER_PASSWORD, BrowserLog, DevServer, chromium, new_page, register_viewer

VIEWER = "keys@example.test"
LOGIN = "/api/v1/auth/login"

#: The focused element, as "TAG text", in page scripts.
FOCUSED = "() => `${document.activeElement.tagName} ${document.activeElement.textContent}`"


@pytest.mark.timeout(90)
async def test_sign_in_keeps_the_focus_and_is_sent_once(dev_server: DevServer) -> None:
    """Enter on Sign in, pressed again while held; later Enter twice in the password field."""
    register_viewer(dev_server, VIEWER, VIEWER_PASSWORD)
    log = BrowserLog()
    async with chromium() as browser:
        context, page = await new_page(browser, log)
        release = asyncio.Event()
        logins: list[str] = []

        async def hold(route: Route) -> None:
            logins.append(route.request.url)
            await release.wait()
            await route.continue_()

        await page.route(f"**{LOGIN}", hold)
        await page.goto(f"{dev_server.url}/signin")
        await page.get_by_label("Email").fill(VIEWER)
        password = page.get_by_label("Password", exact=True)
        await password.fill("a wrong guess")
        await page.get_by_role("button", name="Sign in", exact=True).focus()
        await page.keyboard.press("Enter")
        held = page.get_by_role("button", name="Signing in…")
        await held.wait_for()
        assert await held.get_attribute("aria-disabled") == "true"
        assert await page.evaluate(FOCUSED) == "BUTTON Signing in…"
        await page.keyboard.press("Enter")
        await page.keyboard.press("Space")
        release.set()
        await page.get_by_test_id("signin-error").wait_for()
        assert await page.evaluate(FOCUSED) == "BUTTON Sign in"
        assert len(logins) == 1

        release.clear()
        await password.fill("another wrong guess")
        await password.press("Enter")
        await held.wait_for()
        await password.press("Enter")
        release.set()
        await page.get_by_role("button", name="Sign in", exact=True).wait_for()
        assert len(logins) == 2
        await context.close()
    log.assert_clean((LOGIN, 401))
