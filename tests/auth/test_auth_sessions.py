"""GET /sessions and DELETE /sessions/{id}: the caller's sign-ins, and revoking one."""

from __future__ import annotations

import datetime
import uuid

from auth_accounts import API, PASSWORD, assert_error, bearer, login, signed_in
from jose import jwt

from streamstack.kernel.clock import utcnow
from support.apps import running_app
from support.clock import HeldClock


def fam(pair):
    return jwt.get_unverified_claims(pair["access_token"])["fam"]


async def sessions(client, access):
    response = await client.get(f"{API}/sessions", headers=bearer(access))
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_sessions_lists_sign_ins_with_the_current_one_flagged(client):
    email, laptop = await signed_in(client)
    phone = (
        await login(
            client,
            email,
            PASSWORD,
            headers={"User-Agent": "Phone\x00Browser/1.0\x1b[31m 📱".encode()},
        )
    ).json()
    listed = await sessions(client, laptop["access_token"])
    assert len(listed) == 2
    by_id = {item["id"]: item for item in listed}
    assert set(by_id) == {fam(laptop), fam(phone)}
    assert by_id[fam(laptop)]["current"] is True
    assert by_id[fam(phone)]["current"] is False
    # Stored without control characters.
    agent = by_id[fam(phone)]["user_agent"]
    assert agent.startswith("PhoneBrowser/1.0[31m ")
    assert agent.isprintable()
    for item in listed:
        assert set(item) == {
            "id",
            "created_at",
            "last_used_at",
            "expires_at",
            "user_agent",
            "current",
        }
        created = datetime.datetime.fromisoformat(item["created_at"])
        expires = datetime.datetime.fromisoformat(item["expires_at"])
        assert expires - created >= datetime.timedelta(days=7) - datetime.timedelta(seconds=5)
    # Seen from the phone, the phone is current.
    from_phone = {i["id"]: i["current"] for i in await sessions(client, phone["access_token"])}
    assert from_phone == {fam(laptop): False, fam(phone): True}

    # Using a session moves its last_used_at.
    before = by_id[fam(phone)]["last_used_at"]
    rotated = await client.post(
        f"{API}/refresh",
        json={"refresh_token": phone["refresh_token"]},
        headers={"User-Agent": "Phone/2.0"},
    )
    after = {i["id"]: i for i in await sessions(client, laptop["access_token"])}[fam(phone)]
    assert after["last_used_at"] >= before
    assert after["user_agent"] == "Phone/2.0"
    assert rotated.status_code == 200

    # Another user's sessions are not listed.
    _, stranger = await signed_in(client)
    assert [i["id"] for i in await sessions(client, stranger["access_token"])] == [fam(stranger)]


async def test_deleting_a_session_signs_it_out(client):
    email, laptop = await signed_in(client)
    _, phone = await signed_in(client, email)
    response = await client.delete(
        f"{API}/sessions/{fam(phone)}", headers=bearer(laptop["access_token"])
    )
    assert response.status_code == 204
    assert [i["id"] for i in await sessions(client, laptop["access_token"])] == [fam(laptop)]
    assert_error(
        await client.get(f"{API}/me", headers=bearer(phone["access_token"])), 401, "token_revoked"
    )
    assert_error(
        await client.post(f"{API}/refresh", json={"refresh_token": phone["refresh_token"]}), 401
    )
    # Deleting the current session signs the caller out too.
    response = await client.delete(
        f"{API}/sessions/{fam(laptop)}", headers=bearer(laptop["access_token"])
    )
    assert response.status_code == 204
    assert_error(await client.get(f"{API}/sessions", headers=bearer(laptop["access_token"])), 401)


async def test_sessions_of_others_and_bad_ids_are_not_found(client):
    _, mine = await signed_in(client)
    _, theirs = await signed_in(client)
    headers = bearer(mine["access_token"])
    assert_error(await client.delete(f"{API}/sessions/{fam(theirs)}", headers=headers), 404)
    assert_error(await client.delete(f"{API}/sessions/{uuid.uuid4()}", headers=headers), 404)
    for bad in ("not-a-uuid", "%00", "1' OR '1'='1", "🎬", "x" * 5000):
        response = await client.delete(f"{API}/sessions/{bad}", headers=headers)
        assert 400 <= response.status_code < 500, bad
        assert_error(response, response.status_code)
    # Nothing happened to the other user's session.
    assert (
        await client.get(f"{API}/me", headers=bearer(theirs["access_token"]))
    ).status_code == 200
    # Without a token there is nothing to list or delete.
    assert_error(await client.get(f"{API}/sessions"), 401)
    assert_error(await client.delete(f"{API}/sessions/{fam(mine)}"), 401)
    assert_error(
        await client.get(f"{API}/sessions", headers=bearer(mine["refresh_token"])),
        401,
    )


async def test_sessions_are_stamped_by_the_apps_clock(auth_settings):
    """The service reads the time from the clock the app was built with, not the system's."""
    start = utcnow().replace(microsecond=0)
    clock = HeldClock(start)
    async with running_app(auth_settings, clock=clock) as client:
        _, pair = await signed_in(client)
        clock.advance(3600)
        rotated = await client.post(f"{API}/refresh", json={"refresh_token": pair["refresh_token"]})
        assert rotated.status_code == 200, rotated.text
        [listed] = await sessions(client, rotated.json()["access_token"])
    assert datetime.datetime.fromisoformat(listed["created_at"]) == start
    assert datetime.datetime.fromisoformat(listed["last_used_at"]) == clock()
