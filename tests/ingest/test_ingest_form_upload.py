"""``POST /api/v1/ingest/upload``: real videos in, catalogue items out, on both backends."""

from __future__ import annotations

import datetime
import io
import uuid
from typing import Any

import av
import ingest_media
import pytest
from ingest_rig import API, CATALOGUE, Rig, RigFactory

from streamstack.contracts.limits import ID3_TAG_MAX_BYTES
from streamstack.ingest.containers import SNIFF_BYTES
from streamstack.kernel.clock import utcnow


def _decoded_size(jpeg: bytes) -> tuple[int, int]:
    with av.open(io.BytesIO(jpeg)) as image:
        frame = next(image.decode(video=0))
        return frame.width, frame.height


async def test_mp4_becomes_a_published_item_with_probe_data_and_thumbnail(rig: Rig) -> None:
    before = await rig.snapshot()
    data = ingest_media.mp4()
    response = await rig.upload(
        data, fields={"title": "Park walk", "description": "Trees.", "tags": "nature, walk"}
    )
    assert response.status_code == 201, response.text
    item = response.json()
    item_id = item["id"]
    assert uuid.UUID(item_id)
    assert item["s3_key"] == f"{item_id}.mp4"
    assert item["thumbnail_s3_key"] == f"{item_id}.jpg"
    assert (item["title"], item["description"]) == ("Park walk", "Trees.")
    assert item["tags"] == ["nature", "walk"]
    assert item["status"] == "published"
    assert item["content_type"] == "video/mp4"
    assert item["size_bytes"] == len(data)
    assert (item["video_codec"], item["audio_codec"]) == ("h264", "aac")
    assert (item["width"], item["height"], item["fps"]) == (320, 240, 25.0)
    assert item["duration_seconds"] == pytest.approx(2.0, abs=0.1)
    assert await rig.added_since(before) == {
        "media": [f"{item_id}.mp4"],
        "thumbnails": [f"{item_id}.jpg"],
        "pending": [],
        "items": [item_id],
    }
    assert rig.object_bytes("media", f"{item_id}.mp4") == data
    thumbnail = rig.object_bytes("thumbnails", f"{item_id}.jpg")
    assert _decoded_size(thumbnail) == (320, 240)
    job = await rig.job(item_id)
    assert (job["state"], job["item"]["id"], job["error"]) == ("done", item_id, None)


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (
            "webm",
            {
                "content_type": "video/webm",
                "video_codec": "vp9",
                "audio_codec": "opus",
                "ext": "webm",
            },
        ),
        (
            "avi",
            {
                "content_type": "video/x-msvideo",
                "video_codec": "mpeg4",
                "audio_codec": "mp3",
                "ext": "avi",
            },
        ),
        (
            "transport_stream",
            {
                "content_type": "video/mp2t",
                "video_codec": "h264",
                "audio_codec": "aac",
                "ext": "ts",
            },
        ),
        (
            "audio_only",
            {"content_type": "audio/mp4", "video_codec": None, "audio_codec": "aac", "ext": "mp4"},
        ),
        (
            "one_frame",
            {"content_type": "video/mp4", "video_codec": "h264", "audio_codec": None, "ext": "mp4"},
        ),
    ],
)
async def test_other_accepted_files(rig: Rig, sample: str, expected: dict[str, Any]) -> None:
    before = await rig.snapshot()
    data = getattr(ingest_media, sample)()
    # The name says nothing: the bytes decide.
    response = await rig.upload(data, filename="upload.bin")
    assert response.status_code == 201, response.text
    item = response.json()
    for field in ("content_type", "video_codec", "audio_codec"):
        assert item[field] == expected[field], field
    assert item["s3_key"] == f"{item['id']}.{expected['ext']}"
    added = await rig.added_since(before)
    assert (added["media"], added["items"]) == ([item["s3_key"]], [item["id"]])
    if expected["video_codec"] is None:
        assert item["thumbnail_s3_key"] is None
        assert (item["width"], item["height"], item["fps"]) == (None, None, None)
        assert added["thumbnails"] == []
    else:
        assert added["thumbnails"] == [f"{item['id']}.jpg"]
        assert _decoded_size(rig.object_bytes("thumbnails", f"{item['id']}.jpg")) == (320, 240)


