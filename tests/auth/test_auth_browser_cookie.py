"""Browser mode: with ``X-Refresh-Cookie: 1`` the refresh token travels in an HttpOnly cookie,
and an admin's access token in the stills pass (thumbnails of unpublished items)."""

from __future__ import annotations

import httpx
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

from streamstack.auth.module import standalone_service
from streamstack.contracts.streaming import STILLS_PASS_COOKIE
from support.apps import running_app, served_app


async def test_cookie_mode_login_refresh_and_logout(client):
    email = new_email()
    await register(client, email)
    response = await login(client, email, PASSWORD, headers=COOKIE_MODE)
    assert response.status_code == 200
    body = response.json()
    assert body["refresh_token"] is None
    assert body["access_token"]
    name, value, attributes = cookie_attributes(set_cookie(response))
    assert name == "streamstack_refresh"
    assert value.count(".") == 2  # the refresh JWT
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "strict"
    assert attributes["path"] == "/api/v1/auth"
    assert attributes["max-age"] == str(7 * 24 * 3600)
    assert "secure" not in attributes  # settings.secure_cookies is off in tests
    assert response.headers["cache-control"] == "no-store"
    first_cookie = value

    # The browser sends the cookie back (the client's jar does, path permitting).
    refreshed = await client.post(f"{API}/refresh", json={}, headers=COOKIE_MODE)
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["refresh_token"] is None
    _, second_cookie, _ = cookie_attributes(set_cookie(refreshed))
    assert second_cookie != first_cookie
    access = refreshed.json()["access_token"]
    assert (await client.get(f"{API}/me", headers=bearer(access))).status_code == 200

    # Also with no body at all.
    again = await client.post(f"{API}/refresh", headers=COOKIE_MODE)
    assert again.status_code == 200, again.text
    access = again.json()["access_token"]

    # Logout revokes and tells the browser to forget the cookie.
    out = await client.post(f"{API}/logout", headers={**bearer(access), **COOKIE_MODE})
    assert out.status_code == 204
    name, value, attributes = cookie_attributes(set_cookie(out))
    assert name == "streamstack_refresh"
    assert value in ("", '""')
    assert attributes["max-age"] == "0"
    assert attributes["path"] == "/api/v1/auth"


async def test_a_rotated_cookie_is_reuse_and_a_dead_cookie_is_cleared(client):
    email = new_email()
    await register(client, email)
    response = await login(client, email, PASSWORD, headers=COOKIE_MODE)
    _, stolen, _ = cookie_attributes(set_cookie(response))
    assert (await client.post(f"{API}/refresh", headers=COOKIE_MODE)).status_code == 200
    # The copied old cookie is presented again: the family is revoked...
    client.cookies.set("streamstack_refresh", stolen, path="/api/v1/auth")
    reused = await client.post(f"{API}/refresh", headers=COOKIE_MODE)
    assert_error(reused, 401, "refresh_token_reused")
    # ...and the browser is told to drop its cookie.
    _, value, attributes = cookie_attributes(set_cookie(reused))
    assert attributes["max-age"] == "0"
    assert value in ("", '""')


async def test_api_clients_keep_json_tokens_and_the_cookie_needs_the_header(client):
    email = new_email()
    await register(client, email)
    response = await login(client, email)
    assert response.json()["refresh_token"]
    assert response.headers.get("set-cookie") is None
    # A cookie without the header is ignored: without the opt-in header a cross-site form
    # could not use it, and the answer would put the refresh token where scripts read it.
    browser = await login(client, email, PASSWORD, headers=COOKIE_MODE)
    assert browser.json()["refresh_token"] is None
    assert_error(await client.post(f"{API}/refresh", json={}), 401)
    assert (await client.post(f"{API}/refresh", headers=COOKIE_MODE)).status_code == 200
    # A token in the body wins over the cookie, and the answer follows the header.
    body_token = response.json()["refresh_token"]
    answered = await client.post(
        f"{API}/refresh", json={"refresh_token": body_token}, headers=COOKIE_MODE
    )
    assert answered.status_code == 200
    assert answered.json()["refresh_token"] is None
    assert "streamstack_refresh=" in set_cookie(answered)
    # Other header values are not cookie mode.
    for value in ("0", "true", "yes"):
        other = await login(client, email, PASSWORD, headers={"X-Refresh-Cookie": value})
        assert other.json()["refresh_token"]


