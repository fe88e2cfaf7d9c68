"""Caption tracks in the catalogue: ``CHANGE_CAPTION`` records them, ``READ_CAPTIONS``,
items and stream tokens list them, and they go with their item.

The operation runs on both transports (in-process beside a stand-in ingest, and HTTP to a
served catalogue) and both backend kinds.
"""

from __future__ import annotations

import datetime
import uuid

import msgspec
from catalogue_testing import (
    API,
    CatalogueDeployment,
    admin_headers,
    as_admin,
    create_item,
    expect_error,
    service_without_relay,
    to_new,
    viewer_headers,
)
from sqlalchemy import select

from streamstack.catalogue.models import CaptionTrackRow, OutboxRow
from streamstack.catalogue.repository import reading, unit_of_work
from streamstack.contracts.catalogue import (
    MEDIA_DELETED,
    CaptionChange,
    CaptionTrack,
    ItemLookup,
    MediaWithdrawn,
    RecordedCaptions,
)
from streamstack.contracts.limits import MAX_CAPTION_TRACKS
from support.apps import running_app
from support.fixtures import SettingsFactory


def change(media_id: str, language: str, **fields: object) -> CaptionChange:
    """A caption change as ingest sends it, checked against the contract's limits."""
    return msgspec.convert({"media_id": media_id, "language": language, **fields}, CaptionChange)


async def test_tracks_are_added_replaced_and_removed(deployment: CatalogueDeployment) -> None:
    client = deployment.client
    item = await client.create_item(to_new(), as_admin(deployment.settings))
    assert item.captions == []

    added = await client.change_caption(change(item.id, "en", label="English"))
    assert added.captions == [CaptionTrack("en", "English", "upload")]
    # A new track without a label is named by its language; tracks come by language.
    second = await client.change_caption(change(item.id, "de"))
    assert second.captions == [CaptionTrack("de", "Deutsch", "upload"), added.captions[0]]
    # Replacing keeps the label unless a new one is given.
    kept = await client.change_caption(change(item.id, "en"))
    assert kept.captions[1] == CaptionTrack("en", "English", "upload")
    renamed = await client.change_caption(change(item.id, "en", label="English (SDH)"))
    assert renamed.captions[1].label == "English (SDH)"
    recorded = await client.read_captions(item.id)
    assert recorded == RecordedCaptions(has_hls=False, captions=renamed.captions)

    shown = await deployment.public.get(
        f"{API}/{item.id}", headers=admin_headers(deployment.settings)
    )
    assert shown.json()["captions"] == [
        {"language": "de", "label": "Deutsch", "source": "upload"},
        {"language": "en", "label": "English (SDH)", "source": "upload"},
    ]

    removed = await client.change_caption(change(item.id, "de", remove=True))
    assert [track.language for track in removed.captions] == ["en"]
    await expect_error(
        client.change_caption(change(item.id, "de", remove=True)), 404, "caption_not_found"
    )


async def test_an_uploaded_track_wins_over_an_embedded_one(
    deployment: CatalogueDeployment,
) -> None:
    client = deployment.client
    item = await client.create_item(to_new(), as_admin(deployment.settings))
    embedded = await client.change_caption(change(item.id, "fr", source="embedded"))
    assert embedded.captions == [CaptionTrack("fr", "Français", "embedded")]
    uploaded = await client.change_caption(change(item.id, "fr", label="Français"))
    assert uploaded.captions == [CaptionTrack("fr", "Français", "upload")]
    again = await client.change_caption(change(item.id, "fr", label="x", source="embedded"))
    assert again.captions == uploaded.captions


async def test_refusals(deployment: CatalogueDeployment) -> None:
    client = deployment.client
    missing = "6a1f0c1e-0000-4000-8000-000000000000"
    await expect_error(client.change_caption(change(missing, "en")), 404)
    await expect_error(client.read_captions(missing), 404)
    item = await client.create_item(to_new(), as_admin(deployment.settings))
    for number in range(MAX_CAPTION_TRACKS):
        await client.change_caption(change(item.id, f"x{chr(ord('a') + number)}"))
    await expect_error(client.change_caption(change(item.id, "en")), 409, "too_many_captions")
    # Replacing one of them is no new track.
    replaced = await client.change_caption(change(item.id, "xa", label="again"))
    assert len(replaced.captions) == MAX_CAPTION_TRACKS


