"""Liking a video, in Chromium, against a real ``streamstack dev``.

The admin uploads a clip. A viewer opens it: Like is not pressed, its count heard as
"No likes"; pressed, it says so at once and the count is heard as "1 like". A reload shows it stored
(pressed, "1 like"). From Playlists, Liked videos lists it; "Remove from Liked videos" takes
it out, and the watch page, reloaded, has Like unpressed again. The console stays clean.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Locator, Page, expect

from e2e.spa_rig import (
    BrowserLog,
    DevServer,
    admin_on,
    chromium,
    new_page,
    register_viewer,
    sign_in,
    upload,
    watch_page_ready,
)
from system.system_video import h264_aac_mp4

VIEWER_EMAIL = "liker@example.com"
VIEWER_PASSWORD = "a liker's long passphrase"
TITLE = "Three seconds worth liking"


def like_button(page: Page) -> Locator:
    """The watch page's Like toggle."""
    return page.get_by_role("button", name="Like", exact=True)


async def like_state(page: Page, pressed: str, count: str) -> None:
    """Like is ``pressed`` ("true"/"false") and its count is heard as ``count``."""
    button = like_button(page)
    await expect(button).to_have_attribute("aria-pressed", pressed)
    await expect(button).to_have_accessible_description(count)


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_a_viewer_likes_a_video_and_finds_it_in_liked_videos(dev_server: DevServer) -> None:
    log = BrowserLog()
    base = dev_server.url
    register_viewer(dev_server, VIEWER_EMAIL, VIEWER_PASSWORD)
    async with chromium() as browser:
        admin_context, admin = await admin_on(browser, log, dev_server, "/")
        clip = h264_aac_mp4(seconds=3.0, width=160, height=120)
        item_id = await upload(admin, base, TITLE, clip, "liked.mp4")

        context, viewer = await new_page(browser, log)
        await sign_in(viewer, base, VIEWER_EMAIL, VIEWER_PASSWORD)
        await watch_page_ready(viewer, base, item_id)
        await like_state(viewer, "false", "No likes")
        await like_button(viewer).click()
        await like_state(viewer, "true", "1 like")

        # Stored: still liked after a reload.
        await watch_page_ready(viewer, base, item_id)
        await like_state(viewer, "true", "1 like")

        # Playlists leads to Liked videos, which lists it; removing it there unlikes it.
        await viewer.goto(f"{base}/playlists")
        await viewer.get_by_role("link", name="Liked videos").click()
        await viewer.get_by_role("heading", name="Liked videos", level=1).wait_for()
        entries = viewer.get_by_test_id("liked-entry")
        await entries.get_by_role("link", name=TITLE).first.wait_for()
        assert await entries.count() == 1
        await viewer.get_by_role("button", name=f"Remove from Liked videos: {TITLE}").click()
        await viewer.get_by_text("You have not liked any videos yet.").wait_for()

        await watch_page_ready(viewer, base, item_id)
        await like_state(viewer, "false", "No likes")
        for each in (context, admin_context):
            await each.close()

    assert log.page_errors == []
    assert log.console_errors == []
    assert log.csp_violations == []
