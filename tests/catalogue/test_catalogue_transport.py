"""The catalogue across module boundaries, in-process and over HTTP.

* ``CREATE_MEDIA_ITEM``: one suite, run against the in-process transport (a stand-in caller
  module mounted beside catalogue, as ingest is in dev) and against the HTTP transport (the
  catalogue served by uvicorn, called at ``/internal/v1/catalogue/items``).
* Stream tokens: catalogue asks streaming for one, in one app, and across two servers.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import msgspec
import pytest
from catalogue_testing import (
    API,
    CatalogueDeployment,
    admin_headers,
    as_admin,
    create_item,
    expect_error,
    put_object,
    to_new,
    viewer_headers,
)

from streamstack.catalogue.schemas import CreateMediaItem
from streamstack.contracts import catalogue as catalogue_contract
from streamstack.contracts.catalogue import CatalogueClient, NewMediaItem, OriginalReplacement
from streamstack.contracts.limits import (
    EXISTING_ITEMS_BATCH_MAX,
    STREAM_TOKEN_BURST,
    STREAM_TOKEN_REFILL_SECONDS,
)
from streamstack.contracts.streaming import StreamingClient
from streamstack.kernel.clock import utcnow
from streamstack.kernel.operation import CallContext
from streamstack.kernel.transport import HttpTransport
from streamstack.settings import Settings
from support.apps import INTERNAL_SECRET, mint_token, running_app, served_app
from support.clock import HeldClock
from support.fixtures import SettingsFactory


async def test_ingest_registers_an_item_for_its_admin(deployment: CatalogueDeployment) -> None:
    new = to_new(tags=["Upload", "new"], publish=True)
    item = await deployment.client.create_item(new, as_admin(deployment.settings))
    assert item.id == new.id
    assert item.status == "published"
    assert item.created_by == "ingest-admin"
    assert item.tags == ["new", "upload"]
    assert item.thumbnail_url == f"/api/v1/stream/thumbnails/{new.id}.jpg"
    r = await deployment.public.get(f"{API}/{new.id}")
    assert r.status_code == 200
    assert r.json()["title"] == new.title
    assert r.json()["created_at"].startswith(item.created_at.strftime("%Y-%m-%dT%H:%M:%S"))

    draft = await deployment.client.create_item(
        to_new(publish=False), as_admin(deployment.settings)
    )
    assert draft.status == "draft"
    assert draft.published_at is None
    assert (await deployment.public.get(f"{API}/{draft.id}")).status_code == 404


async def test_the_operation_authorises_the_user_itself(deployment: CatalogueDeployment) -> None:
    settings = deployment.settings
    new = to_new()
    contexts: list[tuple[CallContext, int]] = [
        (CallContext(), 401),
        (CallContext(bearer_token="not-a-token"), 401),
        (CallContext(bearer_token=mint_token(settings, role="admin", ttl_seconds=-5)), 401),
        (CallContext(bearer_token=mint_token(settings, role="admin", typ="refresh")), 401),
        (CallContext(bearer_token=mint_token(settings, role="viewer")), 403),
    ]
    for context, status in contexts:
        await expect_error(deployment.client.create_item(new, context), status)
    assert (await deployment.public.get(f"{API}/{new.id}")).status_code == 404


async def test_an_admin_reads_any_item_through_the_contract(
    deployment: CatalogueDeployment,
) -> None:
    settings = deployment.settings
    draft = await deployment.client.create_item(to_new(publish=False), as_admin(settings))
    read = await deployment.client.get_item(draft.id, as_admin(settings))
    assert (read.id, read.status, read.s3_key) == (draft.id, "draft", draft.s3_key)

    viewer = CallContext(bearer_token=mint_token(settings, role="viewer"))
    await expect_error(deployment.client.get_item(draft.id, viewer), 403)
    await expect_error(deployment.client.get_item(draft.id, CallContext()), 401)
    missing = "00000000-0000-4000-8000-000000000000"
    await expect_error(deployment.client.get_item(missing, as_admin(settings)), 404)
    for bad in ("not-a-uuid", "", "../" + draft.id):
        await expect_error(deployment.client.get_item(bad, as_admin(settings)), 400)


async def test_an_admin_asks_which_ids_are_items(
    deployment: CatalogueDeployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ingest's storage audit asks, in batches, which ids it found in the buckets are items."""
    settings, admin = deployment.settings, as_admin(deployment.settings)
    draft = await deployment.client.create_item(to_new(publish=False), admin)
    published = await deployment.client.create_item(to_new(publish=True), admin)
    # More ids than one call carries: the client asks in batches, and an item in the last
    # batch is found as well as one in the first.
    others = [str(uuid.uuid4()) for _ in range(2 * EXISTING_ITEMS_BATCH_MAX)]
    asked = [draft.id, *others, published.id.upper()]
    assert await deployment.client.existing_items(asked, admin) == {draft.id, published.id}
    assert await deployment.client.existing_items([], admin) == set()
    assert await deployment.client.existing_items(others[:3], admin) == set()
    # Each with its original's key, which the audit compares with what it finds.
    originals = await deployment.client.item_originals([draft.id, *others[:3]], admin)
    assert originals == {draft.id: draft.s3_key}

    viewer = CallContext(bearer_token=mint_token(settings, role="viewer"))
    await expect_error(deployment.client.existing_items([draft.id], viewer), 403)
    await expect_error(deployment.client.existing_items([draft.id], CallContext()), 401)
    for bad in ("not-a-uuid", "", "../" + draft.id):
        await expect_error(deployment.client.existing_items([bad], admin), 400)
    # A caller sending more than the contract's batch is refused, not answered in part.
    monkeypatch.setattr(catalogue_contract, "EXISTING_ITEMS_BATCH_MAX", len(asked))
    await expect_error(deployment.client.existing_items(asked, admin), 400)


