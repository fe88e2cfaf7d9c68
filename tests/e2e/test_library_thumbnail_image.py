"""An admin makes an item's thumbnail of an image of their own, in Chromium.

A real ``streamstack dev``; the admin uploads a clip, opens its row in the library (Edit),
picks a PNG made here (a flat yellow: the clip's frames are of other colours), sees its
preview, saves it, and the catalogue's page then shows the new thumbnail: its URL changed
with it, and what it serves is the image, made a JPEG, not the clip's frame.
"""

from __future__ import annotations

import fractions

import av
import httpx
import pytest

from e2e.spa_rig import BrowserLog, DevServer, admin_on, chromium, mean_blue_difference, upload
from system.system_video import h264_aac_mp4

#: The image's colour (red, green, blue): its blue difference is far below that of the
#: clip's frame at 1 s.
YELLOW = (230, 200, 20)


def yellow_png(width: int = 320, height: int = 240) -> bytes:
    """A PNG of one flat colour, encoded by PyAV (the packet of its PNG encoder is the file)."""
    frame = av.VideoFrame(width, height, "rgb24")
    plane = frame.planes[0]
    row = bytes(YELLOW) * width + bytes(plane.line_size - 3 * width)
    plane.update(row * height)
    encoder = av.CodecContext.create("png", "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "rgb24"
    encoder.time_base = fractions.Fraction(1, 25)
    return b"".join(bytes(packet) for packet in [*encoder.encode(frame), *encoder.encode(None)])


def full_range_cb(colour: tuple[int, int, int]) -> float:
    """The blue difference (Cb) a JPEG stores for an RGB colour (BT.601, full range)."""
    red, green, blue = colour
    return 128 - 0.168736 * red - 0.331264 * green + 0.5 * blue


#: Whether the page shows the item's thumbnail of a stills version, loaded (the item's id).
LOADED_VERSION = """id => [...document.images].some(
    image => image.currentSrc.includes(`/thumbnails/${id}.jpg?v=`) && image.naturalWidth > 0)"""


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_an_admin_makes_the_thumbnail_of_an_image(dev_server: DevServer) -> None:
    base = dev_server.url
    log = BrowserLog()
    image = yellow_png()
    async with chromium() as browser:
        context, page = await admin_on(browser, log, dev_server, "/")
        clip = h264_aac_mp4(seconds=2.0, width=160, height=120)
        item_id = await upload(page, base, "A cover of my own", clip, name="cover.mp4")
        thumbnail_url = f"{base}/api/v1/stream/thumbnails/{item_id}.jpg"
        uploaded = httpx.get(thumbnail_url).content

        await page.goto(f"{base}/admin/library")
        await page.get_by_role("button", name="Edit A cover of my own").click()
        section = page.get_by_test_id("library-thumbnail")
        await section.get_by_label("Upload image").set_input_files(
            {"name": "cover.png", "mimeType": "image/png", "buffer": image}
        )
        preview = section.get_by_role("img", name="Preview of the new thumbnail")
        await preview.wait_for()
        assert (await preview.get_attribute("src") or "").startswith("blob:")
        await section.get_by_role("button", name="Save thumbnail").click()
        await section.get_by_text("Thumbnail set to your image.").wait_for()

        # The catalogue's page asks for the new stills (their URL changed) and shows them.
        versioned = f"/api/v1/stream/thumbnails/{item_id}.jpg?v="
        async with page.expect_response(lambda r: versioned in r.url) as answer:
            await page.goto(f"{base}/")
        # What the page asked for, read again from the server: Chromium may no longer hold
        # the body it got (the grid's images re-rendered, or served from its cache), and
        # the page showing it loaded is checked next.
        shown = httpx.get((await answer.value).url).content
        await page.wait_for_function(LOADED_VERSION, arg=item_id)
        await context.close()

    chosen = httpx.get(thumbnail_url).content
    assert shown == chosen != uploaded
    assert mean_blue_difference(chosen) == pytest.approx(full_range_cb(YELLOW), abs=4)
    assert abs(mean_blue_difference(uploaded) - full_range_cb(YELLOW)) > 50
    assert log.page_errors == []
    assert log.console_errors == []
    assert log.csp_violations == []
