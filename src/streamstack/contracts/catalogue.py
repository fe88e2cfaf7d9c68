"""The catalogue module's published language: registering media items, their processing.

Field limits come from :mod:`streamstack.contracts.limits`, the same types the HTTP schemas
use, so every transport refuses what the public API refuses.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta
from typing import Annotated, Literal, TypeVar

import msgspec

from streamstack.contracts.limits import (
    EXISTING_ITEMS_BATCH_MAX,
    MAX_CAPTION_TRACKS,
    MAX_RENDITIONS,
    PUBLISH_AHEAD_MAX_YEARS,
    Bandwidth,
    CaptionLabel,
    CaptionLanguage,
    ContentType,
    Description,
    Dimension,
    DurationSeconds,
    Instant,
    MediaId,
    ObjectKey,
    PackageFormat,
    Percent,
    ProcessingDetail,
    SizeBytes,
    Tags,
    Title,
    UserId,
)
from streamstack.contracts.media import Chapter, MediaFacts
from streamstack.kernel.errors import BadRequest
from streamstack.kernel.operation import CallContext, Operation, Transport

_Value = TypeVar("_Value")
_SPACES = re.compile(r"\s+")

MediaStatus = Literal["draft", "published"]
#: Whether a published item is in viewers' lists: ``listed`` (Browse, search, tags, Up next,
#: related) or ``unlisted`` (no list shows it; anyone signed in with its link watches it).
#: Kept whatever the status; it matters while the item is published.
MediaVisibility = Literal["listed", "unlisted"]
#: Where transcoding of an item stands: ``none`` (nothing to do or not asked), ``queued``,
#: ``processing``, ``ready`` (every rendition written), ``failed`` (with a reason).
ProcessingState = Literal["none", "queued", "processing", "ready", "failed"]
#: What an item may start in: ``queued`` when ingest enqueued a job at registration.
InitialProcessingState = Literal["none", "queued"]
#: What admins filter a list by: a processing state, or ``outdated`` (:attr:`MediaItem.outdated`).
ProcessingFilter = Literal[ProcessingState, "outdated"]
#: The format of the HLS package the transcoder makes now; a newer transcoder that makes
#: more of a video (another codec, more tracks) raises it, so the items it would improve
#: can be found and transcoded again. 1: one sound track muxed into every rung (recorded as
#: no format); 2: every audio track a rendition of its own, in one audio group.
PACKAGE_FORMAT = 2

#: Subjects of the events catalogue publishes, through its transactional outbox (each
#: event once; the ``Nats-Msg-Id`` is the event id). ``media.published``: a
#: :class:`MediaItem` as JSON, when an item goes live. ``media.unpublished`` (an item
#: unpublished, or registered as a draft) and ``media.deleted``: a :class:`MediaWithdrawn`,
#: so consumers take the item down.
MEDIA_PUBLISHED = "catalogue.events.media.published"
MEDIA_UNPUBLISHED = "catalogue.events.media.unpublished"
MEDIA_DELETED = "catalogue.events.media.deleted"
#: A published item changed in what viewers see (fields, processing); payload: MediaItem.
MEDIA_UPDATED = "catalogue.events.media.updated"

#: A reply was posted to comments of others (payload: :class:`CommentReplied`), so that
#: auth can mail their authors (those who want it).
COMMENT_REPLIED = "catalogue.events.comment.replied"
#: The longest excerpt of a reply an event carries: a mail quotes this much at most.
REPLY_EXCERPT_MAX = 300


class CommentReplied(msgspec.Struct, frozen=True, kw_only=True):
    """Payload of :data:`COMMENT_REPLIED`: who should hear of a reply (``recipients``: the
    accounts whose comment it answers, the top-level comment's author and, when it answers
    a reply, that reply's author too; never the replier, each once), who replied (the name
    shown with the reply, and ``by_admin``: whether they were an admin), on which item, what it says (cut to :data:`REPLY_EXCERPT_MAX`
    characters, plain text as typed) and the SPA's path to read it (``link_path``: the watch
    page opened at the reply, ``?comment=<reply_id>``)."""

    reply_id: str
    recipients: list[str]
    replier_name: str
    item_id: str
    item_title: str
    excerpt: str
    link_path: str
    replied_at: datetime
    #: Absent from events of releases before the admins' badge: read as a viewer's.
    by_admin: bool = False


#: An item's transcoding failed for good, the job given up on (payload:
#: :class:`TranscodeFailed`), so that auth can mail the admins (those who want it).
TRANSCODE_FAILED = "catalogue.events.media.transcode_failed"
#: A viewer reported a comment (payload: :class:`CommentReported`), so that auth can mail
#: the admins (those who want it).
COMMENT_REPORTED = "catalogue.events.comment.reported"
#: The SPA's page of the reported comments, where admins read, dismiss or delete them (a
#: report's mail links to it; the page keeps its filter in the address).
ADMIN_COMMENTS_PATH = "/admin/comments?reported=1"
#: The SPA's Library showing the videos whose transcoding failed, where admins transcode
#: one again, replace or delete it (a failure's mail links to it).
ADMIN_LIBRARY_PATH = "/admin/library?processing=failed"
#: A failed transcode's detail when the item's original is not in storage: transcoding it
#: again cannot help, a new file can (the Library's "Replace video file"; the CLI's
#: ``streamstack upload --replace``). The failure mail says so in its own words.
ORIGINAL_MISSING_DETAIL = 'its video file is missing: upload it again with "Replace video file"'


class TranscodeFailed(msgspec.Struct, frozen=True, kw_only=True):
    """Payload of :data:`TRANSCODE_FAILED`, announced once as an item's processing becomes
    ``failed``: which item (its id and title), why (the failure's one-line detail, as the
    Library shows it), whether it still plays (its original, or the package it had, is
    still shown to viewers) and the SPA's path where an admin acts on it."""

    item_id: str
    item_title: str
    detail: str
    still_plays: bool
    link_path: str
    failed_at: datetime


