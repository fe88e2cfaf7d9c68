"""The catalogue's side of its published contract: ``CREATE_MEDIA_ITEM``,
``GET_MEDIA_ITEM``, ``FIND_EXISTING_ITEMS``, ``UPDATE_FACTS``, ``UPDATE_PROCESSING`` and
``CHANGE_CAPTION``.

The handlers are reached in-process, or over HTTP at ``/internal/v1/catalogue/…``. Either
way the kernel has admitted the caller before they run (``CREATE_MEDIA_ITEM``,
``GET_MEDIA_ITEM``, ``FIND_EXISTING_ITEMS`` and ``UPDATE_FACTS``: ``access="admin"``, a
valid, unrevoked admin access token; ``UPDATE_PROCESSING`` and ``CHANGE_CAPTION``:
``access="service"``, any module — over HTTP the service secret), and the transport has
decoded the request against the contract's limits, as the public API does.
"""

from __future__ import annotations

import uuid
from typing import Any

from streamstack.catalogue.service import CatalogueService
from streamstack.contracts.catalogue import (
    CHANGE_CAPTION,
    CREATE_MEDIA_ITEM,
    FIND_EXISTING_ITEMS,
    GET_MEDIA_ITEM,
    UPDATE_FACTS,
    UPDATE_PROCESSING,
    CaptionChange,
    ExistingItems,
    FactsUpdate,
    ItemLookup,
    ItemsLookup,
    MediaItem,
    NewMediaItem,
    ProcessingUpdate,
)
from streamstack.kernel.operation import CallContext, Handler, Operation


def operation_handlers(service: CatalogueService) -> dict[Operation[Any, Any], Handler]:
    """Each operation of the contract, handled by ``service``."""
    return {
        CREATE_MEDIA_ITEM: _create_item_handler(service),
        GET_MEDIA_ITEM: _get_item_handler(service),
        FIND_EXISTING_ITEMS: _existing_items_handler(service),
        UPDATE_FACTS: _update_facts_handler(service),
        UPDATE_PROCESSING: _update_processing_handler(service),
        CHANGE_CAPTION: _change_caption_handler(service),
    }


def _create_item_handler(service: CatalogueService) -> Handler:
    """The handler registering an item for the admin whose token the call carries."""

    async def create_item(request: NewMediaItem, context: CallContext) -> MediaItem:
        return await service.create_item(request, created_by=context.caller.user_id)

    return create_item


def _get_item_handler(service: CatalogueService) -> Handler:
    """The handler answering any item as admins see it."""

    async def get_item(request: ItemLookup, _: CallContext) -> MediaItem:
        return await service.whole_item(uuid.UUID(request.media_id))

    return get_item


def _existing_items_handler(service: CatalogueService) -> Handler:
    """The handler answering which of some ids are items (ingest's storage audit)."""

    async def existing_items(request: ItemsLookup, _: CallContext) -> ExistingItems:
        found = await service.existing_items([uuid.UUID(i) for i in request.media_ids])
        return ExistingItems(sorted(str(item_id) for item_id in found))

    return existing_items


def _update_facts_handler(service: CatalogueService) -> Handler:
    """The handler recording what ingest read in an item's original again."""

    async def update_facts(request: FactsUpdate, _: CallContext) -> MediaItem:
        return await service.update_facts(request)

    return update_facts


def _update_processing_handler(service: CatalogueService) -> Handler:
    """The handler recording a transcoding worker's report on an item."""

    async def update_processing(request: ProcessingUpdate, _: CallContext) -> MediaItem:
        return await service.update_processing(request)

    return update_processing


def _change_caption_handler(service: CatalogueService) -> Handler:
    """The handler recording or forgetting one caption track of an item."""

    async def change_caption(request: CaptionChange, _: CallContext) -> MediaItem:
        return await service.change_caption(request)

    return change_caption
