"""Who is calling an HTTP route: role guards and DI providers over the one authenticator.

``requires_user`` / ``requires_admin`` (guards), ``members_only`` (the app's guard on a
members-only server) and ``provide_principal`` / ``optional_principal`` (providers) all go
through
:class:`~streamstack.kernel.authentication.Authenticator`, which the app factory keeps in
``app.state.authenticator``: signature, claims and the revocation list, once per request.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from streamstack.kernel.authentication import Access, Authenticator, Principal, admit
from streamstack.kernel.errors import Unauthorized
from streamstack.kernel.http import request_id
from streamstack.kernel.operation import CallContext

__all__ = [
    "OPEN_TO_GUESTS",
    "Principal",
    "SignInRequired",
    "authenticate",
    "bearer_token",
    "members_only",
    "optional_principal",
    "provide_call_context",
    "provide_principal",
    "requires_admin",
    "requires_user",
]

_SCOPE_KEY = "streamstack.principal"
#: A route's (or a controller's, a router's) ``opt`` that leaves it open to signed-out
#: callers on a members-only server: sign-in, registration, share links, probes.
OPEN_TO_GUESTS: dict[str, bool] = {"open_to_guests": True}


class SignInRequired(Unauthorized, code="sign_in_required"):
    """A signed-out caller on a members-only server (``STREAMSTACK_GUEST_ACCESS=none``)."""

    def __init__(self) -> None:
        super().__init__("This is a members-only server: sign in to see its videos.")


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if any."""
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The verified, unrevoked caller (once per request), or 401 / 503."""
    cached = connection.scope.get(_SCOPE_KEY)
    if isinstance(cached, Principal):
        return cached
    authenticator: Authenticator = connection.app.state.authenticator
    principal = await authenticator.authenticate(bearer_token(connection))
    connection.scope[_SCOPE_KEY] = principal  # type: ignore[literal-required]
    return principal


async def _require(connection: ASGIConnection[Any, Any, Any, Any], access: Access) -> None:
    admit(await authenticate(connection), access)


async def requires_user(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard: any signed-in user."""
    await _require(connection, "user")


async def requires_admin(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard: admins only (401 without a valid token, 403 for other roles)."""
    await _require(connection, "admin")


async def members_only(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """The app's guard on a members-only server: a route not marked :data:`OPEN_TO_GUESTS`
    answers a caller without a bearer token 401 ``sign_in_required`` before anything is
    read (the same answer for every id, so none is told to exist), and checks a token sent
    (a route that ignores it must not serve a forged one)."""
    if handler.opt.get("open_to_guests"):
        return
    if bearer_token(connection) is None:
        raise SignInRequired
    await authenticate(connection)


async def provide_principal(request: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """DI provider for the verified caller (401 without a valid token)."""
    return await authenticate(request)


async def optional_principal(request: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """The caller if signed in (None without a bearer token, 401 for a bad one): the DI
    provider for optional sign-in, also called directly by handlers that avoid DI."""
    if bearer_token(request) is None:
        return None
    return await authenticate(request)


async def provide_call_context(request: ASGIConnection[Any, Any, Any, Any]) -> CallContext:
    """DI provider: the identity and request id to forward to another module.

    The caller already authenticated for this request (by a guard or provider) travels
    along, so an in-process operation does not look the token up a second time.
    """
    principal = request.scope.get(_SCOPE_KEY)
    return CallContext(
        bearer_token=bearer_token(request),
        request_id=request_id(request),
        principal=principal if isinstance(principal, Principal) else None,
    )
