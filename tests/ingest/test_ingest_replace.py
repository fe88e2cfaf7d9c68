"""Replacing an item's video file: a tus upload whose ``Upload-Metadata`` names the item
(``replaces``) becomes its new original.

The item keeps its id, text, status, captions, playlists and views; its facts and automatic
stills come from the new file (an admin's chosen stills stay), its old original is deleted
once the new one is recorded, and a refusal at any point leaves it as it was. On both
backend kinds, with real uploads and a real probe.
"""

from __future__ import annotations

import uuid
from typing import Any

import ingest_media
import m3u8
import msgspec
import pytest
from ingest_rig import (
    API,
    TUS,
    Rig,
    RigFactory,
    fast_transcoding,
    shown,
    tus_metadata,
    wait_for_state,
    write_behind,
    written_back,
)

from streamstack.contracts.catalogue import object_prefix
from streamstack.ingest.outputs import MANIFEST_NAME

CATALOGUE = "/api/v1/catalogue"
VTT = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n"


def replacing(media_id: str) -> str:
    """The ``Upload-Metadata`` of an upload replacing the item's file."""
    return tus_metadata(replaces=media_id, filename="new.mp4")


async def item_at_rest(rig: Rig, seconds: float = 2.0, title: str = "Replace me") -> dict[str, Any]:
    """A published item whose transcoding is over (no worker here: its state written back)."""
    uploaded = await rig.upload(ingest_media.mp4(seconds=seconds), fields={"title": title})
    assert uploaded.status_code == 201, uploaded.text
    media_id = uploaded.json()["id"]
    await written_back(rig, media_id, processing_state="failed", processing_detail="no worker")
    return await shown(rig, media_id)


async def replace(rig: Rig, media_id: str, data: bytes) -> Any:
    """Create an upload replacing the item's file and send ``data`` in one PATCH."""
    created = await rig.create(len(data), metadata=replacing(media_id))
    assert created.status_code == 201, created.text
    return await rig.patch(created.headers["location"], 0, data)


def upload_id_of(response: Any) -> str:
    return str(response.request.url).rstrip("/").rsplit("/", 1)[1]


async def with_caption_and_playlist(rig: Rig, media_id: str) -> str:
    """The item given an uploaded caption track and put in a viewer's playlist (its id)."""
    caption = await rig.client.put(
        f"{API}/items/{media_id}/captions/en",
        content=VTT,
        headers={**rig.admin(), "Content-Type": "text/vtt"},
    )
    assert caption.status_code == 200, caption.text
    playlist = await rig.client.post(
        f"{CATALOGUE}/me/playlists", json={"title": "Keep"}, headers=rig.viewer()
    )
    assert playlist.status_code == 201, playlist.text
    playlist_id = playlist.json()["id"]
    added = await rig.client.put(
        f"{CATALOGUE}/me/playlists/{playlist_id}/items/{media_id}", headers=rig.viewer()
    )
    assert added.status_code in (200, 201), added.text
    return str(playlist_id)


async def test_the_item_keeps_its_id_text_captions_and_playlists_and_takes_the_new_facts(
    rig: Rig,
) -> None:
    before = await item_at_rest(rig, seconds=2.0)
    media_id = before["id"]
    playlist_id = await with_caption_and_playlist(rig, media_id)
    before = await shown(rig, media_id)
    old_stills = rig.object_bytes("thumbnails", f"{media_id}.jpg")
    new = ingest_media.encode(container="matroska", seconds=4.0, width=320, height=180)

    response = await replace(rig, media_id, new)

    assert response.status_code == 204, response.text
    job = await rig.job(upload_id_of(response))
    assert job["state"] == "done", job
    after = await shown(rig, media_id)
    assert job["item"]["id"] == media_id
    assert after["duration_seconds"] == pytest.approx(4.0, abs=0.1)
    assert (after["width"], after["height"]) == (320, 180)
    assert after["content_type"] == "video/x-matroska"
    assert after["size_bytes"] == len(new)
    for kept in ("title", "description", "tags", "status", "created_at", "etag", "captions"):
        assert after[kept] == before[kept], kept
    assert after["captions"][0]["language"] == "en"
    # Its original is stored under its prefix; the old one is gone, the new one is whole.
    assert after["s3_key"].startswith(f"{object_prefix(media_id)}originals/")
    assert before["s3_key"] not in rig.stored()["media"]
    assert rig.object_bytes("media", after["s3_key"]) == new
    # Queued for a package of the new file (nothing played: no package to keep meanwhile).
    assert after["processing_state"] == "queued"
    # Its automatic stills are the new file's, under the same keys, their URLs new.
    assert rig.object_bytes("thumbnails", f"{media_id}.jpg") != old_stills
    assert after["thumbnail_url"] != before["thumbnail_url"]
    # Still in its playlist, which says it cannot be watched until its package is made.
    listed = await rig.client.get(f"{CATALOGUE}/me/playlists/{playlist_id}", headers=rig.viewer())
    assert (listed.json()["items"], listed.json()["unavailable_count"]) == ([], 1)


