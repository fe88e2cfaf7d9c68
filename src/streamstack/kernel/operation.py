"""The shape of a call from one module to another, with no I/O and no framework.

A callee module publishes :class:`Operation` values in ``streamstack.contracts``; the
caller invokes them through a :class:`Transport`, in-process or over HTTP, without
knowing which.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Protocol, TypeVar

import msgspec

Req = TypeVar("Req", bound=msgspec.Struct)
Resp = TypeVar("Resp", bound=msgspec.Struct)


class CallContext(msgspec.Struct, frozen=True):
    """Who a cross-module call is made for: the user's bearer token, and the request id."""

    bearer_token: str | None = None
    request_id: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Operation(Generic[Req, Resp]):
    """One call a module offers to other modules."""

    module: str
    name: str
    path: str
    request: type[Req]
    response: type[Resp]


Handler = Callable[[Any, CallContext], Awaitable[Any]]


class Transport(Protocol):
    """Carries operation calls to a callee module."""

    async def call(self, op: Operation[Req, Resp], request: Req, context: CallContext) -> Resp:
        """Invoke ``op`` and return its response, or raise the callee's AppError."""
        ...
