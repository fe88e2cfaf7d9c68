"""HTTP routes of the catalogue under ``/api/v1/catalogue``: thin, the service does the work.

Browsing (list, get) is public and shows playable published items; a valid bearer token of
an admin shows every item with its processing state. Writes need the admin role; a stream
token needs any signed-in user.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Router, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import Parameter

from streamstack.catalogue.schemas import (
    MAX_PAGE,
    MAX_PAGE_SIZE,
    CreateMediaItem,
    MediaPage,
    SortOrder,
    StatusFilter,
    UpdateMediaItem,
)
from streamstack.catalogue.service import CatalogueService
from streamstack.contracts.catalogue import MediaItem, ProcessingState
from streamstack.contracts.limits import ONE_LINE, SEARCH_MAX, TAG_MAX
from streamstack.contracts.streaming import StreamTokenGrant
from streamstack.kernel.dependencies import CALLER, provide_values
from streamstack.kernel.guards import Principal, requires_admin, requires_user
from streamstack.kernel.openapi import BEARER, OPTIONAL_BEARER
from streamstack.kernel.operation import CallContext

PREFIX = "/api/v1/catalogue"


class CatalogueController(Controller):
    """Browse and manage media items."""

    path = "/"
    tags = ["catalogue"]

    @get("/", summary="List media items", security=OPTIONAL_BEARER)
    async def list_items(
        self,
        service: NamedDependency[CatalogueService],
        viewer: NamedDependency[Principal | None],
        q: Annotated[
            str | None,
            Parameter(
                max_length=SEARCH_MAX,
                pattern=ONE_LINE,
                description="case-insensitive search of title, description and tags",
            ),
        ] = None,
        tag: Annotated[
            str | None, Parameter(max_length=TAG_MAX, pattern=ONE_LINE, description="only this tag")
        ] = None,
        sort: SortOrder = "newest",
        page: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 1,
        page_size: Annotated[int, Parameter(ge=1, le=MAX_PAGE_SIZE)] = 20,
        status: Annotated[
            StatusFilter, Parameter(description="admins only; others always see published")
        ] = "published",
        processing: Annotated[
            ProcessingState | None,
            Parameter(description="admins only: just the items in this processing state"),
        ] = None,
    ) -> MediaPage:
        """Playable published items, newest first by default; admins may list drafts or all,
        and filter by processing state (e.g. the failed ones)."""
        return await service.list_items(
            admin=viewer is not None and viewer.is_admin,
            status=status,
            processing=processing,
            q=q,
            tag=tag,
            sort=sort,
            page=page,
            page_size=page_size,
        )

    @get("/{item_id:uuid}", summary="Get a media item", security=OPTIONAL_BEARER)
    async def get_item(
        self,
        service: NamedDependency[CatalogueService],
        viewer: NamedDependency[Principal | None],
        item_id: uuid.UUID,
    ) -> MediaItem:
        """One item; what a viewer cannot play (a draft, a not yet playable item) is 404
        except for admins."""
        return await service.get_item(item_id, admin=viewer is not None and viewer.is_admin)

    @post(
        "/",
        guards=[requires_admin],
        security=BEARER,
        status_code=201,
        summary="Register a media item",
    )
    async def create_item(
        self,
        service: NamedDependency[CatalogueService],
        principal: NamedDependency[Principal],
        data: CreateMediaItem,
    ) -> MediaItem:
        """Register an uploaded object as an item (admins; ingest uses the contract)."""
        return await service.create_item(data.registration(), created_by=principal.user_id)

    @patch(
        "/{item_id:uuid}",
        guards=[requires_admin],
        security=BEARER,
        summary="Edit, publish or unpublish",
    )
    async def update_item(
        self, service: NamedDependency[CatalogueService], item_id: uuid.UUID, data: UpdateMediaItem
    ) -> MediaItem:
        """Change title, description or tags; ``status`` publishes or unpublishes."""
        return await service.update_item(item_id, data)

    @delete(
        "/{item_id:uuid}",
        guards=[requires_admin],
        security=BEARER,
        status_code=204,
        summary="Delete",
    )
    async def delete_item(
        self, service: NamedDependency[CatalogueService], item_id: uuid.UUID
    ) -> None:
        """Delete an item; its ``media.deleted`` event has its tokens and objects taken down."""
        await service.delete_item(item_id)

    @post(
        "/{item_id:uuid}/stream-token",
        guards=[requires_user],
        security=BEARER,
        status_code=200,
        summary="Get a stream token",
    )
    async def stream_token(
        self,
        service: NamedDependency[CatalogueService],
        principal: NamedDependency[Principal],
        call_context: NamedDependency[CallContext],
        item_id: uuid.UUID,
    ) -> StreamTokenGrant:
        """A URL to play the item from, issued by streaming for the caller."""
        return await service.issue_stream_token(
            item_id, admin=principal.is_admin, context=call_context
        )


def catalogue_router(service: CatalogueService) -> Router:
    """The catalogue's routes, bound to ``service``."""

    return Router(
        path=PREFIX,
        route_handlers=[CatalogueController],
        dependencies={**provide_values(service=service), **CALLER},
    )
