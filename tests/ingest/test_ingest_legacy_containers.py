"""Uploads in the older containers no browser plays: an MPEG-2 program stream (a DVD's
``.vob``), Windows Media (``.wmv``), Flash video, an old phone's 3GP (H.263 and AMR sound, in
MP4's container) and AAC in ADTS (bare, and behind an ID3 tag with a cover). Each is accepted by the form upload and by tus, probed in the sandbox,
recorded with its own content type, and transcoded by the app's worker to an HLS package
that plays as long as the file, on both backends.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import ingest_media
import m3u8  # type: ignore[import-untyped]
import pytest
from ingest_rig import Rig, assert_complete_package, fast_transcoding, wait_for_state

#: How long every sample plays (``ingest_media.encode``'s default).
SECONDS = 2.0


@dataclasses.dataclass(frozen=True)
class Sample:
    """A file, and what ingest should make of it."""

    data: bytes
    content_type: str
    extension: str
    codecs: tuple[str | None, str]
    cover: bool = False
    """Its ID3 tag carries a front cover, which becomes the item's still."""
    size: tuple[int, int] = (320, 240)
    """Its picture's width and height as shown (its pixels' aspect applied)."""


def _samples() -> dict[str, Sample]:
    adts = ingest_media.encode(**ingest_media.LEGACY_FILES["aac"])
    return {
        "mpeg2-vob": Sample(
            ingest_media.encode(**ingest_media.LEGACY_FILES["mpegps"]),
            "video/mpeg",
            "mpg",
            ("mpeg2video", "mp2"),
        ),
        "wmv": Sample(
            ingest_media.encode(**ingest_media.LEGACY_FILES["asf"]),
            "video/x-ms-asf",
            "asf",
            ("wmv2", "wmav2"),
        ),
        "flv": Sample(
            ingest_media.encode(**ingest_media.LEGACY_FILES["flv"]),
            "video/x-flv",
            "flv",
            ("flv1", "mp3"),
        ),
        # 3GP is MP4's container: stored and opened as MP4, transcoded for its codecs.
        "3gp": Sample(
            ingest_media.OLD_PHONE_3GP.read_bytes(),
            "video/mp4",
            "mp4",
            ("h263", "amr_nb"),
            # QCIF's 176 x 144 pixels are 12:11 wide (H.263's own aspect): shown 192 x 144.
            size=(192, 144),
        ),
        "aac": Sample(adts, "audio/aac", "aac", (None, "aac")),
        "aac-tagged": Sample(
            ingest_media.id3_tagged(adts), "audio/aac", "aac", (None, "aac"), cover=True
        ),
    }


SAMPLES = _samples()
PATHS = ("form", "tus")


@pytest.fixture(scope="module")
def rig_settings() -> dict[str, Any]:
    """The rig runs a transcoding worker, fast."""
    return {"worker_in_process": True, **fast_transcoding()}


@pytest.fixture(scope="module")
async def uploaded(rig: Rig) -> dict[tuple[str, str], dict[str, Any]]:
    """Every sample uploaded both ways: the item each became, by (sample, path)."""
    items = {}
    for name, sample in SAMPLES.items():
        # The name says nothing: the bytes decide.
        form = await rig.upload(sample.data, filename="upload.bin")
        assert form.status_code == 201, form.text
        items[name, "form"] = form.json()
        url = await rig.tus_upload(sample.data, 64 * 1024)
        items[name, "tus"] = (await rig.job(url.rsplit("/", 1)[-1]))["item"]
    return items


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("name", SAMPLES)
def test_an_older_container_becomes_an_item_waiting_for_its_package(
    uploaded: dict[tuple[str, str], dict[str, Any]], name: str, path: str
) -> None:
    item, sample = uploaded[name, path], SAMPLES[name]
    assert item["content_type"] == sample.content_type
    assert item["s3_key"] == f"{item['id']}.{sample.extension}"
    assert (item["video_codec"], item["audio_codec"]) == sample.codecs
    # ADTS has no length in its headers: the probe's is FFmpeg's estimate, until the package.
    assert item["duration_seconds"] == pytest.approx(SECONDS, abs=0.1)
    # No browser plays the original: the item waits for its package.
    assert (item["processing_state"], item["playable"]) == ("queued", False)
    picture = sample.codecs[0] is not None
    assert (item["width"], item["height"]) == (sample.size if picture else (None, None))
    assert (item["thumbnail_s3_key"] is not None) is (picture or sample.cover)


async def test_each_becomes_a_package_as_long_as_the_file(
    rig: Rig, uploaded: dict[tuple[str, str], dict[str, Any]]
) -> None:
    for (name, path), item in uploaded.items():
        ready, _ = await wait_for_state(rig, item["id"], {"ready", "failed"})

        assert ready["processing_state"] == "ready", (name, path, ready["processing_detail"])
        assert (ready["playable"], ready["has_hls"]) == (True, True)
        picture = SAMPLES[name].codecs[0] is not None
        master = assert_complete_package(rig, item["id"], picture=picture)
        key = f"{item['id']}/hls/{master.playlists[0].uri}"
        played = sum(
            s.duration for s in m3u8.loads(rig.object_bytes("media", key).decode()).segments
        )
        assert played == pytest.approx(SECONDS, abs=0.1), (name, path)
        # The item's length is the package's, not the headers' (an estimate for ADTS).
        assert ready["duration_seconds"] == pytest.approx(played, abs=0.05), (name, path)
