"""Request and response bodies of the catalogue API.

The field limits are the contract's (:mod:`streamstack.contracts.limits`), so the HTTP layer
refuses bad input with a 400 before any use case runs, by exactly the rules an in-process
``CREATE_MEDIA_ITEM`` call meets. Only what is HTTP's own (paging, sort keys) is set here.
"""

from __future__ import annotations

import uuid
from typing import Literal

import msgspec

from streamstack.contracts.catalogue import (
    MediaItem,
    MediaItemFields,
    MediaStatus,
    NewMediaItem,
)
from streamstack.contracts.limits import (
    Description,
    Tags,
    Title,
)

MAX_PAGE_SIZE = 100
#: Far beyond any real catalogue, and small enough that page * page_size cannot overflow.
MAX_PAGE = 100_000

SortOrder = Literal["newest", "oldest", "title", "duration"]
StatusFilter = Literal["draft", "published", "all"]


class CreateMediaItem(MediaItemFields, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``POST /api/v1/catalogue/``: register an object as a media item.

    The contract's fields (``MediaItemFields``); ``id`` may be given (ingest passes the
    object's uuid) or is generated.
    """

    id: uuid.UUID | None = None

    def registration(self) -> NewMediaItem:
        """The same item in the contract's words, with its id chosen now if none was given."""
        fields = msgspec.structs.asdict(self)
        fields["id"] = str(self.id or uuid.uuid4())
        return NewMediaItem(**fields)


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
