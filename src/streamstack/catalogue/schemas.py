"""Request and response bodies of the catalogue API.

The field limits are the contract's (:mod:`streamstack.contracts.limits`), so the HTTP layer
refuses bad input with a 400 before any use case runs, by exactly the rules an in-process
``CREATE_MEDIA_ITEM`` call meets. Only what is HTTP's own (paging, sort keys) is set here.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Literal

import msgspec

from streamstack.contracts.catalogue import (
    CatalogueItem,
    MediaItem,
    MediaItemFields,
    MediaStatus,
    MediaVisibility,
    NewMediaItem,
)
from streamstack.contracts.limits import (
    COMMENT_MAX,
    COMMENTS_PAGE_MAX,
    MADE_SHARE_LINKS_LISTED,
    MAX_PLAYLIST_ITEMS,
    REPORT_REASON_MAX,
    CommentText,
    Description,
    DurationSeconds,
    Instant,
    PlaylistCount,
    PlaylistItemCount,
    PlaylistPosition,
    ReportReason,
    ShareExpiryDays,
    Tags,
    Title,
    UnavailableCount,
)
from streamstack.contracts.media import Chapter

MAX_PAGE_SIZE = 100
#: Far beyond any real catalogue, and small enough that page * page_size cannot overflow.
MAX_PAGE = 100_000
#: The reasons the admins' list shows with a reported comment (the newest).
REASONS_SHOWN = 10

#: ``duration`` and ``shortest`` are the same order (shortest first); ``longest`` the reverse.
#: Items of unknown length come last either way. ``popular``: most viewed first. ``due``:
#: the soonest publish time first (the order of a list of scheduled drafts), then the rest.
SortOrder = Literal[
    "newest", "oldest", "title", "duration", "shortest", "longest", "popular", "due"
]
#: ``scheduled``: the drafts with a publish time set (due ones waiting to be playable too).
StatusFilter = Literal["draft", "scheduled", "published", "all"]
#: Why a comment left a placeholder in its thread (``Comment.removed``).
CommentRemoved = Literal["deleted", "account_deleted"]
#: Who may see a playlist: its owner alone (``private``), or anyone signed in who has its
#: link (``unlisted``: listed to no one else, found by no search).
PlaylistVisibility = Literal["private", "unlisted"]


class Paging(msgspec.Struct, frozen=True):
    """Which page of a list is asked for, and how many items a page holds."""

    page: int = 1
    page_size: int = 20

    @property
    def offset(self) -> int:
        """How many items come before this page."""
        return (self.page - 1) * self.page_size


class CreateMediaItem(MediaItemFields, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``POST /api/v1/catalogue/``: register an object as a media item.

    The contract's fields (``MediaItemFields``); ``id`` may be given (ingest passes the
    object's uuid) or is generated.
    """

    id: uuid.UUID | None = None
    processing_state: Literal["none"] = "none"
    """Only ``none``: an item registered here has no transcoding job behind it, so
    ``queued`` (which ingest says through the contract when it has queued one) would
    leave it waiting for ever."""

    def registration(self) -> NewMediaItem:
        """The same item in the contract's words, with its id chosen now if none was given."""
        fields = msgspec.structs.asdict(self)
        fields["id"] = str(self.id or uuid.uuid4())
        return NewMediaItem(**fields)


class UpdateMediaItem(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``PATCH /api/v1/catalogue/{id}``: the fields to change; ``status`` publishes or
    unpublishes (and clears a schedule); ``publish_at`` schedules a draft to go public at
    that future instant, or (null) cancels its schedule; ``visibility`` lists the item or
    unlists it (kept whatever the status: a draft goes public as it says);
    ``comments_enabled`` turns the item's comments on or off (off: viewers see none, and
    none may be posted or edited; admins still see them, to moderate)."""

    title: Title | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    tags: Tags | msgspec.UnsetType = msgspec.UNSET
    status: MediaStatus | msgspec.UnsetType = msgspec.UNSET
    publish_at: Instant | msgspec.UnsetType | None = msgspec.UNSET
    visibility: MediaVisibility | msgspec.UnsetType = msgspec.UNSET
    comments_enabled: bool | msgspec.UnsetType = msgspec.UNSET


class DescriptionToRead(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``POST /api/v1/catalogue/description-chapters``: a description as typed in a form, and
    the video's length if known (unknown: any length, as before its file is read)."""

    description: Description
    duration_seconds: DurationSeconds | None = None


