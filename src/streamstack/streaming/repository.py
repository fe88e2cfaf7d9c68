"""Streaming's store: stream tokens in the ``stream-tokens`` KV bucket, one per grant.

The bucket's TTL (one hour by default) is a token's lifetime. Tokens are created, never
updated, so nothing can extend a token's life past the TTL it was born with.
"""

from __future__ import annotations

import secrets

import structlog

from streamstack.kernel.kv import KeyExists, KeyValueStore
from streamstack.streaming.models import StreamGrant

log = structlog.get_logger(__name__)

#: Random bytes per token: 256 bits, well past the 128 the design asks for.
TOKEN_BYTES = 32


class StreamTokenStore:
    """Live tokens and what each grants."""

    def __init__(self, store: KeyValueStore) -> None:
        self._store = store

    @property
    def ttl_seconds(self) -> int:
        """How long a token lives."""
        return self._store.ttl_seconds

    async def create(self, grant: StreamGrant) -> str:
        """Store ``grant`` under a new random token; the token."""
        # A collision of 256-bit random strings will not happen; if the store says one
        # did, draw again rather than overwrite somebody's token.
        for _ in range(3):
            token = secrets.token_urlsafe(TOKEN_BYTES)
            try:
                await self._store.create(token, grant.encode())
            except KeyExists:
                continue
            return token
        raise KeyExists("could not draw an unused stream token")

    async def find(self, token: str) -> StreamGrant | None:
        """The grant stored under ``token``, or None (unknown, expired or unreadable)."""
        raw = await self._store.get(token)
        if raw is None:
            return None
        grant = StreamGrant.decode(raw)
        if grant is None:
            log.warning("stream_token.unreadable")
        return grant
