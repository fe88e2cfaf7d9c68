"""The platform's limits on what its users may say (a media item's title and tags, an
invite's note…), defined once.

Every HTTP schema and every contract struct that carries one of these values uses the type
from here, so a title ingest accepts is a title catalogue accepts, and an in-process call
meets the same rules as an HTTP one (the transports decode against the same structs). The
constraints are ``msgspec.Meta`` on ``Annotated`` types: checked whenever msgspec decodes or
converts, never when a struct is built by hand.
"""

from __future__ import annotations

import datetime
from typing import Annotated

import msgspec

from streamstack.kernel.patterns import whole

# Every pattern is made by ``whole``: Python's ``$`` alone lets a final newline through.

#: What one line of text never holds: control characters (C0 and C1), the Unicode line and
#: paragraph separators (line-based files split on them: a label in a playlist), lone
#: surrogates (Postgres refuses them).
_NOT_ON_ONE_LINE = r"\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff"
#: One line of text.
ONE_LINE = whole(rf"[^{_NOT_ON_ONE_LINE}]*", "one line of text, without control characters")
#: A tag: one line without a comma, since tags are typed and shown comma-separated (the
#: upload form, the CLI, the library's edit form would split one on its next save).
TAG_TEXT = whole(rf"[^,{_NOT_ON_ONE_LINE}]*", "a tag: one line of text without commas")
#: Any text but NUL and lone surrogates (Postgres refuses both).
NO_NUL = whole(r"[^\x00\ud800-\udfff]*", "text without NUL characters")
#: A storage key: ``/``-separated segments of ``[A-Za-z0-9._-]``, each starting with a letter
#: or digit, so ``..``, absolute paths, empty segments, backslashes and NUL are refused
#: (the object stores' own rule, ``kernel.storage.check_object_key``).
OBJECT_KEY = whole(
    r"[A-Za-z0-9][A-Za-z0-9._\-]*(/[A-Za-z0-9][A-Za-z0-9._\-]*)*",
    "a storage key: /-separated names of letters, digits, '.', '_' and '-'",
)
#: A comment: lines of text (newlines and tabs kept as typed), without other control
#: characters or lone surrogates.
COMMENT_TEXT = whole(
    r"[^\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]*",
    "text without control characters other than newlines and tabs",
)
#: A UUID in its canonical text form, any case.
UUID_TEXT = whole(
    r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}", "a UUID"
)

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
TAG_MAX = 40
MAX_TAGS = 20
OBJECT_KEY_MAX = 1024
SEARCH_MAX = 200
#: The largest integer JSON carries exactly to a browser (2**53): 8 PiB is enough.
SIZE_MAX = 2**53
PROCESSING_DETAIL_MAX = 500
#: More than the ladder's seven rungs (240p … 2160p), for the odd extra one.
MAX_RENDITIONS = 16
#: Chapters an item keeps from its file: an audiobook's, a long film's (beyond, the first).
MAX_CHAPTERS = 500
CHAPTER_TITLE_MAX = 200

#: ``limit`` and ``offset`` of every list paged by offset (an admin's lists): a page a
#: person reads, and an offset far past any real list that a database still takes.
LIST_LIMIT_MAX = 100
LIST_OFFSET_MAX = 1_000_000_000
#: Items suggested after one (a row of cards beside or under the player).
RELATED_LIMIT_MAX = 24
#: Personal playlists: how many one account keeps, and how many items one holds (a
#: reorder rewrites the positions of them all, so they stay a list a person curates).
#: A playlist's title and description are an item's (:data:`Title`, :data:`Description`).
MAX_PLAYLISTS = 100
MAX_PLAYLIST_ITEMS = 500
#: Stream tokens one account may have issued at once, then one more every
#: ``STREAM_TOKEN_REFILL_SECONDS``: a player asks on load and again to renew, while a script
#: asking in a loop would add a stored token per request, each kept for an hour.
STREAM_TOKEN_BURST = 20
STREAM_TOKEN_REFILL_SECONDS = 3
#: Media ids one call asks catalogue about (which are items): one ``IN`` list a database
#: takes in one statement, and a JSON body of about 20 KiB.
EXISTING_ITEMS_BATCH_MAX = 500
#: The longest grace period one storage audit may be asked to use (``grace_seconds``,
#: ``streamstack storage audit --grace``): 90 days.
AUDIT_GRACE_MAX_SECONDS = 90 * 24 * 3600
#: What an admin notes on an invite to tell it apart ("for Alice, video club"): one line
#: that the invite list shows beside the invite (only the code's hash is kept).
INVITE_NOTE_MAX = 200
#: Invites one list answers at most (the usable ones first; 100 unless asked):
#: ``streamstack invites list --all`` asks for this many.
INVITES_LIST_MAX = 500
#: A comment's characters (after trimming), and the most comments one page answers (20
#: unless asked): a few paragraphs a person reads under a video, and a page of them.
COMMENT_MAX = 2000
COMMENTS_PAGE_MAX = 50
#: A report's reason (after trimming; blank is none): a few sentences to an admin.
REPORT_REASON_MAX = 500
#: How far ahead a draft's publish time may be set: further is a typo (9999 for 2029), and
#: a schedule nobody alive sees come due would hide a draft that was meant to go public.
PUBLISH_AHEAD_MAX_YEARS = 10
#: A share link's life at most when it expires (a year; a link for longer never expires),
#: and the live links (neither stopped nor expired) one item has at most: links are
#: handed to people one by one, and a script making one per request would fill the table.
SHARE_EXPIRY_DAYS_MAX = 365
MAX_SHARE_LINKS = 20
#: The live links of one maker the admins' list names at most, the newest first (it counts
#: them all): enough for a page, where a dialog needs only the count.
MADE_SHARE_LINKS_LISTED = 100
#: How many days back an item's statistics reach at most (a year), and by default.
STATISTICS_DAYS_MAX = 365
STATISTICS_DAYS_DEFAULT = 30
#: Thumbnails fit in this box (width, height), and keep the frame's aspect ratio (ingest
#: makes them; link previews tell their size).
THUMBNAIL_BOX = (640, 1280)


