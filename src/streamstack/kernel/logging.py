"""structlog set-up and the request-id middleware (with the access line and request metrics).

Every log line written while a request is handled carries its ``request_id``; the same id
is sent back in ``X-Request-ID`` and forwarded on calls to other modules. Paths can carry
secrets (a module that puts one in its URLs declares a :class:`LogRedaction` in its
``ModuleDefinition``), so the access line logs them redacted.

The access line is the one log line written per request, so in JSON it is rendered here,
in exactly the form structlog's processor chain gives every other line (same keys, same
order, same escaping): the chain (context merge, level, time stamp, ``json.dumps``, a
locked ``print`` with two writes) cost more than the whole stream route did for a
64 KiB range (bench/observability.py).
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii
from typing import Any, Generic, NamedTuple, TextIO, TypeVar, cast

import structlog
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from streamstack.kernel.http import REQUEST_ID_SCOPE_KEY, answer_cut_request, cut_by_shutdown
from streamstack.kernel.metrics import UNMEASURED_PATHS, RequestMetrics

T = TypeVar("T")

_INBOUND_ID = re.compile(r"[A-Za-z0-9._\-]{1,128}")


class LogRedaction(NamedTuple):
    """What of a logged path to hide: ``pattern.sub(replacement, path)``."""

    pattern: re.Pattern[str]
    replacement: str


access_log = structlog.get_logger("streamstack.access")

#: What one access line says: (method, path, status, milliseconds, request id).
AccessEntry = tuple[str, str, int, float, str]

#: Writes the access lines of the requests settled together (one loop iteration's), in order.
AccessLines = Callable[[list[AccessEntry]], None]


def json_access_lines(stream: TextIO) -> AccessLines:
    """Access lines as structlog's JSON chain renders them, each batch in one ``write`` (a
    line may follow one another logger wrote after it in the same iteration; each carries
    its own time stamp)."""

    clock = UtcStamps()

    def write(entries: list[AccessEntry]) -> None:
        # The request id needs no escaping: it is a uuid or matched _INBOUND_ID.
        stream.write(
            "".join(
                [
                    f'{{"method": {encode_basestring_ascii(method)}, '
                    f'"path": {encode_basestring_ascii(path)}, "status": {status}, '
                    f'"ms": {ms!r}, "event": "request", "request_id": "{request_id}", '
                    f'"level": "info", "timestamp": "{clock.now()}"}}\n'
                    for method, path, status, ms, request_id in entries
                ]
            )
        )

    return write


class IterationBatch(Generic[T]):
    """Items handed to ``handle`` once per event-loop iteration, all together.

    Under load many requests end in the same iteration. Work done per item in the request
    path (rendering a line, a write system call) ran with cold caches, between the
    request's own steps, and cost several times what the same work costs done in a run.
    An item waits microseconds at most; outside an event loop it is handled at once.
    """

    __slots__ = ("_handle", "_pending")

    def __init__(self, handle: Callable[[list[T]], None]) -> None:
        self._handle = handle
        self._pending: list[T] = []

    def add(self, item: T) -> None:
        """Hand ``item`` to the handler before the loop's next iteration."""
        if not self._pending:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:
                self._handle([item])
                return
        self._pending.append(item)

    def flush(self) -> None:
        """Handle the pending items now."""
        items, self._pending = self._pending, []
        if items:
            self._handle(items)


class UtcStamps:
    """The time as structlog's ``TimeStamper(fmt="iso", utc=True)`` writes it
    (``2026-12-01T18:15:24.734326Z``; no fraction at a whole second, as ``isoformat``),
    formatting the date and time of day once per second."""

    __slots__ = ("_prefix", "_second")

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def now(self) -> str:
        """The current UTC time."""
        now = time.time()
        second = int(now)
        if second != self._second:
            moment = datetime.fromtimestamp(second, UTC)
            self._second, self._prefix = second, moment.strftime("%Y-%m-%dT%H:%M:%S")
        micro = int((now - second) * 1_000_000)
        return f"{self._prefix}.{micro:06d}Z" if micro else f"{self._prefix}Z"


def structlog_access_lines(entries: list[AccessEntry]) -> None:
    """Access lines through structlog (the console format of dev)."""
    # The id is given, not taken from the context: lines are written after their request.
    for method, path, status, ms, request_id in entries:
        access_log.info(
            "request", method=method, path=path, status=status, ms=ms, request_id=request_id
        )


# None when the level leaves info lines out; set by configure_logging.
_access_lines: AccessLines | None = structlog_access_lines


