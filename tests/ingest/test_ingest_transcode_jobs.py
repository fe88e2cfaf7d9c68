"""Transcoding jobs end to end: upload through the API, a worker transcodes, catalogue says ready.

Real app, real queue (embedded SQLite, or JetStream), real storage (a local directory, or S3
on moto) and real catalogue; tiny sources and x264's ultrafast preset keep it quick.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import av
import httpx
import ingest_media
import m3u8
import msgspec
import pytest
import structlog
import transcode_media
from ingest_rig import (
    CATALOGUE,
    Rig,
    RigFactory,
    ScratchHolder,
    assert_complete_package,
    fast_transcoding,
    item_of,
    package_keys_of,
    under_prefix,
    wait_for_state,
)

from streamstack.contracts.catalogue import (
    ORIGINAL_MISSING_DETAIL,
    PACKAGE_FORMAT,
    CatalogueClient,
    ProcessingUpdate,
)
from streamstack.ingest import jobs as ingest_jobs
from streamstack.ingest.jobs import (
    FIRST_RUNG_PERCENT,
    TRANSCODE_KIND,
    TranscodeHandler,
    TranscodeRequest,
    WorkerLimits,
    _JobRun,
    decode_request,
    sweep_scratch,
)
from streamstack.ingest.outputs import MANIFEST_NAME, decode_manifest
from streamstack.ingest.transcoding.results import TranscodeOptions
from streamstack.kernel.errors import ServiceUnavailable
from streamstack.kernel.jobs import DeadLetter, Job, QueueConfig, repeat_id
from streamstack.kernel.jobs.embedded import EmbeddedJobQueue
from streamstack.kernel.jobs.worker import JobRejected, JobWorker
from streamstack.kernel.storage import single_chunk
from streamstack.kernel.transport import InProcessTransport
from streamstack.settings import Settings
from support.apps import free_port, running_app
from system.system_rig import ChildProcess, clean_environment, streamstack_command


async def test_a_webm_upload_is_transcoded_and_becomes_ready(
    rig_factory: RigFactory, tmp_path: Path
) -> None:
    source = transcode_media.vp9_webm(tmp_path)
    async with rig_factory(worker_in_process=True, **fast_transcoding()) as rig:
        uploaded = await rig.upload(source.read_bytes(), filename="clip.webm")
        assert uploaded.status_code == 201, uploaded.text
        item = uploaded.json()
        assert (item["processing_state"], item["playable"]) == ("queued", False)
        media_id = item["id"]

        ready, seen = await wait_for_state(rig, media_id, {"ready", "failed"})

        assert ready["processing_state"] == "ready", ready["processing_detail"]
        assert seen[-2:] == ["processing", "ready"]
        assert ready["playable"] and ready["has_hls"] and ready["has_storyboard"]
        assert ready["renditions"] == [
            {"height": 240, "bandwidth": ready["renditions"][0]["bandwidth"]}
        ]
        master = assert_complete_package(rig, media_id)
        assert [p.stream_info.resolution for p in master.playlists] == [(320, 240)]
        assert master.playlists[0].stream_info.bandwidth == ready["renditions"][0]["bandwidth"]
        seen_by_viewer = await item_of(rig, media_id, viewer=True)
        assert seen_by_viewer.status_code == 200
        assert "processing_detail" not in seen_by_viewer.json()  # the admins' alone


async def test_sound_no_browser_plays_becomes_an_audio_only_package(
    rig_factory: RigFactory, tmp_path: Path
) -> None:
    source = transcode_media.sound_alone(tmp_path, container="flac", codec="flac")
    async with rig_factory(worker_in_process=True, **fast_transcoding()) as rig:
        uploaded = await rig.upload(source.read_bytes(), filename="podcast.flac")
        assert uploaded.status_code == 201, uploaded.text
        item = uploaded.json()
        assert (item["processing_state"], item["playable"]) == ("queued", False)

        ready, _ = await wait_for_state(rig, item["id"], {"ready", "failed"})

        assert ready["processing_state"] == "ready", ready["processing_detail"]
        assert (ready["playable"], ready["has_hls"], ready["has_storyboard"]) == (True, True, False)
        assert ready["renditions"] == []
        assert ready["duration_seconds"] == pytest.approx(transcode_media.SECONDS, abs=0.05)
        master = assert_complete_package(rig, item["id"], picture=False)
        (variant,) = master.playlists
        assert (variant.stream_info.codecs, variant.stream_info.resolution) == ("mp4a.40.2", None)
        # A viewer's player follows the master to the sound.
        grant = await rig.client.post(
            f"{CATALOGUE}/{item['id']}/stream-token", headers=rig.viewer()
        )
        assert grant.status_code == 200, grant.text
        hls_url = grant.json()["hls_url"]
        listed = m3u8.loads((await rig.client.get(hls_url)).text)
        sound_url = hls_url.rsplit("/", 1)[0] + "/" + listed.playlists[0].uri
        sound = m3u8.loads((await rig.client.get(sound_url)).text)
        base = sound_url.rsplit("/", 1)[0]
        for uri in (sound.segment_map[0].uri, sound.segments[0].uri):
            fetched = await rig.client.get(f"{base}/{uri}")
            assert (fetched.status_code, fetched.headers["content-type"]) == (200, "video/mp4")


async def test_flac_behind_a_large_id3_tag_becomes_a_package_of_its_length(
    rig_factory: RigFactory, tmp_path: Path
) -> None:
    # A cover picture in the tag: identified past it (over several requests), probed and
    # transcoded by the FLAC reader, which skips the tag.
    source = transcode_media.sound_alone(tmp_path, container="flac", codec="flac")
    data = ingest_media.id3_tagged(source.read_bytes())
    async with rig_factory(worker_in_process=True, **fast_transcoding()) as rig:
        url = await rig.tus_upload(data, 32 * 1024)
        item = (await rig.job(url.rsplit("/", 1)[-1]))["item"]
        assert (item["content_type"], item["processing_state"]) == ("audio/flac", "queued")

        ready, _ = await wait_for_state(rig, item["id"], {"ready", "failed"})

        assert ready["processing_state"] == "ready", ready["processing_detail"]
        assert (ready["playable"], ready["has_hls"]) == (True, True)
        assert ready["duration_seconds"] == pytest.approx(transcode_media.SECONDS, abs=0.05)
        master = assert_complete_package(rig, item["id"], picture=False)
        assert master.playlists[0].stream_info.codecs == "mp4a.40.2"


async def test_sound_alone_is_an_item_of_its_main_track_not_a_nearly_empty_first_one(
    rig_factory: RigFactory, tmp_path: Path
) -> None:
    # 0.05 s of FLAC first, then 4 s of Opus: the probe, the package and the item's length
    # all go by the track a player plays.
    source = transcode_media.sound_tracks(
        tmp_path, transcode_media.Track("flac", 0.05), transcode_media.Track("libopus", 4.0)
    )
    async with rig_factory(worker_in_process=True, **fast_transcoding()) as rig:
        uploaded = await rig.upload(source.read_bytes(), filename="album.mka")
        assert uploaded.status_code == 201, uploaded.text
        item = uploaded.json()
        assert (item["content_type"], item["audio_codec"]) == ("audio/x-matroska", "opus")
        assert item["duration_seconds"] == pytest.approx(4.0, abs=0.05)

        ready, _ = await wait_for_state(rig, item["id"], {"ready", "failed"})

        assert ready["processing_state"] == "ready", ready["processing_detail"]
        assert ready["duration_seconds"] == pytest.approx(4.0, abs=0.05)
        master = assert_complete_package(rig, item["id"], picture=False)
        key = f"{item['id']}/hls/{master.playlists[0].uri}"
        sound = m3u8.loads(rig.object_bytes("media", key).decode())
        assert sum(s.duration for s in sound.segments) == pytest.approx(4.0, abs=0.1)


@pytest.mark.parametrize("backend_kind", ["embedded"], indirect=True)
async def test_a_browser_safe_upload_is_playable_at_once_and_still_gets_a_ladder(
    rig_factory: RigFactory, tmp_path: Path
) -> None:
    # Its sound outlasts its picture by 2 s: the probe's length counts them, and the
    # package holds the last picture until the sound ends.
    source = transcode_media.long_sound_mp4(tmp_path)
    async with rig_factory(worker_in_process=True, **fast_transcoding()) as rig:
        uploaded = await rig.upload(source.read_bytes())
        assert uploaded.status_code == 201, uploaded.text
        item = uploaded.json()
        assert (item["processing_state"], item["playable"]) == ("queued", True)
        assert item["duration_seconds"] == pytest.approx(transcode_media.SECONDS + 2, abs=0.1)

        ready, _ = await wait_for_state(rig, item["id"], {"ready", "failed"})

        assert ready["processing_state"] == "ready", ready["processing_detail"]
        assert ready["duration_seconds"] == pytest.approx(transcode_media.SECONDS + 2, abs=0.05)
        assert_complete_package(rig, item["id"])


@pytest.mark.parametrize("backend_kind", ["embedded"], indirect=True)
@pytest.mark.parametrize("cover_art", [False, True], ids=["bare", "cover-art"])
async def test_an_audio_only_upload_plays_as_uploaded_and_gets_no_job(
    rig_factory: RigFactory, tmp_path: Path, cover_art: bool
) -> None:
    # With cover art (a music file's picture): still sound only, not a video of one frame.
    source = transcode_media.audio_only_mp4(tmp_path, cover_art=cover_art)
    async with rig_factory(**fast_transcoding()) as rig:
        uploaded = await rig.upload(source.read_bytes(), filename="sound.mp4")
        assert uploaded.status_code == 201, uploaded.text
        item = uploaded.json()
        assert (item["processing_state"], item["playable"]) == ("none", True)
        assert (item["video_codec"], item["audio_codec"]) == (None, "aac")
        # The cover picture is the item's still; a picture size is a video's alone.
        assert (item["thumbnail_s3_key"] is not None, item["width"]) == (cover_art, None)
        if cover_art:
            still = rig.object_bytes("thumbnails", item["thumbnail_s3_key"])
            with av.open(io.BytesIO(still)) as image:
                assert (image.streams.video[0].width, image.streams.video[0].height) == (64, 64)
        refused = await retry(rig, item["id"])  # nothing to transcode, now or later
        assert (refused.status_code, refused.json()["code"]) == (409, "not_transcodable")
        queue = EmbeddedJobQueue(
            rig.settings.data_dir / "jobs" / "jobs.sqlite3", rig.settings.transcode_queue
        )
        try:
            assert (await queue.backlog()).total == 0
        finally:
            await queue.close()


@pytest.mark.parametrize("backend_kind", ["embedded"], indirect=True)
async def test_an_input_that_cannot_transcode_fails_at_once_with_its_reason(
    rig_factory: RigFactory, tmp_path: Path
) -> None:
    # Frames larger than the worker accepts: retrying cannot help, so no retry.
    source = transcode_media.vp9_webm(tmp_path)
    async with rig_factory(
        worker_in_process=True, transcode_max_pixels=1000, **fast_transcoding()
    ) as rig:
        uploaded = await rig.upload(source.read_bytes(), filename="clip.webm")
        media_id = uploaded.json()["id"]

        failed, _ = await wait_for_state(rig, media_id, {"ready", "failed"})

        assert failed["processing_state"] == "failed"
        # The reason alone: the state already says it failed (the SPA prefixes its own words).
        assert failed["processing_detail"].startswith("the video's frame size is larger than")
        assert not failed["playable"]
        assert under_prefix(rig, media_id) == []
        assert (await item_of(rig, media_id, viewer=True)).status_code == 404


@pytest.mark.parametrize("backend_kind", ["embedded"], indirect=True)
async def test_a_damaged_original_the_transcoder_cannot_read_is_not_shown_to_viewers(
    rig_factory: RigFactory, tmp_path: Path
) -> None:
    # H.264/AAC in MP4 whose headers read well (so it counted as playing as uploaded) but
    # whose packets are noise past its first second: viewers were shown it (Browse, search,
    # Up next), and it stopped after three seconds with no word.
    source = transcode_media.ruined_mp4(tmp_path)
    async with rig_factory(worker_in_process=True, **fast_transcoding()) as rig:
        uploaded = await rig.upload(source.read_bytes(), filename="club-night.mp4")
        assert uploaded.status_code == 201, uploaded.text
        assert (uploaded.json()["status"], uploaded.json()["playable"]) == ("published", True)
        media_id = uploaded.json()["id"]

        failed, _ = await wait_for_state(rig, media_id, {"ready", "failed"})

        assert failed["processing_state"] == "failed"
        assert failed["processing_detail"].startswith("the file could not be read")
        assert not failed["playable"]
        assert (await item_of(rig, media_id, viewer=True)).status_code == 404
        listed = await rig.client.get(CATALOGUE, headers=rig.viewer())
        assert media_id not in [item["id"] for item in listed.json()["items"]]


@pytest.mark.parametrize("backend_kind", ["embedded"], indirect=True)
async def test_an_original_of_which_almost_nothing_reads_fails_saying_how_much(
    rig_factory: RigFactory, tmp_path: Path
) -> None:
    # Noise past its first 4 KiB: published as a 0.1 s video whose player spun for ever.
    source = transcode_media.noise_after_header_mkv(tmp_path)
    async with rig_factory(worker_in_process=True, **fast_transcoding()) as rig:
        uploaded = await rig.upload(source.read_bytes(), filename="clip.mkv")
        assert uploaded.status_code == 201, uploaded.text
        media_id = uploaded.json()["id"]

        failed, _ = await wait_for_state(rig, media_id, {"ready", "failed"})

        assert failed["processing_state"] == "failed"
        assert re.fullmatch(
            r"the file could not be read: it may be damaged or truncated \(only 0\.[0-4] s of "
            r"the 3\.0 s it says it lasts could be read\)",
            failed["processing_detail"],
        )
        assert (failed["playable"], failed["has_hls"]) == (False, False)
        assert (await item_of(rig, media_id, viewer=True)).status_code == 404


async def test_an_original_that_is_not_stored_fails_saying_so_and_does_not_play(
    rig_factory: RigFactory,
) -> None:
    # Registered through the API without its file, then transcoded: it failed with
    # "ObjectNotFound: no object …" and the Library said it was "still playing the file as
    # uploaded" (viewers got an error); retrying cannot find the file, so no retry either.
    async with rig_factory(worker_in_process=True, **fast_transcoding()) as rig:
        media_id = str(uuid.uuid4())
        body = {
            "id": media_id,
            "title": "Never uploaded",
            "s3_key": f"{media_id}.mp4",
            "size_bytes": 1000,
            "content_type": "video/mp4",
        }
        created = await rig.client.post(f"{CATALOGUE}/", json=body, headers=rig.admin())
        assert (created.status_code, created.json()["playable"]) == (201, True), created.text
        assert (await retry(rig, media_id)).status_code == 202

        failed, _ = await wait_for_state(rig, media_id, {"ready", "failed"})

        assert failed["processing_state"] == "failed"
        assert failed["processing_detail"] == ORIGINAL_MISSING_DETAIL
        assert not failed["playable"]
        assert (await item_of(rig, media_id, viewer=True)).status_code == 404


@pytest.mark.parametrize("backend_kind", ["embedded"], indirect=True)
@pytest.mark.parametrize(
    ("limit", "detail"),
    [
        ("transcode_timeout_seconds", "took longer than the limit of 0.01 s"),
        # No progress within 10 ms of the start: the first report comes later than that.
        ("transcode_stall_seconds", "made no progress for 0.01 s"),
    ],
)
async def test_a_job_that_keeps_failing_ends_failed_after_its_retries(
    rig_factory: RigFactory, tmp_path: Path, limit: str, detail: str
) -> None:
    # A time limit nothing meets: each attempt times out, the queue retries once, then gives up.
    source = transcode_media.vp9_webm(tmp_path)
    settings = {limit: 0.01, "jobs_max_deliver": 2, **fast_transcoding()}
    async with rig_factory(worker_in_process=True, **settings) as rig:
        uploaded = await rig.upload(source.read_bytes(), filename="clip.webm")
        media_id = uploaded.json()["id"]

        failed, _ = await wait_for_state(rig, media_id, {"ready", "failed"})

        assert failed["processing_state"] == "failed"
        assert detail in failed["processing_detail"]
        assert under_prefix(rig, media_id) == []


# --- transcoding an item again ------------------------------------------------------


async def retry(rig: Rig, media_id: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """``POST /ingest/items/{id}/transcode`` as the rig's admin (or with ``headers``)."""
    path = f"/api/v1/ingest/items/{media_id}/transcode"
    return await rig.client.post(path, headers=rig.admin() if headers is None else headers)


