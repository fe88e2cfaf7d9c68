"""An item's statistics for admins, on both backend kinds: views and watch time by day (UTC),
counted in each progress report's transaction (a gap longer than the player's interval adds
nothing), totals, and how far signed-in viewers got; refusals of viewers, strangers and bad
input; the days go with the item."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from catalogue_testing import API, admin_headers, create_item, put_object

from streamstack.catalogue.repository import reading
from streamstack.catalogue.watching import WATCH_GAP_MAX
from support.apps import AppClient, bearer, mint_token, running_app
from support.clock import HeldClock
from support.fixtures import SettingsFactory

#: Noon UTC: a day's reports stay on that day.
NOON = datetime.datetime(2031, 5, 4, 12, 0, tzinfo=datetime.UTC)
ORIGINAL = bytes(range(256)) * 8
GAP = WATCH_GAP_MAX.total_seconds()


@pytest.fixture
def clock() -> HeldClock:
    return HeldClock(NOON)


@pytest.fixture
async def app(settings_factory: SettingsFactory, clock: HeldClock) -> AsyncIterator[AppClient]:
    settings = settings_factory(modules=("catalogue", "streaming"))
    async with running_app(settings, clock=clock) as client:
        yield client


def viewer(app: AppClient) -> dict[str, str]:
    """A fresh viewer's Authorization header (named: a commenter must be)."""
    settings = app.app.state.settings
    return bearer(mint_token(settings, user_id=str(uuid.uuid4()), name="Ada"))


async def report(app: AppClient, item_id: str, headers: dict[str, str], position: float) -> None:
    r = await app.put(
        f"{API}/{item_id}/progress", json={"position_seconds": position}, headers=headers
    )
    assert r.status_code == 200, r.text


async def statistics(app: AppClient, item_id: str, **params: Any) -> dict[str, Any]:
    r = await app.get(
        f"{API}/{item_id}/statistics",
        params=params,
        headers=admin_headers(app.app.state.settings),
    )
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


async def test_views_and_watch_time_are_counted_by_day(app: AppClient, clock: HeldClock) -> None:
    """Reports the player's interval apart count the time between them; a pause longer
    than that adds nothing; each day (UTC) keeps its views; every day is listed."""
    item = await create_item(app, app.app.state.settings, duration_seconds=600.0)
    alice, bob = viewer(app), viewer(app)
    for position in (0.0, 10.0, 20.0):  # a view, then 10 s and 10 s watched
        await report(app, item["id"], alice, position)
        clock.advance(10)
    # A paused tab: the next report comes minutes later, and adds nothing.
    clock.advance(300)
    await report(app, item["id"], alice, 21.0)
    clock.advance(GAP + 1)
    await report(app, item["id"], alice, 22.0)
    clock.advance(GAP)
    await report(app, item["id"], alice, 37.0)  # at most the cap apart: counted
    clock.advance(86400)
    await report(app, item["id"], bob, 1.0)
    await report(app, item["id"], alice, 38.0)  # over an hour on: a view again

    stats = await statistics(app, item["id"], days=3)
    assert stats["period_days"] == 3
    assert stats["days"] == [
        {"date": "2031-05-03", "views": 0, "watch_seconds": 0.0},
        {"date": "2031-05-04", "views": 1, "watch_seconds": 20.0 + GAP},
        {"date": "2031-05-05", "views": 2, "watch_seconds": 0.0},
    ]
    assert stats["view_count"] == stats["views_in_period"] == 3
    assert stats["watch_seconds_in_period"] == 20.0 + GAP
    # How much of the video a view watched: the time watched over views times the length.
    assert stats["average_watched"] == pytest.approx((20.0 + GAP) / (3 * 600.0))
    default = await statistics(app, item["id"])
    assert len(default["days"]) == 30 and default["days"][-1]["date"] == "2031-05-05"
    only_today = await statistics(app, item["id"], days=1)
    assert only_today["days"] == [{"date": "2031-05-05", "views": 2, "watch_seconds": 0.0}]
    assert only_today["view_count"] == 3 and only_today["views_in_period"] == 2


async def test_first_reports_of_many_viewers_at_once_all_count(app: AppClient) -> None:
    """The day's first row written by many reports at once: each view counts once."""
    item = await create_item(app, app.app.state.settings, duration_seconds=60.0)
    viewers = [viewer(app) for _ in range(8)]
    await asyncio.gather(*(report(app, item["id"], headers, 1.0) for headers in viewers))
    stats = await statistics(app, item["id"], days=1)
    assert stats["days"][0]["views"] == 8 and stats["view_count"] == 8


