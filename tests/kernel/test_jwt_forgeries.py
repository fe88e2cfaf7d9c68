"""The kernel's token verifier (``kernel.jwt``) refuses every forged, confused or oversized token,
and the kernel's revocation list (``kernel.revocation``) refuses a revoked ``jti`` on each backend kind.

The API-level check (the same forgeries sent to a bearer route) is in
``tests/auth/test_token_verification.py``.
"""

from __future__ import annotations

import http.server
import threading
import tracemalloc
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt

from streamstack.kernel.backends import Backends
from streamstack.kernel.jwt import MAX_TOKEN_CHARS, InvalidToken, TokenVerifier, key_id
from streamstack.kernel.revocation import (
    REVOCATION_TTL_SECONDS,
    REVOKED_TOKENS_BUCKET,
    RevocationList,
)
from streamstack.settings import Settings
from support.apps import make_settings, mint_token
from support.fixtures import SettingsFactory
from support.tokens import forged_tokens, good_claims


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings with a key pair; no backend is started."""
    return make_settings("embedded", tmp_path_factory.mktemp("verification"))


@pytest.fixture(scope="module")
def verifier(keys: Settings) -> TokenVerifier:
    return TokenVerifier.from_file(
        keys.public_key_path, issuer=keys.jwt_issuer, audience=keys.jwt_audience
    )


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


async def test_a_revoked_jti_is_refused_where_revocation_is_checked(
    settings_factory: SettingsFactory,
) -> None:
    async with Backends(settings_factory()) as backends:
        revocations = RevocationList(backends.kv(REVOKED_TOKENS_BUCKET, REVOCATION_TTL_SECONDS))
        jti = uuid.uuid4().hex
        await revocations.check(jti)
        await revocations.revoke(jti)
        with pytest.raises(InvalidToken) as raised:
            await revocations.check(jti)
        assert raised.value.code == "token_revoked"
        await revocations.check(uuid.uuid4().hex)
