"""An item's thumbnail from an image, and back to the automatic one.

``PUT /api/v1/ingest/items/{id}/thumbnail/image``: the body is a JPEG, PNG or WebP an admin
sends; it is decoded in the probe's sandbox and made into the thumbnail and poster, of the
sizes a frame's are, under the same keys, with a new version in their URLs.
``DELETE /api/v1/ingest/items/{id}/thumbnail``: the stills made again as processing made
them. What an attacker or a confused client sends (no image, an SVG, an animation, a
decompression bomb, a file cut short, too many bytes, the wrong type or token) is refused
with a 4xx JSON error and leaves the stills as they were. On both backend kinds.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import ingest_media
import pytest
from ingest_media import corner_luma, decoded_size, logo_image, mean_luma, still_image
from ingest_rig import Rig, shown
from test_ingest_thumbnail_choice import FPS, luma_of_frame_at, upload

from streamstack.contracts.limits import STILL_IMAGE_MAX_BYTES, STILL_IMAGE_MAX_SIDE

INGEST = "/api/v1/ingest"
#: What a flat grey of luma 200 (full range, as the test images are made) reads as in the
#: stills' JPEGs.
GREY = 200


@pytest.fixture(scope="module")
async def clip(rig: Rig) -> dict[str, Any]:
    """A 4 s clip whose frames each have their own brightness, 1280x720 (so a poster)."""
    data = ingest_media.encode(audio=None, seconds=4.0, fps=FPS, width=1280, height=720)
    return await upload(rig, data, "Frames and images")


def stills(rig: Rig, media_id: str) -> tuple[bytes, bytes | None]:
    """The item's thumbnail and poster (None: a picture within the thumbnail's size has
    none, and the poster's URL serves the thumbnail)."""
    poster = f"{media_id}-poster.jpg"
    return (
        rig.object_bytes("thumbnails", f"{media_id}.jpg"),
        rig.object_bytes("thumbnails", poster) if poster in rig.stored()["thumbnails"] else None,
    )


def send_image(
    rig: Rig, media_id: str, body: Any, content_type: str | None = "image/png", **kwargs: Any
) -> Any:
    headers = {**kwargs.pop("headers", rig.admin())}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return rig.client.put(
        f"{INGEST}/items/{media_id}/thumbnail/image", content=body, headers=headers, **kwargs
    )


def use_automatic(rig: Rig, media_id: str, **kwargs: Any) -> Any:
    headers = kwargs.pop("headers", rig.admin())
    return rig.client.delete(f"{INGEST}/items/{media_id}/thumbnail", headers=headers, **kwargs)


@pytest.mark.parametrize("content_type", ["image/png", "image/jpeg", "image/webp"])
async def test_an_image_becomes_the_thumbnail_and_the_poster(
    rig: Rig, clip: dict[str, Any], content_type: str
) -> None:
    media_id = clip["id"]
    image = still_image(content_type, 1600, 1200, luma=GREY)
    response = await send_image(rig, media_id, image, content_type)

    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["media_id"], answer["source"], answer["at_seconds"]) == (media_id, "image", None)
    thumbnail, poster = stills(rig, media_id)
    assert poster is not None
    # The sizes a frame's stills have: fitted into the thumbnail's and the poster's boxes.
    assert (decoded_size(thumbnail), decoded_size(poster)) == ((640, 480), (1280, 960))
    assert mean_luma(thumbnail) == pytest.approx(GREY, abs=4)
    assert mean_luma(poster) == pytest.approx(GREY, abs=4)
    assert answer["thumbnail_url"].startswith(f"{clip['thumbnail_url']}?v=")
    assert answer["poster_url"].startswith(f"{clip['poster_url']}?v=")
    for url, still in ((answer["thumbnail_url"], thumbnail), (answer["poster_url"], poster)):
        served = await rig.client.get(url)
        assert (served.status_code, served.content) == (200, still)
    item = await shown(rig, media_id)
    assert (item["thumbnail_url"], item["poster_url"]) == (
        answer["thumbnail_url"],
        answer["poster_url"],
    )


async def test_another_image_gives_another_version(rig: Rig, clip: dict[str, Any]) -> None:
    dark = (await send_image(rig, clip["id"], still_image("image/png", luma=40))).json()
    light = (await send_image(rig, clip["id"], still_image("image/png", luma=220))).json()

    assert dark["thumbnail_url"] != light["thumbnail_url"]
    assert mean_luma(stills(rig, clip["id"])[0]) == pytest.approx(220, abs=4)


async def test_an_image_smaller_than_the_poster_leaves_no_old_poster(
    rig: Rig, clip: dict[str, Any]
) -> None:
    """A picture that fits in the thumbnail's box has no poster: the poster's URL serves the
    thumbnail (streaming's fallback), never the larger one of the frame before."""
    response = await send_image(rig, clip["id"], still_image("image/jpeg", 320, 240, luma=90))

    assert response.status_code == 200, response.text
    thumbnail = rig.object_bytes("thumbnails", f"{clip['id']}.jpg")
    assert decoded_size(thumbnail) == (320, 240)
    assert f"{clip['id']}-poster.jpg" not in rig.stored()["thumbnails"]
    served = await rig.client.get(response.json()["poster_url"])
    assert (served.status_code, served.content) == (200, thumbnail)


