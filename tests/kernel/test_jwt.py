"""Access-token verification in the kernel: claims the verifier refuses by itself."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import structlog

from streamstack.kernel.jwt import (
    IAT_LEEWAY_SECONDS,
    InvalidToken,
    TokenVerifier,
    ensure_dev_keypair,
)
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


def test_a_token_of_another_key_is_refused_with_one_warning_a_minute_naming_the_setting(
    settings: Settings, tmp_path: Path
) -> None:
    # A service given another public key (a half-done rotation) signed everyone "out" while
    # its log had only info access lines.
    other = tmp_path / "other"
    ensure_dev_keypair(other / "private.pem", other / "public.pem")
    verifier = TokenVerifier.from_file(
        other / "public.pem", issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )
    with structlog.testing.capture_logs() as logs:
        for _ in range(3):
            with pytest.raises(InvalidToken, match="unknown signing key"):
                verifier.verify(mint_token(settings, user_id=str(uuid.uuid4())), "access")
    (warning,) = logs
    assert (warning["event"], warning["log_level"]) == ("jwt.unknown_signing_key", "warning")
    assert warning["this_key"] == verifier.kid != warning["token_key"]
    assert "STREAMSTACK_JWT_PUBLIC_KEY_PATH" in warning["detail"]
