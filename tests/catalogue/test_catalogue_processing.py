"""Processing state: the worker reports through ``UPDATE_PROCESSING``; viewers see only what plays.

Each test runs on both transports (in-process beside a stand-in ingest, and HTTP to a served
catalogue) and both backend kinds.
"""

from __future__ import annotations

from typing import Any

import httpx
import msgspec
from catalogue_testing import (
    API,
    CatalogueDeployment,
    admin_headers,
    as_admin,
    create_item,
    expect_error,
    register_queued,
    to_new,
    viewer_headers,
)

from streamstack.contracts.catalogue import (
    PACKAGE_FORMAT,
    CatalogueClient,
    MediaItem,
    ProcessingUpdate,
    Rendition,
)
from streamstack.kernel.operation import CallContext
from streamstack.kernel.transport import HttpTransport, InProcessTransport
from support.apps import INTERNAL_SECRET, AppClient

HEVC = {"video_codec": "hevc", "content_type": "video/quicktime"}


async def register_unplayable(deployment: CatalogueDeployment, **overrides: Any) -> MediaItem:
    """A published HEVC upload that ingest found not browser-safe and queued for transcoding."""
    new = to_new(**{**HEVC, "playable": False, "processing_state": "queued", **overrides})
    return await deployment.client.create_item(new, as_admin(deployment.settings))


async def report(deployment: CatalogueDeployment, media_id: str, **fields: Any) -> MediaItem:
    """Report as the worker does: a service call, no user token."""
    return await deployment.client.update_processing(ProcessingUpdate(media_id=media_id, **fields))


async def seen_by(
    deployment: CatalogueDeployment, headers: dict[str, str], item_id: str
) -> tuple[int, list[str], dict[str, Any] | None]:
    """(GET status, ids in the list, the GET body if 200) for a caller."""
    public = deployment.public
    r = await public.get(f"{API}/{item_id}", headers=headers)
    listed = (await public.get(f"{API}/", headers=headers)).json()["items"]
    return r.status_code, [i["id"] for i in listed], r.json() if r.status_code == 200 else None


async def test_an_item_plays_for_viewers_from_its_first_rendition(
    deployment: CatalogueDeployment,
) -> None:
    settings = deployment.settings
    viewer, admin = viewer_headers(settings), admin_headers(settings)
    item = await register_unplayable(deployment)
    assert (item.playable, item.processing_state, item.renditions) == (False, "queued", [])

    # Not playable yet: viewers neither see nor play it; admins see its state.
    status, listed, _ = await seen_by(deployment, viewer, item.id)
    assert status == 404 and item.id not in listed
    r = await deployment.public.post(f"{API}/{item.id}/stream-token", headers=viewer)
    assert r.status_code == 404
    status, listed, body = await seen_by(deployment, admin, item.id)
    assert status == 200 and item.id in listed
    assert body is not None and body["processing_state"] == "queued"

    writing = await report(deployment, item.id, state="processing", percent=40, detail="720p")
    assert (writing.processing_state, writing.processing_percent) == ("processing", 40)
    assert writing.processing_detail == "720p"
    assert not writing.playable
    assert (await seen_by(deployment, viewer, item.id))[0] == 404

    # The first rung is written: playable, while the rest are still being encoded.
    first = await report(
        deployment,
        item.id,
        state="processing",
        percent=60,
        detail="1080p",
        renditions=[Rendition(height=240, bandwidth=400_000)],
        hls=True,
    )
    assert first.playable and first.has_hls
    status, listed, body = await seen_by(deployment, viewer, item.id)
    assert status == 200 and item.id in listed and body is not None
    assert body["renditions"] == [{"height": 240, "bandwidth": 400_000}]
    assert "processing_detail" not in body  # the job's detail is for admins

    ready = await report(
        deployment,
        item.id,
        state="ready",
        percent=90,
        renditions=[
            Rendition(height=720, bandwidth=3_000_000),
            Rendition(height=240, bandwidth=400_000),
        ],
        hls=True,
        storyboard=True,
    )
    assert (ready.processing_state, ready.processing_percent) == ("ready", 100)
    assert [r.height for r in ready.renditions] == [240, 720]  # lowest first
    assert ready.has_storyboard and ready.playable
    status, _, body = await seen_by(deployment, admin, item.id)
    assert body is not None and body["processing_state"] == "ready"
    assert body["has_storyboard"] is True
    assert ready.duration_seconds == item.duration_seconds  # no length reported: kept