async def fail(rig: Rig, media_id: str, detail: str) -> None:
    """Mark the item failed as the dead-letter hook does (a service report)."""
    catalogue = CatalogueClient(InProcessTransport(rig.client.app.state.operations))
    update = ProcessingUpdate(media_id=media_id, state="failed", detail=detail)
    await catalogue.update_processing(update)


async def test_an_item_is_transcoded_again_when_ready_and_when_failed(
    rig_factory: RigFactory, tmp_path: Path
) -> None:
    source = transcode_media.vp9_webm(tmp_path)
    async with rig_factory(worker_in_process=True, **fast_transcoding()) as rig:
        media_id = (await upload_clip(rig, source))["id"]
        first, _ = await wait_for_state(rig, media_id, {"ready", "failed"})
        assert first["processing_state"] == "ready"
        assert (first["package_format"], first["outdated"]) == (PACKAGE_FORMAT, False)
        old = package_keys_of(rig, media_id)[1]

        queued = await retry(rig, media_id)
        assert queued.status_code == 202, queued.text
        item = queued.json()
        assert item["processing_state"] == "queued"
        # It goes on playing the package it has while the new one is made.
        assert (item["playable"], item["has_hls"], item["renditions"]) == (
            True,
            True,
            first["renditions"],
        )
        async with asyncio.timeout(60):
            while (item := (await item_of(rig, media_id)).json())["processing_state"] != "ready":
                assert item["processing_state"] in ("queued", "processing"), item
                assert item["playable"] and item["has_hls"] and item["renditions"], item
                await asyncio.sleep(0.05)
        assert_complete_package(rig, media_id)
        new = package_keys_of(rig, media_id)[1]
        assert not old & new  # written beside the old package, under a name of its own
        assert all(key in under_prefix(rig, media_id) for key in old)  # kept for its viewers

        assert (await retry(rig, media_id)).status_code == 202
        await wait_for_state(rig, media_id, {"ready"}, seconds=60)
        newest = package_keys_of(rig, media_id)[1]
        stored = set(under_prefix(rig, media_id))
        assert new <= stored and newest <= stored and not old & stored  # one package kept

        # A failed item (the dead-letter hook reported it; it has no package any more).
        await fail(rig, media_id, "the worker ran out of memory")
        queued = await retry(rig, media_id)
        assert queued.status_code == 202, queued.text
        item = queued.json()
        assert (item["processing_state"], item["processing_detail"]) == ("queued", None)
        # Within the queue's dedupe window of the earlier jobs: each has an id of its own.
        ready, seen = await wait_for_state(rig, media_id, {"ready", "failed"}, seconds=60)
        assert ready["processing_state"] == "ready", ready["processing_detail"]
        assert seen[-1] == "ready" and ready["playable"] and ready["has_hls"]
        assert_complete_package(rig, media_id)


