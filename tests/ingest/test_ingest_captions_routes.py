"""Caption tracks over HTTP: ``PUT``/``DELETE /api/v1/ingest/items/{id}/captions/{language}``.

All four modules in one app on both backend kinds: the track is stored as WebVTT we wrote,
recorded in the catalogue, listed on the item and in stream tokens, served with the token,
listed by the HLS master playlist, and removed with the item. Hostile or wrong input is a
4xx in the error shape and stores nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest
import structlog
from ingest_rig import Rig, eventually, under_prefix

from streamstack.catalogue import service as catalogue_service
from streamstack.contracts.catalogue import (
    CaptionChange,
    CatalogueClient,
    MediaItem,
    ProcessingUpdate,
    Rendition,
)
from streamstack.contracts.limits import CAPTION_MAX_BYTES, MAX_CAPTION_TRACKS
from streamstack.ingest.caption_tracks import CaptionTracks, EmbeddedTrack
from streamstack.ingest.captions import parse_caption_file
from streamstack.kernel.errors import NotFound
from streamstack.kernel.storage import ObjectStore, read_all
from streamstack.kernel.transport import SECRET_HEADER, InProcessTransport
from support.apps import INTERNAL_SECRET, bearer, mint_token

CATALOGUE = "/api/v1/catalogue"
VTT = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n\n00:00:03.000 --> 00:00:04.500\nWorld\n"
SRT = (
    b"1\n00:00:01,000 --> 00:00:02,000\n<i>Bonjour</i>\n\n2\n00:00:03,000 --> 00:00:04,000\nMonde\n"
)
MASTER = (
    "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=400000,AVERAGE-BANDWIDTH=300000,RESOLUTION=426x240,"
    'CODECS="avc1.42c015,mp4a.40.2",FRAME-RATE=25.000\n240p/index.m3u8\n'
)


def captions_url(item_id: str, language: str) -> str:
    return f"/api/v1/ingest/items/{item_id}/captions/{language}"


async def register(rig: Rig) -> str:
    """A published item in the catalogue (its original need not exist for captions)."""
    item_id = str(uuid.uuid4())
    body = {
        "id": item_id,
        "title": "Captioned",
        "s3_key": f"{item_id}.mp4",
        "size_bytes": 1000,
        "content_type": "video/mp4",
        "duration_seconds": 30.0,
    }
    r = await rig.client.post(f"{CATALOGUE}/", json=body, headers=rig.admin())
    assert r.status_code == 201, r.text
    return item_id


async def put(
    rig: Rig,
    item_id: str,
    language: str,
    data: bytes,
    *,
    content_type: str = "text/vtt",
    headers: dict[str, str] | None = None,
    **params: str,
) -> httpx.Response:
    return await rig.client.put(
        captions_url(item_id, language),
        content=data,
        params=params,
        headers={"Content-Type": content_type, **(rig.admin() if headers is None else headers)},
    )


def media(rig: Rig) -> ObjectStore:
    store: ObjectStore = rig.client.app.state.backends.objects(rig.settings.media_bucket)
    return store


async def read_text(rig: Rig, key: str) -> str:
    return (await read_all(await media(rig).read(key))).decode()


def caption_keys(rig: Rig, item_id: str) -> list[str]:
    return [key for key in under_prefix(rig, item_id) if key.startswith(f"{item_id}/captions/")]


async def item_captions(rig: Rig, item_id: str) -> list[dict[str, Any]]:
    r = await rig.client.get(f"{CATALOGUE}/{item_id}", headers=rig.admin())
    assert r.status_code == 200, r.text
    captions: list[dict[str, Any]] = r.json()["captions"]
    return captions


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"status", "code", "detail", "request_id"}
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body


# --- adding, replacing, removing ---------------------------------------------------------


async def test_a_track_is_added_replaced_and_removed(rig: Rig) -> None:
    item_id = await register(rig)
    added = await put(rig, item_id, "en", VTT, label="English")
    assert added.status_code == 200, added.text
    assert added.json() == {
        "media_id": item_id,
        "captions": [{"language": "en", "label": "English", "source": "upload"}],
        "cues_after_end": 0,
        "cues": 2,
        "duration_seconds": 30.0,
    }
    assert caption_keys(rig, item_id) == [
        f"{item_id}/captions/en.m3u8",
        f"{item_id}/captions/en.vtt",
    ]
    stored = await read_text(rig, f"{item_id}/captions/en.vtt")
    assert stored.startswith("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello")
    assert parse_caption_file(stored.encode()) == parse_caption_file(VTT)
    playlist = await read_text(rig, f"{item_id}/captions/en.m3u8")
    assert "#EXTINF:30.000,\nen.vtt\n#EXT-X-ENDLIST" in playlist

    # Replacing with SubRip: converted to WebVTT; the label stays unless a new one is given.
    replaced = await put(rig, item_id, "en", SRT, content_type="application/x-subrip")
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["captions"] == [
        {"language": "en", "label": "English", "source": "upload"}
    ]
    stored = await read_text(rig, f"{item_id}/captions/en.vtt")
    assert (
        stored
        == "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<i>Bonjour</i>\n\n00:00:03.000 --> 00:00:04.000\nMonde\n"
    )

    second = await put(rig, item_id, "pt-BR", SRT, content_type="text/plain")
    assert [t["language"] for t in second.json()["captions"]] == ["en", "pt-BR"]
    assert await item_captions(rig, item_id) == [
        {"language": "en", "label": "English", "source": "upload"},
        {"language": "pt-BR", "label": "Português (Brasil)", "source": "upload"},
    ]

    removed = await rig.client.delete(captions_url(item_id, "en"), headers=rig.admin())
    assert removed.status_code == 204, removed.text
    assert caption_keys(rig, item_id) == [
        f"{item_id}/captions/pt-BR.m3u8",
        f"{item_id}/captions/pt-BR.vtt",
    ]
    assert [t["language"] for t in await item_captions(rig, item_id)] == ["pt-BR"]
    again = await rig.client.delete(captions_url(item_id, "en"), headers=rig.admin())
    assert_error(again, 404, "caption_not_found")


async def test_cues_after_the_end_are_stored_and_counted(rig: Rig) -> None:
    """Walk 53 F4: the caption file of another cut is stored as asked, and the answer says
    how many of its cues start after the video (30 s) ends, so a client can say so."""
    item_id = await register(rig)
    late = (
        VTT
        + b"\n00:00:30.000 --> 00:00:31.000\nAt the end\n\n00:00:45.000 --> 00:00:47.000\nPast\n"
    )
    r = await put(rig, item_id, "en", late)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert (answer["cues_after_end"], answer["cues"], answer["duration_seconds"]) == (2, 4, 30.0)
    assert [track["language"] for track in await item_captions(rig, item_id)] == ["en"]
    fitting = await put(rig, item_id, "en", VTT)
    assert (fitting.json()["cues_after_end"], fitting.json()["cues"]) == (0, 2)


async def test_a_file_saved_in_a_code_page_is_stored_as_utf8_webvtt(rig: Rig) -> None:
    item_id = await register(rig)
    words = "Съешь же ещё этих булок"
    text = f"1\r\n00:00:01,000 --> 00:00:02,000\r\n{words}\r\n"
    refused = await put(rig, item_id, "ru", text.encode("cp1251"), content_type="text/plain")
    assert_error(refused, 422, "caption_encoding")
    assert "choose the encoding it was saved in" in refused.json()["detail"]
    assert caption_keys(rig, item_id) == []

    added = await put(
        rig,
        item_id,
        "ru",
        text.encode("cp1251"),
        content_type="text/plain",
        encoding="windows-1251",
    )
    assert added.status_code == 200, added.text
    stored = await media(rig).read(f"{item_id}/captions/ru.vtt")
    assert (await read_all(stored)).decode("utf-8") == (
        f"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n{words}\n"
    )


async def test_a_byte_not_in_the_named_encoding_and_unknown_encodings_store_nothing(
    rig: Rig,
) -> None:
    item_id = await register(rig)
    undefined = b"1\n00:00:01,000 --> 00:00:02,000\ncaf\x81\n"  # 0x81: none in Windows-1252
    refused = await put(rig, item_id, "fr", undefined, encoding="windows-1252")
    assert_error(refused, 422, "caption_encoding")
    assert refused.json()["detail"].startswith(
        "this file is not Western European (Windows-1252): byte 35"
    )
    for encoding in (
        "latin1",
        "WINDOWS-1252",
        "utf-16",
        "cp1252",
        "windows-1252\n",
        "x" * 5000,
        "",
    ):
        r = await put(rig, item_id, "fr", SRT, content_type="text/plain", encoding=encoding)
        assert_error(r, 400, "validation_error")
        assert "one of the caption encodings utf-8, windows-1252" in r.json()["detail"], r.text
    assert caption_keys(rig, item_id) == []
    assert await item_captions(rig, item_id) == []


async def test_a_language_written_any_way_is_one_track(rig: Rig) -> None:
    item_id = await register(rig)
    added = await put(rig, item_id, "EN", VTT)
    assert added.status_code == 200, added.text
    assert added.json()["captions"] == [{"language": "en", "label": "English", "source": "upload"}]
    for written in ("en", "En"):  # the same track, replaced: its label is kept
        again = await put(rig, item_id, written, SRT)
        assert [t["language"] for t in again.json()["captions"]] == ["en"], again.text
    for written in ("pt_br", "Pt-br", "PT-BR", "pt-BR"):
        assert (await put(rig, item_id, written, SRT)).status_code == 200
    assert (await put(rig, item_id, "ZH-hant_tw", VTT)).status_code == 200
    assert (await put(rig, item_id, "fre", VTT)).status_code == 200  # ISO 639-2: fr
    assert await item_captions(rig, item_id) == [
        {"language": "en", "label": "English", "source": "upload"},
        {"language": "fr", "label": "Français", "source": "upload"},
        {"language": "pt-BR", "label": "Português (Brasil)", "source": "upload"},
        {"language": "zh-Hant-TW", "label": "中文（繁體） (TW)", "source": "upload"},  # noqa: RUF001
    ]
    assert f"{item_id}/captions/zh-Hant-TW.vtt" in caption_keys(rig, item_id)
    removed = await rig.client.delete(captions_url(item_id, "PT_br"), headers=rig.admin())
    assert removed.status_code == 204, removed.text
    assert not [key for key in caption_keys(rig, item_id) if "/pt-" in key]


async def test_tracks_recorded_before_tags_were_canonical_keep_their_spelling(
    rig: Rig,
) -> None:
    """A track recorded as ``pt-br`` (once accepted as written) with its label the tag: it
    reads by its language's name, and a change in any case is a change of that track, whose
    files are named in its old spelling."""
    item_id = await register(rig)
    catalogue = CatalogueClient(InProcessTransport(rig.client.app.state.operations))
    change = CaptionChange(media_id=item_id, language="pt-br", label="pt-br")
    await catalogue.change_caption(change)
    await media(rig).write(f"{item_id}/captions/pt-br.vtt", bytes_of(VTT))
    legacy = {"language": "pt-br", "label": "Português (Brasil)", "source": "upload"}
    assert await item_captions(rig, item_id) == [legacy]

    assert (await put(rig, item_id, "pt-BR", SRT)).json()["captions"] == [legacy]
    assert "Monde" in await read_text(rig, f"{item_id}/captions/pt-br.vtt")
    assert not [key for key in caption_keys(rig, item_id) if "pt-BR" in key]
    removed = await rig.client.delete(captions_url(item_id, "PT-BR"), headers=rig.admin())
    assert removed.status_code == 204, removed.text
    assert caption_keys(rig, item_id) == []
    assert await item_captions(rig, item_id) == []


async def test_tracks_are_served_with_the_stream_token(rig: Rig) -> None:
    item_id = await register(rig)
    assert (await put(rig, item_id, "en", VTT, label="English")).status_code == 200
    viewer = bearer(mint_token(rig.settings, role="viewer"))
    r = await rig.client.post(f"{CATALOGUE}/{item_id}/stream-token", headers=viewer)
    assert r.status_code == 200, r.text
    grant = r.json()
    url = f"{grant['stream_url']}/captions/en.vtt"
    assert grant["captions"] == [{"language": "en", "label": "English", "url": url}]
    served = await rig.client.get(url)
    assert served.status_code == 200, served.text
    assert served.headers["content-type"].startswith("text/vtt")
    assert served.content.decode() == await read_text(rig, f"{item_id}/captions/en.vtt")
    playlist = await rig.client.get(f"{grant['stream_url']}/captions/en.m3u8")
    assert playlist.status_code == 200
    assert playlist.headers["content-type"].startswith("application/vnd.apple.mpegurl")


async def report_hls(rig: Rig, item_id: str) -> MediaItem:
    """The transcoding worker's report that the item's master playlist is written; the
    item as catalogue answered it."""
    update = ProcessingUpdate(
        media_id=item_id,
        state="ready",
        percent=100,
        renditions=[Rendition(height=240, bandwidth=400_000)],
        hls=True,
    )
    r = await rig.client.post(
        "/internal/v1/catalogue/processing",
        content=msgspec.json.encode(update),
        headers={SECRET_HEADER: INTERNAL_SECRET, "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    return msgspec.json.decode(r.content, type=MediaItem)


async def bytes_of(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_the_master_playlist_lists_the_tracks(rig: Rig) -> None:
    item_id = await register(rig)
    master_key = f"{item_id}/hls/master.m3u8"
    await media(rig).write(master_key, bytes_of(MASTER.encode()))
    await report_hls(rig, item_id)

    assert (await put(rig, item_id, "en", VTT, label='English "CC"')).status_code == 200
    assert (await put(rig, item_id, "de", VTT, label="Deutsch")).status_code == 200
    master = await read_text(rig, master_key)
    assert master.splitlines()[3:] == [
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Deutsch",LANGUAGE="de",'
        'DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="../captions/de.m3u8"',
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English \'CC\'",LANGUAGE="en",'
        'DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="../captions/en.m3u8"',
        MASTER.splitlines()[3] + ',SUBTITLES="subs"',
        "240p/index.m3u8",
    ]
    for language in ("de", "en"):
        r = await rig.client.delete(captions_url(item_id, language), headers=rig.admin())
        assert r.status_code == 204, r.text
    assert await read_text(rig, master_key) == MASTER


async def test_two_tracks_added_at_once_are_both_listed(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two uploads at once, one rewriting the master from the record it made before the
    other's: the master lists both tracks (it listed the slower one's alone)."""
    item_id = await register(rig)
    master_key = f"{item_id}/hls/master.m3u8"
    store = media(rig)
    await store.write(master_key, bytes_of(MASTER.encode()))
    await report_hls(rig, item_id)
    other_done = asyncio.Event()
    read = store.read
    held: list[str] = []

    async def slow_first_master_read(key: str, *args: Any, **kwargs: Any) -> Any:
        if key == master_key and not held:  # the first upload reads it after the other
            held.append(key)
            await other_done.wait()
        return await read(key, *args, **kwargs)

    monkeypatch.setattr(store, "read", slow_first_master_read)

    async def second() -> httpx.Response:
        while not held:
            await asyncio.sleep(0.01)
        try:
            return await put(rig, item_id, "fr", SRT, label="Français")
        finally:
            other_done.set()

    first, later = await asyncio.gather(put(rig, item_id, "en", VTT), second())
    assert (first.status_code, later.status_code) == (200, 200), (first.text, later.text)
    assert {track["language"] for track in await item_captions(rig, item_id)} == {"en", "fr"}
    master = await read_text(rig, master_key)
    assert "captions/en.m3u8" in master and "captions/fr.m3u8" in master, master