async def test_viewers_places_are_measured_against_the_new_length(rig: Rig) -> None:
    """A shorter file: a place past its end is its end, watched to the end (not "Resume from
    0:05" on a video of 0:02); a place before its end stays, a fraction of the new length."""
    media_id = (await item_at_rest(rig, seconds=6.0))["id"]
    progress = f"{CATALOGUE}/{media_id}/progress"
    for who, position in ((rig.viewer(), 5.0), (rig.admin(), 0.5)):
        saved = await rig.client.put(progress, json={"position_seconds": position}, headers=who)
        assert saved.status_code == 200, saved.text
        assert saved.json()["completed"] is False

    response = await replace(rig, media_id, ingest_media.mp4(seconds=2.0))

    assert response.status_code == 204, response.text
    assert (await rig.job(upload_id_of(response)))["state"] == "done"
    places = [
        (await rig.client.get(progress, headers=who)).json() for who in (rig.viewer(), rig.admin())
    ]
    length = (await shown(rig, media_id))["duration_seconds"]
    assert length == pytest.approx(2.0, abs=0.1)
    assert [(p["position_seconds"], p["duration_seconds"], p["completed"]) for p in places] == [
        (length, length, True),
        (0.5, length, False),
    ]
    watching = await rig.client.get(f"{CATALOGUE}/me/continue-watching", headers=rig.viewer())
    assert watching.json()["items"] == []


async def test_an_unfinished_replacement_is_listed_by_its_items_title(rig: Rig) -> None:
    media_id = (await item_at_rest(rig, title="Recut me"))["id"]
    data = ingest_media.padded(ingest_media.mp4(), 2 * 1024 * 1024)
    created = await rig.create(len(data), metadata=replacing(media_id))
    assert created.status_code == 201, created.text
    url = created.headers["location"]
    try:
        listed = await rig.client.get(f"{API}/uploads", params={"limit": 100}, headers=rig.admin())
        assert listed.status_code == 200, listed.text
        mine = [u for u in listed.json()["items"] if url.endswith(f"/{u['id']}")]
        assert [(u["title"], u["replaces"]) for u in mine] == [("Recut me", media_id)]
    finally:
        await rig.client.delete(url, headers={**TUS, **rig.admin()})


async def test_a_chosen_thumbnail_is_kept(rig: Rig) -> None:
    before = await item_at_rest(rig, seconds=3.0)
    media_id = before["id"]
    chosen = await rig.client.put(
        f"{API}/items/{media_id}/thumbnail", json={"at_seconds": 2.0}, headers=rig.admin()
    )
    assert chosen.status_code == 200, chosen.text
    before = await shown(rig, media_id)
    assert before["stills_chosen"] is True
    stills = rig.object_bytes("thumbnails", f"{media_id}.jpg")

    response = await replace(rig, media_id, ingest_media.mp4(seconds=2.5))

    assert response.status_code == 204, response.text
    after = await shown(rig, media_id)
    assert after["duration_seconds"] == pytest.approx(2.5, abs=0.1)
    assert rig.object_bytes("thumbnails", f"{media_id}.jpg") == stills
    assert (after["thumbnail_url"], after["stills_chosen"]) == (before["thumbnail_url"], True)
    # Back to the automatic frame, the stills are the file's own again: a next file brings its own.
    automatic = await rig.client.delete(f"{API}/items/{media_id}/thumbnail", headers=rig.admin())
    assert automatic.status_code == 200, automatic.text
    assert (await shown(rig, media_id))["stills_chosen"] is False


