"""The SPA end to end: Debian's Chromium (Playwright) against a real ``streamstack dev``.

One journey through the built ``web/dist`` served by ``streamstack dev`` on the embedded
backends, as a new user would meet it:

* a viewer registers, signs out, and signs in again through the forms;
* the admin that ``streamstack dev`` creates on first start (its password is read from the
  banner it prints once) signs in and uploads a small generated H.264/AAC MP4 through the
  upload page; the progress bar reaches 100 and the created item's link appears;
* the viewer finds the item by search, opens it and plays it: ``currentTime`` advances, the
  stream URL answers 206 with a ``Content-Range`` (or, once the worker has packaged the clip,
  hls.js plays its HLS package); a seek jumps and playback goes on;
* the viewer signs out; the video then sends them to ``/signin`` saying "Sign in to watch",
  and ``/account`` redirects to ``/signin`` too;
* at phone size the header keeps one row (the navigation folds into a menu), and the
  theme follows the system's dark preference until the toggle picks light.

The browser console must stay clean: no errors at all, so an anonymous page load must not
try to refresh a session it does not have (no 401), and no Content-Security-Policy
violation: the app sends a CSP (issue 13.14) and every page of the journey is checked
against it through ``securitypolicyviolation`` events as well as the console.
Screenshots of the browse and watch pages are taken on the way (into ``docs/screenshots/``
with the README's refresh command, else into a temporary folder).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from e2e.spa_rig import (
    VIEWER_PASSWORD,
    BrowserLog,
    DevServer,
    chromium,
    new_page,
    play_past,
    seek_paused,
    sign_in,
    sign_out,
)
from system.system_video import h264_aac_mp4

DESCRIPTION = "A three-second test clip: a drifting gradient and a 440 Hz tone."


async def video_state(page: Page) -> dict[str, Any]:
    """The player's currentTime, duration, paused and readyState."""
    state: dict[str, Any] = await page.eval_on_selector(
        "[data-testid=player]",
        "v => ({time: v.currentTime, duration: v.duration, paused: v.paused,"
        " ready: v.readyState, error: v.error && v.error.message})",
    )
    return state