async def test_a_job_listing_tracks_from_an_older_record_keeps_the_newer_track(
    rig: Rig,
) -> None:
    """The transcoding job marks the item ready and gets its record back; an admin adds a
    track (the master lists it); then the job makes its master list the tracks of its own,
    older record: the admin's track stays listed (the job's rewrite dropped it)."""
    item_id = await register(rig)
    master_key = f"{item_id}/hls/master.m3u8"
    await media(rig).write(master_key, bytes_of(MASTER.encode()))
    marked_ready = await report_hls(rig, item_id)
    assert (await put(rig, item_id, "en", VTT)).status_code == 200
    assert "captions/en.m3u8" in await read_text(rig, master_key)

    await caption_tracks(rig).list_in_master(marked_ready)
    assert "captions/en.m3u8" in await read_text(rig, master_key)


async def test_a_job_listing_tracks_of_a_deleted_item_leaves_no_master(rig: Rig) -> None:
    """The item deleted and taken down after the job marked it ready, its master uploaded
    again after the take-down: listing the tracks is 404 and the master goes (the job then
    removes the rest of what it uploaded)."""
    item_id = await register(rig)
    master_key = f"{item_id}/hls/master.m3u8"
    marked_ready = await report_hls(rig, item_id)
    deleted = await rig.client.delete(f"{CATALOGUE}/{item_id}", headers=rig.admin())
    assert deleted.status_code == 204

    async def taken_down() -> bool:
        return under_prefix(rig, item_id) == []

    await eventually(taken_down, "the take-down")
    await media(rig).write(master_key, bytes_of(MASTER.encode()))
    with pytest.raises(NotFound):
        await caption_tracks(rig).list_in_master(marked_ready)
    assert under_prefix(rig, item_id) == []


