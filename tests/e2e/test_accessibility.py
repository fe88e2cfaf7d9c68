"""Every page of the SPA, checked by axe-core (Deque's accessibility engine) in Chromium, in
the light theme and the dark, as a visitor, a viewer and an admin see it.

axe checks what a program can check of WCAG 2.2 A/AA and common practice: names and roles
of controls and links, labels, headings, landmarks, contrast, ARIA that contradicts itself.
It found, when it was first run:

* the dark theme's primary buttons (and skip link, brand mark): white on the light accent
  blue, 3.2:1 where WCAG 1.4.3 wants 4.5:1;
* a catalogue card's link named "<title>, <duration>" while its text read the duration
  first (WCAG 2.5.3, label in name: a voice user says what they see); an "Up next" link
  read "0:02 <title> 0:02 · 1 view";
* "Transcode again" buttons named "Transcode <title> again" (2.5.3 again);
* ``/admin`` a blank page (no heading, nothing): it now leads to the library.

A keyboard-only walk of the watch page found what axe cannot see (checked here by keys, as
that tester pressed them):

* Space on a playlist's checkbox in the Save dialog played or paused the video behind the
  dialog instead of ticking the box (WCAG 2.1.1), and m, c and the arrows acted behind it;
* "Play video" by keyboard put the focus on the player with no ring, and the control bar
  hid after 2.5 s: no focus to be seen at all (WCAG 2.4.7).

A keyboard walk of the other pages found, also checked here:

* a new page (a link of the navigation, unfolded or in the phone's menu, or signing in) left
  the focus on the page's body or on the link, with nothing said but the tab's title: it now
  goes to the new page's heading (WCAG 2.4.3);
* every page an admin has was 328 px wide in a 320 px window (WCAG 1.4.10, reflow): the
  folded header's row did not fit.

A screen reader's own reading is not checked here (no screen reader runs in CI).
"""

from __future__ import annotations

import json
from typing import Any, Literal

import httpx
import pyotp
import pytest
from playwright.async_api import Page

from e2e.spa_rig import (
    PLAYER,
    VIEWER_PASSWORD,
    BrowserLog,
    DevServer,
    admin_on,
    admin_uploaded,
    bearer_for,
    chromium,
    new_page,
    register_viewer,
    sign_in,
    upload,
    watch_page_ready,
)
from harness.tools import skip_or_fail
from system.system_rig import ROOT
from system.system_video import h264_aac_mp4

AXE_SCRIPT = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
VIEWER_EMAIL = "viewer@example.com"

#: What each kind of visitor is shown: pages by path (``{item}`` is the uploaded item's id).
VISITOR_PAGES = ("/signin", "/register", "/", "/nowhere")
VIEWER_PAGES = ("/", "/watch/{item}", "/account", "/history", "/playlists", "/liked")
ADMIN_PAGES = (
    "/admin/library",
    "/admin/upload",
    "/admin/users",
    "/admin/comments",
    "/watch/{item}",
)
THEMES: tuple[Literal["light", "dark"], ...] = ("light", "dark")

#: Each violation as one line: the rule, its impact, and where (up to three elements).
VIOLATIONS = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    where: v.nodes.slice(0, 3).map((n) => `${n.target.join(" ")}: ${n.failureSummary}`),
  }));
}"""


def axe_source() -> str:
    """axe-core's browser build, from the web app's dev dependencies (``npm ci``)."""
    if not AXE_SCRIPT.is_file():
        skip_or_fail(f"needs axe-core ({AXE_SCRIPT}): run npm ci in web/")
    return AXE_SCRIPT.read_text()


async def violations(page: Page, axe: str) -> list[dict[str, Any]]:
    """axe's violations on ``page`` as it is now (axe is loaded through the DevTools
    protocol, which the page's Content-Security-Policy does not govern)."""
    await page.evaluate(axe)
    found: list[dict[str, Any]] = await page.evaluate(VIOLATIONS)
    return found