class CommentReported(msgspec.Struct, frozen=True, kw_only=True):
    """Payload of :data:`COMMENT_REPORTED`, announced at each account's first report of a
    comment (reporting again announces nothing): the comment, its video's title, the
    comment cut to :data:`REPLY_EXCERPT_MAX` characters (plain text as typed), the reason
    given (None: none), who reported it (an admin reporting is not mailed of their own
    report) and the SPA's path of the admins' comments page."""

    comment_id: str
    reported_by: str
    item_id: str
    item_title: str
    excerpt: str
    reason: str | None
    link_path: str
    reported_at: datetime


#: Where a video is uploaded (tus; ingest's), named to whoever would register an item
#: without one.
UPLOADS_PATH = "/api/v1/ingest/uploads"
#: The tus ``Upload-Metadata`` key of an upload that replaces an item's video file: the
#: item's id (ingest's ``POST`` to :data:`UPLOADS_PATH`; the CLI and the SPA send it).
REPLACES_METADATA_KEY = "replaces"


def normalize_tag(tag: str) -> str:
    """A tag as stored and matched: trimmed, inner whitespace collapsed, lower-cased (the
    catalogue stores tags so; ``streamstack items edit --remove-tag`` matches them so)."""
    return _SPACES.sub(" ", tag).strip().lower()


def check_publish_time(when: datetime, now: datetime, *, past_ok: bool = False) -> None:
    """Refuse a draft's publish time in the past (400 ``publish_at_past``, unless
    ``past_ok``) or so far ahead it is a typo (400 ``publish_at_too_far``: 9999 for 2029).
    One rule for every way a schedule is set: an edit, an upload's details, a registration."""
    if when <= now and not past_ok:
        raise BadRequest(
            f"publish_at must be in the future (it is {when.isoformat()}; "
            f"now is {now.isoformat(timespec='seconds')})",
            code="publish_at_past",
        )
    if when - now > timedelta(days=365.25 * PUBLISH_AHEAD_MAX_YEARS):
        raise BadRequest(
            f"publish_at is more than {PUBLISH_AHEAD_MAX_YEARS} years ahead "
            f"(it is {when.isoformat()}): is the year a typo?",
            code="publish_at_too_far",
        )


def object_prefix(media_id: str) -> str:
    """The key prefix, in the media bucket, of every object made from an item after upload
    (renditions under ``hls/``, storyboards, captions …): ``<uuid>/``."""
    return f"{media_id}/"


def owns_object(media_id: str, key: str) -> bool:
    """Whether ``key`` names one of the item's own objects: ``<uuid>.<extension>`` (its
    original in the media bucket, its thumbnail in the thumbnails bucket) or a key under
    its :func:`object_prefix`. Deleting an item deletes what it names, so an item must
    never name another's objects."""
    if key.startswith(object_prefix(media_id)):
        return True
    name, dot, extension = key.partition(".")
    return name == media_id and dot == "." and extension.isalnum() and extension.isascii()