@pytest.mark.timeout(180)
async def test_spa_journey(dev_server: DevServer, tmp_path: Path, screenshots: Path) -> None:
    """Register, upload as admin, find, play and seek as viewer, sign out; a clean console."""
    base = dev_server.url
    title = "Northern lights over the fjord"
    viewer_email = "viewer@example.test"
    video = h264_aac_mp4(seconds=3.0)
    log = BrowserLog()

    async with chromium() as browser:
        # Viewer: register (which signs in), sign out, sign in again through the form.
        viewer, viewer_page = await new_page(browser, log)
        document = await viewer_page.goto(f"{base}/register")
        assert document is not None
        # The journey's pages run under the app's policy (so a violation would show).
        policy = await document.header_value("content-security-policy")
        assert policy and "default-src" in policy, f"no Content-Security-Policy: {policy!r}"
        await viewer_page.get_by_label("Email").fill(viewer_email)
        await viewer_page.get_by_label("Password", exact=True).fill(VIEWER_PASSWORD)
        await viewer_page.get_by_role("button", name="Create account").click()
        await viewer_page.get_by_role("button", name="Sign out").wait_for()
        assert await viewer_page.get_by_role("link", name="Upload").count() == 0
        # On a desktop the navigation is in the header, no menu button.
        assert not await viewer_page.get_by_role("button", name="Menu").is_visible()
        await sign_out(viewer_page, base)
        await sign_in(viewer_page, base, viewer_email, VIEWER_PASSWORD)

        # Admin: sign in, upload through the page, watch the progress reach 100.
        admin, admin_page = await new_page(browser, log)
        await sign_in(admin_page, base, dev_server.admin_email, dev_server.admin_password)
        await admin_page.get_by_role("link", name="Upload", exact=True).click()
        await admin_page.get_by_label("Video or sound file").set_input_files(
            {"name": "northern-lights.mp4", "mimeType": "video/mp4", "buffer": video}
        )
        await admin_page.get_by_label("Title").fill(title)
        await admin_page.get_by_label("Description").fill(DESCRIPTION)
        await admin_page.get_by_role("button", name="Upload", exact=True).click()
        progress = admin_page.get_by_test_id("upload-progress")
        await progress.wait_for()
        await admin_page.wait_for_function(
            "() => document.querySelector('[data-testid=upload-progress]')"
            "?.getAttribute('aria-valuenow') === '100'"
        )
        assert await progress.get_attribute("aria-valuenow") == "100"
        result = admin_page.get_by_test_id("upload-result-link")
        await result.wait_for(timeout=60_000)
        assert await result.text_content() == title
        item_path = await result.get_attribute("href")
        assert item_path is not None
        assert item_path.startswith("/watch/")
        await admin.close()

        # Viewer: the item is on the browse page; find it by search, open it.
        await viewer_page.goto(f"{base}/")
        cards = viewer_page.get_by_test_id("media-card")
        await cards.filter(has_text=title).wait_for()
        await viewer_page.screenshot(path=str(screenshots / "browse.png"))
        search = viewer_page.get_by_label("Search")
        await search.fill("no such video")
        await viewer_page.get_by_test_id("empty-state").wait_for()
        await search.fill("fjord")
        await viewer_page.wait_for_url(re.compile(r"[?&]q=fjord"))
        await viewer_page.wait_for_function(
            "title => { const cards = document.querySelectorAll('[data-testid=media-card]');"
            " return cards.length === 1 && cards[0].textContent.includes(title); }",
            arg=title,
        )
        await cards.first.get_by_role("link", name=title).click()
        await viewer_page.wait_for_url(f"{base}{item_path}")
        await viewer_page.get_by_role("heading", name=title).wait_for()

        # Play it (muted: headless autoplay policy) and see time advance.
        player = viewer_page.get_by_test_id("player")
        await player.wait_for()
        await viewer_page.wait_for_function(
            "() => document.querySelector('[data-testid=player]').readyState >= 1"
        )
        await player.evaluate("async v => { v.muted = true; await v.play(); }")
        await viewer_page.wait_for_function(
            "() => document.querySelector('[data-testid=player]').currentTime > 0.5"
        )
        state = await video_state(viewer_page)
        assert state["error"] is None
        assert 2.5 < state["duration"] < 3.5, state
        # The worker may have packaged the clip as HLS by now (hls.js then fetches
        # playlists and segments); until then the browser-safe original plays as is.
        delivery = await viewer_page.get_attribute(".player-frame", "data-delivery")
        streamed = log.media_responses()
        if delivery == "progressive":
            assert streamed, "the player made no request to a stream URL"
            ranged = [r for r in streamed if r.status == 206]
            assert ranged, f"no 206 among the stream responses: {[r.status for r in streamed]}"
            content_range = await ranged[0].header_value("content-range")
            assert content_range is not None
            assert content_range.endswith(f"/{len(video)}")
        else:
            assert delivery == "hls", delivery
            assert not streamed, "hls.js plays the package, not the original"
            package = [r for r in log.responses if "/hls/" in r.url]
            assert package and all(r.status in (200, 206) for r in package)
        stream_base = log.stream_base()

        # Seek forward past where playback is; the position jumps and playback goes on.
        await seek_paused(viewer_page, 2.2)
        assert (await video_state(viewer_page))["time"] >= 2.1
        await play_past(viewer_page, 2.3)
        await player.evaluate("v => { v.pause(); v.currentTime = 1.0; }")
        await viewer_page.wait_for_function(
            "() => { const v = document.querySelector('[data-testid=player]');"
            " return !v.seeking && v.readyState >= 2; }"
        )
        await viewer_page.screenshot(path=str(screenshots / "watch.png"))
        # The media requests were all ranged; a range in the middle of the original, under
        # the token the player got, answers with exactly those bytes while the original is
        # what plays (a small file is fetched whole by the first request, so the seek itself
        # need not cause another one).
        assert all(r.status == 206 for r in log.media_responses())
        middle = await player.evaluate(
            """async (v, url) => {
                const r = await fetch(url, {headers: {Range: 'bytes=1000-1999'}});
                const body = new Uint8Array(await r.arrayBuffer());
                return {status: r.status, range: r.headers.get('content-range'),
                        bytes: Array.from(body)};
            }""",
            stream_base,
        )
        if delivery == "progressive":
            assert middle["status"] == 206
            assert middle["range"] == f"bytes 1000-1999/{len(video)}"
            assert bytes(middle["bytes"]) == video[1000:2000]
        else:  # packaged: a viewer's token plays the package, not the uploader's file
            assert middle["status"] == 404, middle

        # Sign out: the video and a protected page now send the viewer to sign in, saying why.
        await sign_out(viewer_page, base)
        await viewer_page.goto(f"{base}{item_path}")
        await viewer_page.wait_for_url(f"{base}/signin")
        reason = viewer_page.get_by_test_id("signin-reason")
        assert (await reason.text_content() or "").startswith("Sign in to watch")
        await viewer_page.goto(f"{base}/account")
        await viewer_page.wait_for_url(f"{base}/signin")
        await viewer_page.get_by_role("button", name="Sign in", exact=True).wait_for()
        await viewer.close()

        await phone_and_themes(browser, log, base, screenshots)

    assert log.page_errors == []
    # Anonymous loads (register, the admin's sign-in page, after signing out) ask nothing.
    assert log.failed_refreshes() == []
    # Chromium logs the one refusal the journey asks for: the original under a viewer's token
    # once the clip is packaged (asserted where it is asked).
    assert log.unexpected_console_errors((stream_base, 404)) == []
    assert log.csp_violations == []


