"""Admin user management (issue 16.6): disable/enable, delete, password-reset codes.

Disabling revokes every token of the account at once (sessions and live access tokens,
through the kernel's revocation list the one authenticator reads) and refuses sign-in with
``account_disabled``; deleting also removes its sessions and publishes
``auth.events.user.deleted`` through auth's outbox; a reset code is single use, lasts an
hour and signs out every session. The last enabled admin can be neither disabled nor deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest
from auth_accounts import (
    API,
    PASSWORD,
    STRIPPED_OF_ADMIN,
    assert_error,
    assert_signed_out,
    bearer,
    login,
    new_email,
    register,
    signed_in,
    signed_in_admin,
    strip_admin,
)
from jose import jwt
from sqlalchemy import text

from streamstack.auth.module import standalone_service
from streamstack.cli import apply_migrations
from streamstack.contracts.auth import NO_LONGER_ADMIN, USER_DELETED, NoLongerAdmin, UserDeleted
from streamstack.kernel.db import Database
from streamstack.kernel.errors import Conflict, NotFound
from streamstack.kernel.events import Event
from support.apps import live_app

NEW_PASSWORD = "violet umbrella marching slowly"


def user_id_of(pair: dict[str, Any]) -> str:
    """The account id in a token pair's access token."""
    subject: str = jwt.get_unverified_claims(pair["access_token"])["sub"]
    return subject


