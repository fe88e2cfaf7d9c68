"""Wiring of the ingest module: the one place its objects are built and connected."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from streamstack.contracts.catalogue import CatalogueClient
from streamstack.ingest import metrics
from streamstack.ingest.transcoding.results import TranscodeOptions
from streamstack.kernel.events.following import DurableFollower
from streamstack.kernel.jobs import JobQueue
from streamstack.kernel.jobs.metrics import track_backlog
from streamstack.kernel.jobs.worker import JobWorker
from streamstack.kernel.module import (
    Hook,
    ModuleContext,
    ModuleDefinition,
    ModuleRouter,
    MountedModule,
)
from streamstack.kernel.tasks import BackgroundTask
from streamstack.settings import Settings

if TYPE_CHECKING:  # imported by the functions that build them (see the note below)
    from streamstack.ingest.probe import MediaProber
    from streamstack.ingest.processing import MediaPipeline
    from streamstack.ingest.repository import UploadRecords
    from streamstack.ingest.service import IngestService
    from streamstack.kernel.storage import ObjectStore

# The module's own stack (service, routes, tables, the sandbox, the job handler) is imported
# by the functions that build it, not with this file: every process reads MODULE below, and
# one that does not mount ingest would pay for it at start for nothing. (Its metrics and the
# job metrics are registered here still, as every process exports them.)
#: The sweeper looks for expired and abandoned uploads this often at most.
SWEEP_INTERVAL_SECONDS = 300.0


def mount(context: ModuleContext) -> MountedModule:
    """Mount the ingest module: upload and caption routes, the sweeper of abandoned uploads,
    the relay of transcoding jobs the queue has not taken yet, the transcoding workers (when
    in process) and the take-down of deleted items."""
    from streamstack.ingest.caption_tracks import CaptionTracks  # (see the note at the top)
    from streamstack.ingest.containers import accepted_forms
    from streamstack.ingest.jobs import TranscodeJobs
    from streamstack.ingest.originals import FactsReading, Originals
    from streamstack.ingest.processing import MediaPipeline
    from streamstack.ingest.repository import UploadRecords
    from streamstack.ingest.routes import ingest_router
    from streamstack.ingest.schemas import AcceptedFormats
    from streamstack.ingest.service import TranscodeRetries
    from streamstack.ingest.thumbnails import ThumbnailChoice
    from streamstack.ingest.transcoding_status import TranscodingQueue

    settings = context.settings
    media = context.backends.objects(settings.media_bucket)
    queue = transcode_queue(context)
    prober = media_prober(settings)
    catalogue = CatalogueClient(context.transport("catalogue"))
    transcode_jobs = TranscodeJobs(queue, context.backends.database, context.clock)
    thumbnails = context.backends.objects(settings.thumbnails_bucket)
    pipeline = MediaPipeline(media, thumbnails, prober, catalogue, transcode_jobs)
    originals = Originals(media, prober)
    records = UploadRecords(context.backends.database, clock=context.clock)
    track_gauges(context, transcode_jobs.outbox.backlog, records.unfinished_bytes)
    service = upload_service(context, records, media, pipeline)
    retries = TranscodeRetries(catalogue, transcode_jobs)
    tasks: list[BackgroundTask] = [upload_sweeper(service, settings), transcode_jobs.relay]
    transcoding: JobWorker | None = None
    on_startup: list[Hook] = []
    if settings.worker_in_process:
        transcoding, sweep_scratch = transcode_worker(context, queue)
        tasks, on_startup = [*tasks, transcoding], [sweep_scratch]
    takedown_tasks, takedown_events = takedown(context, transcoding)
    return MountedModule(
        name="ingest",
        route_handlers=[
            ingest_router(
                service,
                CaptionTracks(media, catalogue),
                retries,
                ThumbnailChoice(catalogue, originals, thumbnails),
                FactsReading(catalogue, originals, retries),
                AcceptedFormats.of(accepted_forms()),
                TranscodingQueue(queue, transcode_jobs.outbox.backlog),
            ),
            storage_audit_routes(context, media, thumbnails, catalogue, records),
        ],
        tasks=[*tasks, *takedown_tasks],
        on_startup=[*on_startup, takedown_events.try_follow],
        on_shutdown=[takedown_events.stop, service.finish_take_ups],
    )


def upload_service(
    context: ModuleContext, records: UploadRecords, media: ObjectStore, pipeline: MediaPipeline
) -> IngestService:
    """The uploads' use cases, with the settings' limits."""
    from streamstack.ingest.service import IngestService  # (see the note at the top)

    settings = context.settings
    return IngestService(
        records,
        media,
        pipeline,
        max_upload_bytes=settings.max_upload_bytes,
        upload_ttl=datetime.timedelta(seconds=settings.ingest_upload_ttl_seconds),
        free_space_reserve=settings.ingest_free_space_reserve_bytes,
        clock=context.clock,
    )


def upload_sweeper(service: IngestService, settings: Settings) -> BackgroundTask:
    """The task dropping expired and abandoned uploads: every :data:`SWEEP_INTERVAL_SECONDS`,
    or more often when uploads expire sooner, so none outlives its TTL by much."""
    return BackgroundTask(
        "ingest.sweeper",
        service.sweep_step,
        interval_seconds=min(SWEEP_INTERVAL_SECONDS, settings.ingest_upload_ttl_seconds / 4),
    )


def storage_audit_routes(
    context: ModuleContext,
    media: ObjectStore,
    thumbnails: ObjectStore,
    catalogue: CatalogueClient,
    uploads: UploadRecords,
) -> ModuleRouter:
    """The storage audit's admin routes (see :mod:`streamstack.ingest.storage_audit`), on
    the stores, catalogue client and upload records the rest of the module uses."""
    from streamstack.ingest.missing_media import MissingMediaCheck
    from streamstack.ingest.routes import storage_audit_router  # (see the note at the top)
    from streamstack.ingest.storage_audit import StorageAudit

    audit = StorageAudit(
        buckets={"media": media, "thumbnails": thumbnails},
        catalogue=catalogue,
        uploads=uploads,
        grace=datetime.timedelta(seconds=context.settings.ingest_orphan_grace_seconds),
        clock=context.clock,
        missing=MissingMediaCheck(media, thumbnails, catalogue),
    )
    return storage_audit_router(audit)


def media_prober(settings: Settings) -> MediaProber:
    """The probe's sandboxed workers, with the settings' limits."""
    from streamstack.ingest.probe import MediaProber  # (see the note at the top)

    return MediaProber(
        timeout_seconds=settings.ingest_probe_timeout_seconds,
        memory_bytes=settings.ingest_probe_memory_bytes,
        concurrency=settings.ingest_probe_concurrency,
    )


def track_gauges(
    context: ModuleContext,
    unqueued_jobs: Callable[[], Awaitable[int]],
    unfinished_uploads: Callable[[], Awaitable[tuple[int, int]]],
) -> None:
    """The gauges read at each scrape: transcoding jobs the queue has not taken, unfinished
    uploads and their bytes, and the free space of a local media directory."""
    metrics.track_unqueued_jobs(unqueued_jobs)
    metrics.track_unfinished_uploads(unfinished_uploads)
    settings = context.settings
    if not settings.s3_endpoint_url:  # a local directory: its disk filling up is worth a look
        media = context.backends.objects(settings.media_bucket)
        metrics.track_free_space(settings.media_bucket, media.free_bytes)


def takedown(
    context: ModuleContext, transcoding: JobWorker | None
) -> tuple[list[BackgroundTask], DurableFollower]:
    """The ``media.deleted`` consumer: a durable subscription queueing one job per deleted
    item, and the worker deleting its objects (see :mod:`streamstack.ingest.takedown`)."""
    from streamstack.ingest.takedown import (  # (see the note at the top)
        TAKEDOWN_QUEUE_CONFIG,
        TakedownHandler,
        takedown_events,
        takedown_queue_name,
    )

    settings = context.settings
    queue = context.backends.jobs(
        takedown_queue_name(settings.transcode_queue), TAKEDOWN_QUEUE_CONFIG
    )
    events = takedown_events(context.backends.events, queue)
    follow = BackgroundTask(
        "ingest.takedown-events", events.follow, interval_seconds=5.0, retry_max_seconds=5.0
    )
    handler = TakedownHandler(
        context.backends.objects(settings.media_bucket),
        context.backends.objects(settings.thumbnails_bucket),
        transcoding,
    )
    worker = JobWorker(
        queue, handler, name="ingest.takedown", on_dead_letter=handler.on_dead_letter
    )
    return [follow, worker], events


def transcode_queue(context: ModuleContext) -> JobQueue:
    """The queue of transcoding jobs (its backlog is exported on ``/metrics``)."""
    queue = context.backends.jobs(context.settings.transcode_queue)
    track_backlog(queue)
    return queue


def transcode_worker(context: ModuleContext, queue: JobQueue) -> tuple[JobWorker, Hook]:
    """``worker_concurrency`` transcoding slots on ``queue``, with the settings' limits, and
    the start-up hook sweeping the scratch that dead workers left on this machine."""
    from streamstack.ingest.jobs import TranscodeHandler, WorkerLimits  # (see the note at the top)

    settings = context.settings
    handler = TranscodeHandler(
        context.backends.objects(settings.media_bucket),
        CatalogueClient(context.transport("catalogue")),
        WorkerLimits(
            encoding=TranscodeOptions(
                preset=settings.transcode_preset,
                segment_seconds=settings.transcode_segment_seconds,
                max_pixels=settings.transcode_max_pixels,
            ),
            timeout_seconds=settings.transcode_timeout_seconds,
            stall_seconds=settings.transcode_stall_seconds,
            memory_bytes=settings.transcode_memory_bytes,
            spool_dir=settings.transcode_spool_dir,
            max_source_bytes=settings.max_upload_bytes,
            niceness=settings.transcode_niceness,
        ),
    )
    worker = JobWorker(
        queue,
        handler,
        name="ingest.transcode",
        concurrency=settings.worker_concurrency,
        on_dead_letter=handler.on_dead_letter,
        on_retry=handler.on_retry,
        on_hold=handler.on_hold,
    )
    return worker, handler.sweep_scratch


def mount_worker(context: ModuleContext) -> MountedModule:
    """``streamstack worker``: only the transcoding workers (no routes, no sweeper)."""
    worker, sweep_scratch = transcode_worker(context, transcode_queue(context))
    return MountedModule(
        name="ingest", route_handlers=[], tasks=[worker], on_startup=[sweep_scratch]
    )


MODULE = ModuleDefinition(
    name="ingest", mount=mount, migrations=Path(__file__).parent / "migrations"
)

#: The ingest module as ``streamstack worker`` mounts it: transcoding workers only.
WORKER = dataclasses.replace(MODULE, mount=mount_worker)
