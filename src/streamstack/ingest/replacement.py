"""Replacing an item's video file: a resumable upload naming the item (``Upload-Metadata``
key ``replaces``) becomes the item's new original, and the item keeps everything else.

The upload is received as any other (:mod:`.resumable`), its original stored under the
item's prefix (:func:`~.processing.original_key`), then probed exactly as a new upload is.
The order keeps every crash safe, and every refusal changes nothing:

1. probe (and faststart) the new original; refused, it is deleted and the item is as it was;
2. record the transcoding job in the outbox (owed from here, as an upload's);
3. catalogue records the new original, facts and automatic stills' version at once
   (``REPLACE_ORIGINAL``, only while the item's processing is what was read here), queued
   for the job, which writes the new package beside the one viewers go on playing (the
   transcode-again path: :attr:`~.jobs.TranscodeRequest.refresh`);
4. the new automatic stills are written (unless an admin chose the item's), the job queued;
5. the old original is deleted, only now that the item names the new one.

A crash before 3 leaves the item on its old original and the new one under its prefix with
its upload unfinished (the sweeper deletes it); after 3, the old original is no item's
original any more and the storage audit finds it (:mod:`.storage_audit`).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable

import msgspec
import structlog

from streamstack.contracts.catalogue import (
    REPLACES_METADATA_KEY,
    CatalogueClient,
    MediaItem,
    OriginalReplacement,
)
from streamstack.contracts.limits import MediaId
from streamstack.contracts.media import MediaFacts
from streamstack.ingest import metrics
from streamstack.ingest.jobs import (
    TranscodeJobs,
    TranscodeRequest,
    needs_transcoding,
    original_plays,
    refuse_under_way,
)
from streamstack.ingest.outputs import ItemOutputs
from streamstack.ingest.probe import MediaProber, ProbeFailed
from streamstack.ingest.probe_messages import MediaReport
from streamstack.ingest.processing import (
    StoredMedia,
    outage,
    poster_key,
    stills_version,
    store_stills,
    thumbnail_key,
)
from streamstack.kernel.errors import AppError, BadRequest, Conflict
from streamstack.kernel.jobs import repeat_id
from streamstack.kernel.operation import CallContext
from streamstack.kernel.storage import ObjectInfo, ObjectStore

log = structlog.get_logger(__name__)


class ReplacementUnderWay(Conflict):
    """Another upload is replacing the item's video file already."""

    code = "replacement_in_progress"


def replaced_item(metadata: dict[str, str]) -> str | None:
    """The id of the item an upload's metadata says it replaces (lower-case), None when
    it names none; 400 ``validation_error`` for a value that is no item id."""
    value = metadata.get(REPLACES_METADATA_KEY)
    if value is None:
        return None
    try:  # the contract's own pattern decides what an item id is
        return msgspec.convert(value.strip().lower(), MediaId)
    except msgspec.ValidationError:
        raise BadRequest(
            f"{REPLACES_METADATA_KEY} must be an item's id", code="validation_error"
        ) from None


