"""Verified tokens are remembered by their exact string; what can change is checked at every use."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from streamstack.kernel.authentication import Authenticator
from streamstack.kernel.jwt import InvalidToken, TokenVerifier
from streamstack.kernel.kv.embedded import EmbeddedKeyValueStore
from streamstack.kernel.revocation import RevocationList
from streamstack.settings import Settings
from support.apps import make_settings, mint_token


class Clock:
    """A wall clock the test moves."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings("embedded", tmp_path / "data")


def verifier_of(settings: Settings, clock: Clock, remembered: int = 8) -> TokenVerifier:
    return TokenVerifier(
        settings.public_key_path.read_bytes(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        remembered=remembered,
        clock=clock,
    )


def test_a_remembered_token_still_expires(settings: Settings) -> None:
    clock = Clock()
    verifier = verifier_of(settings, clock)
    token = mint_token(settings, ttl_seconds=60)
    first = verifier.verify(token, "access")
    assert verifier.verify(token, "access") == first
    clock.now = first.exp + 1
    with pytest.raises(InvalidToken):
        verifier.verify(token, "access")
    clock.now = first.exp - 30  # an expired token is forgotten, and checked afresh
    assert verifier.verify(token, "access") == first


def test_a_remembered_token_is_still_only_of_its_type(settings: Settings) -> None:
    verifier = verifier_of(settings, Clock())
    refresh = mint_token(settings, typ="refresh")
    assert verifier.verify(refresh, "refresh").typ == "refresh"
    with pytest.raises(InvalidToken) as refused:
        verifier.verify(refresh, "access")
    assert "not an access token" in refused.value.detail


def test_only_verified_tokens_are_remembered_and_only_so_many(settings: Settings) -> None:
    verifier = verifier_of(settings, Clock(), remembered=2)
    good = mint_token(settings)
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    for _ in range(2):  # a refused token is refused again: nothing was remembered
        with pytest.raises(InvalidToken):
            verifier.verify(forged, "access")
    tokens = [mint_token(settings) for _ in range(3)]
    for token in tokens:
        verifier.verify(token, "access")
    # The least recently used went first; every token still verifies (afresh if needed).
    assert [verifier.verify(token, "access").sub for token in tokens] == [
        verifier.verify(token, "access").sub for token in tokens
    ]
    assert verifier.remembered_count == 2


async def test_a_remembered_token_revoked_later_is_refused(
    settings: Settings, tmp_path: Path
) -> None:
    """The revocation list is read at every request, remembered claims or not."""
    store = EmbeddedKeyValueStore(tmp_path / "kv.sqlite3", "revoked", ttl_seconds=3600)
    revocations = RevocationList(store)
    authenticator = Authenticator(verifier_of(settings, Clock()), revocations)
    token = mint_token(settings)
    principal = await authenticator.authenticate(token)
    await authenticator.authenticate(token)  # now remembered
    await revocations.revoke(principal.jti)
    with pytest.raises(InvalidToken) as refused:
        await authenticator.authenticate(token)
    assert refused.value.code == "token_revoked"
