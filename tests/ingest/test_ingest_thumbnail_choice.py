"""Choosing an item's thumbnail: ``PUT /api/v1/ingest/items/{id}/thumbnail``.

An admin names a moment; the thumbnail and poster are made again from the frame there, from
the stored original in the probe's sandbox, under the same keys; the catalogue records their
version, so the item's URLs (and the answer's) change and no browser shows a cached copy. What an attacker or a confused client sends is refused
with a 4xx and leaves the stills as they were. On both backend kinds, with real uploads.
"""

from __future__ import annotations

import uuid
from typing import Any

import ingest_media
import pytest
from ingest_media import decoded_size, mean_luma
from ingest_rig import Rig, replace_original, shown

from streamstack.ingest.probe import MediaProber
from support.waiting import eventually

INGEST = "/api/v1/ingest"
FPS = 25


def luma_of_frame_at(seconds: float) -> float:
    """The brightness the test clip's frame at ``seconds`` has in a JPEG: frame ``i`` is a
    flat picture of studio-range luma ``9 i mod 256``, which JPEG stores in full range."""
    studio = (round(seconds * FPS) * 9) % 256
    return min(255.0, max(0.0, (studio - 16) * 255 / 219))


async def upload(rig: Rig, data: bytes, title: str) -> dict[str, Any]:
    response = await rig.upload(data, fields={"title": title})
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()
    return item


@pytest.fixture(scope="module")
async def clip(rig: Rig) -> dict[str, Any]:
    """A 4 s clip of frames that each have their own brightness, 1280x720 (so a poster)."""
    data = ingest_media.encode(audio=None, seconds=4.0, fps=FPS, width=1280, height=720)
    return await upload(rig, data, "Frames of their own")


def stills(rig: Rig, media_id: str) -> tuple[bytes, bytes]:
    return (
        rig.object_bytes("thumbnails", f"{media_id}.jpg"),
        rig.object_bytes("thumbnails", f"{media_id}-poster.jpg"),
    )


def choose(rig: Rig, media_id: str, body: Any, **kwargs: Any) -> Any:
    return rig.client.put(
        f"{INGEST}/items/{media_id}/thumbnail",
        json=body,
        headers=kwargs.pop("headers", rig.admin()),
        **kwargs,
    )


@pytest.mark.parametrize("moment", [0.2, 3.0])
async def test_the_frame_at_the_moment_becomes_the_thumbnail_and_the_poster(
    rig: Rig, clip: dict[str, Any], moment: float
) -> None:
    media_id = clip["id"]
    response = await choose(rig, media_id, {"at_seconds": moment})

    assert response.status_code == 200, response.text
    answer = response.json()
    thumbnail, poster = stills(rig, media_id)
    assert (decoded_size(thumbnail), decoded_size(poster)) == ((640, 360), (1280, 720))
    assert mean_luma(thumbnail) == pytest.approx(luma_of_frame_at(moment), abs=4)
    assert mean_luma(poster) == pytest.approx(luma_of_frame_at(moment), abs=4)
    # Versioned URLs, for a page that showed the old stills; the plain URLs serve the new
    # ones too.
    assert answer["media_id"] == media_id
    assert answer["at_seconds"] == moment
    assert answer["thumbnail_url"].startswith(f"{clip['thumbnail_url']}?v=")
    assert answer["poster_url"].startswith(f"{clip['poster_url']}?v=")
    for url, image in ((answer["thumbnail_url"], thumbnail), (clip["poster_url"], poster)):
        served = await rig.client.get(url)
        assert (served.status_code, served.content) == (200, image)
    # The catalogue names the versioned URLs now, in the item and in lists: every page
    # loads the new stills rather than a copy its browser cached.
    urls = (answer["thumbnail_url"], answer["poster_url"])
    item = await shown(rig, media_id)
    assert (item["thumbnail_url"], item["poster_url"]) == urls
    listed = await rig.client.get("/api/v1/catalogue/?status=all", headers=rig.admin())
    assert [
        (i["thumbnail_url"], i["poster_url"]) for i in listed.json()["items"] if i["id"] == media_id
    ] == [urls]


async def test_another_moment_gives_another_version(rig: Rig, clip: dict[str, Any]) -> None:
    first = (await choose(rig, clip["id"], {"at_seconds": 0.4})).json()
    second = (await choose(rig, clip["id"], {"at_seconds": 2.4})).json()
    again = (await choose(rig, clip["id"], {"at_seconds": 2.4})).json()

    assert first["thumbnail_url"] != second["thumbnail_url"]
    assert second["thumbnail_url"] == again["thumbnail_url"]


