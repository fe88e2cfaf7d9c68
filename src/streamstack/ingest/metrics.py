"""Ingest's Prometheus metrics: upload sizes and outcomes, the unfinished uploads and the
bytes they hold, how long each step of ingesting takes, the transcoding jobs the job
queue has not taken yet, and the free space of a local media directory.

Registered in the process's default registry when the module is imported, so the kernel's
``GET /metrics`` exports them from every process that mounts ingest; the gauges read at
scrape time once the mounted module tracks them (none elsewhere).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Literal

from prometheus_client import Counter, Histogram

from streamstack.kernel.metrics import export_gauge, scraped_gauge, track_gauge

IngestStep = Literal["store", "probe", "thumbnail", "register"]
UploadOutcome = Literal["registered", "refused", "failed", "cancelled", "abandoned"]

_MIB = 1024 * 1024

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

UPLOADS_ENDED = Counter(
    "streamstack_uploads_ended_total",
    "Uploads that ended, by outcome: registered (an item), refused (the file or the request"
    " was at fault: 4xx), failed (on the server's side, or interrupted), cancelled (by the"
    " uploader or an admin), abandoned (expired before every byte came).",
    ["outcome"],
)
UNFINISHED_UPLOADS = scraped_gauge(
    "streamstack_uploads_unfinished",
    "Resumable uploads still receiving bytes (read at scrape time).",
)
UNFINISHED_UPLOAD_BYTES = scraped_gauge(
    "streamstack_uploads_unfinished_bytes",
    "Bytes the unfinished uploads hold in storage until they finish, are cancelled or"
    " expire (read at scrape time).",
)

UNQUEUED_JOBS = scraped_gauge(
    "streamstack_ingest_unqueued_jobs",
    "Transcoding jobs of registered (or registering) items that the job queue has not taken"
    " yet: the backlog of ingest's outbox, retried by its relay task (read at scrape time).",
)

MEDIA_FREE_BYTES = scraped_gauge(
    "streamstack_media_storage_free_bytes",
    "Free space of the file system a local media bucket is on, in bytes (read at scrape"
    " time); not exported for S3, which cannot say.",
    ["bucket"],
)


def observe_upload_size(size_bytes: int) -> None:
    """An upload of ``size_bytes`` bytes was stored."""
    UPLOAD_SIZE.observe(size_bytes)


def track_unfinished_uploads(read: Callable[[], Awaitable[tuple[int, int]]]) -> None:
    """Set the unfinished uploads' gauges at every scrape from one ``read()``: how many,
    and the bytes they hold (one query answers both)."""

    async def count() -> float:
        uploads, held = await read()
        UNFINISHED_UPLOAD_BYTES.set(held)
        return uploads

    export_gauge(UNFINISHED_UPLOAD_BYTES)
    track_gauge(UNFINISHED_UPLOADS, count)


def track_unqueued_jobs(read: Callable[[], Awaitable[float]]) -> None:
    """Set the outbox's backlog of transcoding jobs at every scrape from ``read()``."""
    track_gauge(UNQUEUED_JOBS, read)


def track_free_space(bucket: str, read: Callable[[], Awaitable[int | None]]) -> None:
    """Export ``bucket``'s free space at every scrape, when ``read()`` can say it."""

    async def free() -> float:
        value = await read()
        if value is None:
            raise LookupError(f"the {bucket} bucket cannot say its free space")
        return value

    track_gauge(MEDIA_FREE_BYTES.labels(bucket=bucket), free, family=MEDIA_FREE_BYTES)


def count_upload_ended(outcome: UploadOutcome) -> None:
    """An upload ended this way."""
    UPLOADS_ENDED.labels(outcome=outcome).inc()


@contextlib.contextmanager
def time_ingest_step(step: IngestStep) -> Iterator[None]:
    """Time the block as one ``step`` of ingest (recorded whether it succeeds or fails)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        INGEST_STEP_DURATION.labels(step=step).observe(time.perf_counter() - started)