async def test_an_item_from_before_transcoding_is_outdated_until_transcoded(
    rig_factory: RigFactory, tmp_path: Path
) -> None:
    """An install upgraded from a version without transcoding has items of state ``none``
    served as uploaded: the library lists them as outdated, and they can be transcoded."""
    source = transcode_media.vp9_webm(tmp_path)
    async with rig_factory(worker_in_process=True, **fast_transcoding()) as rig:
        media_id = str(uuid.uuid4())
        key = f"{media_id}.webm"  # an item names its own objects
        media = rig.client.app.state.backends.objects(rig.settings.media_bucket)
        await media.write(key, single_chunk(source.read_bytes()))
        fields = {"title": "From before", "s3_key": key, "content_type": "video/webm"}
        body = {**fields, "id": media_id, "size_bytes": source.stat().st_size}
        body |= {"video_codec": "vp9", "width": 320, "height": 240, "playable": False}
        created = await rig.client.post(f"{CATALOGUE}/", json=body, headers=rig.admin())
        assert created.status_code == 201, created.text
        listed = await rig.client.get(
            f"{CATALOGUE}/",
            params={"processing": "outdated", "status": "all"},
            headers=rig.admin(),
        )
        assert [i["id"] for i in listed.json()["items"]] == [media_id]

        queued = await retry(rig, media_id)
        assert queued.status_code == 202, queued.text
        assert (queued.json()["processing_state"], queued.json()["outdated"]) == ("queued", False)
        ready, _ = await wait_for_state(rig, media_id, {"ready", "failed"}, seconds=60)
        assert ready["processing_state"] == "ready", ready["processing_detail"]
        assert (ready["playable"], ready["package_format"], ready["outdated"]) == (
            True,
            PACKAGE_FORMAT,
            False,
        )
        assert_complete_package(rig, media_id)


