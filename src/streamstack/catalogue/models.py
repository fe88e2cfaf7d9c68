"""The catalogue's tables: media items, their tags and caption tracks, watch progress,
playlists, and the outbox of events to relay.

Tags live in their own table, one row per (item, tag), so that ``tag=`` filtering is an
index lookup on Postgres and SQLite alike. ``title_key`` and ``search_text`` are derived
from the editable fields (folded in Python: case and accents dropped, so both backends
sort and match the same way) and rewritten whenever those fields change.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from streamstack.kernel.db import module_metadata
from streamstack.kernel.outbox import OutboxColumns


class CatalogueBase(DeclarativeBase):
    """Declarative base of the catalogue module only, so its migrations cover only its tables."""

    metadata = module_metadata()


class MediaItemRow(CatalogueBase):
    """One media item: the object it plays, what probing found, and its editorial state."""

    __tablename__ = "media_items"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published')", name="status"),
        # One index per list ordering, led by status because every list filters on it;
        # ``id`` last keeps pagination stable between equal keys.
        Index("ix_media_items_status_published_at", "status", "published_at", "id"),
        Index("ix_media_items_status_created_at", "status", "created_at", "id"),
        Index("ix_media_items_status_title_order", "status", "title_order", "id"),
        Index("ix_media_items_status_duration", "status", "duration_seconds", "id"),
        # An admin's list of every status, newest first (migration catalogue_0004).
        Index("ix_media_items_created_at", "created_at", "id"),
        # Viewers' lists (playable published items), one per sort (catalogue_0006).
        Index("ix_media_items_viewers_published_at", "status", "playable", "published_at", "id"),
        Index("ix_media_items_viewers_title_order", "status", "playable", "title_order", "id"),
        Index("ix_media_items_viewers_duration", "status", "playable", "duration_seconds", "id"),
        # Items by processing state, newest first: failed ones counted, filtered (0009).
        Index("ix_media_items_processing_state", "processing_state", "created_at", "id"),
        # Scheduled drafts by when they are due: the publishing step's read (catalogue_0022).
        Index("ix_media_items_publish_at", "publish_at", "status", "id"),
        # Most viewed first, ties newest first: admins' lists of a status (published_at)
        # and of every status (created_at) (catalogue_0021).
        Index("ix_media_items_status_most_viewed", "status", "view_count", "published_at", "id"),
        Index("ix_media_items_most_viewed", "view_count", "created_at", "id"),
        # An admin's list of every status by title, and search's tier of the title that is
        # the query itself, whatever the status (catalogue_0021).
        Index("ix_media_items_title_order", "title_order", "id"),
        # Viewers' most viewed first and related items: ties newest first (catalogue_0013).
        Index(
            "ix_media_items_viewers_most_viewed",
            "status",
            "playable",
            "view_count",
            "published_at",
            "id",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    #: ``title`` folded as search folds (case and accents dropped): what search's title
    #: tier reads.
    title_key: Mapped[str] = mapped_column(String(200))
    #: ``title_key`` with numbers sorting by value: the title sort's key (catalogue_0019).
    title_order: Mapped[str] = mapped_column(String(400), server_default=text("''"))
    #: ``title_key`` with each word separator a space, and one at each end (" the cat sat "):
    #: search's tier of titles holding a word whole (``LIKE '% cat %'``, catalogue_0024).
    title_words: Mapped[str] = mapped_column(String(202), server_default=text("''"))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    s3_key: Mapped[str] = mapped_column(String(1024))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(255))
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    video_codec: Mapped[str | None] = mapped_column(String(64))
    audio_codec: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    fps: Mapped[float | None] = mapped_column(Float)
    thumbnail_s3_key: Mapped[str | None] = mapped_column(String(1024))
    #: The stills' version since an admin chose their frame (the stills' URLs carry it, so
    #: browsers load the new ones at once); None for the stills made at upload.
    stills_version: Mapped[str | None] = mapped_column(String(16))
    #: Whether an admin chose the stills (a frame, an image): a replaced video file keeps them.
    stills_chosen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Title, description and tags folded (case and accents dropped): what ``q`` searches.
    search_text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    published_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC)
    #: When a draft is to go public (an admin's schedule); None when none is set. Publishing
    #: or unpublishing clears it (catalogue_0022).
    publish_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC)
    #: Whether the original itself plays in every current browser (H.264/AAC in MP4), as
    #: ingest found at registration.
    original_playable: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: Whether a viewer can play the item now: the original is browser-safe, or at least one
    #: HLS rendition exists. Kept in step with the two by the service; viewers' lists filter on it.
    playable: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: none | queued | processing | ready | failed (the contract's ``ProcessingState``).
    processing_state: Mapped[str] = mapped_column(
        String(16), default="none", server_default=text("'none'")
    )
    processing_percent: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    #: The rung being written, or why processing failed, for a person to act on.
    processing_detail: Mapped[str | None] = mapped_column(String(500))
    #: The finished HLS renditions, lowest first: ``[{"height": 240, "bandwidth": 400000}, …]``.
    renditions: Mapped[list[dict[str, int]]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    #: The chapters its file marks, in order: ``[{"start_seconds": 0.0, "title": "…"}, …]``.
    chapters: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    has_hls: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    has_storyboard: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The HLS package's format (the contract's ``PACKAGE_FORMAT`` when it was made); None
    #: without a package, or for one made before formats were recorded.
    package_format: Mapped[int | None] = mapped_column(Integer)
    #: How often signed-in people started watching the item (:mod:`.watching` counts).
    view_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    #: ``listed`` or ``unlisted`` (the contract's ``MediaVisibility``; only the service
    #: writes it): an unlisted item is in no viewer's list, played by its link (catalogue_0025).
    visibility: Mapped[str] = mapped_column(
        String(16), default="listed", server_default=text("'listed'")
    )
    #: Whether viewers may read and post comments on it (admins turn them off; catalogue_0026).
    comments_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: How many comments it has, kept in the transaction of each post and deletion.
    comment_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    #: How many accounts like it, kept in the transaction of each like and unlike (catalogue_0029).
    like_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class MediaTagRow(CatalogueBase):
    """One tag of one item."""

    __tablename__ = "media_tags"
    __table_args__ = (Index("ix_media_tags_tag_media_id", "tag", "media_id"),)

    media_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("media_items.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)


class CaptionTrackRow(CatalogueBase):
    """One caption track of one item (its WebVTT lives in the media bucket, under the item's
    prefix: ``captions/<language>.vtt``). Deleted with the item."""

    __tablename__ = "media_captions"
    __table_args__ = (CheckConstraint("source IN ('upload', 'embedded')", name="source"),)

    media_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("media_items.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(35), primary_key=True)
    label: Mapped[str] = mapped_column(String(64))
    #: upload | embedded (the contract's ``CaptionSource``).
    source: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)


class OutboxRow(OutboxColumns, CatalogueBase):
    """An event written in the same transaction as the change it announces."""

    __tablename__ = "catalogue_outbox"
    EVENT_ID_LENGTH = 36
    SUBJECT_LENGTH = 255
    PENDING_INDEX_ON = "seq"

    attempts: Mapped[int] = mapped_column(Integer, default=0)


class WatchProgressRow(CatalogueBase):
    """Where one user is in one item: what resume, continue watching and history read.

    One row per (user, item), overwritten by each save. Deleted with the item (the foreign
    key cascades, and the delete use case removes the rows in its own transaction) and with
    the user (auth's ``user.deleted`` event).
    """

    __tablename__ = "watch_progress"
    __table_args__ = (
        CheckConstraint("position_seconds >= 0", name="position_not_negative"),
        # Continue watching and history: one user's rows, newest first.
        Index("ix_watch_progress_user_updated", "user_id", "updated_at", "media_id"),
        # Deleting an item's rows without a scan.
        Index("ix_watch_progress_media_id", "media_id"),
    )

    #: The account (auth's user id; no foreign key: auth's tables are another module's).
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    media_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("media_items.id", ondelete="CASCADE"), primary_key=True
    )
    position_seconds: Mapped[float] = mapped_column(Float)
    #: The item's length as the catalogue knows it, else as the player reported it.
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    #: Reached the last few seconds (or 95 %): not offered for resuming any more.
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)


class ViewingRow(CatalogueBase):
    """When one user last reported watching one item: what decides whether a report is a
    new view (:data:`~streamstack.catalogue.watching.NEW_VIEW_AFTER` after the last).

    Apart from :class:`WatchProgressRow` so that removing an item from one's history, which
    deletes that row, cannot make the next report count as another view. A row matters
    for an hour: the user's older ones go when they next start a view or clear their
    history, and all of them with the account or the item.
    """

    __tablename__ = "viewings"

    #: The account (auth's user id; no foreign key: auth's tables are another module's).
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    media_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("media_items.id", ondelete="CASCADE"), primary_key=True
    )
    reported_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)


class PlaylistRow(CatalogueBase):
    """One user's playlist: a named, ordered list of items (its entries).

    Private to its owner, or ``unlisted``: then anyone signed in who has its link (its id,
    a random UUID) may view, play and copy it, never change it; it is listed to its owner
    alone either way. Deleted with the account (auth's ``user.deleted`` event); its entries
    go with it (the foreign key cascades).
    """

    __tablename__ = "playlists"
    __table_args__ = (
        # One user's playlists, the most recently changed first.
        Index("ix_playlists_user_updated", "user_id", "updated_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    #: The owner (auth's user id; no foreign key: auth's tables are another module's).
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    #: ``private`` or ``unlisted`` (:data:`~streamstack.catalogue.schemas.PlaylistVisibility`).
    visibility: Mapped[str] = mapped_column(
        String(16), default="private", server_default=text("'private'")
    )
    created_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)


class PlaylistEntryRow(CatalogueBase):
    """One item in one playlist, at ``position`` (0 first; the order is by position, gaps
    allowed). An item is in a playlist at most once. Deleted with the item and with the
    playlist (both foreign keys cascade)."""

    __tablename__ = "playlist_entries"
    __table_args__ = (
        # Deleting an item's entries without a scan.
        Index("ix_playlist_entries_media_id", "media_id"),
    )

    playlist_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("playlists.id", ondelete="CASCADE"), primary_key=True
    )
    media_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("media_items.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)


#: The author of a placeholder (``CommentRow.removed``): no account (auth's ids are random).
NO_AUTHOR = uuid.UUID(int=0)


class CommentRow(CatalogueBase):
    """One comment on one item, by one account, or a reply to one (``parent_id``: one
    level, never a reply's). Deleted with the item (the foreign key cascades; the delete
    use case removes them too), with the account (auth's ``user.deleted`` event), and a
    reply with its comment (the foreign key cascades). A comment deleted while it has
    replies stays as a placeholder for them (``removed``), its text and author gone."""

    __tablename__ = "catalogue_comments"
    __table_args__ = (
        # An item's comments newest first, a page at a time after a cursor.
        Index("ix_catalogue_comments_item_created", "item_id", "created_at", "id"),
        # A deleted account's comments, without a scan.
        Index("ix_catalogue_comments_user_id", "user_id"),
        # Every item's comments newest first, a page at a time (the admins' list).
        Index("ix_catalogue_comments_created", "created_at", "id"),
        # A comment's replies oldest first, a page at a time after a cursor.
        Index("ix_catalogue_comments_parent_created", "parent_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    item_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("media_items.id", ondelete="CASCADE")
    )
    #: The author (auth's user id; no foreign key: auth's tables are another module's).
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    edited_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC)
    #: The top-level comment this one answers; None for a top-level comment (catalogue_0030).
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("catalogue_comments.id", ondelete="CASCADE")
    )
    #: How many replies it has (0 for a reply), kept in each reply's and deletion's transaction.
    reply_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    #: Whether its author was an admin when they posted it (catalogue_0033): the badge.
    by_admin: Mapped[bool] = mapped_column(Boolean, server_default=false())
    #: Why a placeholder's comment went (catalogue_0035): ``deleted`` (by its author or an
    #: admin) or ``account_deleted``; its body is then empty and its author ``NO_AUTHOR``.
    #: Null for a comment.
    removed: Mapped[str | None] = mapped_column(String(16))


class LikeRow(CatalogueBase):
    """One account's like of one item (liking again changes nothing). Deleted with the
    item (the foreign key cascades; the delete use case removes them too), when the account
    unlikes it, and with the account (auth's ``user.deleted`` event)."""

    __tablename__ = "catalogue_likes"
    __table_args__ = (
        # An account's liked videos, the most recently liked first (and its deletion).
        Index("ix_catalogue_likes_user_liked", "user_id", "liked_at"),
        # An item's likes, deleted with it, without a scan.
        Index("ix_catalogue_likes_item_id", "item_id"),
    )

    #: Who likes it (auth's user id; no foreign key: auth's tables are another module's).
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    item_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("media_items.id", ondelete="CASCADE"), primary_key=True
    )
    liked_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)


class CommentReportRow(CatalogueBase):
    """One account's report of one comment (the first kept: reporting again changes
    nothing). Deleted with the comment (the foreign key cascades), when an admin dismisses
    the comment's reports, and with the account that made it (``user.deleted``)."""

    __tablename__ = "catalogue_comment_reports"
    __table_args__ = (
        # Reported comments, the most recently reported first; a page's counts and reasons.
        Index("ix_catalogue_comment_reports_comment_created", "comment_id", "created_at"),
        # A deleted account's reports, without a scan.
        Index("ix_catalogue_comment_reports_user_id", "user_id"),
    )

    comment_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("catalogue_comments.id", ondelete="CASCADE"), primary_key=True
    )
    #: Who reported it (auth's user id; no foreign key: auth's tables are another module's).
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    #: Why, as they said it (trimmed); None when they gave no reason.
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)


