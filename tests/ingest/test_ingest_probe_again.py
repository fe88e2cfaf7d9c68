"""Reading an item's file again: ``POST /api/v1/ingest/items/{id}/probe``.

An item uploaded before the probe read chapters (or named its main track by an older rule)
gets its facts from its stored original, read in the probe's sandbox as at upload, and
catalogue records them (``UPDATE_FACTS``). Refusals are JSON errors that change nothing.
On both backend kinds, with real uploads and a real probe.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ingest_media
import pytest
import transcode_media
from ingest_media import BOOK_CHAPTERS
from ingest_rig import (
    Rig,
    RigFactory,
    assert_complete_package,
    fast_transcoding,
    replace_original,
    shown,
    uploaded_long_ago,
    wait_for_state,
    written_back,
)
from transcode_media import Track

from streamstack.ingest.probe import MediaProber, ProbeOutcome
from streamstack.ingest.probe_messages import MediaReport
from streamstack.kernel.storage import single_chunk

INGEST = "/api/v1/ingest"
CATALOGUE = "/api/v1/catalogue"


@pytest.fixture
def probe_reports(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[MediaReport]]:
    """The reports the app's probe workers send back from now on (the app runs in the
    test's process: its prober is this class's)."""
    reports: list[MediaReport] = []
    probe = MediaProber.probe

    async def recording(self: MediaProber, *args: Any, **kwargs: Any) -> ProbeOutcome:
        outcome = await probe(self, *args, **kwargs)
        reports.append(outcome.report)
        return outcome

    monkeypatch.setattr(MediaProber, "probe", recording)
    return lambda: list(reports)


def probe_again(rig: Rig, media_id: str, headers: dict[str, str] | None = None) -> Any:
    return rig.client.post(
        f"{INGEST}/items/{media_id}/probe", headers=rig.admin() if headers is None else headers
    )


async def test_an_old_audiobook_gets_its_chapters_and_main_track(rig: Rig) -> None:
    before = await uploaded_long_ago(rig, ingest_media.audiobook(), "An old audiobook")
    stills = rig.stored()["thumbnails"]

    response = await probe_again(rig, before["id"])

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["media_id"] == before["id"]
    assert answer["changed"] == ["duration_seconds", "audio_codec", "chapters"]
    assert answer["item"]["chapters"] == BOOK_CHAPTERS
    after = await shown(rig, before["id"])
    assert (after["chapters"], after["audio_codec"]) == (BOOK_CHAPTERS, "aac")
    assert after["duration_seconds"] == pytest.approx(2.0, abs=0.1)
    assert after["updated_at"] > before["updated_at"]
    assert rig.stored()["thumbnails"] == stills
    # Read once more: nothing new, nothing changes.
    again = await probe_again(rig, before["id"])
    assert (again.status_code, again.json()["changed"]) == (200, [])
    assert (await shown(rig, before["id"]))["updated_at"] == after["updated_at"]


async def test_sound_named_by_its_stub_track_gets_its_main_tracks_codec_and_length(
    rig: Rig, tmp_path: Path
) -> None:
    # A nearly empty first track, which the probe once took for the item's sound.
    source = transcode_media.sound_tracks(
        tmp_path, Track("flac", 0.05), Track("libopus", 4.0, layout="stereo")
    )
    before = await uploaded_long_ago(rig, source.read_bytes(), "Two tracks", audio_codec="flac")

    response = await probe_again(rig, before["id"])

    assert response.status_code == 200, response.text
    assert response.json()["changed"] == ["duration_seconds", "audio_codec"]
    after = await shown(rig, before["id"])
    assert after["audio_codec"] == "opus"
    assert after["duration_seconds"] == pytest.approx(4.0, abs=0.02)


async def test_a_video_with_chapters_gets_them(rig: Rig) -> None:
    marks = [(0.0, "Start"), (1.5, "Later")]
    data = ingest_media.encode(container="matroska", seconds=3.0, chapters=marks)
    before = await uploaded_long_ago(rig, data, "An old film")

    response = await probe_again(rig, before["id"])

    assert response.status_code == 200, response.text
    expected = [{"start_seconds": start, "title": title} for start, title in marks]
    assert (await shown(rig, before["id"]))["chapters"] == expected


async def test_only_an_admin_reads_a_file_again(rig: Rig) -> None:
    before = await uploaded_long_ago(rig, ingest_media.audiobook(), "Not for viewers")

    as_viewer = await probe_again(rig, before["id"], rig.viewer())
    anonymous = await probe_again(rig, before["id"], {})

    assert (as_viewer.status_code, anonymous.status_code) == (403, 401)
    assert await shown(rig, before["id"]) == before


async def test_an_unknown_item_is_not_found(rig: Rig) -> None:
    unknown = await probe_again(rig, str(uuid.uuid4()))
    malformed = await probe_again(rig, "not-a-uuid")

    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    assert malformed.status_code == 404
    assert malformed.headers["content-type"].startswith("application/json")


async def test_a_missing_original_is_said_and_changes_nothing(rig: Rig) -> None:
    before = await uploaded_long_ago(rig, ingest_media.audiobook(), "Its file lost")
    replace_original(rig, before["s3_key"], None)

    response = await probe_again(rig, before["id"])

    assert response.status_code == 409, response.text
    error = response.json()
    assert error["code"] == "original_missing"
    assert "no longer stored" in error["detail"]
    assert await shown(rig, before["id"]) == before


async def test_a_file_the_probe_refuses_changes_nothing(rig: Rig) -> None:
    before = await uploaded_long_ago(rig, ingest_media.audiobook(), "Its file damaged")
    replace_original(rig, before["s3_key"], ingest_media.random_bytes())

    response = await probe_again(rig, before["id"])

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "probe_failed"
    assert await shown(rig, before["id"]) == before


async def test_a_reading_again_makes_no_stills(
    rig: Rig, probe_reports: Callable[[], list[MediaReport]]
) -> None:
    before = await uploaded_long_ago(rig, ingest_media.mp4(seconds=3.0), "Its stills kept")
    (upload,) = probe_reports()
    stills = rig.stored()["thumbnails"]

    response = await probe_again(rig, before["id"])

    assert response.status_code == 200, response.text
    assert upload.thumbnail is not None  # the upload's probe made them, the reading none
    (_, reading) = probe_reports()
    assert (reading.thumbnail, reading.poster) == (None, None)
    assert (reading.width, reading.height) == (upload.width, upload.height)
    assert "width" not in response.json()["changed"]
    assert rig.stored()["thumbnails"] == stills


async def seen_by_viewers(rig: Rig, media_id: str) -> bool:
    """Whether a viewer is shown the item (published and playable)."""
    response = await rig.client.get(f"{CATALOGUE}/{media_id}", headers=rig.viewer())
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


async def test_an_item_whose_original_turns_out_to_play_becomes_playable(rig: Rig) -> None:
    # Its stub first track named by an older rule, which no browser plays: the item was
    # queued for a package, whose transcoding failed.
    uploaded = await rig.upload(ingest_media.audiobook(), fields={"title": "Plays after all"})
    assert uploaded.status_code == 201, uploaded.text
    media_id = uploaded.json()["id"]
    failed = {"processing_state": "failed", "processing_detail": "the stub track ended"}
    await written_back(
        rig, media_id, audio_codec="flac", original_playable=False, playable=False, **failed
    )
    assert not await seen_by_viewers(rig, media_id)

    response = await probe_again(rig, media_id)

    assert response.status_code == 200, response.text
    assert response.json()["changed"] == ["audio_codec", "playable"]
    after = await shown(rig, media_id)
    assert (after["playable"], after["audio_codec"]) == (True, "aac")
    assert after["processing_state"] == "failed"  # it plays as uploaded: no job for it
    assert await seen_by_viewers(rig, media_id)


async def test_an_item_with_a_package_keeps_playing_and_is_not_queued_again(rig: Rig) -> None:
    # Taken for browser-safe once, and packaged since: its original does not play (H.264
    # in Matroska), its package does.
    data = ingest_media.encode(container="matroska", seconds=2.0)
    uploaded = await rig.upload(data, filename="old.mkv", fields={"title": "Packaged"})
    assert uploaded.status_code == 201, uploaded.text
    media_id = uploaded.json()["id"]
    ready = {"processing_state": "ready", "has_hls": True, "package_format": 2}
    await written_back(rig, media_id, original_playable=True, playable=True, **ready)
    before = await shown(rig, media_id)

    response = await probe_again(rig, media_id)

    assert response.status_code == 200, response.text
    assert "playable" not in response.json()["changed"]
    after = await shown(rig, media_id)
    assert (after["playable"], after["processing_state"]) == (True, "ready")
    assert after["updated_at"] > before["updated_at"]  # its original's playing was recorded
    assert await seen_by_viewers(rig, media_id)


async def test_an_item_whose_original_turns_out_not_to_play_is_transcoded(
    rig_factory: RigFactory, tmp_path: Path
) -> None:
    # Registered before transcoding existed, its MPEG-4 Part 2 (which no browser plays)
    # misread as H.264: served as uploaded, to viewers who cannot play it.
    source = transcode_media.write(tmp_path / "camera.mp4", container="mp4", video="mpeg4")
    async with rig_factory(worker_in_process=True, **fast_transcoding()) as rig:
        media_id = str(uuid.uuid4())
        key = f"{media_id}.mp4"  # an item names its own objects
        media = rig.client.app.state.backends.objects(rig.settings.media_bucket)
        await media.write(key, single_chunk(source.read_bytes()))
        body = {"id": media_id, "title": "Misread", "s3_key": key, "content_type": "video/mp4"}
        body |= {"size_bytes": source.stat().st_size, "video_codec": "h264", "audio_codec": "aac"}
        body |= {"width": 320, "height": 240, "playable": True}
        created = await rig.client.post(f"{CATALOGUE}/", json=body, headers=rig.admin())
        assert created.status_code == 201, created.text
        assert await seen_by_viewers(rig, media_id)

        response = await probe_again(rig, media_id)

        assert response.status_code == 200, response.text
        read = response.json()
        assert read["changed"] == ["duration_seconds", "video_codec", "fps", "playable"]
        assert (read["item"]["playable"], read["item"]["processing_state"]) == (False, "queued")
        ready, _ = await wait_for_state(rig, media_id, {"ready", "failed"})
        assert ready["processing_state"] == "ready", ready["processing_detail"]
        assert (ready["playable"], ready["has_hls"], ready["video_codec"]) == (True, True, "mpeg4")
        assert_complete_package(rig, media_id)
        assert await seen_by_viewers(rig, media_id)
        # Read once more: its package plays, nothing is queued again.
        again = await probe_again(rig, media_id)
        assert (again.status_code, again.json()["changed"]) == (200, [])
        assert (await shown(rig, media_id))["processing_state"] == "ready"


async def test_an_item_whose_package_is_being_made_is_not_queued_again(rig: Rig) -> None:
    # Taken for browser-safe by an older rule, and queued for its ladder at upload (this
    # app runs no worker: the job waits).
    data = ingest_media.encode(container="matroska", seconds=2.0)
    uploaded = await rig.upload(data, filename="queued.mkv", fields={"title": "Queued"})
    assert uploaded.status_code == 201, uploaded.text
    media_id = uploaded.json()["id"]
    assert uploaded.json()["processing_state"] == "queued"
    await written_back(rig, media_id, original_playable=True, playable=True)

    response = await probe_again(rig, media_id)

    assert response.status_code == 200, response.text
    assert response.json()["changed"] == ["playable"]
    item = response.json()["item"]
    assert (item["playable"], item["processing_state"]) == (False, "queued")


async def test_an_item_that_never_played_is_left_to_an_admin_to_transcode_again(
    rig: Rig,
) -> None:
    # Its original no browser plays, its transcoding failed: reading it again (as
    # `streamstack probe --all` does every item) queues nothing.
    data = ingest_media.encode(container="matroska", seconds=2.0)
    uploaded = await rig.upload(data, filename="failed.mkv", fields={"title": "Failed"})
    assert uploaded.status_code == 201, uploaded.text
    media_id = uploaded.json()["id"]
    await written_back(rig, media_id, processing_state="failed", processing_detail="a full disk")

    response = await probe_again(rig, media_id)

    assert response.status_code == 200, response.text
    after = await shown(rig, media_id)
    assert (after["playable"], after["processing_state"]) == (False, "failed")