def fitted_in(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """``size`` (width, height) scaled down (never up) to fit in ``box``, both sides even:
    a still's size in a box (:data:`THUMBNAIL_BOX`), as ingest makes it and previews say it."""
    scale = min(1.0, box[0] / size[0], box[1] / size[1])
    width, height = round(size[0] * scale), round(size[1] * scale)
    # Rounded down to even sides (4:2:0 JPEG): never a pixel more than the frame has.
    return max(2, width - width % 2), max(2, height - height % 2)


#: A share link's secret: ``secrets.token_urlsafe(32)``, 43 URL-safe base64 characters.
SHARE_SECRET = whole(r"[A-Za-z0-9_\-]{43}", "a share link's secret")

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=TITLE_MAX, pattern=ONE_LINE)]
Description = Annotated[str, msgspec.Meta(max_length=DESCRIPTION_MAX, pattern=NO_NUL)]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=TAG_MAX, pattern=TAG_TEXT)]
Tags = Annotated[list[Tag], msgspec.Meta(max_length=MAX_TAGS)]
SearchText = Annotated[str, msgspec.Meta(max_length=SEARCH_MAX, pattern=ONE_LINE)]
#: A comment as sent: trimmed, it must be 1 to :data:`COMMENT_MAX` characters (the
#: catalogue checks that); what surrounds it may take as many again.
CommentText = Annotated[str, msgspec.Meta(max_length=2 * COMMENT_MAX, pattern=COMMENT_TEXT)]
#: A report's reason as sent: trimmed, at most :data:`REPORT_REASON_MAX` characters (the
#: catalogue checks that); lines of text as a comment's.
ReportReason = Annotated[str, msgspec.Meta(max_length=2 * REPORT_REASON_MAX, pattern=COMMENT_TEXT)]
#: An invite's note as sent; blank means none (auth trims it).
InviteNote = Annotated[str, msgspec.Meta(max_length=INVITE_NOTE_MAX, pattern=ONE_LINE)]

MediaId = Annotated[str, msgspec.Meta(pattern=UUID_TEXT, description="a media item's uuid")]
SharedLinkId = Annotated[str, msgspec.Meta(pattern=UUID_TEXT, description="a share link's uuid")]
ShareExpiryDays = Annotated[int, msgspec.Meta(ge=1, le=SHARE_EXPIRY_DAYS_MAX)]
#: A user's id as an access token names it (its ``sub``; ingest keeps up to 64 characters).
UserId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=ONE_LINE)]
#: A place in a playlist, 0 first (one less than :data:`MAX_PLAYLIST_ITEMS` at most).
PlaylistPosition = Annotated[int, msgspec.Meta(ge=0, lt=MAX_PLAYLIST_ITEMS)]
#: How many items a playlist shows, and how many playlists an account has.
PlaylistItemCount = Annotated[int, msgspec.Meta(ge=0, le=MAX_PLAYLIST_ITEMS)]
PlaylistCount = Annotated[int, msgspec.Meta(ge=0, le=MAX_PLAYLISTS)]
#: How many entries of one's own list (a playlist, liked videos, history) cannot be watched
#: now (unpublished, withdrawn, not playable yet): kept, and shown again when they are back.
UnavailableCount = Annotated[int, msgspec.Meta(ge=0)]
ObjectKey = Annotated[
    str, msgspec.Meta(min_length=1, max_length=OBJECT_KEY_MAX, pattern=OBJECT_KEY)
]
#: A moment in time, RFC 3339 with its offset (``2026-03-02T09:00:00+01:00`` or ``…Z``): a
#: time without one names no instant (whose 9:00?), so it is refused.
Instant = Annotated[datetime.datetime, msgspec.Meta(tz=True)]
SizeBytes = Annotated[int, msgspec.Meta(ge=0, le=SIZE_MAX)]
ContentType = Annotated[
    str, msgspec.Meta(min_length=3, max_length=255, pattern=whole(r"[A-Za-z0-9][\w.+-]*/[\w.+-]+"))
]
Codec = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=whole(r"[\w.+-]+"))]
#: A frame width or height in pixels.
Dimension = Annotated[int, msgspec.Meta(ge=1, le=65_535)]
DurationSeconds = Annotated[float, msgspec.Meta(ge=0, le=10_000_000)]
ChapterTitle = Annotated[
    str, msgspec.Meta(min_length=1, max_length=CHAPTER_TITLE_MAX, pattern=ONE_LINE)
]
FrameRate = Annotated[float, msgspec.Meta(gt=0, le=1000)]

