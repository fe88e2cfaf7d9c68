"""Catalogue's Prometheus metrics: the outbox backlog and the items whose transcoding
failed, read from the database at each scrape.

Registered in the process's default registry when the module is imported, so the kernel's
``GET /metrics`` exports them from every process that mounts catalogue; ``module.py``
hands each its reader (``kernel.metrics.track_gauge``).
"""

from __future__ import annotations

from prometheus_client import Gauge

OUTBOX_BACKLOG = Gauge(
    "streamstack_outbox_backlog",
    "Catalogue events committed but not yet published to the bus (read at scrape time).",
)

FAILED_ITEMS = Gauge(
    "streamstack_catalogue_failed_items",
    "Items whose transcoding failed, waiting for an admin to transcode them again or delete"
    " them (read at scrape time).",
)
