"""An admin replaces an item's video file from the library, in Chromium.

A real ``streamstack dev``; the admin uploads a 2 s clip and lets it be transcoded, opens
its row in the library (Edit), picks a 3 s clip under **Replace video file** and sends it:
the section shows the upload's progress, then that the file is replaced and queued, and
the item (the same id) is transcoded from the new file, whose length it takes.
"""

from __future__ import annotations

import asyncio

import pytest

from e2e.spa_rig import BrowserLog, DevServer, admin_on, chromium, upload, wait_until_ready
from system.system_video import h264_aac_mp4


@pytest.mark.slow
@pytest.mark.timeout(400)
async def test_an_admin_replaces_a_videos_file(dev_server: DevServer) -> None:
    base = dev_server.url
    log = BrowserLog()
    async with chromium() as browser:
        context, page = await admin_on(browser, log, dev_server, "/")
        first = h264_aac_mp4(seconds=2.0, width=160, height=120)
        item_id = await upload(page, base, "A wrong cut", first, name="wrong.mp4")
        before = await asyncio.to_thread(wait_until_ready, dev_server, item_id)

        await page.goto(f"{base}/admin/library")
        await page.get_by_role("button", name="Edit A wrong cut").click()
        section = page.get_by_test_id("library-replace")
        recut = h264_aac_mp4(seconds=3.0, width=160, height=120)
        await section.get_by_label("New video file").set_input_files(
            {"name": "recut.mp4", "mimeType": "video/mp4", "buffer": recut}
        )
        await section.get_by_role("button", name="Replace the file").click()
        done = section.get_by_test_id("library-replace-done")
        await done.wait_for(timeout=60_000)
        assert (await done.inner_text()).startswith("File replaced")
        assert await section.get_by_role("progressbar").get_attribute("aria-valuenow") == "100"
        await context.close()

    after = await asyncio.to_thread(wait_until_ready, dev_server, item_id)
    assert after["id"] == before["id"] and after["title"] == "A wrong cut"
    assert before["duration_seconds"] == pytest.approx(2.0, abs=0.2)
    assert after["duration_seconds"] == pytest.approx(3.0, abs=0.2)
    assert log.page_errors == []
    assert log.console_errors == []
    assert log.csp_violations == []
