"""Scheduled publishing: an admin sets a draft's publish time (``PATCH … publish_at``),
moves or cancels it; the catalogue's periodic step publishes it when due, as publishing by
hand does, once however many replicas step at once; viewers see nothing of it before.
On both backend kinds."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import msgspec
import pytest
from catalogue_testing import (
    API,
    EventLog,
    admin_headers,
    as_admin,
    create_item,
    eventually,
    item_body,
    outbox_backlog,
    register_queued,
    to_new,
    unused_streaming,
    viewer_headers,
)

from streamstack.catalogue.module import SCHEDULE_TASK_NAME
from streamstack.catalogue.service import CatalogueService
from streamstack.contracts.catalogue import (
    MEDIA_PUBLISHED,
    CatalogueClient,
    ProcessingUpdate,
    Rendition,
)
from streamstack.kernel.clock import utcnow
from streamstack.kernel.transport import InProcessTransport
from support.apps import AppClient, running_app
from support.clock import HeldClock
from support.fixtures import SettingsFactory

HOUR = 3600.0


@pytest.fixture
def clock() -> HeldClock:
    """The app's time, held: an item is due only when the test moves it on."""
    return HeldClock(utcnow().replace(microsecond=0))


@pytest.fixture
async def app(settings_factory: SettingsFactory, clock: HeldClock) -> AsyncIterator[AppClient]:
    """Catalogue (and streaming, for stream tokens) whose publishing step runs often."""
    async with scheduling_app(settings_factory, clock) as client:
        yield client


@pytest.fixture(scope="module")
async def module_app(
    module_settings_factory: SettingsFactory, module_clock: HeldClock
) -> AsyncIterator[AppClient]:
    """``app`` shared by the module's tests that touch only an item of their own and never
    move the clock (one app per backend kind)."""
    async with scheduling_app(module_settings_factory, module_clock) as client:
        yield client


def scheduling_app(
    factory: SettingsFactory, clock: HeldClock
) -> AbstractAsyncContextManager[AppClient]:
    settings = factory(modules=("catalogue", "streaming"), catalogue_schedule_interval_seconds=0.05)
    return running_app(settings, clock=clock)


def replica(app: AppClient, clock: HeldClock) -> CatalogueService:
    """Another replica's use cases on the app's database (its step is driven by the test)."""
    database = app.app.state.backends.database
    return CatalogueService(
        database, wake_relay=lambda: None, streaming=unused_streaming, clock=clock
    )


def at(clock: HeldClock, hours: float, offset_hours: int = 2) -> str:
    """RFC 3339 of ``hours`` from the held now, written in another time zone's offset."""
    zone = datetime.timezone(datetime.timedelta(hours=offset_hours))
    return (clock.now + datetime.timedelta(hours=hours)).astimezone(zone).isoformat()


def instant(text: str | None) -> datetime.datetime | None:
    """The instant an RFC 3339 text names (None for None)."""
    return None if text is None else datetime.datetime.fromisoformat(text)


async def schedule(app: AppClient, item_id: str, when: str | None) -> Any:
    """PATCH the item's publish time as an admin; its JSON (200 asserted)."""
    settings = app.app.state.settings
    r = await app.patch(
        f"{API}/{item_id}", json={"publish_at": when}, headers=admin_headers(settings)
    )
    assert r.status_code == 200, r.text
    return r.json()


async def scheduled_draft(app: AppClient, clock: HeldClock) -> Any:
    """A new draft scheduled to go public in an hour; its JSON."""
    draft = await create_item(app, app.app.state.settings, publish=False)
    return await schedule(app, draft["id"], at(clock, 1))


async def admin_view(app: AppClient, item_id: str) -> Any:
    r = await app.get(f"{API}/{item_id}", headers=admin_headers(app.app.state.settings))
    assert r.status_code == 200, r.text
    return r.json()


async def all_relayed(backends: Any) -> None:
    """Wait for the outbox to be empty: a log attached after it holds only what comes later
    (a draft's own media.unpublished, announced at its creation, was still being relayed
    on a loaded machine when the log attached, and counted)."""

    async def relayed() -> bool:
        return await outbox_backlog(backends) == 0

    await eventually(relayed, what="an empty outbox")