async def visit(page: Page, url: str, path: str) -> None:
    """Open ``path`` and wait until the page has settled (the watch page: its video and the
    other item beside it, in "Up next", too)."""
    if path.startswith("/watch/"):
        await watch_page_ready(page, url, path.removeprefix("/watch/"))
        await page.get_by_test_id("related-item").wait_for()
    else:
        await page.goto(f"{url}{path}")
    await page.wait_for_load_state("networkidle")


async def check_pages(
    who: str, page: Page, server: DevServer, paths: tuple[str, ...], item: str
) -> dict[str, Any]:
    """Every page of ``paths`` as ``who`` sees it: what axe finds, by page, where it finds
    anything."""
    axe = axe_source()
    found: dict[str, Any] = {}
    for path in (p.format(item=item) for p in paths):
        await visit(page, server.url, path)
        if problems := await violations(page, axe):
            found[f"{who} {path}"] = problems
    return found


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_axe_finds_nothing_on_any_page(dev_server: DevServer) -> None:
    """One server and one browser for both themes (a server each cost more than the checks)."""
    log = BrowserLog()
    register_viewer(dev_server, VIEWER_EMAIL, VIEWER_PASSWORD)
    found: dict[str, Any] = {}
    async with chromium() as browser:
        clip = h264_aac_mp4()
        admin, item = await admin_uploaded(browser, log, dev_server, "Harbour", clip, "h.mp4")
        # A second item: cards in the catalogue, and one "Up next" beside the player.
        await upload(admin, dev_server.url, "Harbour at dawn", clip, name="dawn.mp4")
        for theme in THEMES:
            await admin.emulate_media(color_scheme=theme)
            found |= await check_pages(f"{theme}, admin", admin, dev_server, ADMIN_PAGES, item)
            context, page = await new_page(browser, log, color_scheme=theme)
            found |= await check_pages(f"{theme}, visitor", page, dev_server, VISITOR_PAGES, item)
            await sign_in(page, dev_server.url, VIEWER_EMAIL, VIEWER_PASSWORD)
            found |= await check_pages(f"{theme}, viewer", page, dev_server, VIEWER_PAGES, item)
            await context.close()
    assert found == {}, json.dumps(found, indent=1)
    log.assert_clean()


async def in_both_themes(page: Page, state: str, axe: str) -> dict[str, Any]:
    """What axe finds on ``page`` as it is now, in the light theme and the dark."""
    found: dict[str, Any] = {}
    for theme in THEMES:
        await page.emulate_media(color_scheme=theme)
        if problems := await violations(page, axe):
            found[f"{theme}, {state}"] = problems
    return found