async def test_the_packages_length_becomes_the_items_duration(
    deployment: CatalogueDeployment,
) -> None:
    # The probe read 3605 s (a start offset of an hour in the headers); 5 s play.
    item = await register_unplayable(deployment, duration_seconds=3605.0)
    rung = [Rendition(height=240, bandwidth=400_000)]
    working = await report(deployment, item.id, state="processing", duration_seconds=5.0)
    assert working.duration_seconds == 3605.0  # no package yet: nothing to measure
    ready = await report(
        deployment, item.id, state="ready", renditions=rung, hls=True, duration_seconds=5.0
    )
    assert ready.duration_seconds == 5.0
    status, _, body = await seen_by(deployment, viewer_headers(deployment.settings), item.id)
    assert (status, body and body["duration_seconds"]) == (200, 5.0)


async def test_a_package_of_sound_alone_plays_with_no_renditions(
    deployment: CatalogueDeployment,
) -> None:
    sound = {"video_codec": None, "width": None, "height": None, "fps": None}
    item = await register_unplayable(
        deployment, content_type="audio/flac", audio_codec="flac", **sound
    )
    ready = await report(deployment, item.id, state="ready", hls=True, duration_seconds=4.0)
    assert (ready.playable, ready.has_hls, ready.renditions) == (True, True, [])
    status, listed, body = await seen_by(deployment, viewer_headers(deployment.settings), item.id)
    assert (status, item.id in listed, body and body["duration_seconds"]) == (200, True, 4.0)


async def test_a_failure_is_shown_to_admins_with_its_reason(
    deployment: CatalogueDeployment,
) -> None:
    settings = deployment.settings
    item = await register_unplayable(deployment)
    reason = "the video stream could not be decoded (corrupt frame at 00:01:12); re-upload"
    failed = await report(deployment, item.id, state="failed", percent=35, detail=reason)
    assert (failed.processing_state, failed.processing_detail) == ("failed", reason)
    status, listed, body = await seen_by(deployment, admin_headers(settings), item.id)
    assert status == 200 and item.id in listed and body is not None
    assert (body["processing_state"], body["processing_detail"]) == ("failed", reason)
    assert (await seen_by(deployment, viewer_headers(settings), item.id))[0] == 404


async def test_a_report_made_only_from_a_state_changes_nothing_in_another(
    deployment: CatalogueDeployment,
) -> None:
    item = await register_unplayable(deployment)
    await report(deployment, item.id, state="failed", detail="the worker ran out of memory")
    # A retry queues the item again only while it is failed: the second of two loses.
    again = await report(deployment, item.id, state="queued", only_from="failed")
    assert (again.processing_state, again.processing_detail) == ("queued", None)
    refused = await expect_error(
        report(deployment, item.id, state="queued", only_from="failed"),
        409,
        "processing_state_changed",
    )
    assert "queued, not failed" in refused.detail
    await expect_error(
        report(deployment, item.id, state="processing", percent=50, only_from="processing"),
        409,
        "processing_state_changed",
    )
    body = (await seen_by(deployment, admin_headers(deployment.settings), item.id))[2]
    assert body is not None and body["processing_state"] == "queued"


async def test_a_browser_safe_original_plays_while_it_is_processed(
    deployment: CatalogueDeployment,
) -> None:
    settings = deployment.settings
    item = await deployment.client.create_item(
        to_new(playable=True, processing_state="queued"), as_admin(settings)
    )
    await report(deployment, item.id, state="processing", percent=10, detail="240p")
    status, listed, body = await seen_by(deployment, viewer_headers(settings), item.id)
    assert status == 200 and item.id in listed and body is not None
    assert (body["playable"], body["processing_state"]) == (True, "processing")
    r = await deployment.public.post(
        f"{API}/{item.id}/stream-token", headers=viewer_headers(settings)
    )
    assert r.status_code in (200, 503)  # 503: this deployment mounts no streaming module


async def test_contradictory_or_malformed_reports_are_refused(
    deployment: CatalogueDeployment,
) -> None:
    item = await register_unplayable(deployment)
    rung = Rendition(height=240, bandwidth=400_000)
    bad: list[dict[str, Any]] = [
        {"state": "failed"},  # no reason a person can act on
        {"state": "failed", "detail": "   "},
        {"state": "ready"},  # ready without HLS
        {"state": "ready", "hls": True},  # HLS without renditions
        {"state": "processing", "renditions": [rung, rung], "hls": True},
        {"state": "processing", "percent": 101},
        {"state": "processing", "percent": -1},
        {"state": "done"},
        {"state": "processing", "detail": "two\nlines"},
        {"state": "processing", "detail": "d" * 501},
        {"state": "processing", "renditions": [Rendition(height=0, bandwidth=1)]},
        {"state": "processing", "renditions": [Rendition(height=240, bandwidth=0)]},
        {"state": "processing", "renditions": [rung] * 17},
        {"state": "ready", "renditions": [rung], "hls": True, "package_format": 0},
        {"state": "ready", "renditions": [rung], "hls": True, "package_format": "2"},
        {"state": "ready", "renditions": [rung], "hls": True, "duration_seconds": -1},
        {"state": "ready", "renditions": [rung], "hls": True, "duration_seconds": "5"},
    ]
    for fields in bad:
        await expect_error(report(deployment, item.id, **fields), 400, "validation_error")
    await expect_error(report(deployment, "not-a-uuid", state="queued"), 400, "validation_error")
    unchanged = (
        await deployment.public.get(f"{API}/{item.id}", headers=admin_headers(deployment.settings))
    ).json()
    assert (unchanged["processing_state"], unchanged["renditions"]) == ("queued", [])