@pytest.mark.parametrize(
    ("container", "codec", "expected"),
    [
        # M4A plays as uploaded (its index has its length and seek points): at once, no job.
        ("mp4", "aac", ("audio/mp4", "aac", "mp4", "none")),
        # The rest become an audio-only HLS package first: a bare MP3 may have no seek
        # table, a recorded WebM no length.
        ("mp3", "libmp3lame", ("audio/mpeg", "mp3", "mp3", "queued")),
        ("webm", "libopus", ("audio/webm", "opus", "webm", "queued")),
        ("aiff", "pcm_s16be", ("audio/aiff", "pcm_s16be", "aiff", "queued")),
        ("flac", "flac", ("audio/flac", "flac", "flac", "queued")),
        ("wav", "pcm_s16le", ("audio/wav", "pcm_s16le", "wav", "queued")),
        ("ogg", "libopus", ("audio/ogg", "opus", "ogg", "queued")),
        ("matroska", "ac3", ("audio/x-matroska", "ac3", "mkv", "queued")),
    ],
)
async def test_sound_alone_plays_as_uploaded_or_is_queued_for_an_audio_package(
    rig: Rig, container: str, codec: str, expected: tuple[str, str, str, str]
) -> None:
    content_type, audio_codec, extension, state = expected
    before = await rig.snapshot()
    response = await rig.upload(ingest_media.sound(container, codec), filename="sound.bin")
    assert response.status_code == 201, response.text
    item = response.json()
    assert (item["content_type"], item["audio_codec"], item["video_codec"]) == (
        content_type,
        audio_codec,
        None,
    )
    assert item["s3_key"] == f"{item['id']}.{extension}"
    assert (item["processing_state"], item["playable"]) == (state, state == "none")
    added = await rig.added_since(before)
    assert (added["media"], added["thumbnails"]) == ([item["s3_key"]], [])


async def test_a_broadcast_wave_is_a_wav(rig: Rig) -> None:
    """A field recorder's ``.bwf`` (a ``bext`` chunk before the sound) is stored as WAV."""
    response = await rig.upload(ingest_media.broadcast_wave(), filename="take2.bwf")

    assert response.status_code == 201, response.text
    item = response.json()
    stored = ("audio/wav", f"{item['id']}.wav", "pcm_s16le", "queued")
    assert (
        item["content_type"],
        item["s3_key"],
        item["audio_codec"],
        item["processing_state"],
    ) == stored
    assert item["duration_seconds"] == pytest.approx(2.0, abs=0.05)


async def test_flac_behind_an_id3_tag_with_a_cover_picture_is_flac(rig: Rig) -> None:
    # Taggers put ID3 before FLAC too; a cover picture makes the tag far larger than the
    # first bytes sniffed, so what follows it is read before anything is stored, and
    # FFmpeg's FLAC reader skips the tag.
    before = await rig.snapshot()
    data = ingest_media.id3_tagged(ingest_media.sound("flac", "flac"))
    assert data.index(b"fLaC") > 64 * 1024
    response = await rig.upload(data, filename="song.flac")
    assert response.status_code == 201, response.text
    item = response.json()
    assert (item["content_type"], item["audio_codec"], item["video_codec"]) == (
        "audio/flac",
        "flac",
        None,
    )
    assert item["s3_key"] == f"{item['id']}.flac"
    assert item["duration_seconds"] == pytest.approx(2.0, abs=0.1)
    assert item["processing_state"] == "queued"
    assert rig.object_bytes("media", item["s3_key"]) == data
    # The tag's front cover is the thumbnail (360 pixels: no poster).
    assert (await rig.added_since(before))["thumbnails"] == [f"{item['id']}.jpg"]
    assert _decoded_size(rig.object_bytes("thumbnails", f"{item['id']}.jpg")) == (360, 360)


async def test_an_id3_tag_too_large_to_look_past_is_refused_on_its_first_bytes(
    rig: Rig,
) -> None:
    before = await rig.snapshot()
    data = ingest_media.id3_header(4 * ID3_TAG_MAX_BYTES) + bytes(SNIFF_BYTES)
    response = await rig.upload(data, filename="song.flac")
    assert response.status_code == 415, response.text
    body = response.json()
    assert body["code"] == "id3_tag_too_large"
    assert "ID3 tag of 28.0 MiB; at most 7.0 MiB" in body["detail"]
    await rig.assert_nothing_kept(before)


async def test_moov_at_the_end_is_rewritten_to_faststart(rig: Rig) -> None:
    before = await rig.snapshot()
    data = ingest_media.mp4(faststart=False)
    assert ingest_media.top_level_boxes(data).index(b"mdat") < ingest_media.top_level_boxes(
        data
    ).index(b"moov")
    response = await rig.upload(data)
    assert response.status_code == 201, response.text
    item = response.json()
    stored = rig.object_bytes("media", item["s3_key"])
    boxes = ingest_media.top_level_boxes(stored)
    assert boxes[0] == b"ftyp"
    assert boxes.index(b"moov") < boxes.index(b"mdat")
    assert item["size_bytes"] == len(stored)
    assert (await rig.added_since(before))["media"] == [item["s3_key"]]
    # Stream copy: every packet is still there, byte for byte.
    with av.open(io.BytesIO(data)) as before, av.open(io.BytesIO(stored)) as after:
        original = [bytes(p) for p in before.demux() if p.size]
        copied = [bytes(p) for p in after.demux() if p.size]
    assert sorted(original) == sorted(copied)