async def two_factor_account_states(page: Page, axe: str) -> tuple[dict[str, Any], str]:
    """Turning two-factor on in the Account page, state by state (the QR code, a refused code,
    the recovery codes, on with the codes left): what axe finds, and the app's key."""
    section = page.get_by_test_id("two-factor")
    await section.get_by_role("button", name="Turn on").click()
    await section.get_by_label("Password").fill(VIEWER_PASSWORD)
    await section.get_by_role("button", name="Continue").click()
    await section.get_by_alt_text("QR code to scan with your authenticator app").wait_for()
    found = await in_both_themes(page, "two-factor setup", axe)
    key = (await section.get_by_test_id("two-factor-key").text_content() or "").replace(" ", "")
    code = section.get_by_label("Code from your authenticator app")
    await code.fill("000000")
    await section.get_by_role("button", name="Turn on").click()
    await section.locator(".field-error").wait_for()
    found |= await in_both_themes(page, "two-factor code refused", axe)
    await code.fill(pyotp.TOTP(key).now())
    await section.get_by_role("button", name="Turn on").click()
    await section.get_by_role("list", name="Recovery codes").wait_for()
    found |= await in_both_themes(page, "recovery codes shown", axe)
    await section.get_by_role("button", name="Done").click()
    await section.get_by_test_id("recovery-codes-left").wait_for()
    found |= await in_both_themes(page, "two-factor on", axe)
    return found, key


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_axe_finds_nothing_in_two_factor_states(dev_server: DevServer) -> None:
    """The states of two-factor authentication no page load shows: its setup, refusal and
    recovery codes in the Account page, and the sign-in form asking for a code."""
    log = BrowserLog()
    register_viewer(dev_server, VIEWER_EMAIL, VIEWER_PASSWORD)
    axe = axe_source()
    async with chromium() as browser:
        _, page = await new_page(browser, log)
        await sign_in(page, dev_server.url, VIEWER_EMAIL, VIEWER_PASSWORD)
        await page.goto(f"{dev_server.url}/account")
        found, _ = await two_factor_account_states(page, axe)
        await page.goto(f"{dev_server.url}/")
        await page.get_by_role("button", name="Sign out").click()
        await page.get_by_label("Email").fill(VIEWER_EMAIL)
        await page.get_by_label("Password", exact=True).fill(VIEWER_PASSWORD)
        await page.get_by_role("button", name="Sign in", exact=True).click()
        await page.get_by_label("Code from your authenticator app").wait_for()
        found |= await in_both_themes(page, "sign-in code", axe)
        await page.get_by_role("button", name="Use a recovery code instead").click()
        found |= await in_both_themes(page, "sign-in recovery code", axe)
    assert found == {}, json.dumps(found, indent=1)
    log.assert_clean(("/api/v1/auth/login", 401), ("/api/v1/auth/me/two-factor/enable", 403))


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_admin_alone_leads_to_the_library(dev_server: DevServer) -> None:
    """``/admin`` rendered nothing at all (an empty outlet): an admin typing it got a blank
    page."""
    log = BrowserLog()
    async with chromium() as browser:
        _, page = await admin_on(browser, log, dev_server, "/admin")
        await page.wait_for_url(f"{dev_server.url}/admin/library")
        await page.get_by_role("heading", name="Library", level=1).wait_for()
    log.assert_clean()


#: The focused element: its tag, accessible name (or text), and whether it draws a ring.
FOCUSED = """() => {
  const e = document.activeElement, s = getComputedStyle(e);
  const name = e.getAttribute("aria-label") || e.closest("label")?.textContent || e.textContent;
  const ring = s.boxShadow !== "none" || (s.outlineStyle !== "none" && s.outlineWidth !== "0px");
  return [e.tagName, (name || "").trim(), ring];
}"""


async def press_until(page: Page, key: str, name: str, most: int = 40) -> None:
    """Press ``key`` (Tab, Shift+Tab) until the focus is on the control named ``name``."""
    for _ in range(most):
        await page.keyboard.press(key)
        if (await page.evaluate(FOCUSED))[1] == name:
            return
    raise AssertionError(
        f"{key} never reached {name!r}: the focus is on {await page.evaluate(FOCUSED)}"
    )


def make_playlist(server: DevServer, title: str) -> None:
    """An empty playlist of the admin's, made through the API."""
    with httpx.Client(base_url=server.url, timeout=10.0) as client:
        headers = bearer_for(client, server.admin_email, server.admin_password)
        answer = client.post(
            "/api/v1/catalogue/me/playlists", json={"title": title}, headers=headers
        )
        answer.raise_for_status()


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_watch_page_by_keyboard_alone(dev_server: DevServer) -> None:
    """Save, Enter, Shift+Tab back to a playlist, Space: the box is ticked, the video behind
    the dialog neither plays nor mutes. Then Tab to "Play video", Enter: the player has the
    focus with a ring, and its bar stays past the time it hides after without a pointer."""
    log = BrowserLog()
    make_playlist(dev_server, "Favourites")
    async with chromium() as browser:
        clip = h264_aac_mp4(seconds=5.0, width=160, height=120)
        page, item = await admin_uploaded(browser, log, dev_server, "Keys", clip, "keys.mp4")
        await watch_page_ready(page, dev_server.url, item)
        await page.get_by_test_id("player-keys").wait_for()

        await press_until(page, "Tab", "Save")
        await page.keyboard.press("Enter")
        done = page.get_by_role("dialog", name="Save to playlist").get_by_role(
            "button", name="Done"
        )
        await page.wait_for_function("() => document.activeElement?.textContent === 'Done'")
        await done.wait_for()
        box = page.get_by_role("checkbox", name="Favourites")
        await box.wait_for()
        await press_until(page, "Shift+Tab", "Favourites")
        await page.keyboard.press("Space")
        await page.keyboard.press("m")
        # Ticked, no longer busy (the server took it), and still focused.
        await page.wait_for_function(
            "() => { const b = document.activeElement;"
            " return b.type === 'checkbox' && b.checked && b.getAttribute('aria-disabled') !== 'true'; }"
        )
        assert await page.evaluate(f"() => [{PLAYER}.paused, {PLAYER}.muted]") == [True, False]
        await page.keyboard.press("Escape")
        assert (await page.evaluate(FOCUSED))[:2] == ["BUTTON", "Save"]

        await press_until(page, "Shift+Tab", "Play video")
        await page.keyboard.press("Enter")
        await page.wait_for_function(f"() => !{PLAYER}.paused")
        on_frame = "() => document.activeElement.classList.contains('player-frame')"
        assert await page.evaluate(on_frame)
        assert (await page.evaluate(FOCUSED))[2], "no ring on the focused player"
        # Past the bar's 2.5 s without a pointer, still playing: the bar is there.
        await page.wait_for_function(f"() => {PLAYER}.currentTime > 3.2")
        frame = page.locator(".player-frame")
        assert "controls-hidden" not in (await frame.get_attribute("class") or "")
        assert (
            await page.get_by_test_id("player-controls").evaluate(
                "e => getComputedStyle(e).opacity"
            )
            == "1"
        )
    log.assert_clean()


