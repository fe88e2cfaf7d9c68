"""Who is calling: bearer-token authentication, role guards and their DI providers."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from streamstack.kernel.errors import Forbidden, Unauthorized
from streamstack.kernel.jwt import TokenVerifier
from streamstack.kernel.operation import CallContext

_SCOPE_KEY = "streamstack.principal"


class Principal(msgspec.Struct, frozen=True):
    """The verified caller of a request."""

    user_id: str
    role: str
    jti: str
    token: str
    expires_at: int

    @property
    def is_admin(self) -> bool:
        """Whether the caller has the admin role."""
        return self.role == "admin"


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if any."""
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """Verify the bearer token (once per request) or raise 401."""
    cached = connection.scope.get(_SCOPE_KEY)
    if isinstance(cached, Principal):
        return cached
    token = bearer_token(connection)
    if token is None:
        raise Unauthorized("a bearer token is required")
    verifier: TokenVerifier = connection.app.state.verifier
    claims = verifier.verify(token, "access")
    principal = Principal(claims.sub, claims.role, claims.jti, token, claims.exp)
    connection.scope[_SCOPE_KEY] = principal  # type: ignore[literal-required]
    return principal


def requires_user(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: any signed-in user."""
    authenticate(connection)


def requires_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: admins only (401 without a token, 403 for other roles)."""
    if not authenticate(connection).is_admin:
        raise Forbidden("admin role required")


async def provide_principal(request: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """DI provider for the verified caller."""
    return authenticate(request)


async def provide_call_context(request: ASGIConnection[Any, Any, Any, Any]) -> CallContext:
    """DI provider: the identity and request id to forward to another module."""
    request_id = request.scope.get("streamstack.request_id")
    return CallContext(
        bearer_token=bearer_token(request),
        request_id=request_id if isinstance(request_id, str) else None,
    )
