"""structlog set-up and the request-id middleware.

Every log line written while a request is handled carries its ``request_id``; the same id
is sent back in ``X-Request-ID`` and forwarded on calls to other modules. Paths can carry
secrets (a module that puts one in its URLs declares a :class:`LogRedaction` in its
``ModuleDefinition``), so the access line logs them redacted.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple

import structlog
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from streamstack.kernel.http import REQUEST_ID_SCOPE_KEY

_INBOUND_ID = re.compile(r"[A-Za-z0-9._\-]{1,128}")


class LogRedaction(NamedTuple):
    """What of a logged path to hide: ``pattern.sub(replacement, path)``."""

    pattern: re.Pattern[str]
    replacement: str


access_log = structlog.get_logger("streamstack.access")


def configure_logging(log_format: str, level: str) -> None:
    """JSON lines in production, coloured console lines in dev."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    # Route stdlib logging (uvicorn, sqlalchemy, alembic) through the same renderer.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for noisy in ("uvicorn.access", "botocore", "aiobotocore", "nats"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def redact(path: str, redactions: Sequence[LogRedaction]) -> str:
    """``path`` with every secret the ``redactions`` know replaced, for logs."""
    for pattern, replacement in redactions:
        path = pattern.sub(replacement, path)
    return path


class RequestIdMiddleware:
    """Pure ASGI middleware: request id in, out, in the log context; one access line."""

    def __init__(
        self, app: ASGIApp, redactions: Sequence[LogRedaction] = (), access_lines: bool = True
    ) -> None:
        self.app = app
        self.redactions = tuple(redactions)
        self.access_lines = access_lines  # off only to measure their cost (bench)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # type: ignore[comparison-overlap]
            await self.app(scope, receive, send)
            return
        inbound = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                inbound = value.decode("latin-1")
                break
        request_id = inbound if _INBOUND_ID.fullmatch(inbound) else uuid.uuid4().hex
        scope[REQUEST_ID_SCOPE_KEY] = request_id  # type: ignore[literal-required]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 0
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.access_lines and scope["path"] not in ("/health", "/metrics"):
                access_log.info(
                    "request",
                    method=scope.get("method", ""),
                    path=redact(scope["path"], self.redactions),
                    status=status,
                    ms=round((time.perf_counter() - started) * 1000, 2),
                )
