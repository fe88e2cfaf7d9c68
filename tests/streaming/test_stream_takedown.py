"""Take-downs (issue 13.9, delivery part): a withdrawn item's stream tokens stop within 5 s.

The events are published on the app's own bus exactly as catalogue's relay does
(``media.unpublished`` / ``media.deleted`` with a ``MediaWithdrawn`` payload); streaming
refuses every token issued before the withdrawal, for the original and every file under
the prefix, and keeps playing tokens issued after it and other items' tokens.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from streaming_rig import PATTERN, StreamRig, assert_error, store_package, stream_rig

from streamstack.contracts.catalogue import MEDIA_DELETED, MEDIA_UNPUBLISHED, MediaWithdrawn
from streamstack.settings import Settings

#: The issue's bound: a withdrawn item's tokens stop within this many seconds.
WITHIN_SECONDS = 5.0


async def issue_for(rig: StreamRig, media_id: str) -> dict[str, Any]:
    response = await rig.issue_item(media_id)
    assert response.status_code == 200, response.text
    grant: dict[str, Any] = response.json()
    return grant


async def withdraw(rig: StreamRig, subject: str, media_id: str, at: datetime | None = None) -> None:
    """Publish the withdrawal (at ``at``, default now) on the app's bus, as catalogue's
    outbox relay would."""
    payload = msgspec.json.encode(
        MediaWithdrawn(
            id=media_id,
            object_prefix=f"{media_id}/",
            s3_key=f"{media_id}.mp4",
            thumbnail_s3_key=f"{media_id}.jpg",
            withdrawn_at=at or datetime.now(UTC),
        )
    )
    await rig.in_app(rig.backends.events.publish, subject, payload, event_id=str(uuid.uuid4()))


async def refused_within(rig: StreamRig, url: str) -> None:
    """``url`` answers 404 ``stream_token_not_found`` within :data:`WITHIN_SECONDS`."""
    async with asyncio.timeout(WITHIN_SECONDS):
        while (response := await rig.client.get(url)).status_code == 200:
            await asyncio.sleep(0.05)
    assert_error(response, 404, "stream_token_not_found")


@pytest.mark.parametrize("subject", [MEDIA_UNPUBLISHED, MEDIA_DELETED])
async def test_a_withdrawn_items_tokens_stop(rig: StreamRig, subject: str) -> None:
    media_id, bystander = str(uuid.uuid4()), str(uuid.uuid4())
    for item in (media_id, bystander):
        await rig.in_app(store_package, rig.media, item)
    grant, other = await issue_for(rig, media_id), await issue_for(rig, bystander)
    assert (await rig.client.get(grant["stream_url"])).content == PATTERN
    await asyncio.sleep(1.05)  # tokens carry whole seconds: withdraw in a later one

    await withdraw(rig, subject, media_id)

    await refused_within(rig, grant["stream_url"])
    for url in (
        grant["hls_url"],
        grant["storyboard_url"],
        f"{grant['stream_url']}/hls/240p/init.mp4",
    ):
        assert_error(await rig.client.get(url), 404, "stream_token_not_found")
        assert (await rig.client.head(url)).status_code == 404
    assert (await rig.client.get(other["stream_url"])).content == PATTERN
    assert (await rig.client.get(other["hls_url"])).status_code == 200


async def test_a_token_issued_after_the_withdrawal_plays(rig: StreamRig) -> None:
    # Catalogue decides who may have a token afterwards (an admin previewing a draft, a
    # republished item): streaming refuses only the tokens from before.
    media_id = str(uuid.uuid4())
    await rig.in_app(store_package, rig.media, media_id)
    old = await issue_for(rig, media_id)
    await asyncio.sleep(1.05)
    await withdraw(rig, MEDIA_UNPUBLISHED, media_id)
    await refused_within(rig, old["stream_url"])
    await asyncio.sleep(1.05)

    new = await issue_for(rig, media_id)

    assert (await rig.client.get(new["stream_url"])).content == PATTERN
    assert (await rig.client.get(new["hls_url"])).status_code == 200
    assert_error(await rig.client.get(old["stream_url"]), 404, "stream_token_not_found")


async def test_tokens_are_stamped_by_the_apps_clock(stream_settings: Any) -> None:
    """A token's issue time and a withdrawal's (catalogue's) come from one clock, the
    app's: with that clock a day ahead of the system's, a token issued after the
    withdrawal still plays, and one issued before it does not."""
    moment = datetime.now(UTC) + timedelta(days=1)
    media_id = str(uuid.uuid4())
    async with stream_rig(stream_settings(), clock=lambda: moment) as rig:
        await rig.in_app(store_package, rig.media, media_id)
        old = await issue_for(rig, media_id)
        moment += timedelta(seconds=2)
        await withdraw(rig, MEDIA_UNPUBLISHED, media_id, at=moment)
        await refused_within(rig, old["stream_url"])
        moment += timedelta(seconds=2)

        new = await issue_for(rig, media_id)

        assert (await rig.client.get(new["stream_url"])).content == PATTERN
        assert_error(await rig.client.get(old["stream_url"]), 404, "stream_token_not_found")


async def test_an_unreadable_event_changes_nothing(rig: StreamRig) -> None:
    media_id = str(uuid.uuid4())
    await rig.in_app(store_package, rig.media, media_id)
    grant = await issue_for(rig, media_id)

    await rig.in_app(
        rig.backends.events.publish, MEDIA_DELETED, b'{"id": 5}', event_id=str(uuid.uuid4())
    )
    await rig.in_app(
        rig.backends.events.publish, MEDIA_DELETED, b"\xff", event_id=str(uuid.uuid4())
    )

    assert (await rig.client.get(grant["stream_url"])).content == PATTERN
    health = await rig.client.get("/ready")
    assert health.status_code == 200, health.text


async def test_a_restarted_process_still_refuses_earlier_tokens(
    stream_settings: Any,
) -> None:
    # NATS replays one token lifetime of events at start-up; the in-process bus of the
    # one-process dev mode has nothing to replay, so the take-downs kept in KV tell it.
    settings: Settings = stream_settings()
    media_id = str(uuid.uuid4())
    async with stream_rig(settings) as rig:
        await rig.in_app(store_package, rig.media, media_id)
        grant = await issue_for(rig, media_id)
        await asyncio.sleep(1.05)
        await withdraw(rig, MEDIA_DELETED, media_id)
        await refused_within(rig, grant["stream_url"])

    async with stream_rig(settings) as restarted:
        response = await restarted.client.get(grant["stream_url"])

        assert_error(response, 404, "stream_token_not_found")
        other = str(uuid.uuid4())
        await restarted.in_app(store_package, restarted.media, other)
        fresh = await issue_for(restarted, other)
        assert (await restarted.client.get(fresh["stream_url"])).content == PATTERN
