"""Captions from the admin's edit form to the viewer's screen (issue 16.2), in Chromium.

A real ``streamstack dev``. The admin uploads a 6-second H.264 clip and waits for its HLS
package; on the library's edit form of the item they add a SubRip file as English captions
(the server converts it to WebVTT), then a WebVTT file as French ones. A viewer, registered through the API and signed in in a
browser context of their own (a phone's width, the dark theme), finds the item on Browse
(its card's still offers the poster in ``srcset``) and opens it; the watch page's poster is
the large still, and:

* the video has exactly our subtitle tracks: the master playlist lists the track in a
  SUBTITLES group, but hls.js makes no tracks of its own and loads no subtitle playlist;
* choosing "English" in the Captions menu shows the cue: the track's ``activeCues`` hold its
  text while the video plays past its start, and the WebVTT came from under the stream token
  as ``text/vtt``;
* no caption file loads while captions are off;
* ``c`` turns captions off and on again; after a reload the choice is remembered, and
  English alone shows (Chromium's own track selection turned French on beside it).

A second journey uploads a Matroska file with a French SubRip stream: the transcode
extracts it as the item's ``embedded`` track, the edit form lists it as "from the video",
and the player shows its cue.

A third journey adds a SubRip file saved in Windows-1252: the form asks its encoding and
Chromium previews its words in the one chosen.

No console error, no uncaught error and no Content-Security-Policy violation on any page.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page

from e2e.spa_rig import (
    PLAYER,
    BrowserLog,
    DevServer,
    admin_on,
    chromium,
    new_page,
    register_viewer,
    sign_in,
    upload,
    wait_until_ready,
)
from system.system_video import h264_aac_mp4

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS / "ingest") not in sys.path:
    sys.path.insert(0, str(TESTS / "ingest"))
import transcode_media  # noqa: E402

CUE = "Hello from the captions"
FRENCH_CUE = "Bonjour des sous-titres"
#: Two cues, CRLF line ends and a BOM, as subtitle editors write them.
SUBRIP = (
    "\ufeff1\r\n00:00:00,200 --> 00:00:04,500\r\nHello from the captions\r\n\r\n"
    "2\r\n00:00:04,600 --> 00:00:05,800\r\n<i>The end</i>\r\n"
).encode()


async def subtitle_state(page: Page) -> dict[str, Any]:
    """The video's subtitle tracks: mode, language and the text of the cues showing now."""
    state: dict[str, Any] = await page.evaluate(
        f"""() => {{ const v = {PLAYER};
          const tracks = [...v.textTracks].filter(t => t.kind === 'subtitles' || t.kind === 'captions');
          return {{tracks: tracks.map(t => ({{language: t.language, label: t.label, mode: t.mode,
                     active: t.activeCues ? [...t.activeCues].map(c => c.text) : []}})),
                   elements: v.querySelectorAll('track').length, time: v.currentTime,
                   delivery: document.querySelector('.player-frame').dataset.delivery}}; }}"""
    )
    return state


async def master_playlist(log: BrowserLog) -> str:
    """The HLS master playlist the player loaded."""
    for response in log.responses:
        if response.url.endswith("/hls/master.m3u8") and response.status == 200:
            return await response.text()
    raise AssertionError("the player loaded no master playlist")


async def open_from_browse(page: Page, base: str, title: str) -> None:
    """Find ``title``'s card on Browse (its still offers the poster through ``srcset``), open
    it, and check the watch page's poster is the large still."""
    await page.goto(f"{base}/")
    card = page.get_by_test_id("media-card").filter(has_text=title)
    still = card.get_by_test_id("still")
    srcset = await still.get_attribute("srcset") or ""
    assert srcset.endswith("-poster.jpg 1280w") and ".jpg 640w, " in srcset, srcset
    await page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=await still.element_handle()
    )
    async with page.expect_response(lambda r: r.url.endswith("-poster.jpg")) as poster:
        await card.get_by_role("link", name=title).click()
        await page.get_by_role("heading", name=title).wait_for()
    answer = await poster.value
    assert answer.status == 200 and await answer.header_value("content-type") == "image/jpeg"
    assert (await page.get_by_test_id("player").get_attribute("poster") or "").endswith(
        "-poster.jpg"
    )