async def phone_and_themes(browser: Browser, log: BrowserLog, base: str, screenshots: Path) -> None:
    """At phone size with a dark system theme: one header row, a menu, a sticky toggle."""
    phone, page = await new_page(
        browser, log, viewport={"width": 390, "height": 844}, color_scheme="dark"
    )
    await page.goto(f"{base}/")
    await page.get_by_test_id("media-card").first.wait_for()
    header = page.get_by_role("banner")
    menu = page.get_by_role("button", name="Menu")
    closed = await header.bounding_box()
    assert closed is not None
    toggle_box = await page.get_by_test_id("theme-toggle").bounding_box()
    menu_box = await menu.bounding_box()
    assert toggle_box is not None and menu_box is not None
    # Brand, theme toggle and Menu share one row; the links are folded away.
    assert abs(toggle_box["y"] - menu_box["y"]) < 4, (toggle_box, menu_box)
    assert not await page.get_by_role("link", name="Sign in").is_visible()
    background = "getComputedStyle(document.documentElement).backgroundColor"
    assert await page.evaluate(background) == "rgb(15, 17, 21)"  # dark, from the system
    await page.screenshot(path=str(screenshots / "browse-phone-dark.png"))

    await menu.click()
    await page.get_by_role("link", name="Sign in").wait_for()
    opened = await header.bounding_box()
    assert opened is not None and opened["height"] > closed["height"]
    await page.screenshot(path=str(screenshots / "browse-phone-menu.png"))

    # The toggle picks light; it sticks across a reload.
    await page.get_by_role("button", name="Switch to light theme").click()
    assert await page.evaluate(background) == "rgb(246, 247, 249)"
    await page.reload()
    await page.get_by_test_id("media-card").first.wait_for()
    assert await page.evaluate(background) == "rgb(246, 247, 249)"
    await page.get_by_role("button", name="Switch to dark theme").wait_for()
    await phone.close()


async def test_csp_listener_reports_violations(tmp_path: Path) -> None:
    """The journey's CSP check is live: a page that breaks its own policy is reported."""
    log = BrowserLog()
    page_path = tmp_path / "violating.html"
    page_path.write_text(
        '<meta http-equiv="Content-Security-Policy" content="script-src \'none\'">'
        "<p>hello</p><script>document.title = 'ran';</script>"
    )
    async with chromium() as browser:
        context, page = await new_page(browser, log)
        await page.goto(page_path.as_uri())
        await page.wait_for_function("() => window.__cspViolations.length > 0")
        assert await page.title() != "ran"
        await context.close()
    assert any("script-src" in v for v in log.csp_violations), log.csp_violations
