"""HTTP routes of the catalogue under ``/api/v1/catalogue``: thin, the service does the work.

Browsing (list, get) is public and shows playable published items; a valid bearer token of
an admin shows every item with its processing state. Writes need the admin role; a stream
token, one's watch progress and one's playlists need any signed-in user.

Every route a non-admin may call answers items as ``CatalogueItem`` (the library's fields
for admins only); the item whole (``MediaItem``: object keys, uploader) only the admin-only
writes answer.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import msgspec
from litestar import (
    Controller,
    HttpMethod,
    Request,
    Response,
    delete,
    get,
    patch,
    post,
    put,
    route,
)
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, Parameter

from streamstack.catalogue.chapters import described_chapters
from streamstack.catalogue.comment_reports import CommentReportService
from streamstack.catalogue.comments import CommentService
from streamstack.catalogue.feeds import ATOM_MEDIA_TYPE, FEED_ENTRIES, FEED_PATH, VideoFeed
from streamstack.catalogue.items import ITEM_EDITED, if_match_tags
from streamstack.catalogue.likes import LikeService
from streamstack.catalogue.playlists import PlaylistService
from streamstack.catalogue.previews import LinkPreviews, share_page, start_asked, watch_page
from streamstack.catalogue.schemas import (
    MAX_PAGE,
    MAX_PAGE_SIZE,
    OEMBED_MAX_SIDE,
    Comment,
    CommentChange,
    CommentPage,
    CommentsDeleted,
    CreateMediaItem,
    DescribedChapters,
    DescriptionToRead,
    EditedMediaItem,
    ItemStatistics,
    LibraryCounts,
    LikedPage,
    Liking,
    LinkedComment,
    MadeShareLinks,
    MediaPage,
    ModeratedCommentPage,
    NewComment,
    NewCommentReport,
    NewPlaylist,
    NewShareLink,
    OEmbed,
    Paging,
    Playlist,
    PlaylistChanges,
    PlaylistMove,
    PlaylistPage,
    PlaylistSummary,
    RelatedItems,
    SaveProgress,
    SharedItem,
    SharedPlay,
    ShareLink,
    ShareLinkList,
    SortOrder,
    StatusFilter,
    TagList,
    UpdateMediaItem,
    ViewedMediaItem,
    WatchedPage,
    WatchProgress,
)
from streamstack.catalogue.service import CatalogueService
from streamstack.catalogue.shares import ShareService
from streamstack.catalogue.statistics import StatisticsService
from streamstack.catalogue.watching import WatchingService, known_account
from streamstack.contracts.catalogue import (
    UPLOADS_PATH,
    MediaItem,
    MediaVisibility,
    ProcessingFilter,
    normalize_tag,
)
from streamstack.contracts.limits import (
    COMMENTS_PAGE_MAX,
    ONE_LINE,
    RELATED_LIMIT_MAX,
    SEARCH_MAX,
    STATISTICS_DAYS_DEFAULT,
    STATISTICS_DAYS_MAX,
    TAG_MAX,
    TAG_TEXT,
)
from streamstack.contracts.streaming import StreamTokenGrant
from streamstack.kernel.conditions import etag_list_matches
from streamstack.kernel.dependencies import CALLER, provide_values
from streamstack.kernel.errors import AppError
from streamstack.kernel.guards import (
    OPEN_TO_GUESTS,
    Principal,
    optional_principal,
    requires_admin,
    requires_user,
)
from streamstack.kernel.http import client_address
from streamstack.kernel.module import ModuleRouter
from streamstack.kernel.openapi import BEARER, OPTIONAL_BEARER, error_responses
from streamstack.kernel.operation import CallContext
from streamstack.kernel.spa import SpaIndex

PREFIX = "/api/v1/catalogue"
#: An item's entity tag, answered with it to admins (GET, PATCH) and in its ``etag``.
ITEM_ETAG = ResponseHeader(
    name="ETag",
    description="Admins only: the item's entity tag (its `etag`): send it as `If-Match` "
    "with an edit, so that the edit is refused should another change the item meanwhile.",
    documentation_only=True,
)
#: Makes an edit or a deletion conditional (RFC 9110 §13.1.1): the item's ``etag`` as read.
IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        max_length=1000,
        description="The item's `etag` (or `ETag` header) as read before: the edit or deletion "
        "is made only if the title, description, tags, status, schedule (`publish_at`), "
        "visibility and comments setting are still as read, else 412 `changed_elsewhere` "
        "and nothing changes (two admins, two tabs or two scripts at one item). Without it "
        "the edit or deletion is made whatever the item holds. A value that is no list of "
        'quoted entity tags (nor `*`) is 400 `invalid_if_match`; a weak tag (`W/"…"`) '
        "never matches (RFC 9110's strong comparison).",
    ),
]
#: The 412 an item's conditional edit or deletion is refused with.
ITEM_CHANGED = (
    "`If-Match` no longer names the item (`changed_elsewhere`): another changed its "
    f"{ITEM_EDITED} since it was read. Nothing changed."
)
PLAYLIST_CHANGED = (
    "`If-Match` no longer names the playlist (`changed_elsewhere`): another edit changed its "
    "title or description since it was read. Nothing changed."
)
#: Makes a playlist's rename or delete conditional: its ``etag`` as read before (as
#: :data:`IfMatch`).
PlaylistIfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        max_length=1000,
        description="The playlist's `etag` as read before a rename or the delete: it is made "
        "only if the title and description are still as read, else 412 `changed_elsewhere` "
        "and nothing changes (two tabs renaming one playlist). Without it the change is made "
        "whatever the playlist holds. A value that is no list of quoted entity tags (nor `*`) "
        "is 400 `invalid_if_match`.",
    ),
]
#: The feed's entity tag: send it as ``If-None-Match`` to be told 304 when nothing changed.
FEED_ETAG = ResponseHeader(
    name="ETag",
    description="The feed's entity tag: send it as `If-None-Match` to be answered 304 "
    "(no body) while the feed is unchanged.",
    documentation_only=True,
)
#: Where oEmbed is answered, under the catalogue's prefix.
OEMBED_PATH = "/oembed"
#: The longest address oEmbed is asked about.
OEMBED_URL_MAX = 2000
#: The SPA's pages of one video: a watch page, a share link's page and its embed page.
WATCH_ROUTE = "/watch/{item_id:str}"
SHARED_ROUTES = ["/s/{secret:str}", "/embed/s/{secret:str}"]
#: Enough for a tag cloud or a filter's suggestions.
MAX_TAGS_LISTED = 500


class BrowsingController(Controller):
    """Browse media items: public, and an admin's bearer token shows every item."""

    path = "/"
    tags = ["catalogue"]
    security = OPTIONAL_BEARER

    @get(
        "/",
        summary="List media items",
        responses=error_responses(
            {429: "This address searched too often (`searches_throttled`); see `Retry-After`."}
        ),
    )
    async def list_items(
        self,
        request: Request[Any, Any, Any],
        service: NamedDependency[CatalogueService],
        page: PageNumber = 1,
        page_size: PageSize = 20,
        q: Annotated[
            str | None,
            Parameter(
                max_length=SEARCH_MAX,
                pattern=ONE_LINE,
                description="case-insensitive search of title, description and tags; "
                "an item's id finds that item",
            ),
        ] = None,
        tag: Annotated[
            str | None, Parameter(max_length=TAG_MAX, pattern=ONE_LINE, description="only this tag")
        ] = None,
        sort: SortOrder = "newest",
        status: Annotated[
            StatusFilter, Parameter(description="admins only; others always see published")
        ] = "published",
        processing: Annotated[
            ProcessingFilter | None,
            Parameter(
                description="admins only: just the items in this processing state, or "
                "`outdated` ones (a picture never transcoded, or packaged by an older version)"
            ),
        ] = None,
        visibility: Annotated[
            MediaVisibility | None,
            Parameter(
                description="admins only: just the `listed` or the `unlisted` items (others "
                "are never shown unlisted ones)"
            ),
        ] = None,
    ) -> MediaPage:
        """Playable published listed items, newest first by default; admins may list drafts
        or all, and filter by processing state (e.g. the failed ones) or visibility. Searches the catalogue runs
        for anyone but an admin are budgeted per client address (429 past it)."""
        # The caller and the paging are read here, not injected: Litestar resolves two or
        # more dependencies of a handler concurrently, in a task group of their own (about
        # 50 µs of the hottest uncached route's CPU); one dependency is awaited directly.
        viewer = await optional_principal(request)
        return await service.list_items(
            admin=viewer is not None and viewer.is_admin,
            status=status,
            processing=processing,
            visibility=visibility,
            q=q,
            tag=tag,
            sort=sort,
            page=page,
            page_size=page_size,
            client=client_address(request),
        )

    @get("/{item_id:uuid}", summary="Get a media item", response_headers=[ITEM_ETAG])
    async def get_item(
        self,
        service: NamedDependency[CatalogueService],
        watching: NamedDependency[WatchingService],
        likes: NamedDependency[LikeService],
        viewer: NamedDependency[Principal | None],
        item_id: uuid.UUID,
    ) -> Response[ViewedMediaItem]:
        """One item; what a viewer cannot play (a draft, a not yet playable item) is 404
        except for admins. A signed-in caller also gets their ``progress`` in it (resume)
        and whether they like it; an admin its ``ETag``, for ``If-Match`` when editing it."""
        item = await service.get_item(item_id, admin=viewer is not None and viewer.is_admin)
        progress = await watching.find(viewer, item_id) if viewer is not None else None
        viewed = ViewedMediaItem(
            **msgspec.structs.asdict(item),
            progress=progress or msgspec.UNSET,
            liked=await likes.likes(viewer, item_id) if viewer is not None else msgspec.UNSET,
        )
        return Response(viewed, headers=_etag_header(item.etag))

    @get("/{item_id:uuid}/related", summary="What to watch next")
    async def related_items(
        self,
        service: NamedDependency[CatalogueService],
        viewer: NamedDependency[Principal | None],
        item_id: uuid.UUID,
        limit: Annotated[int, Parameter(ge=1, le=RELATED_LIMIT_MAX)] = 8,
    ) -> RelatedItems:
        """Items to watch after this one, the first to play next: the next title of its
        numbered series ("Episode 3" after "Episode 2"; "S02E01" after a season's last,
        "S01E10"), for a signed-in caller the first following one they have not watched to
        the end; then playable published items sharing its tags (the most shared first,
        then the most viewed), then the most viewed others; for a signed-in caller, those
        they watched to the end last. 404 as for the item itself."""
        return await service.related_items(
            item_id,
            admin=viewer is not None and viewer.is_admin,
            limit=limit,
            viewer=known_account(viewer),
        )

    @get("/tags", summary="List tags with counts")
    async def list_tags(
        self,
        service: NamedDependency[CatalogueService],
        viewer: NamedDependency[Principal | None],
        prefix: Annotated[
            str | None,
            Parameter(
                max_length=TAG_MAX, pattern=ONE_LINE, description="only tags starting with this"
            ),
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_TAGS_LISTED)] = 100,
    ) -> TagList:
        """Tags and how many items carry each, most used first: playable published items
        for everyone, every item for admins."""
        return await service.list_tags(
            admin=viewer is not None and viewer.is_admin, prefix=prefix, limit=limit
        )


