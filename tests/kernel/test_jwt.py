"""Access-token verification in the kernel: claims the verifier refuses by itself."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from streamstack.kernel.jwt import IAT_LEEWAY_SECONDS, InvalidToken, TokenVerifier
from streamstack.settings import Settings
from support.apps import make_settings, mint_token


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings("embedded", tmp_path / "data")


@pytest.fixture
def verifier(settings: Settings) -> TokenVerifier:
    return TokenVerifier.from_file(
        settings.public_key_path, issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )


def test_a_token_issued_in_the_future_beyond_the_leeway_is_refused(
    settings: Settings, verifier: TokenVerifier
) -> None:
    future = int(time.time()) + IAT_LEEWAY_SECONDS + 30
    token = mint_token(settings, iat=future, exp=future + 1800)
    with pytest.raises(InvalidToken) as refused:
        verifier.verify(token, "access")
    assert refused.value.status == 401
    assert refused.value.code == "invalid_token"
    assert "future" in refused.value.detail


def test_clock_skew_within_the_leeway_is_tolerated(
    settings: Settings, verifier: TokenVerifier
) -> None:
    skewed = int(time.time()) + IAT_LEEWAY_SECONDS - 20
    claims = verifier.verify(mint_token(settings, iat=skewed, exp=skewed + 1800), "access")
    assert claims.iat == skewed


def test_the_leeway_is_one_minute() -> None:
    assert IAT_LEEWAY_SECONDS == 60


def test_a_refused_token_says_so_in_www_authenticate(
    settings: Settings, verifier: TokenVerifier
) -> None:
    with pytest.raises(InvalidToken) as refused:
        verifier.verify(mint_token(settings, ttl_seconds=-5), "access")
    assert refused.value.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