async def test_how_far_viewers_got_and_the_other_counts(app: AppClient) -> None:
    """Viewers with a place, those who finished, the average share reached (a finished one
    all of it); likes, comments and share-link opens; null without a length or viewers."""
    settings = app.app.state.settings
    item = await create_item(app, settings, duration_seconds=100.0, size_bytes=len(ORIGINAL))
    await put_object(settings, item["s3_key"], ORIGINAL)
    untouched = await statistics(app, item["id"])
    assert (untouched["viewers"], untouched["finished"]) == (0, 0)
    assert untouched["average_reached"] is None
    assert untouched["average_watched"] is None  # no views: nothing to average
    alice, bob, carol = viewer(app), viewer(app), viewer(app)
    await report(app, item["id"], alice, 50.0)
    await report(app, item["id"], bob, 97.0)  # the last few seconds: finished
    await report(app, item["id"], carol, 0.0)
    for headers in (alice, bob):
        assert (await app.put(f"{API}/{item['id']}/like", headers=headers)).status_code == 200
    posted = await app.post(f"{API}/{item['id']}/comments", json={"body": "hi"}, headers=alice)
    assert posted.status_code == 201, posted.text
    admin = admin_headers(settings)
    link = await app.post(f"{API}/{item['id']}/shares", json={"expires_in_days": 7}, headers=admin)
    assert link.status_code == 201, link.text
    secret = link.json()["path"].removeprefix("/s/")
    for _ in range(3):
        assert (await app.get(f"{API}/shared/{secret}")).status_code == 200

    stats = await statistics(app, item["id"])
    assert (stats["viewers"], stats["finished"]) == (3, 1)
    assert stats["average_reached"] == 0.5  # (0.5 + 1 + 0) / 3
    # Unrounded: History rounds a viewer's place once (6.686 of 12.5 s: 53 %), and so do
    # the panel and `items stats`; 0.535 read 54 % (walk 53, F3).
    alone = await create_item(app, settings)
    await report(app, alone["id"], alice, 6.686)
    reached = (await statistics(app, alone["id"]))["average_reached"]
    assert reached == pytest.approx(6.686 / 12.5, abs=1e-9)
    assert (stats["like_count"], stats["comment_count"], stats["share_opens"]) == (2, 1, 3)
    unmeasured = await create_item(app, settings, duration_seconds=None)
    await report(app, unmeasured["id"], alice, 5.0)
    stats = await statistics(app, unmeasured["id"])
    assert stats["viewers"] == 1 and stats["average_reached"] is None


async def test_the_days_go_with_the_item(app: AppClient) -> None:
    item = await create_item(app, app.app.state.settings, duration_seconds=60.0)
    await report(app, item["id"], viewer(app), 1.0)
    admin = admin_headers(app.app.state.settings)
    assert (await app.delete(f"{API}/{item['id']}", headers=admin)).status_code == 204
    async with reading(app.app.state.backends.database) as store:
        assert await store.days.count() == 0
    r = await app.get(f"{API}/{item['id']}/statistics", headers=admin)
    assert r.status_code == 404 and r.json()["code"] == "item_not_found"


async def test_only_admins_read_statistics_and_bad_input_is_400(app: AppClient) -> None:
    """A viewer 403, no token 401, an unknown item 404, a malformed id 404 (no such
    route), a period out of 1 to 365 days or no number 400; each a JSON error."""
    settings = app.app.state.settings
    item = await create_item(app, settings, duration_seconds=60.0)
    url = f"{API}/{item['id']}/statistics"
    admin = admin_headers(settings)
    refusals = [
        (await app.get(url, headers=viewer(app)), 403),
        (await app.get(url), 401),
        (await app.get(url, headers=bearer("not-a-token")), 401),
        (await app.get(f"{API}/{uuid.uuid4()}/statistics", headers=admin), 404),
        (await app.get(f"{API}/not-a-uuid/statistics", headers=admin), 404),
    ]
    for days in ("0", "366", "-1", "abc", "1.5"):
        refusals.append((await app.get(url, params={"days": days}, headers=admin), 400))
    for answer, status in refusals:
        assert answer.status_code == status, (answer.request.url, answer.text)
        assert answer.json()["status"] == status
    assert len((await statistics(app, item["id"], days=365))["days"]) == 365