async def test_disabling_a_signed_in_user_ends_their_sessions_and_refuses_sign_in(
    client, auth_settings
):
    email, viewer = await signed_in(client)
    _, other_tab = await signed_in(client, email)
    _, admin = await signed_in_admin(client, auth_settings)
    admin_headers = bearer(admin["access_token"])
    user_id = user_id_of(viewer)
    response = await client.post(f"{API}/users/{user_id}/disable", headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.json()["disabled"] is True
    # Their very next request fails, in every session, and no refresh brings them back.
    await assert_signed_out(client, viewer, other_tab)
    # The right password is told why; a wrong one learns nothing.
    assert_error(await login(client, email), 403, "account_disabled")
    assert_error(await login(client, email, "not the password at all"), 401, "invalid_credentials")
    listed = await client.get(f"{API}/users", params={"q": email}, headers=admin_headers)
    assert [u["disabled"] for u in listed.json()["items"]] == [True]
    # Disabling again is a no-op; enabling lets them sign in again.
    again = await client.post(f"{API}/users/{user_id}/disable", headers=admin_headers)
    assert again.json()["disabled"] is True
    enabled = await client.post(f"{API}/users/{user_id}/enable", headers=admin_headers)
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False
    assert (await login(client, email)).status_code == 200
    # The old sessions stay signed out.
    assert_error(await client.get(f"{API}/me", headers=bearer(viewer["access_token"])), 401)


async def test_deleting_a_user_ends_their_sessions_and_frees_the_email(client, auth_settings):
    email, viewer = await signed_in(client)
    _, admin = await signed_in_admin(client, auth_settings)
    admin_headers = bearer(admin["access_token"])
    user_id = user_id_of(viewer)
    response = await client.delete(f"{API}/users/{user_id}", headers=admin_headers)
    assert response.status_code == 204, response.text
    await assert_signed_out(client, viewer)
    assert_error(await login(client, email), 401, "invalid_credentials")
    listed = await client.get(f"{API}/users", params={"q": email}, headers=admin_headers)
    assert listed.json()["items"] == []
    assert_error(await client.delete(f"{API}/users/{user_id}", headers=admin_headers), 404)
    assert_error(await client.post(f"{API}/users/{user_id}/disable", headers=admin_headers), 404)
    await register(client, email)  # the address can be used again


async def test_a_deleted_user_is_announced_once_through_the_outbox(auth_settings):
    async with announcing_auth(auth_settings) as (http, events):
        _, viewer = await signed_in(http)
        _, admin = await signed_in_admin(http, auth_settings)
        user_id = user_id_of(viewer)
        response = await http.delete(
            f"{API}/users/{user_id}", headers=bearer(admin["access_token"])
        )
        assert response.status_code == 204, response.text
        await _relayed(events, auth_settings)
    assert [event.subject for event in events] == [USER_DELETED]
    payload = msgspec.json.decode(events[0].payload, type=UserDeleted)
    assert payload.user_id == user_id
    assert payload.deleted_at.tzinfo is not None
    assert await _unsent(auth_settings) == 0


@pytest.mark.parametrize("how", ["demoted", "disabled"])
async def test_an_admin_stripped_of_rights_is_announced_once(auth_settings, how):
    """``user.no_longer_admin`` goes out once per admin demoted or disabled (the modules
    stop what they made as admins); a viewer disabled, or a change made twice, says nothing."""
    async with announcing_auth(auth_settings) as (http, events):
        _, viewer = await signed_in(http)
        _, stripped = await signed_in_admin(http, auth_settings)
        _, admin = await signed_in_admin(http, auth_settings)
        token, user_id = admin["access_token"], user_id_of(stripped)
        await strip_admin(http, token, user_id_of(viewer), "disabled")
        for again in (how, how, "disabled"):
            await strip_admin(http, token, user_id, again)
        await _relayed(events, auth_settings)
    assert [event.subject for event in events] == [NO_LONGER_ADMIN]
    payload = msgspec.json.decode(events[0].payload, type=NoLongerAdmin)
    assert payload.user_id == user_id and payload.since.tzinfo is not None


@contextlib.asynccontextmanager
async def announcing_auth(settings: Any) -> AsyncIterator[tuple[httpx.AsyncClient, list[Event]]]:
    """A client of a live auth app, and the ``auth.events.>`` events it publishes meanwhile."""
    events: list[Event] = []

    async def record(event: Event) -> None:
        events.append(event)

    async with live_app(settings) as app:
        subscription = await app.state.backends.events.subscribe("auth.events.>", record)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://auth.test") as http:
            yield http, events
        await subscription.unsubscribe()


async def _relayed(events: list[Event], settings: Any) -> None:
    """Wait until an event came and auth's outbox has nothing unsent. The relay marks a
    row sent just after publishing it: wait for both, since leaving the app earlier cancels
    the relay between the two."""
    for _ in range(600):
        if events and await _unsent(settings) == 0:
            return
        await asyncio.sleep(0.05)


async def _unsent(settings: Any) -> int:
    """Rows of auth's outbox the relay has not marked sent."""
    async with _database(settings) as database, database.engine.connect() as connection:
        pending = await connection.scalar(
            text("SELECT count(*) FROM auth_outbox WHERE sent_at IS NULL")
        )
    return int(pending or 0)


async def test_a_reset_code_works_once_within_the_hour_and_signs_out_every_session(
    client, auth_settings
):
    email, viewer = await signed_in(client)
    _, admin = await signed_in_admin(client, auth_settings)
    admin_headers = bearer(admin["access_token"])
    user_id = user_id_of(viewer)
    url = f"{API}/users/{user_id}/password-reset"
    first = (await client.post(url, headers=admin_headers)).json()
    issued = await client.post(url, headers=admin_headers)
    assert issued.status_code == 201, issued.text
    assert issued.headers["cache-control"] == "no-store"
    reset = issued.json()
    assert reset["user_id"] == user_id
    assert reset["link_path"] == f"/reset-password#code={reset['code']}"
    expires = datetime.datetime.fromisoformat(reset["expires_at"])
    assert datetime.timedelta(minutes=59) < expires - datetime.datetime.now(datetime.UTC)
    assert expires - datetime.datetime.now(datetime.UTC) <= datetime.timedelta(hours=1)
    # A newer code replaces the older one; a weak password leaves the code usable.
    use = {"code": first["code"], "new_password": NEW_PASSWORD}
    assert_error(await client.post(f"{API}/password-reset", json=use), 403, "invalid_reset_code")
    weak = {"code": reset["code"], "new_password": "password1"}
    assert_error(await client.post(f"{API}/password-reset", json=weak), 400, "weak_password")
    use = {"code": reset["code"], "new_password": NEW_PASSWORD}
    response = await client.post(f"{API}/password-reset", json=use)
    assert response.status_code == 204, response.text
    assert_error(
        await client.get(f"{API}/me", headers=bearer(viewer["access_token"])), 401, "token_revoked"
    )
    assert_error(await login(client, email), 401, "invalid_credentials")
    assert (await login(client, email, NEW_PASSWORD)).status_code == 200
    # Single use.
    again = {"code": reset["code"], "new_password": "another long passphrase here"}
    assert_error(await client.post(f"{API}/password-reset", json=again), 403, "invalid_reset_code")


async def test_codes_issued_at_once_leave_one_usable(client, auth_settings):
    """Two reset codes issued for one user at once (two admins, a double click): one works,
    as when they are issued in turn; each withdrew the older codes before the other's was
    stored, so both worked for their hour."""
    _, viewer = await signed_in(client)
    _, admin = await signed_in_admin(client, auth_settings)
    url = f"{API}/users/{user_id_of(viewer)}/password-reset"
    for _ in range(3):
        issued = await asyncio.gather(
            *(client.post(url, headers=bearer(admin["access_token"])) for _ in range(2))
        )
        assert [answer.status_code for answer in issued] == [201, 201], [i.text for i in issued]
        checks = [
            await client.post(f"{API}/password-reset/check", json={"code": answer.json()["code"]})
            for answer in issued
        ]
        assert sorted(check.status_code for check in checks) == [200, 403]


async def test_an_expired_reset_code_is_refused(client, auth_settings):
    email, viewer = await signed_in(client)
    _, admin = await signed_in_admin(client, auth_settings)
    url = f"{API}/users/{user_id_of(viewer)}/password-reset"
    reset = (await client.post(url, headers=bearer(admin["access_token"]))).json()
    async with _database(auth_settings) as database, database.engine.begin() as connection:
        past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
        await connection.execute(
            text("UPDATE auth_password_resets SET expires_at = :past"), {"past": past}
        )
    use = {"code": reset["code"], "new_password": NEW_PASSWORD}
    assert_error(await client.post(f"{API}/password-reset", json=use), 403, "invalid_reset_code")
    assert (await login(client, email)).status_code == 200


@pytest.mark.parametrize("how", sorted(STRIPPED_OF_ADMIN))
async def test_a_reset_code_dies_when_its_issuer_stops_being_an_admin(client, auth_settings, how):
    """An admin saw the code when issuing it: demoted, disabled or deleted, that person
    must not keep a way into the account (an admin's: back to admin rights) for an hour."""
    email, viewer = await signed_in(client)
    _, issuer = await signed_in_admin(client, auth_settings)
    _, other_admin = await signed_in_admin(client, auth_settings)
    url = f"{API}/users/{user_id_of(viewer)}/password-reset"
    reset = (await client.post(url, headers=bearer(issuer["access_token"]))).json()
    await strip_admin(client, other_admin["access_token"], user_id_of(issuer), how)
    use = {"code": reset["code"], "new_password": NEW_PASSWORD}
    assert_error(await client.post(f"{API}/password-reset", json=use), 403, "invalid_reset_code")
    assert (await login(client, email)).status_code == 200
    assert (
        await client.get(f"{API}/me", headers=bearer(viewer["access_token"]))
    ).status_code == 200
    # A code another admin issues afterwards still works.
    fresh = (await client.post(url, headers=bearer(other_admin["access_token"]))).json()
    use = {"code": fresh["code"], "new_password": NEW_PASSWORD}
    assert (await client.post(f"{API}/password-reset", json=use)).status_code == 204


async def test_a_reset_code_issued_as_its_issuer_is_demoted_dies_with_their_rights(
    client, auth_settings
):
    """An admin issues a reset code at the moment another demotes them: it is refused or
    withdrawn with their others. The demotion withdrew their codes before that one was
    stored, so it reset a password after their rights were gone."""
    _, viewer = await signed_in(client)
    _, other_admin = await signed_in_admin(client, auth_settings)
    url = f"{API}/users/{user_id_of(viewer)}/password-reset"
    for _ in range(6):
        _, issuer = await signed_in_admin(client, auth_settings)
        issued, _ = await asyncio.gather(
            client.post(url, headers=bearer(issuer["access_token"])),
            strip_admin(client, other_admin["access_token"], user_id_of(issuer), "demoted"),
        )
        if issued.status_code != 201:
            assert_error(issued, 403)
            continue
        check = {"code": issued.json()["code"]}
        assert_error(
            await client.post(f"{API}/password-reset/check", json=check), 403, "invalid_reset_code"
        )


@pytest.mark.parametrize(
    "how", ["password_changed", "signed_out_everywhere", "disabled", "email_changed"]
)
async def test_a_reset_code_handed_over_earlier_dies_when_the_account_moves_on(
    client, auth_settings, how
):
    """A code someone still holds must not undo what the account did since: choose the
    password it signs in with after a change, or after sign-out everywhere, or (disabled)
    once an admin enables it again, or (an admin's change of its email) take the account
    that now signs in elsewhere. A code issued afterwards works."""
    email, viewer = await signed_in(client)
    _, admin = await signed_in_admin(client, auth_settings)
    admin_headers, viewer_headers = bearer(admin["access_token"]), bearer(viewer["access_token"])
    user_id = user_id_of(viewer)
    url = f"{API}/users/{user_id}/password-reset"
    held = (await client.post(url, headers=admin_headers)).json()["code"]
    password = PASSWORD
    if how == "password_changed":
        password = "a brand new passphrase of mine"
        change = {"current_password": PASSWORD, "new_password": password}
        changed = await client.post(f"{API}/password", json=change, headers=viewer_headers)
        assert changed.status_code == 204, changed.text
    elif how == "signed_out_everywhere":
        out = await client.post(f"{API}/logout-all", headers=viewer_headers)
        assert out.status_code == 204, out.text
    elif how == "email_changed":
        email = new_email("moved")
        moved = await client.patch(
            f"{API}/users/{user_id}", json={"email": email}, headers=admin_headers
        )
        assert moved.status_code == 200, moved.text
    else:
        disabled = await client.post(f"{API}/users/{user_id}/disable", headers=admin_headers)
        assert disabled.status_code == 200, disabled.text
    check = await client.post(f"{API}/password-reset/check", json={"code": held})
    assert_error(check, 403, "invalid_reset_code")
    use = {"code": held, "new_password": NEW_PASSWORD}
    assert_error(await client.post(f"{API}/password-reset", json=use), 403, "invalid_reset_code")
    if how == "disabled":
        await client.post(f"{API}/users/{user_id}/enable", headers=admin_headers)
    assert (await login(client, email, password)).status_code == 200
    fresh = (await client.post(url, headers=admin_headers)).json()["code"]
    use = {"code": fresh, "new_password": NEW_PASSWORD}
    assert (await client.post(f"{API}/password-reset", json=use)).status_code == 204


async def test_reset_bad_input(client):
    for body in (
        {},
        {"code": "x"},
        {"code": "", "new_password": NEW_PASSWORD},
        {"code": "x" * 65, "new_password": NEW_PASSWORD},
        {"code": "abc", "new_password": NEW_PASSWORD, "email": "a@b.c"},
        {"code": 5, "new_password": NEW_PASSWORD},
    ):
        assert_error(await client.post(f"{API}/password-reset", json=body), 400)
    unknown = {"code": "no-such-code", "new_password": NEW_PASSWORD}
    assert_error(
        await client.post(f"{API}/password-reset", json=unknown), 403, "invalid_reset_code"
    )


async def test_viewers_cannot_manage_accounts(client, auth_settings):
    _, viewer = await signed_in(client)
    _, other = await signed_in(client)
    headers = bearer(viewer["access_token"])
    for target in (user_id_of(other), user_id_of(viewer)):
        for method, path in (
            ("POST", f"/users/{target}/disable"),
            ("POST", f"/users/{target}/enable"),
            ("DELETE", f"/users/{target}"),
            ("POST", f"/users/{target}/password-reset"),
        ):
            response = await client.request(method, f"{API}{path}", headers=headers)
            assert_error(response, 403, "forbidden")
            assert_error(await client.request(method, f"{API}{path}"), 401)
    # The other account is untouched.
    assert (await client.get(f"{API}/me", headers=bearer(other["access_token"]))).status_code == 200
    _, admin = await signed_in_admin(client, auth_settings)
    admin_headers = bearer(admin["access_token"])
    for method, path in (("POST", "/users/not-a-uuid/disable"), ("DELETE", "/users/123")):
        response = await client.request(method, f"{API}{path}", headers=admin_headers)
        assert response.status_code in (400, 404), response.text
    missing = uuid.uuid4()
    assert_error(
        await client.post(f"{API}/users/{missing}/password-reset", headers=admin_headers), 404
    )


async def test_the_last_admin_can_be_neither_disabled_nor_deleted(client, auth_settings):
    _, admin = await signed_in_admin(client, auth_settings)
    headers = bearer(admin["access_token"])
    me = user_id_of(admin)
    async with standalone_service(auth_settings) as service:
        for user in (await service.list_users(None, 100, 0)).items:
            if user.role == "admin" and str(user.id) != me:
                await service.change_user(user.id, role="viewer")
    assert_error(await client.post(f"{API}/users/{me}/disable", headers=headers), 409, "last_admin")
    assert_error(await client.delete(f"{API}/users/{me}", headers=headers), 409, "last_admin")
    assert (await client.get(f"{API}/me", headers=headers)).json()["role"] == "admin"
    # A second admin, disabled, does not count: still the last enabled one.
    second_email, second = await signed_in_admin(client, auth_settings)
    second_id = user_id_of(second)
    disabled = await client.post(f"{API}/users/{second_id}/disable", headers=headers)
    assert disabled.status_code == 200
    assert_error(await client.delete(f"{API}/users/{me}", headers=headers), 409, "last_admin")
    assert (await client.delete(f"{API}/users/{second_id}", headers=headers)).status_code == 204
    assert_error(await login(client, second_email), 401)


async def test_concurrent_mutual_disabling_leaves_an_enabled_admin(auth_settings):
    await apply_migrations(auth_settings, ("auth",))
    async with standalone_service(auth_settings) as service:
        for _ in range(3):
            emails = [new_email("a"), new_email("b")]
            for email in emails:
                await service.create_admin(email, PASSWORD)
            page = await service.list_users(None, 100, 0)
            ids = [u.id for u in page.items if u.email in emails]
            for user in page.items:
                if user.role == "admin" and user.id not in ids and not user.disabled:
                    await service.set_disabled(user.id, True)
            outcomes = await asyncio.gather(
                *(service.set_disabled(user_id, True) for user_id in ids),
                service.delete_user(ids[0]),
                return_exceptions=True,
            )
            refused = [o for o in outcomes if isinstance(o, BaseException)]
            if outcomes[2] is None:  # deleted: the other admin was refused as the last one
                assert isinstance(outcomes[1], Conflict), outcomes
                # Disabling the deleted account found no account (not the last admin).
                disabling = outcomes[0]
                assert not isinstance(disabling, Exception) or isinstance(disabling, NotFound)
            else:
                assert refused and all(isinstance(o, Conflict) for o in refused), outcomes
            page = await service.list_users(None, 100, 0)
            enabled = [u for u in page.items if u.role == "admin" and not u.disabled]
            assert len(enabled) == 1, page.items


async def test_an_account_deleted_twice_at_once_is_deleted_once_and_then_404(auth_settings):
    """An admin's delete racing another's (or the owner's): one deletes, the other finds no
    account (it was told "the last admin cannot be deleted", whoever the account was)."""
    await apply_migrations(auth_settings, ("auth",))
    async with standalone_service(auth_settings) as service:
        await service.create_admin(new_email("keeper"), PASSWORD)
        for _ in range(3):
            email = new_email("twice")
            await service.create_admin(email, PASSWORD)
            page = await service.list_users(email, 10, 0)
            user_id = page.items[0].id
            outcomes = await asyncio.gather(
                service.delete_user(user_id),
                service.delete_user(user_id),
                service.change_user(user_id, role="viewer"),
                return_exceptions=True,
            )
            assert None in outcomes[:2], outcomes
            refused = [o for o in outcomes if isinstance(o, BaseException)]
            assert all(isinstance(o, NotFound) for o in refused), outcomes
            assert (await service.list_users(email, 10, 0)).total == 0


@contextlib.asynccontextmanager
async def _database(settings: Any) -> AsyncIterator[Database]:
    database = Database(settings.effective_database_url)
    try:
        yield database
    finally:
        await database.close()


async def test_no_token_issued_while_disabling_outlives_the_disable(client, auth_settings):
    email, _ = await signed_in(client)
    pairs = [(await signed_in(client, email))[1] for _ in range(6)]
    _, admin = await signed_in_admin(client, auth_settings)
    user_id = user_id_of(pairs[0])

    async def refresh(pair: dict[str, Any]) -> httpx.Response:
        return await client.post(f"{API}/refresh", json={"refresh_token": pair["refresh_token"]})

    async def sign_in() -> httpx.Response:
        return await login(client, email)

    disable = client.post(f"{API}/users/{user_id}/disable", headers=bearer(admin["access_token"]))
    outcomes = await asyncio.gather(
        *(refresh(pair) for pair in pairs), sign_in(), sign_in(), disable
    )
    assert outcomes[-1].status_code == 200, outcomes[-1].text
    issued = [r.json()["access_token"] for r in outcomes[:-1] if r.status_code == 200]
    refused = [r for r in outcomes[:-1] if r.status_code != 200]
    assert all(r.status_code in (401, 403) for r in refused), [r.text for r in refused]
    # Whatever was issued around the disable, none of it works afterwards.
    for token in issued + [pair["access_token"] for pair in pairs]:
        assert_error(await client.get(f"{API}/me", headers=bearer(token)), 401)