class MediaWithdrawn(msgspec.Struct, frozen=True):
    """Payload of ``media.unpublished`` and ``media.deleted``: what to take down.

    On unpublish, stream tokens of the item stop; on delete, every object of the item
    goes too: ``s3_key`` (the original, media bucket), ``thumbnail_s3_key`` (thumbnails
    bucket) and everything under ``object_prefix`` (media bucket), caption files included.
    """

    id: str
    object_prefix: str
    s3_key: str
    thumbnail_s3_key: str | None
    withdrawn_at: datetime


#: Where a caption track came from: uploaded by an admin, or extracted from a subtitle
#: stream of the uploaded video (an uploaded track of the same language wins).
CaptionSource = Literal["upload", "embedded"]
#: Where an item's chapters come from: its description's timestamped list (which wins), or
#: what its file marks.
ChaptersFrom = Literal["description", "file"]


class CaptionTrack(msgspec.Struct, frozen=True):
    """One caption track of an item: a WebVTT file under the item's prefix
    (``captions/<language>.vtt``), played with the item's stream token."""

    language: CaptionLanguage
    label: CaptionLabel
    source: CaptionSource = "upload"


CaptionTracks = Annotated[list[CaptionTrack], msgspec.Meta(max_length=MAX_CAPTION_TRACKS)]


class Rendition(msgspec.Struct, frozen=True):
    """One finished HLS rendition of an item."""

    height: Dimension
    bandwidth: Bandwidth
    """Peak bit rate, bit/s (the master playlist's ``BANDWIDTH``)."""


Renditions = Annotated[list[Rendition], msgspec.Meta(max_length=MAX_RENDITIONS)]


class ItemShown(msgspec.Struct, frozen=True, kw_only=True):
    """What anyone who may see a media item is told of it: never where its objects are
    stored nor who uploaded it (:class:`MediaItem` alone carries those).

    ``playable`` says whether a viewer can play it now: its original is browser-safe, or at
    least one rendition exists. Viewers are only ever shown playable published items.
    """

    id: str
    title: str
    description: str
    status: MediaStatus
    size_bytes: int
    content_type: str
    duration_seconds: float | None
    video_codec: str | None
    audio_codec: str | None
    width: int | None
    height: int | None
    fps: float | None
    thumbnail_url: str | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    #: When it first went public; kept while it is a draft again (None: never public).
    published_at: datetime | None
    playable: bool = True
    processing_state: ProcessingState = "none"
    processing_percent: int = 0
    renditions: list[Rendition] = []
    has_hls: bool = False
    has_storyboard: bool = False
    poster_url: str | None = None
    """The thumbnail's larger sibling (the same frame, up to 1280 px wide, never upscaled),
    for the watch page's poster and ``srcset``; set whenever ``thumbnail_url`` is."""
    captions: CaptionTracks = []
    """The item's caption tracks by language, in an answer about the one item (get, edit,
    caption changes, processing reports); lists leave it empty (a player gets the tracks
    with its stream token)."""
    chapters: list[Chapter] = []
    """The item's chapters, in order, in an answer about the one item (as ``captions``);
    lists leave it empty. Its description's when it lists them as YouTube reads them
    (timestamped lines: the first at 0:00, at least three, ascending, each at least 10 s),
    else those its file marks."""
    chapters_from: Annotated[
        ChaptersFrom | msgspec.UnsetType,
        msgspec.Meta(
            description="Where `chapters` come from: the description's timestamped list "
            "(which wins) or the file. Absent from lists and when the item has no chapters."
        ),
    ] = msgspec.UNSET
    """Where ``chapters`` come from (``description`` or ``file``), in an answer about the
    one item that has chapters; absent otherwise."""
    view_count: int = 0
    """How often signed-in people started watching the item: a viewer's first progress
    report on it, and again after an hour without one."""
    visibility: MediaVisibility = "listed"
    """``unlisted``: in no list anyone is shown (Browse, search, tags, Up next, related),
    watched by its link alone; ``listed`` otherwise. Applies while it is published."""
    comments_enabled: bool = True
    """Whether comments may be read and posted (an admin turns them off per item)."""
    comment_count: int = 0
    """How many comments the item has (a viewer's cached list may lag, as for
    ``view_count``)."""
    like_count: int = 0
    """How many accounts like the item (a viewer's cached list may lag, as for
    ``view_count``); who they are is told to no one."""


#: A field of :class:`CatalogueItem` that only admins are sent; the OpenAPI document (and so
#: the SPA's generated types) says so beside it.
_AdminsOnly = Annotated[
    _Value | msgspec.UnsetType,
    msgspec.Meta(description="Admins only: absent from the answer to anyone else."),
]