@dataclasses.dataclass(frozen=True, slots=True)
class OriginalReplacing:
    """Makes a stored upload the new original of an existing item (see the module)."""

    catalogue: CatalogueClient
    media: ObjectStore
    thumbnails: ObjectStore
    prober: MediaProber
    transcoding: TranscodeJobs

    async def replaceable(self, media_id: str, context: CallContext) -> MediaItem:
        """The item, if its file may be replaced now: 404 when there is no such item, 409
        ``in_progress`` while its transcoding is queued or running."""
        item = await self.catalogue.get_item(media_id, context)
        # The new file would race the job reading the old one.
        refuse_under_way(item, "replacing its video file")
        return item

    async def run(
        self,
        stored: StoredMedia,
        media_id: str,
        context: CallContext,
        on_registering: Callable[[], Awaitable[None]],
    ) -> MediaItem:
        """Probe ``stored`` and make it the item's original; the item after it. Refused
        (422 ``probe_failed``, 404, 409), the new original is deleted and the item is as it
        was. ``on_registering`` runs before catalogue is asked: from then on the new
        original may be the item's, and is left alone."""
        registering = False
        job: TranscodeRequest | None = None
        try:
            before = await self.replaceable(media_id, context)
            report, info = await self._probed(stored)
            job = self._job(before, stored, report, info)
            if job is not None:  # owed from here on, whatever happens to this process
                await self.transcoding.record(job)
            await on_registering()
            registering = True
            after = await self._recorded(before, stored, report, info, job, context)
        except BaseException as exc:
            refused = isinstance(exc, AppError) and exc.status < 500
            put_off = outage(exc) is not None  # the new original stays for the retry
            if refused or not (registering or put_off):
                await asyncio.shield(self._withdraw(stored.info.key, job))
            elif not registering:
                await asyncio.shield(self.transcoding.let_go(job))  # the retry owes it again
            raise
        try:
            await self._settle(before, after, report, job)
        except Exception as exc:  # the item is replaced: what is left, the audit finds
            log.warning("replacement_settle_failed", media_id=after.id, error=repr(exc))
        return after

    async def _probed(self, stored: StoredMedia) -> tuple[MediaReport, ObjectInfo]:
        """The probe's report of the new original, and the original once faststarted."""
        with metrics.time_ingest_step("probe"):
            report = (await self.prober.probe(self.media, stored.info, stored.container)).report
        info = stored.info
        if report.moov_at_end:
            try:
                info = await self.prober.faststart(self.media, info, stored.container)
            except ProbeFailed as exc:  # it plays all the same, its first request slower
                log.warning("faststart_failed", key=info.key, detail=exc.detail)
        return report, info

    @staticmethod
    def _job(
        before: MediaItem, stored: StoredMedia, report: MediaReport, info: ObjectInfo
    ) -> TranscodeRequest | None:
        """The transcoding job of the new original (a repeat's id: the item's first job may
        still be remembered by the queue), or None when it plays as it is."""
        container = stored.container
        if not needs_transcoding(container, report.video_codec, report.audio_codec):
            return None
        return TranscodeRequest(
            before.id,
            info.key,
            container.demuxer,
            report.width,
            report.height,
            repeat_id(before.id),
            refresh=before.has_hls,
        )

    async def _recorded(
        self,
        before: MediaItem,
        stored: StoredMedia,
        report: MediaReport,
        info: ObjectInfo,
        job: TranscodeRequest | None,
        context: CallContext,
    ) -> MediaItem:
        """Catalogue's record of the new original (see :class:`OriginalReplacement`)."""
        container = stored.container
        automatic = not before.stills_chosen
        replacement = OriginalReplacement(
            media_id=before.id,
            content_type=container.content_type(has_video=report.video_codec is not None),
            original_playable=original_plays(container, report),
            s3_key=info.key,
            size_bytes=info.size,
            only_from=before.processing_state,
            transcode=job is not None,
            stills_version=stills_version(report) if automatic else None,
            thumbnail_s3_key=thumbnail_key(before.id) if report.thumbnail else None,
            **{name: getattr(report, name) for name in MediaFacts.__struct_fields__},
        )
        with metrics.time_ingest_step("register"):
            return await self.catalogue.replace_original(replacement, context)

    async def _settle(
        self,
        before: MediaItem,
        after: MediaItem,
        report: MediaReport,
        job: TranscodeRequest | None,
    ) -> None:
        """What follows the record: the new stills, the job queued, the old package of an
        item that plays its new file as it is removed, and the old original deleted."""
        if not before.stills_chosen:
            await store_stills(self.thumbnails, before.id, report)
            gone = [poster_key(before.id)] if report.poster is None else []
            if report.thumbnail is None:
                gone.append(thumbnail_key(before.id))
            await self.thumbnails.delete_many(gone)
        if job is not None:
            await self.transcoding.enqueue(job)  # or, failing that, its relay will
        elif before.has_hls:
            await ItemOutputs(self.media, before.id).remove()
        if before.s3_key != after.s3_key:
            await self.media.delete_many([before.s3_key])
        log.info(
            "original_replaced",
            media_id=after.id,
            old_key=before.s3_key,
            new_key=after.s3_key,
            queued=job is not None,
        )

    async def _withdraw(self, key: str, job: TranscodeRequest | None) -> None:
        """The item keeps its old original: delete the new one, and forget its job."""
        try:
            await self.media.delete_many([key])
        except Exception as exc:  # under the item's prefix: the storage audit finds it
            log.error("orphan_object", bucket=self.media.bucket, key=key, error=repr(exc))
        await self.transcoding.let_go(job)
