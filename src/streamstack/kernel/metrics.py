"""Prometheus metrics: HTTP requests by route and status, and the platform's own numbers.

``GET /metrics`` of every process is litestar's Prometheus plugin
(:mod:`litestar.plugins.prometheus`, on ``prometheus_client``): :func:`prometheus_config`
gives its middleware (requests, errors and in-progress requests by method, route
template and status; latency histograms) and :class:`MetricsController` serves the
registry. Routes are labelled by their template (``/api/v1/stream/{token}``), never
by the path, so a stream token never becomes a label value.

The domain metrics below are module-level ``prometheus_client`` objects behind a small
typed API that the modules call; a process exports the ones its modules record.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Literal

import structlog
from litestar import Request
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from prometheus_client import Counter, Gauge, Histogram

log = structlog.get_logger(__name__)

#: Prefix of the HTTP metrics: ``streamstack_requests_total``,
#: ``streamstack_request_duration_seconds``, ``streamstack_requests_in_progress``,
#: ``streamstack_requests_error_total``.
HTTP_PREFIX = "streamstack"
METRICS_PATH = "/metrics"
#: Paths left out of the request metrics: the scrape itself and the liveness probe.
UNMEASURED_PATHS = (METRICS_PATH, "/health")
#: Request latency buckets, seconds: from a KV lookup to a slow upload's probe.
LATENCY_BUCKETS: list[str | float] = [
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    300.0,
]
#: How long a scrape waits for a tracked gauge's reader before keeping its last value.
GAUGE_READ_TIMEOUT_SECONDS = 2.0

_MIB = 1024 * 1024

IngestStep = Literal["store", "probe", "thumbnail", "register"]
INGEST_STEPS: tuple[IngestStep, ...] = ("store", "probe", "thumbnail", "register")

STREAMED_BYTES = Counter(
    "streamstack_streamed_bytes",
    "Media bytes the streaming service sent to players (proxy delivery).",
)
ACTIVE_STREAMS = Gauge(
    "streamstack_active_streams",
    "Media responses being sent right now.",
)
STREAM_TOKENS_ISSUED = Counter(
    "streamstack_stream_tokens_issued",
    "Stream tokens issued.",
)
UPLOAD_SIZE = Histogram(
    "streamstack_upload_size_bytes",
    "Size of each stored upload, in bytes.",
    buckets=[s * _MIB for s in (1, 10, 50, 100, 250, 500, 1024, 2048, 5120, 10240)],
)
INGEST_STEP_DURATION = Histogram(
    "streamstack_ingest_step_duration_seconds",
    "Duration of each step of ingesting an upload, by step.",
    ["step"],
    buckets=[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0],
)
OUTBOX_BACKLOG = Gauge(
    "streamstack_outbox_backlog",
    "Catalogue events committed but not yet published to the bus (read at scrape time).",
)

# Async readers of gauges that need I/O (a database count), run by each scrape.
_tracked: dict[str, tuple[Gauge, Callable[[], Awaitable[int]]]] = {}


# --- the API the modules call -----------------------------------------------------------


async def counted_stream(chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    """Yield ``chunks`` unchanged, adding each one's length to the streamed-bytes counter.

    It does not close ``chunks``: whoever opened the read still closes it.
    """
    async for chunk in chunks:
        STREAMED_BYTES.inc(len(chunk))
        yield chunk


@contextlib.contextmanager
def active_stream() -> Iterator[None]:
    """Count a media response as active for the duration of the block."""
    ACTIVE_STREAMS.inc()
    try:
        yield
    finally:
        ACTIVE_STREAMS.dec()


def count_stream_token_issued() -> None:
    """One stream token was issued."""
    STREAM_TOKENS_ISSUED.inc()


def observe_upload_size(size_bytes: int) -> None:
    """An upload of ``size_bytes`` bytes was stored."""
    UPLOAD_SIZE.observe(size_bytes)


@contextlib.contextmanager
def time_ingest_step(step: IngestStep) -> Iterator[None]:
    """Time the block as one ``step`` of ingest (recorded whether it succeeds or fails)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        INGEST_STEP_DURATION.labels(step=step).observe(time.perf_counter() - started)


def track_outbox_backlog(read: Callable[[], Awaitable[int]]) -> None:
    """Set the outbox backlog gauge from ``read()`` at every scrape of ``/metrics``.

    ``read`` runs in the app's event loop (so it may use the app's database), with a
    timeout; if it fails the gauge keeps its last value. A later call replaces it.
    """
    _tracked["outbox_backlog"] = (OUTBOX_BACKLOG, read)


# --- wiring (app factory) -----------------------------------------------------------------


async def refresh_tracked_gauges(_: Request[Any, Any, Any] | None = None) -> None:
    """Run every tracked gauge's reader (before each scrape)."""
    for name, (gauge, read) in list(_tracked.items()):
        try:
            async with asyncio.timeout(GAUGE_READ_TIMEOUT_SECONDS):
                value = await read()
        except Exception as exc:  # a failing reader must not fail the scrape
            log.warning("metrics.gauge_unavailable", gauge=name, error=exc.__class__.__name__)
            continue
        gauge.set(value)


def prometheus_config(app_name: str) -> PrometheusConfig:
    """The request-metrics middleware's configuration for a process named ``app_name``."""
    return PrometheusConfig(
        app_name=app_name,
        prefix=HTTP_PREFIX,
        group_path=True,
        buckets=LATENCY_BUCKETS,
        exclude=[f"^{path}$" for path in UNMEASURED_PATHS],
    )


class MetricsController(PrometheusController):
    """``GET /metrics``: the process's registry in the Prometheus text format."""

    path = METRICS_PATH
    include_in_schema = False
    before_request = staticmethod(refresh_tracked_gauges)