#: The focused element's text when it is a page's main heading, else its tag, in page scripts.
FOCUSED_HEADING = """() => {
  const e = document.activeElement;
  return e && e.tagName === "H1" ? e.textContent : e && e.tagName;
}"""

#: Whether the page is wider than the window (a horizontal scroll bar), in page scripts.
WIDER_THAN_WINDOW = "() => document.documentElement.scrollWidth > window.innerWidth"

#: The pages an admin has, each checked at 320 px.
NARROW_PAGES = (
    "/",
    "/admin/library",
    "/admin/upload",
    "/admin/users",
    "/admin/comments",
    "/account",
    "/history",
    "/playlists",
    "/liked",
)


async def heading_focused(page: Page, name: str) -> None:
    """Wait until the focus is on the page's main heading, and check it is ``name``."""
    await page.wait_for_function("() => document.activeElement?.tagName === 'H1'")
    assert await page.evaluate(FOCUSED_HEADING) == name


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_a_new_page_has_the_focus_on_its_heading(dev_server: DevServer) -> None:
    """Signing in with Enter, then a navigation link with Enter, then one in the phone's menu:
    each time the new page's heading has the focus (the focus was on the body or the link)."""
    log = BrowserLog()
    async with chromium() as browser:
        _, page = await new_page(browser, log)
        await page.goto(f"{dev_server.url}/signin")
        await page.get_by_label("Email").fill(dev_server.admin_email)
        await page.get_by_label("Password", exact=True).fill(dev_server.admin_password)
        await page.get_by_label("Password", exact=True).press("Enter")
        await heading_focused(page, "Browse videos")

        await page.get_by_role("link", name="Users").focus()
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{dev_server.url}/admin/users")
        await heading_focused(page, "Users")

        await page.set_viewport_size({"width": 390, "height": 844})
        await page.get_by_role("button", name="Menu").click()
        await page.get_by_role("link", name="Library").press("Enter")
        await page.wait_for_url(f"{dev_server.url}/admin/library")
        await heading_focused(page, "Library")
    log.assert_clean()


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_every_admin_page_fits_320_px(dev_server: DevServer) -> None:
    """At 320 px no page an admin has is wider than the window (the header made it 328)."""
    log = BrowserLog()
    async with chromium() as browser:
        _, page = await admin_on(browser, log, dev_server, "/")
        await page.set_viewport_size({"width": 320, "height": 640})
        wide = []
        for path in NARROW_PAGES:
            await visit(page, dev_server.url, path)
            if await page.evaluate(WIDER_THAN_WINDOW):
                wide.append((path, await page.evaluate("document.documentElement.scrollWidth")))
        assert wide == []
    log.assert_clean()
