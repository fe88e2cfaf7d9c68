"""Posters (issue 16.3): a sharper image of the thumbnail's frame for the watch page.

Ingest stores ``<uuid>-poster.jpg`` (at most 1280 px wide, never upscaled) beside the
640 px thumbnail; catalogue names it ``poster_url``; streaming serves it like the thumbnail
(the thumbnail itself when the source was too small for a poster), and deleting the item
deletes it. On both backend kinds, with real uploads.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from pathlib import Path

import av
import ingest_media
import pytest
import transcode_media
from ingest_media import decoded_size, mean_luma
from ingest_rig import Rig, RigFactory

from support.waiting import eventually

CATALOGUE = "/api/v1/catalogue"
THUMBNAILS = "/api/v1/stream/thumbnails"


async def upload_clip(rig: Rig, width: int, height: int) -> dict[str, object]:
    """A one-frame H.264 clip of ``width`` x ``height``, uploaded and registered."""
    data = ingest_media.encode(audio=None, frames=1, width=width, height=height)
    response = await rig.upload(data, fields={"title": f"{width}x{height}"})
    assert response.status_code == 201, response.text
    item: dict[str, object] = response.json()
    return item


@pytest.mark.parametrize(
    ("source", "thumbnail", "poster"),
    [
        ((1920, 1080), (640, 360), (1280, 720)),
        # Portrait: the poster keeps the whole 1080 px width (it fits the 1280 px box).
        ((1080, 1920), (640, 1138), (1080, 1920)),
    ],
)
async def test_a_large_source_gets_a_thumbnail_and_a_sharper_poster(
    rig: Rig,
    source: tuple[int, int],
    thumbnail: tuple[int, int],
    poster: tuple[int, int],
) -> None:
    before = await rig.snapshot()
    item = await upload_clip(rig, *source)
    media_id = item["id"]

    assert item["thumbnail_url"] == f"{THUMBNAILS}/{media_id}.jpg"
    assert item["poster_url"] == f"{THUMBNAILS}/{media_id}-poster.jpg"
    added = await rig.added_since(before)
    assert added["thumbnails"] == [f"{media_id}-poster.jpg", f"{media_id}.jpg"]
    small = rig.object_bytes("thumbnails", f"{media_id}.jpg")
    large = rig.object_bytes("thumbnails", f"{media_id}-poster.jpg")
    assert decoded_size(small) == thumbnail
    assert decoded_size(large) == poster
    assert mean_luma(large) == pytest.approx(mean_luma(small), abs=3)

    served = await rig.client.get(str(item["poster_url"]))
    assert served.status_code == 200
    assert served.content == large
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["cache-control"] == "public, max-age=300, must-revalidate"
    assert served.headers["x-content-type-options"] == "nosniff"
    etag = served.headers["etag"]
    again = await rig.client.get(str(item["poster_url"]), headers={"If-None-Match": etag})
    assert (again.status_code, again.content) == (304, b"")
    head = await rig.client.head(str(item["poster_url"]))
    assert (head.status_code, head.headers["content-length"]) == (200, str(len(large)))
    # The catalogue's own answer names the poster too (lists and the item page alike).
    listed = await rig.client.get(f"{CATALOGUE}/{media_id}", headers=rig.admin())
    assert listed.json()["poster_url"] == item["poster_url"]


def luma_at(jpeg: bytes, x: int, y: int) -> int:
    """The brightness of one pixel of a JPEG."""
    with av.open(io.BytesIO(jpeg)) as image:
        frame = next(image.decode(video=0)).reformat(format="gray")
        return bytes(frame.planes[0])[y * frame.planes[0].line_size + x]


@pytest.mark.parametrize(
    ("make", "shown"),
    [
        # Coded 320x240 with a display matrix of -90 degrees, as a phone held upright stores it.
        (transcode_media.portrait_mp4, (240, 320)),
        # 352x288 with 16:11 pixels (DVD, DV): 512x288 on a screen.
        (transcode_media.sar_mkv, (512, 288)),
    ],
)
async def test_a_thumbnail_shows_the_picture_as_a_viewer_sees_it(
    rig: Rig, tmp_path: Path, make: Callable[[Path], Path], shown: tuple[int, int]
) -> None:
    source = make(tmp_path)
    response = await rig.upload(source.read_bytes(), filename=source.name)
    assert response.status_code == 201, response.text
    item = response.json()

    assert (item["width"], item["height"]) == shown
    thumbnail = rig.object_bytes("thumbnails", f"{item['id']}.jpg")
    assert decoded_size(thumbnail) == shown
    if shown == (240, 320):
        # The coded picture's bright top-left quadrant, turned a quarter clockwise: top right.
        assert luma_at(thumbnail, 180, 60) > 200
        assert luma_at(thumbnail, 60, 60) < 180
        assert luma_at(thumbnail, 180, 260) < 180


@pytest.mark.parametrize("transfer", [16, 18], ids=["pq", "hlg"])
async def test_an_hdr_clips_thumbnail_is_mapped_to_sdr_as_its_ladder_is(
    rig: Rig, tmp_path: Path, transfer: int
) -> None:
    # A phone's HDR clip, all HDR reference white: white on a screen, as in the ladder.
    source = transcode_media.hdr_mkv(tmp_path, transfer)
    response = await rig.upload(source.read_bytes(), filename=source.name)
    assert response.status_code == 201, response.text
    thumbnail = rig.object_bytes("thumbnails", f"{response.json()['id']}.jpg")

    # Read as plain BT.709 the white would be about 148 (PQ) or 191 (HLG) of 255.
    assert luma_at(thumbnail, 160, 120) >= 230
    with av.open(io.BytesIO(thumbnail)) as image:
        frame = next(image.decode(video=0))
    chroma = [bytes(plane)[plane.line_size * 60 + 80] for plane in frame.planes[1:]]
    assert all(abs(value - 128) <= 3 for value in chroma)  # still grey: no colour cast


async def test_a_small_source_is_never_upscaled_its_poster_url_serves_the_thumbnail(
    rig: Rig,
) -> None:
    before = await rig.snapshot()
    item = await upload_clip(rig, 320, 240)
    media_id = item["id"]

    added = await rig.added_since(before)
    assert added["thumbnails"] == [f"{media_id}.jpg"]  # a poster would only be a copy
    small = rig.object_bytes("thumbnails", f"{media_id}.jpg")
    assert decoded_size(small) == (320, 240)
    served = await rig.client.get(str(item["poster_url"]))
    assert served.status_code == 200
    assert served.content == small
    assert served.headers["content-type"] == "image/jpeg"


@pytest.mark.parametrize(
    "name",
    [
        "{id}-poster.png",
        "{id}-poster-poster.jpg",
        "{id}-Poster.jpg",
        "{id}-large.jpg",
        "..%2F{id}-poster.jpg",
        "{id}-poster.jpg%00",
        "-poster.jpg",
    ],
)
async def test_other_names_are_404_in_the_error_shape(rig: Rig, name: str) -> None:
    response = await rig.client.get(f"{THUMBNAILS}/{name.format(id=uuid.uuid4())}")

    assert response.status_code == 404, response.text
    body = response.json()
    assert body["code"] in ("thumbnail_not_found", "not_found")
    assert set(body) == {"status", "code", "detail", "request_id"}


async def test_an_unknown_item_has_no_poster(rig: Rig) -> None:
    response = await rig.client.get(f"{THUMBNAILS}/{uuid.uuid4()}-poster.jpg")

    assert response.status_code == 404
    assert response.json()["code"] == "thumbnail_not_found"


async def test_deleting_the_item_deletes_its_poster(rig_factory: RigFactory) -> None:
    # A queue of this test's own: the session's NATS server is shared.
    async with rig_factory(transcode_queue=f"media-{uuid.uuid4().hex[:12]}") as rig:
        item = await upload_clip(rig, 1280, 960)
        media_id = item["id"]
        keys = {f"{media_id}.jpg", f"{media_id}-poster.jpg"}
        assert keys <= set(rig.stored()["thumbnails"])

        deleted = await rig.client.delete(f"{CATALOGUE}/{media_id}", headers=rig.admin())
        assert deleted.status_code == 204, deleted.text

        await eventually(
            lambda: not keys & set(rig.stored()["thumbnails"]),
            "the thumbnail and the poster deleted",
            seconds=30,
        )
        for url in (item["thumbnail_url"], item["poster_url"]):
            assert (await rig.client.get(str(url))).status_code == 404
