"""The shared token verifier (``kernel.jwt``) refuses every forged, confused or oversized token.

Most cases are checked on the verifier itself; a selection is also sent through the auth API
on both backend kinds, and revocation is checked against each kind's KV store.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import http.server
import json
import threading
import time
import tracemalloc
import uuid
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from auth_accounts import API, assert_error, bearer, signed_in
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from jose import jwt

from streamstack.kernel.backends import Backends
from streamstack.kernel.jwt import MAX_TOKEN_CHARS, InvalidToken, TokenVerifier, key_id
from streamstack.kernel.revocation import (
    REVOCATION_TTL_SECONDS,
    REVOKED_TOKENS_BUCKET,
    RevocationList,
)
from streamstack.settings import Settings
from support.apps import make_settings, mint_token, running_app


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: Any) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings with a key pair; no backend is started."""
    return make_settings("embedded", tmp_path_factory.mktemp("verification"))


@pytest.fixture(scope="module")
def verifier(keys: Settings) -> TokenVerifier:
    return TokenVerifier.from_file(
        keys.public_key_path, issuer=keys.jwt_issuer, audience=keys.jwt_audience
    )


def good_claims(keys: Settings, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(uuid.uuid4()),
        "role": "admin",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 600,
        "iss": keys.jwt_issuer,
        "aud": keys.jwt_audience,
        "typ": "access",
        "fam": str(uuid.uuid4()),
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def private_key(keys: Settings) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(keys.private_key_path.read_bytes(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def signed_by_hand(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
    signing_input = f"{b64json(header)}.{b64json(claims)}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


def hs256(secret: bytes) -> Any:
    return lambda data: hmac.new(secret, data, hashlib.sha256).digest()


@functools.cache
def forged_tokens(keys: Settings) -> dict[str, str]:
    """Every token the verifier must refuse, by what is wrong with it."""
    kid = key_id(keys.public_key_path.read_bytes())
    public_pem = keys.public_key_path.read_bytes()
    public_der = (
        private_key(keys)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    ours = private_key(keys)
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attacker_pem = attacker.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    ec_key = ec.generate_private_key(ec.SECP256R1())
    claims = good_claims(keys)
    return {
        "alg none": f"{b64json({'alg': 'none', 'typ': 'JWT'})}.{b64json(claims)}.",
        "alg none with kid": f"{b64json({'alg': 'none', 'kid': kid})}.{b64json(claims)}.",
        "HS256 with the public key PEM as secret": signed_by_hand(
            {"alg": "HS256", "typ": "JWT", "kid": kid}, claims, hs256(public_pem)
        ),
        "HS256 with the public key DER as secret": signed_by_hand(
            {"alg": "HS256", "typ": "JWT", "kid": kid}, claims, hs256(public_der)
        ),
        "RS512 with our own key": jwt.encode(
            claims, keys.private_key_path.read_text(), algorithm="RS512", headers={"kid": kid}
        ),
        "PS256 with our own key": signed_by_hand(
            {"alg": "PS256", "kid": kid},
            claims,
            lambda data: ours.sign(
                data,
                padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                hashes.SHA256(),
            ),
        ),
        "ES256": signed_by_hand(
            {"alg": "ES256", "kid": kid},
            claims,
            lambda data: ec_key.sign(data, ec.ECDSA(hashes.SHA256())),
        ),
        "RS256 with another key": jwt.encode(
            claims, attacker_pem, algorithm="RS256", headers={"kid": kid}
        ),
        "RS256 with another key embedded as jwk": jwt.encode(
            claims,
            attacker_pem,
            algorithm="RS256",
            headers={
                "jwk": {
                    "kty": "RSA",
                    "n": b64(attacker.public_key().public_numbers().n.to_bytes(256, "big")),
                    "e": "AQAB",
                }
            },
        ),
        "missing exp": mint_token(keys, exp=None),
        "missing aud": mint_token(keys, aud=None),
        "missing iss": mint_token(keys, iss=None),
        "missing typ": mint_token(keys, typ=None),
        "missing jti": mint_token(keys, jti=None),
        "missing sub": mint_token(keys, sub=None),
        "missing iat": mint_token(keys, iat=None),
        "wrong iss": mint_token(keys, iss="https://evil.example"),
        "wrong aud": mint_token(keys, aud="another-service"),
        "aud list without ours": mint_token(keys, aud=["another-service"]),
        "unknown typ": mint_token(keys, typ="admin"),
        "expired": mint_token(keys, ttl_seconds=-1),
        "expired long ago": mint_token(keys, ttl_seconds=-86400),
        "nbf in the future": mint_token(keys, nbf=int(time.time()) + 3600),
        "kid is a path": mint_token(keys, headers={"kid": "../../../../etc/passwd"}),
        "kid is a file URL": mint_token(keys, headers={"kid": "file:///etc/passwd"}),
        "kid is an http URL": mint_token(keys, headers={"kid": "http://127.0.0.1:9/key.pem"}),
        "kid is SQL": mint_token(keys, headers={"kid": "x' UNION SELECT 'secret"}),
        "crit header": mint_token(keys, headers={"crit": ["exp"], "exp": 1}),
        "zip header on a JWS": mint_token(keys, headers={"zip": "DEF"}),
        "compressed JWE": ".".join(
            [
                b64json({"alg": "RSA-OAEP", "enc": "A256GCM", "zip": "DEF", "kid": kid}),
                b64(b"k" * 256),
                b64(b"i" * 12),
                b64(zlib.compress(b"{" * 100_000)),
                b64(b"t" * 16),
            ]
        ),
        "one megabyte": "a" * (1024 * 1024),
        "one megabyte of dots and base64": ("eyJ" + "A" * 349_000 + ".") * 3,
        "empty": "",
        "two parts": f"{b64json({'alg': 'RS256'})}.{b64json(claims)}",
        "header not JSON": f"{b64(b'not json')}.{b64json(claims)}.{b64(b'sig')}",
        "header a JSON list": f"{b64json(['RS256'])}.{b64json(claims)}.{b64(b'sig')}",
        "alg a list": f"{b64json({'alg': ['RS256']})}.{b64json(claims)}.{b64(b'sig')}",
        "non-ASCII": "é.é.é",
        "NUL bytes": "\x00.\x00.\x00",
        "emoji": "🎬.🍿.🎥",
        "signature stripped": mint_token(keys).rsplit(".", 1)[0] + ".",
    }


def test_every_forged_token_is_refused(keys: Settings, verifier: TokenVerifier) -> None:
    for what, token in forged_tokens(keys).items():
        with pytest.raises(InvalidToken):
            verifier.verify(token, "access")
        assert what  # each case is named in the table above


def test_a_good_token_passes(keys: Settings, verifier: TokenVerifier) -> None:
    claims = verifier.verify(mint_token(keys, role="admin", fam="f1"), "access")
    assert claims.role == "admin"
    assert claims.fam == "f1"
    assert claims.typ == "access"


def test_refresh_and_access_tokens_are_not_interchangeable(
    keys: Settings, verifier: TokenVerifier
) -> None:
    with pytest.raises(InvalidToken, match="access"):
        verifier.verify(mint_token(keys, typ="refresh"), "access")
    with pytest.raises(InvalidToken, match="refresh"):
        verifier.verify(mint_token(keys, typ="access"), "refresh")
    assert verifier.verify(mint_token(keys, typ="refresh"), "refresh").typ == "refresh"


def test_an_oversized_token_is_refused_before_any_parsing(
    keys: Settings, verifier: TokenVerifier
) -> None:
    huge = mint_token(keys, padding="x" * (2 * 1024 * 1024))
    assert len(huge) > MAX_TOKEN_CHARS
    tracemalloc.start()
    try:
        for _ in range(20):
            with pytest.raises(InvalidToken, match="malformed"):
                verifier.verify(huge, "access")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Flat memory: nothing proportional to the token's size (2 MiB) was allocated.
    assert peak < 64 * 1024


class _KeyServer(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        return


@pytest.fixture
def key_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records any attempt to fetch a key from it."""
    _KeyServer.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _KeyServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _KeyServer.hits
    finally:
        server.shutdown()
        server.server_close()


def test_no_key_is_ever_fetched(keys: Settings, verifier: TokenVerifier, key_server) -> None:
    url, hits = key_server
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attacker_pem = attacker.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    claims = good_claims(keys)
    for header in (
        {"kid": f"{url}/kid.pem"},
        {"jku": f"{url}/jwks.json"},
        {"x5u": f"{url}/cert.pem"},
        {"jku": f"{url}/jwks.json", "kid": key_id(keys.public_key_path.read_bytes())},
    ):
        token = jwt.encode(claims, attacker_pem, algorithm="RS256", headers=header)
        with pytest.raises(InvalidToken):
            verifier.verify(token, "access")
    assert hits == []


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


async def test_a_revoked_jti_is_refused_where_revocation_is_checked(auth_settings) -> None:
    backends = Backends(auth_settings)
    try:
        revocations = RevocationList(backends.kv(REVOKED_TOKENS_BUCKET, REVOCATION_TTL_SECONDS))
        jti = uuid.uuid4().hex
        await revocations.check(jti)
        await revocations.revoke(jti)
        with pytest.raises(InvalidToken) as raised:
            await revocations.check(jti)
        assert raised.value.code == "token_revoked"
        await revocations.check(uuid.uuid4().hex)
    finally:
        await backends.close()


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
    # The API description lists every auth route (and renders without error).
    schema = (await client.get("/api/docs/openapi.json")).json()
    auth_paths = {path for path in schema["paths"] if path.startswith(API)}
    assert auth_paths == {
        f"{API}/{path}"
        for path in (
            "register",
            "login",
            "refresh",
            "logout",
            "logout-all",
            "me",
            "config",
            "sessions",
            "sessions/{session_id}",
            "users",
            "users/{user_id}",
            "users/{user_id}/disable",
            "users/{user_id}/enable",
            "users/{user_id}/password-reset",
            "password",
            "password-reset",
            "invites",
            "invites/{invite_id}",
            ".well-known/jwks.json",
        )
    }
