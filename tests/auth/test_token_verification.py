"""Forged tokens are refused by the API, and the JWKS auth publishes verifies the tokens it issues.

The verifier itself (every forgery, oversized tokens, no key fetching) and the revocation list are
tested in the kernel: ``tests/kernel/test_jwt_forgeries.py``. This file sends the same forgeries
through auth's API on both backend kinds.
"""

from __future__ import annotations

import re

import pytest
from auth_accounts import API, assert_error, bearer, signed_in
from jose import jwt

from streamstack.kernel.jwt import key_id
from streamstack.settings import Settings
from support.apps import make_settings, running_app
from support.tokens import forged_tokens


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings with a key pair; no backend is started."""
    return make_settings("embedded", tmp_path_factory.mktemp("verification"))


async def test_forged_tokens_get_401_from_the_api(auth_settings_factory, keys) -> None:
    # The verifier's key pair, so that the (slow to sign) table of forgeries is made once.
    settings = auth_settings_factory(
        jwt_private_key_path=keys.private_key_path, jwt_public_key_path=keys.public_key_path
    )
    async with running_app(settings) as client:
        await check_forged_tokens_get_401(client, keys)


async def check_forged_tokens_get_401(client, keys) -> None:
    _, pair = await signed_in(client)
    assert (await client.get(f"{API}/me", headers=bearer(pair["access_token"]))).status_code == 200
    for what, token in forged_tokens(keys).items():
        if not token.isascii() or "\x00" in token:
            continue  # not sendable in an HTTP header
        response = await client.get(f"{API}/me", headers=bearer(token))
        assert response.status_code == 401, what
        assert_error(response, 401)
    assert_error(await client.get(f"{API}/me", headers=bearer(pair["refresh_token"])), 401)
    for header in ("Bearer", "Bearer ", "Basic abc", "bearer", pair["access_token"]):
        assert_error(await client.get(f"{API}/me", headers={"Authorization": header}), 401)


async def test_jwks_publishes_the_key_that_verifies_issued_tokens(client, auth_settings) -> None:
    response = await client.get(f"{API}/.well-known/jwks.json")
    assert response.status_code == 200
    assert "max-age" in response.headers["cache-control"]
    key_set = response.json()
    assert len(key_set["keys"]) == 1
    jwk = key_set["keys"][0]
    assert set(jwk) == {"kty", "kid", "alg", "use", "n", "e"}
    assert jwk["kty"] == "RSA"
    assert jwk["alg"] == "RS256"
    assert jwk["use"] == "sig"
    assert "d" not in jwk  # nothing private
    assert jwk["kid"] == key_id(auth_settings.public_key_path.read_bytes())
    _, pair = await signed_in(client)
    assert jwt.get_unverified_header(pair["access_token"])["kid"] == jwk["kid"]
    claims = jwt.decode(
        pair["access_token"],
        jwk,
        algorithms=["RS256"],
        audience=auth_settings.jwt_audience,
        issuer=auth_settings.jwt_issuer,
    )
    assert claims["typ"] == "access"
    # The API description lists every auth route the app serves (and renders without error).
    # Compared with the app's own routes, not a hand-kept list, so a new account route is
    # covered without editing this test.
    schema = (await client.get("/api/docs/openapi.json")).json()
    documented = {path for path in schema["paths"] if path.startswith(API)}
    served = {
        re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        for route in client.app.routes
        if route.path.startswith(API)
    }
    assert documented == served
    assert f"{API}/.well-known/jwks.json" in documented
