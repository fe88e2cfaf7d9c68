"""Forged, confused and malformed access tokens: the table every verifier test refuses.

Shared by the kernel's verifier tests (``tests/kernel/test_jwt_forgeries.py``) and the API-level
check in ``tests/auth/test_token_verification.py``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time
import uuid
import zlib
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from jose import jwt

from streamstack.kernel.jwt import key_id
from streamstack.settings import Settings
from support.apps import mint_token, token_claims


def b64(data: bytes) -> str:
    """Unpadded base64url, as in a JWT."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: Any) -> str:
    """A compact JSON value as one JWT segment."""
    return b64(json.dumps(value, separators=(",", ":")).encode())


def good_claims(keys: Settings, **changes: Any) -> dict[str, Any]:
    """Claims of a valid admin access token; ``None`` in ``changes`` drops a claim."""
    defaults: dict[str, Any] = {"role": "admin", "ttl_seconds": 600, "fam": str(uuid.uuid4())}
    return token_claims(keys, **{**defaults, **changes})


def private_key(keys: Settings) -> rsa.RSAPrivateKey:
    """Our own signing key."""
    key = serialization.load_pem_private_key(keys.private_key_path.read_bytes(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def signed_by_hand(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
    """A JWS built without a library, so any header/algorithm can be forged."""
    signing_input = f"{b64json(header)}.{b64json(claims)}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


def hs256(secret: bytes) -> Any:
    """An HMAC-SHA256 signer with ``secret``."""
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
