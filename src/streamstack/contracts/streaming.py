"""The streaming module's published language: stream-token issue.

A token grants one media item: its original (``stream_url``; for a viewer, only while the
item has no HLS package) and every file under the item's own prefix in the media bucket (``<uuid>/hls/…``, ``<uuid>/storyboard/…``), each
played at ``<stream_url>/<path under the prefix>``. An admin's token also downloads the
original as a file (``<stream_url>/original``, :data:`ORIGINAL_PATH`). Playlists name their files by relative
URI, so a player resolves every segment against the token's own URL; a renewed token
serves the same relative paths under its new base URL.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated
from urllib.parse import quote

import msgspec

from streamstack.contracts.limits import (
    MAX_CAPTION_TRACKS,
    CaptionLabel,
    CaptionLanguage,
    EpochSeconds,
    ObjectKey,
    SharedLinkId,
    SizeBytes,
)
from streamstack.kernel.operation import CallContext, Operation, Transport
from streamstack.kernel.patterns import whole

#: KV bucket of live stream tokens, owned by streaming.
STREAM_TOKENS_BUCKET = "stream-tokens"

#: Where streaming serves thumbnails and posters (``<uuid>.jpg``, ``<uuid>-poster.jpg``).
THUMBNAILS_PATH = "/api/v1/stream/thumbnails"
#: The cookie by which a browser shows streaming an admin's access token, so that the
#: ``<img>`` of a hidden (unpublished) item's thumbnail loads for admins: an ``<img>`` sends
#: no bearer. Auth sets it with the access token at an admin's sign-in and refresh in
#: cookie mode (HttpOnly, SameSite=Strict, sent to :data:`THUMBNAILS_PATH` alone, for the
#: token's lifetime) and clears it at sign-out; streaming verifies it as any bearer.
STILLS_PASS_COOKIE = "streamstack_stills"

#: Which media item a token is for: letters, digits, ``-`` and ``_`` (never the ``|`` that
#: separates a grant's stored fields); catalogue's ids are uuids.
StreamMediaId = Annotated[
    str, msgspec.Meta(min_length=1, max_length=64, pattern=whole(r"[A-Za-z0-9][A-Za-z0-9_\-]*"))
]

#: An item's prefix in the media bucket: one path segment and a slash (``<uuid>/``).
ObjectPrefix = Annotated[
    str, msgspec.Meta(min_length=2, max_length=65, pattern=whole(r"[A-Za-z0-9][A-Za-z0-9_\-]*/"))
]
#: Where a token's HLS master playlist and storyboard live, under the item's prefix.
HLS_MASTER_PATH = "hls/master.m3u8"
STORYBOARD_PATH = "storyboard/storyboard.vtt"
#: Where an item's caption tracks live under its prefix: ``captions/<language>.vtt`` and
#: the one-segment HLS subtitle playlist listing it, ``captions/<language>.m3u8``.
CAPTIONS_DIR = "captions"


def caption_path(language: str) -> str:
    """The WebVTT of one caption track, under the item's prefix."""
    return f"{CAPTIONS_DIR}/{language}.vtt"


def caption_playlist_path(language: str) -> str:
    """The HLS subtitle playlist of one caption track, under the item's prefix."""
    return f"{CAPTIONS_DIR}/{language}.m3u8"


def caption_paths(language: str) -> tuple[str, str]:
    """Every file of one caption track under the item's prefix (what deleting it removes)."""
    return caption_path(language), caption_playlist_path(language)


#: Where an admin's token downloads the item's original as a file (``<stream_url>/original``):
#: a name no file under the prefix can have (those all end in an extension).
ORIGINAL_PATH = "original"
#: The longest file name a download is offered under (most file systems take 255 bytes).
DOWNLOAD_NAME_MAX = 120
#: A download's file name: no path separator, quote, ``|`` (a grant's field separator) or
#: control character, no leading dot; what :func:`download_name` makes of a title.
DOWNLOAD_NAME = r'[^./\\"|\x00-\x1f\x7f][^/\\"|\x00-\x1f\x7f]*'
DownloadName = Annotated[
    str, msgspec.Meta(min_length=1, max_length=DOWNLOAD_NAME_MAX + 11, pattern=whole(DOWNLOAD_NAME))
]
#: Replaced in a title made a file name: separators and quotes, and what Windows refuses.
_UNSAFE_IN_NAMES = frozenset('/\\"|<>:*?')


def download_name(title: str, original_key: str) -> str:
    """The file name an item's original downloads under: its title made safe (no path
    separator, quote or control or format character; spaces for runs of them), cut to
    :data:`DOWNLOAD_NAME_MAX`, and the original's extension (``video`` for an empty title)."""
    kept = "".join(
        " " if char in _UNSAFE_IN_NAMES or unicodedata.category(char)[0] in "CZ" else char
        for char in unicodedata.normalize("NFC", title)
    )
    stem = " ".join(kept.split())[:DOWNLOAD_NAME_MAX].strip(" .") or "video"
    extension = original_key.rsplit("/", 1)[-1].rpartition(".")[2].lower()
    if "." in original_key.rsplit("/", 1)[-1] and extension.isascii() and extension.isalnum():
        suffix = f".{extension[:10]}"
        # A title that ends with it already ("clip.mp4") is not given it twice.
        return stem if stem.lower().endswith(suffix) else f"{stem}{suffix}"
    return stem