@pytest.mark.parametrize("backend_kind", ["embedded"], indirect=True)
async def test_a_retry_is_refused_for_what_cannot_be_retried(
    rig_factory: RigFactory, tmp_path: Path
) -> None:
    source = transcode_media.vp9_webm(tmp_path)
    async with rig_factory(**fast_transcoding()) as rig:  # no worker: each retry stays queued
        media_id = (await upload_clip(rig, source))["id"]
        assert (await retry(rig, media_id)).json()["code"] == "in_progress"  # queued
        await fail(rig, media_id, "took longer than the limit")
        missing = "00000000-0000-4000-8000-000000000000"
        for path_id, headers, status in (
            (media_id, {}, 401),
            (media_id, rig.viewer(), 403),
            (missing, None, 404),
            ("not-a-uuid", None, 404),
        ):
            assert (await retry(rig, path_id, headers)).status_code == status
        assert (await item_of(rig, media_id)).json()["processing_state"] == "failed"

        # Two admins at once: one job is queued, the other hears why not.
        answers = await asyncio.gather(retry(rig, media_id), retry(rig, media_id))
        assert sorted(r.status_code for r in answers) == [202, 409]
        [lost] = [r.json() for r in answers if r.status_code == 409]
        assert lost["code"] in ("in_progress", "processing_state_changed")
        queue = rig.client.app.state.backends.jobs(rig.settings.transcode_queue)
        backlog = await queue.backlog()
        assert backlog.waiting == 2  # the upload's job and the one retry
        assert (await item_of(rig, media_id)).json()["processing_state"] == "queued"

        # Forced (a job the queue lost): queued again all the same; a confused flag is 400.
        path = f"/api/v1/ingest/items/{media_id}/transcode"
        for flag, status in (("yes-please", 400), ("true", 202)):
            forced = await rig.client.post(path, params={"force": flag}, headers=rig.admin())
            assert forced.status_code == status, forced.text
        assert (await queue.backlog()).waiting == 3
        viewer = await rig.client.post(path, params={"force": "true"}, headers=rig.viewer())
        assert viewer.status_code == 403


