"""Refresh-token rotation, reuse detection, logout and logout-all."""

from __future__ import annotations

import asyncio
import uuid

from auth_accounts import API, assert_error, bearer, signed_in
from jose import jwt

from support.apps import mint_token


async def refresh(client, token):
    return await client.post(f"{API}/refresh", json={"refresh_token": token})


async def me(client, access):
    return await client.get(f"{API}/me", headers=bearer(access))


def claims(token):
    return jwt.get_unverified_claims(token)


async def test_refresh_rotates_and_reuse_revokes_the_whole_family(client):
    email, first = await signed_in(client)
    _, other_session = await signed_in(client, email)

    response = await refresh(client, first["refresh_token"])
    assert response.status_code == 200, response.text
    second = response.json()
    assert set(second) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert second["expires_in"] == 1800
    assert claims(second["refresh_token"])["fam"] == claims(first["refresh_token"])["fam"]
    assert claims(second["refresh_token"])["jti"] != claims(first["refresh_token"])["jti"]
    assert claims(second["access_token"])["fam"] == claims(first["access_token"])["fam"]
    assert (await me(client, second["access_token"])).status_code == 200

    response = await refresh(client, second["refresh_token"])
    assert response.status_code == 200
    third = response.json()

    # The first refresh token was rotated: presenting it again is reuse.
    assert_error(await refresh(client, first["refresh_token"]), 401, "refresh_token_reused")
    # The whole family is dead: the newest refresh token and every live access token.
    assert_error(await refresh(client, third["refresh_token"]), 401, "session_revoked")
    for pair in (first, second, third):
        assert_error(await me(client, pair["access_token"]), 401, "token_revoked")
    # Another sign-in of the same user is untouched.
    assert (await me(client, other_session["access_token"])).status_code == 200
    assert (await refresh(client, other_session["refresh_token"])).status_code == 200


async def test_a_refresh_token_works_once_even_without_a_thief(client):
    _, pair = await signed_in(client)
    assert (await refresh(client, pair["refresh_token"])).status_code == 200
    assert_error(await refresh(client, pair["refresh_token"]), 401, "refresh_token_reused")


async def test_refresh_refuses_what_is_not_a_live_refresh_token(client, auth_settings):
    _, pair = await signed_in(client)
    user_id = claims(pair["access_token"])["sub"]
    fam = claims(pair["access_token"])["fam"]
    not_refresh_tokens = [
        pair["access_token"],  # an access token is not a refresh token
        "garbage",
        "a.b.c",
        "",
        "x" * 8000,
        # Issued for a family that is not the stored one.
        mint_token(auth_settings, user_id=user_id, typ="refresh", fam=str(uuid.uuid4())),
        # Expired.
        mint_token(auth_settings, user_id=user_id, typ="refresh", fam=fam, ttl_seconds=-10),
    ]
    for token in not_refresh_tokens:
        response = await refresh(client, token)
        assert response.status_code == 401, (token[:40], response.text)
        assert_error(response, 401)
    # A stored refresh token presented with a changed claim is a forgery: bad signature.
    header, payload, signature = pair["refresh_token"].split(".")
    tampered = f"{header}.{payload[:-2]}AA.{signature}"
    assert_error(await refresh(client, tampered), 401)
    for body in ({}, {"refresh_token": None}):
        assert_error(await client.post(f"{API}/refresh", json=body), 401)
    for body in ({"refresh_token": 5}, {"refresh_token": ["x"]}, {"token": "x"}, []):
        assert_error(await client.post(f"{API}/refresh", json=body), 400)
    assert_error(await client.post(f"{API}/refresh", json={"refresh_token": "x" * 2**20}), 413)
    # After all that, the real token still works once.
    renewed = await refresh(client, pair["refresh_token"])
    assert renewed.status_code == 200
    # Properly signed for the live session, but of no server-side record: a spent token
    # whose row was forgotten, so reuse, which ends the session.
    unknown = mint_token(auth_settings, user_id=user_id, typ="refresh", fam=fam)
    assert_error(await refresh(client, unknown), 401, "refresh_token_reused")
    assert_error(await refresh(client, renewed.json()["refresh_token"]), 401, "session_revoked")


