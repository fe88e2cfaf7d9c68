"""Choosing an item's thumbnail: an admin names a moment of its video, and the thumbnail and
poster are made again from the frame there; or sends an image of their own; or goes back to
the automatic frame (the one processing chose: 1 s in, or the first of a shorter video; a
sound's cover).

The frame comes from the stored original, read by the probe in its sandbox exactly as at
upload (same limits, same sizes, same tone mapping); an image is decoded by a worker of the
same sandbox, within the same limits, and fitted into the same sizes (so players get the
poster and thumbnail they expect). The new stills replace the old ones under the same keys,
and the catalogue records their version, which their URLs carry from then on: every page
that shows the item loads the new ones, not a copy a browser cached.
"""

from __future__ import annotations

import dataclasses

import msgspec
import structlog

from streamstack.contracts.catalogue import CatalogueClient, MediaItem, StillsChange
from streamstack.ingest.containers import Container
from streamstack.ingest.originals import Originals, stored_as
from streamstack.ingest.probe_messages import MediaReport, Stills
from streamstack.ingest.processing import (
    poster_key,
    stills_version,
    store_stills,
    thumbnail_key,
)
from streamstack.ingest.schemas import ChosenThumbnail, ThumbnailSource
from streamstack.ingest.still_images import image_header
from streamstack.kernel.errors import AppError, Conflict, Unprocessable
from streamstack.kernel.operation import CallContext
from streamstack.kernel.storage import ObjectStore

log = structlog.get_logger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class ThumbnailChoice:
    """Makes an item's thumbnail and poster again: from the frame at a moment of its video,
    from an image an admin sent, or as processing made them."""

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
        return await self._stored(item, report, "frame", at_seconds, context)

    async def use_image(self, media_id: str, data: bytes, context: CallContext) -> ChosenThumbnail:
        """The stills of an image an admin sent (a JPEG, PNG or WebP, its size checked by
        the route), stored as the item's: a sound without a cover (a podcast's episode) gets
        them too. 404 when there is no such item; 422 ``not_an_image``, ``animated_image``,
        ``image_size`` (by its header) or ``image_unreadable`` (by its decoding); nothing
        changes then."""
        item = await self.catalogue.get_item(media_id, context)
        stills = await self.originals.prober.image_stills(data, image_header(data))
        return await self._stored(item, stills, "image", None, context)

    async def use_automatic(self, media_id: str, context: CallContext) -> ChosenThumbnail:
        """The stills made again as processing made them (the frame at its default moment,
        a sound's cover), stored as the item's: back from a chosen frame or image; a sound
        without a cover shows none again. 404, 409 and 422 as :meth:`choose` (409
        ``no_picture`` for an item that shows no stills: nothing to go back from)."""
        item = await self.catalogue.get_item(media_id, context)
        _with_stills(item)
        report = await self.originals.probe(item, stored_as(item))
        if report.thumbnail is None:
            return await self._removed(item, report, context)
        return await self._stored(item, report, "automatic", None, context)

    async def _stored(
        self,
        item: MediaItem,
        stills: MediaReport | Stills,
        source: ThumbnailSource,
        at_seconds: float | None,
        context: CallContext,
    ) -> ChosenThumbnail:
        """``stills`` written as the item's, their version recorded; the answer naming them."""
        await store_stills(self.thumbnails, item.id, stills)
        if stills.poster is None:
            # A picture within the thumbnail's box has no poster: the one of a larger
            # picture before would be shown instead of the thumbnail (streaming's fallback).
            await self.thumbnails.delete_many([poster_key(item.id)])
        # A sound without a cover shows stills from now on: where they are goes with them.
        placed = thumbnail_key(item.id) if item.thumbnail_url is None else msgspec.UNSET
        change = StillsChange(
            item.id, stills_version(stills), chosen=source != "automatic", thumbnail_s3_key=placed
        )
        item = await self._recorded(change, context)
        log.info("thumbnail_chosen", media_id=item.id, source=source, at_seconds=at_seconds)
        return ChosenThumbnail(
            media_id=item.id,
            source=source,
            at_seconds=at_seconds,
            thumbnail_url=item.thumbnail_url,
            poster_url=item.poster_url,
        )

    async def _removed(
        self, item: MediaItem, report: MediaReport, context: CallContext
    ) -> ChosenThumbnail:
        """A sound without a cover back to showing no stills: the catalogue forgets them
        first (no page names them after), then their objects go."""
        change = StillsChange(item.id, stills_version(report), chosen=False, thumbnail_s3_key=None)
        item = await self._recorded(change, context)
        await self.thumbnails.delete_many([thumbnail_key(item.id), poster_key(item.id)])
        log.info("thumbnail_removed", media_id=item.id)
        return ChosenThumbnail(
            media_id=item.id,
            source="automatic",
            at_seconds=None,
            thumbnail_url=None,
            poster_url=None,
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


def _with_stills(item: MediaItem) -> None:
    """409 for an item that shows no stills (a sound without a cover): its pages have no
    place for a thumbnail."""
    if item.thumbnail_url is None:
        raise Conflict(
            "the item is a sound without a cover: it shows no thumbnail to replace",
            code="no_picture",
        )
