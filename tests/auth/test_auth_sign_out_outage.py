"""Signing out while the revoked-tokens list is away still ends the session.

The session is signed out in the database (its refresh token stops working) and the
browser's cookies are cleared; the answer is 503 ``sign_out_incomplete``, since the access
token presented stays valid until it expires. A caller with no refresh cookie changes
nothing while the list cannot be read (its access token alone cannot be checked).

Each backend kind has its own way for the list to be away: NATS stopped (production: the
list cannot be read, so no access token can be authenticated at all), and the embedded
store's file closed (embedded: its reads come from memory, so only the write fails).
"""

from __future__ import annotations

import pytest
from auth_accounts import (
    API,
    COOKIE_MODE,
    PASSWORD,
    assert_error,
    bearer,
    cookie_attributes,
    login,
    new_email,
    register,
    set_cookie,
)

from harness.tools import skip_or_fail
from streamstack.contracts.streaming import STILLS_PASS_COOKIE
from streamstack.kernel.revocation import REVOCATION_TTL_SECONDS, REVOKED_TOKENS_BUCKET
from support.apps import AppClient


async def browser_sign_in(client: AppClient) -> tuple[str, str]:
    """A new account's sign-in in a browser (cookie mode): its access token and its
    refresh cookie."""
    email = new_email()
    await register(client, email)
    response = await login(client, email, PASSWORD, headers=COOKIE_MODE)
    assert response.status_code == 200, response.text
    return response.json()["access_token"], cookie_attributes(set_cookie(response))[1]


def assert_signed_out_in_part(response) -> None:
    """503 ``sign_out_incomplete``, with the refresh cookie and the stills pass cleared."""
    assert_error(response, 503, "sign_out_incomplete")
    assert int(response.headers["retry-after"]) > 0
    for name in ("streamstack_refresh", STILLS_PASS_COOKIE):
        _, value, attributes = cookie_attributes(set_cookie(response, name))
        assert (value, attributes["max-age"]) in (("", "0"), ('""', "0")), (name, value)


async def refresh_with(client: AppClient, cookie: str):
    """POST /refresh presenting ``cookie`` as this browser's refresh cookie."""
    return await post_with_cookie(client, "refresh", cookie)


async def post_with_cookie(
    client: AppClient, path: str, cookie: str, headers: dict[str, str] | None = None
):
    """POST ``path`` (of auth; with ``headers``) presenting ``cookie`` as this browser's
    refresh cookie."""
    client.cookies.clear()
    sent = {**(headers or {}), **COOKIE_MODE, "Cookie": f"streamstack_refresh={cookie}"}
    return await client.post(f"{API}/{path}", headers=sent)


@pytest.mark.parametrize("backend_kind", ["production"])
async def test_a_browser_signs_out_while_nats_is_down(nats_server, client):
    if nats_server is None:
        skip_or_fail("NATS is an external server (STREAMSTACK_TEST_NATS_URL); cannot stop it")
    access, cookie = await browser_sign_in(client)
    _, kept_cookie = await browser_sign_in(client)
    await nats_server.astop()
    try:
        # No refresh cookie: nothing identifies the session without the list; nothing changes.
        bare = await client.post(f"{API}/logout", headers=bearer(access))
        assert bare.status_code == 503 and bare.json()["code"] != "sign_out_incomplete"
        assert bare.headers.get_list("set-cookie") == []
        out = await post_with_cookie(client, "logout", cookie, bearer(access))
        assert_signed_out_in_part(out)
    finally:
        await nats_server.astart()
    assert_error(await refresh_with(client, cookie), 401, "session_revoked")
    # Another session of the same account is left alone.
    assert (await refresh_with(client, kept_cookie)).status_code == 200


@pytest.mark.parametrize("backend_kind", ["embedded"])
async def test_a_sign_out_whose_revocation_cannot_be_written_ends_the_session(client):
    access, cookie = await browser_sign_in(client)
    _, kept_cookie = await browser_sign_in(client)
    await client.app.state.backends.kv(REVOKED_TOKENS_BUCKET, REVOCATION_TTL_SECONDS).close()
    out = await client.post(f"{API}/logout", headers={**bearer(access), **COOKIE_MODE})
    assert_signed_out_in_part(out)
    assert_error(await refresh_with(client, cookie), 401, "session_revoked")
    assert (await refresh_with(client, kept_cookie)).status_code == 200


@pytest.mark.parametrize("backend_kind", ["production"])
async def test_a_browser_signs_out_everywhere_while_nats_is_down(nats_server, client):
    if nats_server is None:
        skip_or_fail("NATS is an external server (STREAMSTACK_TEST_NATS_URL); cannot stop it")
    access, cookie = await browser_sign_in(client)
    spent_access, spent_cookie = await browser_sign_in(client)
    assert (await client.post(f"{API}/logout", headers=bearer(spent_access))).status_code == 204
    _, other_cookie = await browser_sign_in(client)  # another account's, left alone
    await nats_server.astop()
    try:
        bare = await client.post(f"{API}/logout-all", headers=bearer(access))
        assert bare.status_code == 503 and bare.json()["code"] != "sign_out_incomplete"
        assert bare.headers.get_list("set-cookie") == []
        # A signed-out session's refresh cookie signs nothing else out.
        refused = await post_with_cookie(client, "logout-all", spent_cookie, bearer(spent_access))
        assert_error(refused, 401, "session_revoked")
        out = await post_with_cookie(client, "logout-all", cookie, bearer(access))
        assert_signed_out_in_part(out)
        assert "minutes" in out.json()["detail"]
    finally:
        await nats_server.astart()
    assert_error(await refresh_with(client, cookie), 401, "session_revoked")
    assert (await refresh_with(client, other_cookie)).status_code == 200


@pytest.mark.parametrize("backend_kind", ["embedded"])
async def test_a_sign_out_everywhere_whose_revocations_cannot_be_written_ends_every_session(
    client,
):
    email = new_email()
    await register(client, email)
    cookies = []
    for _ in range(2):
        response = await login(client, email, PASSWORD, headers=COOKIE_MODE)
        cookies.append(cookie_attributes(set_cookie(response))[1])
    access = response.json()["access_token"]
    _, other_cookie = await browser_sign_in(client)
    await client.app.state.backends.kv(REVOKED_TOKENS_BUCKET, REVOCATION_TTL_SECONDS).close()
    out = await client.post(f"{API}/logout-all", headers={**bearer(access), **COOKIE_MODE})
    assert_signed_out_in_part(out)
    for cookie in cookies:
        assert_error(await refresh_with(client, cookie), 401, "session_revoked")
    assert (await refresh_with(client, other_cookie)).status_code == 200
