"""Wiring of the ingest module: the one place its objects are built and connected."""

from __future__ import annotations

from pathlib import Path

from streamstack.contracts.catalogue import CatalogueClient
from streamstack.ingest.probe import MediaProber
from streamstack.ingest.processing import MediaPipeline
from streamstack.ingest.repository import UploadRecords
from streamstack.ingest.routes import ingest_router
from streamstack.ingest.service import IngestService
from streamstack.kernel.module import ModuleContext, ModuleDefinition, MountedModule
from streamstack.kernel.tasks import BackgroundTask

#: The sweeper looks for expired and abandoned uploads this often at most.
SWEEP_INTERVAL_SECONDS = 300.0


def mount(context: ModuleContext) -> MountedModule:
    """Mount the ingest module: upload routes and the sweeper of abandoned uploads."""
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
    sweeper = BackgroundTask(
        "ingest.sweeper",
        service.sweep_step,
        interval_seconds=min(SWEEP_INTERVAL_SECONDS, settings.ingest_upload_ttl_seconds / 4),
    )
    return MountedModule(name="ingest", route_handlers=[ingest_router(service)], tasks=[sweeper])


MODULE = ModuleDefinition(
    name="ingest", mount=mount, migrations=Path(__file__).parent / "migrations"
)