async def test_junk_cookies_get_401(client):
    client.cookies.clear()
    for junk in ("garbage", "a.b.c", "x" * 4000, "🎬", '"quoted"', "a\x00b", "=;=;"):
        cookie = b"streamstack_refresh=" + junk.encode()
        response = await client.post(f"{API}/refresh", headers={**COOKIE_MODE, "Cookie": cookie})
        assert_error(response, 401)


async def test_secure_cookies_behind_https(auth_settings_factory):
    async with running_app(auth_settings_factory(secure_cookies=True)) as client:
        email = new_email()
        await register(client, email)
        response = await login(client, email, PASSWORD, headers=COOKIE_MODE)
        _, _, attributes = cookie_attributes(set_cookie(response))
        assert "secure" in attributes


async def test_a_request_over_https_gets_secure_cookies_without_the_setting(client):
    """Over HTTPS the cookie is ``Secure`` (and so is the one that clears it), the setting
    off; over plain HTTP it is not (a browser would drop it)."""
    https = client.base_url.copy_with(scheme="https")
    email = new_email()
    await register(client, email)
    response = await client.post(
        https.join(f"{API}/login"),
        json={"email": email, "password": PASSWORD},
        headers=COOKIE_MODE,
    )
    assert response.status_code == 200, response.text
    assert "secure" in cookie_attributes(set_cookie(response))[2]
    access = response.json()["access_token"]
    signed_out = await client.post(https.join(f"{API}/logout"), headers=bearer(access))
    assert signed_out.status_code == 204, signed_out.text
    assert "secure" in cookie_attributes(set_cookie(signed_out))[2]

    plain = await login(client, email, PASSWORD, headers=COOKIE_MODE)
    assert "secure" not in cookie_attributes(set_cookie(plain))[2]


async def test_a_trusted_proxy_saying_https_gets_secure_cookies(auth_settings_factory):
    """Served as ``streamstack serve`` runs it: a proxy on this machine (trusted by default)
    that terminated TLS says so in ``X-Forwarded-Proto``; anyone else's header is ignored
    by uvicorn's proxy-header rule, which this relies on."""
    settings = auth_settings_factory()
    async with served_app(settings) as url, httpx.AsyncClient(base_url=url) as served:
        email = new_email()
        await register(served, email)
        for proto, secure in (("https", True), ("http", False)):
            response = await login(
                served, email, PASSWORD, headers={**COOKIE_MODE, "X-Forwarded-Proto": proto}
            )
            assert response.status_code == 200, response.text
            assert ("secure" in cookie_attributes(set_cookie(response))[2]) is secure, proto


async def test_an_admin_gets_the_stills_pass_and_loses_it_at_logout(client, auth_settings):
    """The stills pass holds an admin's access token, for the thumbnails' path alone and the
    token's lifetime; it follows each refresh, and logout clears it. A viewer gets none."""
    email = new_email("admin")
    await register(client, email)
    async with standalone_service(auth_settings) as service:
        await service.create_admin(email, None)
    response = await login(client, email, PASSWORD, headers=COOKIE_MODE)
    assert response.status_code == 200, response.text
    name, value, attributes = cookie_attributes(set_cookie(response, STILLS_PASS_COOKIE))
    assert (name, value) == (STILLS_PASS_COOKIE, response.json()["access_token"])
    assert attributes["path"] == "/api/v1/stream/thumbnails"
    assert attributes["max-age"] == str(response.json()["expires_in"])
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "strict"

    refreshed = await client.post(f"{API}/refresh", headers=COOKIE_MODE)
    assert refreshed.status_code == 200, refreshed.text
    access = refreshed.json()["access_token"]
    assert cookie_attributes(set_cookie(refreshed, STILLS_PASS_COOKIE))[1] == access != value

    out = await client.post(f"{API}/logout", headers={**bearer(access), **COOKIE_MODE})
    assert out.status_code == 204
    name, value, attributes = cookie_attributes(set_cookie(out, STILLS_PASS_COOKIE))
    assert value in ("", '""')
    assert (attributes["max-age"], attributes["path"]) == ("0", "/api/v1/stream/thumbnails")

    viewer = new_email()
    await register(client, viewer)
    signed_in = await login(client, viewer, PASSWORD, headers=COOKIE_MODE)
    assert [c for c in signed_in.headers.get_list("set-cookie") if STILLS_PASS_COOKIE in c] == []
    json_mode = await login(client, email, PASSWORD)  # API clients get no cookie at all
    assert json_mode.headers.get("set-cookie") is None
