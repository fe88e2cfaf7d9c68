"""Catalogue's Prometheus metrics: the outbox backlog and the items whose transcoding
failed, read from the database at each scrape.

Exported by the kernel's ``GET /metrics`` once ``module.py`` hands each its reader
(``kernel.metrics.track_gauge``): from every process that mounts catalogue, and no other.
"""

from __future__ import annotations

from streamstack.kernel.metrics import scraped_gauge

OUTBOX_BACKLOG = scraped_gauge(
    "streamstack_outbox_backlog",
    "Catalogue events committed but not yet published to the bus (read at scrape time).",
)

FAILED_ITEMS = scraped_gauge(
    "streamstack_catalogue_failed_items",
    "Items whose transcoding failed, waiting for an admin to transcode them again or delete"
    " them (read at scrape time).",
)