@pytest.mark.parametrize(
    ("data", "plays"),
    [
        pytest.param(lambda: ingest_media.encode(seconds=6.0), True, id="whole"),
        # Both played as uploaded while queued: the clock said 0:10 / 0:13 and seeking went
        # to the start, or the picture froze at 3.3 s of 6 s ("Try again later").
        pytest.param(
            lambda: ingest_media.encode(seconds=4.0, start_seconds=10), False, id="starts-at-10s"
        ),
        pytest.param(lambda: ingest_media.cut_short_mp4(0.6), False, id="cut-short"),
    ],
)
async def test_an_mp4_a_browser_would_play_wrong_waits_for_its_package(
    rig: Rig, data: Any, plays: bool
) -> None:
    response = await rig.upload(data())
    assert response.status_code == 201, response.text
    item = response.json()
    assert (item["processing_state"], item["playable"]) == ("queued", plays)
    grant = await rig.client.post(f"{CATALOGUE}/{item['id']}/stream-token", headers=rig.viewer())
    if plays:  # its original, at once
        assert grant.status_code == 200, grant.text
        assert grant.json()["hls_url"] is None
    else:  # as any file that waits for its package: not shown to viewers yet
        assert (grant.status_code, grant.json()["code"]) == (404, "not_found")


async def test_an_item_keeps_its_files_chapters_shown_with_the_item_alone(rig: Rig) -> None:
    marks = [(0.0, "Opening"), (1.5, "Middle"), (2.5, "End")]
    data = ingest_media.encode(container="matroska", seconds=3.0, chapters=marks)
    response = await rig.upload(data, filename="film.mkv")
    assert response.status_code == 201, response.text
    expected = [{"start_seconds": start, "title": title} for start, title in marks]
    assert response.json()["chapters"] == expected
    if "catalogue" in rig.settings.modules:
        url = f"/api/v1/catalogue/{response.json()['id']}"
        item = await rig.client.get(url, headers=rig.admin())  # playable once transcoded
        assert item.json()["chapters"] == expected
        # Lists leave them out (as captions): a page of 24 audiobooks stays small.
        listed = {i["id"]: i["chapters"] for i in await rig.catalogue_items()}
        assert listed[response.json()["id"]] == []


async def test_publish_false_makes_a_draft_and_tags_may_repeat(rig: Rig) -> None:
    response = await rig.client.post(
        f"{API}/upload",
        files=[
            ("title", (None, "Draft clip")),
            ("tags", (None, "one")),
            ("tags", (None, "two,three")),
            ("publish", (None, "false")),
            ("ignored", (None, "fields ingest does not know are skipped")),
            ("file", ("clip.mp4", ingest_media.one_frame(), "video/mp4")),
        ],
        headers=rig.admin(),
    )
    assert response.status_code == 201, response.text
    item = response.json()
    assert (item["status"], sorted(item["tags"])) == ("draft", ["one", "three", "two"])


async def test_a_form_upload_may_be_scheduled_and_a_past_time_keeps_nothing(rig: Rig) -> None:
    when = (utcnow() + datetime.timedelta(hours=5)).replace(microsecond=0)
    fields = {"title": "Later", "publish_at": when.isoformat()}
    response = await rig.upload(ingest_media.one_frame(), fields=fields)
    assert response.status_code == 201, response.text
    item = response.json()
    assert item["status"] == "draft"
    assert datetime.datetime.fromisoformat(item["publish_at"]) == when
    before = await rig.snapshot()
    past = {"title": "Late", "publish_at": (utcnow() - datetime.timedelta(hours=1)).isoformat()}
    response = await rig.upload(ingest_media.one_frame(), fields=past)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "publish_at_past"
    await rig.assert_nothing_kept(before)


async def test_upload_limit_gives_413_and_keeps_nothing(rig_factory: RigFactory) -> None:
    data = ingest_media.mp4()
    async with rig_factory(max_upload_bytes=len(data) - 1) as rig:
        # Announced size within the form allowance: refused while streaming.
        response = await rig.upload(data)
        assert response.status_code == 413, response.text
        assert response.json()["code"] == "object_too_large"
        # Announced size far beyond the limit: refused before reading.
        response = await rig.upload(ingest_media.padded(data, 3 * 1024 * 1024))
        assert response.status_code == 413, response.text
        assert response.json()["code"] == "upload_too_large"
        await rig.assert_nothing_kept()


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({}, "title is required"),
        ({"title": "   "}, "title is required"),
        ({"title": "x" * 201}, "title"),
        ({"title": "line\nbreak"}, "title"),
        ({"title": "ok", "tags": ",".join(f"t{i}" for i in range(21))}, "tags"),
        ({"title": "ok", "tags": "x" * 41}, "tags"),
        ({"title": "ok", "publish": "maybe"}, "publish"),
        ({"title": "ok", "description": "d" * 5001}, "description"),
    ],
)
async def test_bad_fields_give_400_and_keep_nothing(
    rig: Rig, fields: dict[str, str], problem: str
) -> None:
    before = await rig.snapshot()
    response = await rig.upload(ingest_media.one_frame(), fields=fields)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_error"
    assert problem in response.json()["detail"]
    await rig.assert_nothing_kept(before)


