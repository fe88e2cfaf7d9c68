"""Module transports: in-process calls when the callee is mounted, HTTP when it is not.

Both carry the same :class:`~streamstack.kernel.operation.Operation` values, encode the
same msgspec structs and surface the callee's errors as the same :class:`AppError`, so
one contract test suite runs against both. Both call
:meth:`OperationRegistry.authorize` first, which authenticates the caller as the
operation's ``access`` demands before the request is decoded or the handler runs.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import msgspec
from litestar import Request, Response, post
from litestar.handlers import HTTPRouteHandler

from streamstack.kernel.authentication import Authenticator, admit
from streamstack.kernel.errors import (
    AppError,
    BadRequest,
    ErrorBody,
    ServiceUnavailable,
    Unauthorized,
)
from streamstack.kernel.guards import OPEN_TO_GUESTS, bearer_token
from streamstack.kernel.http import request_id
from streamstack.kernel.occasional import OccasionalWarning
from streamstack.kernel.operation import (
    CallContext,
    Handler,
    Operation,
    Req,
    Resp,
    Transport,
)
from streamstack.settings import PREFIX, Settings, SettingsError

SECRET_HEADER = "X-StreamStack-Service-Secret"
#: The setting holding the service secret, named where a secret is refused.
SECRET_SETTING = f"{PREFIX}INTERNAL_SECRET"
#: The code of the 401 refusing a missing or wrong service secret.
CREDENTIAL_REFUSED = "invalid_service_secret"
#: What a proxy in front of the callee answers, in its own words, when the callee is away.
_PROXY_OUTAGE = (502, 503, 504)
# Error headers that carry meaning for the caller's client.
_FORWARDED_HEADERS = ("Retry-After", "WWW-Authenticate")


class OperationRegistry:
    """The handlers of the operations offered by the modules mounted in this process."""

    def __init__(self, authenticator: Authenticator) -> None:
        self._authenticator = authenticator
        self._handlers: dict[tuple[str, str], tuple[Operation[Any, Any], Handler]] = {}

    def register(self, op: Operation[Any, Any], handler: Handler) -> None:
        """Offer ``op``, served by ``handler``."""
        self._handlers[(op.module, op.name)] = (op, handler)

    def handler(self, op: Operation[Any, Any]) -> Handler:
        """The handler for ``op``; KeyError if its module is not mounted."""
        return self._handlers[(op.module, op.name)][1]

    def items(self) -> list[tuple[Operation[Any, Any], Handler]]:
        """Every registered operation with its handler."""
        return list(self._handlers.values())

    async def authorize(self, op: Operation[Any, Any], context: CallContext) -> CallContext:
        """``context`` with the caller authenticated as ``op.access`` demands (401/403/503).

        A principal the kernel already authenticated in this process for the same token
        (an HTTP request calling in-process) is only checked for its role, not looked up
        again.
        """
        known = context.principal
        if known is not None and known.token == context.bearer_token:
            if op.access != "service":
                admit(known, op.access)
            return context
        principal = await self._authenticator.authorize(context.bearer_token, op.access)
        return msgspec.structs.replace(context, principal=principal)


def decode_request(op: Operation[Req, Any], body: bytes) -> Req:
    """``op``'s request from JSON, its constraints checked (400 ``validation_error``)."""
    try:
        return msgspec.json.decode(body, type=op.request)
    except msgspec.DecodeError as exc:
        raise BadRequest(str(exc), code="validation_error") from None


class InProcessTransport:
    """Calls the callee's handler directly, as its HTTP endpoint would."""

    def __init__(self, registry: OperationRegistry) -> None:
        self._registry = registry

    async def call(self, op: Operation[Req, Resp], request: Req, context: CallContext) -> Resp:
        # The same steps as over HTTP: authenticate, then request and answer cross a JSON
        # round trip against the operation's structs, so their msgspec constraints apply on
        # both transports (a struct built by hand is never checked) and handlers need not
        # check again.
        context = await self._registry.authorize(op, context)
        checked = decode_request(op, msgspec.json.encode(request))
        result = await self._registry.handler(op)(checked, context)
        return msgspec.json.decode(msgspec.json.encode(result), type=op.response)


