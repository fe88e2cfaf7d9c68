"""What the stylesheet decides, seen in Chromium (the unit tests' DOM applies no styles).

Found on a walk at 390 x 844 and 1366 x 900: "Upload more videos" touched the upload's
result box above it (walk F33); a library row's thumbnail, a link, underlined a sound file's
♪ placeholder in the link colour (walk F34); the New playlist title field, an input with no
type, kept the browser's own small-type, square, white look, a white box in the dark theme
(walk F35). On the empty Browse page an admin's "Upload a video" touched the "Open the library"
link beside it, a space apart (new-user walk).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Locator

from e2e.spa_rig import BrowserLog, DevServer, admin_on, chromium, upload_short_clip


async def style_of(element: Locator, name: str) -> str:
    """The computed value of the CSS property ``name`` (camelCase) of ``element``."""
    return str(await element.evaluate(f"e => getComputedStyle(e).{name}"))


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_upload_library_and_playlist_fields_look_as_designed(dev_server: DevServer) -> None:
    log = BrowserLog()
    async with chromium() as browser:
        _, page = await admin_on(browser, log, dev_server, "/")
        await page.set_viewport_size({"width": 390, "height": 844})
        base = dev_server.url
        await upload_short_clip(page, base, "Styled", "walk")

        result = page.locator(".upload-result")
        more = page.get_by_role("button", name="Upload more videos")
        await more.wait_for()
        result_box, more_box = await result.bounding_box(), await more.bounding_box()
        assert result_box is not None and more_box is not None
        assert more_box["y"] >= result_box["y"] + result_box["height"] + 8, (result_box, more_box)

        await page.goto(f"{base}/admin/library")
        thumb = page.locator(".library-thumb").first
        await thumb.wait_for()
        assert await style_of(thumb, "textDecorationLine") == "none"

        await page.goto(f"{base}/playlists")
        title = page.get_by_role("textbox", name="New playlist")
        await title.wait_for()
        # As every other text field: the page's type size (not the browser's 13.3 px), rounded.
        body_font = await style_of(page.locator("body"), "fontSize")
        assert await style_of(title, "fontSize") == body_font
        assert await style_of(title, "borderTopLeftRadius") == "8px"
    log.assert_clean()


@pytest.mark.slow
@pytest.mark.timeout(60)
async def test_empty_browse_keeps_its_upload_button_apart_from_the_library_link(
    dev_server: DevServer, screenshots: Path
) -> None:
    log = BrowserLog()
    async with chromium() as browser:
        _, page = await admin_on(browser, log, dev_server, "/")
        empty = page.get_by_test_id("empty-state")
        for width in (1280, 390):
            await page.set_viewport_size({"width": width, "height": 800})
            upload = empty.get_by_role("link", name="Upload a video")
            library = empty.get_by_role("link", name="Open the library")
            await library.wait_for()
            upload_box, library_box = await upload.bounding_box(), await library.bounding_box()
            assert upload_box is not None and library_box is not None
            beside = library_box["x"] >= upload_box["x"] + upload_box["width"] + 12
            below = library_box["y"] >= upload_box["y"] + upload_box["height"] + 4
            assert beside or below, (width, upload_box, library_box)
            await page.screenshot(path=screenshots / f"empty-browse-admin-{width}.png")
    log.assert_clean()