async def test_malformed_requests_give_4xx_and_keep_nothing(rig: Rig) -> None:
    before = await rig.snapshot()
    admin = rig.admin()
    url = f"{API}/upload"
    cases = [
        # Not multipart at all.
        (await rig.client.post(url, json={"title": "x"}, headers=admin), 415),
        (
            await rig.client.post(
                url, content=b"raw", headers={**admin, "Content-Type": "video/mp4"}
            ),
            415,
        ),
        # Multipart without a boundary, and with a broken body.
        (
            await rig.client.post(
                url, content=b"x", headers={**admin, "Content-Type": "multipart/form-data"}
            ),
            400,
        ),
        (
            await rig.client.post(
                url,
                content=b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc',
                headers={**admin, "Content-Type": "multipart/form-data; boundary=b"},
            ),
            400,
        ),
        # No file part, and two of them.
        (
            await rig.client.post(
                url, data={"title": "x"}, files={"other": ("a", b"b")}, headers=admin
            ),
            400,
        ),
        (
            await rig.client.post(
                url,
                data={"title": "x"},
                files=[
                    ("file", ("a.mp4", ingest_media.one_frame())),
                    ("file", ("b.mp4", ingest_media.one_frame())),
                ],
                headers=admin,
            ),
            400,
        ),
        # A malformed Content-Length.
        (
            await rig.client.post(
                url,
                content=b"",
                headers={
                    **admin,
                    "Content-Type": "multipart/form-data; boundary=b",
                    "Content-Length": "-1",
                },
            ),
            400,
        ),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        body = response.json()
        assert body["status"] == status and body["detail"]
    await rig.assert_nothing_kept(before)


async def test_only_admins_may_use_any_ingest_route(rig: Rig) -> None:
    before = await rig.snapshot()
    upload_id = uuid.uuid4()
    routes = [
        ("POST", f"{API}/upload"),
        ("GET", f"{API}/jobs/{upload_id}"),
        ("OPTIONS", f"{API}/uploads"),
        ("POST", f"{API}/uploads"),
        ("HEAD", f"{API}/uploads/{upload_id}"),
        ("PATCH", f"{API}/uploads/{upload_id}"),
        ("DELETE", f"{API}/uploads/{upload_id}"),
    ]
    for method, url in routes:
        anonymous = await rig.client.request(method, url, headers={"Tus-Resumable": "1.0.0"})
        assert anonymous.status_code == 401, (method, url, anonymous.text)
        viewer = await rig.client.request(
            method, url, headers={"Tus-Resumable": "1.0.0", **rig.viewer()}
        )
        assert viewer.status_code == 403, (method, url, viewer.text)
    forged = await rig.upload(ingest_media.one_frame(), headers={"Authorization": "Bearer nope"})
    assert forged.status_code == 401
    await rig.assert_nothing_kept(before)


async def test_each_upload_is_measured(rig: Rig) -> None:
    steps = ("store", "probe", "thumbnail", "register")
    names = [f'streamstack_ingest_step_duration_seconds_count{{step="{step}"}}' for step in steps]
    names.append("streamstack_upload_size_bytes_count")
    before = await rig.metrics(*names)
    assert (await rig.upload(ingest_media.one_frame())).status_code == 201
    after = await rig.metrics(*names)
    assert [a - b for a, b in zip(after, before, strict=True)] == [1.0] * len(names)


async def test_the_form_body_is_documented(rig: Rig) -> None:
    """Schemathesis sent ``POST /upload`` without a body, as the document (which had none)
    allowed, and got 415: the multipart form and its fields are documented now."""
    document = (await rig.client.get("/api/docs/openapi.json")).json()
    body = document["paths"][f"{API}/upload"]["post"]["requestBody"]
    assert body["required"] is True
    form = body["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["file", "title"]
    assert set(form["properties"]) == {
        "file",
        "title",
        "description",
        "tags",
        "publish",
        "publish_at",
    }
    assert form["properties"]["file"] == {"type": "string", "format": "binary"}