async def test_the_first_and_the_last_moments_have_a_frame(rig: Rig, clip: dict[str, Any]) -> None:
    for moment in (0, 4.0):
        response = await choose(rig, clip["id"], {"at_seconds": moment})
        assert response.status_code == 200, response.text
    # The end has no frame of its own: the last one the decode reached.
    assert mean_luma(stills(rig, clip["id"])[0]) == pytest.approx(luma_of_frame_at(3.96), abs=4)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"at_seconds": -1}, 400, None),
        ({"at_seconds": 10_000_001}, 400, None),
        ({"at_seconds": "soon"}, 400, None),
        ({"at_seconds": None}, 400, None),
        ({}, 400, None),
        ({"at_seconds": 1, "item": "another"}, 400, None),
        ([1], 400, None),
        ({"at_seconds": 4.5}, 422, "past_the_end"),
    ],
)
async def test_a_bad_moment_is_refused_and_changes_nothing(
    rig: Rig, clip: dict[str, Any], body: Any, status: int, code: str | None
) -> None:
    before = stills(rig, clip["id"])
    response = await choose(rig, clip["id"], body)

    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    if code is not None:
        assert response.json()["code"] == code
    assert stills(rig, clip["id"]) == before


@pytest.mark.parametrize("raw", [b"", b"{", b'{"at_seconds": NaN}', b'{"at_seconds": Infinity}'])
async def test_a_body_that_is_not_json_is_refused(
    rig: Rig, clip: dict[str, Any], raw: bytes
) -> None:
    before = stills(rig, clip["id"])
    response = await rig.client.put(
        f"{INGEST}/items/{clip['id']}/thumbnail",
        content=raw,
        headers={**rig.admin(), "Content-Type": "application/json"},
    )

    assert response.status_code == 400, response.text
    assert stills(rig, clip["id"]) == before


async def test_only_an_admin_chooses(rig: Rig, clip: dict[str, Any]) -> None:
    before = stills(rig, clip["id"])
    as_viewer = await choose(rig, clip["id"], {"at_seconds": 1}, headers=rig.viewer())
    anonymous = await choose(rig, clip["id"], {"at_seconds": 1}, headers={})

    assert (as_viewer.status_code, anonymous.status_code) == (403, 401)
    assert stills(rig, clip["id"]) == before


async def test_an_unknown_item_is_not_found_and_nothing_is_stored(rig: Rig) -> None:
    before = await rig.snapshot()
    response = await choose(rig, str(uuid.uuid4()), {"at_seconds": 1})
    malformed = await choose(rig, "not-a-uuid", {"at_seconds": 1})

    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert malformed.status_code == 404
    assert not any((await rig.added_since(before)).values())


async def test_a_sound_has_no_frame_to_choose(rig: Rig) -> None:
    item = await upload(rig, ingest_media.sound("mp3", "libmp3lame"), "A song")
    before = await rig.snapshot()
    response = await choose(rig, item["id"], {"at_seconds": 1})

    assert (response.status_code, response.json()["code"]) == (409, "no_picture")
    assert not any((await rig.added_since(before)).values())


async def test_an_item_deleted_while_its_frame_is_read_keeps_no_stills(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = await upload(rig, ingest_media.mp4(seconds=2.0), "Deleted meanwhile")
    keys = [f"{item['id']}.jpg"]
    probe = MediaProber.probe

    async def deleted_meanwhile(self: MediaProber, *args: Any, **kwargs: Any) -> Any:
        """The real probe, then the item deleted and taken down before the stills are
        written: the worst moment for the take-down to have run."""
        outcome = await probe(self, *args, **kwargs)
        deleted = await rig.client.delete(f"/api/v1/catalogue/{item['id']}", headers=rig.admin())
        assert deleted.status_code == 204
        await eventually(lambda: keys[0] not in rig.stored()["thumbnails"], "the take-down")
        return outcome

    monkeypatch.setattr(MediaProber, "probe", deleted_meanwhile)
    response = await choose(rig, item["id"], {"at_seconds": 1})

    assert response.status_code == 404, response.text
    assert keys[0] not in rig.stored()["thumbnails"]


async def test_an_item_whose_original_is_gone_is_told_so(rig: Rig) -> None:
    item = await upload(rig, ingest_media.mp4(seconds=2.0), "Its file lost")
    thumbnail = f"{item['id']}.jpg"
    before = rig.object_bytes("thumbnails", thumbnail)
    replace_original(rig, item["s3_key"], None)

    response = await choose(rig, item["id"], {"at_seconds": 1})

    assert (response.status_code, response.json()["code"]) == (409, "original_missing")
    assert rig.object_bytes("thumbnails", thumbnail) == before