async def test_a_photo_is_turned_as_its_exif_orientation_says(
    rig: Rig, clip: dict[str, Any]
) -> None:
    sideways = ingest_media.exif_oriented(still_image("image/jpeg", 640, 480), 6)
    response = await send_image(rig, clip["id"], sideways, "image/jpeg")

    assert response.status_code == 200, response.text
    assert decoded_size(stills(rig, clip["id"])[0]) == (480, 640)


@pytest.mark.parametrize("content_type", ["image/png", "image/webp"])
@pytest.mark.parametrize(("logo", "backdrop"), [(20, 255), (235, 29)])
async def test_a_transparent_logo_is_laid_on_a_backdrop_it_stands_out_on(
    rig: Rig, clip: dict[str, Any], content_type: str, logo: int, backdrop: int
) -> None:
    """A JPEG keeps no transparency: a dark logo is laid on white, a light one on the dark
    theme's thumbnail colour (not black, which hid a dark logo), its own pixels kept."""
    response = await send_image(rig, clip["id"], logo_image(content_type, logo), content_type)

    assert response.status_code == 200, response.text
    for still in stills(rig, clip["id"]):
        assert still is not None
        assert corner_luma(still) == pytest.approx(backdrop, abs=6)
        # Half the picture is the logo, half the backdrop.
        assert mean_luma(still) == pytest.approx((logo + backdrop * 3) / 4, abs=6)


async def test_back_to_the_automatic_frame(rig: Rig, clip: dict[str, Any]) -> None:
    image = (await send_image(rig, clip["id"], still_image("image/png", luma=GREY))).json()
    response = await use_automatic(rig, clip["id"])

    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["source"], answer["at_seconds"]) == ("automatic", None)
    assert answer["thumbnail_url"] != image["thumbnail_url"]
    thumbnail, poster = stills(rig, clip["id"])
    assert poster is not None
    # Processing's moment: 1 s into a longer video.
    assert (decoded_size(thumbnail), decoded_size(poster)) == ((640, 360), (1280, 720))
    assert mean_luma(thumbnail) == pytest.approx(luma_of_frame_at(1.0), abs=4)
    assert (await shown(rig, clip["id"]))["thumbnail_url"] == answer["thumbnail_url"]


