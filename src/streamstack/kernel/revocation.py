"""The list of revoked token ids, kept in a key-value bucket until the tokens expire.

The token issuer writes it (sign-out, sign-out everywhere, role change, refresh-token
reuse); the kernel's :class:`~streamstack.kernel.authentication.Authenticator` reads it
for every authenticated request and operation.
"""

from __future__ import annotations

from streamstack.kernel.errors import AppError, ServiceUnavailable
from streamstack.kernel.jwt import InvalidToken
from streamstack.kernel.kv import InvalidKey, KeyValueStore, check_key
from streamstack.settings import LONGEST_ACCESS_TOKEN_SECONDS

#: KV bucket whose keys are revoked token ids (``jti``).
REVOKED_TOKENS_BUCKET = "revoked-tokens"
#: How long a revocation is kept: as long as the longest access token the settings allow
#: (refresh tokens are checked against their session's row, not this list).
REVOCATION_TTL_SECONDS = LONGEST_ACCESS_TOKEN_SECONDS


class RevocationList:
    """Revoked ``jti`` values; a revoked token is refused wherever this is checked."""

    def __init__(self, store: KeyValueStore) -> None:
        self._store = store

    async def revoke(self, jti: str) -> None:
        """Revoke one token id (kept for the bucket's TTL, the longest token lifetime); 503
        ``kv_unavailable`` when the list cannot be written."""
        try:
            await self._store.put(jti, b"1")
        except AppError:
            raise
        except Exception as exc:  # whatever the adapter let through: a 503, never a 500
            raise _unavailable() from exc

    async def is_revoked(self, jti: str) -> bool:
        """Whether ``jti`` was revoked; 503 when the list cannot be read (fail closed)."""
        try:
            return await self._store.get(jti) is not None
        except AppError:
            raise
        except Exception as exc:  # whatever the adapter let through: never answer "not revoked"
            raise _unavailable() from exc

    async def check(self, jti: str) -> None:
        """Raise 401 ``token_revoked`` if ``jti`` was revoked (or cannot be a token id)."""
        try:
            check_key(jti)
        except InvalidKey:
            raise InvalidToken("malformed token id") from None
        if await self.is_revoked(jti):
            raise InvalidToken("token revoked", code="token_revoked")


def _unavailable() -> ServiceUnavailable:
    return ServiceUnavailable("the revocation list is unavailable", code="kv_unavailable")
