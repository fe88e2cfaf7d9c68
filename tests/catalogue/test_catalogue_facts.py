"""An item's facts read again: ingest reports them through ``UPDATE_FACTS``.

On both transports (in-process beside a stand-in ingest, and HTTP to a served catalogue)
and both backend kinds: the facts replace the item's, the duration only while it has no
HLS package, a report that changes nothing moves nothing, and a bad report is refused.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from catalogue_testing import (
    API,
    CatalogueDeployment,
    EventLog,
    admin_headers,
    as_admin,
    expect_error,
    to_new,
)

from streamstack.contracts.catalogue import (
    MEDIA_UPDATED,
    CatalogueClient,
    FactsUpdate,
    MediaItem,
    ProcessingUpdate,
)
from streamstack.contracts.media import Chapter
from streamstack.kernel.operation import CallContext
from streamstack.kernel.transport import InProcessTransport
from support.apps import AppClient, mint_token
from support.waiting import eventually

CHAPTERS = [Chapter(0.0, "Opening"), Chapter(61.5, "The middle"), Chapter(120.0, "The end")]


def read_again(media_id: str, **overrides: Any) -> FactsUpdate:
    """What the probe reads again in an audiobook: its chapters, its main track's codec."""
    fields: dict[str, Any] = {
        "media_id": media_id,
        "content_type": "audio/mp4",
        "duration_seconds": 180.0,
        "audio_codec": "aac",
        "chapters": CHAPTERS,
    }
    return FactsUpdate(**{**fields, **overrides})


async def audiobook(deployment: CatalogueDeployment) -> MediaItem:
    """An M4A registered before chapters were read, whose main track the probe misnamed."""
    new = to_new(
        content_type="audio/mp4",
        video_codec=None,
        width=None,
        height=None,
        fps=None,
        thumbnail_s3_key=None,
        audio_codec="mp3",
        duration_seconds=0.05,
    )
    return await deployment.client.create_item(new, as_admin(deployment.settings))


async def shown(deployment: CatalogueDeployment, media_id: str) -> dict[str, Any]:
    r = await deployment.public.get(f"{API}/{media_id}", headers=admin_headers(deployment.settings))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_the_facts_read_again_replace_the_items(deployment: CatalogueDeployment) -> None:
    before = await audiobook(deployment)
    admin = as_admin(deployment.settings)

    after = await deployment.client.update_facts(read_again(before.id), admin)

    assert (after.chapters, after.audio_codec, after.duration_seconds) == (CHAPTERS, "aac", 180.0)
    assert after.updated_at > before.updated_at
    body = await shown(deployment, before.id)
    assert body["chapters"] == msgspec.to_builtins(CHAPTERS)
    assert (body["audio_codec"], body["duration_seconds"]) == ("aac", 180.0)
    # The same facts again change nothing: the item is as it was.
    again = await deployment.client.update_facts(read_again(before.id), admin)
    assert again.updated_at == after.updated_at


async def test_a_packaged_item_keeps_the_length_its_package_plays(
    deployment: CatalogueDeployment,
) -> None:
    item = await audiobook(deployment)
    ready = ProcessingUpdate(
        media_id=item.id, state="ready", hls=True, package_format=2, duration_seconds=179.4
    )
    await deployment.client.update_processing(ready)

    after = await deployment.client.update_facts(read_again(item.id), as_admin(deployment.settings))

    assert (after.duration_seconds, after.chapters) == (179.4, CHAPTERS)


async def test_an_unknown_item_is_404(deployment: CatalogueDeployment) -> None:
    admin = as_admin(deployment.settings)
    await expect_error(deployment.client.update_facts(read_again(str(uuid.uuid4())), admin), 404)


async def test_the_operation_refuses_bad_reports(deployment: CatalogueDeployment) -> None:
    item = await audiobook(deployment)
    admin = as_admin(deployment.settings)
    good = read_again(item.id)
    for bad in (
        msgspec.structs.replace(good, media_id="not-a-uuid"),
        msgspec.structs.replace(good, content_type=""),
        msgspec.structs.replace(good, duration_seconds=-1.0),
        msgspec.structs.replace(good, audio_codec="a" * 65),
        msgspec.structs.replace(good, width=0),
        msgspec.structs.replace(good, fps=-25.0),
        msgspec.structs.replace(good, chapters=[Chapter(-1.0, "Before the start")]),
        msgspec.structs.replace(good, chapters=[Chapter(0.0, "two\nlines")]),
        msgspec.structs.replace(good, chapters=[Chapter(float(n), "c") for n in range(501)]),
    ):
        await expect_error(deployment.client.update_facts(bad, admin), 400, "validation_error")
    body = await shown(deployment, item.id)
    assert (body["chapters"], body["audio_codec"]) == ([], "mp3")


async def test_only_an_admin_reports_facts(deployment: CatalogueDeployment) -> None:
    settings = deployment.settings
    item = await audiobook(deployment)
    for context, status in (
        (CallContext(), 401),
        (CallContext(bearer_token=mint_token(settings, role="viewer")), 403),
    ):
        await expect_error(deployment.client.update_facts(read_again(item.id), context), status)
    assert (await shown(deployment, item.id))["chapters"] == []


async def test_viewers_caches_hear_of_a_change_only(catalogue_client: AppClient) -> None:
    settings = catalogue_client.app.state.settings
    contract = CatalogueClient(InProcessTransport(catalogue_client.app.state.operations))
    item = await contract.create_item(to_new(audio_codec="mp3"), as_admin(settings))
    facts = read_again(item.id, content_type=item.content_type, video_codec=item.video_codec)

    async with EventLog.attached(catalogue_client.app.state.backends) as log:
        await contract.update_facts(facts, as_admin(settings))
        await contract.update_facts(facts, as_admin(settings))
        await eventually(lambda: log.about(item.id, MEDIA_UPDATED), "media.updated")

    assert len(log.about(item.id, MEDIA_UPDATED)) == 1


async def test_whether_the_original_plays_decides_whether_the_item_does(
    deployment: CatalogueDeployment,
) -> None:
    item = await audiobook(deployment)
    admin = as_admin(deployment.settings)
    assert item.playable

    unplayable = await deployment.client.update_facts(
        read_again(item.id, original_playable=False), admin
    )
    unsaid = await deployment.client.update_facts(read_again(item.id), admin)
    playable = await deployment.client.update_facts(
        read_again(item.id, original_playable=True), admin
    )

    assert (unplayable.playable, unsaid.playable, playable.playable) == (False, False, True)
    assert unplayable.updated_at > item.updated_at
    assert unsaid.updated_at == unplayable.updated_at  # None: the item keeps what it had
    assert (await shown(deployment, item.id))["playable"] is True


async def test_an_item_with_a_package_plays_whatever_its_original(
    deployment: CatalogueDeployment,
) -> None:
    item = await audiobook(deployment)
    await deployment.client.update_processing(
        ProcessingUpdate(media_id=item.id, state="ready", hls=True, package_format=2)
    )

    after = await deployment.client.update_facts(
        read_again(item.id, original_playable=False), as_admin(deployment.settings)
    )

    assert (after.playable, after.has_hls) == (True, True)
    assert (await shown(deployment, item.id))["playable"] is True
