"""The upload page through a connection that goes silent mid-upload (half-open: no answer,
no reset, as when a NAT forgets it), in Debian's Chromium against a real ``streamstack dev``
behind a relay: the page gives the request up after 30 s without a sign of life, says so,
and the upload goes on to the end. It stood still without a word: the browser never fails
such a request by itself. Meanwhile its progress is what the server confirmed, not the bytes
Chromium handed to the stalled connection (which ran ahead, up to 100 %)."""

from __future__ import annotations

import os
import struct
from urllib.parse import urlsplit

from e2e.spa_rig import BrowserLog, DevServer, chromium, new_page, sign_in
from support.relay import CuttingProxy
from system.system_video import h264_aac_mp4

MIB = 1024 * 1024

#: Records each text the retry notice shows (it may show for a moment only: the first
#: retry starts at once), and the progress bar's highest value before it, from before the
#: page's own scripts run.
RECORD_RETRY_NOTICES = """
window.retryNotices = [];
window.progressBeforeRetry = 0;
new MutationObserver(() => {
  const bar = document.querySelector("[data-testid=upload-progress]");
  if (bar && window.retryNotices.length === 0) {
    window.progressBeforeRetry = Math.max(window.progressBeforeRetry, Number(bar.getAttribute("aria-valuenow")));
  }
  const notice = document.querySelector("[data-testid=upload-retrying]");
  if (notice && window.retryNotices.at(-1) !== notice.textContent) {
    window.retryNotices.push(notice.textContent);
  }
}).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
"""


def padded(clip: bytes, size: int) -> bytes:
    """``clip`` (an MP4) grown to ``size`` bytes with a trailing ``free`` box."""
    missing = size - len(clip)
    return clip + struct.pack(">I", missing) + b"free" + os.urandom(missing - 8)


async def test_an_upload_whose_connection_goes_silent_is_retried_and_finishes(
    dev_server: DevServer,
) -> None:
    clip = padded(h264_aac_mp4(seconds=2.0, width=160, height=120), 6 * MIB)
    log = BrowserLog()
    port = urlsplit(dev_server.url).port
    assert port is not None
    async with CuttingProxy(port) as relay, chromium() as browser:
        _, page = await new_page(browser, log)
        await page.add_init_script(RECORD_RETRY_NOTICES)
        await sign_in(page, relay.url, dev_server.admin_email, dev_server.admin_password)
        await page.goto(f"{relay.url}/admin/upload")
        await page.get_by_label("Video or sound file").set_input_files(
            {"name": "quiet.mp4", "mimeType": "video/mp4", "buffer": clip}
        )
        await page.get_by_label("Title").fill("Quiet")
        relay.stall_after(3 * MIB)  # half-way through the file, in its second PATCH
        await page.get_by_role("button", name="Upload", exact=True).click()

        await page.wait_for_function("() => window.retryNotices.length > 0", timeout=50_000)
        notices = await page.evaluate("() => window.retryNotices")
        # The server holds at most the first chunk of the 3 MiB that got through, of 6 MiB.
        assert await page.evaluate("() => window.progressBeforeRetry") < 50
        result = page.get_by_test_id("upload-result-link")
        await result.wait_for(timeout=60_000)
        assert (await result.get_attribute("href") or "").startswith("/watch/")
    assert relay.stalls == 1
    assert notices[0].startswith("No answer from the server for 30 s — retrying"), notices