class CatalogueItem(ItemShown, frozen=True, kw_only=True):
    """A media item as the catalogue's routes open to viewers answer it (lists, the item,
    related items, playlists, continue watching, history), to admins too.

    The fields after :class:`ItemShown` are the admins' (the library's): absent from the
    answer to anyone else. Object keys and the uploader are in none of these answers.
    """

    processing_detail: _AdminsOnly[str | None] = msgspec.UNSET
    """Admins only: :attr:`MediaItem.processing_detail`."""
    package_format: _AdminsOnly[int | None] = msgspec.UNSET
    """Admins only: :attr:`MediaItem.package_format`."""
    outdated: _AdminsOnly[bool] = msgspec.UNSET
    """Admins only: :attr:`MediaItem.outdated`."""
    etag: _AdminsOnly[str] = msgspec.UNSET
    """Admins only: :attr:`MediaItem.etag`."""
    publish_at: _AdminsOnly[datetime | None] = msgspec.UNSET
    """Admins only: :attr:`MediaItem.publish_at`."""


#: Said in the OpenAPI document of :class:`MediaItem`'s internals.
_INTERNAL = msgspec.Meta(
    description="Internal (object keys, the uploader): answered by admin-only routes alone."
)


class MediaItem(ItemShown, frozen=True, kw_only=True):
    """A media item whole: what modules tell each other (its events, the contract's
    answers) and what the admin-only routes answer.

    Its object keys and its uploader are internal: routes a viewer may call answer a
    :class:`CatalogueItem` instead.
    """

    s3_key: Annotated[str, _INTERNAL]
    """The original's key in the media bucket."""
    thumbnail_s3_key: Annotated[str | None, _INTERNAL]
    """The thumbnail's key in the thumbnails bucket (None without one)."""
    created_by: Annotated[str, _INTERNAL]
    """The id of the admin who registered it."""
    processing_detail: str | None = None
    """Where transcoding stands in words (the rung being written, or why it failed)."""
    package_format: int | None = None
    """The format of the item's HLS package (:data:`PACKAGE_FORMAT` when made now); None
    without a package, or for one made before formats were recorded (format 1)."""
    outdated: bool = False
    """Whether transcoding the item again would make more of it: it has a picture, and it
    was never transcoded or its package is of an older format than the transcoder makes
    now (and no job is queued, running or failed for it)."""
    etag: str = ""
    """The item's entity tag (its ``ETag``), naming what an edit can change as it is (title,
    description, tags, status, schedule, visibility, comments setting): an edit or deletion
    sent with it as ``If-Match`` is refused (412) once another changed any of them.
    Processing, which changes none of them, leaves it as it is. Empty only in an event
    written before it existed."""
    publish_at: datetime | None = None
    """When the draft is scheduled to go public (UTC), None when it is not: it goes public
    then, or as soon after as it is playable; publishing or unpublishing clears it."""
    stills_chosen: bool = False
    """Whether an admin chose the item's stills (a frame or an image of their own): a new
    video file then keeps them, where it brings its own automatic ones otherwise."""


#: What was made for an item's old video file and stays with the new one (a replace):
#: ``chosen_thumbnail``, a thumbnail an admin chose (it may show a frame the new file lacks);
#: ``uploaded_captions``, caption tracks uploaded for it (timed for the old cut);
#: ``description_chapters``, chapters written in the description (their times too).
#: Embedded tracks and the file's own chapters come from the new file: nothing to check.
ReplaceCheckKind = Literal["chosen_thumbnail", "uploaded_captions", "description_chapters"]


class ReplaceCheck(msgspec.Struct, frozen=True, kw_only=True):
    """One thing for the admin to look at after replacing an item's video file; clients
    word it (the rule of what to check is :func:`checks_after_replace`, here alone)."""

    kind: ReplaceCheckKind
    count: int | None = None
    """``uploaded_captions``: how many tracks (at least 1); None for the other kinds."""


def checks_after_replace(item: MediaItem) -> list[ReplaceCheck]:
    """What was made for the old file of ``item`` (as the replace left it, an answer about
    the one item: its captions and chapters in it) and stays with the new one, in the order
    clients say it; none when nothing was."""
    checks: list[ReplaceCheck] = []
    if item.stills_chosen:
        checks.append(ReplaceCheck(kind="chosen_thumbnail"))
    uploaded = sum(track.source == "upload" for track in item.captions)
    if uploaded:
        checks.append(ReplaceCheck(kind="uploaded_captions", count=uploaded))
    if item.chapters_from == "description":
        checks.append(ReplaceCheck(kind="description_chapters"))
    return checks


