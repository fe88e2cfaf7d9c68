"""The HTTP edge every process shares: the one error shape and the request id.

Every 4xx/5xx answer, whoever raised it (our :class:`AppError`, Litestar's own
validation, routing and size errors, or a bug), is the JSON body
``{status, code, detail, request_id}``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, cast

import msgspec
import structlog
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import (
    ExceptionHandlersMap,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Scope,
    Send,
)

from streamstack.kernel.errors import AppError, ErrorBody, ServiceUnavailable
from streamstack.kernel.patterns import in_words

log = structlog.get_logger(__name__)

#: Where :class:`~streamstack.kernel.logging.RequestIdMiddleware` keeps the request's id.
REQUEST_ID_SCOPE_KEY = "streamstack.request_id"

_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def http_date(moment: datetime) -> str:
    """An RFC 9110 IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``), whole seconds."""
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The caller's address as the server took it (the proxy's report, behind one): what
    per-client throttles and budgets are keyed by."""
    address = connection.client.host if connection.client else ""
    return address or "unknown"


def request_id(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The id of the request being served (set by the request-id middleware)."""
    value = connection.scope.get(REQUEST_ID_SCOPE_KEY)
    return value if isinstance(value, str) else None


def error_response(
    connection: ASGIConnection[Any, Any, Any, Any],
    body: ErrorBody,
    headers: Mapping[str, str] | None = None,
) -> Response[Any]:
    """``body`` as the JSON error answer, with the request's id filled in."""
    return Response(
        content=msgspec.json.encode(
            msgspec.structs.replace(body, request_id=request_id(connection))
        ),
        status_code=body.status,
        media_type="application/json",
        headers=dict(headers or {}),
    )


def app_error_response(request: Request[Any, Any, Any], exc: AppError) -> Response[Any]:
    """Our own errors, in the one JSON shape."""
    return error_response(request, exc.body(), exc.headers)


def http_error_response(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Litestar's errors (validation, 404, 405, 413 …) in the same shape."""
    status = exc.status_code
    if isinstance(exc, ValidationException):
        return error_response(request, ErrorBody(400, "validation_error", _validation_detail(exc)))
    code = _CODES.get(status, "http_error" if status < 500 else "internal_error")
    detail = exc.detail if status < 500 else "internal server error"
    return error_response(request, ErrorBody(status, code, str(detail)), exc.headers or {})


def _validation_detail(exc: ValidationException) -> str:
    extra = exc.extra
    if isinstance(extra, Sequence) and extra and isinstance(extra[0], Mapping):
        first = extra[0]
        where = first.get("key") or first.get("source") or ""
        message = in_words(str(first.get("message", exc.detail)))
        return f"{message} ({where})" if where else message
    return in_words(str(exc.detail))


def unexpected_error_response(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A bug: log it with the request id, answer 500 without details."""
    log.exception("unhandled_error", path=request.url.path, error=exc.__class__.__name__)
    return error_response(request, ErrorBody(500, "internal_error", "internal server error"))


def recursion_error_response(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    """Input nested deeper than the decoder goes (``[[[[…]]]]``) is the client's error.

    msgspec refuses such input with a RecursionError "... while deserializing"; any other
    RecursionError is a bug of ours and stays a 500.
    """
    if "deserializ" not in str(exc):
        return unexpected_error_response(request, exc)
    detail = "the request body is nested too deeply"
    return error_response(request, ErrorBody(400, "validation_error", detail))


#: The app's exception handlers: every error leaves in the one shape.
EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    AppError: app_error_response,
    HTTPException: http_error_response,
    RecursionError: recursion_error_response,
    Exception: unexpected_error_response,
}


def link_origin(public_url: str, request_base: str) -> str:
    """The origin of the addresses a page or a feed writes for others to follow:
    ``STREAMSTACK_PUBLIC_URL``, else the address the request came to."""
    return (public_url or request_base).rstrip("/")


class ServerRestarting(ServiceUnavailable, code="server_restarting"):
    """A request still running when the server's shut-down grace ran out."""


#: The answer to a request a shut-down cut short; an upload resumes from the bytes kept.
SERVER_RESTARTING = ServerRestarting(
    "the server is restarting; try again in a moment (an upload carries on from where it stopped)"
)

#: How long the answer to a cut request may take to leave: the process is exiting.
_CUT_ANSWER_SECONDS = 2.0


def cut_by_shutdown() -> bool:
    """Whether the CancelledError being handled is the shut-down cutting this request short
    (the shut-down grace, STREAMSTACK_SHUTDOWN_TIMEOUT_SECONDS, ran out): nothing but
    uvicorn's shut-down cancels a request's own task. If so, the cancellation is served
    here (the request ends answered) and the request is logged as a warning, where it
    reached the log as an error-level "Exception in ASGI application"."""
    this = asyncio.current_task()
    if this is None or not this.cancelling():
        return False
    this.uncancel()
    return True


async def answer_cut_request(scope: Scope, send: Send, request_id: str, *, started: bool) -> None:
    """Log the request the shut-down cut and, its response not ``started``, answer it 503
    ``server_restarting`` with ``Retry-After`` (a cut upload keeps the bytes it stored and
    its client resumes), where the client got a bare ``500 Internal Server Error``."""
    log.warning(
        "request.interrupted_by_shutdown",
        method=cast("HTTPScope", scope)["method"],
        answered=not started,
    )
    if not started:
        await _answer_cut(send, request_id)


async def _answer_cut(send: Send, request_id: str) -> None:
    """Send ``SERVER_RESTARTING`` (the connection then closes), unless the connection is
    gone or the process's end cancels the sending too."""
    body = msgspec.json.encode(SERVER_RESTARTING.body(request_id))
    headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
    headers.append((b"content-length", str(len(body)).encode()))
    headers += [(k.lower().encode(), v.encode()) for k, v in SERVER_RESTARTING.headers.items()]
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": SERVER_RESTARTING.status,
        "headers": headers,
    }
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    try:
        async with asyncio.timeout(_CUT_ANSWER_SECONDS):
            await send(start)
            await send(end)
    except (asyncio.CancelledError, TimeoutError, OSError):
        pass
