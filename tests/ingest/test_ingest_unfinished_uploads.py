"""Admins list every uploader's unfinished (tus) uploads, ``GET /api/v1/ingest/uploads``, and
cancel any of them with the tus ``DELETE``, on both backends.

The rig is shared by the tests of this file: they look for their own uploads in the list,
never assume it holds only theirs.
"""

from __future__ import annotations

import asyncio
import datetime
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import ingest_media
import pytest
from ingest_rig import API, TUS, Rig, tus_metadata

MIB = 1024 * 1024
LISTED = f"{API}/uploads"
OTHER_ADMIN = "9a3e2c71-4d5b-4f0e-8c6a-2b1d0e9f8a77"
OCTETS = "application/offset+octet-stream"


def code_of(response: httpx.Response) -> tuple[int, str]:
    """The status and the error code of an error answer."""
    return response.status_code, response.json()["code"]


async def listed(rig: Rig, **params: int) -> dict[str, Any]:
    """One page of the list, as the rig's admin asks for it."""
    response = await rig.client.get(LISTED, params=params, headers=rig.admin())
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def listed_by_id(rig: Rig) -> dict[str, dict[str, Any]]:
    """Every unfinished upload (the rig holds far fewer than a page), by id."""
    page = await listed(rig, limit=100)
    assert len(page["items"]) == page["total"]
    return {upload["id"]: upload for upload in page["items"]}


async def started(rig: Rig, data: bytes, sent: int, user_id: str | None = None, **meta: str) -> str:
    """A tus upload of ``data`` begun by ``user_id`` (the rig's admin), ``sent`` bytes in; its URL."""
    admin = rig.admin(user_id)
    metadata = tus_metadata(**{"title": "A clip", **meta})
    created = await rig.create(len(data), metadata=metadata, headers=admin)
    assert created.status_code == 201, created.text
    url: str = created.headers["location"]
    if sent:
        assert (await rig.patch(url, 0, data[:sent], headers=admin)).status_code == 204
    return url


def id_of(url: str) -> str:
    return url.rsplit("/", 1)[-1]


async def test_every_uploaders_unfinished_uploads_are_listed_with_their_progress(
    rig: Rig,
) -> None:
    data = ingest_media.padded(ingest_media.mp4(), 3 * MIB)
    mine = await started(rig, data, MIB, filename="lake.mp4", title="The lake")
    theirs = await started(rig, data, 0, OTHER_ADMIN, title="Untitled yet")
    finished = await rig.tus_upload(ingest_media.one_frame(), 100_000)

    uploads = await listed_by_id(rig)

    assert id_of(finished) not in uploads
    lake, other = uploads[id_of(mine)], uploads[id_of(theirs)]
    assert {k: lake[k] for k in ("file_name", "title", "offset", "length", "uploader_id")} == {
        "file_name": "lake.mp4",
        "title": "The lake",
        "offset": MIB,
        "length": len(data),
        "uploader_id": rig.admin_id,
    }
    assert (other["file_name"], other["offset"], other["uploader_id"]) == (None, 0, OTHER_ADMIN)
    created, active, expires = (
        datetime.datetime.fromisoformat(lake[k])
        for k in ("created_at", "last_activity_at", "expires_at")
    )
    assert created <= active < expires
    # It expires a TTL after its last bytes came (read a moment before they were saved).
    ttl = datetime.timedelta(seconds=rig.settings.ingest_upload_ttl_seconds)
    assert abs(expires - active - ttl) < datetime.timedelta(seconds=30)
    # The longest idle first: mine was last sent to before theirs began; then it goes on.
    order = list(uploads)
    assert order.index(id_of(mine)) < order.index(id_of(theirs))
    assert (await rig.patch(mine, MIB, data[MIB : 2 * MIB])).status_code == 204
    uploads = await listed_by_id(rig)
    assert uploads[id_of(mine)]["offset"] == 2 * MIB
    assert list(uploads)[-1] == id_of(mine)


async def test_the_list_is_paged_by_limit_and_offset(rig: Rig) -> None:
    data = ingest_media.mp4()
    for _ in range(3):
        await started(rig, data, 0)
    everything = await listed(rig, limit=100)
    assert everything["total"] >= 3
    assert (everything["limit"], everything["offset"]) == (100, 0)
    paged: list[str] = []
    for offset in range(0, everything["total"], 2):
        page = await listed(rig, limit=2, offset=offset)
        assert (page["total"], page["limit"], page["offset"]) == (everything["total"], 2, offset)
        paged += [upload["id"] for upload in page["items"]]
    assert paged == [upload["id"] for upload in everything["items"]]
    past = await listed(rig, offset=everything["total"])
    assert (past["items"], past["total"]) == ([], everything["total"])
    default = await listed(rig)
    assert (default["limit"], default["offset"]) == (20, 0)


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "ten"},
        {"offset": "-1"},
        {"offset": "1000000001"},
        {"offset": "1.5"},
    ],
)
async def test_bad_paging_is_400(rig: Rig, params: dict[str, str]) -> None:
    response = await rig.client.get(LISTED, params=params, headers=rig.admin())
    assert code_of(response) == (400, "validation_error"), response.text


