"""Catalogue's Prometheus metrics: the outbox backlog and the items whose transcoding
failed, read from the database at each scrape.

Registered in the process's default registry when the module is imported, so the kernel's
``GET /metrics`` exports them from every process that mounts catalogue.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from prometheus_client import Gauge

from streamstack.kernel.metrics import track_gauge

OUTBOX_BACKLOG = Gauge(
    "streamstack_outbox_backlog",
    "Catalogue events committed but not yet published to the bus (read at scrape time).",
)


def track_outbox_backlog(read: Callable[[], Awaitable[int]]) -> None:
    """Set the outbox backlog gauge from ``read()`` at every scrape of ``/metrics``."""
    track_gauge(OUTBOX_BACKLOG, read)


FAILED_ITEMS = Gauge(
    "streamstack_catalogue_failed_items",
    "Items whose transcoding failed, waiting for an admin to transcode them again or delete"
    " them (read at scrape time).",
)


def track_failed_items(read: Callable[[], Awaitable[int]]) -> None:
    """Set the failed-items gauge from ``read()`` at every scrape of ``/metrics``."""
    track_gauge(FAILED_ITEMS, read)
