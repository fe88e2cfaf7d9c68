"""Streaming's side of its published contract: the ``ISSUE_STREAM_TOKEN`` operation.

The handler is reached in-process, or over HTTP at ``/internal/v1/stream/token``. Either
way the kernel has authenticated the user the call is made for (the operation's
``access="user"``: a valid, unrevoked access token) and the transport has decoded the
request against the contract's limits before it runs.
"""

from __future__ import annotations

from streamstack.contracts.streaming import IssueStreamToken, StreamTokenGrant
from streamstack.kernel.operation import CallContext, Handler
from streamstack.streaming.service import StreamTokens


def issue_token_handler(tokens: StreamTokens) -> Handler:
    """The handler granting the calling user the object the request names."""

    async def issue_token(request: IssueStreamToken, context: CallContext) -> StreamTokenGrant:
        return await tokens.issue(request, context.caller)

    return issue_token