async def test_an_admin_pages_through_every_items_media(
    deployment: CatalogueDeployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ingest's storage audit reads every item, in id order a page at a time, with what
    its media should be, to find those whose objects are gone."""
    settings, admin = deployment.settings, as_admin(deployment.settings)
    made = [await deployment.client.create_item(to_new(publish=i == 0), admin) for i in range(3)]
    monkeypatch.setattr(catalogue_contract, "EXISTING_ITEMS_BATCH_MAX", 2)  # two pages
    listed = [item async for item in deployment.client.items_media(admin)]
    assert [item.id for item in listed] == sorted(item.id for item in made)
    by_id = {item.id: item for item in made}
    for item in listed:
        assert (item.title, item.original) == (by_id[item.id].title, by_id[item.id].s3_key)
        assert (item.has_hls, item.captions) == (False, [])

    viewer = CallContext(bearer_token=mint_token(settings, role="viewer"))
    for context, status in ((viewer, 403), (CallContext(), 401)):
        await expect_error(anext(aiter(deployment.client.items_media(context))), status)
    transport = deployment.client._transport
    LIST = catalogue_contract.LIST_ITEMS_MEDIA
    for after, limit in (("not-a-uuid", 2), ("../x", 2), (None, 0), (None, 501), (None, -1)):
        page = catalogue_contract.ItemsMediaPage(after, limit)
        await expect_error(transport.call(LIST, page, admin), 400)


async def test_an_admin_replaces_an_items_original_through_the_contract(
    deployment: CatalogueDeployment,
) -> None:
    """Ingest records a replaced video file: the new original and its facts, the text kept;
    only while the item's processing is what ingest read; only the item's own keys."""
    settings, admin = deployment.settings, as_admin(deployment.settings)
    item = await deployment.client.create_item(to_new(tags=["kept"], duration_seconds=2.0), admin)
    new_key = f"{item.id}/originals/{uuid.uuid4()}.mkv"
    replacement = OriginalReplacement(
        media_id=item.id,
        content_type="video/x-matroska",
        original_playable=False,
        s3_key=new_key,
        size_bytes=4096,
        only_from="none",
        transcode=True,
        duration_seconds=5.0,
        video_codec="vp9",
        width=320,
        height=180,
    )

    replaced = await deployment.client.replace_original(replacement, admin)

    assert (replaced.id, replaced.title, replaced.tags) == (item.id, item.title, ["kept"])
    assert (replaced.s3_key, replaced.size_bytes, replaced.duration_seconds) == (new_key, 4096, 5.0)
    assert (replaced.processing_state, replaced.playable) == ("queued", False)
    # Its processing moved on (queued now): a second one, read before, changes nothing.
    await expect_error(
        deployment.client.replace_original(replacement, admin), 409, "processing_state_changed"
    )
    foreign = msgspec.structs.replace(
        replacement, only_from="queued", s3_key=f"{uuid.uuid4()}/originals/x.mp4"
    )
    await expect_error(
        deployment.client.replace_original(foreign, admin), 400, "foreign_object_key"
    )
    viewer = CallContext(bearer_token=mint_token(settings, role="viewer"))
    await expect_error(deployment.client.replace_original(replacement, viewer), 403)
    gone = str(uuid.uuid4())
    missing = msgspec.structs.replace(replacement, media_id=gone, s3_key=f"{gone}/originals/x.mp4")
    await expect_error(deployment.client.replace_original(missing, admin), 404)
    assert (await deployment.client.get_item(item.id, admin)).s3_key == new_key


async def test_the_operation_refuses_bad_items(deployment: CatalogueDeployment) -> None:
    admin = as_admin(deployment.settings)
    existing = await deployment.client.create_item(to_new(), admin)
    await expect_error(
        deployment.client.create_item(to_new(id=existing.id), admin),
        409,
        "media_item_exists",
    )
    good = to_new()
    for bad in (
        msgspec.structs.replace(good, id="not-a-uuid"),
        msgspec.structs.replace(good, title="  "),
        msgspec.structs.replace(good, title="x" * 201),
        msgspec.structs.replace(good, s3_key="../escape.mp4"),
        msgspec.structs.replace(good, size_bytes=-1),
        msgspec.structs.replace(good, tags=["ok", ""]),
        msgspec.structs.replace(good, description="a\x00b"),
        msgspec.structs.replace(good, thumbnail_s3_key="/etc/passwd"),
    ):
        await expect_error(deployment.client.create_item(bad, admin), 400)
    r = await deployment.public.get(
        f"{API}/", params={"status": "all"}, headers=admin_headers(deployment.settings)
    )
    assert [i["id"] for i in r.json()["items"]] == [existing.id]


async def test_ingest_registers_an_orphaned_upload_for_its_uploader(
    deployment: CatalogueDeployment,
) -> None:
    """A service call with no token: the item is the uploader's the registration names,
    checked against the same limits as the admin's call."""
    new = to_new(publish=True)
    item = await deployment.client.register_upload(new, "uploader-7")
    assert (item.id, item.created_by, item.status) == (new.id, "uploader-7", "published")
    await expect_error(
        deployment.client.register_upload(new, "uploader-7"), 409, "media_item_exists"
    )
    for bad_uploader in ("", "x" * 65, "two\nlines"):
        await expect_error(deployment.client.register_upload(to_new(), bad_uploader), 400)
    await expect_error(
        deployment.client.register_upload(to_new(s3_key="../escape.mp4"), "uploader-7"), 400
    )
    r = await deployment.public.get(
        f"{API}/", params={"status": "all"}, headers=admin_headers(deployment.settings)
    )
    assert [i["id"] for i in r.json()["items"]] == [new.id]


async def test_a_nan_never_reaches_the_table(deployment: CatalogueDeployment) -> None:
    # JSON has no NaN or infinity: msgspec sends null on both transports (the in-process
    # one crosses the same JSON round trip), so the fields arrive empty.
    bad = to_new(fps=float("nan"), duration_seconds=float("inf"))
    item = await deployment.client.create_item(bad, as_admin(deployment.settings))
    assert (item.fps, item.duration_seconds) == (None, None)


async def test_internal_route_needs_the_service_secret(settings_factory: SettingsFactory) -> None:
    settings = settings_factory(modules=("catalogue",))
    async with served_app(settings) as url:
        for secret in ("", "wrong-secret", INTERNAL_SECRET[:-1]):
            transport = HttpTransport("catalogue", url, secret)
            try:
                await expect_error(
                    CatalogueClient(transport).create_item(to_new(), as_admin(settings)),
                    # to this caller's callers: its own 401 read as "you are signed out"
                    503,
                    "invalid_service_secret",
                )
            finally:
                await transport.close()
        async with httpx.AsyncClient(base_url=url) as http:
            secret = {"X-StreamStack-Service-Secret": INTERNAL_SECRET}
            url = "/internal/v1/catalogue/items"
            # The caller is authenticated before the body is read.
            r = await http.post(url, content=b'{"id": 1}', headers=secret)
            assert r.status_code == 401
            admin = {**secret, **admin_headers(settings)}
            r = await http.post(url, content=b'{"id": 1}', headers=admin)
            assert r.status_code == 400
            assert r.json()["code"] == "validation_error"
            # Registering for an uploader takes no token, but the secret all the same.
            body = msgspec.json.encode({"item": to_new(), "uploaded_by": "uploader-7"})
            r = await http.post("/internal/v1/catalogue/uploads", content=body)
            assert r.status_code == 401, r.text
            assert r.json()["code"] == "invalid_service_secret"


# --- stream tokens ---------------------------------------------------------------------------


async def play_through(
    catalogue_api: httpx.AsyncClient,
    streaming_api: httpx.AsyncClient,
    settings: Settings,
    ask: Callable[[str, dict[str, str]], Awaitable[httpx.Response]],
) -> None:
    """Register an object, get a stream token for it, and read a range with the token."""
    data = bytes(range(256)) * 64
    item = await create_item(catalogue_api, settings, size_bytes=len(data))
    await put_object(settings, item["s3_key"], data)

    r = await ask(item["id"], viewer_headers(settings))
    assert r.status_code == 200, r.text
    grant = r.json()
    assert {"stream_url", "expires_in"} <= set(grant)
    assert grant.get("hls_url") is None  # no renditions: the original only
    assert grant["stream_url"].startswith("/api/v1/stream/")
    # As long as the viewer's 30-minute access token, within the hour a grant may last.
    assert settings.stream_token_ttl_seconds == 3600 and 1800 - 5 <= grant["expires_in"] <= 1800
    r = await streaming_api.get(grant["stream_url"], headers={"Range": "bytes=100-199"})
    assert r.status_code == 206, r.text
    assert r.content == data[100:200]

    draft = await create_item(catalogue_api, settings, publish=False)
    r = await ask(draft["id"], viewer_headers(settings))
    assert r.status_code == 404
    r = await ask(draft["id"], admin_headers(settings))  # admins may preview drafts
    assert r.status_code == 200
    r = await ask(item["id"], {})
    assert r.status_code == 401


async def test_a_stream_token_in_one_process(settings_factory: SettingsFactory) -> None:
    settings = settings_factory(modules=("catalogue", "streaming"))
    async with running_app(settings) as app:

        async def ask(item_id: str, headers: dict[str, str]) -> httpx.Response:
            return await app.post(f"{API}/{item_id}/stream-token", headers=headers)

        await play_through(app, app, settings, ask)


async def test_a_token_asked_for_as_its_item_is_unpublished_stops(
    settings_factory: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Catalogue read the item (published), an admin unpublished it, and streaming stamped
    the token a second after the withdrawal: the token counts from catalogue's read, so it
    stops (stamped with streaming's time, it played on for the token's hour)."""
    clock = HeldClock(utcnow())  # the viewer's token is minted on the real clock
    settings = settings_factory(modules=("catalogue", "streaming"))
    async with running_app(settings, clock=clock) as app:
        item = await create_item(app, settings, size_bytes=3)
        await put_object(settings, item["s3_key"], b"abc")
        issue_token = StreamingClient.issue_token

        async def unpublished_meanwhile(self: StreamingClient, *args: Any) -> Any:
            clock.advance(1)
            r = await app.patch(
                f"{API}/{item['id']}", json={"status": "draft"}, headers=admin_headers(settings)
            )
            assert r.status_code == 200, r.text
            clock.advance(1)
            return await issue_token(self, *args)

        monkeypatch.setattr(StreamingClient, "issue_token", unpublished_meanwhile)
        r = await app.post(f"{API}/{item['id']}/stream-token", headers=viewer_headers(settings))
        assert r.status_code == 200, r.text

        async with asyncio.timeout(5):  # the take-down's bound
            while (played := await app.get(r.json()["stream_url"])).status_code == 200:
                await asyncio.sleep(0.05)
        assert played.status_code == 404
        assert played.json()["code"] == "stream_token_not_found"


async def test_a_stream_token_across_two_servers(settings_factory: SettingsFactory) -> None:
    async with served_app(settings_factory(modules=("streaming",))) as streaming_url:
        catalogue_settings = settings_factory(modules=("catalogue",), streaming_url=streaming_url)
        async with (
            served_app(catalogue_settings) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as catalogue_api,
            httpx.AsyncClient(base_url=streaming_url, timeout=30) as streaming_api,
        ):

            async def ask(item_id: str, headers: dict[str, str]) -> httpx.Response:
                return await catalogue_api.post(
                    f"{API}/{item_id}/stream-token",
                    headers={**headers, "X-Request-ID": "trace-me"},
                )

            await play_through(catalogue_api, streaming_api, catalogue_settings, ask)
            item = await create_item(catalogue_api, catalogue_settings)
            # A viewer looping on the route meets streaming's 429 through the catalogue.
            looping = viewer_headers(catalogue_settings)
            answers = [await ask(item["id"], looping) for _ in range(STREAM_TOKEN_BURST + 1)]
            assert [a.status_code for a in answers[:-1]] == [200] * STREAM_TOKEN_BURST
            assert answers[-1].status_code == 429, answers[-1].text
            assert answers[-1].json()["code"] == "stream_tokens_throttled"
            # The wait left shrinks as the loop takes time (under CI load, over a second).
            assert 1 <= int(answers[-1].headers["retry-after"]) <= STREAM_TOKEN_REFILL_SECONDS

    # Streaming is gone now: the catalogue answers 503, not 500, and names the module.
    async with (
        served_app(catalogue_settings) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as catalogue_api,
    ):
        r = await catalogue_api.post(
            f"{API}/{item['id']}/stream-token", headers=viewer_headers(catalogue_settings)
        )
        assert r.status_code == 503
        assert r.json()["code"] == "module_unavailable"
        assert "retry-after" in r.headers


async def test_without_streaming_configured_a_token_is_503(
    settings_factory: SettingsFactory,
) -> None:
    settings = settings_factory(modules=("catalogue",))
    async with running_app(settings) as app:
        item = await create_item(app, settings)
        r = await app.post(f"{API}/{item['id']}/stream-token", headers=viewer_headers(settings))
        assert r.status_code == 503
        assert r.json()["code"] == "module_unavailable"
        assert (await app.get(f"{API}/{item['id']}")).status_code == 200


def test_the_public_api_and_the_contract_share_their_limits() -> None:
    """One definition of each limit: the HTTP body and the contract struct use the same types."""
    http = {f.name: f.type for f in msgspec.inspect.type_info(CreateMediaItem).fields}
    contract = {f.name: f.type for f in msgspec.inspect.type_info(NewMediaItem).fields}
    # Narrower on purpose: only ingest, which queues the job, may register an item queued.
    shared = set(contract) - {"id", "processing_state"}
    assert shared <= set(http)
    for name in shared:
        assert http[name] == contract[name], name
    assert http["processing_state"] == msgspec.inspect.LiteralType(values=("none",))
