"""What a media item is: how its editable fields are normalised, and the shapes it is
answered in (whole to admins and other modules, without its internals to viewers)."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import re
import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

import msgspec
from sqlalchemy import and_, func, or_

from streamstack.catalogue.chapters import item_chapters
from streamstack.catalogue.models import CaptionTrackRow, MediaItemRow
from streamstack.catalogue.search import DIGITS, counted_number, title_order, title_words
from streamstack.contracts.catalogue import (
    ADMIN_LIBRARY_PATH,
    PACKAGE_FORMAT,
    CaptionSource,
    CaptionTrack,
    CatalogueItem,
    FactsUpdate,
    ItemShown,
    MediaItem,
    MediaWithdrawn,
    NewMediaItem,
    OriginalReplacement,
    ProcessingUpdate,
    Rendition,
    TranscodeFailed,
    normalize_tag,
    object_prefix,
)
from streamstack.contracts.languages import shown_label
from streamstack.contracts.limits import TITLE_MAX
from streamstack.contracts.media import Chapter, MediaFacts
from streamstack.contracts.streaming import THUMBNAILS_PATH
from streamstack.kernel.conditions import entity_tags, tags_match
from streamstack.kernel.errors import BadRequest, PreconditionFailed
from streamstack.kernel.text import fold

if TYPE_CHECKING:
    from streamstack.catalogue.models import PlaylistRow
    from streamstack.catalogue.repository import MediaTagRepository
    from streamstack.catalogue.schemas import PlaylistChanges, UpdateMediaItem


def normalize_tags(tags: Iterable[str]) -> list[str]:
    """Distinct normalised tags, sorted; 400 if one is blank."""
    result = {normalize_tag(tag) for tag in tags}
    if "" in result:
        raise BadRequest("tags must not be blank", code="validation_error")
    return sorted(result)


def clean_title(title: str) -> str:
    """A title as stored: trimmed; 400 if nothing is left."""
    cleaned = title.strip()
    if not cleaned:
        raise BadRequest("title must not be blank", code="validation_error")
    return cleaned


def edit_listing(
    row: MediaItemRow | PlaylistRow,
    title: str | None,
    changes: UpdateMediaItem | PlaylistChanges,
) -> None:
    """The edit of what an item and a playlist both have: the ``title`` (cleaned:
    :func:`clean_title`; None keeps it), the description and the visibility (unset keeps
    them)."""
    if title is not None:
        row.title = title
    if isinstance(changes.description, str):
        row.description = changes.description
    if isinstance(changes.visibility, str):
        row.visibility = changes.visibility


def title_key(title: str) -> str:
    """The title as search's title tier reads it (and, through :func:`title_order`, as it
    sorts): :func:`fold`-ed (so "Éclair" sorts among the e's), cut to the column's :data:`TITLE_MAX` characters
    (folding lengthens a title now and then: ß is ss)."""
    return fold(title)[:TITLE_MAX]


#: How many of a title's numbers, its last ones, may be the one its series counts by
#: ("Season 2 Episode 3" by its last, then its season; "Part 1 of 3" by its first, having
#: no "Part 1 of 4").
SERIES_NUMBERS = 3

#: The marks that part a numbered title from its episode's own subtitle ("Lecture 1: Test
#: patterns", "Episode 3 \N{EN DASH} The Heist"): colon, hyphen, en and em dash, full stop,
#: bar; the SQL of Up next reads each of them as the first.
SUBTITLE_MARKS = ":-\N{EN DASH}\N{EM DASH}.|"

#: A number ending a series' part of a title: at the title's end, or before a
#: :data:`SUBTITLE_MARKS` mark (a space before it allowed) and no digit ("1.2" and "10:30"
#: are numbers of their own).
_SUBTITLED = re.compile(rf"(?: ?[{re.escape(SUBTITLE_MARKS)}](?![0-9])|$)")


def subtitle_marked(text: str) -> str:
    """``text`` with every :data:`SUBTITLE_MARKS` mark written as the first."""
    return text.translate({ord(mark): SUBTITLE_MARKS[0] for mark in SUBTITLE_MARKS[1:]})


@dataclasses.dataclass(frozen=True, slots=True)
class SeriesNumber:
    """One number of a title, and where the titles following it in its series lie in
    :func:`title_order`: the same ``prefix`` (what comes before the number there), a greater
    number, then the same ``words`` with any numbers between them, up to a subtitle if the
    title has one (``subtitled``), which the others may have too, each its own. So after its
    season's last episode, a title is followed by the next season's episodes ("s01e10" by
    "s02e01"): the first such title in that order, ``after <= order < before``, has the next
    number, then the first of what it numbers (the number's value sorts as people count)."""

    prefix: str
    #: What comes after the number in the title's order, between and after its later
    #: numbers, up to the subtitle.
    words: tuple[str, ...]
    #: The title's order up to the subtitle, without its numbers: what every title of its
    #: series reads there with theirs left out.
    unnumbered: str
    #: Whether the series' part of the title ends at a number (at the title's end, or
    #: before a subtitle): then the others' may be followed by a subtitle of their own.
    subtitled: bool
    #: The order of the same title with the next number: no greater number sorts before.
    after: str
    #: Above every number after the prefix (a number is at most 2 + TITLE_MAX digits).
    before: str


def series_numbers(key: str) -> list[SeriesNumber]:
    """The last :data:`SERIES_NUMBERS` numbers of a :func:`title_key`, the last first:
    "episode 2" is "episode 3" and on after it, "part 1 of 3" is "part 2 of 3" (or
    "part 1 of 4"), "s01e10" is "s01e11", else "s02e01" (the first of the next season),
    "lecture 1: test patterns" is "lecture 2" with any subtitle (or none)."""
    found = []
    numbers = list(DIGITS.finditer(key))
    # Where each number's series part ends: at the first number from it on that a
    # subtitle (or the title's end) follows; None: nowhere, the title is matched whole.
    ends: list[int | None] = []
    end: int | None = None
    for digits in reversed(numbers):
        end = digits.end() if _SUBTITLED.match(key, digits.end()) else end
        ends.append(end)
    for digits, end in list(zip(reversed(numbers), ends, strict=True))[:SERIES_NUMBERS]:
        # Numbers are written alike wherever they stand: the prefix and suffix of the
        # whole title's order are those of the title's parts.
        prefix = title_order(key[: digits.start()])
        following = counted_number(str(int(digits[0]) + 1))
        part = key if end is None else key[:end]
        found.append(
            SeriesNumber(
                prefix=prefix,
                words=tuple(DIGITS.split(part[digits.end() :])),
                unnumbered=DIGITS.sub("", part),
                subtitled=end is not None,
                after=prefix + following,
                before=prefix + "9" * (3 + TITLE_MAX),
            )
        )
    return found


def search_text(title: str, description: str, tags: Sequence[str]) -> str:
    """What ``q`` searches: title, description and tags, :func:`fold`-ed as queries are."""
    return fold("\n".join((title, description, " ".join(tags))))


def derived_columns(title: str, description: str, tags: Sequence[str]) -> dict[str, str]:
    """The columns an item's row derives from what an admin writes (its sort keys and
    searched texts), by column name: every writer of items sets all four alike."""
    key = title_key(title)
    return {
        "title_key": key,
        "title_order": title_order(key),
        "title_words": title_words(key),
        "search_text": search_text(title, description, tags),
    }


def edit_tag(*edited: object) -> str:
    """A strong entity tag digesting what an edit changes (``edited``: values msgspec
    encodes), for :attr:`MediaItem.etag` and a playlist's.

    Not ``updated_at``: transcoding moves it every few seconds, and an admin editing a
    video being transcoded would have every save refused for a change they cannot see.
    """
    digest = hashlib.blake2b(msgspec.json.encode(edited), digest_size=12)
    return '"' + digest.hexdigest() + '"'


def if_match_tags(header: str | None) -> tuple[str, ...] | None:
    """The entity tags of an ``If-Match`` header (``("*",)`` for any), None without one;
    400 ``invalid_if_match`` when it is no list of entity tags (RFC 9110 §13.1.1), rather
    than a 412 that would send the client reading the item again for ever."""
    if header is None:
        return None
    tags = entity_tags(header)
    if tags is None:
        raise BadRequest(
            'If-Match must be the ETag in double quotes (as GET or the list\'s "etag" '
            'gives it), a comma-separated list of them, or "*"',
            code="invalid_if_match",
        )
    return tags


#: What an item's etag digests: all a PATCH can change.
ITEM_EDITED = "title, description, tags, status, schedule, visibility or comments setting"


def check_unchanged(
    current: str,
    if_match: tuple[str, ...] | None,
    *,
    what: str = "item",
    edited: str = ITEM_EDITED,
    deleting: bool = False,
) -> None:
    """412 ``changed_elsewhere`` unless ``if_match`` (:func:`if_match_tags`) holds the
    ``current`` entity tag of the ``what`` (an item, a playlist) whose ``edited`` fields it
    digests, before an edit or (``deleting``) a deletion. Compared strongly (RFC 9110
    §8.8.3.2): a weak tag never matches."""
    if if_match is None or tags_match(if_match, current, weak=False):
        return
    done, then = ("deleted", "delete") if deleting else ("saved", "edit")
    raise PreconditionFailed(
        f"the {what}'s {edited} were changed since you read them: nothing was {done}; "
        f"read the {what} again (its ETag is now {current}) and {then} that",
        code="changed_elsewhere",
    )


def thumbnail_url(item_id: uuid.UUID | str, version: str | None = None) -> str:
    """Where streaming serves an item's thumbnail (of the stills' ``version``, if any)."""
    return f"{THUMBNAILS_PATH}/{item_id}.jpg{_versioned(version)}"


def poster_url(item_id: uuid.UUID | str, version: str | None = None) -> str:
    """Where streaming serves an item's large poster (its thumbnail when it has none)."""
    return f"{THUMBNAILS_PATH}/{item_id}-poster.jpg{_versioned(version)}"


def _versioned(version: str | None) -> str:
    # Streaming serves the stills whatever the query: the version only makes the URL new.
    return "" if version is None else f"?v={version}"


#: The stored columns an item's public shape is built from, in the order
#: :func:`item_from_values` takes their values. The list reads exactly these.
SHOWN_COLUMNS = (
    MediaItemRow.id,
    MediaItemRow.title,
    MediaItemRow.description,
    MediaItemRow.status,
    MediaItemRow.s3_key,
    MediaItemRow.size_bytes,
    MediaItemRow.content_type,
    MediaItemRow.duration_seconds,
    MediaItemRow.video_codec,
    MediaItemRow.audio_codec,
    MediaItemRow.width,
    MediaItemRow.height,
    MediaItemRow.fps,
    MediaItemRow.thumbnail_s3_key,
    MediaItemRow.stills_version,
    MediaItemRow.created_by,
    MediaItemRow.created_at,
    MediaItemRow.updated_at,
    MediaItemRow.published_at,
    MediaItemRow.playable,
    MediaItemRow.processing_state,
    MediaItemRow.processing_percent,
    MediaItemRow.processing_detail,
    MediaItemRow.renditions,
    MediaItemRow.has_hls,
    MediaItemRow.has_storyboard,
    MediaItemRow.package_format,
    MediaItemRow.view_count,
    MediaItemRow.publish_at,
    MediaItemRow.stills_chosen,
    MediaItemRow.visibility,
    MediaItemRow.comments_enabled,
    MediaItemRow.comment_count,
    MediaItemRow.like_count,
)


def to_media_item(
    row: MediaItemRow, tags: Sequence[str], captions: Sequence[CaptionTrackRow] | None = None
) -> MediaItem:
    """A stored item whole (its object keys and uploader too): for the contract's answers,
    the events and the admin-only routes. ``captions`` as :func:`to_catalogue_item`."""
    fields = item_fields(shown_values(row), tags, captions or ())
    return MediaItem(**fields, **_chapters(row, captions), etag=_etag_of(fields))


def item_etag(row: MediaItemRow, tags: Sequence[str]) -> str:
    """The :attr:`MediaItem.etag` of a stored item with its ``tags`` (what an edit or a
    deletion under ``If-Match`` compares), without building the item."""
    return _etag_of(item_fields(shown_values(row), tags, ()))


def to_catalogue_item(
    row: MediaItemRow,
    tags: Sequence[str],
    captions: Sequence[CaptionTrackRow] | None = None,
    *,
    admin: bool,
) -> CatalogueItem:
    """A stored item as routes open to viewers answer it: the admins' fields for ``admin``.

    ``captions`` makes it an answer about the one item: it carries its caption tracks and
    its chapters then, which a list (None) leaves out.
    """
    fields = item_fields(shown_values(row), tags, captions or ())
    return _shown(fields | _chapters(row, captions), admin=admin)


async def listed_items(
    tags: MediaTagRepository, rows: Sequence[MediaItemRow], *, admin: bool
) -> list[CatalogueItem]:
    """Stored items as a list open to viewers answers them (:func:`to_catalogue_item`), in
    the same order, each with its tags (read in one query)."""
    tags_of = await tags.of_items([row.id for row in rows])
    return [to_catalogue_item(row, tags_of.get(row.id, []), admin=admin) for row in rows]


#: What a page pairs with each item it lists (a like, a watch's progress).
_Paired = TypeVar("_Paired")


async def listed_pairs(
    tags: MediaTagRepository, rows: Sequence[tuple[_Paired, MediaItemRow]], *, admin: bool
) -> list[tuple[_Paired, CatalogueItem]]:
    """Rows of (what is listed, its stored item) with each item as a list open to viewers
    answers it (:func:`listed_items`), in the same order."""
    shown = await listed_items(tags, [item for _, item in rows], admin=admin)
    return [(paired, item) for (paired, _), item in zip(rows, shown, strict=True)]


def _chapters(row: MediaItemRow, captions: Sequence[CaptionTrackRow] | None) -> dict[str, Any]:
    """The item's ``chapters`` and ``chapters_from`` (its description's, else its file's:
    :func:`item_chapters`) in an answer about the one item (``captions`` given), else none:
    read here rather than stored, so an edit of the description, or of the file's facts or
    length, is never out of step with them."""
    if captions is None:
        return {}
    marked = msgspec.convert(row.chapters or [], list[Chapter])
    chapters, source = item_chapters(row.description, row.duration_seconds, marked)
    return {"chapters": chapters, "chapters_from": source} if source else {}


def shown_values(row: MediaItemRow) -> list[Any]:
    """A stored item's values of :data:`SHOWN_COLUMNS`, in their order (what
    :func:`item_from_values` reads)."""
    return [getattr(row, column.key) for column in SHOWN_COLUMNS]


#: Fields :func:`item_fields` leaves out, which :func:`_shown` adds for admins alone (a
#: viewer's list, the hot path, does not compute them).
_ADDED_FOR_ADMINS = ("etag",)
#: Their names, which are the names of the :class:`MediaItem` fields they fill.
_SHOWN_NAMES = tuple(column.key for column in SHOWN_COLUMNS)
#: The fields of a :class:`MediaItem` that a :class:`CatalogueItem` leaves out, for admins
#: (True) and for anyone else: the structs decide, so a field added to :class:`MediaItem`
#: alone reaches no viewer. (Named to delete: cheaper than copying the 30 others.)
_LEFT_OUT = {
    admin: tuple(
        name
        for name in MediaItem.__struct_fields__
        if name not in shape.__struct_fields__ and name not in _ADDED_FOR_ADMINS
    )
    for admin, shape in ((True, CatalogueItem), (False, ItemShown))
}


def item_from_values(
    values: Sequence[Any],
    tags: Sequence[str],
    captions: Sequence[CaptionTrackRow] = (),
    *,
    admin: bool,
) -> CatalogueItem:
    """An item as routes open to viewers answer it, from the values of
    :data:`SHOWN_COLUMNS` in their order (more values may follow: a list row's tags and
    total); the admins' fields for ``admin``."""
    return _shown(item_fields(values, tags, captions), admin=admin)


def _shown(fields: dict[str, Any], *, admin: bool) -> CatalogueItem:
    """The :class:`CatalogueItem` of an item's :func:`item_fields` (which it consumes),
    with its chapters when they are among them."""
    if admin:
        fields["etag"] = _etag_of(fields)
    for name in _LEFT_OUT[admin]:
        del fields[name]
    return CatalogueItem(**fields)


def _etag_of(fields: dict[str, Any]) -> str:
    """:attr:`MediaItem.etag`: :func:`edit_tag` of what a PATCH can change among an
    item's :func:`item_fields` (:data:`ITEM_EDITED`), so that an edit or deletion read
    before another's publishing, unpublishing or scheduling is refused too."""
    return edit_tag(
        fields["title"],
        fields["description"],
        sorted(fields["tags"]),
        fields["status"],
        fields["publish_at"],  # in UTC, as the service writes it and the database reads it
        fields["visibility"],
        fields["comments_enabled"],
    )


def item_fields(
    values: Sequence[Any], tags: Sequence[str], captions: Sequence[CaptionTrackRow]
) -> dict[str, Any]:
    """Every field of a :class:`MediaItem` but its chapters and etag, from the values of
    :data:`SHOWN_COLUMNS` in their order.

    By position: a list page's rows are SQLAlchemy rows, and reading their 26 values by
    name cost three times as much as building the item (24 items to a page).
    """
    shown = dict(zip(_SHOWN_NAMES, values, strict=False))
    # The id as text once: a uuid's str() is a microsecond, and the URLs need it twice.
    item_id, thumbnail, version = (
        str(shown["id"]),
        shown["thumbnail_s3_key"],
        shown.pop("stills_version"),
    )
    # processing_state: only the service writes the column, always a ProcessingState.
    shown.update(
        id=item_id,
        status="published" if shown["status"] == "published" else "draft",
        # bool(): a listing row's flags may come as SQLite's 0/1.
        playable=bool(shown["playable"]),
        has_hls=bool(shown["has_hls"]),
        has_storyboard=bool(shown["has_storyboard"]),
        stills_chosen=bool(shown["stills_chosen"]),
        comments_enabled=bool(shown["comments_enabled"]),
        # Only the service writes the column, always a MediaVisibility.
        visibility="unlisted" if shown["visibility"] == "unlisted" else "listed",
        renditions=[
            Rendition(height=r["height"], bandwidth=r["bandwidth"]) for r in shown["renditions"]
        ],
        outdated=is_outdated(
            shown["video_codec"], shown["processing_state"], shown["package_format"]
        ),
        thumbnail_url=thumbnail_url(item_id, version) if thumbnail else None,
        poster_url=poster_url(item_id, version) if thumbnail else None,
        tags=list(tags),
        captions=[to_caption_track(caption) for caption in captions],
    )
    return shown


def is_outdated(video_codec: str | None, state: str, package_format: int | None) -> bool:
    """:attr:`MediaItem.outdated`: a picture never transcoded, or packaged in an older
    format than :data:`PACKAGE_FORMAT`, with no job queued, running or failed for it.
    :data:`OUTDATED` is the same rule in SQL."""
    if video_codec is None:
        return False
    return state == "none" or (state == "ready" and (package_format or 1) < PACKAGE_FORMAT)


#: :func:`is_outdated` as a WHERE clause (the ``processing=outdated`` filter).
OUTDATED = and_(
    MediaItemRow.video_codec.is_not(None),
    or_(
        MediaItemRow.processing_state == "none",
        and_(
            MediaItemRow.processing_state == "ready",
            func.coalesce(MediaItemRow.package_format, 1) < PACKAGE_FORMAT,
        ),
    ),
)


def to_caption_track(row: CaptionTrackRow) -> CaptionTrack:
    """The public shape of a stored caption track; a label that is only its language's tag
    (as tracks were named before they were named by their language) reads as the
    language's name."""
    # Named here rather than by a migration: the stored label stays what was recorded, and
    # a language whose name the table learns later reads well without another migration.
    label = shown_label(row.label, row.language)
    # Only the service writes the column, always a CaptionSource.
    return CaptionTrack(row.language, label, cast(CaptionSource, row.source))


def new_row(
    request: NewMediaItem, tags: Sequence[str], *, created_by: str, now: datetime.datetime
) -> MediaItemRow:
    """The row of a newly registered item with its normalised ``tags``; 400 if its title is
    blank."""
    title = clean_title(request.title)
    return MediaItemRow(
        id=uuid.UUID(request.id),
        title=title,
        description=request.description,
        status="published" if request.publish else "draft",
        s3_key=request.s3_key,
        size_bytes=request.size_bytes,
        content_type=request.content_type,
        duration_seconds=request.duration_seconds,
        video_codec=request.video_codec,
        audio_codec=request.audio_codec,
        width=request.width,
        height=request.height,
        fps=request.fps,
        thumbnail_s3_key=request.thumbnail_s3_key,
        chapters=msgspec.to_builtins(request.chapters),
        **derived_columns(title, request.description, tags),
        created_by=created_by,
        created_at=now,
        updated_at=now,
        published_at=now if request.publish else None,
        publish_at=request.publish_at and request.publish_at.astimezone(datetime.UTC),
        original_playable=request.playable,
        playable=request.playable,
        processing_state=request.processing_state,
        processing_percent=0,
        processing_detail=None,
        renditions=[],
        has_hls=False,
        has_storyboard=False,
        view_count=0,
        comments_enabled=True,
        comment_count=0,
        like_count=0,
    )


def checked_renditions(update: ProcessingUpdate) -> list[dict[str, int]]:
    """The report's renditions as stored, lowest first; 400 if the report contradicts itself."""
    heights = [rendition.height for rendition in update.renditions]
    if len(set(heights)) != len(heights):
        raise BadRequest("two renditions of the same height", code="validation_error")
    if update.state == "failed" and not (update.detail or "").strip():
        raise BadRequest("a failed job needs a detail saying why", code="validation_error")
    if update.state == "ready" and not update.hls:
        raise BadRequest("ready means the HLS renditions are written", code="validation_error")
    return [
        {"height": r.height, "bandwidth": r.bandwidth}
        for r in sorted(update.renditions, key=lambda r: r.height)
    ]


def apply_processing(
    row: MediaItemRow, update: ProcessingUpdate, renditions: list[dict[str, int]]
) -> None:
    """Record the worker's report on the item; it becomes playable with its first rendition
    (and, with ``keep_package``, goes on playing the one it has), and stops playing its
    original when the transcoder found it unreadable. A package of sound alone
    has no renditions (its one variant is its audio); a video's has at least one."""
    if update.hls and not renditions and row.video_codec is not None and not update.keep_package:
        raise BadRequest(
            "an HLS stream of a video needs at least one rendition", code="validation_error"
        )
    row.processing_state = update.state
    row.processing_percent = 100 if update.state == "ready" else update.percent
    row.processing_detail = update.detail
    if update.original_unreadable:
        # Browser-safe by its headers, yet damaged past reading: not to be shown to viewers.
        row.original_playable = False
        settle_playable(row)
    if update.keep_package:
        return
    row.renditions = renditions
    row.has_hls = update.hls
    row.has_storyboard = update.storyboard
    row.package_format = update.package_format if update.hls else None
    if update.hls and update.duration_seconds is not None:
        row.duration_seconds = update.duration_seconds
    settle_playable(row)


def transcode_failed(row: MediaItemRow) -> TranscodeFailed:
    """The news of the item's transcoding failed for good, as ``row`` now stands."""
    return TranscodeFailed(
        item_id=str(row.id),
        item_title=row.title,
        detail=row.processing_detail or "",
        still_plays=row.playable,
        link_path=ADMIN_LIBRARY_PATH,
        failed_at=row.updated_at,
    )


def settle_playable(row: MediaItemRow) -> None:
    """The item plays when its original does or once it has an HLS package."""
    row.playable = row.original_playable or row.has_hls


def apply_facts(row: MediaItemRow, facts: FactsUpdate) -> bool:
    """Record on the item the facts the probe read in its original again, and whether the
    original plays (so whether the item does); whether any of them changed. Its duration
    only while it has no HLS package, whose ``ready`` report owns it then
    (:class:`FactsUpdate`)."""
    # Every field of the contract's facts, so a fact added there is recorded here too.
    values: dict[str, Any] = {
        name: getattr(facts, name) for name in ("content_type", *MediaFacts.__struct_fields__)
    }
    values["chapters"] = msgspec.to_builtins(facts.chapters)  # the column holds JSON
    if row.has_hls:
        del values["duration_seconds"]
    if facts.original_playable is not None:
        values["original_playable"] = facts.original_playable
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    if "original_playable" in changed:
        settle_playable(row)
    return bool(changed)


def apply_replacement(row: MediaItemRow, replacement: OriginalReplacement) -> None:
    """Record on the item its new original, the facts read in it (its duration too: the new
    file's, until its package says how long that plays) and, unless an admin chose them,
    its new automatic stills. Transcoded, it is queued and plays the package it has until
    the new one is ready; else the package of the old file goes (the new file plays as is).
    """
    apply_facts(row, replacement)
    row.duration_seconds = replacement.duration_seconds
    row.s3_key = replacement.s3_key
    row.size_bytes = replacement.size_bytes
    if replacement.transcode:
        row.processing_state, row.processing_percent = "queued", 0
    else:
        row.processing_state, row.processing_percent = "none", 0
        row.renditions, row.has_hls, row.has_storyboard = [], False, False
        row.package_format = None
    row.processing_detail = None
    if replacement.stills_version is not None and not row.stills_chosen:
        row.thumbnail_s3_key = replacement.thumbnail_s3_key
        row.stills_version = replacement.stills_version
    settle_playable(row)


def withdrawal(row: MediaItemRow, now: datetime.datetime) -> bytes:
    """The ``media.unpublished`` / ``media.deleted`` payload for the item, as JSON."""
    media_id = str(row.id)
    return msgspec.json.encode(
        MediaWithdrawn(
            id=media_id,
            object_prefix=object_prefix(media_id),
            s3_key=row.s3_key,
            thumbnail_s3_key=row.thumbnail_s3_key,
            withdrawn_at=now,
        )
    )