def cut_short(content_type: str) -> bytes:
    image = still_image(content_type, 640, 480, noise=True)
    return image[: len(image) // 2]


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><rect/></svg>'
GIF = b"GIF89a" + bytes(64)


@pytest.mark.parametrize(
    ("make_body", "content_type", "status", "code"),
    [
        (lambda: b"", "image/png", 422, "not_an_image"),
        (lambda: b"hello, this is text", "image/png", 422, "not_an_image"),
        (ingest_media.random_bytes, "image/jpeg", 422, "not_an_image"),
        (ingest_media.mp4, "image/png", 422, "not_an_image"),
        (lambda: SVG, "image/png", 422, "not_an_image"),
        (lambda: SVG, "image/svg+xml", 415, "unsupported_media_type"),
        (lambda: GIF, "image/gif", 415, "unsupported_media_type"),
        (lambda: still_image("image/png"), "text/plain", 415, "unsupported_media_type"),
        (lambda: still_image("image/png"), "application/json", 415, "unsupported_media_type"),
        (lambda: still_image("image/png"), None, 415, "unsupported_media_type"),
        (ingest_media.animated_png, "image/png", 422, "animated_image"),
        (ingest_media.animated_webp, "image/webp", 422, "animated_image"),
        (ingest_media.png_bomb, "image/png", 422, "image_size"),
        (lambda: still_image("image/png", 8, 8), "image/png", 422, "image_size"),
        (lambda: cut_short("image/png"), "image/png", 422, "image_unreadable"),
        (lambda: cut_short("image/jpeg"), "image/jpeg", 422, "image_unreadable"),
        (lambda: cut_short("image/webp"), "image/webp", 422, "image_unreadable"),
        (lambda: still_image("image/png")[:30], "image/png", 422, "image_unreadable"),
        (lambda: b"\xff\xd8\xff\xe0" + bytes(16), "image/jpeg", 422, "not_an_image"),
    ],
    ids=[
        "empty",
        "text",
        "random",
        "video",
        "svg-as-png",
        "svg",
        "gif",
        "text-type",
        "json-type",
        "no-type",
        "apng",
        "animated-webp",
        "bomb",
        "tiny",
        "png-cut",
        "jpeg-cut",
        "webp-cut",
        "png-header-only",
        "jpeg-no-frame",
    ],
)
async def test_what_is_no_still_image_is_refused_and_changes_nothing(
    rig: Rig,
    clip: dict[str, Any],
    make_body: Any,
    content_type: str | None,
    status: int,
    code: str,
) -> None:
    before, item = stills(rig, clip["id"]), await shown(rig, clip["id"])
    response = await send_image(rig, clip["id"], make_body(), content_type)

    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert response.json()["detail"]
    assert stills(rig, clip["id"]) == before
    assert (await shown(rig, clip["id"]))["thumbnail_url"] == item["thumbnail_url"]


async def test_the_bomb_is_refused_by_its_header_with_its_size(
    rig: Rig, clip: dict[str, Any]
) -> None:
    response = await send_image(rig, clip["id"], ingest_media.png_bomb())

    assert response.json()["detail"] == (
        f"the image is 30000x30000 pixels: a thumbnail's image has 16 to {STILL_IMAGE_MAX_SIDE} "
        "pixels a side"
    )


async def chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize("announced", [True, False])
async def test_too_many_bytes_are_refused(rig: Rig, clip: dict[str, Any], announced: bool) -> None:
    """Refused by its Content-Length before a byte is read, or as it arrives without one."""
    before = stills(rig, clip["id"])
    image = still_image("image/png")
    body = ingest_media.padded(image, STILL_IMAGE_MAX_BYTES + 1)
    response = await send_image(rig, clip["id"], body if announced else chunks(body, 1024 * 1024))

    assert (response.status_code, response.json()["code"]) == (413, "image_too_large")
    assert stills(rig, clip["id"]) == before


async def test_only_an_admin_changes_the_thumbnail(rig: Rig, clip: dict[str, Any]) -> None:
    before = stills(rig, clip["id"])
    image = still_image("image/png")
    revoked = await rig.revoked_admin()
    answers = [
        await send_image(rig, clip["id"], image, headers=rig.viewer()),
        await send_image(rig, clip["id"], image, headers={}),
        await send_image(rig, clip["id"], image, headers=revoked),
        await use_automatic(rig, clip["id"], headers=rig.viewer()),
        await use_automatic(rig, clip["id"], headers={}),
        await use_automatic(rig, clip["id"], headers=revoked),
    ]

    assert [answer.status_code for answer in answers] == [403, 401, 401] * 2
    assert answers[2].json()["code"] == answers[5].json()["code"] == "token_revoked"
    assert stills(rig, clip["id"]) == before


async def test_an_unknown_item_is_not_found_and_nothing_is_stored(rig: Rig) -> None:
    before = await rig.snapshot()
    unknown = str(uuid.uuid4())
    image = await send_image(rig, unknown, still_image("image/png"))
    automatic = await use_automatic(rig, unknown)

    assert (image.status_code, image.json()["code"]) == (404, "not_found")
    assert (automatic.status_code, automatic.json()["code"]) == (404, "not_found")
    assert not any((await rig.added_since(before)).values())


async def test_a_sound_without_a_cover_takes_an_image_and_goes_back_to_none(rig: Rig) -> None:
    """A podcast's episode (a sound file with no cover) shows an image an admin gives it;
    its automatic thumbnail is none again, its stills' objects gone."""
    item = await upload(rig, ingest_media.sound("mp3", "libmp3lame"), "An episode, no cover")
    assert item["thumbnail_url"] is None
    before = await rig.snapshot()
    nothing = await use_automatic(rig, item["id"])
    assert (nothing.status_code, nothing.json()["code"]) == (409, "no_picture")
    assert not any((await rig.added_since(before)).values())

    image = await send_image(rig, item["id"], still_image("image/png", 1600, 1200, luma=GREY))

    assert image.status_code == 200, image.text
    answer = image.json()
    assert answer["thumbnail_url"].startswith(f"/api/v1/stream/thumbnails/{item['id']}.jpg?v=")
    after = await shown(rig, item["id"])
    assert (after["thumbnail_url"], after["poster_url"]) == (
        answer["thumbnail_url"],
        answer["poster_url"],
    )
    served = await rig.client.get(answer["poster_url"])
    assert served.status_code == 200
    assert (decoded_size(served.content), mean_luma(served.content)) == (
        (1280, 960),
        pytest.approx(GREY, abs=4),
    )

    automatic = await use_automatic(rig, item["id"])

    assert automatic.status_code == 200, automatic.text
    assert (automatic.json()["thumbnail_url"], automatic.json()["poster_url"]) == (None, None)
    assert (await shown(rig, item["id"]))["thumbnail_url"] is None
    assert not {f"{item['id']}.jpg", f"{item['id']}-poster.jpg"} & set(rig.stored()["thumbnails"])


async def test_a_sound_with_a_cover_takes_an_image_and_gets_its_cover_back(rig: Rig) -> None:
    song = ingest_media.id3_tagged(ingest_media.sound("mp3", "libmp3lame"))
    item = await upload(rig, song, "A song with a cover")
    cover = rig.object_bytes("thumbnails", f"{item['id']}.jpg")

    image = await send_image(rig, item["id"], still_image("image/webp", luma=GREY))
    assert image.status_code == 200, image.text
    assert mean_luma(rig.object_bytes("thumbnails", f"{item['id']}.jpg")) == pytest.approx(
        GREY, abs=4
    )
    automatic = await use_automatic(rig, item["id"])
    assert automatic.status_code == 200, automatic.text
    assert rig.object_bytes("thumbnails", f"{item['id']}.jpg") == cover
