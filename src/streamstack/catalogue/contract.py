"""The catalogue's side of its published contract: the ``CREATE_MEDIA_ITEM`` operation.

The handler is reached in-process, or over HTTP at ``/internal/v1/catalogue/items`` where
the kernel has only checked the service secret. Either way it authorises the *user* the
call is made for itself: the forwarded bearer token must be a valid admin access token.
"""

from __future__ import annotations

import msgspec

from streamstack.catalogue.schemas import CreateMediaItem
from streamstack.catalogue.service import CatalogueService
from streamstack.contracts.catalogue import MediaItem, NewMediaItem
from streamstack.kernel.errors import BadRequest, Forbidden, Unauthorized
from streamstack.kernel.jwt import TokenVerifier
from streamstack.kernel.operation import CallContext, Handler


def create_item_handler(service: CatalogueService, verifier: TokenVerifier) -> Handler:
    """The handler registering an item for the admin whose token the call carries."""

    async def create_item(request: NewMediaItem, context: CallContext) -> MediaItem:
        if not context.bearer_token:
            raise Unauthorized("a bearer token is required")
        claims = verifier.verify(context.bearer_token, "access")
        if claims.role != "admin":
            raise Forbidden("admin role required")
        try:
            # The same limits as the public POST, whichever transport brought the call.
            checked = msgspec.convert(msgspec.structs.asdict(request), CreateMediaItem)
        except msgspec.ValidationError as exc:
            raise BadRequest(str(exc), code="validation_error") from None
        return await service.create_item(checked, created_by=claims.sub)

    return create_item