class FeedController(Controller):
    """The new videos as an Atom feed for feed readers: public as Browse is (on a
    members-only server the app's guard answers a signed-out reader 401, naming nothing)."""

    path = "/"
    tags = ["catalogue"]
    security = OPTIONAL_BEARER

    @get(
        FEED_PATH,
        summary="New videos as an Atom feed",
        media_type=ATOM_MEDIA_TYPE,
        response_headers=[FEED_ETAG],
        responses={
            304: ResponseSpec(None, description="Not modified: the reader's copy is current")
        },
    )
    async def video_feed(
        self,
        request: Request[Any, Any, Any],
        service: NamedDependency[CatalogueService],
        feed: NamedDependency[VideoFeed],
        tag: Annotated[
            str | None,
            Parameter(
                min_length=1,
                max_length=TAG_MAX,
                pattern=TAG_TEXT,
                description="only the videos with this tag (as Browse's tag filter)",
            ),
        ] = None,
    ) -> Response[bytes]:
        """An Atom 1.0 feed (RFC 4287) of the newest videos a signed-out visitor's Browse
        shows (of one tag, if given), linked to the server's public address; a repeat with
        the feed's ``ETag`` as ``If-None-Match`` is 304 while no video in it changed."""
        await optional_principal(request)  # a token sent must be valid, as on Browse
        items = await service.newest_listed(tag=tag, limit=FEED_ENTRIES)
        origin = feed.origin(str(request.base_url))
        written = feed.write(items, origin=origin, tag=normalize_tag(tag) if tag else None)
        headers = {"ETag": written.etag, "Cache-Control": feed.cache_control}
        if_none_match = request.headers.get("if-none-match")
        if if_none_match is not None and etag_list_matches(if_none_match, written.etag, weak=True):
            return Response(b"", status_code=304, headers=headers)
        return Response(written.body, media_type=ATOM_MEDIA_TYPE, headers=headers)