class HttpTransport:
    """Calls the callee module's ``/internal/`` endpoint with the service secret."""

    def __init__(
        self,
        module: str,
        base_url: str,
        secret: str,
        *,
        timeout_seconds: float = 10.0,
        max_connections: int = 100,
        report_refusals: bool = True,
    ) -> None:
        self.module = module
        self._secret = secret
        self._refused = (
            OccasionalWarning("internal.secret_refused_by_callee", __name__)
            if report_refusals
            else None
        )
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout_seconds,
            limits=httpx.Limits(max_connections=max_connections),
        )

    async def call(self, op: Operation[Req, Resp], request: Req, context: CallContext) -> Resp:
        headers = {SECRET_HEADER: self._secret, "Content-Type": "application/json"}
        if context.bearer_token:
            headers["Authorization"] = f"Bearer {context.bearer_token}"
        if context.request_id:
            headers["X-Request-ID"] = context.request_id
        try:
            r = await self._client.post(
                op.path, content=msgspec.json.encode(request), headers=headers
            )
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(
                f"the {self.module} service is unreachable ({exc.__class__.__name__})",
                code="module_unavailable",
            ) from exc
        if r.is_success:
            return msgspec.json.decode(r.content, type=op.response)
        try:
            body = msgspec.json.decode(r.content, type=ErrorBody)
        except msgspec.DecodeError:
            if r.status_code in _PROXY_OUTAGE:
                # The proxy's own page (nginx's 502 while the callee is down or restarting):
                # the callee is away, as when nothing listens, not failing this request.
                raise ServiceUnavailable(
                    f"the {self.module} service is unreachable (its proxy answered "
                    f"{r.status_code})",
                    code="module_unavailable",
                ) from None
            body = ErrorBody(
                r.status_code, "upstream_error", f"{self.module} answered {r.status_code}"
            )
        if r.status_code == 401 and body.code == CREDENTIAL_REFUSED:
            detail = (
                f"the {self.module} service refuses this service's credential: "
                f"check {SECRET_SETTING} is the same on every service"
            )
            if self._refused is not None:
                self._refused.occurred(module=self.module, detail=detail)
            # Not the 401 it is to this service: passed on, a viewer's client took it for
            # "you are signed out". The server is misconfigured until the secrets agree.
            raise ServiceUnavailable(detail, code=CREDENTIAL_REFUSED)
        keep = {name: r.headers[name] for name in _FORWARDED_HEADERS if name in r.headers}
        raise AppError.from_body(body, keep)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()


class Transports:
    """The transport to each other module: in-process if mounted here, else HTTP (pooled)."""

    def __init__(self, settings: Settings, registry: OperationRegistry) -> None:
        self._settings = settings
        self._in_process = InProcessTransport(registry)
        self._http: dict[str, HttpTransport] = {}

    def to(self, module: str) -> Transport:
        """The transport to ``module``; a one-line SettingsError if it is nowhere."""
        if module in self._settings.modules:
            return self._in_process
        if module not in self._http:
            self._http[module] = http_transport(self._settings, module)
        return self._http[module]

    def closers(self) -> list[Callable[[], Awaitable[None]]]:
        """The close step of every HTTP connection pool opened."""
        return [http.close for http in self._http.values()]


def http_transport(
    settings: Settings, module: str, *, report_refusals: bool = True
) -> HttpTransport:
    """A new HTTP transport to ``module`` at its ``STREAMSTACK_<MODULE>_URL`` with this
    process's service secret; a one-line SettingsError when the URL is not set. A refused
    secret is logged as a warning unless ``report_refusals`` is off (a caller that says so
    in its own words)."""
    url = settings.module_url(module)
    if not url:
        raise SettingsError(f"{PREFIX}{module.upper()}_URL: needed because {module} is not mounted")
    return HttpTransport(
        module,
        url,
        settings.internal_secret,
        timeout_seconds=settings.internal_timeout_seconds,
        report_refusals=report_refusals,
    )


def check_credential(presented: bytes, expected: bytes) -> None:
    """Raise 401 :data:`CREDENTIAL_REFUSED` unless ``presented`` is the service secret,
    saying whether it was missing or wrong (a caller with a mistyped secret was told one
    was "required", and looked for a missing setting)."""
    if not presented:
        raise Unauthorized(
            f"service credential required ({SECRET_SETTING})", code=CREDENTIAL_REFUSED
        )
    if not expected or not hmac.compare_digest(presented, expected):
        raise Unauthorized(
            f"service credential refused: the caller's {SECRET_SETTING} is not this service's",
            code=CREDENTIAL_REFUSED,
        )


def internal_route_handlers(registry: OperationRegistry, secret: str) -> list[HTTPRouteHandler]:
    """``POST /internal/...`` endpoints serving every registered operation over HTTP.

    Each requires the shared service secret (compared in constant time); nginx never
    routes ``/internal/``, so browsers cannot reach them at all.
    """
    expected = secret.encode()
    # A wrong secret refuses every call of a service until it is mended: one warning a
    # minute names the setting (a missing one is a stray call, not a misconfigured peer).
    refused = OccasionalWarning("internal.secret_refused", __name__)

    def endpoint(op: Operation[Any, Any]) -> HTTPRouteHandler:
        async def serve(request: Request[Any, Any, Any]) -> Response[Any]:
            presented = request.headers.get(SECRET_HEADER, "").encode()
            try:
                check_credential(presented, expected)
            except Unauthorized:
                if presented:
                    refused.occurred(
                        operation=op.path,
                        detail=f"check {SECRET_SETTING} is the same on every service",
                    )
                raise
            # A principal never crosses the wire: the forwarded token is authenticated here,
            # before the body is even read.
            context = await registry.authorize(
                op, CallContext(bearer_token=bearer_token(request), request_id=request_id(request))
            )
            payload = decode_request(op, await request.body())
            result = await registry.handler(op)(payload, context)
            return Response(content=msgspec.json.encode(result), media_type="application/json")

        serve.__name__ = f"internal_{op.module}_{op.name}"
        # Open to guests: the service secret admits the call, and the operation's own access
        # checks the user it acts for.
        return post(
            op.path,
            include_in_schema=False,
            name=serve.__name__,
            status_code=200,
            opt=OPEN_TO_GUESTS,
        )(serve)

    return [endpoint(op) for op, _ in registry.items()]
