"""Share links live no longer than their maker's admin rights, on both backend kinds: when
auth demotes, disables or deletes an admin, every link they made stops (page, stream token
and playback under way) and the admins' list says who made each link and why it stopped;
another admin's links play on; a repeated event stops nothing more, not even the links the
account made once it was an admin again. Beforehand, admins read how many live links an
account made (what its removal would stop)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from catalogue_testing import API, admin_headers, eventually, viewer_headers
from jose import jwt
from test_share_links import (
    admin,
    links,
    plays,
    refused_everywhere,
    secret_of,
    sharing_app,
    stops,
    stream_url,
    video,
)

from streamstack.auth.module import standalone_service
from streamstack.contracts.auth import NO_LONGER_ADMIN, NoLongerAdmin
from streamstack.kernel.clock import utcnow
from streamstack.kernel.revocation import (
    REVOCATION_TTL_SECONDS,
    REVOKED_TOKENS_BUCKET,
    RevocationList,
)
from support.apps import AppClient, bearer, mint_token, running_app
from support.clock import HeldClock
from support.fixtures import SettingsFactory

AUTH = "/api/v1/auth"
PASSWORD = "Share-link makers passphrase 5521"
#: How another admin takes an admin's rights away (a request on ``/users/{id}``).
STRIPPED = {
    "demoted": ("PATCH", "", {"role": "viewer"}),
    "disabled": ("POST", "/disable", None),
    "deleted": ("DELETE", "", None),
}


@pytest.fixture
async def site(settings_factory: SettingsFactory) -> AsyncIterator[AppClient]:
    """Auth, catalogue and streaming in one app on this test's backend kind."""
    settings = settings_factory(
        modules=("auth", "catalogue", "streaming"),
        internal_secret=f"share-makers-{uuid.uuid4().hex}",  # its own login-throttle keys
    )
    async with running_app(settings) as client:
        yield client


@pytest.fixture
def clock() -> HeldClock:
    return HeldClock(utcnow().replace(microsecond=0))


@pytest.fixture
async def app(settings_factory: SettingsFactory, clock: HeldClock) -> AsyncIterator[AppClient]:
    """Catalogue and streaming on a held clock, told of admins' removals by events."""
    async with sharing_app(settings_factory, clock) as client:
        yield client