async def test_a_scheduled_draft_is_hidden_then_published_as_by_hand(
    app: AppClient, clock: HeldClock
) -> None:
    settings = app.app.state.settings
    viewer = viewer_headers(settings)
    draft = await create_item(app, settings, title="Monday lecture", publish=False)
    when = at(clock, 1)
    scheduled = await schedule(app, draft["id"], when)
    assert scheduled["status"] == "draft"
    # Kept and answered in UTC, the same instant as given.
    assert scheduled["publish_at"].endswith("Z")
    assert datetime.datetime.fromisoformat(scheduled["publish_at"]) == (
        datetime.datetime.fromisoformat(when)
    )
    # Viewers see nothing of it before its time: not listed, not by id, no stream token.
    assert (await app.get(f"{API}/{draft['id']}", headers=viewer)).status_code == 404
    assert (await app.get(f"{API}/", headers=viewer)).json()["total"] == 0
    r = await app.post(f"{API}/{draft['id']}/stream-token", headers=viewer)
    assert r.status_code == 404
    # Admins find it among the scheduled drafts.
    admin = admin_headers(settings)
    listed = (await app.get(f"{API}/", params={"status": "scheduled"}, headers=admin)).json()
    assert [item["id"] for item in listed["items"]] == [draft["id"]]

    backends = app.app.state.backends
    await all_relayed(backends)
    async with EventLog.attached(backends) as log:
        due = clock.advance(HOUR + 1)

        async def published() -> bool:
            return (await app.get(f"{API}/{draft['id']}", headers=viewer)).status_code == 200

        await eventually(published, what="the scheduled item going public")

        await all_relayed(backends)
    shown = (await app.get(f"{API}/{draft['id']}", headers=viewer)).json()
    assert shown["status"] == "published"
    assert datetime.datetime.fromisoformat(shown["published_at"]) == due
    assert (await admin_view(app, draft["id"]))["publish_at"] is None
    assert [e.subject for e in log.about(draft["id"])] == [MEDIA_PUBLISHED]
    listed = (await app.get(f"{API}/", params={"status": "scheduled"}, headers=admin)).json()
    assert listed["total"] == 0
    ready = (await app.get("/ready")).json()
    assert ready["checks"][f"task:{SCHEDULE_TASK_NAME}"] == "ok"


async def test_steps_racing_publish_each_due_item_once(
    settings_factory: SettingsFactory, clock: HeldClock
) -> None:
    # The app's own step stays out of it: two replicas' steps race here.
    settings = settings_factory(modules=("catalogue",), catalogue_schedule_interval_seconds=HOUR)
    async with running_app(settings, clock=clock) as app:
        drafts = [await create_item(app, settings, publish=False) for _ in range(4)]
        for draft in drafts:
            await schedule(app, draft["id"], at(clock, 1))
        clock.advance(HOUR)
        first, second = replica(app, clock), replica(app, clock)
        backends = app.app.state.backends
        await all_relayed(backends)
        async with EventLog.attached(backends) as log:
            await asyncio.gather(*(step.publish_due() for step in (first, second, first, second)))
            await all_relayed(backends)
        for draft in drafts:
            assert (await admin_view(app, draft["id"]))["status"] == "published"
            assert [e.subject for e in log.about(draft["id"])] == [MEDIA_PUBLISHED]


async def test_a_future_moved_or_cancelled_schedule_publishes_nothing(
    settings_factory: SettingsFactory, clock: HeldClock
) -> None:
    settings = settings_factory(modules=("catalogue",), catalogue_schedule_interval_seconds=HOUR)
    async with running_app(settings, clock=clock) as app:
        due, moved, cancelled, later = [
            await create_item(app, settings, publish=False) for _ in range(4)
        ]
        for draft in (due, moved, cancelled):
            await schedule(app, draft["id"], at(clock, 1))
        await schedule(app, later["id"], at(clock, 3))
        await schedule(app, moved["id"], at(clock, 5))
        assert (await schedule(app, cancelled["id"], None))["publish_at"] is None
        clock.advance(2 * HOUR)
        assert await replica(app, clock).publish_due() is False
        assert (await admin_view(app, due["id"]))["status"] == "published"
        for draft, publish_at in ((moved, at(clock, 3)), (later, at(clock, 1)), (cancelled, None)):
            shown = await admin_view(app, draft["id"])
            assert (shown["status"], instant(shown["publish_at"])) == ("draft", instant(publish_at))


