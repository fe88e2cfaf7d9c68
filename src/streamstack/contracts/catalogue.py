"""The catalogue module's published language: registering a media item.

Field limits come from :mod:`streamstack.contracts.limits`, the same types the HTTP schemas
use, so every transport refuses what the public API refuses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from streamstack.contracts.limits import (
    Codec,
    ContentType,
    Description,
    Dimension,
    DurationSeconds,
    FrameRate,
    MediaId,
    ObjectKey,
    SizeBytes,
    Tags,
    Title,
)
from streamstack.kernel.operation import CallContext, Operation, Transport

MediaStatus = Literal["draft", "published"]

#: Subjects of the events catalogue publishes (payload: a :class:`MediaItem` as JSON).
MEDIA_PUBLISHED = "catalogue.events.media.published"
MEDIA_DELETED = "catalogue.events.media.deleted"


class MediaItem(msgspec.Struct, frozen=True):
    """A media item as every module and client sees it."""

    id: str
    title: str
    description: str
    status: MediaStatus
    s3_key: str
    size_bytes: int
    content_type: str
    duration_seconds: float | None
    video_codec: str | None
    audio_codec: str | None
    width: int | None
    height: int | None
    fps: float | None
    thumbnail_s3_key: str | None
    thumbnail_url: str | None
    tags: list[str]
    created_by: str
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class NewMediaItem(msgspec.Struct, frozen=True):
    """What ingest knows about an uploaded, probed object."""

    id: MediaId
    title: Title
    s3_key: ObjectKey
    size_bytes: SizeBytes
    content_type: ContentType
    description: Description = ""
    tags: Tags = []
    publish: bool = True
    duration_seconds: DurationSeconds | None = None
    video_codec: Codec | None = None
    audio_codec: Codec | None = None
    width: Dimension | None = None
    height: Dimension | None = None
    fps: FrameRate | None = None
    thumbnail_s3_key: ObjectKey | None = None


CREATE_MEDIA_ITEM: Operation[NewMediaItem, MediaItem] = Operation(
    module="catalogue",
    name="create_item",
    path="/internal/v1/catalogue/items",
    request=NewMediaItem,
    response=MediaItem,
    access="admin",  # ingest registers an upload for the admin who uploaded it
)


class CatalogueClient:
    """What other modules may ask of catalogue."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def create_item(self, item: NewMediaItem, context: CallContext) -> MediaItem:
        """Register an item for the admin whose bearer token ``context`` carries."""
        return await self._transport.call(CREATE_MEDIA_ITEM, item, context)
