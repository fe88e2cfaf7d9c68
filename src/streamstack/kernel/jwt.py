"""Access-token verification with the public key only (every module), and dev key setup.

python-jose does the signature and claim checks; we pin RS256 before it sees the token,
refuse anything that is not a compact JWS of sane size, and never fetch a key: ``kid`` is
compared with the thumbprint of the one key we hold.

A token's claims are remembered after its first successful verification, keyed by the
exact token string (:data:`VERIFIED_TOKENS` of them): a signed token's claims cannot
change, and checking the RS256 signature again cost 0.2-0.4 ms of every authenticated
request. What can change is checked at every use all the same: expiry (and the expected
type) here, revocation by the caller (:mod:`streamstack.kernel.authentication`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk, jwt
from jose.exceptions import JOSEError

from streamstack.kernel.errors import Unauthorized
from streamstack.kernel.occasional import OccasionalWarning
from streamstack.kernel.recently_used import RecentlyUsed
from streamstack.kernel.storage.private_files import write_private
from streamstack.settings import PREFIX, Settings, SettingsError

ALGORITHM = "RS256"
PRIVATE_KEY_VARIABLE = f"{PREFIX}JWT_PRIVATE_KEY_PATH"
PUBLIC_KEY_VARIABLE = f"{PREFIX}JWT_PUBLIC_KEY_PATH"
#: Anything longer than this is not one of our tokens; refused before any parsing.
MAX_TOKEN_CHARS = 4096
TokenType = Literal["access", "refresh"]
#: Clock skew tolerated between the issuer and a verifier: a token issued further in the
#: future than this was not issued by a server with a sane clock, so it is refused.
IAT_LEEWAY_SECONDS = 60
#: How many verified tokens' claims are remembered (the least recently used go first).
VERIFIED_TOKENS = 4096


class InvalidToken(Unauthorized, code="invalid_token"):
    """The bearer token is malformed, forged, expired or revoked."""

    # RFC 6750 3.1: a client that sent a token learns that this token is the problem.
    default_headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class Claims(msgspec.Struct, frozen=True):
    """The verified claims of a StreamStack token."""

    sub: str
    jti: str
    iat: int
    exp: int
    iss: str
    aud: str
    typ: TokenType
    role: str = "viewer"
    fam: str | None = None
    name: str | None = None
    """The account's display name when the token was signed (shown with its comments)."""


