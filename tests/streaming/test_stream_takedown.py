"""Take-downs (issue 13.9, delivery part): a withdrawn item's stream tokens stop within 5 s.

The events are published on the app's own bus exactly as catalogue's relay does
(``media.unpublished`` / ``media.deleted`` with a ``MediaWithdrawn`` payload); streaming
refuses every token issued before the withdrawal, for the original and every file under
the prefix, and keeps playing tokens issued after it and other items' tokens.

The apps run on a held clock a day ahead of the system's: a token's issue time and a
withdrawal's must come from that one clock (the app's), and a test moves it past a whole
second (tokens carry whole seconds) instead of sleeping.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from streaming_rig import (
    MASTER,
    StreamRig,
    assert_error,
    item_request,
    store_package,
    stream_rig,
    withdraw,
)

from streamstack.contracts.catalogue import MEDIA_DELETED, MEDIA_UNPUBLISHED
from streamstack.kernel.clock import utcnow
from streamstack.settings import Settings
from support.clock import HeldClock

#: The issue's bound: a withdrawn item's tokens stop within this many seconds.
WITHIN_SECONDS = 5.0
#: How far ahead of the system's clock the apps' clock runs.
DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def rig_clock() -> HeldClock:
    """The clock of the module's shared app."""
    return HeldClock(utcnow() + DAY)


async def issue_for(rig: StreamRig, media_id: str) -> dict[str, Any]:
    response = await rig.issue_item(media_id)
    assert response.status_code == 200, response.text
    grant: dict[str, Any] = response.json()
    return grant


async def issue_decided(rig: StreamRig, media_id: str, decided_at: float) -> dict[str, Any]:
    """A token for the item as catalogue asks for it, decided on at ``decided_at``."""
    request = item_request(media_id)
    response = await rig.issue(
        request.pop("s3_key"), request.pop("size_bytes"), decided_at=decided_at, **request
    )
    assert response.status_code == 200, response.text
    grant: dict[str, Any] = response.json()
    return grant


async def refused_within(rig: StreamRig, url: str) -> None:
    """``url`` answers 404 ``stream_token_not_found`` within :data:`WITHIN_SECONDS`."""
    async with asyncio.timeout(WITHIN_SECONDS):
        while (response := await rig.client.get(url)).status_code == 200:
            await asyncio.sleep(0.05)
    assert_error(response, 404, "stream_token_not_found")


@pytest.mark.parametrize("subject", [MEDIA_UNPUBLISHED, MEDIA_DELETED])
async def test_a_withdrawn_items_tokens_stop(
    rig: StreamRig, rig_clock: HeldClock, subject: str
) -> None:
    media_id, bystander = str(uuid.uuid4()), str(uuid.uuid4())
    for item in (media_id, bystander):
        await rig.in_app(store_package, rig.media, item)
    grant, other = await issue_for(rig, media_id), await issue_for(rig, bystander)
    assert (await rig.client.get(grant["hls_url"])).content == MASTER
    rig_clock.advance(1)  # tokens carry whole seconds: withdraw in a later one

    await withdraw(rig, subject, media_id, rig_clock())

    await refused_within(rig, grant["hls_url"])
    for url in (
        grant["hls_url"],
        grant["storyboard_url"],
        f"{grant['stream_url']}/hls/240p/init.mp4",
    ):
        assert_error(await rig.client.get(url), 404, "stream_token_not_found")
        assert (await rig.client.head(url)).status_code == 404
    assert (await rig.client.get(other["hls_url"])).content == MASTER
    assert (await rig.client.get(other["hls_url"])).status_code == 200


async def test_a_token_issued_after_the_withdrawal_plays(
    rig: StreamRig, rig_clock: HeldClock
) -> None:
    # Catalogue decides who may have a token afterwards (an admin previewing a draft, a
    # republished item): streaming refuses only the tokens from before.
    media_id = str(uuid.uuid4())
    await rig.in_app(store_package, rig.media, media_id)
    old = await issue_for(rig, media_id)
    await withdraw(rig, MEDIA_UNPUBLISHED, media_id, rig_clock.advance(1))
    await refused_within(rig, old["hls_url"])
    rig_clock.advance(1)

    new = await issue_for(rig, media_id)

    assert (await rig.client.get(new["hls_url"])).content == MASTER
    assert (await rig.client.get(new["hls_url"])).status_code == 200
    assert_error(await rig.client.get(old["hls_url"]), 404, "stream_token_not_found")


async def test_a_token_decided_on_before_the_withdrawal_stops(
    rig: StreamRig, rig_clock: HeldClock
) -> None:
    """Catalogue read the item (published), an admin withdrew it, and the token was issued
    seconds later: it counts from catalogue's decision, so the withdrawal stops it (stamped
    with streaming's time of issue, it played on)."""
    media_id = str(uuid.uuid4())
    await rig.in_app(store_package, rig.media, media_id)
    decided_at = rig_clock().timestamp()
    await withdraw(rig, MEDIA_UNPUBLISHED, media_id, rig_clock.advance(1))
    rig_clock.advance(1)

    late = await issue_decided(rig, media_id, decided_at)

    await refused_within(rig, late["hls_url"])
    # A decision dated after the withdrawal (even in the future) plays from now.
    again = await issue_decided(rig, media_id, decided_at + 60)
    assert (await rig.client.get(again["hls_url"])).content == MASTER


async def test_a_decision_time_out_of_range_is_refused(rig: StreamRig) -> None:
    for bad in (-1, "soon", 10_000_000_001, 1e300):
        r = await rig.issue(f"{uuid.uuid4()}.mp4", 1, decided_at=bad)
        assert_error(r, 400)


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

    assert (await rig.client.get(grant["hls_url"])).content == MASTER
    health = await rig.client.get("/ready")
    assert health.status_code == 200, health.text


async def test_a_restarted_process_still_refuses_earlier_tokens(
    stream_settings: Any, rig_clock: HeldClock
) -> None:
    # NATS replays one token lifetime of events at start-up; the in-process bus of the
    # one-process dev mode has nothing to replay, so the take-downs kept in KV tell it.
    settings: Settings = stream_settings()
    media_id = str(uuid.uuid4())
    async with stream_rig(settings, clock=rig_clock) as rig:
        await rig.in_app(store_package, rig.media, media_id)
        grant = await issue_for(rig, media_id)
        await withdraw(rig, MEDIA_DELETED, media_id, rig_clock.advance(1))
        await refused_within(rig, grant["hls_url"])

    async with stream_rig(settings, clock=rig_clock) as restarted:
        response = await restarted.client.get(grant["hls_url"])

        assert_error(response, 404, "stream_token_not_found")
        other = str(uuid.uuid4())
        await restarted.in_app(store_package, restarted.media, other)
        fresh = await issue_for(restarted, other)
        assert (await restarted.client.get(fresh["hls_url"])).content == MASTER
