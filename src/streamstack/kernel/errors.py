"""Domain errors that carry their HTTP meaning, and the one JSON error shape.

Every 4xx/5xx StreamStack answers has the body
``{"status": int, "code": str, "detail": str, "request_id": str | None}``, and ``facts``
(named values) for an error that carries some. The same shape crosses the HTTP module
transport, so an error raised by a module in another process arrives as the same
:class:`AppError`, with its facts.
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
    #: What the error is about, for a program (:meth:`AppError.facts`); left out when none.
    facts: dict[str, str | int] | msgspec.UnsetType = msgspec.UNSET


class AppError(Exception):
    """An error with an HTTP status, a stable machine code and a human message.

    A subclass names its status and code in its bases:
    ``class ObjectNotFound(NotFound, code="object_not_found")``.
    """

    status: int = 500
    code: str = "internal_error"
    default_headers: Mapping[str, str] = {}

    def __init_subclass__(cls, *, status: int | None = None, code: str | None = None) -> None:
        super().__init_subclass__()
        if status is not None:
            cls.status = status
        if code is not None:
            cls.code = code
        rebuilt_from_facts = "from_facts" in cls.__dict__
        if rebuilt_from_facts and _REBUILT_BY_CODE.setdefault(cls.code, cls) is not cls:
            raise TypeError(f"two errors rebuilt from facts share the code {cls.code!r}")

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

    def facts(self) -> dict[str, str | int]:
        """Named values a program needs of this error (the key an object store refused …),
        which cross module transports in the body; none here. A subclass with some also
        defines :meth:`from_facts`."""
        return {}

    @classmethod
    def from_facts(cls, facts: Mapping[str, str | int]) -> AppError | None:
        """This class's error again from :meth:`facts` received over HTTP, or None when
        they do not make one. A subclass defining it is rebuilt by its code, once the module
        defining it is imported."""
        return None

    def body(self, request_id: str | None = None) -> ErrorBody:
        """The JSON body for this error."""
        facts = self.facts() or msgspec.UNSET
        return ErrorBody(self.status, self.code, self.detail, request_id, facts)

    @classmethod
    def from_body(cls, body: ErrorBody, headers: Mapping[str, str] | None = None) -> AppError:
        """Rebuild the most specific error class for a body received over HTTP: the class
        of its code when that class rebuilds itself from the body's facts, else the class
        of its status."""
        rebuilt = _rebuilt_from_facts(body)
        if rebuilt is not None:
            rebuilt.headers.update(headers or {})
            return rebuilt
        kind = _BY_STATUS.get(body.status, AppError)
        return kind(body.detail, code=body.code, status=body.status, headers=headers)


#: The error classes that rebuild themselves from their facts, by code (see
#: :meth:`AppError.from_facts`).
_REBUILT_BY_CODE: dict[str, type[AppError]] = {}


def _rebuilt_from_facts(body: ErrorBody) -> AppError | None:
    """The error of ``body``'s code rebuilt from its facts, if its class does that and
    they make one of the same status."""
    kind = _REBUILT_BY_CODE.get(body.code)
    if kind is None or isinstance(body.facts, msgspec.UnsetType):
        return None
    rebuilt = kind.from_facts(body.facts)
    return rebuilt if rebuilt is not None and rebuilt.status == body.status else None


class BadRequest(AppError, status=400, code="bad_request"):
    """The request cannot be used as sent: a malformed parameter, header or body."""


class Unauthorized(AppError, status=401, code="unauthorized"):
    """No valid credentials came with the request; a bearer token may fix that."""

    default_headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(AppError, status=403, code="forbidden"):
    """The caller is known but may not do this."""


class NotFound(AppError, status=404, code="not_found"):
    """Nothing is there, or nothing the caller may know of."""


class Conflict(AppError, status=409, code="conflict"):
    """The request contradicts the current state (a taken name, a moved offset)."""


class PreconditionFailed(AppError, status=412, code="precondition_failed"):
    """A condition the client set (``If-Match``, a protocol version) does not hold."""


class PayloadTooLarge(AppError, status=413, code="payload_too_large"):
    """The body is larger than this route takes."""


class UnsupportedMediaType(AppError, status=415, code="unsupported_media_type"):
    """The body is of a type this route does not read."""


class RangeNotSatisfiable(AppError, status=416, code="range_not_satisfiable"):
    """The ``Range`` asked for lies outside the file."""


class Unprocessable(AppError, status=422, code="unprocessable"):
    """The body was read but its content cannot be used (a file that is no video)."""


class TooManyRequests(AppError, status=429, code="too_many_requests"):
    """Throttled; ``Retry-After`` says when to come back."""

    #: The ``detail`` a spend from an empty :class:`~streamstack.kernel.budgets.Budgets`
    #: answers; each budgeted error says what was done too quickly.
    budget_detail = "too many requests; try again shortly"


class BadGateway(AppError, status=502, code="bad_gateway"):
    """A backend answered with an error this service cannot map."""


class ServiceUnavailable(AppError, status=503, code="service_unavailable"):
    """A backend this request needs is down; the client may retry after a while."""

    default_headers = {"Retry-After": "5"}


class GatewayTimeout(AppError, status=504, code="gateway_timeout"):
    """A backend did not answer in time."""


#: The class of each status above, to rebuild an error received over HTTP (only the classes
#: defined here exist when this runs, so a module's own errors never stand in for a status).
_BY_STATUS: dict[int, type[AppError]] = {kind.status: kind for kind in AppError.__subclasses__()}