def key_id(public_pem: bytes) -> str:
    """RFC 7638 thumbprint of an RSA public key, used as its ``kid``."""
    key = serialization.load_pem_public_key(public_pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the JWT public key must be an RSA key")
    numbers = key.public_numbers()
    canonical = json.dumps(
        {"e": _b64(numbers.e), "kty": "RSA", "n": _b64(numbers.n)},
        separators=(",", ":"),
        sort_keys=True,
    )
    return (
        base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    )


def public_jwk(public_pem: bytes) -> dict[str, str]:
    """The public key as a JWK with ``kid``, ``alg`` and ``use``."""
    key = serialization.load_pem_public_key(public_pem)
    assert isinstance(key, rsa.RSAPublicKey)
    numbers = key.public_numbers()
    return {
        "kty": "RSA",
        "kid": key_id(public_pem),
        "alg": ALGORITHM,
        "use": "sig",
        "n": _b64(numbers.n),
        "e": _b64(numbers.e),
    }


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class TokenVerifier:
    """Verifies StreamStack JWTs with the public key; loaded once at start."""

    def __init__(
        self,
        public_pem: bytes,
        *,
        issuer: str,
        audience: str,
        remembered: int = VERIFIED_TOKENS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.kid = key_id(public_pem)
        self._key = jwk.construct(public_pem.decode(), ALGORITHM)
        self._issuer = issuer
        self._audience = audience
        #: Claims of tokens whose signature and claims were verified, by token string.
        self._verified: RecentlyUsed[str, Claims] = RecentlyUsed(remembered)
        self._clock = clock
        self._unknown_key = OccasionalWarning("jwt.unknown_signing_key", __name__)

    @classmethod
    def from_file(cls, path: Path, *, issuer: str, audience: str) -> TokenVerifier:
        """Load the PEM public key at ``path``."""
        return cls(path.read_bytes(), issuer=issuer, audience=audience)

    @property
    def remembered_count(self) -> int:
        """How many verified tokens' claims are remembered now."""
        return len(self._verified)

    def verify(self, token: str, expected: TokenType = "access") -> Claims:
        """Return the claims of a valid token of type ``expected`` or raise InvalidToken."""
        claims = self._verified.recall(token)
        if claims is None:
            claims = self._verify_signed(token)
            self._verified.put(token, claims)
        if claims.typ != expected:
            raise InvalidToken(
                f"not an {expected} token" if expected == "access" else f"not a {expected} token"
            )
        if claims.exp <= self._clock():  # python-jose allows no leeway, but be explicit
            self._verified.pop(token, None)
            raise InvalidToken("invalid or expired token")
        return claims

    def _verify_signed(self, token: str) -> Claims:
        """The claims of ``token`` once its form, RS256 signature, issuer, audience and
        dates are checked (its type and expiry are checked again at every use)."""
        if not token or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
            raise InvalidToken("malformed token")
        try:
            header = jwt.get_unverified_header(token)
        except JOSEError:
            raise InvalidToken("malformed token") from None
        if header.get("alg") != ALGORITHM or "zip" in header or "crit" in header:
            raise InvalidToken("unsupported token algorithm")
        if (kid := header.get("kid", self.kid)) != self.kid:
            # Every signed-in call fails so while the keys differ (a half-done rotation):
            # the operator needs to hear of it, the callers are told they are signed out.
            self._unknown_key.occurred(
                token_key=str(kid)[:64],
                this_key=self.kid,
                detail="tokens are signed with a key this service does not know: check "
                "STREAMSTACK_JWT_PUBLIC_KEY_PATH is the public half of "
                "STREAMSTACK_JWT_PRIVATE_KEY_PATH, the key that signs them",
            )
            raise InvalidToken("unknown signing key")
        try:
            raw: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={
                    "require_exp": True,
                    "require_iat": True,
                    "require_aud": True,
                    "require_iss": True,
                    "require_sub": True,
                    "require_jti": True,
                    "verify_at_hash": False,
                },
            )
            claims = msgspec.convert(raw, Claims)
        except (JOSEError, msgspec.ValidationError):
            raise InvalidToken("invalid or expired token") from None
        if claims.iat > self._clock() + IAT_LEEWAY_SECONDS:  # python-jose does not look at iat
            raise InvalidToken("token issued in the future")
        return claims


def ensure_dev_keys(settings: Settings) -> None:
    """In dev mode, make the data directory's key pair on its first start. A key path set
    but missing, or one half of a pair alone, is refused in one line: a new pair written
    there would sign everyone out and leave the other half of the old pair unmatched."""
    if settings.environment != "dev":
        return
    halves = (
        (PRIVATE_KEY_VARIABLE, settings.jwt_private_key_path, settings.private_key_path),
        (PUBLIC_KEY_VARIABLE, settings.jwt_public_key_path, settings.public_key_path),
    )
    for variable, configured, _ in halves:
        if configured is not None and not configured.exists():
            raise SettingsError(f"{variable}: {configured}: no such file")
    there = [path for _, _, path in halves if path.exists()]
    if len(there) == 1:
        missing = next(path for _, _, path in halves if not path.exists())
        raise SettingsError(
            f"{key_settings(settings)}: {missing}: no such file, but the other half of its "
            f"pair {there[0]} is there: {mend_key_pair(settings)}"
        )
    ensure_dev_keypair(settings.private_key_path, settings.public_key_path)


def key_settings(settings: Settings) -> str:
    """The settings that chose the key pair's paths, for an error: the key variables set,
    else the data directory (whose ``jwt/`` holds the pair when they are not)."""
    configured = [
        variable
        for variable, path in (
            (PRIVATE_KEY_VARIABLE, settings.jwt_private_key_path),
            (PUBLIC_KEY_VARIABLE, settings.jwt_public_key_path),
        )
        if path is not None
    ]
    return " and ".join(configured) or f"{PREFIX}DATA_DIR"


def mend_key_pair(settings: Settings) -> str:
    """What to do about key files that are not one pair."""
    if settings.environment == "dev":
        return (
            "restore the matching key from the backup, or remove both files to make a new "
            "pair (which signs everyone out)"
        )
    return "restore the matching key from the backup, or set both to the halves of one pair"


def ensure_dev_keypair(private_path: Path, public_path: Path) -> None:
    """Generate an RSA-2048 key pair (private file 0600) when neither file is there; never
    over one half of a pair (:func:`ensure_dev_keys` refuses that case)."""
    if private_path.exists() or public_path.exists():
        return
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    write_private(  # 0600 from its first byte (folder 0700): never readable by others
        private_path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    public_path.parent.mkdir(parents=True, exist_ok=True)
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