async def test_a_due_item_goes_public_once_it_plays_and_a_failed_one_waits(
    settings_factory: SettingsFactory, clock: HeldClock
) -> None:
    settings = settings_factory(modules=("catalogue",), catalogue_schedule_interval_seconds=HOUR)
    async with running_app(settings, clock=clock) as app:
        # Originals no browser plays: playable only once transcoded.
        coming = await register_queued(app, settings, publish=False, playable=False)
        failing = await register_queued(app, settings, publish=False, playable=False)
        for item in (coming, failing):
            await schedule(app, item["id"], at(clock, 1))
        clock.advance(2 * HOUR)
        step = replica(app, clock)
        await step.publish_due()
        for item in (coming, failing):  # due, but no viewer could play it: still a draft
            shown = await admin_view(app, item["id"])
            assert (shown["status"], shown["publish_at"] is not None) == ("draft", True)
        await step.update_processing(
            ProcessingUpdate(media_id=failing["id"], state="failed", detail="decoder gave up")
        )
        await step.update_processing(
            ProcessingUpdate(
                media_id=coming["id"],
                state="ready",
                hls=True,
                renditions=[Rendition(height=720, bandwidth=2_000_000)],
            )
        )
        ready_at = clock.advance(60)
        await step.publish_due()
        shown = await admin_view(app, coming["id"])
        assert (shown["status"], shown["publish_at"]) == ("published", None)
        assert datetime.datetime.fromisoformat(shown["published_at"]) == ready_at
        # The failed one stays a draft, still scheduled: the library says it is overdue.
        shown = await admin_view(app, failing["id"])
        assert (shown["status"], shown["processing_state"]) == ("draft", "failed")
        assert shown["publish_at"] is not None


async def test_publishing_or_unpublishing_by_hand_clears_the_schedule(
    app: AppClient, clock: HeldClock
) -> None:
    settings = app.app.state.settings
    admin = admin_headers(settings)
    draft = await create_item(app, settings, publish=False)
    await schedule(app, draft["id"], at(clock, 1))
    r = await app.patch(f"{API}/{draft['id']}", json={"status": "published"}, headers=admin)
    assert (r.json()["status"], r.json()["publish_at"]) == ("published", None)
    r = await app.patch(f"{API}/{draft['id']}", json={"status": "draft"}, headers=admin)
    assert (r.json()["status"], r.json()["publish_at"]) == ("draft", None)
    clock.advance(2 * HOUR)
    await replica(app, clock).publish_due()
    assert (await admin_view(app, draft["id"]))["status"] == "draft"


async def test_unpublishing_a_scheduled_draft_cancels_its_schedule_quietly(
    app: AppClient, clock: HeldClock
) -> None:
    settings = app.app.state.settings
    draft = await scheduled_draft(app, clock)
    backends = app.app.state.backends
    await all_relayed(backends)
    async with EventLog.attached(backends) as log:
        r = await app.patch(
            f"{API}/{draft['id']}", json={"status": "draft"}, headers=admin_headers(settings)
        )
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["publish_at"]) == ("draft", None)
        clock.advance(2 * HOUR)
        assert await replica(app, clock).publish_due() is False

        await all_relayed(backends)
    shown = await admin_view(app, draft["id"])
    assert (shown["status"], shown["publish_at"]) == ("draft", None)
    # Viewers never saw it: nothing new is announced.
    assert log.about(draft["id"]) == []


