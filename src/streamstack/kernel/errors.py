"""Domain errors that carry their HTTP meaning, and the one JSON error shape.

Every 4xx/5xx StreamStack answers has the body
``{"status": int, "code": str, "detail": str, "request_id": str | None}``.
The same shape crosses the HTTP module transport, so an error raised by a module in
another process arrives as the same :class:`AppError`.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec


class ErrorBody(msgspec.Struct, frozen=True):
    """The JSON error shape used by every error response."""

    status: int
    code: str
    detail: str
    request_id: str | None = None


class AppError(Exception):
    """An error with an HTTP status, a stable machine code and a human message."""

    status: int = 500
    code: str = "internal_error"
    default_headers: Mapping[str, str] = {}

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.headers: dict[str, str] = {**self.default_headers, **(headers or {})}

    def body(self, request_id: str | None = None) -> ErrorBody:
        """The JSON body for this error."""
        return ErrorBody(self.status, self.code, self.detail, request_id)

    @classmethod
    def from_body(cls, body: ErrorBody, headers: Mapping[str, str] | None = None) -> AppError:
        """Rebuild the most specific error class for a body received over HTTP."""
        kind = _BY_STATUS.get(body.status, AppError)
        return kind(body.detail, code=body.code, status=body.status, headers=headers)


class BadRequest(AppError):
    status, code = 400, "bad_request"


class Unauthorized(AppError):
    status, code = 401, "unauthorized"
    default_headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(AppError):
    status, code = 403, "forbidden"


class NotFound(AppError):
    status, code = 404, "not_found"


class Conflict(AppError):
    status, code = 409, "conflict"


class PreconditionFailed(AppError):
    status, code = 412, "precondition_failed"


class PayloadTooLarge(AppError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(AppError):
    status, code = 415, "unsupported_media_type"


class RangeNotSatisfiable(AppError):
    status, code = 416, "range_not_satisfiable"


class Unprocessable(AppError):
    status, code = 422, "unprocessable"


class TooManyRequests(AppError):
    status, code = 429, "too_many_requests"


class BadGateway(AppError):
    status, code = 502, "bad_gateway"


class ServiceUnavailable(AppError):
    """A backend this request needs is down; the client may retry after a while."""

    status, code = 503, "service_unavailable"
    default_headers = {"Retry-After": "5"}


class GatewayTimeout(AppError):
    status, code = 504, "gateway_timeout"


_BY_STATUS: dict[int, type[AppError]] = {
    kind.status: kind
    for kind in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        PreconditionFailed,
        PayloadTooLarge,
        UnsupportedMediaType,
        RangeNotSatisfiable,
        Unprocessable,
        TooManyRequests,
        BadGateway,
        ServiceUnavailable,
        GatewayTimeout,
    )
}