# --- who may ---------------------------------------------------------------------------------


async def test_only_admins_may(rig: Rig) -> None:
    item_id = await register(rig)
    viewer = rig.viewer()
    assert_error(await put(rig, item_id, "en", VTT, headers=viewer), 403)
    assert_error(await put(rig, item_id, "en", VTT, headers={}), 401)
    r = await rig.client.delete(captions_url(item_id, "en"), headers=viewer)
    assert_error(r, 403)
    revoked = await rig.revoked_admin()
    assert_error(await put(rig, item_id, "en", VTT, headers=revoked), 401, "token_revoked")
    assert caption_keys(rig, item_id) == []
    assert await item_captions(rig, item_id) == []


# --- refusals: a clear 4xx, nothing stored ------------------------------------------------


async def test_hostile_and_wrong_files_store_nothing(rig: Rig) -> None:
    item_id = await register(rig)
    cases: list[tuple[bytes, str, int, str]] = [
        (b"\x00\x01\x02\x03" * 100, "application/octet-stream", 422, "caption_binary"),
        (
            "WEBVTT\n\n00:01.000 --> 00:02.000\ncaf\xe9\n".encode("latin-1"),
            "text/vtt",
            422,
            "caption_encoding",
        ),
        (
            b"\xff\xfe"
            + "WEBVTT\n\n00:01.000 --> 00:02.000\nhi\ud800\n".encode("utf-16-le", "surrogatepass"),
            "text/vtt",
            422,
            "caption_encoding",
        ),
        (
            b"1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\nthis is garbage\n",
            "application/x-subrip",
            422,
            "caption_syntax",
        ),
        (
            b"WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nbackwards\n",
            "text/vtt",
            422,
            "caption_timing",
        ),
        (b"[Script Info]\nScriptType: v4.00+\n", "application/octet-stream", 422, "caption_format"),
        (b"", "text/vtt", 422, "caption_empty"),
        (VTT, "image/png", 415, "unsupported_media_type"),
        (b"WEBVTT\n\n" + b"x" * CAPTION_MAX_BYTES, "text/vtt", 413, "caption_too_large"),
    ]
    for data, content_type, status, code in cases:
        assert_error(await put(rig, item_id, "en", data, content_type=content_type), status, code)
    assert caption_keys(rig, item_id) == []
    assert await item_captions(rig, item_id) == []


