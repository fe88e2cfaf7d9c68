"""An item's stills made again: ingest reports their version through ``CHANGE_STILLS``.

On both transports (in-process beside a stand-in ingest, and HTTP to a served catalogue)
and both backend kinds: the item's thumbnail and poster URLs carry the version from then
on, in the item, in lists and in playlists; a published item's change reaches viewers'
caches; a bad report, an unknown item and a caller who is no admin are refused.
"""

from __future__ import annotations

import uuid

import msgspec
from catalogue_testing import (
    API,
    CatalogueDeployment,
    EventLog,
    admin_headers,
    as_admin,
    expect_error,
    to_new,
    viewer_headers,
)

from streamstack.contracts.catalogue import MEDIA_UPDATED, CatalogueClient, StillsChange
from streamstack.kernel.operation import CallContext
from streamstack.kernel.transport import InProcessTransport
from support.apps import AppClient, mint_token
from support.waiting import eventually

VERSION = "0123456789abcdef"


async def test_the_stills_urls_carry_the_version(deployment: CatalogueDeployment) -> None:
    admin = as_admin(deployment.settings)
    item = await deployment.client.create_item(to_new(), admin)
    assert item.thumbnail_url == f"/api/v1/stream/thumbnails/{item.id}.jpg"

    changed = await deployment.client.change_stills(StillsChange(item.id, VERSION), admin)

    urls = (f"{item.thumbnail_url}?v={VERSION}", f"{item.poster_url}?v={VERSION}")
    assert (changed.thumbnail_url, changed.poster_url) == urls
    assert changed.updated_at > item.updated_at
    public = deployment.public
    one = (await public.get(f"{API}/{item.id}", headers=viewer_headers(deployment.settings))).json()
    listed = (await public.get(f"{API}/")).json()["items"]
    assert (one["thumbnail_url"], one["poster_url"]) == urls
    assert [entry["thumbnail_url"] for entry in listed] == [urls[0]]
    # A playlist's summary shows its first item's thumbnail: the new one.
    viewer = viewer_headers(deployment.settings)
    made = await public.post(f"{API}/me/playlists", json={"title": "Later"}, headers=viewer)
    playlist = made.json()["id"]
    await public.put(f"{API}/me/playlists/{playlist}/items/{item.id}", headers=viewer)
    mine = (await public.get(f"{API}/me/playlists", headers=viewer)).json()["playlists"]
    assert [summary["thumbnail_url"] for summary in mine] == [urls[0]]


async def test_unknown_items_bad_reports_and_non_admins_are_refused(
    deployment: CatalogueDeployment,
) -> None:
    settings = deployment.settings
    admin = as_admin(settings)
    item = await deployment.client.create_item(to_new(), admin)
    change = StillsChange(item.id, VERSION)
    await expect_error(
        deployment.client.change_stills(StillsChange(str(uuid.uuid4()), VERSION), admin), 404
    )
    for version in ("", "0123456789ABCDEF", "0123456789abcde", "../../etc/passwd", VERSION + "0"):
        bad = msgspec.structs.replace(change, version=version)
        await expect_error(deployment.client.change_stills(bad, admin), 400, "validation_error")
    for context, status in (
        (CallContext(), 401),
        (CallContext(bearer_token=mint_token(settings, role="viewer")), 403),
    ):
        await expect_error(deployment.client.change_stills(change, context), status)
    for key in (f"{uuid.uuid4()}.jpg", f"{item.id}/../{uuid.uuid4()}.jpg"):
        foreign = msgspec.structs.replace(change, thumbnail_s3_key=key)
        await expect_error(deployment.client.change_stills(foreign, admin), 400)
    body = (await deployment.public.get(f"{API}/{item.id}", headers=admin_headers(settings))).json()
    assert body["thumbnail_url"] == item.thumbnail_url


async def test_an_item_showing_no_stills_gets_them_and_loses_them_again(
    deployment: CatalogueDeployment,
) -> None:
    """A sound without a cover: stills placed under its own key show; None shows none."""
    admin = as_admin(deployment.settings)
    item = await deployment.client.create_item(to_new(thumbnail_s3_key=None), admin)
    assert item.thumbnail_url is None
    placed = StillsChange(item.id, VERSION, thumbnail_s3_key=f"{item.id}.jpg")

    shown = await deployment.client.change_stills(placed, admin)

    assert shown.thumbnail_url == f"/api/v1/stream/thumbnails/{item.id}.jpg?v={VERSION}"
    gone = msgspec.structs.replace(placed, chosen=False, thumbnail_s3_key=None)
    assert (await deployment.client.change_stills(gone, admin)).thumbnail_url is None


async def test_a_published_items_change_reaches_viewers_caches(
    catalogue_client: AppClient,
) -> None:
    settings = catalogue_client.app.state.settings
    contract = CatalogueClient(InProcessTransport(catalogue_client.app.state.operations))
    item = await contract.create_item(to_new(), as_admin(settings))

    async with EventLog.attached(catalogue_client.app.state.backends) as log:
        await contract.change_stills(StillsChange(item.id, VERSION), as_admin(settings))
        await eventually(lambda: log.about(item.id, MEDIA_UPDATED), "media.updated")

    event = msgspec.json.decode(log.about(item.id, MEDIA_UPDATED)[0].payload)
    assert event["thumbnail_url"].endswith(f"?v={VERSION}")
