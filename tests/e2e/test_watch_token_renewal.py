"""Stream-token renewal without a reload (issue 14.9), in Chromium with hls.js.

``streamstack dev`` issues stream tokens that live 10 s (``STREAMSTACK_STREAM_TOKEN_TTL_SECONDS``),
so the player renews after 5 s (half the life; the SPA's floor is a 10 s lifetime). A 640x360 clip is packaged (240p + 360p); the viewer plays it
through hls.js, the page renews its token, and once the first token has EXPIRED the viewer
switches quality (hls.js drops its buffer and fetches the other rung's playlist and segments,
whose URLs it resolved against the first token) and hovers the seek bar (a storyboard sheet):
every one of those requests goes out on a live token and succeeds — no 404, no error — and the
video element never reloads (one ``loadstart`` and one MediaSource ``blob:`` for the whole visit).
Hovered again after a further renewal, the preview draws the sheet it has: it is not downloaded
again (its URL carries the token, so the browser's cache missed it after every renewal).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.spa_rig import (
    PLAYER,
    BrowserLog,
    DevServer,
    chromium,
    new_page,
    pick_quality,
    play_muted,
    running_dev_server,
    sign_in,
    upload,
    wait_until_ready,
)
from system.system_video import h264_aac_mp4

TOKEN_TTL_S = 10
#: Seconds past the first token's end before the checks: its grant was answered before we
#: read the clock, so by then it has surely expired.
EXPIRY_MARGIN_S = 1.0
TOKEN = re.compile(r"/api/v1/stream/([^/]+)/(?:hls|storyboard)/")
#: Counts the video's loads: a renewal must not start another.
LOAD_COUNTER = """
window.__loadstarts = 0;
document.addEventListener("loadstart", () => { window.__loadstarts += 1; }, true);
"""


@pytest.fixture
def short_token_server(tmp_path: Path) -> Iterator[DevServer]:
    """``streamstack dev`` whose stream tokens live :data:`TOKEN_TTL_S` seconds."""
    with running_dev_server(
        tmp_path, STREAMSTACK_STREAM_TOKEN_TTL_SECONDS=str(TOKEN_TTL_S)
    ) as server:
        yield server


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_segments_move_to_the_renewed_token(short_token_server: DevServer) -> None:
    """After the first token expired, quality switch and storyboard still load, no reload."""
    server = short_token_server
    base = server.url
    title = "Renewal clip"
    log = BrowserLog()
    clip = h264_aac_mp4(seconds=4.0, width=640, height=360)
    async with chromium() as browser:
        context, page = await new_page(browser, log)
        await context.add_init_script(LOAD_COUNTER)
        await sign_in(page, base, server.admin_email, server.admin_password)
        item_id = await upload(page, base, title, clip, name="renewal.mp4")
        item = await asyncio.to_thread(wait_until_ready, server, item_id)
        assert [r["height"] for r in item["renditions"]] == [240, 360], item

        grants = f"/api/v1/catalogue/{item_id}/stream-token"
        async with page.expect_response(lambda r: r.url.endswith(grants)) as first_grant:
            await page.goto(f"{base}/watch/{item_id}")
        first = (await (await first_grant.value).json())["stream_url"].rsplit("/", 1)[-1]
        first_expired_at = time.monotonic() + TOKEN_TTL_S + EXPIRY_MARGIN_S
        await page.wait_for_function(
            "() => document.querySelector('.player-frame')?.dataset.delivery === 'hls'"
        )
        # Only once hls.js has attached its MediaSource (metadata loaded): a play() before
        # that is aborted by the load the attachment starts.
        await play_muted(page)

        # The renewal (after half the token's life), then the first token's end.
        async with page.expect_response(
            lambda r: r.url.endswith(grants), timeout=TOKEN_TTL_S * 1000
        ) as renewed:
            pass
        second = (await (await renewed.value).json())["stream_url"].rsplit("/", 1)[-1]
        assert second != first
        # Let the first token expire: until its end, not a whole life after the renewal.
        await page.wait_for_timeout(max(0.0, first_expired_at - time.monotonic()) * 1000)

        before = len(log.responses)
        await page.get_by_role("button", name="Settings").click()
        await pick_quality(page, log, "240p")
        bar = page.get_by_role("slider", name="Seek")
        box = await bar.bounding_box()
        assert box is not None
        async with page.expect_response(lambda r: "/storyboard/sheet_" in r.url) as sheet:
            await page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
        assert (await sheet.value).status == 200
        frame = page.get_by_test_id("storyboard-frame")
        await page.wait_for_function(
            "() => document.querySelector('[data-testid=storyboard-frame]')"
            "?.style.backgroundImage.startsWith('url(\"blob:')"
        )

        # A renewal later the preview draws the sheet it loaded: no second download of it.
        await page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] - 200)
        await frame.wait_for(state="detached")
        async with page.expect_response(
            lambda r: r.url.endswith(grants), timeout=TOKEN_TTL_S * 1000
        ):
            pass
        await page.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] / 2)
        await frame.wait_for()
        sheets = [r.url for r in log.responses if "/storyboard/sheet_" in r.url]
        assert len(sheets) == 1, sheets

        later = [r for r in log.responses[before:] if TOKEN.search(r.url)]
        assert later, "no stream request after the first token expired"
        for response in later:
            token = TOKEN.search(response.url)
            assert token is not None and token.group(1) != first, response.url
            assert response.status in (200, 206), (response.url, response.status)
        assert all(r.status != 404 for r in log.responses), [
            r.url for r in log.responses if r.status == 404
        ]
        state = await page.evaluate(
            f"() => ({{loads: window.__loadstarts, src: {PLAYER}.currentSrc,"
            f" error: {PLAYER}.error && {PLAYER}.error.message}})"
        )
        assert state["loads"] == 1, state  # never reloaded
        assert state["src"].startswith("blob:") and state["error"] is None, state
        await context.close()

    assert log.page_errors == []
    assert log.console_errors == []
    assert log.csp_violations == []