class DescribedChapters(msgspec.Struct, frozen=True):
    """The chapters a description makes, as an item with it would have them, and why its
    timestamped lines make none when they do not."""

    chapters: list[Chapter]
    unused_because: str | None
    """Which rule its timestamped lines break, a phrase to follow "These times are not shown
    as chapters: " (such as "each chapter must last at least 10 seconds"); null when they
    make chapters, or when it has none."""


class MediaPage(msgspec.Struct, frozen=True):
    """One page of a list, and how many items match in all."""

    items: list[CatalogueItem]
    total: int
    page: int
    page_size: int


# --- watching (resume, continue watching, history) ---------------------------------------


class SaveProgress(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``PUT /api/v1/catalogue/{id}/progress``: where the player is now (seconds).

    The absolute position, so a repeated or retried save leaves the same state (idempotent).
    ``duration_seconds`` is the player's idea of the length, used only while the catalogue
    knows none. JSON has no NaN or infinity; negative and absurd values are 400.
    """

    position_seconds: DurationSeconds
    duration_seconds: DurationSeconds | None = None


class WatchProgress(msgspec.Struct, frozen=True):
    """Where the caller is in one item. Never watched: position 0 and ``updated_at`` null."""

    media_id: str
    position_seconds: float
    duration_seconds: float | None
    #: Reached the last few seconds (or 95 %): the player starts over instead of resuming.
    completed: bool
    updated_at: datetime.datetime | None


class WatchedItem(msgspec.Struct, frozen=True):
    """An item of the caller's continue-watching row or history, with their progress."""

    item: CatalogueItem
    progress: WatchProgress


class WatchedPage(msgspec.Struct, frozen=True):
    """One page of continue watching or history, newest first, and how many in all."""

    items: list[WatchedItem]
    total: int
    page: int
    page_size: int
    #: How many more entries are kept that the caller cannot watch now (as a playlist's).
    unavailable_count: UnavailableCount = 0


class EditedMediaItem(MediaItem, frozen=True, kw_only=True):
    """``PATCH /api/v1/catalogue/{id}``: the item as edited, and how many of its share links
    the edit paused (``paused_share_links``): those that worked when it unpublished the item,
    which work again once it is published; 0 for any other edit. The Library tells the
    admin at once, without reading every row's links."""

    paused_share_links: int = 0


class ViewedMediaItem(CatalogueItem, frozen=True, kw_only=True):
    """``GET /api/v1/catalogue/{id}``: the item, and the signed-in caller's ``progress`` in
    it when they have played it (absent otherwise, and for anonymous callers), and whether
    they like it (absent for anonymous callers)."""

    progress: WatchProgress | msgspec.UnsetType = msgspec.UNSET
    liked: bool | msgspec.UnsetType = msgspec.UNSET


# --- likes ----------------------------------------------------------------------------------


class Liking(msgspec.Struct, frozen=True):
    """``PUT`` or ``DELETE /{item_id}/like``: whether the caller likes the item now, and
    how many accounts like it after the change."""

    liked: bool
    like_count: int


class LikedItem(msgspec.Struct, frozen=True):
    """An item of the caller's liked videos, and when they liked it."""

    item: CatalogueItem
    liked_at: datetime.datetime


class LikedPage(msgspec.Struct, frozen=True):
    """``GET /me/likes``: one page of the caller's liked videos, the most recently liked
    first, and how many are listed in all."""

    items: list[LikedItem]
    total: int
    page: int
    page_size: int
    #: How many more liked videos are kept that the caller cannot watch now (as a playlist's).
    unavailable_count: UnavailableCount = 0


class RelatedItems(msgspec.Struct, frozen=True):
    """``GET /{item_id}/related``: what to watch after the item (the first plays next)."""

    items: list[CatalogueItem]


class TagCount(msgspec.Struct, frozen=True):
    """A tag and how many items (the caller may see) carry it."""

    tag: str
    count: int


class TagList(msgspec.Struct, frozen=True):
    """``GET /api/v1/catalogue/tags``: tags, most used first (then by name)."""

    tags: list[TagCount]


class StatusCounts(msgspec.Struct, frozen=True):
    """How many items the Library's Status filter shows for each of its choices (drafts
    count the scheduled ones, as the filter does)."""

    all: int
    draft: int
    scheduled: int
    published: int


class ProcessingCounts(msgspec.Struct, frozen=True):
    """How many items the Library's Processing filter shows for each of its choices."""

    none: int
    queued: int
    processing: int
    ready: int
    failed: int
    outdated: int


class LibraryCounts(msgspec.Struct, frozen=True):
    """``GET /api/v1/catalogue/counts``: what the Library holds and what waits for an admin
    (failed transcodes, comments with reports not yet dismissed), counted at once."""

    status: StatusCounts
    processing: ProcessingCounts
    reported_comments: int


# --- playlists ----------------------------------------------------------------------------


class NewPlaylist(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``POST /me/playlists``: a new, empty playlist (an item's title and description rules)."""

    title: Title
    description: Description = ""


class PlaylistChanges(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``PATCH /me/playlists/{id}``: the fields to change."""

    title: Title | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    visibility: PlaylistVisibility | msgspec.UnsetType = msgspec.UNSET


class PlaylistMove(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``PATCH /me/playlists/{id}/items/{item_id}``: where the item goes, 0 first, among
    the items the playlist shows (400 ``position_out_of_range`` past the last)."""

    position: PlaylistPosition


class PlaylistSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A playlist without its items: what its owner's list of playlists shows."""

    id: str
    title: str
    description: str
    visibility: PlaylistVisibility
    #: Whether the caller owns it (and so may change it); false for one opened by its link.
    mine: bool
    etag: str | msgspec.UnsetType = msgspec.UNSET
    """Its owner only: an entity tag of its title and description, to send as ``If-Match``
    with a rename so that it is refused (412) should another tab have renamed it since."""
    #: How many of its items the caller may see (and so play).
    item_count: PlaylistItemCount
    #: The thumbnail of its first item the caller may see (null when empty or it has none).
    thumbnail_url: str | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    holds_item: bool | msgspec.UnsetType = msgspec.UNSET
    """Whether the playlist holds the item the list was asked about (``?item=``); absent
    when none was named."""


class Playlist(PlaylistSummary, frozen=True, kw_only=True):
    """``GET /me/playlists/{id}`` or ``/playlists/{id}``: the playlist and its items in
    order, leaving out those the caller may not see (unpublished, no longer playable)."""

    items: Annotated[list[CatalogueItem], msgspec.Meta(max_length=MAX_PLAYLIST_ITEMS)]
    #: How many of its entries the caller cannot watch now: kept, shown again when back.
    unavailable_count: UnavailableCount = 0


class PlaylistPage(msgspec.Struct, frozen=True):
    """``GET /me/playlists``: one page of the caller's playlists, the most recently changed
    first, and how many they have."""

    playlists: list[PlaylistSummary]
    total: PlaylistCount
    page: int
    page_size: int


class NewComment(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``POST /{item_id}/comments``: the comment's text, kept as typed but trimmed (1 to
    ``COMMENT_MAX`` characters then; newlines and tabs are its only control characters).
    ``reply_to`` makes it a reply to that comment of the item (to its top-level comment
    when that is a reply: replies are one level); absent or null: a top-level comment."""

    body: CommentText
    reply_to: uuid.UUID | None = None


class CommentChange(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``PATCH /comments/{comment_id}``: the comment's new text (as :class:`NewComment`)."""

    body: CommentText


class Comment(msgspec.Struct, frozen=True, kw_only=True):
    """One comment as anyone who may read it is told: never who wrote it but by the name
    they chose to show."""

    id: uuid.UUID
    item_id: uuid.UUID
    #: As kept: trimmed, at most ``COMMENT_MAX`` characters (the SPA's limit, from here).
    body: Annotated[str, msgspec.Meta(max_length=COMMENT_MAX)]
    #: The author's display name; null once they have none (shown as "A viewer").
    author_name: str | None
    #: Whether the author was an admin when they posted it (shown as a badge by the name).
    by_admin: bool
    #: Whether the caller wrote it (and so may edit it).
    mine: bool
    #: Whether the caller reported it (false for anonymous callers and their own).
    reported: bool
    created_at: datetime.datetime
    #: When its author last edited it; null if never.
    edited_at: datetime.datetime | None
    #: The top-level comment it answers; null for a top-level comment.
    parent_id: uuid.UUID | None
    #: How many replies it has, all pages together (0 for a reply).
    reply_count: int
    #: Null for a comment. A comment deleted while others' replies answer it stays for
    #: them, its text, name and badge gone: ``deleted`` by its author or an admin,
    #: ``account_deleted`` with its author's account.
    removed: CommentRemoved | None


class CommentPage(msgspec.Struct, frozen=True, kw_only=True):
    """``GET /{item_id}/comments``: one page of an item's top-level comments, newest first;
    ``GET /comments/{comment_id}/replies``: one page of a comment's replies, oldest first."""

    comments: Annotated[list[Comment], msgspec.Meta(max_length=COMMENTS_PAGE_MAX)]
    #: How many comments of the item the caller can see, all pages together, replies
    #: included (a comment's replies: how many it has).
    total: int
    #: Whether new comments may be posted (an admin may turn an item's comments off).
    enabled: bool
    #: The cursor of the following page (``?cursor=``); null on the last.
    next: str | None


class LinkedComment(msgspec.Struct, frozen=True, kw_only=True):
    """``GET /{item_id}/comments/{comment_id}``: one comment as a link to it opens it, in
    its thread: a top-level comment alone, a reply with the comment it answers."""

    comment: Comment
    #: The top-level comment a reply answers (its thread); null for a top-level comment.
    parent: Comment | None


class NewCommentReport(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``POST /comments/{comment_id}/reports``: why (optional; trimmed, at most
    ``REPORT_REASON_MAX`` characters then, blank for none; newlines and tabs are its only
    control characters)."""

    reason: ReportReason | None = None


class ModeratedComment(Comment, frozen=True, kw_only=True):
    """A comment as the admins' list shows it: with its video's title and its reports."""

    item_title: str
    #: Its author's account (admins only: ``GET /comments?author=`` lists theirs).
    author_id: uuid.UUID
    #: How many accounts reported it.
    reports: int
    #: The reports' reasons as kept (trimmed, at most ``REPORT_REASON_MAX`` characters: the
    #: SPA's limit, from here), the newest first, blank ones left out (at most
    #: ``REASONS_SHOWN``).
    reasons: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=REPORT_REASON_MAX)]],
        msgspec.Meta(max_length=REASONS_SHOWN),
    ]
    #: When it was last reported; null if never (or since its reports were dismissed).
    last_reported_at: datetime.datetime | None


class CommentAuthor(msgspec.Struct, frozen=True, kw_only=True):
    """The account the admins' list is filtered by (``?author=``)."""

    id: uuid.UUID
    #: Its display name; null when it has none (or the account never commented).
    name: str | None
    #: How many comments it has, all pages together, reported or not, replies included:
    #: what ``DELETE /comments?author=`` deletes (one with others' replies leaves a placeholder).
    comments: int


class ModeratedCommentPage(msgspec.Struct, frozen=True, kw_only=True):
    """``GET /comments``: one page of every item's comments, newest first (or the reported
    ones, the most recently reported first), or one account's alone."""

    comments: Annotated[list[ModeratedComment], msgspec.Meta(max_length=COMMENTS_PAGE_MAX)]
    #: The cursor of the following page (``?cursor=``); null on the last.
    next: str | None
    #: With ``?author=``: that account; null otherwise.
    author: CommentAuthor | None


class CommentsDeleted(msgspec.Struct, frozen=True, kw_only=True):
    """``DELETE /comments?author=``: what went."""

    #: How many comments went: the account's (others' replies to them stay).
    deleted: int


# --- share links ----------------------------------------------------------------------------


class NewShareLink(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``POST /{item_id}/shares``: a share link that ends after ``expires_in_days`` days
    (1 to :data:`~streamstack.contracts.limits.SHARE_EXPIRY_DAYS_MAX`), or never (null)."""

    expires_in_days: ShareExpiryDays | None = None


#: Why a share link was stopped: an admin stopped it, or its maker lost their admin rights.
RevokedReason = Literal["stopped_by_admin", "maker_no_longer_admin"]


class ShareLink(msgspec.Struct, frozen=True, kw_only=True):
    """A share link as admins see it: ``path`` (``/s/<secret>``) is the SPA's page that
    plays it, on the server's own address, and ``embed_path`` (``/embed/s/<secret>``) the
    player alone, which other sites may put in an iframe (None where the server lets no site
    frame it, ``STREAMSTACK_EMBED_ANCESTORS='none'``). Ended once revoked or expired.

    ``created_by`` is the admin who made it, ``created_by_name`` their display name (None
    when the catalogue knows none); ``revoked_reason`` says why a revoked link was stopped
    (None while it is not): by an admin, or because its maker is no longer an admin
    (demoted, disabled or deleted). Neither says whether its video is published: a link of
    an unpublished video is paused, and works again once the video is published again."""

    id: uuid.UUID
    item_id: uuid.UUID
    path: str
    embed_path: str | None
    created_by: uuid.UUID
    created_by_name: str | None
    created_at: datetime.datetime
    expires_at: datetime.datetime | None
    revoked_at: datetime.datetime | None
    revoked_reason: RevokedReason | None
    opens: int
    last_opened_at: datetime.datetime | None
    plays: int


class ShareLinkList(msgspec.Struct, frozen=True):
    """An item's share links, the newest first, live and ended alike, and the sites that may
    embed their players (``STREAMSTACK_EMBED_ANCESTORS`` as written: ``*`` any, ``'self'``
    this server's own pages, or origins such as ``https://club.example``); empty when the
    server lets no site embed them. Another site's page gets a blocked frame."""

    links: list[ShareLink]
    embed_sites: list[str]


class MadeShareLink(msgspec.Struct, frozen=True, kw_only=True):
    """A live link one admin made, with its video's title (``title``)."""

    id: uuid.UUID
    item_id: uuid.UUID
    title: str
    created_at: datetime.datetime
    expires_at: datetime.datetime | None


class MadeShareLinks(msgspec.Struct, frozen=True, kw_only=True):
    """``GET /shares?made_by=``: the live links (neither stopped nor expired, paused ones
    included) one account made; each stops for good should its maker stop being an admin."""

    #: How many there are, all of them.
    count: int
    #: The newest of them, at most :data:`~streamstack.contracts.limits.MADE_SHARE_LINKS_LISTED`.
    links: Annotated[list[MadeShareLink], msgspec.Meta(max_length=MADE_SHARE_LINKS_LISTED)]


class SharedItem(msgspec.Struct, frozen=True, kw_only=True):
    """What a share link opens: the item as an anonymous reader of ``GET /{item_id}`` gets
    it, when the link ends (null: never), and the ticket this page load reports its first
    play with (``POST /shared/<secret>/plays``; once, within a day)."""

    item: CatalogueItem
    expires_at: datetime.datetime | None
    play_ticket: uuid.UUID


class SharedPlay(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A share link's page reporting that its player started playing: the ticket its open
    answered (``SharedItem.play_ticket``)."""

    ticket: uuid.UUID


#: The largest frame an oEmbed consumer may ask for (``maxwidth``, ``maxheight``, pixels).
OEMBED_MAX_SIDE = 8192


class OEmbed(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """oEmbed 1.0 of one video: ``video`` with ``html`` (an iframe of a share link's
    player) and its ``width`` and ``height``; ``link`` (no player) for a watch page."""

    type: Literal["video", "link"]
    version: Literal["1.0"]
    title: str
    author_name: str
    author_url: str
    provider_name: str
    provider_url: str
    html: str | msgspec.UnsetType = msgspec.UNSET
    width: int | msgspec.UnsetType = msgspec.UNSET
    height: int | msgspec.UnsetType = msgspec.UNSET
    thumbnail_url: str | msgspec.UnsetType = msgspec.UNSET
    thumbnail_width: int | msgspec.UnsetType = msgspec.UNSET
    thumbnail_height: int | msgspec.UnsetType = msgspec.UNSET


class StatisticsDay(msgspec.Struct, frozen=True, kw_only=True):
    """One day (UTC) of an item's statistics."""

    #: ``YYYY-MM-DD``, UTC.
    date: str
    #: Views that started that day.
    views: int
    #: Seconds watched that day, by everyone together.
    watch_seconds: float


class ItemStatistics(msgspec.Struct, frozen=True, kw_only=True):
    """How an item does, for admins: totals only, never who watched what.

    ``days`` lists each of the last ``period_days`` days (UTC), today last, a day without
    views zero. Watch time counts the time between a signed-in viewer's reports that came
    the player's usual interval apart (a paused tab adds nothing); views and watch time by
    day start with catalogue_0031 (earlier days read as zero), ``view_count`` is every
    view ever. ``viewers``, ``finished`` and ``average_reached`` are read from the saved
    places of signed-in viewers (a place removed from one's history is not counted);
    ``average_reached`` is the average share of the video they reached, 0 to 1 (a finished
    viewer all of it; where they got, not how much they watched: a viewer who skipped to
    the end reached all of it), null when its length is unknown or nobody has a place in
    it. ``average_watched`` is how much of the video a view of the period watched, on
    average (the period's watch time over its views times the length, at most 1), null
    without views or a known length. Both unrounded: a reader makes one whole percent of
    each, halves up, as History does of a place. ``share_opens`` counts loads of its share links'
    pages and embeds (played or not), ``share_plays`` those whose player started playing
    (since catalogue_0034): anonymous, never a view (views are signed-in viewers', with
    their watch time), so beside ``view_count``, not in it."""

    item_id: uuid.UUID
    period_days: int
    view_count: int
    views_in_period: int
    watch_seconds_in_period: float
    days: list[StatisticsDay]
    like_count: int
    comment_count: int
    share_opens: int
    share_plays: int
    viewers: int
    finished: int
    average_reached: float | None
    average_watched: float | None