class MediaItemFields(MediaFacts, frozen=True, kw_only=True):
    """What is said about an item when it is registered: one field list, with its limits,
    for the contract (:class:`NewMediaItem`) and the public API's POST body alike."""

    title: Title
    s3_key: ObjectKey
    size_bytes: SizeBytes
    content_type: ContentType
    description: Description = ""
    tags: Tags = []
    publish: bool = True
    publish_at: Instant | None = None
    """With ``publish`` false, when the draft goes public (a schedule, as an edit sets it);
    400 with ``publish`` true. A time that passed while the file was uploaded is due: the
    draft goes public as soon as it is playable."""
    thumbnail_s3_key: ObjectKey | None = None
    playable: bool = True
    """Whether the original plays in every current browser as it is (H.264/AAC in MP4).

    Ingest decides; False keeps the item from viewers until a rendition exists. The default
    (True) is what an ingest that does not say gets: served as uploaded, as before."""
    processing_state: InitialProcessingState = "none"
    """``queued`` when ingest has enqueued a transcoding job for the item."""


class NewMediaItem(MediaItemFields, frozen=True, kw_only=True):
    """What ingest knows about an uploaded, probed object, and its uuid."""

    id: MediaId


class UploadRegistration(msgspec.Struct, frozen=True, kw_only=True):
    """An upload registered by ingest itself for the admin who uploaded it, whose own
    request ended before it could (its replica died after the last byte) and who never
    asked again: the upload's record names the uploader, no token does."""

    item: NewMediaItem
    uploaded_by: UserId


class ProcessingUpdate(msgspec.Struct, frozen=True):
    """Where an item's transcoding stands, as the worker reports it.

    ``renditions`` are the finished ones (lowest first is kept whatever the order sent);
    ``hls`` says the master playlist lists them; ``storyboard`` that its VTT is written.
    ``failed`` needs a ``detail`` a person can act on; ``ready`` needs the HLS package
    (with at least one rendition for a video; sound alone has none).
    """

    media_id: MediaId
    state: ProcessingState
    percent: Percent = 0
    detail: ProcessingDetail | None = None
    renditions: Renditions = []
    hls: bool = False
    storyboard: bool = False
    only_from: ProcessingState | None = None
    """When set, the update applies only while the item is in this state, else 409
    ``processing_state_changed`` and nothing changes (a retry queues one job, not two)."""
    keep_package: bool = False
    """The item goes on playing the package it has (its renditions, HLS and storyboard
    stay as they are; those sent are ignored): a transcode again of an item that plays."""
    package_format: PackageFormat | None = None
    """The format of the package the ``renditions`` belong to (with ``hls``)."""
    original_unreadable: bool = False
    """The transcoder could not read the original through (damaged, truncated, not a frame
    decoded): it will not play as it is either, so the item no longer counts it as playable
    (with ``failed``; a package it has goes on playing)."""
    duration_seconds: DurationSeconds | None = None
    """How long the package plays (with ``hls``): the item's duration from then on, in
    place of what the probe read in the upload's headers (which may count a start offset,
    sound that outlasts the picture, or the missing end of a truncated file)."""


class FactsUpdate(MediaFacts, frozen=True, kw_only=True):
    """An item's facts as the probe read its stored original again: every field of
    :class:`MediaFacts` replaces the item's (None and ``[]`` included: the file has no such
    thing, or the probe cannot tell), with the content type that follows from them.

    ``duration_seconds`` is kept only by an item with no HLS package: the transcoder's
    ``ready`` report (:attr:`ProcessingUpdate.duration_seconds`) gives a packaged item how
    long its package plays, which is what viewers play, while the probe reads the upload's
    headers (a start offset, sound past the picture's end). An item that plays its original
    (an M4A audiobook) has only the probe's length.

    ``original_playable`` is ingest's decision on them, as at upload
    (:attr:`MediaItemFields.playable`): the item plays when its original does or it has an
    HLS package. None (an ingest that does not say) keeps what the item had.
    """

    media_id: MediaId
    content_type: ContentType
    original_playable: bool | None = None


#: A version of an item's stills: 16 lower-case hex digits (of their bytes' hash).
StillsVersion = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{16}$")]