async def test_logout_revokes_the_access_token_and_its_session_only(client):
    email, this = await signed_in(client)
    _, other = await signed_in(client, email)
    response = await client.post(f"{API}/logout", headers=bearer(this["access_token"]))
    assert response.status_code == 204
    assert_error(await me(client, this["access_token"]), 401, "token_revoked")
    assert_error(await refresh(client, this["refresh_token"]), 401, "session_revoked")
    assert_error(
        await client.post(f"{API}/logout", headers=bearer(this["access_token"])),
        401,
        "token_revoked",
    )
    assert (await me(client, other["access_token"])).status_code == 200
    assert (await refresh(client, other["refresh_token"])).status_code == 200


async def test_logout_all_revokes_every_session(client):
    email, first = await signed_in(client)
    _, second = await signed_in(client, email)
    rotated = (await refresh(client, second["refresh_token"])).json()
    _, someone_else = await signed_in(client)
    response = await client.post(f"{API}/logout-all", headers=bearer(first["access_token"]))
    assert response.status_code == 204
    for pair in (first, second, rotated):
        assert_error(await me(client, pair["access_token"]), 401, "token_revoked")
    for token in (first["refresh_token"], rotated["refresh_token"]):
        assert_error(await refresh(client, token), 401)
    assert (await me(client, someone_else["access_token"])).status_code == 200
    # Signing in again works.
    _, fresh = await signed_in(client, email)
    assert (await me(client, fresh["access_token"])).status_code == 200


async def test_a_refresh_racing_logout_all_issues_nothing_that_outlives_it(client):
    """Sign-out everywhere while another session refreshes (a thief refreshing in a loop):
    a pair the refresh got is revoked too. The sign-out read the live access tokens before
    the refresh's was stored, so that one worked on for its 30 minutes."""
    email, _ = await signed_in(client)
    for _ in range(5):
        _, owner = await signed_in(client, email)
        _, elsewhere = await signed_in(client, email)
        refreshed, signed_out = await asyncio.gather(
            refresh(client, elsewhere["refresh_token"]),
            client.post(f"{API}/logout-all", headers=bearer(owner["access_token"])),
        )
        assert signed_out.status_code == 204, signed_out.text
        if refreshed.status_code != 200:
            assert_error(refreshed, 401, "session_revoked")
            continue
        pair = refreshed.json()
        assert_error(await me(client, pair["access_token"]), 401, "token_revoked")
        assert_error(await refresh(client, pair["refresh_token"]), 401)


async def test_logout_needs_a_valid_access_token(client, auth_settings):
    _, pair = await signed_in(client)
    for headers in (
        {},
        bearer("garbage"),
        bearer(pair["refresh_token"]),
        {"Authorization": "Basic dXNlcjpwYXNz"},
        bearer(mint_token(auth_settings, ttl_seconds=-5)),
    ):
        for path in ("logout", "logout-all"):
            assert_error(await client.post(f"{API}/{path}", headers=headers), 401)
    assert (await me(client, pair["access_token"])).status_code == 200


async def test_concurrent_refreshes_of_one_token_let_one_through_then_end_the_session(client):
    _, pair = await signed_in(client)
    answers = await asyncio.gather(*(refresh(client, pair["refresh_token"]) for _ in range(4)))
    statuses = sorted(response.status_code for response in answers)
    assert statuses == [200, 401, 401, 401], [r.text for r in answers]
    for response in answers:
        if response.status_code == 401:
            assert_error(response, 401)
    # The copies count as reuse: even the winner's new tokens are dead.
    winner = next(r for r in answers if r.status_code == 200).json()
    assert_error(await refresh(client, winner["refresh_token"]), 401, "session_revoked")
    assert_error(await me(client, winner["access_token"]), 401, "token_revoked")