# --- the handler itself: redelivery and deletion --------------------------------------------


@contextlib.asynccontextmanager
async def handler_rig(
    settings: Settings, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[Rig, TranscodeHandler]]:
    """An app without in-process workers, and a transcode handler wired to it as a worker's."""
    s3 = request.getfixturevalue("s3_client") if settings.s3_endpoint_url else None
    async with running_app(settings) as client:
        handler = TranscodeHandler(
            client.app.state.backends.objects(settings.media_bucket),
            CatalogueClient(InProcessTransport(client.app.state.operations)),
            WorkerLimits(
                encoding=TranscodeOptions(preset="ultrafast", segment_seconds=1.0),
                progress_interval=0.2,
            ),
        )
        yield Rig(settings, client, s3), handler


async def upload_clip(rig: Rig, source: Path) -> dict[str, Any]:
    """Upload ``source`` as ``clip.webm``; the registered item."""
    uploaded = await rig.upload(source.read_bytes(), filename="clip.webm")
    item: dict[str, Any] = uploaded.json()
    return item


def job_for(item: dict[str, Any]) -> Job:
    """The job ingest enqueued for ``item``."""
    request = TranscodeRequest(
        item["id"], item["s3_key"], "matroska", item["width"], item["height"]
    )
    return Job(id=item["id"], kind=TRANSCODE_KIND, payload=msgspec.json.encode(request))


async def transcoded_by(handler: TranscodeHandler, rig: Rig, tmp_path: Path) -> dict[str, Any]:
    """A WebM clip uploaded and its job run once by ``handler``; the item as uploaded."""
    item = await upload_clip(rig, transcode_media.vp9_webm(tmp_path))
    await handler(job_for(item))
    return item


