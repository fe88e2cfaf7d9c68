"""Watch progress on both backend kinds: resume, continue watching, history, and who may
touch whose progress (issue 16.1, backend)."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from pathlib import Path
from typing import Any

import msgspec
import pytest
from catalogue_testing import API, admin_headers, create_item, eventually

from streamstack.catalogue.models import WatchProgressRow
from streamstack.catalogue.repository import reading
from streamstack.catalogue.watching import NEW_VIEW_AFTER
from streamstack.contracts.auth import USER_DELETED, UserDeleted
from streamstack.kernel.backends import Backends
from support.apps import AppClient, bearer, mint_token, running_app
from support.fixtures import SettingsFactory, settings_for

Client = AppClient


def user(client: Client, role: str = "viewer") -> tuple[str, dict[str, str]]:
    """A fresh account id and its Authorization header."""
    user_id = str(uuid.uuid4())
    return user_id, bearer(mint_token(client.app.state.settings, user_id=user_id, role=role))


async def save(
    client: Client, item_id: str, headers: dict[str, str], position: float, **body: Any
) -> dict[str, Any]:
    r = await client.put(
        f"{API}/{item_id}/progress", json={"position_seconds": position, **body}, headers=headers
    )
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


async def listing(client: Client, which: str, headers: dict[str, str], **params: Any) -> Any:
    r = await client.get(f"{API}/me/{which}", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def ids(page: dict[str, Any]) -> list[str]:
    return [entry["item"]["id"] for entry in page["items"]]


async def stored_rows(client: Client, **where: uuid.UUID) -> int:
    """Rows of ``watch_progress`` matching ``where`` (straight from the database)."""
    async with reading(client.app.state.backends.database) as store:
        conditions = [getattr(WatchProgressRow, key) == value for key, value in where.items()]
        return await store.progress.count(*conditions)


async def test_a_viewer_saves_and_resumes_a_position(catalogue_client: Client) -> None:
    item = await create_item(
        catalogue_client, catalogue_client.app.state.settings, duration_seconds=600.0
    )
    _, headers = user(catalogue_client)

    r = await catalogue_client.get(f"{API}/{item['id']}/progress", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "media_id": item["id"],
        "position_seconds": 0.0,
        "duration_seconds": 600.0,
        "completed": False,
        "updated_at": None,
    }
    saved = await save(catalogue_client, item["id"], headers, 123.5)
    assert saved["position_seconds"] == 123.5
    assert saved["completed"] is False
    datetime.datetime.fromisoformat(saved["updated_at"])
    again = await save(catalogue_client, item["id"], headers, 123.5)  # idempotent
    assert again["position_seconds"] == 123.5

    r = await catalogue_client.get(f"{API}/{item['id']}/progress", headers=headers)
    assert r.json() == again
    # The item's own GET carries the caller's progress; without one it has none.
    r = await catalogue_client.get(f"{API}/{item['id']}", headers=headers)
    assert r.json()["progress"] == again
    r = await catalogue_client.get(f"{API}/{item['id']}")
    assert "progress" not in r.json()
    _, other = user(catalogue_client)
    r = await catalogue_client.get(f"{API}/{item['id']}", headers=other)
    assert "progress" not in r.json()


async def test_the_last_seconds_count_as_finished(catalogue_client: Client) -> None:
    settings = catalogue_client.app.state.settings
    long_item = await create_item(catalogue_client, settings, duration_seconds=3600.0)
    short_item = await create_item(catalogue_client, settings, duration_seconds=20.0)
    unknown = await create_item(catalogue_client, settings, duration_seconds=None)
    _, headers = user(catalogue_client)

    assert (await save(catalogue_client, long_item["id"], headers, 3000.0))["completed"] is False
    assert (await save(catalogue_client, long_item["id"], headers, 3592.0))["completed"] is True
    assert (await save(catalogue_client, short_item["id"], headers, 18.0))["completed"] is False
    assert (await save(catalogue_client, short_item["id"], headers, 19.0))["completed"] is True
    # Past the end is the end; the catalogue's length wins over the player's.
    beyond = await save(catalogue_client, short_item["id"], headers, 25.0, duration_seconds=99.0)
    assert beyond["position_seconds"] == 20.0
    assert beyond["duration_seconds"] == 20.0
    # Unknown to the catalogue: the player's length is used.
    guessed = await save(catalogue_client, unknown["id"], headers, 96.0, duration_seconds=100.0)
    assert guessed["completed"] is True
    assert guessed["duration_seconds"] == 100.0
    blind = await save(catalogue_client, unknown["id"], headers, 5000.0)
    assert blind["completed"] is False
    assert blind["position_seconds"] == 5000.0


async def test_a_glance_at_the_start_keeps_a_finished_or_further_place(
    catalogue_client: Client,
) -> None:
    """Up next autoplays into a video and the viewer leaves at 0:00: a finished video stays
    watched, a place further on stays (outside walk 49, F2); watching on past a few seconds
    saves the new place."""
    settings = catalogue_client.app.state.settings
    finished = await create_item(catalogue_client, settings, duration_seconds=30.0)
    halfway = await create_item(catalogue_client, settings, duration_seconds=30.0)
    _, headers = user(catalogue_client)
    watched = await save(catalogue_client, finished["id"], headers, 30.0)
    assert (await save(catalogue_client, finished["id"], headers, 0.0)) == watched
    assert (await save(catalogue_client, finished["id"], headers, 4.5)) == watched
    history = await listing(catalogue_client, "history", headers)
    assert [
        entry["progress"] for entry in history["items"] if entry["item"]["id"] == finished["id"]
    ] == [watched]

    place = await save(catalogue_client, halfway["id"], headers, 12.0)
    assert (await save(catalogue_client, halfway["id"], headers, 0.0)) == place
    again = await save(catalogue_client, halfway["id"], headers, 6.0)  # watched on from the start
    assert again["position_seconds"] == 6.0
    started = await save(catalogue_client, finished["id"], headers, 5.0)
    assert started["position_seconds"] == 5.0
    assert started["completed"] is False


async def test_continue_watching_and_history_newest_first(catalogue_client: Client) -> None:
    settings = catalogue_client.app.state.settings
    items = [
        await create_item(catalogue_client, settings, duration_seconds=600.0, title=f"Item {n}")
        for n in range(4)
    ]
    _, headers = user(catalogue_client)
    await save(catalogue_client, items[0]["id"], headers, 60.0)
    await save(catalogue_client, items[1]["id"], headers, 599.0)  # finished
    await save(catalogue_client, items[2]["id"], headers, 0.0)  # opened, never played
    await save(catalogue_client, items[3]["id"], headers, 300.0)

    watching = await listing(catalogue_client, "continue-watching", headers)
    assert ids(watching) == [items[3]["id"], items[0]["id"]]
    assert watching["total"] == 2
    assert watching["items"][0]["progress"]["position_seconds"] == 300.0
    assert watching["items"][0]["item"]["title"] == "Item 3"

    history = await listing(catalogue_client, "history", headers)
    assert ids(history) == [item["id"] for item in reversed(items)]
    assert history["total"] == 4
    second = await listing(catalogue_client, "history", headers, page=2, page_size=3)
    assert ids(second) == [items[0]["id"]]
    assert (second["total"], second["page"], second["page_size"]) == (4, 2, 3)
    # Watching an item again moves it to the front.
    await save(catalogue_client, items[0]["id"], headers, 90.0)
    assert ids(await listing(catalogue_client, "history", headers))[0] == items[0]["id"]


async def test_remove_one_entry_and_clear_the_history(catalogue_client: Client) -> None:
    settings = catalogue_client.app.state.settings
    first = await create_item(catalogue_client, settings)
    second = await create_item(catalogue_client, settings)
    _, headers = user(catalogue_client)
    await save(catalogue_client, first["id"], headers, 5.0)
    await save(catalogue_client, second["id"], headers, 6.0)

    r = await catalogue_client.delete(f"{API}/me/history/{first['id']}", headers=headers)
    assert r.status_code == 204, r.text
    assert ids(await listing(catalogue_client, "history", headers)) == [second["id"]]
    r = await catalogue_client.delete(f"{API}/me/history/{first['id']}", headers=headers)
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"
    r = await catalogue_client.get(f"{API}/{first['id']}/progress", headers=headers)
    assert r.json()["position_seconds"] == 0.0

    r = await catalogue_client.delete(f"{API}/me/history", headers=headers)
    assert r.status_code == 204
    assert (await listing(catalogue_client, "history", headers))["items"] == []
    r = await catalogue_client.delete(f"{API}/me/history", headers=headers)  # again: fine
    assert r.status_code == 204


async def test_no_one_reads_or_changes_another_users_progress(catalogue_client: Client) -> None:
    item = await create_item(
        catalogue_client, catalogue_client.app.state.settings, duration_seconds=600.0
    )
    alice_id, alice = user(catalogue_client)
    _, bob = user(catalogue_client)
    await save(catalogue_client, item["id"], alice, 42.0)

    r = await catalogue_client.get(f"{API}/{item['id']}/progress", headers=bob)
    assert r.json()["position_seconds"] == 0.0
    assert (await listing(catalogue_client, "history", bob))["items"] == []
    assert (await listing(catalogue_client, "continue-watching", bob))["items"] == []
    r = await catalogue_client.delete(f"{API}/me/history/{item['id']}", headers=bob)
    assert r.status_code == 404
    assert (await catalogue_client.delete(f"{API}/me/history", headers=bob)).status_code == 204
    # Bob's save is Bob's; a user id in the body is refused, not used.
    await save(catalogue_client, item["id"], bob, 10.0)
    r = await catalogue_client.put(
        f"{API}/{item['id']}/progress",
        json={"position_seconds": 1.0, "user_id": alice_id},
        headers=bob,
    )
    assert r.status_code == 400
    r = await catalogue_client.get(f"{API}/{item['id']}/progress", headers=alice)
    assert r.json()["position_seconds"] == 42.0
    assert ids(await listing(catalogue_client, "history", alice)) == [item["id"]]


async def test_anonymous_callers_get_401_everywhere(catalogue_client: Client) -> None:
    item = await create_item(catalogue_client, catalogue_client.app.state.settings)
    calls = [
        ("PUT", f"{API}/{item['id']}/progress", {"position_seconds": 1.0}),
        ("GET", f"{API}/{item['id']}/progress", None),
        ("GET", f"{API}/me/continue-watching", None),
        ("GET", f"{API}/me/history", None),
        ("DELETE", f"{API}/me/history/{item['id']}", None),
        ("DELETE", f"{API}/me/history", None),
    ]
    for method, url, body in calls:
        r = await catalogue_client.request(method, url, json=body)
        assert r.status_code == 401, (method, url, r.text)
        assert r.json()["code"] == "unauthorized"
        expired = bearer(mint_token(catalogue_client.app.state.settings, ttl_seconds=-60))
        r = await catalogue_client.request(method, url, json=body, headers=expired)
        assert r.status_code == 401, (method, url, r.text)


async def test_bad_positions_and_ids_are_refused(catalogue_client: Client) -> None:
    item = await create_item(catalogue_client, catalogue_client.app.state.settings)
    _, headers = user(catalogue_client)
    url = f"{API}/{item['id']}/progress"
    for body in (
        b'{"position_seconds": -1}',
        b'{"position_seconds": NaN}',
        b'{"position_seconds": Infinity}',
        b'{"position_seconds": 1e309}',
        b'{"position_seconds": 1e12}',
        b'{"position_seconds": null}',
        b'{"position_seconds": 1, "duration_seconds": -5}',
        b"{}",
        b"[]",
        b"not json",
        b"",
    ):
        r = await catalogue_client.put(url, content=body, headers=headers)
        assert r.status_code == 400, (body, r.text)
        assert set(r.json()) == {"status", "code", "detail", "request_id"}
    for bad_url in (f"{API}/not-a-uuid/progress", f"{API}/me/history/12345"):
        for method in ("GET", "PUT", "DELETE"):
            r = await catalogue_client.request(
                method, bad_url, json={"position_seconds": 1}, headers=headers
            )
            assert r.status_code in (404, 405), (method, bad_url, r.text)
            assert r.json()["status"] == r.status_code
    unknown = str(uuid.uuid4())
    for method in ("GET", "PUT"):
        r = await catalogue_client.request(
            method, f"{API}/{unknown}/progress", json={"position_seconds": 1}, headers=headers
        )
        assert r.status_code == 404, r.text
        assert r.json()["code"] == "not_found"
    r = await catalogue_client.delete(f"{API}/me/history/{unknown}", headers=headers)
    assert r.status_code == 404
    for params in ({"page": 0}, {"page_size": 0}, {"page_size": 101}, {"page": "x"}):
        r = await catalogue_client.get(f"{API}/me/history", params=params, headers=headers)
        assert r.status_code == 400, (params, r.text)


async def test_a_beacon_shaped_save_is_accepted(catalogue_client: Client) -> None:
    """The SPA's page-hide save: a keepalive fetch whose JSON body may be a text/plain blob."""
    item = await create_item(catalogue_client, catalogue_client.app.state.settings)
    _, headers = user(catalogue_client)
    r = await catalogue_client.put(
        f"{API}/{item['id']}/progress",
        content=b'{"position_seconds": 7.25, "duration_seconds": 12.5}',
        headers={**headers, "Content-Type": "text/plain;charset=UTF-8"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["position_seconds"] == 7.25


async def test_viewers_see_only_playable_published_items(catalogue_client: Client) -> None:
    settings = catalogue_client.app.state.settings
    item = await create_item(catalogue_client, settings, duration_seconds=600.0)
    draft = await create_item(catalogue_client, settings, publish=False)
    _, viewer = user(catalogue_client)
    _, admin = user(catalogue_client, role="admin")
    await save(catalogue_client, item["id"], viewer, 30.0)
    await save(catalogue_client, item["id"], admin, 30.0)
    # A draft cannot be watched by a viewer, so neither saved nor read; an admin may.
    r = await catalogue_client.put(
        f"{API}/{draft['id']}/progress", json={"position_seconds": 3.0}, headers=viewer
    )
    assert r.status_code == 404
    r = await catalogue_client.get(f"{API}/{draft['id']}/progress", headers=viewer)
    assert r.status_code == 404
    await save(catalogue_client, draft["id"], admin, 3.0)

    r = await catalogue_client.patch(
        f"{API}/{item['id']}", json={"status": "draft"}, headers=admin_headers(settings)
    )
    assert r.status_code == 200, r.text
    for which in ("history", "continue-watching"):
        assert (await listing(catalogue_client, which, viewer))["items"] == []
        assert set(ids(await listing(catalogue_client, which, admin))) == {
            item["id"],
            draft["id"],
        }
    r = await catalogue_client.patch(
        f"{API}/{item['id']}", json={"status": "published"}, headers=admin_headers(settings)
    )
    assert ids(await listing(catalogue_client, "history", viewer)) == [item["id"]]


async def test_history_counts_entries_unpublished_but_not_those_deleted(
    catalogue_client: Client,
) -> None:
    """An unpublished item's history entry is kept out of sight: history (and continue
    watching) say how many, as a playlist does; a deleted item's entry is gone and not
    counted, and an admin's own list hides none."""
    settings = catalogue_client.app.state.settings
    admin = admin_headers(settings)
    heron, rover, tram = [
        await create_item(catalogue_client, settings, duration_seconds=600.0) for _ in range(3)
    ]
    _, alice = user(catalogue_client)
    _, bob = user(catalogue_client)
    _, own = user(catalogue_client, role="admin")
    for headers in (alice, own):
        for entry in (heron, rover, tram):
            await save(catalogue_client, entry["id"], headers, 30.0)
    await save(catalogue_client, tram["id"], bob, 30.0)
    r = await catalogue_client.patch(
        f"{API}/{heron['id']}", json={"status": "draft"}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert (await catalogue_client.delete(f"{API}/{rover['id']}", headers=admin)).status_code == 204
    for which in ("history", "continue-watching"):
        page = await listing(catalogue_client, which, alice)
        assert (ids(page), page["total"], page["unavailable_count"]) == ([tram["id"]], 1, 1)
        assert (await listing(catalogue_client, which, bob))["unavailable_count"] == 0
        mine = await listing(catalogue_client, which, own)
        assert (len(mine["items"]), mine["unavailable_count"]) == (2, 0)
    r = await catalogue_client.patch(
        f"{API}/{heron['id']}", json={"status": "published"}, headers=admin
    )
    assert r.status_code == 200, r.text
    page = await listing(catalogue_client, "history", alice)
    assert (page["total"], page["unavailable_count"]) == (2, 0)


async def test_clearing_history_removes_the_entries_not_available_now_too(
    catalogue_client: Client,
) -> None:
    """The History page offers Clear history while every entry is hidden (unpublished):
    those go with it, and do not come back once the item is published again."""
    settings = catalogue_client.app.state.settings
    admin = admin_headers(settings)
    item = await create_item(catalogue_client, settings, duration_seconds=600.0)
    alice_id, alice = user(catalogue_client)
    await save(catalogue_client, item["id"], alice, 30.0)
    url = f"{API}/{item['id']}"
    assert (await catalogue_client.patch(url, json={"status": "draft"}, headers=admin)).is_success
    page = await listing(catalogue_client, "history", alice)
    assert (page["total"], page["unavailable_count"]) == (0, 1)

    assert (await catalogue_client.delete(f"{API}/me/history", headers=alice)).status_code == 204
    assert await stored_rows(catalogue_client, user_id=uuid.UUID(alice_id)) == 0
    assert (
        await catalogue_client.patch(url, json={"status": "published"}, headers=admin)
    ).is_success
    page = await listing(catalogue_client, "history", alice)
    assert (page["total"], page["unavailable_count"]) == (0, 0)


async def test_watch_data_is_deleted_with_the_item(catalogue_client: Client) -> None:
    settings = catalogue_client.app.state.settings
    item = await create_item(catalogue_client, settings)
    kept = await create_item(catalogue_client, settings)
    _, alice = user(catalogue_client)
    _, bob = user(catalogue_client)
    for headers in (alice, bob):
        await save(catalogue_client, item["id"], headers, 4.0)
        await save(catalogue_client, kept["id"], headers, 4.0)
    assert await stored_rows(catalogue_client, media_id=uuid.UUID(item["id"])) == 2

    r = await catalogue_client.delete(f"{API}/{item['id']}", headers=admin_headers(settings))
    assert r.status_code == 204
    assert await stored_rows(catalogue_client, media_id=uuid.UUID(item["id"])) == 0
    assert await stored_rows(catalogue_client, media_id=uuid.UUID(kept["id"])) == 2
    assert ids(await listing(catalogue_client, "history", alice)) == [kept["id"]]


async def test_watch_data_is_deleted_with_the_user(catalogue_client: Client) -> None:
    """Auth's ``user.deleted`` event (published here as auth's relay would) removes every row
    of that account; a redelivery or an unreadable event does no harm."""
    item = await create_item(catalogue_client, catalogue_client.app.state.settings)
    alice_id, alice = user(catalogue_client)
    bob_id, bob = user(catalogue_client)
    for headers in (alice, bob):
        await save(catalogue_client, item["id"], headers, 4.0)
    events = catalogue_client.app.state.backends.events
    gone = UserDeleted(user_id=alice_id, deleted_at=datetime.datetime.now(datetime.UTC))
    event_id = str(uuid.uuid4())
    await events.publish(USER_DELETED, b"{not json", event_id=str(uuid.uuid4()))
    await events.publish(USER_DELETED, msgspec.json.encode(gone), event_id=event_id)

    async def alice_forgotten() -> bool:
        return await stored_rows(catalogue_client, user_id=uuid.UUID(alice_id)) == 0

    await eventually(alice_forgotten, "alice's watch data deleted")
    await events.publish(USER_DELETED, msgspec.json.encode(gone), event_id=str(uuid.uuid4()))
    assert await stored_rows(catalogue_client, user_id=uuid.UUID(bob_id)) == 1
    assert ids(await listing(catalogue_client, "history", bob)) == [item["id"]]


async def test_deleting_an_account_in_auth_deletes_its_watch_data(
    settings_factory: SettingsFactory,
) -> None:
    """End to end: auth's admin delete → its outbox → ``user.deleted`` → catalogue."""
    settings = settings_factory(modules=("auth", "catalogue"))
    async with running_app(settings) as client:
        item = await create_item(client, settings)
        account = {"email": f"{uuid.uuid4().hex}@example.test", "password": "a long passphrase 42"}
        r = await client.post("/api/v1/auth/register", json=account)
        assert r.status_code == 201, r.text
        user_id = r.json()["id"]
        r = await client.post("/api/v1/auth/login", json=account)
        assert r.status_code == 200, r.text
        await save(client, item["id"], bearer(r.json()["access_token"]), 3.0)
        assert await stored_rows(client, user_id=uuid.UUID(user_id)) == 1

        r = await client.delete(f"/api/v1/auth/users/{user_id}", headers=admin_headers(settings))
        assert r.status_code == 204, r.text

        async def forgotten() -> bool:
            return await stored_rows(client, user_id=uuid.UUID(user_id)) == 0

        await eventually(forgotten, "the deleted account's watch data deleted")


async def test_an_account_deleted_while_no_catalogue_ran_is_forgotten_at_start(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The subscription is durable: an event published while every catalogue process was
    down is handled when one starts. Production backends only (NATS JetStream): the
    embedded bus lives in the process, so nothing is published while it is down."""
    settings = settings_for("production", tmp_path, request, modules=("catalogue",))
    alice_id = str(uuid.uuid4())
    alice = bearer(mint_token(settings, user_id=alice_id))
    async with running_app(settings) as client:
        item = await create_item(client, settings)
        await save(client, item["id"], alice, 3.0)

    async with Backends(settings) as backends:
        gone = UserDeleted(user_id=alice_id, deleted_at=datetime.datetime.now(datetime.UTC))
        await backends.events.publish(
            USER_DELETED, msgspec.json.encode(gone), event_id=str(uuid.uuid4())
        )

    async with running_app(settings) as client:

        async def forgotten() -> bool:
            return await stored_rows(client, user_id=uuid.UUID(alice_id)) == 0

        await eventually(forgotten, "watch data of an account deleted while down deleted")


async def test_items_and_progress_are_stamped_by_the_apps_clock(
    settings_factory: SettingsFactory,
) -> None:
    """Catalogue's use cases read the time from the clock the app was built with."""
    moment = datetime.datetime(2031, 5, 4, 3, 2, 1, tzinfo=datetime.UTC)
    settings = settings_factory(modules=("catalogue", "streaming"))
    async with running_app(settings, clock=lambda: moment) as client:
        item = await create_item(client, settings, duration_seconds=60.0)
        _, headers = user(client)
        saved = await save(client, item["id"], headers, 12.0)
    assert datetime.datetime.fromisoformat(item["created_at"]) == moment
    assert datetime.datetime.fromisoformat(saved["updated_at"]) == moment


async def test_views_count_people_starting_to_watch(settings_factory: SettingsFactory) -> None:
    """A view: a viewer's first progress report on an item, and again after an hour without."""
    now = [datetime.datetime(2031, 5, 4, 12, 0, tzinfo=datetime.UTC)]
    settings = settings_factory(modules=("catalogue", "streaming"))
    async with running_app(settings, clock=lambda: now[0]) as client:
        item = await create_item(client, settings, duration_seconds=600.0)
        url = f"{API}/{item['id']}"
        assert item["view_count"] == 0
        _, alice = user(client)
        _, bob = user(client)

        async def views() -> int:
            count: int = (await client.get(url)).json()["view_count"]
            return count

        for position in (10.0, 20.0, 30.0):  # one sitting: one view
            await save(client, item["id"], alice, position)
            now[0] += datetime.timedelta(minutes=20)
        assert await views() == 1
        await save(client, item["id"], bob, 5.0)
        assert await views() == 2
        # Alice's last report was 20 minutes ago: watching on, not coming back.
        now[0] += datetime.timedelta(minutes=39)
        await save(client, item["id"], alice, 40.0)
        assert await views() == 2
        now[0] += datetime.timedelta(hours=1)
        await save(client, item["id"], alice, 50.0)
        assert await views() == 3
        # Refused reports count nothing: a bad position, an item a viewer may not see.
        bad = await client.put(f"{url}/progress", json={"position_seconds": -1}, headers=bob)
        assert bad.status_code == 400
        draft = await create_item(client, settings, duration_seconds=60.0, publish=False)
        hidden = await client.put(
            f"{API}/{draft['id']}/progress", json={"position_seconds": 1.0}, headers=bob
        )
        assert hidden.status_code == 404
        assert await views() == 3
        admin = admin_headers(settings)
        assert (await client.get(f"{API}/{draft['id']}", headers=admin)).json()["view_count"] == 0
        # Counting is not editing: the item's updated_at stays.
        assert (await client.get(url)).json()["updated_at"] == item["updated_at"]


async def test_first_reports_at_once_count_one_view(catalogue_client: Client) -> None:
    """A burst of first reports (two tabs, a script) is one view, not one each: each read
    that no report preceded it, so every one counted (8 at once made 8 views)."""
    item = await create_item(
        catalogue_client, catalogue_client.app.state.settings, duration_seconds=600.0
    )
    _, alice = user(catalogue_client)
    url = f"{API}/{item['id']}"
    reports = [
        catalogue_client.put(f"{url}/progress", json={"position_seconds": 5.0}, headers=alice)
        for _ in range(8)
    ]
    answers = await asyncio.gather(*reports)
    assert [answer.status_code for answer in answers] == [200] * 8, [a.text for a in answers]
    assert (await catalogue_client.get(url)).json()["view_count"] == 1
    async with reading(catalogue_client.app.state.backends.database) as store:
        assert await store.viewings.count() == 1


async def test_reports_racing_a_deletion_and_history_clears_are_200_or_404(
    catalogue_client: Client,
) -> None:
    """Reports (views starting and going on), the item's deletion and viewers clearing
    their history at once: each report is saved or 404, never a deadlock's 500 (reports
    and deletions write viewings and progress in one order)."""
    client = catalogue_client
    admin = admin_headers(client.app.state.settings)
    for _ in range(6):
        item = await create_item(client, client.app.state.settings, duration_seconds=60.0)
        url = f"{API}/{item['id']}"
        viewers = [user(client)[1] for _ in range(4)]
        for headers in viewers[:2]:
            await save(client, item["id"], headers, 1.0)

        reports = [
            client.put(f"{url}/progress", json={"position_seconds": p}, headers=v)
            for p in (2.0, 3.0)
            for v in viewers
        ]
        clears = [client.delete(f"{API}/me/history", headers=v) for v in viewers[:2]]
        answers = await asyncio.gather(
            *reports[:4], client.delete(url, headers=admin), *reports[4:], *clears
        )
        assert {answer.status_code for answer in answers} <= {200, 204, 404}, [
            answer.text for answer in answers if answer.status_code >= 500
        ]


async def test_clearing_history_does_not_count_views_again(
    settings_factory: SettingsFactory,
) -> None:
    """Removing an item from one's history (or all of it) forgets the position, not that
    one watched in the last hour: the next report is the same view."""
    now = [datetime.datetime(2031, 5, 4, 12, 0, tzinfo=datetime.UTC)]
    settings = settings_factory(modules=("catalogue", "streaming"))
    async with running_app(settings, clock=lambda: now[0]) as client:
        item = await create_item(client, settings, duration_seconds=600.0)
        url = f"{API}/{item['id']}"
        alice_id, alice = user(client)
        for removal in (f"{API}/me/history/{item['id']}", f"{API}/me/history") * 3:
            await save(client, item["id"], alice, 10.0)
            removed = await client.delete(removal, headers=alice)
            assert removed.status_code == 204, removed.text
            assert await stored_rows(client, user_id=uuid.UUID(alice_id)) == 0
        await save(client, item["id"], alice, 10.0)
        assert (await client.get(url)).json()["view_count"] == 1
        # An hour on, it is a new view; clearing then drops what is over an hour old.
        now[0] += NEW_VIEW_AFTER
        await save(client, item["id"], alice, 20.0)
        assert (await client.get(url)).json()["view_count"] == 2
        async with reading(client.app.state.backends.database) as store:
            assert await store.viewings.count() == 1
        now[0] += NEW_VIEW_AFTER
        assert (await client.delete(f"{API}/me/history", headers=alice)).status_code == 204
        async with reading(client.app.state.backends.database) as store:
            assert await store.viewings.count() == 0


async def test_most_viewed_first_for_viewers_and_admins(catalogue_client: Client) -> None:
    settings = catalogue_client.app.state.settings
    made = [
        await create_item(catalogue_client, settings, title=f"Seen {n}", duration_seconds=60.0)
        for n in range(3)
    ]
    for item, viewers in zip(made, (1, 3, 0), strict=True):
        for _ in range(viewers):
            await save(catalogue_client, item["id"], user(catalogue_client)[1], 1.0)
    expected = [made[1]["id"], made[0]["id"], made[2]["id"]]

    async def order(**headers: str) -> list[str]:
        r = await catalogue_client.get(f"{API}/", params={"sort": "popular"}, headers=headers)
        assert r.status_code == 200, r.text
        return [entry["id"] for entry in r.json()["items"]]

    assert await order() == expected  # the viewers' list (its first read: nothing cached)
    assert await order(**admin_headers(settings)) == expected
    searched = await catalogue_client.get(f"{API}/", params={"sort": "popular", "q": "seen"})
    assert [entry["id"] for entry in searched.json()["items"]] == expected
    assert [entry["view_count"] for entry in searched.json()["items"]] == [3, 1, 0]


async def test_most_viewed_ties_come_newest_first_in_every_list(catalogue_client: Client) -> None:
    # Nothing viewed: every count ties. The ids fall as the items are made, so a list
    # that broke ties by id would show the oldest first.
    settings = catalogue_client.app.state.settings
    made: dict[str, list[str]] = {"published": [], "draft": []}
    for number in range(6):
        publish = number % 3 != 2
        item = await create_item(
            catalogue_client,
            settings,
            id=str(uuid.UUID(int=(10 - number) << 64)),
            title=f"Filler clip {number}",
            publish=publish,
        )
        made["published" if publish else "draft"].append(item["id"])
    newest_first = {status: ids[::-1] for status, ids in made.items()}
    everything = [str(uuid.UUID(int=(10 - number) << 64)) for number in reversed(range(6))]

    async def order(status: str | None = None, **headers: str) -> list[str]:
        params = {"sort": "popular", **({"status": status} if status else {})}
        r = await catalogue_client.get(f"{API}/", params=params, headers=headers)
        assert r.status_code == 200, r.text
        return [entry["id"] for entry in r.json()["items"]]

    admin = admin_headers(settings)
    assert await order() == newest_first["published"]  # the viewers' list
    assert await order("published", **admin) == newest_first["published"]
    assert await order("draft", **admin) == newest_first["draft"]
    assert await order("all", **admin) == everything
