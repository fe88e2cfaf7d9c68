"""Streaming's side of its published contract: the ``ISSUE_STREAM_TOKEN`` and
``ISSUE_SHARED_STREAM_TOKEN`` operations.

The handlers are reached in-process, or over HTTP under ``/internal/v1/stream/``. Either
way the kernel has admitted the caller (``ISSUE_STREAM_TOKEN``: the user the call is made
for, ``access="user"``, a valid, unrevoked access token; ``ISSUE_SHARED_STREAM_TOKEN``:
``access="service"``, the catalogue, which checked the share link) and the transport has
decoded the request against the contract's limits before it runs.
"""

from __future__ import annotations

from typing import Any

from streamstack.contracts.streaming import (
    ISSUE_SHARED_STREAM_TOKEN,
    ISSUE_STREAM_TOKEN,
    IssueSharedStreamToken,
    IssueStreamToken,
    StreamTokenGrant,
)
from streamstack.kernel.operation import CallContext, Handler, Operation
from streamstack.streaming.service import StreamTokens


def issue_token_handler(tokens: StreamTokens) -> Handler:
    """The handler granting the calling user the object the request names."""

    async def issue_token(request: IssueStreamToken, context: CallContext) -> StreamTokenGrant:
        return await tokens.issue(request, context.caller)

    return issue_token


def issue_shared_token_handler(tokens: StreamTokens) -> Handler:
    """The handler granting a share link's holder the item the catalogue names."""

    async def issue_shared_token(
        request: IssueSharedStreamToken, _: CallContext
    ) -> StreamTokenGrant:
        return await tokens.issue_shared(request)

    return issue_shared_token


def operation_handlers(tokens: StreamTokens) -> dict[Operation[Any, Any], Handler]:
    """Each operation of streaming's contract, handled by ``tokens``."""
    return {
        ISSUE_STREAM_TOKEN: issue_token_handler(tokens),
        ISSUE_SHARED_STREAM_TOKEN: issue_shared_token_handler(tokens),
    }