async def test_a_report_about_a_deleted_item_is_404(deployment: CatalogueDeployment) -> None:
    settings = deployment.settings
    item = await register_unplayable(deployment)
    r = await deployment.public.delete(f"{API}/{item.id}", headers=admin_headers(settings))
    assert r.status_code == 204
    # The worker learns that its job is moot.
    await expect_error(report(deployment, item.id, state="processing", percent=5), 404)


async def test_only_services_report_processing(deployment: CatalogueDeployment) -> None:
    settings = deployment.settings
    item = await register_unplayable(deployment)
    # The public API has no way to set the state: it is not an editable field.
    for headers in (admin_headers(settings), viewer_headers(settings)):
        r = await deployment.public.patch(
            f"{API}/{item.id}", json={"processing_state": "ready"}, headers=headers
        )
        assert r.status_code in (400, 403)
    if deployment.transport_kind != "http":
        return
    # Over HTTP the operation needs the service secret, whatever user token comes along.
    update = ProcessingUpdate(media_id=item.id, state="ready")
    for secret in ("", "wrong-secret"):
        transport = HttpTransport("catalogue", str(deployment.public.base_url), secret)
        try:
            client = type(deployment.client)(transport)
            context = CallContext(bearer_token=admin_headers(settings)["Authorization"][7:])
            await expect_error(
                client.update_processing(update, context),
                503,
                "invalid_service_secret",
            )
        finally:
            await transport.close()
    async with httpx.AsyncClient(base_url=deployment.public.base_url) as http:
        r = await http.post(
            "/internal/v1/catalogue/processing",
            content=msgspec.json.encode(update),
            headers={"X-StreamStack-Service-Secret": INTERNAL_SECRET[:-1]},
        )
        assert r.status_code == 401
    r = await deployment.public.get(f"{API}/{item.id}", headers=admin_headers(settings))
    assert r.json()["processing_state"] == "queued"


async def test_a_stream_token_grants_the_hls_stream_once_it_exists(
    catalogue_client: AppClient,
) -> None:
    settings = catalogue_client.app.state.settings
    worker = CatalogueClient(InProcessTransport(catalogue_client.app.state.operations))
    item = await register_queued(catalogue_client, settings, playable=False, **HEVC)
    url = f"{API}/{item['id']}/stream-token"
    assert (await catalogue_client.post(url, headers=viewer_headers(settings))).status_code == 404
    preview = await catalogue_client.post(url, headers=admin_headers(settings))
    assert preview.status_code == 200, preview.text
    assert preview.json().get("hls_url") is None  # admins may preview the original

    await worker.update_processing(
        ProcessingUpdate(
            media_id=item["id"],
            state="ready",
            renditions=[Rendition(height=360, bandwidth=900_000)],
            hls=True,
            storyboard=True,
        )
    )
    r = await catalogue_client.post(url, headers=viewer_headers(settings))
    assert r.status_code == 200, r.text
    grant = r.json()
    assert grant["hls_url"] == f"{grant['stream_url']}/hls/master.m3u8"
    assert grant["storyboard_url"] == f"{grant['stream_url']}/storyboard/storyboard.vtt"


