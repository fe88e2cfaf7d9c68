"""The shape of a call from one module to another, with no I/O and no framework.

A callee module publishes :class:`Operation` values in ``streamstack.contracts``; the
caller invokes them through a :class:`Transport`, in-process or over HTTP, without
knowing which. Each operation declares who may call it (:data:`Access`); the kernel
authenticates the caller before the handler runs and hands the handler the
:class:`Principal` in its :class:`CallContext`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Protocol, TypeVar

import msgspec

from streamstack.kernel.authentication import Access, Principal
from streamstack.kernel.errors import Unauthorized

Req = TypeVar("Req", bound=msgspec.Struct)
Resp = TypeVar("Resp", bound=msgspec.Struct)


class CallContext(msgspec.Struct, frozen=True):
    """Who a cross-module call is made for: the user's bearer token, and the request id.

    ``principal`` is filled by the kernel: by the HTTP provider for a request it already
    authenticated, and by the operation registry before a handler runs. It never crosses
    the HTTP transport (the callee authenticates the forwarded token itself).
    """

    bearer_token: str | None = None
    request_id: str | None = None
    principal: Principal | None = None

    @property
    def caller(self) -> Principal:
        """The authenticated user the call is made for (401 if there is none)."""
        if self.principal is None:
            raise Unauthorized("a bearer token is required")
        return self.principal


@dataclasses.dataclass(frozen=True, slots=True)
class Operation(Generic[Req, Resp]):
    """One call a module offers to other modules, and who may make it."""

    module: str
    name: str
    path: str
    request: type[Req]
    response: type[Resp]
    access: Access


Handler = Callable[[Any, CallContext], Awaitable[Any]]


class Transport(Protocol):
    """Carries operation calls to a callee module."""

    async def call(self, op: Operation[Req, Resp], request: Req, context: CallContext) -> Resp:
        """Invoke ``op`` and return its response, or raise the callee's AppError."""
        ...
