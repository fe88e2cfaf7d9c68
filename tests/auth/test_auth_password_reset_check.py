"""Checking a password-reset code before using it (``POST /password-reset/check``).

The SPA asks when the reset page opens, so a dead link says so at once instead of after
the user typed a new password twice, and names the account the code is for, its email
masked (a link that strayed, say to a mailbox the account no longer uses, must not hand
over the address; walk 51 F6). The check changes nothing (the code still resets
afterwards), answers unknown, used and expired codes with one identical 403, takes the
code in the body only (URLs end up in logs), and counts against the same per-address
throttle as the reset itself, so it is no faster a way to guess codes. Every test runs on
both backend kinds.
"""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import httpx
from auth_accounts import (
    API,
    PASSWORD,
    assert_error,
    bearer,
    login,
    signed_in,
    signed_in_admin,
)
from jose import jwt
from sqlalchemy import text

from streamstack.auth.letters import masked_email
from streamstack.auth.service import code_digest
from streamstack.kernel.clock import utcnow
from streamstack.kernel.db import Database
from streamstack.settings import Settings
from support.apps import served_app

CHECK = f"{API}/password-reset/check"
RESET = f"{API}/password-reset"
NEW_PASSWORD = "violet umbrella marching slowly"


async def issue_code(client: Any, admin: dict[str, Any], user: dict[str, Any]) -> str:
    """An admin-issued reset code for ``user`` (a token pair)."""
    user_id = jwt.get_unverified_claims(user["access_token"])["sub"]
    url = f"{API}/users/{user_id}/password-reset"
    issued = await client.post(url, headers=bearer(admin["access_token"]))
    assert issued.status_code == 201, issued.text
    code: str = issued.json()["code"]
    return code


async def expire(settings: Settings, code: str) -> None:
    """Move the expiry of ``code``'s reset row into the past, behind the app's back."""
    database = Database(settings.effective_database_url)
    try:
        async with database.engine.begin() as connection:
            past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
            await connection.execute(
                text("UPDATE auth_password_resets SET expires_at = :past WHERE code_hash = :hash"),
                {"past": past, "hash": code_digest(code)},
            )
    finally:
        await database.close()


async def test_a_usable_code_names_its_account_and_still_resets_afterwards(client, auth_settings):
    email, viewer = await signed_in(client)
    _, admin = await signed_in_admin(client, auth_settings)
    code = await issue_code(client, admin, viewer)
    for _ in range(2):  # asking does not use the code up
        response = await client.post(CHECK, json={"code": code})
        assert response.status_code == 200, response.text
        # Masked as the notices mask it: a link that strayed does not hand over the address.
        assert response.json() == {"masked_email": masked_email(email)}
        assert email not in response.text
        assert response.headers["cache-control"] == "no-store"
    # Neither the password nor the sessions changed.
    assert (
        await client.get(f"{API}/me", headers=bearer(viewer["access_token"]))
    ).status_code == 200
    assert (await login(client, email)).status_code == 200
    reset = await client.post(RESET, json={"code": code, "new_password": NEW_PASSWORD})
    assert reset.status_code == 204, reset.text
    assert (await login(client, email, NEW_PASSWORD)).status_code == 200
    assert_error(await client.post(CHECK, json={"code": code}), 403, "invalid_reset_code")


async def test_used_expired_and_unknown_codes_get_one_identical_answer(client, auth_settings):
    _, admin = await signed_in_admin(client, auth_settings)
    _, used_owner = await signed_in(client)
    used = await issue_code(client, admin, used_owner)
    response = await client.post(RESET, json={"code": used, "new_password": NEW_PASSWORD})
    assert response.status_code == 204, response.text
    expired_email, expired_owner = await signed_in(client)
    expired = await issue_code(client, admin, expired_owner)
    await expire(auth_settings, expired)
    _, replaced_owner = await signed_in(client)
    replaced = await issue_code(client, admin, replaced_owner)
    await issue_code(client, admin, replaced_owner)  # a newer code withdraws the older one

    bodies = []
    for code in (used, expired, replaced, "no-such-code"):
        body = assert_error(await client.post(CHECK, json={"code": code}), 403)
        bodies.append({key: value for key, value in body.items() if key != "request_id"})
    assert bodies == [bodies[0]] * 4
    assert bodies[0]["code"] == "invalid_reset_code"
    # The expired code's account kept its password.
    assert (await login(client, expired_email, PASSWORD)).status_code == 200


async def test_bad_input_is_a_json_error_and_counts_nothing(auth_settings_factory):
    # Two free attempts per address: were any bad request counted, the second good check
    # below would be refused.
    settings = auth_settings_factory(registration_address_attempts=2)
    async with served_app(settings) as url, httpx.AsyncClient(base_url=url, timeout=60) as http:
        _, viewer = await signed_in(http)
        _, admin = await signed_in_admin(http, settings)
        code = await issue_code(http, admin, viewer)
        for body in (
            {},
            {"code": ""},
            {"code": "x" * 65},
            {"code": 5},
            {"code": None},
            {"code": code, "new_password": NEW_PASSWORD},  # unknown field
            [code],
        ):
            assert_error(await http.post(CHECK, json=body), 400)
        not_json = {"content-type": "application/json"}
        assert_error(await http.post(CHECK, content=b"{code", headers=not_json), 400)
        oversized = {"code": "x" * (2 * 1024 * 1024)}
        assert_error(await http.post(CHECK, json=oversized), 413)
        # The code in the query instead of the body is no way in either.
        assert_error(await http.post(CHECK, params={"code": code}), 400)
        for _ in range(2):
            response = await http.post(CHECK, json={"code": code})
            assert response.status_code == 200, response.text


async def test_checks_count_against_the_reset_throttle(auth_settings_factory):
    # The clock stands still, so the burst races the counters' rows and not the machine's
    # speed (the first lock lasts one second).
    now = utcnow()
    settings = auth_settings_factory(registration_address_attempts=3)
    served = served_app(settings, clock=lambda: now)
    async with served as url, httpx.AsyncClient(base_url=url, timeout=60) as http:
        _, viewer = await signed_in(http)
        _, admin = await signed_in_admin(http, settings)
        code = await issue_code(http, admin, viewer)

        def from_address(address: str) -> dict[str, str]:
            return {"X-Forwarded-For": address}

        async def guess(n: int, address: str = "203.0.113.70") -> httpx.Response:
            # Checks and resets alternate: both count under the one per-address key.
            if n % 2:
                body = {"code": f"guess-{n}", "new_password": NEW_PASSWORD}
                return await http.post(RESET, json=body, headers=from_address(address))
            return await http.post(
                CHECK, json={"code": f"guess-{n}"}, headers=from_address(address)
            )

        burst = await asyncio.gather(*(guess(n) for n in range(10)))
        assert sorted(r.status_code for r in burst) == [403] * 3 + [429] * 7
        for response in burst:
            if response.status_code == 429:
                assert_error(response, 429, "reset_throttled")
                assert int(response.headers["retry-after"]) >= 1
        # A locked address learns nothing, not even about a good code; others are free.
        locked = await http.post(CHECK, json={"code": code}, headers=from_address("203.0.113.70"))
        assert_error(locked, 429, "reset_throttled")
        free = await http.post(CHECK, json={"code": code}, headers=from_address("198.51.100.70"))
        assert free.status_code == 200, free.text
