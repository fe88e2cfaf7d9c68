"""Revocations outlive the process, the embedded store and the NATS server."""

from __future__ import annotations

import asyncio

import pytest
from auth_accounts import API, assert_error, bearer, login, signed_in

from harness.tools import skip_or_fail
from support.apps import running_app


async def test_revocations_survive_an_app_restart(auth_settings):
    """Embedded kind: the KV file in the data directory; production: the NATS bucket."""
    async with running_app(auth_settings) as client:
        email, signed_out = await signed_in(client)
        _, reused = await signed_in(client, email)
        _, kept = await signed_in(client, email)
        assert (
            await client.post(f"{API}/logout", headers=bearer(signed_out["access_token"]))
        ).status_code == 204
        rotated = await client.post(
            f"{API}/refresh", json={"refresh_token": reused["refresh_token"]}
        )
        assert rotated.status_code == 200
        assert_error(
            await client.post(f"{API}/refresh", json={"refresh_token": reused["refresh_token"]}),
            401,
            "refresh_token_reused",
        )

    async with running_app(auth_settings) as client:
        for access in (signed_out["access_token"], rotated.json()["access_token"]):
            assert_error(
                await client.get(f"{API}/me", headers=bearer(access)), 401, "token_revoked"
            )
        assert_error(
            await client.post(
                f"{API}/refresh", json={"refresh_token": signed_out["refresh_token"]}
            ),
            401,
        )
        assert_error(
            await client.post(
                f"{API}/refresh", json={"refresh_token": rotated.json()["refresh_token"]}
            ),
            401,
        )
        assert (
            await client.get(f"{API}/me", headers=bearer(kept["access_token"]))
        ).status_code == 200
        assert (
            await client.post(f"{API}/refresh", json={"refresh_token": kept["refresh_token"]})
        ).status_code == 200


async def answer_once_nats_is_back(client, access, attempts=100):
    """GET /me until the answer is not 503 (NATS reconnecting), then return it."""
    for _ in range(attempts):
        response = await client.get(f"{API}/me", headers=bearer(access))
        if response.status_code != 503:
            return response
        await asyncio.sleep(0.2)
    raise AssertionError("the revocation list stayed unavailable after NATS came back")


@pytest.mark.parametrize("backend_kind", ["production"])
async def test_revocations_survive_a_nats_restart(nats_server, auth_settings):
    if nats_server is None:
        skip_or_fail("NATS is an external server (STREAMSTACK_TEST_NATS_URL); cannot restart it")
    async with running_app(auth_settings) as client:
        email, revoked = await signed_in(client)
        _, kept = await signed_in(client, email)
        assert (
            await client.post(f"{API}/logout", headers=bearer(revoked["access_token"]))
        ).status_code == 204

        await nats_server.arestart()

        assert_error(
            await answer_once_nats_is_back(client, revoked["access_token"]), 401, "token_revoked"
        )
        assert (await answer_once_nats_is_back(client, kept["access_token"])).status_code == 200
        # Revoking still works after the restart.
        assert (
            await client.post(f"{API}/logout", headers=bearer(kept["access_token"]))
        ).status_code == 204
        assert_error(
            await client.get(f"{API}/me", headers=bearer(kept["access_token"])),
            401,
            "token_revoked",
        )


@pytest.mark.parametrize("backend_kind", ["production"])
async def test_sign_in_works_while_nats_is_down_but_revocation_checks_fail_closed(
    nats_server, auth_settings
):
    if nats_server is None:
        skip_or_fail("NATS is an external server (STREAMSTACK_TEST_NATS_URL); cannot stop it")
    async with running_app(auth_settings) as client:
        email, pair = await signed_in(client)
        await nats_server.astop()
        try:
            # Passwords are checked against Postgres; the throttle steps aside.
            assert (await login(client, email)).status_code == 200
            assert_error(await login(client, email, "wrong password"), 401, "invalid_credentials")
            rotated = await client.post(
                f"{API}/refresh", json={"refresh_token": pair["refresh_token"]}
            )
            assert rotated.status_code == 200
            # Whether a token was revoked cannot be known: refuse rather than guess.
            response = await client.get(f"{API}/me", headers=bearer(rotated.json()["access_token"]))
            assert response.status_code == 503
            assert_error(response, 503)
            assert response.headers["retry-after"]
        finally:
            await nats_server.astart()
        response = await answer_once_nats_is_back(client, rotated.json()["access_token"])
        assert response.status_code == 200
