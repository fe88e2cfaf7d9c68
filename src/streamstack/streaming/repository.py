"""Streaming's store: stream tokens in the ``stream-tokens`` KV bucket, one per grant, the
recent take-downs in ``stream-takedowns`` and the hidden items in ``stream-hidden``.

The bucket's TTL (one hour by default) is a token's lifetime. Tokens are created, never
updated, so nothing can extend a token's life past the TTL it was born with.
"""

from __future__ import annotations

import secrets
import time
from typing import Any, Generic, TypeVar

import msgspec
import structlog

from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.kv import KeyExists, KeyValueStore
from streamstack.streaming.models import Seen, StreamGrant

log = structlog.get_logger(__name__)

State = TypeVar("State")

#: Random bytes per token: 256 bits, well past the 128 the design asks for.
TOKEN_BYTES = 32
#: How long a process reuses a grant it read from KV instead of asking again (each range
#: of a playing video would cost a KV round trip otherwise). Safe: a token is never
#: updated, a cached grant never outlives its token's TTL, and take-downs are checked on
#: every request after the lookup (``Takedowns.blocks``), so caching delays nothing that
#: revokes a token. Unknown tokens are not cached.
GRANT_CACHE_SECONDS = 2.0
#: Grants kept at most (a few hundred bytes each).
GRANT_CACHE_SIZE = 10_000


class StreamTokenStore:
    """Live tokens and what each grants."""

    def __init__(self, store: KeyValueStore, clock: Clock = utcnow) -> None:
        self._store = store
        self._clock = clock  # the one the grants' ``issued_at`` was read from
        #: token -> (monotonic time the entry ends, grant)
        self._recent: dict[str, tuple[float, StreamGrant]] = {}

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
        now = time.monotonic()
        recent = self._recent.get(token)
        if recent is not None and recent[0] > now:
            return recent[1]
        raw = await self._store.get(token)
        if raw is None:
            return None
        grant = StreamGrant.decode(raw)
        if grant is None:
            log.warning("stream_token.unreadable")
            return None
        lifetime_left = grant.issued_at + self.ttl_seconds - self._clock().timestamp()
        if len(self._recent) >= GRANT_CACHE_SIZE:
            self._recent.pop(next(iter(self._recent)))  # the oldest
        self._recent[token] = (now + min(GRANT_CACHE_SECONDS, lifetime_left), grant)
        return grant


#: KV bucket of recent take-downs, owned by streaming (one key: the whole set).
TAKEDOWNS_BUCKET = "stream-takedowns"
TAKEDOWNS_KEY = "withdrawn"
#: KV bucket of the items viewers may not see, owned by streaming (16 keys, see below).
#: Its TTL only bounds how long a record nobody rewrites is kept: a year.
HIDDEN_ITEMS_BUCKET = "stream-hidden"
HIDDEN_ITEMS_TTL_SECONDS = 365 * 24 * 3600
#: The hidden items are saved in one value per first character of an id (uuids: 16), so a
#: change rewrites a sixteenth of the set, and no value nears NATS's 1 MiB message limit
#: (about 15,000 items of some 70 bytes) before some 240,000 hidden items.
HIDDEN_ITEMS_SHARDS = "0123456789abcdef"


class SavedState(Generic[State]):
    """What an event follower knows, kept as one JSON value under one KV key, so a
    restarted process knows it even where the event bus cannot replay (the one-process
    dev mode). Read at start-up, written when it changes: never per request."""

    def __init__(self, store: KeyValueStore, key: str, shape: Any) -> None:
        self._store = store
        self._key = key
        self._shape = shape  # the msgspec type of the value, e.g. dict[str, float]

    async def load(self) -> State | None:
        """The saved value (None when absent or unreadable)."""
        raw = await self._store.get(self._key)
        if raw is None:
            return None
        try:
            value: State = msgspec.json.decode(raw, type=self._shape)
        except msgspec.DecodeError:  # a ValidationError too
            log.warning("saved_state.unreadable", key=self._key)
            return None
        return value

    async def save(self, value: State) -> None:
        """Replace the saved value."""
        await self._store.put(self._key, msgspec.json.encode(value))


class HiddenItemsRecord:
    """The hidden items (media id -> :class:`Seen`), saved in KV in one value per first
    character of the id (``hidden-0`` … ``hidden-f``)."""

    def __init__(self, store: KeyValueStore) -> None:
        self._shards = {
            shard: SavedState[dict[str, Seen]](store, f"hidden-{shard}", dict[str, Seen])
            for shard in HIDDEN_ITEMS_SHARDS
        }

    async def load(self) -> dict[str, Seen]:
        """Every saved hidden item (an absent or unreadable value holds none)."""
        hidden: dict[str, Seen] = {}
        for shard in self._shards.values():
            hidden.update(await shard.load() or {})
        return hidden

    async def save(self, hidden: dict[str, Seen], changed: str | None = None) -> None:
        """Save ``hidden``: only the value ``changed`` (a media id) is in, or every one."""
        names = self._shards if changed is None else (_shard_of(changed),)
        for name in names:
            kept = {key: seen for key, seen in hidden.items() if _shard_of(key) == name}
            await self._shards[name].save(kept)


def _shard_of(media_id: str) -> str:
    """The value a media id is saved in (ids that are not uuids go with ``0``)."""
    first = media_id[:1].lower()
    return first if first and first in HIDDEN_ITEMS_SHARDS else HIDDEN_ITEMS_SHARDS[0]
