"""The catalogue's side of its published contract: the ``CREATE_MEDIA_ITEM`` operation.

The handler is reached in-process, or over HTTP at ``/internal/v1/catalogue/items``.
Either way the kernel has authenticated the *user* the call is made for before it runs
(the operation's ``access="admin"``: a valid, unrevoked admin access token), and the
transport has decoded the request against the contract's limits, as the public POST does.
"""

from __future__ import annotations

from streamstack.catalogue.service import CatalogueService
from streamstack.contracts.catalogue import MediaItem, NewMediaItem
from streamstack.kernel.operation import CallContext, Handler


def create_item_handler(service: CatalogueService) -> Handler:
    """The handler registering an item for the admin whose token the call carries."""

    async def create_item(request: NewMediaItem, context: CallContext) -> MediaItem:
        return await service.create_item(request, created_by=context.caller.user_id)

    return create_item