async def add_captions(page: Page, base: str, title: str) -> None:
    """On the library's edit form of ``title``: add SUBRIP as English captions (its tag
    typed in capitals, kept as ``en``), then a WebVTT file as French ones."""
    await page.goto(f"{base}/admin/library")
    await page.get_by_role("button", name=f"Edit {title}").click()
    captions = page.get_by_test_id("library-captions")
    await captions.get_by_text("No captions yet.").wait_for()
    french = f"WEBVTT\n\n00:00:00.200 --> 00:00:04.500\n{FRENCH_CUE}\n".encode()
    for number, (language, label, name, data) in enumerate(
        [("EN", "English", "clip.en.srt", SUBRIP), ("fr", "French", "clip.fr.vtt", french)], 1
    ):
        await captions.get_by_label("Language").fill(language)
        await captions.get_by_label("Label").fill(label)
        await captions.get_by_label("Caption file").set_input_files(
            {"name": name, "mimeType": "application/octet-stream", "buffer": data}
        )
        await captions.get_by_role("button", name="Add captions").click()
        row = captions.get_by_test_id("caption-track").nth(number - 1)
        await row.wait_for()
        text = await row.inner_text()
        assert label in text and f"{language.lower()} · uploaded" in text, text


async def cue_shows(page: Page, cue: str = CUE) -> None:
    """Play muted from the start until the track showing has ``cue`` among its active cues."""
    await page.evaluate(
        f"async () => {{ const v = {PLAYER}; v.muted = true; v.currentTime = 0; await v.play(); }}"
    )
    await page.wait_for_function(
        f"""cue => [...{PLAYER}.textTracks].some(t => t.mode === 'showing' && t.activeCues
              && [...t.activeCues].some(c => c.text === cue))""",
        arg=cue,
    )


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_admin_adds_subrip_and_viewer_sees_the_cue(dev_server: DevServer) -> None:
    """Upload, add English captions on the edit form; a viewer turns them on and sees the cue."""
    base = dev_server.url
    title = "Six seconds with captions"
    viewer = ("viewer-captions@example.com", "glowing-orchard-lantern-93")
    await asyncio.to_thread(register_viewer, dev_server, *viewer)
    log = BrowserLog()

    async with chromium() as browser:
        admin, page = await admin_on(browser, log, dev_server, "/admin/upload")
        clip = h264_aac_mp4(seconds=6.0, width=320, height=240)
        item_id = await upload(page, base, title, clip, name="captioned.mp4")
        item = await asyncio.to_thread(wait_until_ready, dev_server, item_id)
        assert item["has_hls"], item
        await add_captions(page, base, title)
        await admin.close()

        # The viewer watches on a phone, in the dark theme (signed in at full width,
        # where the header shows "Sign out" rather than folding it behind "Menu").
        watcher, page = await new_page(browser, log, color_scheme="dark")
        await sign_in(page, base, *viewer)
        await page.set_viewport_size({"width": 390, "height": 844})
        await open_from_browse(page, base, title)
        assert page.url == f"{base}/watch/{item_id}", page.url
        await page.get_by_role("button", name="Settings").click()
        menu = page.get_by_label("Captions", exact=True)
        await menu.wait_for()
        await page.wait_for_function(
            f"() => document.querySelector('.player-frame')?.dataset.delivery === 'hls'"
            f" && {PLAYER}.readyState >= 1"
        )
        assert await menu.locator("option").all_text_contents() == ["Off", "English", "French"]
        state = await subtitle_state(page)
        # One set of tracks: ours, not a second one hls.js made from the master playlist.
        assert state["elements"] == 2, state
        assert [(t["language"], t["label"], t["mode"]) for t in state["tracks"]] == [
            ("en", "English", "disabled"),
            ("fr", "French", "disabled"),
        ], state
        master = await master_playlist(log)
        # With captions off, no caption file is loaded.
        assert not [r.url for r in log.responses if "/captions/" in r.url and ".vtt" in r.url]

        async with page.expect_response(lambda r: r.url.endswith("/captions/en.vtt")) as vtt:
            await menu.select_option(label="English")
        answer = await vtt.value
        assert answer.status == 200
        assert (await answer.header_value("content-type") or "").startswith("text/vtt")
        assert "/api/v1/stream/" in answer.url
        body = await answer.text()
        assert body.startswith("WEBVTT") and CUE in body, body
        await cue_shows(page)
        state = await subtitle_state(page)
        assert state["tracks"][0]["mode"] == "showing", state
        assert CUE in state["tracks"][0]["active"], state

        # c (away from the menu, which takes letters itself): off, then on again.
        await page.get_by_role("heading", name=title).click()
        await page.keyboard.press("c")
        await page.wait_for_function(f"() => {PLAYER}.textTracks[0].mode === 'disabled'")
        assert await menu.input_value() == ""
        await page.keyboard.press("c")
        await page.wait_for_function(f"() => {PLAYER}.textTracks[0].mode === 'showing'")
        assert await menu.input_value() == "en"

        # The choice sticks: after a reload the captions are on at once.
        await page.reload()
        await page.get_by_role("button", name="Settings").click()
        await page.get_by_label("Captions", exact=True).wait_for()
        await page.wait_for_function(f"() => {PLAYER}.readyState >= 1")
        assert await page.get_by_label("Captions", exact=True).input_value() == "en"
        await cue_shows(page)
        await page.evaluate(f"() => {PLAYER}.pause()")
        # English alone: Chromium's own track selection, which follows the tracks' loads,
        # turned French on beside it when the page had never changed French's mode.
        await page.wait_for_timeout(1000)
        state = await subtitle_state(page)
        assert [(t["language"], t["mode"]) for t in state["tracks"]] == [
            ("en", "showing"),
            ("fr", "disabled"),
        ], state
        await watcher.close()

    # The master playlist lists the track, yet hls.js never asked for its subtitle playlist.
    assert "TYPE=SUBTITLES" in master, master
    assert not [r.url for r in log.responses if r.url.endswith("/captions/en.m3u8")]
    log.assert_clean()


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_embedded_subtitles_become_a_caption_track(
    dev_server: DevServer, tmp_path: Path
) -> None:
    """A Matroska upload with a French SubRip stream: the track is listed as from the video
    on the edit form, and the player shows its cue."""
    base = dev_server.url
    title = "Subtitled in the file"
    cue = "Bonjour du film"
    track = transcode_media.Subtitles(
        "subrip", cues=[(0.2, 1.8, cue)], language="fre", title="Français"
    )
    clip = transcode_media.subtitled(
        tmp_path / "subtitled.mkv", container="matroska", tracks=[track]
    ).read_bytes()
    log = BrowserLog()

    async with chromium() as browser:
        admin, page = await admin_on(browser, log, dev_server, "/admin/upload")
        item_id = await upload(page, base, title, clip, name="subtitled.mkv")
        item = await asyncio.to_thread(wait_until_ready, dev_server, item_id)
        assert item["captions"] == [
            {"language": "fr", "label": "Français", "source": "embedded"}
        ], item

        await page.goto(f"{base}/admin/library")
        await page.get_by_role("button", name=f"Edit {title}").click()
        row = page.get_by_test_id("library-captions").get_by_test_id("caption-track")
        text = await row.inner_text()
        assert "Français" in text and "fr · from the video" in text, text

        await page.goto(f"{base}/watch/{item_id}")
        await page.get_by_role("button", name="Settings").click()
        menu = page.get_by_label("Captions", exact=True)
        await menu.wait_for()
        await page.wait_for_function(f"() => {PLAYER}.readyState >= 1")
        assert await menu.locator("option").all_text_contents() == ["Off", "Français"]
        await menu.select_option(label="Français")
        await cue_shows(page, cue)
        await page.evaluate(f"() => {PLAYER}.pause()")
        await admin.close()

    log.assert_clean()


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_a_file_saved_in_windows_1252_is_previewed_and_added(dev_server: DevServer) -> None:
    """A SubRip file saved in Windows-1252 (€ and a curly apostrophe are bytes Latin-1 gets
    wrong): the form asks its encoding, Chromium's own TextDecoder shows its words in the
    one chosen, and the track is added read in it."""
    base = dev_server.url
    title = "Captions in a code page"
    words = "Ça coûte 5 € l\u2019entrée"
    data = f"1\r\n00:00:00,200 --> 00:00:04,500\r\n{words}\r\n".encode("cp1252")
    log = BrowserLog()

    async with chromium() as browser:
        admin, page = await admin_on(browser, log, dev_server, "/admin/upload")
        clip = h264_aac_mp4(seconds=2.0, width=320, height=240)
        item_id = await upload(page, base, title, clip, name="codepage.mp4")
        await asyncio.to_thread(wait_until_ready, dev_server, item_id)
        await page.goto(f"{base}/admin/library")
        await page.get_by_role("button", name=f"Edit {title}").click()
        captions = page.get_by_test_id("library-captions")
        await captions.get_by_label("Language").fill("fr")
        await captions.get_by_label("Caption file").set_input_files(
            {"name": "fr.srt", "mimeType": "application/x-subrip", "buffer": data}
        )
        encoding = captions.get_by_label("The file is not UTF-8. It was saved in:")
        await encoding.select_option(label="Western European (Windows-1252)")
        preview = captions.get_by_test_id("caption-preview").locator("blockquote")
        assert await preview.inner_text() == words
        await captions.get_by_role("button", name="Add captions").click()
        await captions.get_by_test_id("caption-track").wait_for()
        assert "fr · uploaded" in await captions.get_by_test_id("caption-track").inner_text()
        await admin.close()

    log.assert_clean()