def content_disposition(name: str) -> str:
    """``attachment`` with ``name`` (RFC 6266): an ASCII ``filename`` for every client, and
    ``filename*`` (UTF-8, percent-encoded) when the name is not ASCII."""
    fallback = name.encode("ascii", "replace").decode().replace("?", "_")
    header = f'attachment; filename="{fallback}"'
    return header if fallback == name else f"{header}; filename*=UTF-8''{quote(name, safe='')}"


#: The kinds of file under an item's prefix, by extension, and the type each is stored
#: with (ingest) and served with (streaming, which plays no other kind there).
PREFIX_FILE_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mp4": "video/mp4",
    ".m4s": "video/mp4",
    ".vtt": "text/vtt",
    ".jpg": "image/jpeg",
}


class StreamCaption(msgspec.Struct, frozen=True):
    """A caption track the item has (its file is ``captions/<language>.vtt``)."""

    language: CaptionLanguage
    label: CaptionLabel


class GrantedCaption(msgspec.Struct, frozen=True):
    """A caption track to show, and where its WebVTT is
    (``<stream_url>/captions/<language>.vtt``)."""

    language: str
    label: str
    url: str


class IssueStreamToken(msgspec.Struct, frozen=True):
    """Ask streaming for a token that grants one media item.

    ``s3_key`` is the original's key in the media bucket (``<uuid>.<ext>``) and
    ``size_bytes`` its size, as the catalogue recorded them. ``object_prefix`` is the
    item's own prefix in the media bucket (``<uuid>/``; every file under it may be played
    with the token); ``hls`` and ``storyboard`` say whether the item has a master playlist
    (``hls/master.m3u8``) and a storyboard (``storyboard/storyboard.vtt``) under it, and
    ``captions`` which caption tracks it has. ``decided_at`` (epoch seconds, the catalogue's
    clock, which also stamps withdrawals) is when the catalogue began reading the item it
    grants: the token counts as issued then, so a withdrawal committed after that read stops
    it even when streaming stamps the token in a later second.
    """

    media_id: StreamMediaId
    s3_key: ObjectKey
    size_bytes: SizeBytes
    object_prefix: ObjectPrefix | None = None
    hls: bool = False
    storyboard: bool = False
    captions: Annotated[list[StreamCaption], msgspec.Meta(max_length=MAX_CAPTION_TRACKS)] = []
    decided_at: EpochSeconds | None = None
    download_name: DownloadName | None = None
    """For an admin alone: the token also downloads the original, under this file name
    (:func:`download_name`); streaming grants it only to an admin caller."""


class StreamTokenGrant(msgspec.Struct, frozen=True):
    """Where to play it from and for how long."""

    stream_url: str
    """The original, played with byte ranges (``/api/v1/stream/<token>``): to an admin, and to
    a viewer while the item has no HLS package (then 404 ``stream_file_not_found``; the package
    is what plays). The base of every other URL here."""
    expires_in: int
    hls_url: str | None = None
    """The HLS master playlist (``<stream_url>/hls/master.m3u8``), when the item has one."""
    storyboard_url: str | None = None
    """The storyboard's WebVTT (``<stream_url>/storyboard/storyboard.vtt``), when it exists."""
    captions: list[GrantedCaption] = []
    """The item's caption tracks, by language, each with its WebVTT's URL."""
    download_url: str | None = None
    """An admin's: the original as a file to save (``<stream_url>/original``, resumable with
    byte ranges, ``Content-Disposition: attachment``)."""


ISSUE_STREAM_TOKEN = Operation(
    module="streaming",
    name="issue_token",
    path="/internal/v1/stream/token",
    request=IssueStreamToken,
    response=StreamTokenGrant,
    access="user",  # the token is granted to the signed-in user the call is made for
)


class IssueSharedStreamToken(msgspec.Struct, frozen=True, kw_only=True):
    """Ask streaming for a token that grants one media item to whoever holds a share link.

    The catalogue asks it once it found the link live and its item published and playable.
    ``grant`` names the item as for a viewer (its ``download_name`` is never granted);
    ``expires_at`` (epoch seconds) is the link's expiry, None for a link that never expires.
    The grant's user and session are ``share-<share_id>`` (:func:`share_session`): the
    catalogue puts that session on the revocation list when the link is stopped.
    """

    share_id: SharedLinkId
    grant: IssueStreamToken
    expires_at: EpochSeconds | None = None


def share_session(share_id: str) -> str:
    """The session (and user) id of a share link's grants: what stopping the link revokes."""
    return f"share-{share_id}"


ISSUE_SHARED_STREAM_TOKEN = Operation(
    module="streaming",
    name="issue_shared_token",
    path="/internal/v1/stream/shared-token",
    request=IssueSharedStreamToken,
    response=StreamTokenGrant,
    # For no user: the catalogue checked the share link (an anonymous holder has no token).
    access="service",
)


class StreamingClient:
    """What other modules may ask of streaming."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def issue_token(
        self, request: IssueStreamToken, context: CallContext
    ) -> StreamTokenGrant:
        """Issue a stream token for the user whose bearer token ``context`` carries."""
        return await self._transport.call(ISSUE_STREAM_TOKEN, request, context)

    async def issue_shared_token(self, request: IssueSharedStreamToken) -> StreamTokenGrant:
        """Issue a stream token to the holder of a share link the catalogue found live."""
        return await self._transport.call(ISSUE_SHARED_STREAM_TOKEN, request, CallContext())