async def test_refusals_say_what_is_wrong_and_where(rig: Rig) -> None:
    item_id = await register(rig)
    ass = await put(rig, item_id, "en", b"\xef\xbb\xbf[Script Info]\r\nTitle: x\r\n")
    assert_error(ass, 422, "caption_format")
    assert ass.json()["detail"].startswith("this looks like an ASS/SSA")
    assert "WebVTT (.vtt) or SRT (.srt)" in ass.json()["detail"]
    backwards = (
        b"1\r\n00:00:01,000 --> 00:00:02,000\r\na\r\n\r\n2\r\n00:00:04,000 --> 00:00:03,000\r\n"
    )
    refused = await put(rig, item_id, "en", backwards, content_type="application/x-subrip")
    assert_error(refused, 422, "caption_timing")
    assert refused.json()["detail"] == "line 6: a cue must end after it starts"
    assert caption_keys(rig, item_id) == []


async def test_a_body_without_a_length_is_capped_as_it_arrives(rig: Rig) -> None:
    item_id = await register(rig)

    async def chunks() -> AsyncIterator[bytes]:
        yield b"WEBVTT\n\n"
        for _ in range(CAPTION_MAX_BYTES // 65536 + 1):
            yield b"x" * 65536

    r = await rig.client.put(
        captions_url(item_id, "en"),
        content=chunks(),
        headers={**rig.admin(), "Content-Type": "text/vtt"},
    )
    assert_error(r, 413, "caption_too_large")
    assert caption_keys(rig, item_id) == []


async def test_bad_languages_and_labels(rig: Rig) -> None:
    item_id = await register(rig)
    for language in (
        "e",
        "english",
        "english-language-tag-far-too-long-x",
        "en-",
        "en__US",
        "en-US-",
        "1en",
        "en-x",
        "..",
        "en%2F..%2Fx",
    ):
        r = await put(rig, item_id, language, VTT)
        assert r.status_code in (400, 404), (language, r.text)
        assert r.json()["status"] == r.status_code
        if r.status_code == 400:  # said in words, not as the expression
            assert "a language tag such as en, fr, pt-BR or zh-Hant" in r.json()["detail"]
    # A final newline: Python's "$" alone would let it through to the object key.
    for line_end in ("en%0A", "en%0D%0A"):
        assert_error(await put(rig, item_id, line_end, VTT), 400, "validation_error")
        deleted = await rig.client.delete(captions_url(item_id, line_end), headers=rig.admin())
        assert_error(deleted, 400, "validation_error")
    assert_error(await put(rig, item_id, "en", VTT, label=""), 400)
    assert_error(await put(rig, item_id, "en", VTT, label="a\nb"), 400)
    for separator in ("\u2028", "\u2029", "\x85", "\x9b"):  # Unicode line breaks, C1 controls
        assert_error(await put(rig, item_id, "en", VTT, label=f"a{separator}b"), 400)
    assert_error(await put(rig, item_id, "en", VTT, label="x" * 65), 400)
    assert caption_keys(rig, item_id) == []


async def test_a_missing_item_is_404_and_nothing_is_left(rig: Rig) -> None:
    before = await rig.snapshot()
    missing = str(uuid.uuid4())
    assert_error(await put(rig, missing, "en", VTT), 404, "not_found")
    assert_error(await rig.client.delete(captions_url(missing, "en"), headers=rig.admin()), 404)
    await rig.assert_nothing_kept(before)


async def test_the_number_of_tracks_is_capped(rig: Rig) -> None:
    item_id = await register(rig)
    languages = [f"x{chr(ord('a') + number)}" for number in range(MAX_CAPTION_TRACKS)]
    for language in languages:
        assert (await put(rig, item_id, language, VTT)).status_code == 200
    before = caption_keys(rig, item_id)
    assert_error(await put(rig, item_id, "en", VTT), 409, "too_many_captions")
    assert caption_keys(rig, item_id) == before
    assert len(await item_captions(rig, item_id)) == MAX_CAPTION_TRACKS


async def test_deleting_the_item_deletes_its_tracks(rig: Rig) -> None:
    item_id = await register(rig)
    for language in ("en", "fr"):
        assert (await put(rig, item_id, language, VTT)).status_code == 200
    assert len(caption_keys(rig, item_id)) == 4
    r = await rig.client.delete(f"{CATALOGUE}/{item_id}", headers=rig.admin())
    assert r.status_code == 204

    async def gone() -> bool:
        return caption_keys(rig, item_id) == []

    await eventually(gone, "the take-down deleting the caption files")


def deleted_after_recording(rig: Rig, item_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The item is deleted and taken down right after its next track is recorded."""
    change_caption = CatalogueClient.change_caption

    async def deleted_meanwhile(self: CatalogueClient, *args: Any, **kwargs: Any) -> Any:
        item = await change_caption(self, *args, **kwargs)
        deleted = await rig.client.delete(f"{CATALOGUE}/{item_id}", headers=rig.admin())
        assert deleted.status_code == 204

        async def taken_down() -> bool:
            return caption_keys(rig, item_id) == []

        await eventually(taken_down, "the take-down")
        return item

    monkeypatch.setattr(CatalogueClient, "change_caption", deleted_meanwhile)


async def test_an_item_deleted_while_its_track_is_stored_keeps_no_caption_files(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The item deleted and taken down right after the track was recorded, the worst moment:
    the upload is 404 and leaves nothing under the item's prefix (the subtitle playlist,
    written after the take-down, stayed for the storage audit to find)."""
    item_id = await register(rig)
    deleted_after_recording(rig, item_id, monkeypatch)
    assert_error(await put(rig, item_id, "en", VTT), 404)
    assert caption_keys(rig, item_id) == []


# --- embedded subtitle streams: the transcoding job's way in ------------------------------


def caption_tracks(rig: Rig) -> CaptionTracks:
    """What the transcoding job stores extracted tracks with, on the rig's app."""
    catalogue = CatalogueClient(InProcessTransport(rig.client.app.state.operations))
    return CaptionTracks(media(rig), catalogue)


async def test_embedded_tracks_never_replace_uploaded_ones(rig: Rig) -> None:
    item_id = await register(rig)
    master_key = f"{item_id}/hls/master.m3u8"
    await media(rig).write(master_key, bytes_of(MASTER.encode()))
    await report_hls(rig, item_id)
    assert (await put(rig, item_id, "en", SRT, label="English")).status_code == 200
    uploaded = await read_text(rig, f"{item_id}/captions/en.vtt")

    cues = parse_caption_file(VTT)
    item = await caption_tracks(rig).store_embedded(
        item_id,
        [EmbeddedTrack("en", "English (embedded)", cues), EmbeddedTrack("fr", None, cues)],
    )
    assert item is not None
    assert [(t.language, t.label, t.source) for t in item.captions] == [
        ("en", "English", "upload"),
        ("fr", "Français", "embedded"),
    ]
    assert await read_text(rig, f"{item_id}/captions/en.vtt") == uploaded
    assert parse_caption_file((await read_text(rig, f"{item_id}/captions/fr.vtt")).encode()) == cues
    assert 'LANGUAGE="fr"' in await read_text(rig, master_key)
    # An upload replaces an embedded track.
    assert (await put(rig, item_id, "fr", SRT)).json()["captions"][1]["source"] == "upload"


async def test_embedded_tracks_of_a_deleted_item_store_nothing(rig: Rig) -> None:
    missing = str(uuid.uuid4())
    tracks = [EmbeddedTrack("en", None, parse_caption_file(VTT))]
    with pytest.raises(NotFound):
        await caption_tracks(rig).store_embedded(missing, tracks)
    assert caption_keys(rig, missing) == []


async def test_embedded_tracks_of_an_item_deleted_meanwhile_leave_nothing(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As for an upload: deleted and taken down after the extracted track was recorded, the
    job is told 404 and its track's files (written after the take-down) go."""
    item_id = await register(rig)
    await report_hls(rig, item_id)
    deleted_after_recording(rig, item_id, monkeypatch)
    tracks = [EmbeddedTrack("en", None, parse_caption_file(VTT))]
    with pytest.raises(NotFound):
        await caption_tracks(rig).store_embedded(item_id, tracks)
    assert under_prefix(rig, item_id) == []


async def test_catalogues_log_names_the_admin_who_added_and_removed_a_track(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ingest's routes hand the asking admin's id on (``CaptionChange.by``): the catalogue's
    log line of each change names them."""
    captured = structlog.testing.CapturingLogger()
    monkeypatch.setattr(catalogue_service, "log", captured)
    item_id = await register(rig)
    assert (await put(rig, item_id, "en", VTT, label="English")).status_code == 200
    removed = await rig.client.delete(captions_url(item_id, "en"), headers=rig.admin())
    assert removed.status_code == 204, removed.text
    changes = [
        call.kwargs for call in captured.calls if call.args[0] == "catalogue.caption_changed"
    ]
    assert [(change["removed"], change.get("by")) for change in changes] == [
        (False, rig.admin_id),
        (True, rig.admin_id),
    ], changes
