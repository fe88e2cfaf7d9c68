"""What the stylesheet decides, seen in Chromium (the unit tests' DOM applies no styles).

Found on a walk at 390 x 844 and 1366 x 900: "Upload more videos" touched the upload's
result box above it (walk F33); a library row's thumbnail, a link, underlined a sound file's
♪ placeholder in the link colour (walk F34); the New playlist title field, an input with no
type, kept the browser's own small-type, square, white look, a white box in the dark theme
(walk F35). On the empty Browse page an admin's "Upload a video" touched the "Open the library"
link beside it, a space apart (new-user walk). At 1280 px the Unfinished uploads table broke
its words anywhere: "Interrupt / ed big upload", a "Can / cel" button (outside walk).
"""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Locator

from e2e.spa_rig import BrowserLog, DevServer, admin_on, bearer_for, chromium, upload_short_clip

#: Each word of an element's text and the number of lines it is drawn on: a word broken across
#: lines has two or more (the tops of its range's rectangles; a line's end may add an empty
#: one, and a word cut short by an ellipsis has two on its line).
LINES_OF_EACH_WORD = """e => {
  const text = e.firstChild;
  const lines = [];
  let at = 0;
  for (const word of text.data.split(" ")) {
    const range = document.createRange();
    range.setStart(text, at);
    range.setEnd(text, at + word.length);
    const tops = [...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top));
    lines.push([word, new Set(tops).size]);
    at += word.length + 1;
  }
  return lines;
}"""


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


def begin_upload(server: DevServer, title: str, filename: str) -> None:
    """A tus upload begun and left unfinished (none of its bytes sent), as an admin."""
    metadata = ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}"
        for key, value in {"title": title, "filename": filename}.items()
    )
    with httpx.Client(base_url=server.url, timeout=10.0) as client:
        headers = bearer_for(client, server.admin_email, server.admin_password)
        created = client.post(
            "/api/v1/ingest/uploads",
            headers={
                **headers,
                "Tus-Resumable": "1.0.0",
                "Upload-Length": "30000000",
                "Upload-Metadata": metadata,
            },
        )
        assert created.status_code == 201, created.text


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_unfinished_uploads_break_lines_at_spaces_only(dev_server: DevServer) -> None:
    """At a laptop's width a title's words are whole on their lines and Cancel on one line;
    a title or file name of one long word is cut short, whole in its title attribute, and
    the table fits its page."""
    long_word = "Averyveryverylongwordwithoutanyspaces" * 2
    long_file = "VID_20261206_153045_club_training_session_final_version_2_EXPORT.mp4"
    begin_upload(dev_server, "Interrupted big upload", "big.mp4")
    log = BrowserLog()
    async with chromium() as browser:
        _, page = await admin_on(browser, log, dev_server, "/admin/upload")
        await page.set_viewport_size({"width": 1280, "height": 800})
        cancel = page.get_by_role("button", name="Cancel “Interrupted big upload”")
        await cancel.wait_for()
        assert await cancel.evaluate(LINES_OF_EACH_WORD) == [["Cancel", 1]]
        title = page.locator("strong", has_text="Interrupted big upload")
        assert await title.evaluate(LINES_OF_EACH_WORD) == [
            ["Interrupted", 1],
            ["big", 1],
            ["upload", 1],
        ]

        begin_upload(dev_server, long_word, long_file)
        await page.reload()
        await page.get_by_test_id("unfinished-upload").nth(1).wait_for()
        for whole in (long_word, long_file):
            element = page.get_by_text(whole, exact=True)
            assert await element.get_attribute("title") == whole
            assert await element.evaluate(LINES_OF_EACH_WORD) == [[whole, 1]]
            assert await element.evaluate("e => e.scrollWidth > e.clientWidth")  # cut short
        wrap = page.locator(".unfinished-uploads .table-wrap")
        assert await wrap.evaluate("e => e.scrollWidth <= e.clientWidth")
    log.assert_clean()
