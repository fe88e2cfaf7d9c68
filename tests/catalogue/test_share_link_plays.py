"""Plays by share links, on both backend kinds: each open of a link answers a ticket, and
the page's first play reports it; the link's ``plays`` (and the item's ``share_plays``)
grow by one per ticket, anonymously, never past its opens. Anything else (a link that does
not work, another link's ticket, one counted already or too old, a body of another shape)
is refused and counts nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from catalogue_testing import API, admin_headers, create_item

from streamstack.kernel.clock import utcnow
from support.apps import AppClient, running_app
from support.clock import HeldClock
from support.fixtures import SettingsFactory

NO_TICKET = "play_ticket_not_found"


@pytest.fixture
def clock() -> HeldClock:
    return HeldClock(utcnow().replace(microsecond=0))


@pytest.fixture
async def app(settings_factory: SettingsFactory, clock: HeldClock) -> AsyncIterator[AppClient]:
    settings = settings_factory(modules=("catalogue", "streaming"))
    async with running_app(settings, clock=clock) as client:
        yield client


def admin(app: AppClient) -> dict[str, str]:
    return admin_headers(app.app.state.settings)


async def shared_video(app: AppClient) -> tuple[str, str]:
    """A published video and the secret of a link to it."""
    item = await create_item(app, app.app.state.settings)
    r = await app.post(f"{API}/{item['id']}/shares", json={}, headers=admin(app))
    assert r.status_code == 201, r.text
    return item["id"], r.json()["path"].removeprefix("/s/")


async def ticket(app: AppClient, secret: str) -> str:
    """One load of the link's page: its play ticket."""
    r = await app.get(f"{API}/shared/{secret}")
    assert r.status_code == 200, r.text
    found: str = r.json()["play_ticket"]
    return found


async def report(app: AppClient, secret: str, body: Any) -> tuple[int, str | None]:
    r = await app.post(f"{API}/shared/{secret}/plays", json=body)
    return r.status_code, r.json()["code"] if r.content else None


async def counts(app: AppClient, item_id: str) -> tuple[int, int, int]:
    """The link's opens and plays, and the item's share plays in its statistics."""
    r = await app.get(f"{API}/{item_id}/shares", headers=admin(app))
    [link] = r.json()["links"]
    stats = await app.get(f"{API}/{item_id}/statistics", headers=admin(app))
    assert stats.status_code == 200, stats.text
    return link["opens"], link["plays"], stats.json()["share_plays"]


async def test_a_page_load_s_first_play_counts_once(app: AppClient) -> None:
    item_id, secret = await shared_video(app)
    first, second, _unplayed = [await ticket(app, secret) for _ in range(3)]
    assert len({first, second, _unplayed}) == 3

    assert await report(app, secret, {"ticket": first}) == (204, None)
    # The same page playing again (a seek, a replay, a second tab's retry): not counted.
    assert await report(app, secret, {"ticket": first}) == (404, NO_TICKET)
    assert await report(app, secret, {"ticket": second}) == (204, None)

    assert await counts(app, item_id) == (3, 2, 2)  # a page scrolled past is an open alone


async def test_a_ticket_counts_only_for_its_own_link_and_for_a_day(
    app: AppClient, clock: HeldClock
) -> None:
    item_id, secret = await shared_video(app)
    _, other_secret = await shared_video(app)
    others = await ticket(app, other_secret)
    assert await report(app, secret, {"ticket": others}) == (404, NO_TICKET)
    assert await report(app, secret, {"ticket": str(uuid.uuid4())}) == (404, NO_TICKET)

    stale = await ticket(app, secret)
    clock.advance(24 * 3600 + 1)
    assert await report(app, secret, {"ticket": stale}) == (404, NO_TICKET)
    assert await counts(app, item_id) == (1, 0, 0)


@pytest.mark.parametrize(
    "body",
    [{}, {"ticket": "not-a-uuid"}, {"ticket": None}, {"ticket": "TICKET", "seconds": 5}, []],
)
async def test_a_report_of_another_shape_is_400(app: AppClient, body: Any) -> None:
    item_id, secret = await shared_video(app)
    played = await ticket(app, secret)
    if isinstance(body, dict) and body.get("ticket") == "TICKET":
        body = {**body, "ticket": played}
    status, _ = await report(app, secret, body)
    assert status == 400
    assert await counts(app, item_id) == (1, 0, 0)


async def test_a_link_that_does_not_work_counts_no_play(app: AppClient) -> None:
    item_id, secret = await shared_video(app)
    played = await ticket(app, secret)
    for wrong in ("x" * 43, "short", secret.upper()):
        assert await report(app, wrong, {"ticket": played}) == (404, "share_not_found")
    r = await app.get(f"{API}/{item_id}/shares", headers=admin(app))
    stopped = await app.delete(f"{API}/shares/{r.json()['links'][0]['id']}", headers=admin(app))
    assert stopped.status_code == 204
    assert await report(app, secret, {"ticket": played}) == (404, "share_not_found")
    assert await counts(app, item_id) == (1, 0, 0)