class OriginalReplacement(FactsUpdate, frozen=True, kw_only=True):
    """An item's video file replaced by a new upload, probed and stored under the item's
    prefix: the item keeps its id, text, status, captions, playlists and views, and takes
    the new original's key, size and facts (its duration too: the new file's, until its
    package's ``ready`` report says how long that plays).

    Applied only while the item's processing is still ``only_from`` (the state ingest read),
    else 409 ``processing_state_changed`` and nothing changes. With ``transcode`` the item is
    ``queued`` for a job ingest recorded, and keeps the package it plays until the new one is
    ready (the transcode-again path); without, it has no package any more (the new file
    plays as it is). ``stills_version`` (with ``thumbnail_s3_key``, None for a file that
    shows none) records the new file's automatic stills; None leaves the item's stills as
    they are (an admin chose them: :attr:`MediaItem.stills_chosen`)."""

    s3_key: ObjectKey
    size_bytes: SizeBytes
    only_from: ProcessingState
    transcode: bool
    stills_version: StillsVersion | None = None
    thumbnail_s3_key: ObjectKey | None = None


class StillsChange(msgspec.Struct, frozen=True):
    """An item's stills (thumbnail and poster) were made again, of another frame: their
    URLs carry ``version`` from now on, so browsers load them rather than a cached copy.
    ``chosen``: an admin's frame or image (kept when the item's file is replaced), not the
    automatic one. ``thumbnail_s3_key``: where the thumbnail now is, for an item that showed
    none (a sound without a cover given an image), or None when it shows none again (that
    sound back to its automatic nothing); unset, where it was."""

    media_id: MediaId
    version: StillsVersion
    chosen: bool = True
    thumbnail_s3_key: ObjectKey | msgspec.UnsetType | None = msgspec.UNSET


class ItemLookup(msgspec.Struct, frozen=True):
    """Which item an admin asks about."""

    media_id: MediaId


class CaptionChange(msgspec.Struct, frozen=True, kw_only=True):
    """Record (or with ``remove``, forget) the caption track of one language of an item.

    Ingest sends it once the track's WebVTT is stored (or before its files are deleted).
    ``label`` None keeps a replaced track's label, or names a new one by its language.
    A ``source="embedded"`` track never replaces an uploaded one: the answer then still
    lists the upload, and the caller must not write its file.
    """

    media_id: MediaId
    language: CaptionLanguage
    remove: bool = False
    label: CaptionLabel | None = None
    source: CaptionSource = "upload"
    by: UserId | None = None
    """The admin who asked for the change (their account id), for the catalogue's log;
    None when the transcoding worker records a file's own track, for no one. A service
    call carries no token (over HTTP the service secret admits it), so it is said here."""


CREATE_MEDIA_ITEM = Operation(
    module="catalogue",
    name="create_item",
    path="/internal/v1/catalogue/items",
    request=NewMediaItem,
    response=MediaItem,
    access="admin",  # ingest registers an upload for the admin who uploaded it
)

REGISTER_UPLOAD = Operation(
    module="catalogue",
    name="register_upload",
    path="/internal/v1/catalogue/uploads",
    request=UploadRegistration,
    response=MediaItem,
    # Ingest's sweeper, for an admin's stored upload orphaned in processing: the admin's
    # upload was authorised when its bytes were taken; no token of theirs is at hand now.
    access="service",
)

GET_MEDIA_ITEM = Operation(
    module="catalogue",
    name="get_item",
    path="/internal/v1/catalogue/item",
    request=ItemLookup,
    response=MediaItem,
    access="admin",  # ingest reads an item to transcode it again for the admin asking
)

UPDATE_PROCESSING = Operation(
    module="catalogue",
    name="update_processing",
    path="/internal/v1/catalogue/processing",
    request=ProcessingUpdate,
    response=MediaItem,
    access="service",  # the transcoding worker reports for no user; 404 once the item is gone
)


UPDATE_FACTS = Operation(
    module="catalogue",
    name="update_facts",
    path="/internal/v1/catalogue/facts",
    request=FactsUpdate,
    response=MediaItem,
    access="admin",  # ingest reads an item's file again for the admin asking
)


CHANGE_STILLS = Operation(
    module="catalogue",
    name="change_stills",
    path="/internal/v1/catalogue/stills",
    request=StillsChange,
    response=MediaItem,
    access="admin",  # ingest makes an item's stills again for the admin asking
)


REPLACE_ORIGINAL = Operation(
    module="catalogue",
    name="replace_original",
    path="/internal/v1/catalogue/original",
    request=OriginalReplacement,
    response=MediaItem,
    access="admin",  # ingest replaces an item's video file for the admin who uploaded it
)


CHANGE_CAPTION = Operation(
    module="catalogue",
    name="change_caption",
    path="/internal/v1/catalogue/captions",
    request=CaptionChange,
    response=MediaItem,
    # Ingest's admin routes and the transcoding worker (for no user) both report tracks.
    access="service",
)


class RecordedCaptions(msgspec.Struct, frozen=True):
    """An item's caption tracks as recorded now, and whether it has a master playlist to
    list them in."""

    has_hls: bool
    captions: CaptionTracks


