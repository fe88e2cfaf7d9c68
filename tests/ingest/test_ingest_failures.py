"""Nothing orphaned: a test per failure point after the bytes start arriving.

Probe failures (damaged and hostile files) are in ``test_ingest_hostile_files``; here:
the catalogue call, the thumbnail write, the client going away, the S3 server going away.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import ingest_media
import pytest
from ingest_rig import (
    API,
    TUS,
    Rig,
    RigFactory,
    ServedApp,
    eventually,
    send_partial_request,
    served_rig,
)

from streamstack.ingest import repository as ingest_repository
from support.fixtures import SettingsFactory

MIB = 1024 * 1024
BOUNDARY = "ingest-test-boundary"


def multipart_parts(data: bytes) -> tuple[bytes, bytes]:
    """What goes before and after the file's bytes in a form with a title and the file."""
    before = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nA clip\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    return before, f"\r\n--{BOUNDARY}--\r\n".encode()


def request_head(method: str, path: str, headers: dict[str, str], length: int) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {length}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def test_catalogue_unreachable_keeps_nothing(rig_factory: RigFactory) -> None:
    # Ingest alone, with catalogue "elsewhere" at an address nobody listens on.
    async with rig_factory(modules=("ingest",), catalogue_url="http://127.0.0.1:9") as rig:
        response = await rig.upload(ingest_media.mp4(faststart=False))
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "module_unavailable"
        await rig.assert_nothing_kept()


@pytest.mark.parametrize("backend_kind", ["production"])
async def test_thumbnail_storage_failing_keeps_nothing(rig_factory: RigFactory) -> None:
    async with rig_factory() as rig:
        # The bucket goes away after start-up (where the app would have created it).
        rig.s3.delete_bucket(Bucket=rig.settings.thumbnails_bucket)
        response = await rig.upload(ingest_media.mp4())
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "storage_unavailable"
        rig.s3.create_bucket(Bucket=rig.settings.thumbnails_bucket)
        await rig.assert_nothing_kept()


@pytest.fixture
async def live(
    settings_factory: SettingsFactory, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[Rig, ServedApp]]:
    """The app behind a real socket on this test's backend kind, and a rig talking to it."""
    settings = settings_factory()
    s3 = request.getfixturevalue("s3_client") if settings.s3_endpoint_url else None
    async with served_rig(settings, s3) as pair:
        yield pair


