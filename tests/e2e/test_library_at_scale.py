"""The library at scale, laid out in Chromium: a page of 24 videos with the longest titles
and descriptions allowed (the unit tests' DOM lays nothing out).

Found on an admin walk of 323 videos: the bulk question naming ten long titles was 1256 px
tall in a 900 px window, its Delete and Cancel out of reach and the wheel doing nothing (the
backdrop is fixed); a row showed the whole of its description (up to 5000 characters), page 1
was 6151 px tall. The library's listing is answered by the test (``page.route``): uploading
and transcoding 24 videos would take minutes for what is only a matter of layout.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.async_api import Page, Route

from e2e.spa_rig import BrowserLog, DevServer, admin_on, chromium

WINDOW = {"width": 1280, "height": 900}
#: The limits of the API: a 200-character title, a 5000-character description.
LONG_TITLE = ("A very long title of a library video that goes on " * 5)[:200]
LONG_DESCRIPTION = ("A description that says a great deal, line after line. " * 100)[:5000]


def long_item(index: int) -> dict[str, Any]:
    """A published, playable video whose title and description are as long as allowed."""
    return {
        "id": f"scale-{index:02d}",
        "title": f"{index:02d} {LONG_TITLE}"[:200],
        "description": LONG_DESCRIPTION,
        "status": "published",
        "size_bytes": 1_000_000,
        "content_type": "video/mp4",
        "duration_seconds": 60,
        "video_codec": "h264",
        "audio_codec": "aac",
        "width": 1280,
        "height": 720,
        "fps": 30,
        "thumbnail_url": None,
        "poster_url": None,
        "tags": ["walk"],
        "created_at": "2026-02-01T10:00:00Z",
        "updated_at": "2026-02-01T10:00:00Z",
        "published_at": "2026-02-01T10:05:00Z",
        "processing_state": "ready",
        "has_hls": True,
        "playable": True,
        "view_count": 3,
    }


async def library_of_long_items(page: Page) -> None:
    """Answer the library's listing with one page of 24 long videos, and each one's own URL."""
    page_of_items = {
        "items": [long_item(i) for i in range(24)],
        "total": 24,
        "page": 1,
        "page_size": 24,
    }

    async def answer(route: Route) -> None:
        await route.fulfill(
            status=200, content_type="application/json", body=json.dumps(page_of_items)
        )

    async def answer_item(route: Route) -> None:
        index = int(route.request.url.rsplit("-", 1)[-1])
        body = json.dumps({**long_item(index), "captions": []})
        await route.fulfill(status=200, content_type="application/json", body=body)

    await page.route("**/api/v1/catalogue?*", answer)
    await page.route("**/api/v1/catalogue/scale-*", answer_item)


async def within_window(page: Page, selector: str) -> None:
    """The first element matching ``selector`` lies inside the window."""
    box = await page.locator(selector).first.bounding_box()
    assert box is not None, selector
    assert box["y"] >= 0 and box["y"] + box["height"] <= WINDOW["height"], (selector, box)


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_the_bulk_question_fits_the_window_and_its_answers_are_in_reach(
    dev_server: DevServer,
) -> None:
    log = BrowserLog()
    async with chromium() as browser:
        _, page = await admin_on(browser, log, dev_server, "/")
        await page.set_viewport_size(WINDOW)
        await library_of_long_items(page)
        await page.goto(f"{dev_server.url}/admin/library")
        await page.get_by_role("checkbox", name="Select all on this page").check()
        bar = page.get_by_role("group", name="Selected videos")
        await bar.get_by_role("button", name="Delete selected…").click()
        dialog = page.get_by_role("alertdialog", name="Delete 24 videos?")
        await dialog.wait_for()

        await within_window(page, ".modal")
        # Each title named takes one line, cut with an ellipsis.
        for height, line in await dialog.locator("li").evaluate_all(
            "els => els.map(e => [e.getBoundingClientRect().height, parseFloat(getComputedStyle(e).lineHeight)])"
        ):
            assert height <= line + 1, (height, line)
        for answer in ("Cancel", "Delete 24 videos"):
            await within_window(page, f'.modal button:text-is("{answer}")')
        await dialog.get_by_role("button", name="Cancel").click()
        await dialog.wait_for(state="detached")
    log.assert_clean()


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_the_bulk_question_scrolls_in_a_short_window_with_its_answers_in_view(
    dev_server: DevServer,
) -> None:
    """A phone on its side (390 px high): the question scrolls, Delete and Cancel stay in view."""
    log = BrowserLog()
    async with chromium() as browser:
        _, page = await admin_on(browser, log, dev_server, "/")
        await page.set_viewport_size({"width": 844, "height": 390})
        await library_of_long_items(page)
        await page.goto(f"{dev_server.url}/admin/library")
        await page.get_by_role("checkbox", name="Select all on this page").check()
        await page.get_by_role("button", name="Delete selected…").click()
        dialog = page.get_by_role("alertdialog", name="Delete 24 videos?")
        await dialog.wait_for()

        modal = page.locator(".modal")
        sizes = await modal.evaluate("e => [e.scrollHeight, e.clientHeight]")
        assert sizes[0] > sizes[1], sizes  # taller than the window: it scrolls
        delete = dialog.get_by_role("button", name="Delete")
        box = await delete.bounding_box()
        # In view before any scrolling: the answers stay put while the titles scroll.
        assert box is not None and box["y"] + box["height"] <= 390, box
        # Over the question's words: over the titles, the wheel scrolls their own box.
        await dialog.locator("p").first.hover()
        await page.mouse.wheel(0, 2000)
        await page.wait_for_function("() => document.querySelector('.modal').scrollTop > 0")
        box = await delete.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 390, box
        await dialog.get_by_role("button", name="Cancel").click()
        await dialog.wait_for(state="detached")
    log.assert_clean()


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_a_rows_description_takes_two_lines_the_edit_form_all_of_it(
    dev_server: DevServer,
) -> None:
    log = BrowserLog()
    async with chromium() as browser:
        _, page = await admin_on(browser, log, dev_server, "/")
        await page.set_viewport_size(WINDOW)
        await library_of_long_items(page)
        await page.goto(f"{dev_server.url}/admin/library")
        descriptions = page.locator(".library-description")
        await descriptions.first.wait_for()
        assert await descriptions.count() == 24
        for height, line in await descriptions.evaluate_all(
            "els => els.map(e => [e.getBoundingClientRect().height, "
            "parseFloat(getComputedStyle(e).lineHeight)])"
        ):
            assert height <= 2 * line + 1, (height, line)
        # Read in full by a screen reader, which ignores the clamp.
        assert await descriptions.first.text_content() == LONG_DESCRIPTION

        await page.get_by_role("button", name=f"Edit {long_item(0)['title']}", exact=True).click()
        field = page.get_by_label("Description")
        assert await field.input_value() == LONG_DESCRIPTION
    log.assert_clean()
