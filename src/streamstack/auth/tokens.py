"""Signing access and refresh tokens (the only place the private key is used), and
sealing the pair a refresh token was exchanged for, for the rotation grace window."""

from __future__ import annotations

import functools
import hashlib
import os
import time
import uuid
from pathlib import Path
from typing import Any

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from jose import jwk, jwt

from streamstack.kernel.jwt import ALGORITHM, TokenType, key_id, key_settings, mend_key_pair
from streamstack.settings import Settings, SettingsError


class SignedToken(msgspec.Struct, frozen=True):
    """A compact JWT and the claims that matter to its issuer."""

    token: str
    jti: str
    expires_at: int


class IssuedTokens(msgspec.Struct, frozen=True):
    """An access token and the refresh token of the same session."""

    access: SignedToken
    refresh: SignedToken
    #: Lifetime of the access token in seconds.
    expires_in: int
    #: The role both were issued for.
    role: str


_SEAL_CONTEXT = b"streamstack refresh-rotation grace\x00"


def _seal_key(previous_refresh_token: str) -> bytes:
    # Derived from the token that was exchanged: a copy of the database alone opens nothing,
    # and whoever can present that token may get its successor anyway (within the window).
    return hashlib.sha256(_SEAL_CONTEXT + previous_refresh_token.encode()).digest()


def seal_successor(previous_refresh_token: str, issued: IssuedTokens) -> bytes:
    """The pair ``previous_refresh_token`` was exchanged for, encrypted under a key from it."""
    nonce = os.urandom(12)
    plain = msgspec.msgpack.encode(issued)
    return nonce + AESGCM(_seal_key(previous_refresh_token)).encrypt(nonce, plain, None)


def open_successor(previous_refresh_token: str, sealed: bytes) -> IssuedTokens | None:
    """The pair sealed by :func:`seal_successor`, or None if it cannot be opened."""
    try:
        plain = AESGCM(_seal_key(previous_refresh_token)).decrypt(sealed[:12], sealed[12:], None)
        return msgspec.msgpack.decode(plain, type=IssuedTokens)
    except (InvalidTag, ValueError, msgspec.DecodeError):
        return None


@functools.lru_cache(maxsize=4)
def _private_key(private_pem: bytes) -> rsa.RSAPrivateKey:
    """The RSA key of ``private_pem``, loaded once a process: loading validates the key,
    0.03 to 0.05 s of CPU at every app built (a test builds one or more each)."""
    private_key = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ValueError("the JWT private key must be an RSA key")
    return private_key


class TokenIssuer:
    """Signs StreamStack JWTs with RS256; ``kid`` is the public key's thumbprint."""

    def __init__(self, private_pem: bytes, settings: Settings) -> None:
        private_key = _private_key(private_pem)
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
                f"{key_settings(settings)}: {path} does not match the public key "
                f"{settings.public_key_path}: {mend_key_pair(settings)}"
            )
        return issuer

    def ttl(self, typ: TokenType) -> int:
        """Lifetime in seconds of tokens of type ``typ``."""
        return self._ttl[typ]

    def sign(
        self, typ: TokenType, *, user_id: str, role: str, family: str, name: str | None = None
    ) -> SignedToken:
        """A new token of type ``typ`` for ``user_id`` in the session ``family``, carrying
        the account's display ``name`` when it has one (the claim is absent otherwise)."""
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
        if name is not None:
            claims["name"] = name
        token = jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self.kid})
        return SignedToken(str(token), jti, expires_at)