async def test_cancelling_the_schedule_of_a_video_gone_public_is_refused(
    app: AppClient, clock: HeldClock
) -> None:
    settings = app.app.state.settings
    draft = await scheduled_draft(app, clock)
    went_public = clock.advance(HOUR + 1)

    async def published() -> bool:
        return (await admin_view(app, draft["id"]))["status"] == "published"

    await eventually(published, what="the scheduled item going public")
    before = await admin_view(app, draft["id"])
    r = await app.patch(
        f"{API}/{draft['id']}", json={"publish_at": None}, headers=admin_headers(settings)
    )
    assert (r.status_code, r.json()["code"]) == (409, "already_published"), r.text
    assert f"went public at {went_public.isoformat()}" in r.json()["detail"]
    assert await admin_view(app, draft["id"]) == before


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"publish_at": "PAST"}, 400, "publish_at_past"),
        ({"publish_at": "NOW"}, 400, "publish_at_past"),
        ({"publish_at": "2031-03-02T09:00:00"}, 400, None),  # no offset: whose 9:00?
        ({"publish_at": "next monday"}, 400, None),
        ({"publish_at": "2031-02-30T09:00:00Z"}, 400, None),
        ({"publish_at": "FAR"}, 400, "publish_at_too_far"),
        ({"publish_at": "9999-03-02T09:00:00Z"}, 400, "publish_at_too_far"),
        ({"publish_at": "FUTURE", "status": "published"}, 400, "validation_error"),
        ({"publish_at": "FUTURE", "status": "draft"}, 400, "validation_error"),
    ],
)
async def test_a_bad_publish_time_is_refused_and_changes_nothing(
    module_app: AppClient,
    module_clock: HeldClock,
    body: dict[str, Any],
    status: int,
    code: str | None,
) -> None:
    """On the module's app: a draft of its own, refused writes only, the clock held still."""
    app, clock = module_app, module_clock
    settings = app.app.state.settings
    draft = await create_item(app, settings, publish=False)
    await schedule(app, draft["id"], at(clock, 5))
    before = await admin_view(app, draft["id"])
    eleven_years = 11 * 366 * 24.0
    times = {
        "PAST": at(clock, -1),
        "NOW": at(clock, 0),
        "FUTURE": at(clock, 1),
        "FAR": at(clock, eleven_years),
    }
    sent = {key: times.get(value, value) for key, value in body.items()}
    r = await app.patch(f"{API}/{draft['id']}", json=sent, headers=admin_headers(settings))
    assert r.status_code == status, r.text
    assert r.json()["detail"]
    if code is not None:
        assert r.json()["code"] == code
    assert await admin_view(app, draft["id"]) == before


async def test_an_item_registered_with_a_schedule_is_a_scheduled_draft(
    module_app: AppClient, module_clock: HeldClock
) -> None:
    """An upload's schedule (walk 53 F1) reaches the catalogue with the item: a draft
    scheduled then; publishing now as well, or a typo's year, is refused and makes nothing.
    A time that passed while the file was uploaded is due (the upload checked it was ahead),
    but an admin registering an item over HTTP with a past time is refused, as an edit is."""
    app, clock, settings = module_app, module_clock, module_app.app.state.settings
    item = await create_item(app, settings, publish=False, publish_at=at(clock, 2))
    assert (item["status"], instant(item["publish_at"])) == ("draft", instant(at(clock, 2)))
    contract = CatalogueClient(InProcessTransport(app.app.state.operations))
    passed = clock.now - datetime.timedelta(hours=1)
    late = await contract.create_item(to_new(publish=False, publish_at=passed), as_admin(settings))
    assert (late.status, late.publish_at) == ("draft", passed)
    admin = admin_headers(settings)
    total = (await app.get(f"{API}/", params={"status": "all"}, headers=admin)).json()["total"]
    for refused, code in (
        ({"publish": False, "publish_at": at(clock, -1)}, "publish_at_past"),
        ({"publish": True, "publish_at": at(clock, 2)}, "validation_error"),
        ({"publish": False, "publish_at": at(clock, 11 * 366 * 24.0)}, "publish_at_too_far"),
    ):
        r = await app.post(f"{API}/", json=item_body(**refused), headers=admin)
        assert (r.status_code, r.json()["code"]) == (400, code), r.text
    after = (await app.get(f"{API}/", params={"status": "all"}, headers=admin)).json()["total"]
    assert after == total


