"""Request and response bodies of the catalogue API, with their limits.

The limits live here, as ``msgspec.Meta`` constraints, so that the HTTP layer refuses
bad input with a 400 before any use case runs; the in-process contract call converts its
:class:`~streamstack.contracts.catalogue.NewMediaItem` into the same :class:`CreateMediaItem`
so it meets exactly the same rules.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import msgspec

from streamstack.contracts.catalogue import MediaItem, MediaStatus

MAX_PAGE_SIZE = 100
#: Far beyond any real catalogue, and small enough that page * page_size cannot overflow.
MAX_PAGE = 100_000
MAX_TAGS = 20

SortOrder = Literal["newest", "oldest", "title", "duration"]
StatusFilter = Literal["draft", "published", "all"]

# No control characters in one-line text, and never NUL or a lone surrogate anywhere:
# Postgres refuses both (an in-process caller could pass them; JSON decoding cannot).
ONE_LINE = r"^[^\x00-\x1f\x7f\ud800-\udfff]*$"
_NO_NUL = r"^[^\x00\ud800-\udfff]*$"

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=ONE_LINE)]
Description = Annotated[str, msgspec.Meta(max_length=5000, pattern=_NO_NUL)]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=ONE_LINE)]
Tags = Annotated[list[Tag], msgspec.Meta(max_length=MAX_TAGS)]
ObjectKey = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
ContentType = Annotated[
    str, msgspec.Meta(min_length=3, max_length=255, pattern=r"^[A-Za-z0-9][\w.+-]*/[\w.+-]+$")
]
Codec = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[\w.+-]+$")]
Dimension = Annotated[int, msgspec.Meta(ge=1, le=65_535)]
SearchText = Annotated[str, msgspec.Meta(max_length=200)]


class CreateMediaItem(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``POST /api/v1/catalogue/``: register an object as a media item.

    The same fields as the ingest contract's ``NewMediaItem``; ``id`` may be given (ingest
    passes the object's uuid) or is generated.
    """

    title: Title
    s3_key: ObjectKey
    size_bytes: Annotated[int, msgspec.Meta(ge=0, le=2**62)]
    content_type: ContentType
    id: uuid.UUID | None = None
    description: Description = ""
    tags: Tags = []
    publish: bool = True
    duration_seconds: Annotated[float, msgspec.Meta(ge=0, le=10_000_000)] | None = None
    video_codec: Codec | None = None
    audio_codec: Codec | None = None
    width: Dimension | None = None
    height: Dimension | None = None
    fps: Annotated[float, msgspec.Meta(gt=0, le=1000)] | None = None
    thumbnail_s3_key: ObjectKey | None = None


class UpdateMediaItem(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``PATCH /api/v1/catalogue/{id}``: the fields to change; ``status`` publishes or unpublishes."""

    title: Title | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    tags: Tags | msgspec.UnsetType = msgspec.UNSET
    status: MediaStatus | msgspec.UnsetType = msgspec.UNSET


class MediaPage(msgspec.Struct, frozen=True):
    """One page of a list, and how many items match in all."""

    items: list[MediaItem]
    total: int
    page: int
    page_size: int
