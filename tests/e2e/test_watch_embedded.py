"""A share link embedded in another site's page, in Chromium, against a real ``streamstack dev``.

The admin uploads a clip, makes a share link for it in the Library and takes its embed code
from the share dialog (Embed). A page of another origin (``localhost`` on a port of its own,
where the app is ``127.0.0.1``: another site, so no cookie of ours goes with the frame) holds
that code, and beside it frames of the browse page and of the video's watch page. Someone
without an account opens that page: the embedded player is titled, links to the link's page
and plays (its clock runs), and may go full screen and picture-in-picture (the page's
``allow`` and our own Permissions-Policy together); the other two frames are refused by
``frame-ancestors 'none'`` and show nothing of ours.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Frame, Page

from e2e.spa_rig import BrowserLog, DevServer, chromium, new_page, play_muted
from e2e.spa_rig import refused as refused_answer
from e2e.test_accessibility import VIOLATIONS, axe_source
from e2e.test_watch_shared_link import link_button, shared_clip, stop_sharing
from harness.servers import free_port

TITLE = 'Club night: "Q&A" <live>'


@contextmanager
def other_site(body: str) -> Iterator[str]:
    """An HTTP server of another origin answering every GET with the page ``body``; its URL."""
    page = f"<!doctype html><html><head><title>The club</title></head><body>{body}</body></html>"

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


async def embed_code_from_library(admin: Page, url: str) -> str:
    """The share dialog's embed code of the link ``url`` (Embed), as it is copied; axe finds
    nothing in the dialog with it open."""
    await admin.get_by_role("button", name=link_button("Embed", url), exact=True).click()
    field = admin.get_by_role("textbox", name="Embed code")
    code = await field.input_value()
    await admin.evaluate(axe_source())
    assert await admin.evaluate(VIOLATIONS) == []
    await admin.get_by_role("button", name="Copy embed code").click()
    await admin.get_by_text("Embed code copied.").wait_for()
    assert await admin.evaluate("() => navigator.clipboard.readText()") == code
    return code


def frame_at(page: Page, url: str) -> Frame:
    """The one frame of ``page`` showing ``url``."""
    frames = [frame for frame in page.frames if frame.url == url]
    assert len(frames) == 1, [frame.url for frame in page.frames]
    return frames[0]


async def plays_in_the_frame(guest: Page, embed_url: str, url: str, loads: list[str]) -> None:
    """The embedded player: titled, "Watch on <host>" to the link's page in a new tab, axe
    finding nothing; it loads its poster and playlists, no segment, before it is played (``loads``:
    the page's requests so far), plays, and may go full screen and picture-in-picture."""
    frame = guest.frame_locator(f'iframe[src="{embed_url}"]')
    await frame.get_by_role("heading", name=TITLE).wait_for()
    watch_on = frame.get_by_role("link", name=f"Watch on {urlsplit(url).netloc}")
    assert await watch_on.get_attribute("href") == url
    assert await watch_on.get_attribute("target") == "_blank"
    embedded = frame_at(guest, embed_url)
    assert await embedded.evaluate("() => document.title") == TITLE
    await embedded.evaluate(axe_source())
    assert await embedded.evaluate(VIOLATIONS) == []
    loads.append("play")
    await play_muted(embedded, loaded=False)
    streamed = [load for load in loads if load == "play" or "/api/v1/stream/" in load]
    pressed = streamed.index("play")
    assert not any(load.endswith((".m4s", ".mp4")) for load in streamed[:pressed]), streamed
    assert any(load.endswith(".m4s") for load in streamed[pressed:]), streamed[pressed:]
    assert await embedded.evaluate(
        "() => document.fullscreenEnabled"
        " && document.featurePolicy.allowsFeature('picture-in-picture')"
    )
    await frame.get_by_role("button", name="Full screen").click()
    await embedded.wait_for_function("() => document.fullscreenElement !== null")
    await guest.wait_for_function("() => document.fullscreenElement !== null")
    await frame.get_by_role("button", name="Exit full screen").click()
    await guest.wait_for_function("() => document.fullscreenElement === null")


async def frames_of_ours_refused(guest: Page, base: str, shown: tuple[str, ...]) -> None:
    """The two frames on the page besides ``shown`` (the page itself and the embedded player)
    are of pages of ours, and show nothing of them."""
    await guest.wait_for_function("n => window.frames.length === n", arg=len(shown) - 1 + 2)
    blocked = [frame for frame in guest.frames if frame.url not in shown]
    assert len(blocked) == 2, [frame.url for frame in guest.frames]
    for frame in blocked:
        assert not frame.url.startswith(base), frame.url


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_a_page_of_another_site_plays_an_embedded_share_link_and_nothing_else(
    dev_server: DevServer,
) -> None:
    log = BrowserLog()
    base = dev_server.url
    async with chromium() as browser:
        clip = await shared_clip(browser, log, dev_server, TITLE, "club.mp4")
        admin_context, admin, item_id = clip.admin_context, clip.admin, clip.item_id
        url, secret = clip.url, clip.secret
        code = await embed_code_from_library(admin, url)
        embed_url = f"{base}/embed/s/{secret}"
        assert code.startswith(f'<iframe src="{embed_url}" ')
        refused = (f"{base}/", f"{base}/watch/{item_id}")
        others = "".join(f'<iframe src="{src}" title="ours"></iframe>' for src in refused)

        with other_site(code + others) as site:
            guest_context, guest = await new_page(browser, log)
            loads: list[str] = []
            guest.on("request", lambda request: loads.append(request.url))
            played = f"/api/v1/catalogue/shared/{secret}/plays"
            async with guest.expect_response(lambda r: r.url.endswith(played)) as reported:
                await guest.goto(site)
                await plays_in_the_frame(guest, embed_url, url, loads)
            assert (await reported.value).status == 204  # the frame's first play, counted
            await frames_of_ours_refused(guest, base, (site, embed_url))
            # Stopped, the link's frame says so, on the other site's page (not ours).
            await stop_sharing(admin, url)
            # The panel read again as it stopped: the blog reader's load and play are there.
            counts = "Opened once (page loads, embeds included) · Played once"
            await admin.get_by_test_id("share-link").get_by_text(counts).wait_for()
            await guest.reload()
            frame = guest.frame_locator(f'iframe[src="{embed_url}"]')
            await frame.get_by_text("This video is not available right now.").wait_for()
            await guest_context.close()
        await admin_context.close()

    # The frames of ours refused (twice each), and nothing else: no other violation, no
    # error but the stopped link's 404.
    framing = [v for v in log.csp_violations if "frame-ancestors 'none'" in v]
    assert len(framing) == 4 and len(log.csp_violations) == 4, log.csp_violations
    errors = [e for e in log.console_errors if "frame-ancestors 'none'" not in e]
    shared = f"/api/v1/catalogue/shared/{secret}"
    assert [e for e in errors if not refused_answer(e, shared, 404)] == [], errors
    assert log.page_errors == []