READ_CAPTIONS = Operation(
    module="catalogue",
    name="read_captions",
    path="/internal/v1/catalogue/captions/recorded",
    request=ItemLookup,
    response=RecordedCaptions,
    # Whoever rewrote the master (an admin's change, the transcoding worker for no user)
    # reads the tracks again after it: only the last writer's reading is the latest.
    access="service",
)


# --- which ids are items (ingest's storage audit) ------------------------------------------

# The batch limits are aliases, made when the module is imported: a struct's annotations
# are read when it is first used (postponed annotations), so a limit written inline would be
# whatever the constant held then (a test that pages by two made it 2 for the process).

#: At most :data:`~streamstack.contracts.limits.EXISTING_ITEMS_BATCH_MAX` ids per call.
MediaIdBatch = Annotated[list[MediaId], msgspec.Meta(max_length=EXISTING_ITEMS_BATCH_MAX)]
#: At most as many keys.
KeyBatch = Annotated[list[str], msgspec.Meta(max_length=EXISTING_ITEMS_BATCH_MAX)]
#: How many a page may ask for.
BatchLimit = Annotated[int, msgspec.Meta(ge=1, le=EXISTING_ITEMS_BATCH_MAX)]


class ItemsLookup(msgspec.Struct, frozen=True):
    """Which of these ids are items (any status)."""

    media_ids: MediaIdBatch


class ExistingItems(msgspec.Struct, frozen=True):
    """The ids of :class:`ItemsLookup` that are items, each as a lower-case uuid, and the key
    of each one's original, in the same order (None from a catalogue that did not say: an
    older one), so the storage audit tells an item's original from one it no longer names
    (a replaced file's)."""

    media_ids: MediaIdBatch
    originals: KeyBatch | None = None


FIND_EXISTING_ITEMS = Operation(
    module="catalogue",
    name="find_existing_items",
    path="/internal/v1/catalogue/items/existing",
    request=ItemsLookup,
    response=ExistingItems,
    access="admin",  # ingest's storage audit asks for the admin running it
)


class ItemsMediaPage(msgspec.Struct, frozen=True):
    """The next items in id order after ``after`` (from the first when None), at most
    ``limit`` of them, with what each one's media should be (ingest's storage audit)."""

    after: MediaId | None = None
    limit: BatchLimit = EXISTING_ITEMS_BATCH_MAX


class ItemMedia(msgspec.Struct, frozen=True, kw_only=True):
    """What the database says one item has in ingest's buckets: its original's key (media
    bucket), its thumbnail's (thumbnails bucket, None without one), whether it has an HLS
    package (whose keys its ``outputs.json`` names) and the languages of its caption
    tracks (``captions/<language>.vtt`` under its prefix)."""

    id: MediaId
    title: str
    original: str
    thumbnail: str | None
    has_hls: bool
    captions: list[str]


#: A page of items' media (see :data:`MediaIdBatch` for why an alias).
ItemMediaBatch = Annotated[list[ItemMedia], msgspec.Meta(max_length=EXISTING_ITEMS_BATCH_MAX)]


class ItemsMedia(msgspec.Struct, frozen=True):
    """A page of :class:`ItemsMediaPage`, in id order; fewer than asked: the last page."""

    items: ItemMediaBatch


LIST_ITEMS_MEDIA = Operation(
    module="catalogue",
    name="list_items_media",
    path="/internal/v1/catalogue/items/media",
    request=ItemsMediaPage,
    response=ItemsMedia,
    access="admin",  # ingest's storage audit asks for the admin running it
)


class CredentialCheck(msgspec.Struct, frozen=True):
    """Empty both ways: a service asking whether catalogue accepts its credential."""


CHECK_CREDENTIAL = Operation(
    module="catalogue",
    name="check_credential",
    path="/internal/v1/catalogue/credential",
    request=CredentialCheck,
    response=CredentialCheck,
    # A transcoding worker asks once at its start: a wrong secret stops it there, before
    # it takes a job it could only fail.
    access="service",
)


