"""A still is the picture a player shows at its moment, deinterlaced as playback is.

The thumbnail (at 1 s) and a moment an admin chooses show the last frame whose time is not
after the moment: in an MPEG transport or program stream too (a seek there lands by
timestamps, mid-GOP, and the decoder shows nothing until the next key frame), and in a
variable-rate screen recording whose picture holds still for seconds. An interlaced
picture is deinterlaced, not woven with combed edges. On both backend kinds, with real
uploads of files made with PyAV.
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import Any

import av
import pytest
import transcode_media
from ingest_media import mean_luma
from ingest_rig import Rig
from transcode_media import flat_luma, flat_picture

INGEST = "/api/v1/ingest"
FPS = 25


def shown_luma(index: int) -> float:
    """The brightness flat picture ``index`` has in a JPEG (full range, not studio)."""
    return shown_luma_of(flat_luma(index))


def shown_luma_of(studio: int) -> float:
    """The brightness a studio-range grey has in a JPEG (full range)."""
    return (studio - 16) * 255 / 219


async def upload(rig: Rig, source: Path) -> dict[str, Any]:
    response = await rig.upload(source.read_bytes(), filename=source.name)
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()
    return item


def thumbnail(rig: Rig, item: dict[str, Any]) -> bytes:
    return rig.object_bytes("thumbnails", f"{item['id']}.jpg")


@pytest.mark.parametrize(
    ("name", "container"),
    [("camcorder.ts", "mpegts"), ("dvd.mpg", "vob")],
    ids=["transport", "program"],
)
async def test_an_mpeg_streams_stills_are_the_frames_at_their_moments(
    rig: Rig, tmp_path: Path, name: str, container: str
) -> None:
    # MPEG-2 in groups of 12 pictures with B-frames, as camcorders and DVDs have it; each
    # picture a grey of its own (kept exact by the bit rate, and not a scene cut that
    # would start a group of its own).
    source = transcode_media.write(
        tmp_path / name,
        container=container,
        video="mpeg2video",
        audio=None,
        seconds=4.0,
        fps=FPS,
        video_options={"g": "12", "bf": "2", "b": "4M", "sc_threshold": "1000000000"},
        draw=flat_picture,
    )
    item = await upload(rig, source)

    # The seek landed past 1 s; the thumbnail was the picture at 1.2 s or later.
    assert mean_luma(thumbnail(rig, item)) == pytest.approx(shown_luma(1 * FPS), abs=4)
    chosen = await rig.client.put(
        f"{INGEST}/items/{item['id']}/thumbnail", json={"at_seconds": 2.0}, headers=rig.admin()
    )
    assert chosen.status_code == 200, chosen.text
    assert mean_luma(thumbnail(rig, item)) == pytest.approx(shown_luma(2 * FPS), abs=4)


def grey_per_second(index: int, width: int, height: int) -> av.VideoFrame:
    """A flat grey that changes every second (:func:`second_luma`), at FPS pictures a second."""
    frame = flat_picture(0, width, height)
    frame.planes[0].update(bytes([second_luma(index // FPS)]) * frame.planes[0].buffer_size)
    return frame


def second_luma(second: int) -> int:
    """The studio-range grey of :func:`grey_per_second` in second ``second``."""
    return 16 + 40 * second


@pytest.mark.parametrize(
    ("name", "container", "starts_at"),
    [("camcorder.mts", "mpegts", None), ("recorder.ts", "mpegts", 600), ("cut.mp4", "mp4", 10)],
    ids=["transport", "transport-late-clock", "mp4-late-clock"],
)
async def test_an_h264_videos_stills_are_the_frames_at_their_moments_from_its_start(
    rig: Rig, tmp_path: Path, name: str, container: str, starts_at: int | None
) -> None:
    # H.264 with B-frames and one key frame, as an encoder's defaults make a short clip:
    # its key frame decodes before the first time shown, so a seek to its start lands past
    # it. Timestamps start at 1.4 s in any transport stream, later when told.
    options = {"preset": "ultrafast", "bf": "2", "g": "250", "sc_threshold": "0"}
    source = transcode_media.write(
        tmp_path / name,
        container=container,
        video="libx264",
        audio=None,
        seconds=5.0,
        fps=FPS,
        video_options=options,
        draw=grey_per_second,
        starts_at=starts_at,
    )
    item = await upload(rig, source)

    assert mean_luma(thumbnail(rig, item)) == pytest.approx(shown_luma_of(second_luma(1)), abs=4)
    for second in (3, 0):
        chosen = await rig.client.put(
            f"{INGEST}/items/{item['id']}/thumbnail",
            json={"at_seconds": second + 0.5},
            headers=rig.admin(),
        )
        assert chosen.status_code == 200, chosen.text
        expected = shown_luma_of(second_luma(second))
        assert mean_luma(thumbnail(rig, item)) == pytest.approx(expected, abs=4)


async def test_a_still_screen_recordings_thumbnail_is_the_picture_on_screen_at_one_second(
    rig: Rig, tmp_path: Path
) -> None:
    # A screen recorder writes a frame when the screen changes: at 0, 0.27 and 3 s.
    source = transcode_media.x264(
        tmp_path / "screen.mp4", frame_times=[0.0, 0.27, 3.0], audio=None, draw=flat_picture
    )
    item = await upload(rig, source)

    # Not the picture at 3 s, the first at or after 1 s: that one is not on screen yet.
    assert mean_luma(thumbnail(rig, item)) == pytest.approx(shown_luma(1), abs=4)


def luma_rows(jpeg: bytes) -> list[bytes]:
    """A JPEG's brightness, row by row."""
    with av.open(io.BytesIO(jpeg)) as image:
        frame = next(image.decode(video=0)).reformat(format="gray")
    plane = frame.planes[0]
    return [bytes(plane)[y * plane.line_size :][: frame.width] for y in range(frame.height)]


def comb(rows: list[bytes]) -> float:
    """How much the square's rows disagree line to line, at the worst column (0-255)."""
    worst = 0.0
    for x in range(0, len(rows[0]), 2):
        column = [row[x] for row in rows[84:156]]
        worst = max(worst, sum(abs(a - b) for a, b in itertools.pairwise(column)) / len(column))
    return worst


async def test_an_interlaced_pictures_thumbnail_is_deinterlaced_as_playback_is(
    rig: Rig, tmp_path: Path
) -> None:
    source = transcode_media.interlaced_ts(tmp_path)
    with av.open(str(source)) as container:
        coded = next(container.decode(video=0))
    assert coded.interlaced_frame  # the decoder sees fields, as a camcorder's 1080i has them
    item = await upload(rig, source)
    # The rate it plays at (a frame per field), not its coded frames'.
    assert item["fps"] == 2 * transcode_media.FPS

    # Woven, odd and even lines differ by ~190 levels along 8-pixel stripes at the
    # square's edges; deinterlaced, each line comes from one instant and neighbours agree.
    rows = luma_rows(thumbnail(rig, item))
    assert comb(rows) < 40
    # Still the picture, not a blur: the light square on the dark ground.
    assert min(rows[120]) < 40 and max(rows[120]) > 200