async def test_the_answer_names_what_was_made_for_the_old_file(rig: Rig) -> None:
    """Walk 53 F9, said once by the server: a replace's job lists what was made for the old
    file and stays (a chosen thumbnail, uploaded tracks, chapters in the description); the
    SPA and ``streamstack upload --replace`` only word it. Nothing made for it: an empty
    list; a new upload's job has none."""
    plain = await item_at_rest(rig, seconds=3.0)
    media_id = (await item_at_rest(rig, seconds=3.0))["id"]
    for language in ("en", "fr"):
        caption = await rig.client.put(
            f"{API}/items/{media_id}/captions/{language}",
            content=VTT,
            headers={**rig.admin(), "Content-Type": "text/vtt"},
        )
        assert caption.status_code == 200, caption.text
    chosen = await rig.client.put(
        f"{API}/items/{media_id}/thumbnail", json={"at_seconds": 2.0}, headers=rig.admin()
    )
    assert chosen.status_code == 200, chosen.text
    chapters = "0:00 Opening\n0:10 Middle\n0:20 End"
    edited = await rig.client.patch(
        f"{CATALOGUE}/{media_id}", json={"description": chapters}, headers=rig.admin()
    )
    assert edited.status_code == 200, edited.text

    # Long enough for the chapters (each at least 10 s, the last before the end): a few
    # frames a second keep it small.
    replaced = await replace(rig, media_id, ingest_media.encode(seconds=31.0, fps=5))
    nothing = await replace(rig, plain["id"], ingest_media.mp4(seconds=2.5))

    assert (replaced.status_code, nothing.status_code) == (204, 204), replaced.text
    job = await rig.job(upload_id_of(replaced))
    assert job["checks"] == [
        {"kind": "chosen_thumbnail", "count": None},
        {"kind": "uploaded_captions", "count": 2},
        {"kind": "description_chapters", "count": None},
    ], job
    assert (await rig.job(upload_id_of(nothing)))["checks"] == []
    created = await rig.create(16, metadata=tus_metadata(title="New", filename="new.mp4"))
    assert created.status_code == 201, created.text
    new_job = await rig.job(created.headers["location"].rstrip("/").rsplit("/", 1)[1])
    assert new_job["checks"] is None, new_job


async def test_a_sound_that_plays_as_it_is_drops_the_old_package_and_stills(rig: Rig) -> None:
    before = await item_at_rest(rig)
    media_id = before["id"]
    await written_back(rig, media_id, processing_state="ready", has_hls=True, package_format=2)
    package = [f"{media_id}/hls/master.m3u8", f"{media_id}/hls/240p/index.m3u8"]
    for key in package:
        write_behind(rig, key, b"#EXTM3U\n")
    manifest = msgspec.json.encode({"keys": package, "live": package})
    write_behind(rig, f"{media_id}/{MANIFEST_NAME}", manifest)
    new = ingest_media.sound("mp4", "aac")

    response = await replace(rig, media_id, new)

    assert response.status_code == 204, response.text
    after = await shown(rig, media_id)
    assert (after["processing_state"], after["has_hls"], after["playable"]) == ("none", False, True)
    assert (after["video_codec"], after["audio_codec"]) == (None, "aac")
    assert (after["thumbnail_url"], after["thumbnail_s3_key"]) == (None, None)
    assert not {*package, f"{media_id}/{MANIFEST_NAME}"} & set(rig.stored()["media"])
    assert f"{media_id}.jpg" not in rig.stored()["thumbnails"]
    assert rig.object_bytes("media", after["s3_key"]) == new


async def test_a_file_the_probe_refuses_leaves_the_item_as_it_was(rig: Rig) -> None:
    before = await item_at_rest(rig)
    media_id = before["id"]
    original = rig.object_bytes("media", before["s3_key"])
    stored = await rig.snapshot()

    response = await replace(rig, media_id, ingest_media.truncated_mp4())

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "probe_failed"
    job = await rig.job(upload_id_of(response))
    assert (job["state"], job["error"]) == ("failed", response.json()["detail"])
    assert await shown(rig, media_id) == before
    assert rig.object_bytes("media", before["s3_key"]) == original
    await rig.assert_nothing_kept(stored)


async def test_only_an_admin_replaces_a_file(rig: Rig) -> None:
    before = await item_at_rest(rig)
    metadata = replacing(before["id"])

    as_viewer = await rig.create(100, metadata=metadata, headers=rig.viewer())
    anonymous = await rig.create(100, metadata=metadata, headers={"Authorization": ""})
    revoked = await rig.create(100, metadata=metadata, headers=await rig.revoked_admin())

    codes = (as_viewer.status_code, anonymous.status_code, revoked.status_code)
    assert codes == (403, 401, 401)
    assert await shown(rig, before["id"]) == before


async def test_an_unknown_or_malformed_item_is_refused(rig: Rig) -> None:
    unknown = await rig.create(100, metadata=replacing(str(uuid.uuid4())))
    malformed = await rig.create(100, metadata=replacing("not-an-id"))

    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    assert (malformed.status_code, malformed.json()["code"]) == (400, "validation_error")
    assert unknown.headers["tus-resumable"] == "1.0.0"


@pytest.mark.parametrize(("state", "said"), [("queued", "queued"), ("processing", "running")])
async def test_an_item_being_transcoded_is_refused(rig: Rig, state: str, said: str) -> None:
    before = await item_at_rest(rig)
    await written_back(rig, before["id"], processing_state=state)
    before = await shown(rig, before["id"])

    response = await rig.create(100, metadata=replacing(before["id"]))

    assert response.status_code == 409, response.text
    assert response.json()["code"] == "in_progress"
    assert f"transcoding is {said}" in response.json()["detail"]
    assert await shown(rig, before["id"]) == before


