"""Prometheus metrics: HTTP requests by route and status, and the platform's own numbers.

``GET /metrics`` of every process is litestar's Prometheus plugin
(:mod:`litestar.plugins.prometheus`, on ``prometheus_client``): :func:`prometheus_config`
gives its middleware (requests, errors and in-progress requests by method, route
template and status; latency histograms) and :class:`MetricsController` serves the
registry. Routes are labelled by their template (``/api/v1/stream/{token}``), never
by the path, so a stream token never becomes a label value.

Each module defines its own domain metrics (``<module>/metrics.py``) in the default
registry; a process exports the ones its mounted modules import.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from litestar import Request
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from prometheus_client import Gauge

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

# Async readers of gauges that need I/O (a database count), run by each scrape.
_tracked: dict[Gauge, Callable[[], Awaitable[float]]] = {}


# --- the mechanism the modules use ------------------------------------------------------


def track_gauge(gauge: Gauge, read: Callable[[], Awaitable[float]]) -> None:
    """Set ``gauge`` from ``read()`` at every scrape of ``/metrics``.

    For a module's gauge whose value needs I/O. ``read`` runs in the app's event loop
    (so it may use the app's database), with a timeout; if it fails the gauge keeps its
    last value. A later call for the same gauge replaces the reader.
    """
    _tracked[gauge] = read


def untrack_gauge(gauge: Gauge) -> None:
    """Stop reading ``gauge`` at scrapes (it keeps its last value)."""
    _tracked.pop(gauge, None)


# --- wiring (app factory) -----------------------------------------------------------------


async def refresh_tracked_gauges(_: Request[Any, Any, Any] | None = None) -> None:
    """Run every tracked gauge's reader (before each scrape)."""
    for gauge, read in list(_tracked.items()):
        try:
            async with asyncio.timeout(GAUGE_READ_TIMEOUT_SECONDS):
                value = await read()
        except Exception as exc:  # a failing reader must not fail the scrape
            name = next(iter(gauge.describe())).name
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
