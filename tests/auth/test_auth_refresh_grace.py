"""The rotation grace window: two tabs refreshing at once keep their session.

A refresh token presented again within ``refresh_grace_seconds`` of its rotation returns
the very pair it was exchanged for; after the window, reuse still revokes the whole
family. Both sides run on both backends, the "after" side with a window of a fraction of a
second so that no test waits ten seconds.
"""

from __future__ import annotations

import asyncio

from auth_accounts import (
    API,
    PASSWORD,
    assert_error,
    bearer,
    login,
    new_email,
    read_behind,
    register,
)

from support.apps import running_app
from support.clock import HeldClock

COOKIE_MODE = {"X-Refresh-Cookie": "1"}


async def refresh(client, token):
    return await client.post(f"{API}/refresh", json={"refresh_token": token})


async def signed_in(client):
    email = new_email()
    await register(client, email)
    response = await login(client, email)
    assert response.status_code == 200
    return response.json()


async def test_two_tabs_refreshing_at_once_get_the_same_pair(auth_settings_factory):
    async with running_app(auth_settings_factory(refresh_grace_seconds=10)) as client:
        pair = await signed_in(client)
        answers = await asyncio.gather(*(refresh(client, pair["refresh_token"]) for _ in range(4)))
        assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
        pairs = {(a.json()["access_token"], a.json()["refresh_token"]) for a in answers}
        assert len(pairs) == 1
        access, successor = pairs.pop()
        # Later, one by one (a third tab waking up): still the same pair, and it works.
        again = await refresh(client, pair["refresh_token"])
        assert (again.json()["access_token"], again.json()["refresh_token"]) == (access, successor)
        assert (await client.get(f"{API}/me", headers=bearer(access))).status_code == 200
        following = await refresh(client, successor)
        assert following.status_code == 200
        assert (
            await client.get(f"{API}/me", headers=bearer(following.json()["access_token"]))
        ).status_code == 200


def cookie_value(response):
    (header,) = response.headers.get_list("set-cookie")
    return header.split(";", 1)[0].partition("=")[2]


async def test_cookie_tabs_share_the_successor_too(auth_settings_factory):
    async with running_app(auth_settings_factory(refresh_grace_seconds=10)) as client:
        email = new_email()
        await register(client, email)
        signed = await login(client, email, PASSWORD, headers=COOKIE_MODE)
        old_cookie = cookie_value(signed)
        first = await client.post(f"{API}/refresh", headers=COOKIE_MODE)
        assert first.status_code == 200
        # The other tab still sends the cookie it had before the rotation.
        client.cookies.clear()
        client.cookies.set("streamstack_refresh", old_cookie, path="/api/v1/auth")
        second = await client.post(f"{API}/refresh", headers=COOKIE_MODE)
        assert second.status_code == 200
        assert second.json()["access_token"] == first.json()["access_token"]
        assert cookie_value(second) == cookie_value(first)


async def test_reuse_after_the_window_still_revokes_the_family(auth_settings_factory):
    # The app's clock is held, so "within" and "after" the window are what the test says,
    # not what a loaded machine makes of 0.3 s (a CI run once took longer than that).
    clock = HeldClock()
    async with running_app(auth_settings_factory(refresh_grace_seconds=10), clock=clock) as client:
        pair = await signed_in(client)
        rotated = await refresh(client, pair["refresh_token"])
        assert rotated.status_code == 200
        clock.advance(9.5)
        within = await refresh(client, pair["refresh_token"])
        assert within.status_code == 200, within.text
        assert within.json()["refresh_token"] == rotated.json()["refresh_token"]
        clock.advance(1)
        assert_error(await refresh(client, pair["refresh_token"]), 401, "refresh_token_reused")
        successor = rotated.json()
        assert_error(await refresh(client, successor["refresh_token"]), 401, "session_revoked")
        assert_error(
            await client.get(f"{API}/me", headers=bearer(successor["access_token"])),
            401,
            "token_revoked",
        )


async def test_a_signed_out_session_gets_nothing_within_the_window(auth_settings_factory):
    async with running_app(auth_settings_factory(refresh_grace_seconds=10)) as client:
        pair = await signed_in(client)
        rotated = (await refresh(client, pair["refresh_token"])).json()
        out = await client.post(f"{API}/logout", headers=bearer(rotated["access_token"]))
        assert out.status_code == 204
        assert_error(await refresh(client, pair["refresh_token"]), 401, "session_revoked")


async def test_without_a_window_a_second_presentation_is_theft(auth_settings_factory):
    async with running_app(auth_settings_factory(refresh_grace_seconds=0)) as client:
        pair = await signed_in(client)
        assert (await refresh(client, pair["refresh_token"])).status_code == 200
        assert_error(await refresh(client, pair["refresh_token"]), 401, "refresh_token_reused")


async def test_spent_tokens_are_forgotten_and_a_forgotten_one_is_still_theft(
    auth_settings_factory,
):
    # A client refreshing in a loop left a row a refresh for the refresh token's 7 days; a
    # spent row now goes once its access token and the grace window are over. Forgetting it
    # must not forget the theft: a forgotten token of a live session is reuse all the same.
    clock = HeldClock()
    settings = auth_settings_factory(refresh_grace_seconds=10, access_token_ttl_seconds=60)
    async with running_app(settings, clock=clock) as client:
        email = new_email()
        await register(client, email)
        first = (await login(client, email)).json()
        newest = first
        for _ in range(5):
            clock.advance(61)
            response = await refresh(client, newest["refresh_token"])
            assert response.status_code == 200, response.text
            newest = response.json()
        rows = (
            "SELECT count(*) FROM auth_refresh_tokens JOIN auth_sessions"
            " ON auth_sessions.id = auth_refresh_tokens.session_id JOIN auth_users"
            " ON auth_users.id = auth_sessions.user_id WHERE auth_users.email = :email"
        )
        # The newest token and the one it replaced (within its window) are all that remain.
        assert await read_behind(settings, rows, email=email) == 2
        assert_error(await refresh(client, first["refresh_token"]), 401, "refresh_token_reused")
        assert_error(await refresh(client, newest["refresh_token"]), 401, "session_revoked")