class CommenterRow(CatalogueBase):
    """The name shown with an account's comments: its display name as of ``named_at``,
    the newest of auth's ``user.named`` events and its tokens' ``name`` claims."""

    __tablename__ = "catalogue_commenters"

    #: The account (auth's user id; no foreign key: auth's tables are another module's).
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    #: None once the account has no display name (its comments show "A viewer").
    display_name: Mapped[str | None] = mapped_column(String(100))
    named_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)


class ShareLinkRow(CatalogueBase):
    """A share link: its ``secret`` lets whoever holds it watch one item without an account
    while the item is published and playable, until ``expires_at`` (never when None) or
    until it is stopped (``revoked_at``): by an admin, or because its maker is no longer
    one (``revoked_reason``). Kept once ended, for the item's list of links; deleted with
    the item (the foreign key cascades)."""

    __tablename__ = "catalogue_shares"
    __table_args__ = (
        # An item's links, the newest first (its list, and counting its live ones).
        Index("ix_catalogue_shares_item_created", "item_id", "created_at", "id"),
        # The links one admin made, stopped when they stop being one.
        Index("ix_catalogue_shares_created_by", "created_by"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    item_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("media_items.id", ondelete="CASCADE")
    )
    #: ``secrets.token_urlsafe(32)``, kept as given: the link is the secret, and an admin
    #: may copy it again (as an unlisted item's id).
    secret: Mapped[str] = mapped_column(Text, unique=True)
    #: The admin who made it (auth's user id; no foreign key: another module's table).
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)
    expires_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC)
    revoked_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC)
    #: Why it was stopped when not by an admin's hand: ``maker_no_longer_admin``.
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    #: Loads of the link's page or embed (its ``GET /shared/<secret>``), played or not.
    opens: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_opened_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC)
    #: Page loads whose player started playing: one per :class:`PlayTicketRow` (catalogue_0034).
    #: The database's default alone, so that rows written as before this revision still go in.
    plays: Mapped[int] = mapped_column(Integer, server_default=text("0"))


class PlayTicketRow(CatalogueBase):
    """One load of a share link's page whose play is not counted yet: its id is the ticket
    the page reports its first play with, which is then deleted as the link's ``plays``
    grows. Anonymous (a random id and when the page loaded); unreported ones end after
    :data:`~streamstack.catalogue.shares.PLAY_TICKET_LIFETIME` and go with the link."""

    __tablename__ = "catalogue_play_tickets"
    # Old tickets are found by age, across links, to be deleted.
    __table_args__ = (Index("ix_catalogue_play_tickets_opened_at", "opened_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    share_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("catalogue_shares.id", ondelete="CASCADE")
    )
    opened_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC)


class ItemDayRow(CatalogueBase):
    """How one item did on one day (UTC): the views that started and the seconds watched
    that day (:mod:`.watching` adds to them in each report's transaction; the admins'
    statistics read them). Totals only, never who watched. Deleted with the item (the
    foreign key cascades; the delete use case removes them too)."""

    __tablename__ = "catalogue_item_days"

    item_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("media_items.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[datetime.date] = mapped_column(Date, primary_key=True)
    views: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    watch_seconds: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0"))