async def test_only_services_change_and_read_captions(deployment: CatalogueDeployment) -> None:
    if deployment.transport_kind != "http":
        return
    item = await deployment.client.create_item(to_new(), as_admin(deployment.settings))
    calls = {
        "/internal/v1/catalogue/captions": msgspec.json.encode(change(item.id, "en")),
        "/internal/v1/catalogue/captions/recorded": msgspec.json.encode({"media_id": item.id}),
    }
    for path, body in calls.items():
        for headers in ({}, admin_headers(deployment.settings)):
            r = await deployment.public.post(path, content=body, headers=headers)
            assert r.status_code == 401, (path, r.text)


async def test_stream_tokens_list_the_tracks(settings_factory: SettingsFactory) -> None:
    settings = settings_factory(modules=("catalogue", "streaming"))
    async with running_app(settings) as app:
        item = await create_item(app, settings)
        service = service_without_relay(app.app.state.backends)
        await service.change_caption(change(item["id"], "en", label="English"))
        r = await app.post(f"{API}/{item['id']}/stream-token", headers=viewer_headers(settings))
        assert r.status_code == 200, r.text
        grant = r.json()
        assert grant["captions"] == [
            {
                "language": "en",
                "label": "English",
                "url": f"{grant['stream_url']}/captions/en.vtt",
            }
        ]


async def test_tracks_labelled_with_their_tag_read_by_their_language(
    settings_factory: SettingsFactory,
) -> None:
    """Tracks recorded before new tracks were named by their language kept their bare tag
    as label (``fr``, ``pt-br``): items, recorded tracks and stream tokens show the name."""
    settings = settings_factory(modules=("catalogue", "streaming"))
    async with running_app(settings) as app:
        backends = app.app.state.backends
        item = await create_item(app, settings)
        item_id = uuid.UUID(item["id"])
        async with unit_of_work(backends.database) as store:
            for language, label in (("fr", "fr"), ("pt-br", "pt-br"), ("xx", "xx"), ("de", "DE")):
                row = CaptionTrackRow(
                    media_id=item_id, language=language, label=label, source="upload",
                    updated_at=datetime.datetime.now(datetime.UTC),
                )  # fmt: skip
                await store.captions.add(row, auto_refresh=False)
        shown = [
            ("de", "Deutsch"),
            ("fr", "Français"),
            ("pt-br", "Português (Brasil)"),
            ("xx", "xx"),
        ]
        r = await app.get(f"{API}/{item_id}", headers=admin_headers(settings))
        assert [(t["language"], t["label"]) for t in r.json()["captions"]] == shown, r.text
        recorded = await service_without_relay(backends).recorded_captions(ItemLookup(str(item_id)))
        assert [(t.language, t.label) for t in recorded.captions] == shown
        r = await app.post(f"{API}/{item_id}/stream-token", headers=viewer_headers(settings))
        assert [(t["language"], t["label"]) for t in r.json()["captions"]] == shown, r.text


async def test_tracks_go_with_their_item(settings_factory: SettingsFactory) -> None:
    settings = settings_factory(modules=("catalogue",))
    async with running_app(settings) as app:
        backends = app.app.state.backends
        service = service_without_relay(backends)
        item = await service.create_item(to_new(), created_by="admin")
        await service.change_caption(change(item.id, "en"))
        await service.change_caption(change(item.id, "pt-BR", source="embedded"))
        await service.delete_item(uuid.UUID(item.id), by=str(uuid.uuid4()))
        async with reading(backends.database) as store:
            assert await store.captions.of_item(uuid.UUID(item.id)) == []
            payloads = await store.items.session.scalars(
                select(OutboxRow.payload).where(OutboxRow.subject == MEDIA_DELETED)
            )
            withdrawn = [msgspec.json.decode(p, type=MediaWithdrawn) for p in payloads]
    # One take-down for the item: it lists the item's prefix, caption files included.
    assert [w.object_prefix for w in withdrawn if w.id == item.id] == [f"{item.id}/"]
