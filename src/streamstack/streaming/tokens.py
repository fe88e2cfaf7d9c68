"""Stream tokens: random bearer strings in the ``stream-tokens`` KV bucket, one per grant.

A token's value is ``media_id|user_id|timestamp|s3_key|size_bytes``; the bucket's TTL (one
hour by default) is the token's lifetime. Tokens are created, never updated, so nothing can
extend a token's life past the TTL it was born with.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import time

import msgspec
import structlog

from streamstack.contracts.streaming import IssueStreamToken, StreamTokenGrant
from streamstack.kernel import metrics
from streamstack.kernel.errors import BadRequest, NotFound
from streamstack.kernel.jwt import InvalidToken
from streamstack.kernel.kv import KeyExists, KeyValueStore
from streamstack.kernel.operation import CallContext
from streamstack.kernel.storage import InvalidObjectKey, check_object_key

log = structlog.get_logger(__name__)

#: Public prefix of the URLs tokens are played from.
STREAM_PATH = "/api/v1/stream"
#: Random bytes per token: 256 bits, well past the 128 the design asks for.
TOKEN_BYTES = 32
#: What a token looks like on the way in; anything else is unknown without a KV lookup.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_\-]{22,128}")
_SEPARATOR = "|"
_MEDIA_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}")


class StreamTokenNotFound(NotFound):
    """The token is unknown, expired or malformed."""

    code = "stream_token_not_found"


class InvalidStreamRequest(BadRequest):
    """The token-issue request names something streaming will not grant."""

    code = "invalid_stream_request"


@dataclasses.dataclass(frozen=True, slots=True)
class StreamGrant:
    """What a live token grants: one object of the media bucket, to one user."""

    media_id: str
    user_id: str
    issued_at: int
    s3_key: str
    size_bytes: int

    def encode(self) -> bytes:
        """The KV value: ``media_id|user_id|timestamp|s3_key|size_bytes``."""
        fields = (self.media_id, self.user_id, self.issued_at, self.s3_key, self.size_bytes)
        return _SEPARATOR.join(str(field) for field in fields).encode()

    @classmethod
    def decode(cls, raw: bytes) -> StreamGrant | None:
        """Parse a KV value; None if it is not one this module wrote."""
        try:
            media_id, user_id, issued_at, s3_key, size = raw.decode().split(_SEPARATOR)
            grant = cls(media_id, user_id, int(issued_at), check_object_key(s3_key), int(size))
        except (UnicodeDecodeError, ValueError, InvalidObjectKey):
            return None
        return grant if grant.size_bytes >= 0 else None


def _validated(request: IssueStreamToken) -> IssueStreamToken:
    """``request`` checked against the contract's constraints and the key rules."""
    try:
        # Structs built in-process skip the msgspec.Meta constraints; a round trip applies them.
        checked = msgspec.convert(msgspec.to_builtins(request), IssueStreamToken)
    except msgspec.ValidationError as exc:
        raise InvalidStreamRequest(str(exc)) from None
    if not _MEDIA_ID.fullmatch(checked.media_id):
        raise InvalidStreamRequest("media_id must be 1-64 letters, digits, '-' or '_'")
    try:
        check_object_key(checked.s3_key)
    except InvalidObjectKey as exc:
        raise InvalidStreamRequest(exc.detail) from None
    return checked


class StreamTokens:
    """Issues tokens for verified users and resolves them on each stream request."""

    def __init__(self, store: KeyValueStore) -> None:
        self._store = store

    async def issue(self, request: IssueStreamToken, context: CallContext) -> StreamTokenGrant:
        """Grant the caller's user the object ``request`` names, for the bucket's TTL.

        The kernel has authenticated the user's access token (signature and revocation
        list) before this runs (``ISSUE_STREAM_TOKEN.access == "user"``).
        """
        caller = context.caller
        if _SEPARATOR in caller.user_id:
            raise InvalidToken("malformed subject")
        request = _validated(request)
        grant = StreamGrant(
            media_id=request.media_id,
            user_id=caller.user_id,
            issued_at=int(time.time()),
            s3_key=request.s3_key,
            size_bytes=request.size_bytes,
        )
        token = await self._create(grant)
        metrics.count_stream_token_issued()
        log.info("stream_token.issued", media_id=grant.media_id, user_id=grant.user_id)
        return StreamTokenGrant(
            stream_url=f"{STREAM_PATH}/{token}", expires_in=self._store.ttl_seconds
        )

    async def _create(self, grant: StreamGrant) -> str:
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

    async def resolve(self, token: str) -> StreamGrant:
        """The grant behind ``token``, or :class:`StreamTokenNotFound`."""
        if not TOKEN_SHAPE.fullmatch(token):
            raise StreamTokenNotFound("unknown or expired stream token")
        raw = await self._store.get(token)
        grant = StreamGrant.decode(raw) if raw is not None else None
        if grant is None:
            if raw is not None:
                log.warning("stream_token.unreadable")
            raise StreamTokenNotFound("unknown or expired stream token")
        return grant
