"""Choosing an item's thumbnail: an admin names a moment of its video, and the thumbnail and
poster are made again from the frame there.

The frame comes from the stored original, read by the probe in its sandbox exactly as at
upload (same limits, same sizes, same tone mapping); the new stills replace the old ones
under the same keys, and the catalogue records their version, which their URLs carry from
then on: every page that shows the item loads the new ones, not a copy a browser cached.
"""

from __future__ import annotations

import dataclasses
import hashlib

import structlog

from streamstack.contracts.catalogue import CatalogueClient, MediaItem, StillsChange
from streamstack.ingest.containers import Container
from streamstack.ingest.originals import Originals, stored_as
from streamstack.ingest.processing import poster_key, store_stills, thumbnail_key
from streamstack.ingest.schemas import ChosenThumbnail
from streamstack.kernel.errors import AppError, Conflict, Unprocessable
from streamstack.kernel.operation import CallContext
from streamstack.kernel.storage import ObjectStore

log = structlog.get_logger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class ThumbnailChoice:
    """Makes an item's thumbnail and poster again from the frame at a moment of its video."""

    catalogue: CatalogueClient
    originals: Originals
    thumbnails: ObjectStore

    async def choose(
        self, media_id: str, at_seconds: float, context: CallContext
    ) -> ChosenThumbnail:
        """The stills of the frame at ``at_seconds``, stored as the item's. 404 when there is
        no such item; 409 ``no_picture`` for a sound, ``original_missing`` when its original is
        gone; 422 ``past_the_end`` after its end."""
        item = await self.catalogue.get_item(media_id, context)
        container = _pictured(item)
        if item.duration_seconds is not None and at_seconds > item.duration_seconds:
            raise Unprocessable(
                f"{at_seconds:g} s is past the end of the video ({item.duration_seconds:g} s)",
                code="past_the_end",
            )
        report = await self.originals.probe(item, container, at_seconds)
        await store_stills(self.thumbnails, item.id, report)
        version = hashlib.sha256(report.thumbnail or b"").hexdigest()[:16]
        item = await self._recorded(StillsChange(item.id, version), context)
        log.info("thumbnail_chosen", media_id=item.id, at_seconds=at_seconds)
        return ChosenThumbnail(
            media_id=item.id,
            at_seconds=at_seconds,
            thumbnail_url=item.thumbnail_url or "",
            poster_url=item.poster_url or "",
        )

    async def _recorded(self, change: StillsChange, context: CallContext) -> MediaItem:
        """The item once the catalogue records the stills' new version (their URLs change,
        so no browser shows the old ones from its cache). Deleted while its frame was read:
        its take-down may have run already, so the stills just written are removed here,
        and the caller told the item is gone."""
        try:
            return await self.catalogue.change_stills(change, context)
        except AppError as exc:
            if exc.status == 404:
                keys = [thumbnail_key(change.media_id), poster_key(change.media_id)]
                await self.thumbnails.delete_many(keys)
            raise


def _pictured(item: MediaItem) -> Container:
    """The container of an item with a picture to take a frame from; 409 otherwise."""
    if item.video_codec is None or item.thumbnail_url is None:
        raise Conflict(
            "the item is a sound with no picture: it has no frame to make a thumbnail of",
            code="no_picture",
        )
    return stored_as(item)