async def test_scheduling_a_published_item_or_as_a_viewer_is_refused(
    app: AppClient, clock: HeldClock
) -> None:
    settings = app.app.state.settings
    live = await create_item(app, settings)
    url = f"{API}/{live['id']}"
    r = await app.patch(url, json={"publish_at": at(clock, 1)}, headers=admin_headers(settings))
    assert (r.status_code, r.json()["code"]) == (409, "already_published")
    draft = await create_item(app, settings, publish=False)
    url = f"{API}/{draft['id']}"
    r = await app.patch(url, json={"publish_at": at(clock, 1)}, headers=viewer_headers(settings))
    assert r.status_code == 403
    assert (await app.patch(url, json={"publish_at": at(clock, 1)})).status_code == 401
    assert (await admin_view(app, draft["id"]))["publish_at"] is None
    assert (await admin_view(app, live["id"]))["status"] == "published"


async def test_sort_due_lists_the_soonest_publish_time_first(
    app: AppClient, clock: HeldClock
) -> None:
    settings = app.app.state.settings
    admin = admin_headers(settings)
    created = []
    for hours in (3, 1, 2):  # created in another order than they are due
        draft = await create_item(app, settings, title=f"In {hours} hours", publish=False)
        created.append((await schedule(app, draft["id"], at(clock, hours)))["id"])
    unscheduled = (await create_item(app, settings, title="Someday", publish=False))["id"]
    soonest_first = [created[1], created[2], created[0]]

    async def listed(**params: str) -> list[str]:
        r = await app.get(f"{API}/", params={"sort": "due", **params}, headers=admin)
        assert r.status_code == 200, r.text
        return [item["id"] for item in r.json()["items"]]

    assert await listed(status="scheduled") == soonest_first
    # Among every item, the ones without a publish time come after the scheduled ones.
    assert await listed(status="all") == [*soonest_first, unscheduled]
    assert await listed(status="scheduled", page_size="2", page="2") == [created[0]]


async def test_a_video_published_again_keeps_its_first_date_and_place(
    app: AppClient, clock: HeldClock
) -> None:
    # Walk 53 (F5): unpublished a minute to mend it, Lecture 2 came back as the newest
    # video, first in Browse and in the feed as a new release.
    settings = app.app.state.settings
    admin, viewer = admin_headers(settings), viewer_headers(settings)
    lecture = await create_item(app, settings, title="Lecture 2")
    clock.advance(HOUR)
    await create_item(app, settings, title="Lecture 5")
    first_date = lecture["published_at"]

    async def status(value: str) -> Any:
        r = await app.patch(f"{API}/{lecture['id']}", json={"status": value}, headers=admin)
        assert r.status_code == 200, r.text
        return r.json()

    async def newest() -> list[str]:
        listed = (await app.get(f"{API}/", params={"sort": "newest"}, headers=viewer)).json()
        return [item["title"] for item in listed["items"]]

    clock.advance(HOUR)
    assert (await status("draft"))["published_at"] == first_date
    clock.advance(60)
    backends = app.app.state.backends
    await all_relayed(backends)
    async with EventLog.attached(backends) as log:
        assert (await status("published"))["published_at"] == first_date
        await all_relayed(backends)
    assert await newest() == ["Lecture 5", "Lecture 2"]
    # Streaming hears it is public again; the event carries the first date, not a new one.
    [event] = log.about(lecture["id"], MEDIA_PUBLISHED)
    assert msgspec.json.decode(event.payload)["published_at"] == first_date
    feed = (await app.get(f"{API}/feeds/videos.atom")).text
    assert feed.index("Lecture 5") < feed.index("Lecture 2")
    assert f"<published>{first_date}</published>" in feed

    # Scheduled back: the same, it is the same video.
    await status("draft")
    await schedule(app, lecture["id"], at(clock, 1))
    clock.advance(HOUR + 1)

    async def public() -> bool:
        return (await app.get(f"{API}/{lecture['id']}", headers=viewer)).status_code == 200

    await eventually(public, what="the scheduled item going public")
    assert (await admin_view(app, lecture["id"]))["published_at"] == first_date
    assert await newest() == ["Lecture 5", "Lecture 2"]
