"""The list of revoked token ids, kept in a key-value bucket until the tokens expire."""

from __future__ import annotations

from streamstack.kernel.jwt import InvalidToken
from streamstack.kernel.kv import KeyValueStore


class RevocationList:
    """Revoked ``jti`` values; a revoked token is refused wherever this is checked."""

    def __init__(self, store: KeyValueStore) -> None:
        self._store = store

    async def revoke(self, jti: str) -> None:
        """Revoke one token id (kept for the bucket's TTL, the longest token lifetime)."""
        await self._store.put(jti, b"1")

    async def is_revoked(self, jti: str) -> bool:
        """Whether ``jti`` was revoked."""
        return await self._store.get(jti) is not None

    async def check(self, jti: str) -> None:
        """Raise 401 if ``jti`` was revoked."""
        if await self.is_revoked(jti):
            raise InvalidToken("token revoked", code="token_revoked")