def form_post(rig: Rig, data: bytes) -> tuple[bytes, bytes]:
    """The head and the whole body of a form post of ``data``, as raw HTTP."""
    before, after = multipart_parts(data)
    body = before + data + after
    headers = {**rig.admin(), "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    return request_head("POST", f"{API}/upload", headers, len(body)), body


async def test_client_disconnecting_mid_form_upload_keeps_nothing(
    live: tuple[Rig, ServedApp],
) -> None:
    rig, served = live
    head, body = form_post(rig, ingest_media.padded(ingest_media.mp4(), 20 * MIB))

    async def storing() -> bool:
        return bool(rig.stored()["pending"])

    await send_partial_request(served.url, head, body[: 9 * MIB], storing)

    async def cleaned_up() -> bool:
        return rig.stored() == {"media": [], "thumbnails": [], "pending": []}

    await eventually(cleaned_up, "the partial upload being dropped")
    await rig.assert_nothing_kept()


async def test_client_disconnecting_mid_patch_resumes_from_what_arrived(
    live: tuple[Rig, ServedApp],
) -> None:
    rig, served = live
    data = ingest_media.padded(ingest_media.mp4(), 12 * MIB)
    url = (await rig.create(len(data))).headers["location"]
    headers = {
        **TUS,
        **rig.admin(),
        "Upload-Offset": "0",
        "Content-Type": "application/offset+octet-stream",
    }

    async def part_stored() -> bool:
        return bool(rig.stored()["pending"])

    app_name = "+".join(rig.settings.modules)
    patches = [
        f'streamstack_requests_total{{app_name="{app_name}",method="PATCH",'
        f'path="/api/v1/ingest/uploads/{{upload_id}}",status_code="{status}"}}'
        for status in (499, 400)
    ]
    gone, wrong = await rig.metrics(*patches)
    await send_partial_request(
        served.url, request_head("PATCH", url, headers, len(data)), data[: 9 * MIB], part_stored
    )

    # As a tus client does: ask where the upload is, send the rest from there; while
    # the interrupted request still winds up, that answers 423 or 409: ask again.
    async def resumed() -> bool:
        offset = int((await rig.head(url)).headers["upload-offset"])
        if offset == 0:
            return False  # the first part is not committed yet
        assert 8 * MIB <= offset <= 9 * MIB
        sent = await rig.patch(url, offset, data[offset:])
        assert sent.status_code in (204, 409, 423), sent.text
        return sent.status_code == 204

    await eventually(resumed, "the upload resuming")
    job = await rig.job(url.rsplit("/", 1)[-1])
    assert job["state"] == "done", job
    assert rig.object_bytes("media", job["item"]["s3_key"]) == data
    # The dropped request counts as a client gone (nginx's 499), not a request sent wrong.
    assert await rig.metrics(*patches) == [gone + 1, wrong], "the dropped PATCH's status"


@pytest.fixture
def short_leases(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leases of 6 s and silences of 2 s (20 s and 5 s in production) for the app a test
    makes after this fixture: a test that waits for a silent request's lease to lapse. (With
    1 s, the resume's own PATCH, stalled a second by a loaded CI machine, was taken for
    silent and refused 409 ``upload_lease_lost`` once in session 47's fresh-clone run.)"""
    monkeypatch.setattr(ingest_repository, "LEASE_SECONDS", 6.0)
    monkeypatch.setattr(ingest_repository, "SILENCE_SECONDS", 2.0)


async def test_a_connection_gone_silent_does_not_lock_the_resume_out(
    short_leases: None, live: tuple[Rig, ServedApp]
) -> None:
    """The client's side of a PATCH is gone without a reset (a relay dropped it): the
    server's side stays open and silent for a minute or more. What arrived is committed,
    and the client's resume is let in within the lease's time, not refused 423 all along."""
    rig, served = live
    data = ingest_media.padded(ingest_media.mp4(), 4 * MIB)
    url = (await rig.create(len(data))).headers["location"]
    headers = {
        **TUS,
        **rig.admin(),
        "Upload-Offset": "0",
        "Content-Type": "application/offset+octet-stream",
    }
    host, port = served.url.removeprefix("http://").split(":")
    _reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request_head("PATCH", url, headers, len(data)) + data[: 3 * MIB])
        await writer.drain()  # and then nothing more, the connection left open

        async def resumed() -> bool:
            offset = int((await rig.head(url)).headers["upload-offset"])
            if offset == 0:
                return False  # the silent request has not committed what it got yet
            assert offset == 3 * MIB
            sent = await rig.patch(url, offset, data[offset:])
            assert sent.status_code in (204, 423), sent.text
            return sent.status_code == 204

        await eventually(resumed, "the resume being let in", seconds=20, interval=0.5)
    finally:
        writer.transport.abort()
    job = await rig.job(url.rsplit("/", 1)[-1])
    assert job["state"] == "done", job
    assert rig.object_bytes("media", job["item"]["s3_key"]) == data


async def test_client_leaving_while_processing_leaves_no_orphans(
    live: tuple[Rig, ServedApp],
) -> None:
    """Gone before registration: nothing kept; gone later: the item is whole."""
    rig, served = live
    head, body = form_post(rig, ingest_media.mp4(faststart=False))

    async def stored() -> bool:
        return bool(rig.stored()["media"])

    await send_partial_request(served.url, head, body, stored)

    async def settled() -> bool:
        items = await rig.catalogue_items()
        objects = rig.stored()
        # The original alone, stored as ``<item id>.<extension>`` (viewers' JSON has no key).
        whole = len(items) == 1 and [k.split(".")[0] for k in objects["media"]] == [items[0]["id"]]
        empty = not items and objects == {"media": [], "thumbnails": [], "pending": []}
        return whole or empty

    await eventually(settled, "the upload being either registered or dropped")


@pytest.mark.parametrize("backend_kind", ["production"])
async def test_s3_going_away_mid_form_upload(
    rig_factory: RigFactory, request: pytest.FixtureRequest
) -> None:
    s3_server = request.getfixturevalue("s3_server")
    data = ingest_media.padded(ingest_media.mp4(), 20 * MIB)
    before, after = multipart_parts(data)

    async def body() -> AsyncIterator[bytes]:
        yield before
        yield data[: 9 * MIB]  # the first 8 MiB part goes to S3 ...
        await s3_server.astop()  # ... and then S3 is gone
        yield data[9 * MIB :]
        yield after

    async with rig_factory() as rig:
        try:
            response = await rig.client.post(
                f"{API}/upload",
                content=body(),
                headers={
                    **rig.admin(),
                    "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                },
            )
        finally:
            await s3_server.astart()
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "storage_unavailable"
        assert await rig.catalogue_items() == []


@pytest.mark.parametrize("backend_kind", ["production"])
async def test_s3_going_away_mid_resumable_upload(
    rig_factory: RigFactory, request: pytest.FixtureRequest
) -> None:
    s3_server = request.getfixturevalue("s3_server")
    data = ingest_media.padded(ingest_media.mp4(), 20 * MIB)
    async with rig_factory() as rig:
        url = (await rig.create(len(data))).headers["location"]
        assert (await rig.patch(url, 0, data[: 9 * MIB])).status_code == 204
        try:
            await s3_server.astop()
            down = await rig.patch(url, 9 * MIB, data[9 * MIB : 18 * MIB])
        finally:
            await s3_server.astart()
        assert down.status_code == 503, down.text
        # What arrived is committed; but this S3 server forgot the stored part when it
        # restarted, so the upload cannot be completed: it fails, cleanly.
        # Until the store's circuit breaker sees S3 back, a PATCH still answers 503 (seen
        # on a loaded machine); a tus client retries it, and so does this test.
        async with asyncio.timeout(30):
            while True:
                offset = int((await rig.head(url)).headers["upload-offset"])
                assert offset >= 9 * MIB
                gone = await rig.patch(url, offset, data[offset:])
                if gone.status_code != 503:
                    break
                await asyncio.sleep(0.2)
        assert gone.status_code == 410, gone.text
        job = await rig.job(url.rsplit("/", 1)[-1])
        assert job["state"] == "failed" and "start it again" in job["error"]
        for bucket in (rig.settings.media_bucket, rig.settings.thumbnails_bucket):
            rig.s3.create_bucket(Bucket=bucket)
        await rig.assert_nothing_kept()