async def test_only_admins_list_or_cancel(rig: Rig) -> None:
    url = await started(rig, ingest_media.mp4(), 1000)
    viewer, anonymous = rig.viewer(), {}
    assert code_of(await rig.client.get(LISTED, headers=viewer))[0] == 403
    assert code_of(await rig.client.get(LISTED, headers=anonymous))[0] == 401
    assert (await rig.client.delete(url, headers={**TUS, **viewer})).status_code == 403
    assert (await rig.client.delete(url, headers=TUS)).status_code == 401
    assert (await listed_by_id(rig))[id_of(url)]["offset"] == 1000
    assert (await rig.client.delete(url, headers={**TUS, **rig.admin()})).status_code == 204


async def test_an_admin_cancels_another_admins_upload_and_its_stored_bytes(rig: Rig) -> None:
    before = await rig.snapshot()
    data = ingest_media.padded(ingest_media.mp4(), 9 * MIB)
    # Past one 8 MiB part: a multipart upload is stored, and a tail in the database.
    url = await started(rig, data, 8 * MIB + 10, OTHER_ADMIN, title="Abandoned")
    assert (await rig.added_since(before))["pending"]

    cancelled = await rig.client.delete(url, headers={**TUS, **rig.admin()})

    assert cancelled.status_code == 204, cancelled.text
    assert id_of(url) not in await listed_by_id(rig)
    await rig.assert_nothing_kept(before)
    owner = {**TUS, **rig.admin(OTHER_ADMIN)}
    assert (await rig.client.head(url, headers=owner)).status_code == 404
    again = await rig.client.delete(url, headers={**TUS, **rig.admin()})
    assert code_of(again) == (404, "upload_not_found")
    unknown = await rig.client.delete(f"{LISTED}/{uuid.uuid4()}", headers={**TUS, **rig.admin()})
    assert code_of(unknown) == (404, "upload_not_found")


async def test_a_cancel_mid_patch_is_said_to_the_uploader_as_a_cancel(rig: Rig) -> None:
    """Another admin cancels an upload while its uploader's PATCH is streaming: the cancel
    is answered (its storage left to the request holding it and the sweeper), the upload
    leaves the list at once, and the uploader's PATCH, then any resume, answers 410
    upload_cancelled saying who ended it (the PATCH said its "hold on the upload lapsed",
    to resume from where it stood; the list kept it as "0 % · expires" a time past)."""
    data = ingest_media.padded(ingest_media.mp4(), 3 * MIB)
    url = await started(rig, data, MIB, OTHER_ADMIN, title="Cut short")
    owner = {**TUS, **rig.admin(OTHER_ADMIN)}
    streaming, go_on = asyncio.Event(), asyncio.Event()

    async def body() -> AsyncIterator[bytes]:  # the uploader's bytes, held mid-way
        yield data[MIB : MIB + 1000]
        streaming.set()
        await go_on.wait()
        yield data[MIB + 1000 :]

    appending = {**owner, "Upload-Offset": str(MIB), "Content-Type": OCTETS}
    patch = asyncio.ensure_future(rig.client.patch(url, content=body(), headers=appending))
    try:
        await streaming.wait()
        cancelled = await rig.client.delete(url, headers={**TUS, **rig.admin()})
        assert cancelled.status_code == 204, cancelled.text
        assert id_of(url) not in await listed_by_id(rig)
    finally:
        go_on.set()
    answered = await patch
    assert code_of(answered) == (410, "upload_cancelled"), answered.text
    assert answered.json()["detail"] == "an administrator cancelled this upload"
    assert (await rig.client.head(url, headers=owner)).status_code == 410
    resumed = await rig.patch(url, MIB, data[MIB:], headers=owner)
    assert code_of(resumed) == (410, "upload_cancelled"), resumed.text
    assert id_of(url) not in await listed_by_id(rig)


async def test_a_complete_upload_is_not_cancelled(rig: Rig) -> None:
    url = await rig.tus_upload(ingest_media.one_frame(), 100_000)
    for who in (rig.admin(OTHER_ADMIN), rig.admin()):
        refused = await rig.client.delete(url, headers={**TUS, **who})
        assert code_of(refused) == (409, "upload_complete"), refused.text
        assert refused.headers["tus-resumable"] == "1.0.0"
    job = await rig.job(id_of(url))
    assert job["state"] == "done"
    assert job["item"]["id"] in [item["id"] for item in await rig.catalogue_items()]


async def test_unfinished_uploads_and_how_uploads_end_are_measured(rig: Rig) -> None:
    names = [
        "streamstack_uploads_unfinished",
        "streamstack_uploads_unfinished_bytes",
        'streamstack_uploads_ended_total{outcome="cancelled"}',
        'streamstack_uploads_ended_total{outcome="registered"}',
        'streamstack_uploads_ended_total{outcome="refused"}',
    ]

    before = await rig.metrics(*names)
    url = await started(rig, ingest_media.mp4(), 1000, title="Half sent")
    assert [a - b for a, b in zip(await rig.metrics(*names), before, strict=True)] == [
        1,
        1000,
        0,
        0,
        0,
    ]
    assert (await rig.client.delete(url, headers={**TUS, **rig.admin()})).status_code == 204
    assert (await rig.upload(ingest_media.one_frame())).status_code == 201
    assert (await rig.upload(ingest_media.random_bytes())).status_code == 415
    assert [a - b for a, b in zip(await rig.metrics(*names), before, strict=True)] == [
        0,
        0,
        1,
        1,
        1,
    ]