async def test_a_second_replacement_at_once_is_refused_until_the_first_is_cancelled(
    rig: Rig,
) -> None:
    before = await item_at_rest(rig)
    metadata = replacing(before["id"])
    first = await rig.create(100, metadata=metadata)
    assert first.status_code == 201, first.text

    second = await rig.create(100, metadata=metadata)

    assert second.status_code == 409, second.text
    assert second.json()["code"] == "replacement_in_progress"
    cancelled = await rig.client.delete(
        first.headers["location"], headers={"Tus-Resumable": "1.0.0", **rig.admin()}
    )
    assert cancelled.status_code == 204, cancelled.text
    third = await rig.create(100, metadata=metadata)
    assert third.status_code == 201, third.text
    assert await shown(rig, before["id"]) == before


async def test_a_file_over_the_limit_is_refused(rig: Rig) -> None:
    before = await item_at_rest(rig)

    response = await rig.create(rig.settings.max_upload_bytes + 1, metadata=replacing(before["id"]))

    assert response.status_code == 413, response.text
    assert response.json()["code"] == "upload_too_large"
    assert await shown(rig, before["id"]) == before
    # Refused, it is no replacement under way: one within the limit may start.
    within = await rig.create(rig.settings.max_upload_bytes, metadata=replacing(before["id"]))
    assert within.status_code == 201, within.text


async def test_a_transcoding_queued_meanwhile_refuses_it_at_the_end(rig: Rig) -> None:
    before = await item_at_rest(rig)
    stored = await rig.snapshot()
    new = ingest_media.mp4(seconds=3.0)
    created = await rig.create(len(new), metadata=replacing(before["id"]))
    assert created.status_code == 201, created.text
    await written_back(rig, before["id"], processing_state="queued")
    before = await shown(rig, before["id"])

    response = await rig.patch(created.headers["location"], 0, new)

    assert response.status_code == 409, response.text
    assert response.json()["code"] == "in_progress"
    assert await shown(rig, before["id"]) == before
    await rig.assert_nothing_kept(stored)


async def test_the_new_file_is_transcoded_while_the_old_package_plays(
    rig_factory: RigFactory,
) -> None:
    async with rig_factory(worker_in_process=True, **fast_transcoding()) as rig:
        uploaded = await rig.upload(ingest_media.mp4(seconds=2.0), fields={"title": "Recut"})
        assert uploaded.status_code == 201, uploaded.text
        media_id = uploaded.json()["id"]
        first, _ = await wait_for_state(rig, media_id, {"ready", "failed"})
        assert first["processing_state"] == "ready", first["processing_detail"]
        playlist_id = await with_caption_and_playlist(rig, media_id)
        viewed = await rig.client.put(
            f"{CATALOGUE}/{media_id}/progress", json={"position_seconds": 1.0}, headers=rig.viewer()
        )
        assert viewed.status_code == 200, viewed.text
        before = await shown(rig, media_id)

        response = await replace(rig, media_id, ingest_media.mp4(seconds=5.0))

        assert response.status_code == 204, response.text
        queued = (await rig.job(upload_id_of(response)))["item"]
        # The old package plays on meanwhile.
        assert (queued["processing_state"], queued["has_hls"], queued["playable"]) == (
            "queued",
            True,
            True,
        )
        ready, _ = await wait_for_state(rig, media_id, {"ready", "failed"})
        assert ready["processing_state"] == "ready", ready["processing_detail"]
        assert ready["duration_seconds"] == pytest.approx(5.0, abs=0.2)
        assert (ready["view_count"], ready["captions"]) == (
            before["view_count"],
            before["captions"],
        )
        assert ready["view_count"] == 1
        # The master plays the new file's package: its rungs last as long as the new file.
        hls = f"{media_id}/hls"
        master = m3u8.loads(rig.object_bytes("media", f"{hls}/master.m3u8").decode())
        rung = m3u8.loads(rig.object_bytes("media", f"{hls}/{master.playlists[0].uri}").decode())
        assert sum(segment.duration for segment in rung.segments) == pytest.approx(5.0, abs=0.2)
        assert ready["s3_key"] != before["s3_key"]
        assert before["s3_key"] not in rig.stored()["media"]
        token = await rig.client.post(f"{CATALOGUE}/{media_id}/stream-token", headers=rig.viewer())
        assert token.status_code in (200, 201), token.text
        listed = await rig.client.get(
            f"{CATALOGUE}/me/playlists/{playlist_id}", headers=rig.viewer()
        )
        assert [item["id"] for item in listed.json()["items"]] == [media_id]
