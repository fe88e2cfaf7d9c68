"""The streaming module's published language: stream-token issue."""

from __future__ import annotations

from typing import Annotated

import msgspec

from streamstack.contracts.limits import ObjectKey, SizeBytes
from streamstack.kernel.operation import CallContext, Operation, Transport

#: KV bucket of live stream tokens, owned by streaming.
STREAM_TOKENS_BUCKET = "stream-tokens"

#: Which media item a token is for: letters, digits, ``-`` and ``_`` (never the ``|`` that
#: separates a grant's stored fields); catalogue's ids are uuids.
StreamMediaId = Annotated[
    str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
]


class IssueStreamToken(msgspec.Struct, frozen=True):
    """Ask streaming for a token that grants exactly one object.

    ``s3_key`` is the object's key in the media bucket (``<uuid>.<ext>``) and
    ``size_bytes`` its size, as the catalogue recorded them.
    """

    media_id: StreamMediaId
    s3_key: ObjectKey
    size_bytes: SizeBytes


class StreamTokenGrant(msgspec.Struct, frozen=True):
    """Where to play it from and for how long."""

    stream_url: str
    expires_in: int


ISSUE_STREAM_TOKEN: Operation[IssueStreamToken, StreamTokenGrant] = Operation(
    module="streaming",
    name="issue_token",
    path="/internal/v1/stream/token",
    request=IssueStreamToken,
    response=StreamTokenGrant,
    access="user",  # the token is granted to the signed-in user the call is made for
)


class StreamingClient:
    """What other modules may ask of streaming."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def issue_token(
        self, request: IssueStreamToken, context: CallContext
    ) -> StreamTokenGrant:
        """Issue a stream token for the user whose bearer token ``context`` carries."""
        return await self._transport.call(ISSUE_STREAM_TOKEN, request, context)
