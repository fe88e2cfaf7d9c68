"""The library's bulk actions in Chromium: an admin unpublishes, then deletes, several videos
at once, and visitors see the result.

Admins with many videos had to unpublish or delete them one row (and one confirmation) at a
time. The page selects rows, or all of its rows, and runs the verb over the selection in turn.
"""

from __future__ import annotations

import httpx
import pytest

from e2e.spa_rig import BrowserLog, DevServer, admin_uploaded, chromium, upload, wait_until_ready
from system.system_video import h264_aac_mp4

TITLES = ("Bulk one", "Bulk two")


def listed_to_visitors(server: DevServer) -> set[str]:
    """The titles the public catalogue lists."""
    response = httpx.get(f"{server.url}/api/v1/catalogue", timeout=10.0)
    assert response.status_code == 200, response.text
    return {item["title"] for item in response.json()["items"]}


@pytest.mark.slow
@pytest.mark.timeout(150)
async def test_an_admin_unpublishes_then_deletes_the_selected_videos(dev_server: DevServer) -> None:
    log = BrowserLog()
    async with chromium() as browser:
        clip = h264_aac_mp4(seconds=1.0, width=160, height=120)
        page, first = await admin_uploaded(browser, log, dev_server, TITLES[0], clip, "one.mp4")
        second = await upload(page, dev_server.url, TITLES[1], clip, name="two.mp4")
        for item_id in (first, second):
            wait_until_ready(dev_server, item_id)
        assert listed_to_visitors(dev_server) == set(TITLES)

        await page.goto(f"{dev_server.url}/admin/library")
        await page.get_by_role("checkbox", name=f"Select {TITLES[0]}").check()
        await page.get_by_role("checkbox", name="Select all on this page").check()
        bar = page.get_by_role("group", name="Selected videos")
        await bar.get_by_text("2 selected").wait_for()
        await bar.get_by_role("button", name="Unpublish selected").click()
        await page.get_by_test_id("done-notice").filter(has_text="Unpublished 2 videos.").wait_for()
        for title in TITLES:
            await page.get_by_role("button", name=f"Publish {title}", exact=True).wait_for()
        assert listed_to_visitors(dev_server) == set()

        await page.get_by_role("checkbox", name="Select all on this page").check()
        await bar.get_by_role("button", name="Delete selected…").click()
        dialog = page.get_by_role("alertdialog", name="Delete 2 videos?")
        await dialog.get_by_role("button", name="Delete").click()
        await page.get_by_test_id("done-notice").filter(has_text="Deleted 2 videos.").wait_for()
        await page.get_by_test_id("empty-state").wait_for()
    log.assert_clean()
