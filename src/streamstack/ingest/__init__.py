"""The ingest module: admins upload videos, which are probed, thumbnailed and registered.

An upload arrives as a streamed multipart form post (``POST /api/v1/ingest/upload``) or
as a resumable tus upload (``/api/v1/ingest/uploads``). Either way its bytes go straight
to the media bucket under ``<uuid>.<ext>``; a worker process probes the object through
ranged reads; the thumbnail goes to the thumbnails bucket under ``<uuid>.jpg``; an MP4
with its index at the end is rewritten with the index first; and catalogue registers the
item with id ``<uuid>``. Whatever fails on the way, nothing is left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streamstack.ingest.service import IngestService
    from streamstack.kernel.module import ModuleContext, ModuleDefinition, MountedModule

# This package is imported by every probe worker process too (its code lives in
# ``probe_worker``), so importing it must stay light: the web stack is only imported by
# ``mount`` and ``MODULE``, which only the app uses.

#: The sweeper looks for expired and abandoned uploads this often at most.
SWEEP_INTERVAL_SECONDS = 300.0


def mount(context: ModuleContext) -> MountedModule:
    """Mount the ingest module."""
    from streamstack.contracts.catalogue import CatalogueClient
    from streamstack.ingest.probe import MediaProber
    from streamstack.ingest.processing import MediaPipeline
    from streamstack.ingest.repository import UploadRecords
    from streamstack.ingest.routes import ingest_router
    from streamstack.ingest.service import IngestService
    from streamstack.kernel.module import MountedModule

    settings = context.settings
    media = context.backends.objects(settings.media_bucket)
    prober = MediaProber(
        timeout_seconds=settings.ingest_probe_timeout_seconds,
        memory_bytes=settings.ingest_probe_memory_bytes,
        concurrency=settings.ingest_probe_concurrency,
    )
    pipeline = MediaPipeline(
        media,
        context.backends.objects(settings.thumbnails_bucket),
        prober,
        CatalogueClient(context.transport("catalogue")),
    )
    service = IngestService(
        UploadRecords(context.backends.database),
        media,
        pipeline,
        max_upload_bytes=settings.max_upload_bytes,
        upload_ttl_seconds=settings.ingest_upload_ttl_seconds,
    )
    interval = min(SWEEP_INTERVAL_SECONDS, settings.ingest_upload_ttl_seconds / 4)
    sweeper: list[asyncio.Task[None]] = []

    async def start_sweeper() -> None:
        sweeper.append(asyncio.create_task(_sweep_forever(service, interval)))

    async def stop_sweeper() -> None:
        for task in sweeper:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        sweeper.clear()

    return MountedModule(
        name="ingest",
        route_handlers=[ingest_router(service)],
        on_startup=[start_sweeper],
        on_shutdown=[stop_sweeper],
    )


async def _sweep_forever(service: IngestService, interval: float) -> None:
    import structlog

    log = structlog.get_logger(__name__)
    while True:
        try:
            swept = await service.sweep()
            if swept:
                log.info("uploads_swept", count=swept)
        except Exception as exc:  # the database may be down for a while: try later
            log.warning("sweep_failed", error=exc.__class__.__name__)
        await asyncio.sleep(interval)


def __getattr__(name: str) -> Any:
    """``MODULE``, built on first use (see the note on imports above)."""
    if name != "MODULE":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from streamstack.kernel.module import ModuleDefinition

    definition: ModuleDefinition = ModuleDefinition(
        name="ingest", mount=mount, migrations=Path(__file__).parent / "migrations"
    )
    globals()["MODULE"] = definition
    return definition