async def test_a_redelivered_job_overwrites_its_keys_and_drops_stale_ones(
    settings_factory: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    async with handler_rig(settings_factory(), request) as (rig, handler):
        item = await transcoded_by(handler, rig, tmp_path)
        media_id = item["id"]
        first = set(under_prefix(rig, media_id))
        # An earlier attempt of another shape: a rung this package does not have.
        stale = f"{media_id}/hls/720p/index.m3u8"
        await handler.media.write(stale, _one(b"#EXTM3U\n"))
        manifest = f"{media_id}/{MANIFEST_NAME}"
        await handler.media.write(
            manifest, _one(msgspec.json.encode([*sorted(first - {manifest}), stale]))
        )

        await handler(job_for(item))  # delivered again

        assert set(under_prefix(rig, media_id)) == first
        ready = (await item_of(rig, media_id)).json()
        assert ready["processing_state"] == "ready"
        assert_complete_package(rig, media_id)


async def test_a_failed_transcode_again_leaves_the_item_playing_its_package(
    settings_factory: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    async with handler_rig(settings_factory(), request) as (rig, handler):
        item = await transcoded_by(handler, rig, tmp_path)
        media_id = item["id"]
        live = package_keys_of(rig, media_id)[1]
        assert (await retry(rig, media_id)).status_code == 202
        # Its job was given up on (a dead letter) after part of its upload was recorded.
        refresh = msgspec.structs.replace(
            decode_request(job_for(item)), job_id=repeat_id(media_id), refresh=True
        )
        partial = f"{media_id}/hls/{refresh.package}/240p/init.mp4"
        await handler.media.write(partial, _one(b"partial"))
        manifest_key = f"{media_id}/{MANIFEST_NAME}"
        manifest = decode_manifest(rig.object_bytes("media", manifest_key))
        widened = msgspec.structs.replace(manifest, keys=[*manifest.keys, partial])
        await handler.media.write(manifest_key, _one(msgspec.json.encode(widened)))
        job = Job(refresh.queue_id, TRANSCODE_KIND, msgspec.json.encode(refresh))

        letter = DeadLetter(job, attempts=3, reason="out of memory", failed_at=time.time())
        await handler.on_dead_letter(letter)

        failed = (await item_of(rig, media_id)).json()
        assert failed["processing_state"] == "failed"
        assert failed["processing_detail"] == "out of memory"
        assert failed["playable"] and failed["has_hls"] and failed["renditions"], failed
        stored = set(under_prefix(rig, media_id))
        assert live <= stored and partial not in stored
        assert_complete_package(rig, media_id)


@pytest.mark.parametrize("backend_kind", ["embedded"], indirect=True)
async def test_the_lowest_rung_is_playable_before_the_whole_ladder_is_done(
    settings_factory: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    source = transcode_media.vp9_webm(tmp_path, audio=None, width=640, height=480)
    async with handler_rig(settings_factory(), request) as (rig, handler):
        item = await upload_clip(rig, source)
        assert not item["playable"]
        job = asyncio.create_task(handler(job_for(item)))
        early: dict[str, Any] = {}
        while not job.done() and not early:
            current = (await item_of(rig, item["id"])).json()
            if current["processing_state"] == "processing" and current["renditions"]:
                early = current
            await asyncio.sleep(0.05)
        await job

        assert early, "the first rung was never published on its own"
        assert early["playable"] and early["has_hls"]
        assert [r["height"] for r in early["renditions"]] == [240]
        ready = (await item_of(rig, item["id"])).json()
        assert [r["height"] for r in ready["renditions"]] == [240, 360, 480]
        master = assert_complete_package(rig, item["id"])
        assert len(master.playlists) == 3


@pytest.mark.parametrize("backend_kind", ["embedded"], indirect=True)
async def test_a_first_transcode_given_up_on_keeps_playing_its_early_lowest_rung(
    settings_factory: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # Viewers watched the lowest rung while the ladder was made; the ladder failed for good
    # (out of memory at a larger rung): the video must not vanish from under them.
    source = transcode_media.vp9_webm(tmp_path, audio=None, width=640, height=480)
    async with handler_rig(settings_factory(), request) as (rig, handler):
        item = await upload_clip(rig, source)
        job = asyncio.create_task(handler(job_for(item)))
        while not (await item_of(rig, item["id"])).json()["renditions"]:
            assert not job.done(), "the first rung was never published on its own"
            await asyncio.sleep(0.05)
        job.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await job
        letter = DeadLetter(job_for(item), attempts=3, reason="out of memory", failed_at=0.0)

        await handler.on_dead_letter(letter)

        failed = (await item_of(rig, item["id"])).json()
        assert (failed["processing_state"], failed["processing_detail"]) == (
            "failed",
            "out of memory",
        )
        assert failed["playable"] and failed["has_hls"], failed
        assert [r["height"] for r in failed["renditions"]] == [240]
        master = assert_complete_package(rig, item["id"])
        assert len(master.playlists) == 1


@pytest.mark.parametrize("backend_kind", ["embedded"], indirect=True)
async def test_a_job_for_a_deleted_item_stops_and_removes_its_outputs(
    settings_factory: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    async with handler_rig(settings_factory(), request) as (rig, handler):
        item = await transcoded_by(handler, rig, tmp_path)
        media_id = item["id"]
        assert under_prefix(rig, media_id)
        deleted = await rig.client.delete(f"{CATALOGUE}/{media_id}", headers=rig.admin())
        assert deleted.status_code == 204, deleted.text

        await handler(job_for(item))  # catalogue answers 404: stop, remove, succeed

        assert under_prefix(rig, media_id) == []


async def test_a_package_made_past_damaged_parts_of_its_original_says_so_to_admins(
    settings_factory: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # It said "ready" as if whole, while the video froze where the original was damaged.
    async with handler_rig(settings_factory(), request) as (rig, handler):
        source = transcode_media.damaged(transcode_media.x264(tmp_path / "clip.mp4"))
        uploaded = await rig.upload(source.read_bytes())
        assert uploaded.status_code == 201, uploaded.text
        item = uploaded.json()
        request_ = TranscodeRequest(
            item["id"], item["s3_key"], "mov", item["width"], item["height"]
        )
        await handler(
            Job(id=item["id"], kind=TRANSCODE_KIND, payload=msgspec.json.encode(request_))
        )
        shown = (await item_of(rig, item["id"])).json()
        assert shown["processing_state"] == "ready"
        assert re.fullmatch(
            r"\d+ damaged parts? of the original skipped: it may freeze or break up there, as "
            r"the original does(; [0-9.]+ s of the original's sound could not be read: silent "
            r"there)?",
            shown["processing_detail"],
        )
        clean = await transcoded_by(handler, rig, tmp_path)
        assert (await item_of(rig, clean["id"])).json()["processing_detail"] is None


async def test_a_package_its_original_ends_early_for_says_how_long_it_is(
    settings_factory: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # Half of it was lost where the demuxer could not read past damage, said nowhere.
    async with handler_rig(settings_factory(), request) as (rig, handler):
        item = await upload_clip(rig, transcode_media.damaged(transcode_media.vp9_webm(tmp_path)))
        await handler(job_for(item))
        shown = (await item_of(rig, item["id"])).json()
        assert shown["processing_state"] == "ready"
        played = f"{shown['duration_seconds']:.1f}"
        assert shown["processing_detail"] == (
            f"the original could not be read past {played} s of the 3.0 s it says it lasts: "
            "the video ends there"
        )
        assert shown["duration_seconds"] < 2


async def test_a_job_held_through_an_outage_after_publishing_sends_only_its_report(
    settings_factory: Any,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Its worker runs it again once catalogue is back: a film was encoded again for hours.
    async with handler_rig(settings_factory(), request) as (rig, handler):
        item = await upload_clip(rig, transcode_media.vp9_webm(tmp_path))
        update_processing = handler.catalogue.update_processing

        async def down_for_ready(update: ProcessingUpdate) -> Any:
            if update.state == "ready":
                raise ServiceUnavailable("the catalogue service is unreachable")
            return await update_processing(update)

        monkeypatch.setattr(handler.catalogue, "update_processing", down_for_ready)
        recorder = structlog.testing.CapturingLogger()
        monkeypatch.setattr(ingest_jobs, "log", recorder)
        with pytest.raises(ServiceUnavailable):
            await handler(job_for(item))
        with pytest.raises(ServiceUnavailable):  # the worker's retries while it is away
            await handler(job_for(item))
        packaged = set(under_prefix(rig, item["id"]))
        monkeypatch.setattr(handler.catalogue, "update_processing", update_processing)
        # Run again, it reads no original (gone now) and transcodes nothing: it reports.
        await handler.media.delete(item["s3_key"])
        await handler(job_for(item))
        # Started once: each retry logged "transcode_started" again, read as six restarts.
        events = [call.args[0] for call in recorder.calls]
        assert events.count("transcode_started") == 1, events
        assert events.count("transcode.waiting_for_catalogue") == 2, events

        shown = (await item_of(rig, item["id"])).json()
        assert (shown["processing_state"], shown["has_hls"]) == ("ready", True)
        assert set(under_prefix(rig, item["id"])) == packaged
        assert handler.unreported == {}


async def test_a_job_its_stopping_worker_hands_back_says_it_is_queued_for_a_worker_again(
    settings_factory: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # The item showed the stopped job's "encoding 240p, 360p …" until another worker took it.
    async with handler_rig(settings_factory(), request) as (rig, handler):
        item = await upload_clip(rig, transcode_media.vp9_webm(tmp_path))
        running = asyncio.create_task(handler(job_for(item)))

        async def processing() -> bool:
            shown = (await item_of(rig, item["id"])).json()
            detail = shown["processing_detail"]
            return bool(detail and detail != "queued for a worker")  # a stage begun

        deadline = time.monotonic() + 30
        while not await processing():
            assert time.monotonic() < deadline, "the job never reported progress"
            await asyncio.sleep(0.05)
        running.cancel()  # what a worker's graceful stop does before releasing the job
        with contextlib.suppress(asyncio.CancelledError):
            await running
        shown = (await item_of(rig, item["id"])).json()
        assert (shown["processing_detail"], shown["processing_percent"]) == (
            "queued for a worker",
            0,
        )


async def test_a_progress_report_on_its_way_when_the_work_ends_reaches_catalogue(
    settings_factory: Any,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Cancelled mid-statement, the report cost catalogue a pooled connection.
    async with handler_rig(settings_factory(), request) as (rig, handler):
        item = await upload_clip(rig, transcode_media.vp9_webm(tmp_path))
        run = _JobRun(handler, decode_request(job_for(item)))
        on_its_way = asyncio.Event()
        update_processing = handler.catalogue.update_processing

        async def slow(update: ProcessingUpdate) -> Any:
            on_its_way.set()
            await asyncio.sleep(0.3)
            return await update_processing(update)

        monkeypatch.setattr(handler.catalogue, "update_processing", slow)
        async with run.reporting():
            run.set_progress(42, "encoding 360p")
            await on_its_way.wait()

        fields = (await item_of(rig, item["id"])).json()
        assert (fields["processing_percent"], fields["processing_detail"]) == (
            42,
            "encoding 360p",
        )


@pytest.mark.parametrize("backend_kind", ["embedded"], indirect=True)
async def test_a_failed_attempt_and_the_next_say_so_to_admins(
    rig_factory: RigFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bar stood still through the backoff, then went back to nothing with no word.
    source = transcode_media.vp9_webm(tmp_path)
    transcode = _JobRun.transcode
    runs = 0

    async def crashes_once(run: _JobRun, *args: Any, **kwargs: Any) -> Any:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise RuntimeError("encoder crashed")
        return await transcode(run, *args, **kwargs)

    monkeypatch.setattr(_JobRun, "transcode", crashes_once)
    settings = {"jobs_max_deliver": 3, **fast_transcoding()}
    async with rig_factory(worker_in_process=True, **settings) as rig:
        media_id = (await upload_clip(rig, source))["id"]
        details: list[str | None] = []
        async with asyncio.timeout(90):
            while True:
                item = (await item_of(rig, media_id)).json()
                if not details or details[-1] != item["processing_detail"]:
                    details.append(item["processing_detail"])
                if item["processing_state"] in {"ready", "failed"}:
                    break
                await asyncio.sleep(0.05)

    assert item["processing_state"] == "ready", details
    note = "attempt 1 of 3 failed (RuntimeError: encoder crashed): trying again"
    assert note in details
    after = details[details.index(note) + 1 : -1]
    assert after and all(d and d.endswith("(attempt 2 of 3)") for d in after), details
    assert details[-1] is None


@pytest.mark.parametrize("backend_kind", ["embedded"], indirect=True)
async def test_an_outage_past_its_hold_is_a_failed_attempt_admins_are_told_of(
    settings_factory: Any,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The worker counts an outage held past its bound as the attempt's failure and retries
    # it: the item said nothing of it. Told now, at the run's percent, the first rung playing.
    source = transcode_media.vp9_webm(tmp_path, audio=None, width=640, height=480)
    transcode = _JobRun.transcode

    async def store_away_for_the_ladder(run: _JobRun, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("max_rungs") != 1:
            raise ServiceUnavailable("the object store is unavailable")
        return await transcode(run, *args, **kwargs)

    monkeypatch.setattr(_JobRun, "transcode", store_away_for_the_ladder)
    config = QueueConfig(ack_wait=5.0, max_deliver=3, retry_delays=(60.0,))
    queue = EmbeddedJobQueue(tmp_path / "queue" / "jobs.sqlite3", "media", config)
    async with handler_rig(settings_factory(), request) as (rig, handler):
        item = await upload_clip(rig, source)
        job = job_for(item)
        await queue.enqueue(job.id, job.kind, job.payload)
        worker = JobWorker(
            queue,
            handler,
            on_retry=handler.on_retry,
            on_dead_letter=handler.on_dead_letter,
            outage_hold=0.0,
        )
        assert await worker.run_once()
        shown = (await item_of(rig, item["id"])).json()
    await queue.close()

    assert worker.stats().retried == 1 and handler.failed == {}
    assert (shown["processing_state"], shown["processing_detail"]) == (
        "processing",
        "attempt 1 of 3 failed (ServiceUnavailable: the object store is unavailable): trying again",
    )
    assert shown["processing_percent"] == FIRST_RUNG_PERCENT
    assert shown["playable"] and [r["height"] for r in shown["renditions"]] == [240]


def test_a_malformed_job_is_rejected_without_retries() -> None:
    with pytest.raises(JobRejected, match="malformed"):
        decode_request(Job(id=str(uuid.uuid4()), kind=TRANSCODE_KIND, payload=b"{"))
    with pytest.raises(JobRejected, match="unknown job kind"):
        decode_request(Job(id=str(uuid.uuid4()), kind="thumbnail", payload=b"{}"))


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


# --- the commands --------------------------------------------------------------------------


def test_streamstack_dev_runs_one_transcoding_worker_in_process(tmp_path: Path) -> None:
    # The dev server the e2e tests start, started the same way (and given as long to be
    # ready: under a loaded CI machine start-up took over a minute).
    port = free_port()
    argv = streamstack_command("dev", "--port", str(port), "--data-dir", str(tmp_path / "data"))
    process = ChildProcess("streamstack-dev", argv, clean_environment(), tmp_path / "dev.log")
    process.start()
    try:
        url = f"http://127.0.0.1:{port}"
        process.wait_until(f"{url}/ready")
        checks = httpx.get(f"{url}/ready", timeout=10).json()["checks"]
    finally:
        process.kill()
    assert checks["task:ingest.transcode"] == "ok"
    assert checks["task:ingest.sweeper"] == "ok"
    assert checks["task:ingest.transcode-enqueue"] == "ok"  # the relay of ingest's outbox
    assert checks["jobs:media"] == "ok"


def test_scratch_left_by_a_killed_worker_is_swept_and_live_scratch_is_not(tmp_path: Path) -> None:
    killed, live = ScratchHolder(tmp_path), ScratchHolder(tmp_path)
    killed.kill()
    # Without a lock file (made before there was one): by its age alone.
    stale, fresh, other = tmp_path / "transcode-stale", tmp_path / "transcode-new", tmp_path / "x"
    for directory in (stale, fresh, other):
        (directory / "out").mkdir(parents=True)
    long_ago = time.time() - 10_000
    os.utime(stale, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))
    try:
        assert sweep_scratch(tmp_path, unlocked_seconds=3600) == 2

        assert not killed.scratch.exists() and not stale.exists()
        assert (live.scratch / "source").is_file() and fresh.is_dir() and other.is_dir()
    finally:
        live.kill()