Percent = Annotated[int, msgspec.Meta(ge=0, le=100)]
#: A transcoder's package format (:data:`streamstack.contracts.catalogue.PACKAGE_FORMAT`).
PackageFormat = Annotated[int, msgspec.Meta(ge=1, le=1000)]
#: Bits per second of a rendition (HLS ``BANDWIDTH``): up to 1 Gbit/s.
Bandwidth = Annotated[int, msgspec.Meta(ge=1, le=1_000_000_000)]
#: A moment as seconds since the epoch (up to the year 2286; JSON's ``1e999`` is refused).
EpochSeconds = Annotated[float, msgspec.Meta(ge=0, le=10_000_000_000)]
#: What a person reads about a job: the rung being written, or why it failed.
ProcessingDetail = Annotated[str, msgspec.Meta(max_length=PROCESSING_DETAIL_MAX, pattern=ONE_LINE)]

#: Captions (WebVTT or SubRip uploads, stored as WebVTT we render): a BCP 47-ish language
#: tag (``en``, ``pt-BR``, ``zh-Hans-CN``; tracks recorded before tags were made canonical
#: may have another case after the first subtag, ``pt-br``), a label a person picks from a
#: menu, and the caps a caption file is checked against before and while it is parsed.
CAPTION_LANGUAGE_MAX = 35
CAPTION_LANGUAGE = whole(
    r"[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}", "a language tag such as en or pt-BR"
)
#: A language tag as a person may write it: any case, ``_`` for ``-`` (``EN``, ``en_US``);
#: taken in that canonical spelling (``contracts.languages.canonical_language``).
LANGUAGE_AS_WRITTEN = whole(
    r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}",
    "a language tag such as en, fr, pt-BR or zh-Hant",
)
CAPTION_LABEL_MAX = 64
#: The largest caption file accepted, checked before a byte of it is parsed.
CAPTION_MAX_BYTES = 512 * 1024
#: The largest ID3 tag a sound upload may start with (its cover pictures: a few hundred KiB,
#: a 3000-pixel cover a few MiB). Ingest holds the tag to see what follows it before it
#: stores a byte, so the tag and those bytes fit in a resumable upload's first part (8 MiB).
ID3_TAG_MAX_BYTES = 7 * 1024 * 1024
#: A still image an admin uploads as an item's thumbnail (a JPEG, PNG or WebP): its bytes,
#: read whole before anything else, and the longest side its header may name (a large
#: camera's photo; more would be a decompression bomb's size, decoded in the sandbox). Its
#: shortest side is a video's (16 pixels, the ladder's ``MIN_PICTURE_SIDE``).
STILL_IMAGE_MAX_BYTES = 10 * 1024 * 1024
STILL_IMAGE_MAX_SIDE = 8192
#: Tracks per item: a menu a person can still read.
MAX_CAPTION_TRACKS = 16
#: Cues per file: a three-hour film has about 3,000.
MAX_CAPTION_CUES = 10_000
#: Characters of one cue's text (all its lines): a screenful is a few hundred.
CAPTION_CUE_TEXT_MAX = 1000
#: The latest time a cue may end, in seconds (the longest duration an item may have).
CAPTION_TIME_MAX = 10_000_000

CaptionLanguage = Annotated[
    str,
    msgspec.Meta(
        min_length=2,
        max_length=CAPTION_LANGUAGE_MAX,
        pattern=CAPTION_LANGUAGE,
        description="a BCP 47 language tag, e.g. en, pt-BR",
    ),
]
CaptionLabel = Annotated[
    str, msgspec.Meta(min_length=1, max_length=CAPTION_LABEL_MAX, pattern=ONE_LINE)
]