class CurationController(Controller):
    """Register, edit, publish and delete media items: admins only."""

    path = "/"
    tags = ["catalogue"]
    guards = [requires_admin]
    security = BEARER

    @post(
        "/",
        status_code=201,
        summary="Register a stored object as a media item",
        description="Makes an item of an object already in the media bucket, named by the "
        "item's id (`<id>.<extension>`): what ingest does once an upload is stored and read. "
        "Nothing is uploaded here, and an item whose object is not there cannot be played. "
        f"To add a video, upload it: `POST {UPLOADS_PATH}` (tus, resumable) or "
        "`POST /api/v1/ingest/upload` (one form); ingest reads it and registers the item.",
    )
    async def create_item(
        self,
        service: NamedDependency[CatalogueService],
        principal: NamedDependency[Principal],
        data: CreateMediaItem,
    ) -> MediaItem:
        """Register an object already stored as an item (admins; ingest uses the contract)."""
        return await service.create_item(data.registration(), created_by=principal.user_id)

    @patch(
        "/{item_id:uuid}",
        summary="Edit, publish or unpublish",
        response_headers=[ITEM_ETAG],
        responses=error_responses(
            {
                409: "`already_published`: a schedule (`publish_at`) set or cancelled on an "
                "item that went public already; unpublish it first. Nothing changed.",
                412: ITEM_CHANGED,
            }
        ),
    )
    async def update_item(
        self,
        service: NamedDependency[CatalogueService],
        principal: NamedDependency[Principal],
        item_id: uuid.UUID,
        data: UpdateMediaItem,
        if_match: IfMatch = None,
    ) -> Response[EditedMediaItem]:
        """Change title, description or tags (only those given); ``status`` publishes or
        unpublishes (the answer's ``paused_share_links``: how many of its share links stop
        working until it is published again). With ``If-Match``, only while the item is as
        it was read (412 otherwise); the answer's ``ETag`` is the edited item's."""
        item = await service.update_item(
            item_id, data, by=principal.user_id, if_match=if_match_tags(if_match)
        )
        return Response(item, headers=_etag_header(item.etag))

    @get("/counts", summary="What the library holds, counted")
    async def library_counts(self, service: NamedDependency[CatalogueService]) -> LibraryCounts:
        """How many items each choice of the Library's Status and Processing filters shows
        (failed transcodes among them), and how many comments have reports waiting for an
        admin; one cheap statement, read by the SPA's nav and the Library."""
        return await service.library_counts()

    @post("/description-chapters", status_code=200, summary="Read a description's chapters")
    async def description_chapters(self, data: DescriptionToRead) -> DescribedChapters:
        """The chapters ``description`` gives a video of ``duration_seconds`` (YouTube's rule,
        as an item's are read), and why its timestamped lines make none: the edit and upload
        forms say so under the field as it is typed. Nothing is stored."""
        chapters, unused = described_chapters(data.description, data.duration_seconds)
        return DescribedChapters(chapters=chapters, unused_because=unused)

    @delete(
        "/{item_id:uuid}",
        status_code=204,
        summary="Delete",
        responses=error_responses({412: ITEM_CHANGED}),
    )
    async def delete_item(
        self,
        service: NamedDependency[CatalogueService],
        principal: NamedDependency[Principal],
        item_id: uuid.UUID,
        if_match: IfMatch = None,
    ) -> None:
        """Delete an item; its ``media.deleted`` event has its tokens and objects taken down.
        With ``If-Match``, only while the item is as it was read (412 otherwise)."""
        await service.delete_item(item_id, by=principal.user_id, if_match=if_match_tags(if_match))


class SignedInController(Controller):
    """Routes for any signed-in caller: the bearer token is required, any role will do."""

    path = "/"
    guards = [requires_user]
    security = BEARER