async def new_admin(client: AppClient, name: str) -> tuple[str, dict[str, str]]:
    """A new account named ``name``, made an admin the operator's way and signed in: its
    id and its Authorization."""
    email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.test"
    body = {"email": email, "password": PASSWORD, "display_name": name}
    r = await client.post(f"{AUTH}/register", json=body)
    assert r.status_code == 201, r.text
    user_id: str = r.json()["id"]
    async with standalone_service(client.app.state.settings) as service:
        await service.create_admin(email, None)
    r = await client.post(f"{AUTH}/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return user_id, bearer(r.json()["access_token"])


async def share_as(
    client: AppClient, item_id: str, who: dict[str, str], days: int | None = None
) -> dict[str, Any]:
    """A link to the item, made by the admin ``who``, ending after ``days`` (None: never)."""
    r = await client.post(f"{API}/{item_id}/shares", json={"expires_in_days": days}, headers=who)
    assert r.status_code == 201, r.text
    link: dict[str, Any] = r.json()
    return link


async def listed(client: AppClient, item_id: str) -> dict[str, dict[str, Any]]:
    """The item's links as the admins' list answers them, by id."""
    return {link["id"]: link for link in await links(client, item_id)}


@pytest.mark.parametrize("how", sorted(STRIPPED))
async def test_a_removed_admins_links_stop_and_say_why(site: AppClient, how: str) -> None:
    item = await video(site)
    maker_id, maker = await new_admin(site, "Mallory")
    _, other = await new_admin(site, "Olga")
    made = [await share_as(site, item["id"], maker) for _ in range(2)]
    kept = await share_as(site, item["id"], other)
    assert made[0]["created_by"] == maker_id and made[0]["created_by_name"] == "Mallory"

    async def named() -> bool:  # the name auth announced reached the catalogue
        return (await listed(site, item["id"]))[made[0]["id"]]["created_by_name"] == "Mallory"

    await eventually(named, "the maker's name in the list")
    url, other_url = (
        await stream_url(site, secret_of(made[0])),
        await stream_url(site, secret_of(kept)),
    )
    assert await plays(site, url)

    method, suffix, body = STRIPPED[how]
    r = await site.request(method, f"{AUTH}/users/{maker_id}{suffix}", headers=other, json=body)
    assert r.status_code in (200, 204), r.text

    async def stopped() -> bool:
        now = await listed(site, item["id"])
        return all(now[link["id"]]["revoked_at"] for link in made)

    await eventually(stopped, f"the {how} admin's links stopped")
    await stops(site, url)
    for link in made:
        await refused_everywhere(site, secret_of(link))
    now = await listed(site, item["id"])
    for link in made:
        assert now[link["id"]]["revoked_reason"] == "maker_no_longer_admin"
        assert now[link["id"]]["created_by"] == maker_id
        # A deleted account's name is forgotten with the rest of its data.
        assert now[link["id"]]["created_by_name"] == (None if how == "deleted" else "Mallory")
    assert now[kept["id"]]["revoked_at"] is None and now[kept["id"]]["revoked_reason"] is None
    assert await plays(site, other_url)
    # The removed admin's old token, a viewer and a guest get nothing from the list.
    for headers, status in (
        (maker, 401),
        (viewer_headers(site.app.state.settings), 403),
        ({}, 401),
    ):
        r = await site.get(f"{API}/{item['id']}/shares", headers=headers)
        assert r.status_code == status, r.text


async def announce(app: AppClient, user_id: str, since: datetime.datetime) -> None:
    """Auth's word that ``user_id`` is no longer an admin (a fresh event id each time, as a
    redelivery after a lost ack would be)."""
    payload = msgspec.json.encode(NoLongerAdmin(user_id, since))
    await app.app.state.backends.events.publish(
        NO_LONGER_ADMIN, payload, event_id=str(uuid.uuid4())
    )


async def test_a_repeated_removal_stops_nothing_more(app: AppClient, clock: HeldClock) -> None:
    settings = app.app.state.settings
    item = await video(app)
    maker_id, other_id = str(uuid.uuid4()), str(uuid.uuid4())
    maker = admin_headers(settings, maker_id)
    old = await share_as(app, item["id"], maker)
    since = clock.now
    await announce(app, maker_id, since)

    async def ended(link: dict[str, Any]) -> bool:
        return (await listed(app, item["id"]))[link["id"]]["revoked_at"] is not None

    await eventually(lambda: ended(old), "the removed admin's link stopped")
    first = (await listed(app, item["id"]))[old["id"]]
    assert first["revoked_reason"] == "maker_no_longer_admin"
    clock.advance(60)
    new = await share_as(app, item["id"], maker)  # made an admin again, they share anew
    other = await share_as(app, item["id"], admin_headers(settings, other_id))
    await announce(app, maker_id, since)  # the first event, again
    await announce(app, other_id, clock.now)  # followed in order: once stopped, the repeat ran
    await eventually(lambda: ended(other), "the other admin's link stopped")
    now = await listed(app, item["id"])
    assert now[old["id"]] == first  # when and why it stopped, as it was
    assert now[new["id"]]["revoked_at"] is None
    assert await plays(app, await stream_url(app, secret_of(new)))


async def made_by(app: AppClient, user_id: str, **query: Any) -> dict[str, Any]:
    """The admins' read of the live links ``user_id`` made."""
    r = await app.get(f"{API}/shares", params={"made_by": user_id, **query}, headers=admin(app))
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


async def test_the_links_that_a_removal_would_stop_are_told(
    app: AppClient, clock: HeldClock
) -> None:
    settings = app.app.state.settings
    maker_id = str(uuid.uuid4())
    maker, other = admin_headers(settings, maker_id), admin_headers(settings)
    shared, paused = await video(app, title="Clip 1"), await video(app, title="Clip 2")
    kept = await share_as(app, shared["id"], maker)
    clock.advance(60)  # newest first: the held clock would make the two links' times equal
    ends = await share_as(app, paused["id"], maker, days=1)
    stopped = await share_as(app, shared["id"], maker)
    r = await app.delete(f"{API}/shares/{stopped['id']}", headers=other)
    assert r.status_code == 204, r.text
    await share_as(app, shared["id"], other)  # another admin's
    r = await app.patch(f"{API}/{paused['id']}", json={"status": "draft"}, headers=other)
    assert r.status_code == 200, r.text

    # A paused link stops for good too, should its maker stop being an admin.
    found = await made_by(app, maker_id)
    assert found["count"] == 2
    assert [(link["id"], link["item_id"], link["title"]) for link in found["links"]] == [
        (ends["id"], paused["id"], "Clip 2"),
        (kept["id"], shared["id"], "Clip 1"),
    ]
    assert found["links"][1]["expires_at"] is None
    clock.advance(24 * 3600)  # an expired link no longer counts
    assert [link["id"] for link in (await made_by(app, maker_id))["links"]] == [kept["id"]]
    assert await made_by(app, str(uuid.uuid4())) == {"count": 0, "links": []}


async def test_only_admins_read_the_links_someone_made(app: AppClient) -> None:
    settings = app.app.state.settings
    maker_id = str(uuid.uuid4())
    item = await video(app)
    await share_as(app, item["id"], admin_headers(settings, maker_id))
    token = mint_token(settings, role="admin", user_id=str(uuid.uuid4()))
    revocations = RevocationList(
        app.app.state.backends.kv(REVOKED_TOKENS_BUCKET, REVOCATION_TTL_SECONDS)
    )
    await revocations.revoke(jwt.get_unverified_claims(token)["jti"])
    for headers, status, code in (
        (viewer_headers(settings), 403, "forbidden"),
        ({}, 401, "unauthorized"),
        (bearer(token), 401, "token_revoked"),
    ):
        r = await app.get(f"{API}/shares", params={"made_by": maker_id}, headers=headers)
        assert (r.status_code, r.json()["code"]) == (status, code), r.text
    # A confused client's id is refused, never a 500; the links stay as they were.
    for query in ({}, {"made_by": "not-an-id"}, {"made_by": maker_id[:-1]}, {"made_by": ""}):
        r = await app.get(f"{API}/shares", params=query, headers=admin(app))
        assert r.status_code == 400 and r.json()["code"] == "validation_error", r.text
    assert (await made_by(app, maker_id))["count"] == 1
