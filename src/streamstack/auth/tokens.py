"""Signing access and refresh tokens: the only place the private key is used."""

from __future__ import annotations

import dataclasses
import time
import uuid
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk, jwt

from streamstack.kernel.jwt import ALGORITHM, TokenType, key_id
from streamstack.settings import Settings, SettingsError


@dataclasses.dataclass(frozen=True, slots=True)
class SignedToken:
    """A compact JWT and the claims that matter to its issuer."""

    token: str
    jti: str
    expires_at: int


class TokenIssuer:
    """Signs StreamStack JWTs with RS256; ``kid`` is the public key's thumbprint."""

    def __init__(self, private_pem: bytes, settings: Settings) -> None:
        private_key = serialization.load_pem_private_key(private_pem, password=None)
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise ValueError("the JWT private key must be an RSA key")
        self.public_pem = private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = key_id(self.public_pem)
        # Built once from the loaded key: python-jose would otherwise parse (and validate,
        # which takes a while) the PEM on every signature.
        self._key = jwk.construct(private_key, ALGORITHM)
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._ttl: dict[TokenType, int] = {
            "access": settings.access_token_ttl_seconds,
            "refresh": settings.refresh_token_ttl_seconds,
        }

    @classmethod
    def from_settings(cls, settings: Settings, expected_kid: str | None) -> TokenIssuer:
        """Load ``settings.private_key_path``; it must pair with the verifiers' public key."""
        path: Path = settings.private_key_path
        try:
            issuer = cls(path.read_bytes(), settings)
        except (OSError, ValueError, TypeError) as exc:
            raise SettingsError(
                f"STREAMSTACK_JWT_PRIVATE_KEY_PATH: cannot load {path} ({exc})"
            ) from None
        if expected_kid is not None and issuer.kid != expected_kid:
            raise SettingsError(
                f"STREAMSTACK_JWT_PRIVATE_KEY_PATH: {path} does not match the public key "
                f"{settings.public_key_path}"
            )
        return issuer

    def ttl(self, typ: TokenType) -> int:
        """Lifetime in seconds of tokens of type ``typ``."""
        return self._ttl[typ]

    def sign(self, typ: TokenType, *, user_id: str, role: str, family: str) -> SignedToken:
        """A new token of type ``typ`` for ``user_id`` in the session ``family``."""
        now = int(time.time())
        jti = uuid.uuid4().hex
        expires_at = now + self._ttl[typ]
        claims: dict[str, Any] = {
            "sub": user_id,
            "role": role,
            "jti": jti,
            "iat": now,
            "exp": expires_at,
            "iss": self._issuer,
            "aud": self._audience,
            "typ": typ,
            "fam": family,
        }
        token = jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self.kid})
        return SignedToken(str(token), jti, expires_at)
