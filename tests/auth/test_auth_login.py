"""POST /api/v1/auth/login: the token pair, equal failures, argon2id parameters, bad input."""

from __future__ import annotations

from argon2 import extract_parameters
from auth_accounts import (
    API,
    PASSWORD,
    assert_error,
    documented_statuses,
    login,
    new_email,
    register,
    signed_in,
    stored_password_hash,
)
from jose import jwt

from streamstack.auth.passwords import PasswordHashing
from streamstack.kernel.jwt import key_id
from streamstack.settings import Settings
from support.apps import running_app
from support.full_disk import fill_the_disk_at


async def test_login_returns_rs256_access_and_refresh_tokens(client, auth_settings):
    email, pair = await signed_in(client)
    assert set(pair) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == 1800
    kid = key_id(auth_settings.public_key_path.read_bytes())
    access, refresh = pair["access_token"], pair["refresh_token"]
    for token in (access, refresh):
        header = jwt.get_unverified_header(token)
        assert header["alg"] == "RS256"
        assert header["kid"] == kid
    claims = jwt.get_unverified_claims(access)
    assert set(claims) == {"sub", "role", "jti", "iat", "exp", "iss", "aud", "typ", "fam"}
    assert claims["typ"] == "access"
    assert claims["role"] == "viewer"
    assert claims["iss"] == auth_settings.jwt_issuer
    assert claims["aud"] == auth_settings.jwt_audience
    assert claims["exp"] - claims["iat"] == 30 * 60
    refresh_claims = jwt.get_unverified_claims(refresh)
    assert refresh_claims["typ"] == "refresh"
    assert refresh_claims["exp"] - refresh_claims["iat"] == 7 * 24 * 3600
    assert refresh_claims["fam"] == claims["fam"]
    assert refresh_claims["sub"] == claims["sub"]
    assert refresh_claims["jti"] != claims["jti"]
    # Every sign-in is a new session with new token ids.
    _, again = await signed_in(client, email)
    assert jwt.get_unverified_claims(again["access_token"])["fam"] != claims["fam"]


async def test_unknown_email_and_wrong_password_get_the_same_answer(client):
    email = new_email()
    await register(client, email)
    wrong_password = await login(client, email, "not the password")
    unknown_email = await login(client, new_email("nobody"), "not the password")
    for response in (wrong_password, unknown_email):
        assert_error(response, 401, "invalid_credentials")
    body_a, body_b = wrong_password.json(), unknown_email.json()
    del body_a["request_id"], body_b["request_id"]
    assert body_a == body_b
    assert wrong_password.headers.get("www-authenticate") == unknown_email.headers.get(
        "www-authenticate"
    )


async def test_hashes_are_argon2id_with_the_configured_cost(client, auth_settings):
    email = new_email()
    await register(client, email)
    stored = await stored_password_hash(auth_settings, email)
    assert stored.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert PASSWORD not in stored


async def test_weaker_hashes_are_upgraded_at_the_next_login(auth_settings_factory):
    email = new_email()
    weak = auth_settings_factory()
    async with running_app(weak) as client:
        await register(client, email)
    assert (await stored_password_hash(weak, email)).startswith("$argon2id$v=19$m=1024,t=1,p=1$")

    stronger = auth_settings_factory(argon2_memory_kib=2048, argon2_time_cost=2)
    async with running_app(stronger) as client:
        assert_error(await login(client, email, "wrong password"), 401)
        # A failed login changes nothing.
        assert (await stored_password_hash(stronger, email)).startswith(
            "$argon2id$v=19$m=1024,t=1,p=1$"
        )
        assert (await login(client, email)).status_code == 200
        upgraded = await stored_password_hash(stronger, email)
        assert upgraded.startswith("$argon2id$v=19$m=2048,t=2,p=1$")
        # The upgraded hash still verifies the same password.
        assert (await login(client, email)).status_code == 200


def test_production_defaults_are_at_least_owasp_minimum():
    settings = Settings()
    assert settings.argon2_memory_kib >= 19456
    assert settings.argon2_time_cost >= 2
    assert settings.argon2_parallelism == 1
    assert settings.access_token_ttl_seconds == 30 * 60
    assert settings.refresh_token_ttl_seconds == 7 * 24 * 3600
    assert settings.login_throttle_max_seconds <= 15 * 60


async def test_bad_login_inputs_get_4xx_and_never_sign_in(client):
    email = new_email()
    await register(client, email)
    cases = [
        ({"email": email}, 400),
        ({"password": PASSWORD}, 400),
        ({"email": email, "password": None}, 400),
        ({"email": [email], "password": PASSWORD}, 400),
        ({"email": email, "password": PASSWORD, "extra": 1}, 400),
        ({"email": email, "password": "x" * 129}, 400),
        ({"email": "🎬@example.test", "password": PASSWORD}, 400),
        ({"email": "no-at-sign", "password": PASSWORD}, 400),
        ({"email": email + "\x00", "password": PASSWORD}, 400),
        ({"email": email, "password": PASSWORD + "\x00"}, 401),
        ({"email": email, "password": "\x00" + PASSWORD}, 401),
        ({"email": email, "password": "short"}, 401),
        ({"email": email, "password": "🎬" * 20}, 401),
        ({"email": email, "password": ""}, 400),
    ]
    for body, status in cases:
        response = await client.post(f"{API}/login", json=body)
        assert response.status_code == status, (body, response.text)
        assert_error(response, status)
    for content in (b"{", b"[]", b"", b"\xff\xfe", b'{"email": "\\udc00"}'):
        response = await client.post(
            f"{API}/login", content=content, headers={"Content-Type": "application/json"}
        )
        assert_error(response, 400)
    huge = await client.post(f"{API}/login", json={"email": email, "password": "x" * 2**20})
    assert_error(huge, 413)
    # The account is intact.
    assert (await login(client, email)).status_code == 200


async def test_unknown_emails_are_checked_against_a_hash_of_the_same_cost():
    """The dummy hash behind unknown-email logins costs what a real verification costs."""
    passwords = PasswordHashing(memory_kib=2048, time_cost=3, parallelism=1)
    real = await passwords.hash(PASSWORD)
    dummy = passwords._dummy_hash  # white-box: what verify_nobody verifies against
    assert extract_parameters(dummy) == extract_parameters(real)
    assert not passwords.needs_rehash(dummy)
    assert await passwords.verify(dummy, PASSWORD) is False
    await passwords.verify_nobody(PASSWORD)  # runs, and raises nothing


async def test_every_refusal_of_a_sign_in_is_documented(client):
    """Schemathesis saw 401 and 429 answered that the OpenAPI document did not list."""
    email = new_email()
    await register(client, email)
    assert_error(await login(client, email, "not the password"), 401, "invalid_credentials")
    assert {401, 403, 429} <= await documented_statuses(client, "post", "/login")


async def test_a_sign_in_on_a_full_disk_says_the_disk_is_full(client):
    """The 503 names the full disk (``database_full``) rather than "the database is
    unavailable", which sent the operator looking for a database server."""
    email, _ = await signed_in(client)
    database = client.app.state.backends.database
    await fill_the_disk_at(database, "auth_refresh_tokens")

    body = assert_error(await login(client, email), 503, "database_full")

    assert body["detail"] == "the server's disk is full: free space on it, then try again"