async def test_admins_filter_the_library_by_processing_state(catalogue_client: AppClient) -> None:
    settings = catalogue_client.app.state.settings
    worker = CatalogueClient(InProcessTransport(catalogue_client.app.state.operations))
    queued = await register_queued(catalogue_client, settings, playable=False)
    failed = await register_queued(catalogue_client, settings, playable=False)
    plain = await create_item(catalogue_client, settings)
    await worker.update_processing(
        ProcessingUpdate(media_id=failed["id"], state="failed", detail="no video stream decodes")
    )

    async def ids(headers: dict[str, str], **params: str) -> list[str]:
        r = await catalogue_client.get(f"{API}/", params=params, headers=headers)
        assert r.status_code == 200, r.text
        return [item["id"] for item in r.json()["items"]]

    admin, viewer = admin_headers(settings), viewer_headers(settings)
    assert await ids(admin, processing="failed") == [failed["id"]]
    assert await ids(admin, processing="queued") == [queued["id"]]
    assert await ids(admin, processing="none") == [plain["id"]]
    assert sorted(await ids(admin)) == sorted([queued["id"], failed["id"], plain["id"]])
    # Viewers see playable items only, whatever they ask for.
    assert await ids(viewer, processing="failed") == [plain["id"]]
    assert await ids({}, processing="queued") == [plain["id"]]
    for bad in ("done", "", "FAILED"):
        r = await catalogue_client.get(f"{API}/", params={"processing": bad}, headers=admin)
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["code"] == "validation_error"


async def test_an_item_transcoded_again_keeps_playing_its_package_until_the_new_one(
    deployment: CatalogueDeployment,
) -> None:
    settings = deployment.settings
    item = await register_unplayable(deployment)
    # Nothing to keep yet: refused, and nothing changes.
    await expect_error(
        report(deployment, item.id, state="queued", keep_package=True), 409, "no_package"
    )
    first = [Rendition(height=240, bandwidth=400_000)]
    await report(deployment, item.id, state="ready", renditions=first, hls=True, storyboard=True)
    for fields in (
        {"state": "queued", "only_from": "ready"},
        {"state": "processing", "percent": 40, "detail": "encoding 240p, 480p"},
        {"state": "failed", "detail": "out of memory"},  # the refresh failed: it still plays
    ):
        kept = await report(deployment, item.id, keep_package=True, **fields)
        assert (kept.renditions, kept.has_hls, kept.has_storyboard) == (first, True, True)
        status, listed, body = await seen_by(deployment, viewer_headers(settings), item.id)
        assert status == 200 and item.id in listed and body is not None and body["playable"]
    both = [*first, Rendition(height=480, bandwidth=900_000)]
    new = await report(deployment, item.id, state="ready", renditions=both, hls=True)
    assert (new.processing_state, new.renditions, new.has_storyboard) == ("ready", both, False)


async def test_outdated_items_are_those_a_newer_transcoder_would_improve(
    deployment: CatalogueDeployment,
) -> None:
    settings = deployment.settings
    admin = as_admin(settings)
    rung = [Rendition(height=240, bandwidth=400_000)]
    # A picture never transcoded (registered before transcoding existed), and a sound.
    legacy = await deployment.client.create_item(to_new(), admin)
    sound = await deployment.client.create_item(to_new(video_codec=None, width=None), admin)
    # Packaged before formats were recorded (format 1), and by today's transcoder.
    old = await register_unplayable(deployment)
    old = await report(deployment, old.id, state="ready", renditions=rung, hls=True)
    current = await register_unplayable(deployment)
    current = await report(
        deployment,
        current.id,
        state="ready",
        renditions=rung,
        hls=True,
        package_format=PACKAGE_FORMAT,
    )
    failed = await register_unplayable(deployment)
    failed = await report(deployment, failed.id, state="failed", detail="no frame decodes")
    queued = await register_unplayable(deployment)
    assert [i.outdated for i in (legacy, sound, old, current, failed, queued)] == [
        True,
        False,
        True,
        False,
        False,
        False,
    ]
    assert (old.package_format, current.package_format) == (None, PACKAGE_FORMAT)

    async def listed(headers: dict[str, str]) -> dict[str, bool]:
        """The items listed as ``processing=outdated``: id → their ``outdated`` flag (absent,
        None, for viewers: it is the admins')."""
        params = {"processing": "outdated", "status": "all"}
        r = await deployment.public.get(f"{API}/", params=params, headers=headers)
        assert r.status_code == 200, r.text
        return {item["id"]: item.get("outdated") for item in r.json()["items"]}

    admin_h = admin_headers(settings)
    assert await listed(admin_h) == {legacy.id: True, old.id: True}
    # Viewers list what plays, whatever they ask for.
    playing = await listed(viewer_headers(settings))
    assert playing.keys() == {legacy.id, sound.id, old.id, current.id}

    # Transcoded again: no longer outdated once queued, and the new package is current.
    kept = await report(deployment, old.id, state="queued", only_from="ready", keep_package=True)
    assert (kept.outdated, kept.package_format) == (False, None)
    new = await report(
        deployment,
        old.id,
        state="ready",
        renditions=rung,
        hls=True,
        package_format=PACKAGE_FORMAT,
    )
    assert (new.outdated, new.package_format) == (False, PACKAGE_FORMAT)
    assert await listed(admin_h) == {legacy.id: True}