class CatalogueClient:
    """What other modules may ask of catalogue."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def create_item(self, item: NewMediaItem, context: CallContext) -> MediaItem:
        """Register an item for the admin whose bearer token ``context`` carries."""
        return await self._transport.call(CREATE_MEDIA_ITEM, item, context)

    async def register_upload(self, item: NewMediaItem, uploaded_by: str) -> MediaItem:
        """Register an item for the admin ``uploaded_by`` (a service call: see
        :class:`UploadRegistration`); 409 if its id exists."""
        registration = UploadRegistration(item=item, uploaded_by=uploaded_by)
        return await self._transport.call(REGISTER_UPLOAD, registration, CallContext())

    async def get_item(self, media_id: str, context: CallContext) -> MediaItem:
        """Any item, as an admin sees it (the admin's token in ``context``); 404 if none."""
        return await self._transport.call(GET_MEDIA_ITEM, ItemLookup(media_id), context)

    async def update_processing(
        self, update: ProcessingUpdate, context: CallContext | None = None
    ) -> MediaItem:
        """Record where an item's transcoding stands (a service call: no user token needed).

        404 ``not_found`` when the item was deleted meanwhile: the job should stop.
        """
        return await self._transport.call(UPDATE_PROCESSING, update, context or CallContext())

    async def update_facts(self, facts: FactsUpdate, context: CallContext) -> MediaItem:
        """Record what the probe read in an item's stored original again, for the admin whose
        token ``context`` carries; the item after it. 404 ``not_found`` when there is no such
        item."""
        return await self._transport.call(UPDATE_FACTS, facts, context)

    async def change_stills(self, change: StillsChange, context: CallContext) -> MediaItem:
        """Record that the item's stills were made again, for the admin whose token
        ``context`` carries; the item after it, its stills' URLs new. 404 ``not_found``
        when there is no such item (deleted meanwhile)."""
        return await self._transport.call(CHANGE_STILLS, change, context)

    async def replace_original(
        self, replacement: OriginalReplacement, context: CallContext
    ) -> MediaItem:
        """Record an item's new original and its facts, for the admin whose token
        ``context`` carries; the item after it. 404 ``not_found`` when there is no such
        item, 409 ``processing_state_changed`` when its processing moved on meanwhile."""
        return await self._transport.call(REPLACE_ORIGINAL, replacement, context)

    async def change_caption(
        self, change: CaptionChange, context: CallContext | None = None
    ) -> MediaItem:
        """Record or forget one caption track; the item as it is after the change.

        404 ``not_found`` when the item does not exist, ``caption_not_found`` when a removed
        track does not; 409 ``too_many_captions`` past ``MAX_CAPTION_TRACKS``.
        """
        return await self._transport.call(CHANGE_CAPTION, change, context or CallContext())

    async def check_credential(self) -> None:
        """Return if catalogue accepts this process's service credential; 401
        ``invalid_service_secret`` if not, 503 if it is unreachable."""
        await self._transport.call(CHECK_CREDENTIAL, CredentialCheck(), CallContext())

    async def read_captions(self, media_id: str) -> RecordedCaptions:
        """The item's caption tracks as recorded now (a service call); 404 if no item."""
        return await self._transport.call(READ_CAPTIONS, ItemLookup(media_id), CallContext())

    async def existing_items(self, media_ids: Iterable[str], context: CallContext) -> set[str]:
        """Which of ``media_ids`` are items, drafts included (lower-case uuids), asked
        :data:`~streamstack.contracts.limits.EXISTING_ITEMS_BATCH_MAX` at a time, for the
        admin whose token ``context`` carries."""
        return set(await self.item_originals(media_ids, context))

    async def items_media(self, context: CallContext) -> AsyncIterator[ItemMedia]:
        """Every item (drafts included) in id order, with what its media should be, read
        a page of :data:`~streamstack.contracts.limits.EXISTING_ITEMS_BATCH_MAX` at a
        time, for the admin whose token ``context`` carries."""
        after: str | None = None
        while True:
            asked = ItemsMediaPage(after, EXISTING_ITEMS_BATCH_MAX)
            page = await self._transport.call(LIST_ITEMS_MEDIA, asked, context)
            for item in page.items:
                yield item
            if len(page.items) < EXISTING_ITEMS_BATCH_MAX:
                return
            after = page.items[-1].id

    async def item_originals(
        self, media_ids: Iterable[str], context: CallContext
    ) -> dict[str, str | None]:
        """Those of ``media_ids`` that are items (as :meth:`existing_items`), each with its
        original's key (None when catalogue did not say)."""
        ids = list(media_ids)
        existing: dict[str, str | None] = {}
        for start in range(0, len(ids), EXISTING_ITEMS_BATCH_MAX):
            batch = ItemsLookup(ids[start : start + EXISTING_ITEMS_BATCH_MAX])
            found = await self._transport.call(FIND_EXISTING_ITEMS, batch, context)
            originals: list[str | None] = [None] * len(found.media_ids)
            if found.originals is not None:
                originals = list(found.originals)
            existing.update(zip(found.media_ids, originals, strict=True))
        return existing
