"""What happens to a stored upload: probe, thumbnail, faststart, register, or leave nothing.

Both ways in (a form post and a finished tus upload) end here with an object under
``<uuid>.<ext>`` in the media bucket. Until catalogue has been asked to create the item,
a failure deletes the media object, the thumbnail and the poster; after that, the objects
belong to the item. A tus upload's objects stay when what failed is only briefly away
(:func:`outage`): its finish is put off, and the client's retry or the sweeper finishes it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from streamstack.contracts.catalogue import (
    CatalogueClient,
    MediaItem,
    NewMediaItem,
    object_prefix,
)
from streamstack.ingest import metrics
from streamstack.ingest.containers import Container
from streamstack.ingest.jobs import (
    TranscodeJobs,
    TranscodeRequest,
    needs_transcoding,
    original_plays,
)
from streamstack.ingest.probe import MediaProber, ProbeFailed
from streamstack.ingest.probe_messages import MediaReport, Stills
from streamstack.ingest.schemas import UploadDetails
from streamstack.kernel.db import unavailable_error
from streamstack.kernel.errors import AppError, Conflict, ServiceUnavailable
from streamstack.kernel.operation import CallContext
from streamstack.kernel.storage import (
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    StorageUnavailable,
    single_chunk,
)

log = structlog.get_logger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class StoredMedia:
    """An uploaded object, stored whole, before anyone has looked inside it."""

    upload_id: uuid.UUID
    container: Container
    info: ObjectInfo


#: Why an upload whose item an earlier try may have registered is left alone (its objects
#: too): catalogue's answer was lost, and only an admin can look.
REGISTRATION_INTERRUPTED = "registering the item was interrupted; check the library before retrying"


class RegisteredBefore(Conflict, code="registered_before"):
    """Catalogue holds an item of this upload's id already: an earlier try registered it,
    and its answer was lost; nobody's token is at hand to read it back (the sweeper's)."""


def outage(exc: BaseException) -> ServiceUnavailable | None:
    """The 503 (with ``Retry-After``) to answer when ``exc`` says that something an upload's
    finish needs is briefly away: catalogue, the object store or the database unreachable,
    restarting or too slow (502, 503, 504). None for a refusal (4xx) or a bug."""
    if isinstance(exc, ServiceUnavailable):
        return exc
    if isinstance(exc, AppError):
        return ServiceUnavailable(exc.detail, code=exc.code) if exc.status in (502, 504) else None
    return unavailable_error(exc)


#: The folder, under an item's prefix, of the originals that replaced its first one.
ORIGINALS = "originals/"


def original_key(upload_id: uuid.UUID | str, extension: str, replaces: str | None = None) -> str:
    """Where an upload's original goes in the media bucket: ``<uuid>.<ext>``, the item it
    becomes named by the upload's id; or, replacing an item's file, under that item's
    prefix (``<item>/originals/<upload>.<ext>``), so every key it has stays its own."""
    if replaces is None:
        return f"{upload_id}.{extension}"
    return f"{object_prefix(replaces)}{ORIGINALS}{upload_id}.{extension}"


def original_of(media_id: str, key: str) -> tuple[bool, uuid.UUID | None]:
    """Whether ``key`` (one of the item's own, :func:`~streamstack.contracts.catalogue.owns_object`)
    names an original of the item, and the upload that replaced its file with it if one did
    (the upload's id, from :func:`original_key`)."""
    replaced = f"{object_prefix(media_id)}{ORIGINALS}"
    if not key.startswith(replaced):
        return not key.startswith(object_prefix(media_id)), None
    name, dot, _ = key[len(replaced) :].partition(".")
    try:
        return True, uuid.UUID(name) if dot else None
    except ValueError:
        return True, None


def thumbnail_key(upload_id: uuid.UUID | str) -> str:
    """Where an upload's thumbnail goes in the thumbnails bucket."""
    return f"{upload_id}.jpg"


def poster_key(upload_id: uuid.UUID | str) -> str:
    """Where an upload's large poster goes in the thumbnails bucket (streaming serves it
    at ``/api/v1/stream/thumbnails/<uuid>-poster.jpg``, the thumbnail when it is absent)."""
    return f"{upload_id}-poster.jpg"


async def store_stills(
    thumbnails: ObjectStore, upload_id: uuid.UUID | str, report: MediaReport | Stills
) -> None:
    """A probe's thumbnail (if it made one), and its poster when the frame is larger than the
    thumbnail; or those an uploaded image made."""
    for key, image in (
        (thumbnail_key(upload_id), report.thumbnail),
        (poster_key(upload_id), report.poster),
    ):
        if image is not None:
            await thumbnails.write(key, single_chunk(image), content_type="image/jpeg")


def stills_version(stills: MediaReport | Stills) -> str:
    """The version of an item's stills, which their URLs carry: the first 16 hex digits of
    the thumbnail's SHA-256 (of nothing, for a file that shows none)."""
    return hashlib.sha256(stills.thumbnail or b"").hexdigest()[:16]


@dataclasses.dataclass(frozen=True, slots=True)
class Uploader:
    """Whom an upload's item is registered for, and how: through the uploader's own request
    (``context`` carries their token, which catalogue checks again), or, for an upload
    orphaned in processing that nobody asks about, by ingest itself for the user its record
    names (``context`` None)."""

    user_id: str
    context: CallContext | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class MediaPipeline:
    """Turns a stored object into a catalogue item."""

    media: ObjectStore
    thumbnails: ObjectStore
    prober: MediaProber
    catalogue: CatalogueClient
    transcoding: TranscodeJobs

    async def run(
        self,
        stored: StoredMedia,
        details: UploadDetails,
        uploader: Uploader,
        on_registering: Callable[[], Awaitable[None]],
        *,
        resumable: bool = False,
    ) -> MediaItem:
        """Probe, thumbnail, faststart and register ``stored``; on failure delete its objects,
        unless the upload is ``resumable`` (tus) and what failed is only briefly away
        (:func:`outage`): its retry needs them.

        ``on_registering`` runs just before catalogue is asked to create the item: from
        then on a cancellation leaves the objects alone, since the item may exist.
        """
        registering = False
        job: TranscodeRequest | None = None
        try:
            new_item = await self._prepare(stored, details)
            job = self.transcoding.request(new_item, stored.container)
            if job is not None:  # owed from here on, whatever happens to this process
                await self.transcoding.record(job)
            await on_registering()
            registering = True
            with metrics.time_ingest_step("register"):
                item = await self._register(new_item, uploader)
            if job is not None:
                await self.transcoding.enqueue(job)  # or, failing that, its relay will
            return item
        except BaseException as exc:
            put_off = resumable and outage(exc) is not None
            if not registering:  # no item; a finish put off owes the job again on its retry
                await asyncio.shield(
                    self.transcoding.let_go(job) if put_off else self._withdraw(stored, job)
                )
            elif not (put_off or isinstance(exc, asyncio.CancelledError | RegisteredBefore)):
                await asyncio.shield(self._withdraw(stored, job))  # refused: no item
            # Else the item may exist: its objects and job are its own, or the retry's.
            raise

    async def _register(self, new_item: NewMediaItem, uploader: Uploader) -> MediaItem:
        try:
            if uploader.context is None:
                return await self.catalogue.register_upload(new_item, uploader.user_id)
            return await self.catalogue.create_item(new_item, uploader.context)
        except Conflict as exc:
            if exc.code != "media_item_exists":
                raise
        # A try put off while registering did register it: its answer was lost.
        if uploader.context is None:
            raise RegisteredBefore(REGISTRATION_INTERRUPTED)
        return await self.catalogue.get_item(new_item.id, uploader.context)

    async def _withdraw(self, stored: StoredMedia, job: TranscodeRequest | None) -> None:
        """No item: delete the upload's objects, and the record of its job if one was made."""
        await self.discard(stored.info.key, stored.upload_id)
        await self.transcoding.let_go(job)

    async def _prepare(self, stored: StoredMedia, details: UploadDetails) -> NewMediaItem:
        try:
            return await self._probe_and_thumbnail(stored, details)
        except ObjectNotFound as exc:
            # Our own object or bucket vanished under us: a storage problem, not the user's.
            raise StorageUnavailable(f"media storage is unavailable ({exc.detail})") from exc

    async def _probe_and_thumbnail(
        self, stored: StoredMedia, details: UploadDetails
    ) -> NewMediaItem:
        container = stored.container
        with metrics.time_ingest_step("probe"):
            outcome = await self.prober.probe(self.media, stored.info, container)
        report = outcome.report
        thumbnail: str | None = None
        if report.thumbnail is not None:
            thumbnail = thumbnail_key(stored.upload_id)
            with metrics.time_ingest_step("thumbnail"):
                await store_stills(self.thumbnails, stored.upload_id, report)
        info = stored.info
        if report.moov_at_end:
            try:
                info = await self.prober.faststart(self.media, info, container)
            except ProbeFailed as exc:
                # The original still plays, only its first request is slower.
                log.warning("faststart_failed", key=info.key, detail=exc.detail)
        return NewMediaItem(
            id=str(stored.upload_id),
            title=details.title,
            s3_key=info.key,
            size_bytes=info.size,
            content_type=container.content_type(has_video=report.video_codec is not None),
            description=details.description,
            tags=list(details.tags),
            publish=details.publish,
            publish_at=details.publish_at,
            duration_seconds=report.duration_seconds,
            video_codec=report.video_codec,
            audio_codec=report.audio_codec,
            width=report.width,
            height=report.height,
            fps=report.fps,
            chapters=report.chapters,
            thumbnail_s3_key=thumbnail,
            **self._processing(container, report),
        )

    def _processing(self, container: Container, report: MediaReport) -> dict[str, Any]:
        """Whether the original plays as uploaded, and whether a transcode is queued."""
        queued = needs_transcoding(container, report.video_codec, report.audio_codec)
        return {
            "playable": original_plays(container, report),
            "processing_state": "queued" if queued else "none",
        }

    async def discard(self, media_key: str | None, upload_id: uuid.UUID) -> None:
        """Delete an upload's media object, thumbnail and poster, whatever state they are in."""
        targets: list[tuple[ObjectStore, list[str]]] = [
            (self.thumbnails, [thumbnail_key(upload_id), poster_key(upload_id)]),
        ]
        if media_key is not None:
            targets.append((self.media, [media_key]))
        for store, keys in targets:
            try:
                await store.delete_many(keys)
            except Exception as exc:
                for key in keys:  # any of them may be left
                    log.error(
                        "orphan_object", bucket=store.bucket, key=key, error=exc.__class__.__name__
                    )
