"""The catalogue's side of its published contract: ``CREATE_MEDIA_ITEM``,
``REGISTER_UPLOAD``, ``GET_MEDIA_ITEM``, ``FIND_EXISTING_ITEMS``, ``LIST_ITEMS_MEDIA``, ``UPDATE_FACTS``,
``CHANGE_STILLS``, ``REPLACE_ORIGINAL``, ``UPDATE_PROCESSING``, ``CHANGE_CAPTION``, ``READ_CAPTIONS`` and
``CHECK_CREDENTIAL``.

The handlers are reached in-process, or over HTTP at ``/internal/v1/catalogue/…``. Either
way the kernel has admitted the caller before they run (``CREATE_MEDIA_ITEM``,
``GET_MEDIA_ITEM``, ``FIND_EXISTING_ITEMS``, ``LIST_ITEMS_MEDIA``, ``UPDATE_FACTS``, ``CHANGE_STILLS`` and
``REPLACE_ORIGINAL``:
``access="admin"``, a valid, unrevoked admin access token; ``REGISTER_UPLOAD``,
``UPDATE_PROCESSING``, ``CHANGE_CAPTION``, ``READ_CAPTIONS`` and ``CHECK_CREDENTIAL``:
``access="service"``, any module — over HTTP the service secret), and the transport has
decoded the request against the contract's limits, as the public API does.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from streamstack.catalogue.service import CatalogueService
from streamstack.contracts.catalogue import (
    CHANGE_CAPTION,
    CHANGE_STILLS,
    CHECK_CREDENTIAL,
    CREATE_MEDIA_ITEM,
    FIND_EXISTING_ITEMS,
    GET_MEDIA_ITEM,
    LIST_ITEMS_MEDIA,
    READ_CAPTIONS,
    REGISTER_UPLOAD,
    REPLACE_ORIGINAL,
    UPDATE_FACTS,
    UPDATE_PROCESSING,
    CredentialCheck,
    ExistingItems,
    ItemLookup,
    ItemsLookup,
    MediaItem,
    NewMediaItem,
    UploadRegistration,
)
from streamstack.kernel.operation import CallContext, Handler, Operation, Req, Resp


def operation_handlers(service: CatalogueService) -> dict[Operation[Any, Any], Handler]:
    """Each operation of the contract, handled by ``service``."""
    return {
        CREATE_MEDIA_ITEM: _create_item_handler(service),
        REGISTER_UPLOAD: _register_upload_handler(service),
        GET_MEDIA_ITEM: _get_item_handler(service),
        FIND_EXISTING_ITEMS: _existing_items_handler(service),
        # Admin calls whose log names the admin (who changed this item?).
        UPDATE_FACTS: _for_the_admin(service.update_facts),
        CHANGE_STILLS: _for_the_admin(service.change_stills),
        REPLACE_ORIGINAL: _for_the_admin(service.replace_original),
        # Service calls and admin calls whose answer does not depend on which admin asks.
        LIST_ITEMS_MEDIA: _by_request_alone(service.items_media),
        UPDATE_PROCESSING: _by_request_alone(service.update_processing),
        CHANGE_CAPTION: _by_request_alone(service.change_caption),
        READ_CAPTIONS: _by_request_alone(service.recorded_captions),
        CHECK_CREDENTIAL: _credential_accepted,
    }


async def _credential_accepted(request: CredentialCheck, _: CallContext) -> CredentialCheck:
    """The kernel checked the caller's service secret before this runs: nothing is left."""
    return request


def _create_item_handler(service: CatalogueService) -> Handler:
    """The handler registering an item for the admin whose token the call carries."""

    async def create_item(request: NewMediaItem, context: CallContext) -> MediaItem:
        return await service.create_item(
            request, created_by=context.caller.user_id, past_schedule_due=True
        )

    return create_item


def _register_upload_handler(service: CatalogueService) -> Handler:
    """The handler registering an item for the admin its registration names (a service
    call: the kernel admitted the calling module)."""

    async def register_upload(request: UploadRegistration, _: CallContext) -> MediaItem:
        return await service.create_item(
            request.item, created_by=request.uploaded_by, past_schedule_due=True
        )

    return register_upload


def _get_item_handler(service: CatalogueService) -> Handler:
    """The handler answering any item as admins see it."""

    async def get_item(request: ItemLookup, _: CallContext) -> MediaItem:
        return await service.whole_item(uuid.UUID(request.media_id))

    return get_item


def _existing_items_handler(service: CatalogueService) -> Handler:
    """The handler answering which of some ids are items (ingest's storage audit)."""

    async def existing_items(request: ItemsLookup, _: CallContext) -> ExistingItems:
        found = await service.existing_items([uuid.UUID(i) for i in request.media_ids])
        ids = sorted(found, key=str)
        return ExistingItems([str(item_id) for item_id in ids], [found[i] for i in ids])

    return existing_items


def _for_the_admin(use_case: Callable[..., Awaitable[Resp]]) -> Handler:
    """The handler running ``use_case`` on the request for the admin whose token the call
    carries (``by``, their account id, as the public routes pass it)."""

    async def handle(request: Req, context: CallContext) -> Resp:
        return await use_case(request, by=context.caller.user_id)

    return handle


def _by_request_alone(use_case: Callable[[Req], Awaitable[Resp]]) -> Handler:
    """The handler running ``use_case`` on the request alone (not on who calls)."""

    async def handle(request: Req, _: CallContext) -> Resp:
        return await use_case(request)

    return handle