def configure_logging(log_format: str, level: str) -> None:
    """JSON lines in production, coloured console lines in dev."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    global _access_lines
    if numeric > logging.INFO:
        _access_lines = None
    elif log_format == "json":
        _access_lines = json_access_lines(sys.stderr)
    else:
        _access_lines = structlog_access_lines
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        # A record's exc_info (ours or uvicorn's "Exception in ASGI application") becomes
        # the traceback text in ``exception``; left as the tuple, JSON had its repr().
        structlog.processors.format_exc_info,
    ]
    structlog.configure(
        processors=[*shared, renderer],
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
    # httpx logs every request at INFO: a worker's progress reports (one every 2 s per job,
    # naming no job) would drown its own lines. alembic's lines (its plugins, each revision
    # run) would be a screenful beside the one schema.migrated line a module.
    for noisy in ("uvicorn.access", "botocore", "aiobotocore", "nats", "httpx", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    uvicorn = logging.getLogger("uvicorn.error")
    uvicorn.filters[:] = [f for f in uvicorn.filters if not isinstance(f, PlannedShutdownLine)]
    uvicorn.addFilter(PlannedShutdownLine())


class PlannedShutdownLine(logging.Filter):
    """uvicorn's "Cancel N running task(s), timeout graceful shutdown exceeded" as a warning,
    not an error: requests outliving STREAMSTACK_SHUTDOWN_TIMEOUT_SECONDS are cut by design
    (each answered 503 ``server_restarting``, logged ``request.interrupted_by_shutdown``),
    and an operator's alerting should not page at every deploy that cuts an upload. After
    it, "ASGI callable returned without completing response" (a response already begun,
    which can only be cut) is a warning too; before it, that line is a bug's, an error."""

    def __init__(self) -> None:
        super().__init__()
        self.cutting = False

    def filter(self, record: logging.LogRecord) -> bool:
        """Lower the level of the shut-down's cuts; keep every record."""
        message = str(record.msg)
        if message.startswith("Cancel %s running"):
            self.cutting = True
        elif not (self.cutting and message.startswith(_CUT_RESPONSE)):
            return True
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


#: What uvicorn logs of a request whose response was begun when the shut-down cut it.
_CUT_RESPONSE = "ASGI callable returned without completing response"


def redact(path: str, redactions: Sequence[LogRedaction]) -> str:
    """``path`` with every secret the ``redactions`` know replaced, for logs."""
    for pattern, replacement in redactions:
        path = pattern.sub(replacement, path)
    return path


class RequestIdMiddleware:
    """Pure ASGI middleware: request id in, out and in the log context; with observability
    on, one access line and the request metrics; and the answer to a request the shut-down
    cut short: all from one wrapper around the app (one wrapped ``send`` per request, on
    the path of every range response's chunks)."""

    def __init__(
        self,
        app: ASGIApp,
        redactions: Sequence[LogRedaction] = (),
        access_lines: bool = True,
        metrics: RequestMetrics | None = None,
    ) -> None:
        self.app = app
        self.redactions = tuple(redactions)
        self.access_lines = access_lines  # off (with metrics None) only to measure their cost
        self.metrics = metrics
        # What a request leaves to do when it ends (metrics, its access line) is done for
        # all requests that ended in the same loop iteration at once (IterationBatch).
        observed = access_lines or metrics is not None
        self._ended = IterationBatch(self._settle) if observed else None
        if metrics is not None and self._ended is not None:
            metrics.before_scrape = self._ended.flush  # a scrape sees every ended request

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
        # Binding replaces the id of an earlier request run in the same context; nothing
        # else is bound per request, so the context needs no clearing first.
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

        http = cast("HTTPScope", scope)
        if self.metrics is not None:
            self.metrics.started(http)
        try:
            await self.app(scope, receive, send_with_id)
        except asyncio.CancelledError:
            if not cut_by_shutdown():
                raise
            await answer_cut_request(http, send_with_id, request_id, started=status != 0)
        finally:
            if self._ended is not None:
                self._ended.add((http, status, time.perf_counter() - started, request_id))

    def _settle(self, ended: list[tuple[HTTPScope, int, float, str]]) -> None:
        """Count and log the requests that ended in one loop iteration (their access lines
        in one write, after every one of them is counted)."""
        metrics = self.metrics
        write = _access_lines if self.access_lines else None
        entries: list[AccessEntry] = []
        for http, status, seconds, request_id in ended:
            if metrics is not None:
                metrics.finished(http, status, seconds)
            if write is not None and (path := http["path"]) not in UNMEASURED_PATHS:
                path = redact(path, self.redactions)
                entries.append((http["method"], path, status, round(seconds * 1000, 2), request_id))
        if not entries or write is None:
            return
        # Standard error may be gone (a broken pipe, a closed stream): then these lines are
        # lost, but no scrape that settles them (before_scrape) may fail for it. Not
        # contextlib.suppress: that is a context manager per settling, a try costs nothing.
        try:  # noqa: SIM105
            write(entries)
        except (OSError, ValueError):
            pass
