"""Prometheus metrics: HTTP requests by route and status, and the platform's own numbers.

``GET /metrics`` of every process serves the default registry (:class:`MetricsController`,
litestar's Prometheus controller). The HTTP metrics (requests, errors and in-progress
requests by method, route template and status; latency histograms) carry the names and
labels of litestar's Prometheus plugin, but are kept by :class:`RequestMetrics`, which the
request-id middleware (:mod:`streamstack.kernel.logging`) feeds once per request: the
plugin's route-level middleware (a ``Request`` object, four ``labels()`` look-ups and a
second exception layer on every route) was a fifth of the stream route's CPU for 64 KiB
ranges (bench/observability.py). Routes are labelled by their template
(``/api/v1/stream/{token}``), never by the path, so a stream token never becomes a label
value.

Each module defines its own domain metrics (``<module>/metrics.py``) in the default
registry; those read at scrape time (:func:`scraped_gauge`) only where the module is
mounted and tracks them.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import math
import time
import weakref
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import structlog
from litestar import Request
from litestar.plugins.prometheus import PrometheusController
from litestar.types import HTTPScope
from prometheus_client import REGISTRY, Gauge
from prometheus_client import metrics as prometheus_metrics
from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

from streamstack.kernel.guards import OPEN_TO_GUESTS

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
#: The labels of every HTTP metric, in litestar's Prometheus plugin's order.
HTTP_LABELS = ("method", "path", "status_code", "app_name")
REQUESTS_IN_PROGRESS = Gauge(
    f"{HTTP_PREFIX}_requests_in_progress",
    "Total requests currently in progress",
    HTTP_LABELS,
    multiprocess_mode="livesum",
)
#: How long a scrape waits for a tracked gauge's reader before keeping its last value.
GAUGE_READ_TIMEOUT_SECONDS = 2.0

# Async readers of gauges that need I/O (a database count), run by each scrape.
_tracked: dict[Gauge, Callable[[], Awaitable[float]]] = {}


# --- the mechanism the modules use ------------------------------------------------------


def scraped_gauge(name: str, documentation: str, labelnames: Sequence[str] = ()) -> Gauge:
    """A module's gauge read at scrape time, exported only by a process that tracks it
    (:func:`track_gauge`, :func:`export_gauge`): every process imports every module's
    definition, and a gauge of a module it does not mount read 0 on its ``/metrics``
    (an average or per-instance chart of uploads mixed ingest's count with the other
    services' zeros)."""
    return Gauge(name, documentation, labelnames, registry=None)


# The gauges this process exports (registered in the default registry once).
_exported: set[Gauge] = set()


def export_gauge(gauge: Gauge) -> None:
    """Export ``gauge`` (a :func:`scraped_gauge`, or its labelled family) from now on."""
    if gauge in _exported:
        return
    _exported.add(gauge)
    with contextlib.suppress(ValueError):  # a gauge made in the default registry is in it
        REGISTRY.register(gauge)


def track_gauge(
    gauge: Gauge, read: Callable[[], Awaitable[float]], family: Gauge | None = None
) -> None:
    """Set ``gauge`` from ``read()`` at every scrape of ``/metrics``, and export it (or
    ``family``, the gauge of which it is one labelled child).

    For a module's gauge whose value needs I/O. ``read`` runs in the app's event loop
    (so it may use the app's database), with a timeout; if it fails the gauge keeps its
    last value. A later call for the same gauge replaces the reader.
    """
    export_gauge(gauge if family is None else family)
    _tracked[gauge] = read


def untrack_gauge(gauge: Gauge) -> None:
    """Stop reading ``gauge`` at scrapes (it keeps its last value)."""
    _tracked.pop(gauge, None)


# --- HTTP request metrics ----------------------------------------------------------------


class _Series:
    """The count, sum and histogram buckets of one (method, route template, status, app).

    Plain numbers, added to by the event loop's thread only and exported at each scrape
    by :class:`_RequestCollector`: a prometheus_client child takes a lock per counter and
    per bucket, and the three of them cost more than the whole access line.
    """

    __slots__ = ("buckets", "count", "created", "seconds")

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.buckets = [0] * len(_BOUNDS)
        self.created = time.time()


_BOUNDS = [float(bound) for bound in LATENCY_BUCKETS] + [math.inf]
_BOUND_LABELS: list[str] = [floatToGoString(bound) for bound in _BOUNDS]  # type: ignore[no-untyped-call]
_series: dict[tuple[str, str, int, str], _Series] = {}


class _RequestCollector(Collector):
    """Exports :data:`_series` as litestar's Prometheus plugin named and labelled them:
    ``streamstack_requests_total``, ``streamstack_requests_error_total`` (5xx) and the
    ``streamstack_request_duration_seconds`` histogram, each with ``_created``."""

    def describe(self) -> list[Metric]:
        return list(self._families())

    def collect(self) -> list[Metric]:
        requests, errors, duration = self._families()
        created = getattr(prometheus_metrics, "_use_created", True)
        for (method, template, status, app), series in list(_series.items()):
            labels = [method, template, str(status), app]
            when = series.created if created else None
            requests.add_metric(labels, series.count, created=when)
            if status >= 500:
                errors.add_metric(labels, series.count, created=when)
            cumulative = list(itertools.accumulate(series.buckets))
            buckets = list(zip(_BOUND_LABELS, cumulative, strict=True))
            duration.add_metric(labels, buckets, series.seconds)
            if when is not None:
                named = dict(zip(HTTP_LABELS, labels, strict=True))
                duration.samples.append(Sample(f"{duration.name}_created", named, when))
        return [requests, errors, duration]

    @staticmethod
    def _families() -> tuple[CounterMetricFamily, CounterMetricFamily, HistogramMetricFamily]:
        return (
            CounterMetricFamily(f"{HTTP_PREFIX}_requests", "Total requests", labels=HTTP_LABELS),
            CounterMetricFamily(
                f"{HTTP_PREFIX}_requests_error", "Total errors in requests", labels=HTTP_LABELS
            ),
            HistogramMetricFamily(
                f"{HTTP_PREFIX}_request_duration_seconds",
                "Request duration, in seconds",
                labels=HTTP_LABELS,
            ),
        )


REGISTRY.register(_RequestCollector())


class RequestMetrics:
    """The HTTP request metrics of one app (``app_name``: its modules, ``auth+streaming``).

    :meth:`started` and :meth:`finished` bracket every HTTP request. Only routed requests
    are counted (an unknown path or method has no route template), and never the scrape
    itself or the liveness probe. The in-progress gauge is not moved per request: the
    requests in flight are kept here and counted by route template at each scrape
    (:func:`refresh_tracked_gauges`), where the template, learnt only once the router has
    run, is known for all of them.
    """

    def __init__(self, app_name: str) -> None:
        self.app_name = app_name
        self._in_flight: dict[int, HTTPScope] = {}
        self._progress: dict[tuple[str, str], Any] = {}
        #: Run first at every scrape: hands over requests that ended but are not counted
        #: yet (the middleware counts them once per loop iteration).
        self.before_scrape: Callable[[], None] = lambda: None
        _request_metrics.add(self)

    def started(self, scope: HTTPScope) -> None:
        """A request has arrived (before routing)."""
        self._in_flight[id(scope)] = scope

    def finished(self, scope: HTTPScope, status: int, seconds: float) -> None:
        """The request of ``scope`` ended with ``status`` after ``seconds``."""
        del self._in_flight[id(scope)]
        template = scope.get("path_template")
        if template is None or template in UNMEASURED_PATHS:
            return
        # A response that never started is counted as litestar's plugin counted it: 200.
        key = (scope["method"], template, status or 200, self.app_name)
        series = _series.get(key)
        if series is None:
            series = _series[key] = _Series()
            self._progress_of(key[0], template)  # the route's gauge reads 0 from now on
        series.count += 1
        series.seconds += seconds
        series.buckets[bisect.bisect_left(_BOUNDS, seconds)] += 1

    def _progress_of(self, method: str, template: str) -> Any:
        child = self._progress.get((method, template))
        if child is None:
            # As the plugin labelled it: the status of a request in progress is "200".
            child = REQUESTS_IN_PROGRESS.labels(method, template, 200, self.app_name)
            self._progress[(method, template)] = child
        return child

    def refresh_in_progress(self) -> None:
        """Set the in-progress gauge of every route this app has served (at a scrape)."""
        self.before_scrape()
        counts: Tally[tuple[str, str]] = Tally(
            (str(scope["method"]), template)
            for scope in list(self._in_flight.values())
            if (template := scope.get("path_template")) and template not in UNMEASURED_PATHS
        )
        for route in counts.keys() - self._progress.keys():
            self._progress_of(*route)
        for route, child in self._progress.items():
            child.set(counts.get(route, 0))


# Every app's request metrics in this process (tests build many apps; the registry is one).
_request_metrics: weakref.WeakSet[RequestMetrics] = weakref.WeakSet()


# --- wiring (app factory) -----------------------------------------------------------------


async def refresh_tracked_gauges(_: Request[Any, Any, Any] | None = None) -> None:
    """Count the requests in progress and run every tracked gauge's reader (each scrape)."""
    for metrics in list(_request_metrics):
        metrics.refresh_in_progress()
    for gauge, read in list(_tracked.items()):
        try:
            async with asyncio.timeout(GAUGE_READ_TIMEOUT_SECONDS):
                value = await read()
        except Exception as exc:  # a failing reader must not fail the scrape
            name = next(iter(gauge.describe())).name
            log.warning("metrics.gauge_unavailable", gauge=name, error=exc.__class__.__name__)
            continue
        gauge.set(value)


class MetricsController(PrometheusController):
    """``GET /metrics``: the process's registry in the Prometheus text format."""

    path = METRICS_PATH
    include_in_schema = False
    opt = OPEN_TO_GUESTS  # scraped by Prometheus; nginx never exposes it
    before_request = staticmethod(refresh_tracked_gauges)