class PlaybackController(SignedInController):
    """What a signed-in viewer needs to play an item."""

    tags = ["catalogue"]

    @post(
        "/{item_id:uuid}/stream-token",
        status_code=200,
        summary="Get a stream token",
        responses=error_responses(
            {429: "This account asked for stream tokens too fast (`stream_tokens_throttled`)."}
        ),
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


class WatchingController(SignedInController):
    """The signed-in caller's watch progress: resume, continue watching, history.

    Saving uses ``PUT`` with the bearer token like every other call. For the save when the
    page is hidden or closed, the SPA sends the same request with ``fetch(...,
    {keepalive: true})``, which outlives the page and can carry ``Authorization``
    (``navigator.sendBeacon`` cannot, and a token in a URL or body would end up in logs).
    The body is read as JSON whatever its ``Content-Type``, so a beacon-style
    ``text/plain`` blob is accepted too.
    """

    tags = ["watching"]

    @put("/{item_id:uuid}/progress", summary="Save my position in an item")
    async def save_progress(
        self,
        watching: NamedDependency[WatchingService],
        principal: NamedDependency[Principal],
        item_id: uuid.UUID,
        data: SaveProgress,
    ) -> WatchProgress:
        """Record where the caller is (seconds); idempotent. 404 for an item they cannot play."""
        return await watching.save(principal, item_id, data)

    @get("/{item_id:uuid}/progress", summary="Get my position in an item")
    async def get_progress(
        self,
        watching: NamedDependency[WatchingService],
        principal: NamedDependency[Principal],
        item_id: uuid.UUID,
    ) -> WatchProgress:
        """Where the caller is in the item (position 0 and ``updated_at`` null if never
        played)."""
        return await watching.get(principal, item_id)

    @get("/me/continue-watching", summary="Continue watching")
    async def continue_watching(
        self,
        watching: NamedDependency[WatchingService],
        principal: NamedDependency[Principal],
        paging: NamedDependency[Paging],
    ) -> WatchedPage:
        """Items the caller started and did not finish, most recently watched first."""
        return await watching.continue_watching(principal, paging)

    @get("/me/history", summary="My watch history")
    async def history(
        self,
        watching: NamedDependency[WatchingService],
        principal: NamedDependency[Principal],
        paging: NamedDependency[Paging],
    ) -> WatchedPage:
        """Everything the caller watched, finished or not, most recently watched first."""
        return await watching.history(principal, paging)

    @delete("/me/history/{item_id:uuid}", status_code=204, summary="Remove from my history")
    async def remove_from_history(
        self,
        watching: NamedDependency[WatchingService],
        principal: NamedDependency[Principal],
        item_id: uuid.UUID,
    ) -> None:
        """Forget the caller's progress in one item (404 if it is not in their history)."""
        await watching.remove(principal, item_id)

    @delete("/me/history", status_code=204, summary="Clear my history")
    async def clear_history(
        self, watching: NamedDependency[WatchingService], principal: NamedDependency[Principal]
    ) -> None:
        """Forget the caller's progress in every item."""
        await watching.clear(principal)


#: What every like route is handed: the use cases.
Likes = NamedDependency[LikeService]


class LikeController(SignedInController):
    """The signed-in caller's likes: liking an item they may read (404 otherwise, as
    reading it) and their list of liked videos. Only counts are told to others."""

    tags = ["likes"]

    @put("/{item_id:uuid}/like", summary="Like an item")
    async def like_item(
        self, likes: Likes, principal: NamedDependency[Principal], item_id: uuid.UUID
    ) -> Liking:
        """The caller likes the item; idempotent (liking again counts once). Any body is
        ignored."""
        return await likes.like(principal, item_id)

    @delete("/{item_id:uuid}/like", status_code=200, summary="Stop liking an item")
    async def unlike_item(
        self, likes: Likes, principal: NamedDependency[Principal], item_id: uuid.UUID
    ) -> Liking:
        """The caller no longer likes the item; idempotent (unliking what they did not like
        changes nothing)."""
        return await likes.unlike(principal, item_id)

    @get("/me/likes", summary="My liked videos")
    async def liked_items(
        self, likes: Likes, principal: NamedDependency[Principal], paging: NamedDependency[Paging]
    ) -> LikedPage:
        """The items the caller likes and may still watch, the most recently liked first."""
        return await likes.liked(principal, paging)


#: What every playlist route is handed: the use cases, and the caller, whose playlists they are.
Playlists = NamedDependency[PlaylistService]
Owner = NamedDependency[Principal]


class PlaylistController(SignedInController):
    """The signed-in caller's own playlists. Another user's playlist is 404, as a missing
    one is; only items the caller may see are added, and only those are shown."""

    path = "/me/playlists"
    tags = ["playlists"]

    @get("/", summary="My playlists")
    async def list_playlists(
        self,
        playlists: Playlists,
        principal: Owner,
        paging: NamedDependency[Paging],
        item: Annotated[
            uuid.UUID | None,
            Parameter(description="an item: each playlist then says whether it holds it"),
        ] = None,
    ) -> PlaylistPage:
        """The caller's playlists, the most recently changed first, each with how many
        items it shows and its first one's thumbnail."""
        return await playlists.page(principal, paging, item=item)

    @post("/", status_code=201, summary="Create a playlist")
    async def create_playlist(
        self, playlists: Playlists, principal: Owner, data: NewPlaylist
    ) -> PlaylistSummary:
        """A new, empty playlist (409 ``too_many_playlists`` past the limit)."""
        return await playlists.create(principal, data)

    @get("/{playlist_id:uuid}", summary="Get a playlist and its items")
    async def get_playlist(
        self, playlists: Playlists, principal: Owner, playlist_id: uuid.UUID
    ) -> Playlist:
        """The playlist and the items the caller may see, in order."""
        return await playlists.get(principal, playlist_id)

    @patch(
        "/{playlist_id:uuid}",
        summary="Rename, describe or share a playlist",
        responses=error_responses({412: PLAYLIST_CHANGED}),
    )
    async def edit_playlist(
        self,
        playlists: Playlists,
        principal: Owner,
        playlist_id: uuid.UUID,
        data: PlaylistChanges,
        if_match: PlaylistIfMatch = None,
    ) -> PlaylistSummary:
        """Change the playlist's title, description or ``visibility`` (``unlisted``: anyone
        signed in with its link may view, play and copy it). With ``If-Match``, only while
        its title and description are as they were read (412 otherwise)."""
        return await playlists.edit(principal, playlist_id, data, if_match=if_match_tags(if_match))

    @delete(
        "/{playlist_id:uuid}",
        status_code=204,
        summary="Delete a playlist",
        responses=error_responses({412: PLAYLIST_CHANGED}),
    )
    async def delete_playlist(
        self,
        playlists: Playlists,
        principal: Owner,
        playlist_id: uuid.UUID,
        if_match: PlaylistIfMatch = None,
    ) -> None:
        """Delete the playlist; its items stay in the catalogue. With ``If-Match``, only
        while its title and description are as they were read (412 otherwise)."""
        await playlists.delete(principal, playlist_id, if_match=if_match_tags(if_match))

    @put("/{playlist_id:uuid}/items/{item_id:uuid}", summary="Add an item to a playlist")
    async def add_to_playlist(
        self, playlists: Playlists, principal: Owner, playlist_id: uuid.UUID, item_id: uuid.UUID
    ) -> PlaylistSummary:
        """Put an item the caller may see at the end (idempotent: one already in it stays
        where it is); 409 ``playlist_full`` past the limit."""
        return await playlists.add(principal, playlist_id, item_id)

    @patch("/{playlist_id:uuid}/items/{item_id:uuid}", summary="Move an item in a playlist")
    async def move_in_playlist(
        self,
        playlists: Playlists,
        principal: Owner,
        playlist_id: uuid.UUID,
        item_id: uuid.UUID,
        data: PlaylistMove,
    ) -> Playlist:
        """Move the item to ``position`` (0 first) among the items shown; the playlist in
        its new order."""
        return await playlists.move(principal, playlist_id, item_id, data.position)

    @delete(
        "/{playlist_id:uuid}/items/{item_id:uuid}",
        status_code=204,
        summary="Remove an item from a playlist",
    )
    async def remove_from_playlist(
        self, playlists: Playlists, principal: Owner, playlist_id: uuid.UUID, item_id: uuid.UUID
    ) -> None:
        """Take the item out of the playlist (404 if it is not in it)."""
        await playlists.remove(principal, playlist_id, item_id)


class SharedPlaylistController(SignedInController):
    """A playlist opened by its link: the caller's own, or another's its owner made
    ``unlisted``. A private playlist of someone else's is 404, as a missing one is."""

    path = "/playlists"
    tags = ["playlists"]

    @get("/{playlist_id:uuid}", summary="Open a playlist by its link")
    async def open_playlist(
        self, playlists: Playlists, principal: Owner, playlist_id: uuid.UUID
    ) -> Playlist:
        """The playlist and the items the caller may see, in order: all of its owner's, or
        to anyone else the published, playable ones (``mine`` false; they cannot change it)."""
        return await playlists.open(principal, playlist_id)

    @post(
        "/{playlist_id:uuid}/copies",
        status_code=201,
        summary="Save a copy to my playlists",
        responses=error_responses(
            {409: "Past the caller's playlist limit (`too_many_playlists`)."}
        ),
    )
    async def copy_playlist(
        self, playlists: Playlists, principal: Owner, playlist_id: uuid.UUID
    ) -> PlaylistSummary:
        """A new private playlist of the caller's with the title, description and items
        (those they see, in order) of one its link opens for them."""
        return await playlists.copy(principal, playlist_id)


#: What every comment route is handed: the use cases.
Comments = NamedDependency[CommentService]
#: ``limit`` of every page of comments' query.
CommentsLimit = Annotated[int, Parameter(ge=1, le=COMMENTS_PAGE_MAX)]


class CommentReadingController(Controller):
    """An item's comments: public, as the item is."""

    path = "/"
    tags = ["comments"]
    security = OPTIONAL_BEARER

    @get("/{item_id:uuid}/comments", summary="An item's comments")
    async def list_comments(
        self,
        comments: Comments,
        viewer: NamedDependency[Principal | None],
        item_id: uuid.UUID,
        cursor: Annotated[
            str | None,
            Parameter(
                description="the `next` of the page before (400 `invalid_cursor` for one the "
                "server did not make); none for the newest comments"
            ),
        ] = None,
        limit: CommentsLimit = 20,
    ) -> CommentPage:
        """The item's top-level comments, newest first, a page at a time (``total``
        counts their replies too); 404 as for the item itself. While its comments are off,
        viewers get none (``enabled`` false) and admins all."""
        return await comments.page(viewer, item_id, cursor=cursor, limit=limit)

    @get(
        "/{item_id:uuid}/comments/{comment_id:uuid}",
        summary="One comment, in its thread",
        responses=error_responses(
            {
                404: "No such item, or none the caller may read; no such comment of it, or "
                "its comments are off to the caller (`comment_not_found`)."
            }
        ),
    )
    async def linked_comment(
        self,
        comments: Comments,
        viewer: NamedDependency[Principal | None],
        item_id: uuid.UUID,
        comment_id: uuid.UUID,
    ) -> LinkedComment:
        """One of the item's comments, as a link to it opens it: with the comment it
        answers when it is a reply; 404 as for the item itself, and as for a missing
        comment while its comments are off (admins read it then)."""
        return await comments.linked(viewer, item_id, comment_id)

    @get(
        "/comments/{comment_id:uuid}/replies",
        summary="A comment's replies",
        responses=error_responses(
            {
                404: "No such top-level comment, or not one the caller may read "
                "(`comment_not_found`, as a missing one)."
            }
        ),
    )
    async def list_replies(
        self,
        comments: Comments,
        viewer: NamedDependency[Principal | None],
        comment_id: uuid.UUID,
        cursor: Annotated[
            str | None,
            Parameter(
                description="the `next` of the page before (400 `invalid_cursor` for one the "
                "server did not make); none for the oldest replies"
            ),
        ] = None,
        limit: CommentsLimit = 20,
    ) -> CommentPage:
        """A top-level comment's replies, oldest first, a page at a time (``total``: how
        many it has). While its item's comments are off, viewers get none (``enabled``
        false) and admins all."""
        return await comments.replies(viewer, comment_id, cursor=cursor, limit=limit)


class CommentController(SignedInController):
    """Posting, editing and deleting comments: any signed-in caller, on their own."""

    tags = ["comments"]

    @post(
        "/{item_id:uuid}/comments",
        status_code=201,
        summary="Post a comment",
        responses=error_responses(
            {
                404: "No such item, or `reply_to` names no comment of it (`comment_not_found`).",
                409: "The item's comments are off (`comments_off`), or the account has no "
                "display name to show (`display_name_required`).",
                429: "This account posted comments too fast (`comments_throttled`); see "
                "`Retry-After`.",
            }
        ),
    )
    async def post_comment(
        self, comments: Comments, principal: Owner, item_id: uuid.UUID, data: NewComment
    ) -> Comment:
        """A new comment by the caller, shown with their display name, or a reply to one of
        the item's comments (``reply_to``); 404 as for the item (``comment_not_found``
        when ``reply_to`` names no comment of it)."""
        return await comments.post(principal, item_id, data)

    @patch(
        "/comments/{comment_id:uuid}",
        summary="Edit my comment",
        responses=error_responses({409: "The item's comments are off (`comments_off`)."}),
    )
    async def edit_comment(
        self, comments: Comments, principal: Owner, comment_id: uuid.UUID, data: CommentChange
    ) -> Comment:
        """The caller's comment with its new text (``edited_at`` set); anyone else's is
        404 ``comment_not_found``, as a missing one."""
        return await comments.edit(principal, comment_id, data)

    @delete("/comments/{comment_id:uuid}", status_code=204, summary="Delete a comment")
    async def delete_comment(
        self, comments: Comments, principal: Owner, comment_id: uuid.UUID
    ) -> None:
        """Delete the caller's own comment, or any as an admin; anyone else's is 404
        ``comment_not_found``, as a missing one."""
        await comments.delete(principal, comment_id)

    @post(
        "/comments/{comment_id:uuid}/reports",
        status_code=204,
        summary="Report a comment",
        responses=error_responses(
            {
                404: "No such comment, or not one the caller may read (`comment_not_found`, "
                "the same answer).",
                409: "The caller's own comment (`own_comment`).",
                429: "This account reported comments too fast (`reports_throttled`); see "
                "`Retry-After`.",
            }
        ),
    )
    async def report_comment(
        self,
        reports: Reports,
        principal: Owner,
        comment_id: uuid.UUID,
        data: NewCommentReport,
    ) -> None:
        """Tell the admins that someone else's comment needs their eyes, and optionally
        why. Reporting it again changes nothing: the first report and its reason stay."""
        await reports.report(principal, comment_id, data)


#: What the report and moderation routes are handed: their use cases.
Reports = NamedDependency[CommentReportService]
#: ``author`` of the admins' comment routes: an account's id.
AUTHOR_PARAMETER = Parameter(description="an account's id (its comments alone)")
CommentAuthorId = Annotated[uuid.UUID | None, AUTHOR_PARAMETER]


class CommentModerationController(Controller):
    """The admins' list of every video's comments, and dismissing a comment's reports."""

    path = "/"
    tags = ["comments"]
    guards = [requires_admin]
    security = BEARER

    @get("/comments", summary="Every video's comments")
    async def moderated_comments(
        self,
        reports: Reports,
        principal: Owner,
        cursor: Annotated[
            str | None,
            Parameter(
                description="the `next` of the page before, in the same order (400 "
                "`invalid_cursor` for one the server did not make); none for the first page"
            ),
        ] = None,
        limit: CommentsLimit = 20,
        reported: Annotated[
            bool,
            Parameter(description="only comments with reports, the most recently reported first"),
        ] = False,
        author: CommentAuthorId = None,
    ) -> ModeratedCommentPage:
        """Every item's comments (drafts' too), newest first, each with its video's title
        and its reports (how many, the newest reasons); ``reported``: only reported ones;
        ``author``: one account's alone (``author`` then says its name and count)."""
        return await reports.page(
            principal, cursor=cursor, limit=limit, reported=reported, author=author
        )

    @delete(
        "/comments",
        status_code=200,
        summary="Delete every comment of one account",
        responses=error_responses({400: "No `author`, or not an account id."}),
    )
    async def delete_comments_of(
        self,
        reports: Reports,
        principal: NamedDependency[Principal],
        author: Annotated[uuid.UUID, AUTHOR_PARAMETER],
    ) -> CommentsDeleted:
        """Delete every comment the account wrote, replies included (their reports with
        them; one others answered stays as a placeholder over their replies), in one
        transaction, each item's and comment's count kept right; how many went (0 for an
        account with none)."""
        return await reports.remove_by(author, by=principal.user_id)

    @delete(
        "/comments/{comment_id:uuid}/reports",
        status_code=204,
        summary="Dismiss a comment's reports",
        responses=error_responses({404: "No such comment (`comment_not_found`)."}),
    )
    async def dismiss_reports(
        self, reports: Reports, principal: NamedDependency[Principal], comment_id: uuid.UUID
    ) -> None:
        """Keep the comment and delete its reports. Again: 204, nothing more changes."""
        await reports.dismiss(comment_id, by=principal.user_id)


# --- share links (catalogue/shares.py) -------------------------------------------------------

Shares = NamedDependency[ShareService]
#: Every refusal of a link, whatever the reason (also a secret of the wrong shape).
_NO_SUCH_LINK = {404: "The link does not work (`share_not_found`), whatever the reason."}


class ShareLinkController(Controller):
    """An admin's share links: make one for a published item, list an item's or an admin's,
    stop one."""

    path = "/"
    tags = ["share links"]
    guards = [requires_admin]
    security = BEARER

    @post(
        "/{item_id:uuid}/shares",
        status_code=201,
        summary="Create a share link",
        responses=error_responses(
            {
                404: "No such item (`item_not_found`).",
                409: "The item is a draft (`item_not_published`), or has as many live links "
                "as it may (`too_many_share_links`).",
            }
        ),
    )
    async def create_share(
        self,
        shares: Shares,
        principal: NamedDependency[Principal],
        item_id: uuid.UUID,
        data: NewShareLink,
    ) -> ShareLink:
        """A link that lets anyone who has it watch this published video without an
        account, until it expires (``expires_in_days``; null: never) or is stopped."""
        return await shares.create(item_id, data, principal)

    @get(
        "/{item_id:uuid}/shares",
        summary="List an item's share links",
        responses=error_responses({404: "No such item (`item_not_found`)."}),
    )
    async def list_shares(self, shares: Shares, item_id: uuid.UUID) -> ShareLinkList:
        """The item's share links, the newest first, live and ended (stopped, expired)."""
        return await shares.list(item_id)

    @get("/shares", summary="List the live share links an admin made")
    async def shares_made_by(
        self,
        shares: Shares,
        made_by: Annotated[uuid.UUID, Parameter(description="an account's id (its links alone)")],
    ) -> MadeShareLinks:
        """The share links the account made that still work or are paused (neither stopped
        nor expired), the newest first, and how many in all: the links that stop for good
        should it stop being an admin. An unknown account made none."""
        return await shares.made_by(made_by)

    @delete(
        "/shares/{share_id:uuid}",
        status_code=204,
        summary="Stop sharing",
        responses=error_responses(_NO_SUCH_LINK),
    )
    async def revoke_share(
        self, shares: Shares, share_id: uuid.UUID, principal: NamedDependency[Principal]
    ) -> None:
        """Stop the link: it no longer works, and playback under way by it stops within
        seconds. Again: 204, nothing more changes."""
        await shares.revoke(share_id, by=principal.user_id)


class SharedLinkController(Controller):
    """What a share link's holder may do without an account: see the item, play it."""

    path = "/shared"
    tags = ["share links"]
    # A share link plays to whoever holds it, on a members-only server too: its purpose.
    opt = OPEN_TO_GUESTS

    @get("/{secret:str}", summary="Open a share link", responses=error_responses(_NO_SUCH_LINK))
    async def open_shared(self, shares: Shares, secret: str) -> SharedItem:
        """The video the link shares, as an anonymous reader of the item gets it, and when
        the link ends; counted as an open."""
        return await shares.open(secret)

    @post(
        "/{secret:str}/stream-token",
        status_code=200,
        summary="Get a stream token by a share link",
        responses=error_responses(
            {
                **_NO_SUCH_LINK,
                429: "This address asked for stream tokens too fast "
                "(`stream_tokens_throttled`, with `Retry-After`).",
            }
        ),
    )
    async def shared_stream_token(
        self, shares: Shares, request: Request[Any, Any, Any], secret: str
    ) -> StreamTokenGrant:
        """A URL to play the link's video from, as a viewer's (never its original once
        packaged, never a download); it stops when the link does."""
        return await shares.stream_token(secret, client_address(request))

    @post(
        "/{secret:str}/plays",
        status_code=204,
        summary="Count a play by a share link",
        responses=error_responses(
            {
                404: "The link does not work (`share_not_found`), or the ticket is not "
                "this link's, was counted already or is over a day old "
                "(`play_ticket_not_found`): nothing is counted.",
            }
        ),
    )
    async def count_shared_play(self, shares: Shares, secret: str, data: SharedPlay) -> None:
        """The page that opened the link started playing: one play of the link, counted
        once per ticket (``SharedItem.play_ticket``), anonymously."""
        await shares.count_play(secret, data.ticket)


# --- link previews (catalogue/previews.py) ---------------------------------------------------

#: ``maxwidth`` and ``maxheight`` of oEmbed's query (oEmbed 1.0 §2.2).
OEmbedSide = Annotated[int | None, Parameter(ge=1, le=OEMBED_MAX_SIDE)]


class FormatNotImplemented(AppError, status=501, code="format_not_implemented"):
    """oEmbed answers JSON alone (oEmbed 1.0 §2.3.4: 501 for a format not offered)."""


class OEmbedController(Controller):
    """oEmbed for the pages of one video: what a pasted link's card shows. Open to guests:
    a share link's card on a members-only server too; a watch page only where guests may
    browse (the previews decide, as for the pages)."""

    path = "/"
    tags = ["link previews"]
    opt = OPEN_TO_GUESTS

    @get(
        OEMBED_PATH,
        summary="oEmbed of a watch or share link page",
        responses=error_responses(
            {
                404: "No video a signed-out visitor may see at `url`, or not an address of "
                "this server (`preview_not_found`).",
                501: "`format` other than `json` (`format_not_implemented`).",
            }
        ),
    )
    async def oembed(
        self,
        request: Request[Any, Any, Any],
        previews: NamedDependency[LinkPreviews],
        url: Annotated[
            str,
            Parameter(
                min_length=1,
                max_length=OEMBED_URL_MAX,
                pattern=ONE_LINE,
                description="a watch page's or a share link's address on this server",
            ),
        ],
        format: Literal["json", "xml"] = "json",  # oEmbed's name for it
        maxwidth: OEmbedSide = None,
        maxheight: OEmbedSide = None,
    ) -> OEmbed:
        """oEmbed 1.0 of the video at ``url``: ``video`` (an iframe of its share link's
        player sized to ``maxwidth``/``maxheight`` at the video's aspect ratio, starting where
        the link's valid ``t`` says) for a share link's page, ``link`` for a watch page; only
        for what a signed-out visitor may see."""
        if format != "json":
            raise FormatNotImplemented("only format=json is offered")
        origin = previews.origin(str(request.base_url))
        item, secret = await previews.at_address(url, origin)
        return previews.oembed(
            item,
            secret,
            origin,
            max_width=maxwidth,
            max_height=maxheight,
            start=start_asked(url, item),
        )


class PreviewPageController(Controller):
    """The SPA's pages of one video, with the video's card in their ``<head>`` (see
    :mod:`~streamstack.catalogue.previews`): not the API, hence outside its prefix."""

    path = "/"
    include_in_schema = False
    # The SPA is open to all: a members-only server's pages send a guest to sign in.
    opt = OPEN_TO_GUESTS

    @route(WATCH_ROUTE, http_method=[HttpMethod.GET, HttpMethod.HEAD])
    async def watch_page(
        self,
        request: Request[Any, Any, Any],
        previews: NamedDependency[LinkPreviews],
        index: NamedDependency[SpaIndex],
        item_id: str,
    ) -> Response[bytes]:
        """A watch page: its video's card if a signed-out visitor may see it."""
        origin = previews.origin(str(request.base_url))
        item = await previews.watched(item_id)
        return index.response(previews.page(index, item, watch_page(origin, item_id), origin))

    @route(SHARED_ROUTES, http_method=[HttpMethod.GET, HttpMethod.HEAD])
    async def shared_page(
        self,
        request: Request[Any, Any, Any],
        previews: NamedDependency[LinkPreviews],
        index: NamedDependency[SpaIndex],
        secret: str,
    ) -> Response[bytes]:
        """A share link's page or its embed page: its video's card while the link works."""
        origin = previews.origin(str(request.base_url))
        item = await previews.shared(secret)
        return index.response(previews.page(index, item, share_page(origin, secret), origin))


def preview_pages_router(previews: LinkPreviews, index: SpaIndex) -> ModuleRouter:
    """The pages of one video, served where the SPA is (``index`` its built page)."""
    return ModuleRouter(
        path="/",
        route_handlers=[PreviewPageController],
        dependencies=provide_values(previews=previews, index=index),
    )


# --- statistics (catalogue/statistics.py) ----------------------------------------------------

#: How many days back the statistics reach, today the last.
StatisticsDays = Annotated[
    int,
    Parameter(
        ge=1,
        le=STATISTICS_DAYS_MAX,
        description="How many days back, today (UTC) the last.",
    ),
]


class StatisticsController(Controller):
    """How an item does, for admins: totals, never who watched what."""

    path = "/"
    tags = ["statistics"]
    guards = [requires_admin]
    security = BEARER

    @get(
        "/{item_id:uuid}/statistics",
        summary="An item's statistics",
        responses=error_responses({404: "No such item (`item_not_found`)."}),
    )
    async def item_statistics(
        self,
        statistics: NamedDependency[StatisticsService],
        item_id: uuid.UUID,
        days: StatisticsDays = STATISTICS_DAYS_DEFAULT,
    ) -> ItemStatistics:
        """The item's views (ever, and by day), time watched by day, likes, comments, share
        link opens, and how far signed-in viewers got: every day of the period listed,
        oldest first, zero when nothing was counted."""
        return await statistics.of_item(item_id, days)


def _etag_header(etag: str | msgspec.UnsetType) -> dict[str, str]:
    """The ``ETag`` header of an answer about one item: only admins are told its etag."""
    return {"ETag": etag} if isinstance(etag, str) and etag else {}


#: ``page`` and ``page_size`` of every paged route's query.
PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
PageSize = Annotated[int, Parameter(ge=1, le=MAX_PAGE_SIZE)]


def provide_paging(page: PageNumber = 1, page_size: PageSize = 20) -> Paging:
    """``page`` and ``page_size`` from the query of every paged route."""
    return Paging(page, page_size)


def catalogue_router(
    service: CatalogueService,
    watching: WatchingService,
    playlists: PlaylistService,
    comments: CommentService,
    reports: CommentReportService,
    shares: ShareService,
    likes: LikeService,
    statistics: StatisticsService,
    feed: VideoFeed,
    previews: LinkPreviews,
) -> ModuleRouter:
    """The catalogue's routes, bound to ``service``, ``watching``, ``playlists``,
    ``comments``, ``reports``, ``shares``, ``likes`` and ``statistics``."""

    return ModuleRouter(
        path=PREFIX,
        route_handlers=[
            BrowsingController,
            FeedController,
            OEmbedController,
            CurationController,
            PlaybackController,
            WatchingController,
            LikeController,
            PlaylistController,
            SharedPlaylistController,
            CommentReadingController,
            CommentController,
            CommentModerationController,
            ShareLinkController,
            SharedLinkController,
            StatisticsController,
        ],
        dependencies={
            **provide_values(
                service=service,
                watching=watching,
                playlists=playlists,
                comments=comments,
                reports=reports,
                shares=shares,
                likes=likes,
                statistics=statistics,
                feed=feed,
                previews=previews,
            ),
            **CALLER,
            "paging": Provide(provide_paging, sync_to_thread=False),
        },
    )
