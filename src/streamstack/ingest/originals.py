"""Reading an item's stored original again, and what it tells of the item.

The original is read by the probe in its sandbox exactly as at upload (same limits, same
rules: the main sound track is :func:`~.transcoding.soundtracks.pick_audio`'s), for a new
thumbnail (:mod:`.thumbnails`) or for the item's facts: an item uploaded before the probe
read chapters, or before it chose the main track by today's rule, gets them this way
without being uploaded again, and whether it plays as uploaded is decided again by
upload's rule (:func:`~.jobs.original_plays`).
"""

from __future__ import annotations

import dataclasses

import structlog

from streamstack.contracts.catalogue import CatalogueClient, FactsUpdate, MediaItem
from streamstack.contracts.media import MediaFacts
from streamstack.ingest.containers import Container, by_content_type
from streamstack.ingest.jobs import original_plays
from streamstack.ingest.probe import MediaProber
from streamstack.ingest.probe_messages import MediaReport
from streamstack.ingest.schemas import FactsRead
from streamstack.ingest.service import TranscodeRetries
from streamstack.kernel.errors import AppError, Conflict
from streamstack.kernel.operation import CallContext
from streamstack.kernel.storage import ObjectNotFound, ObjectStore

log = structlog.get_logger(__name__)

#: The item's fields a reading of its original may change, as :class:`MediaItem` names them:
#: its facts, and whether it plays.
FACT_FIELDS = ("content_type", *MediaFacts.__struct_fields__, "playable")


@dataclasses.dataclass(frozen=True, slots=True)
class Originals:
    """The items' originals in the media bucket, read by the sandboxed probe."""

    media: ObjectStore
    prober: MediaProber

    async def probe(
        self,
        item: MediaItem,
        container: Container,
        still_at: float | None = None,
        *,
        stills: bool = True,
    ) -> MediaReport:
        """What the probe reads in the item's original (stored as ``container``), its
        stills of the frame at ``still_at`` seconds when given, none without ``stills``.
        409 ``original_missing`` when the original is gone; 422 ``probe_failed`` when the
        probe refuses it."""
        try:
            info = await self.media.head(item.s3_key)
        except ObjectNotFound:
            raise Conflict(
                f"the item's original ({item.s3_key}) is no longer stored: it cannot be read "
                "again; upload the file again as a new item",
                code="original_missing",
            ) from None
        outcome = await self.prober.probe(self.media, info, container, still_at, stills=stills)
        return outcome.report


def stored_as(item: MediaItem) -> Container:
    """The container the item's original was stored in; 409 ``not_readable`` for an item
    whose content type no container of ingest's has (one registered without an upload)."""
    container = by_content_type(item.content_type)
    if container is None:
        raise Conflict(
            f"the item's original is of a type ingest does not read ({item.content_type})",
            code="not_readable",
        )
    return container


@dataclasses.dataclass(frozen=True, slots=True)
class FactsReading:
    """Reads an item's original again and records its facts in the catalogue, and whether
    the original plays as upload decides it (its stills stay: an admin may have chosen
    them). An item that played its original, which turns out not to play, is queued for
    transcoding when it has no HLS package and none is being made: else it would play no
    more."""

    catalogue: CatalogueClient
    originals: Originals
    retries: TranscodeRetries

    async def read_again(self, media_id: str, context: CallContext) -> FactsRead:
        """The item's facts read again and recorded, and which changed (``playable`` too).
        404 when there is no such item, 409 when its original is gone or unreadable, 422
        when the probe refuses it (nothing changes then)."""
        before = await self.catalogue.get_item(media_id, context)
        container = stored_as(before)
        # Its stills stay, so the probe makes none: no seek to their frame, no JPEGs (no
        # cover of a sound decoded) in the sandbox.
        report = await self.originals.probe(before, container, stills=False)
        facts = FactsUpdate(
            media_id=before.id,
            content_type=container.content_type(has_video=report.video_codec is not None),
            original_playable=original_plays(container, report),
            **{name: getattr(report, name) for name in MediaFacts.__struct_fields__},
        )
        after = await self.catalogue.update_facts(facts, context)
        queued = lost_its_playing(before, after)
        if queued:
            after = await self.transcode(after, context)
        changed = [name for name in FACT_FIELDS if getattr(before, name) != getattr(after, name)]
        log.info("facts_read_again", media_id=after.id, changed=changed, queued=queued)
        return FactsRead(media_id=after.id, changed=changed, item=after)

    async def transcode(self, item: MediaItem, context: CallContext) -> MediaItem:
        """Queue the item's transcoding the one way an existing item's is queued (the
        transcode-again route's); the item then. A job queued or running already (an
        upload's, or another request's meanwhile) does as well."""
        try:
            return await self.retries.retry(item.id, context)
        except AppError as exc:
            if exc.status != 409 or exc.code not in ("in_progress", "processing_state_changed"):
                raise
        log.info("facts_transcode_already_queued", media_id=item.id)
        return await self.catalogue.get_item(item.id, context)


def lost_its_playing(before: MediaItem, after: MediaItem) -> bool:
    """Whether reading the item's file again took its playing away: its original turns out
    not to play, and it has no HLS package.

    Only then is it queued for one: an item that did not play before has had its
    transcoding decided already (queued at upload, or failed for a reason an admin acts on
    before transcoding it again), and reading every item again (``streamstack probe
    --all``) must not transcode every failed one again."""
    return before.playable and not after.playable
