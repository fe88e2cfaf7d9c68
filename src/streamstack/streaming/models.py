"""Streaming's domain structs: what a live stream token grants, and what is known of an
item's visibility (:class:`Seen`).

Streaming has no database; a grant lives as one value of the ``stream-tokens`` KV bucket
(:mod:`.repository`),
``media_id|user_id|timestamp|s3_key|size_bytes|object_prefix|session|session_expires|download_name``.
A grant covers the item's original (``s3_key``) and every object under its prefix, for as
long as the access token that asked for it (``session``, its ``jti``) is live; an admin's
(``download_name``) also the original as a file to save.
"""

from __future__ import annotations

import dataclasses
import re

import msgspec

from streamstack.contracts.streaming import DOWNLOAD_NAME, PREFIX_FILE_TYPES
from streamstack.kernel.storage import InvalidObjectKey, check_object_key

#: Separates the fields of a grant's KV value; no field may contain it.
SEPARATOR = "|"
#: A grant's prefix: empty, or one segment and a slash (``<uuid>/``).
_PREFIX = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9_\-]*/)?")
#: The id of the access token a grant was issued to (empty in grants from before).
_SESSION = re.compile(r"[A-Za-z0-9_\-]{0,64}")
#: A file a token may play under its item's prefix: segments of letters, digits, ``_``,
#: ``-`` (and inner dots), never starting with a dot (so no ``.`` or ``..``), ending in a
#: kind of file the transcoder writes (``PREFIX_FILE_TYPES``). No other character (no
#: ``%``, ``\``, NUL) gets through.
FILE_PATH = re.compile(
    r"(?:[A-Za-z0-9_\-][A-Za-z0-9_\-.]{0,63}/){0,4}"
    r"[A-Za-z0-9_\-][A-Za-z0-9_\-.]{0,63}"
    rf"(?:{'|'.join(re.escape(extension) for extension in PREFIX_FILE_TYPES)})"
)
MAX_FILE_PATH = 256
_DOWNLOAD_NAME = re.compile(f"(?:{DOWNLOAD_NAME})?")


@dataclasses.dataclass(frozen=True, slots=True)
class StreamGrant:
    """What a live token grants to one user: an item's original and its prefix's files.

    ``object_prefix`` is empty for a grant of the original alone (tokens issued before
    prefixes existed, or an item without one).
    """

    media_id: str
    user_id: str
    issued_at: int
    s3_key: str
    size_bytes: int
    object_prefix: str = ""
    session: str = ""
    """The ``jti`` of the access token the grant was issued to: revoked (sign-out, a role
    change, a disabled or deleted account), it ends the grant too."""
    session_expires: int = 0
    """When that access token expires (epoch seconds), and the grant with it."""
    download_name: str = ""
    """The file name the original downloads under (``<stream_url>/original``); empty for a
    grant that does not download it (a viewer's, or one from before downloads)."""
    plays_original: bool = True
    """Whether ``stream_url`` itself plays the original: a viewer of an item with an HLS
    package plays the package alone (the original may be a 10 GB master, or keep what
    transcoding leaves out, such as a phone's location); an admin's grant always does."""

    def encode(self) -> bytes:
        """The KV value: its fields in order, separated by :data:`SEPARATOR`."""
        fields = (
            self.media_id,
            self.user_id,
            self.issued_at,
            self.s3_key,
            self.size_bytes,
            self.object_prefix,
            self.session,
            self.session_expires,
            self.download_name,
            int(self.plays_original),
        )
        return SEPARATOR.join(str(field) for field in fields).encode()

    @classmethod
    def decode(cls, raw: bytes) -> StreamGrant | None:
        """Parse a KV value; None if it is not one this module wrote."""
        try:
            fields = raw.decode().split(SEPARATOR)
            # Written before grants carried a prefix, their access token, a download or
            # whether they play the original (they all did).
            fields += ["", "", "0", "", "1"][len(fields) - 5 :] if 5 <= len(fields) < 10 else []
            media_id, user_id, issued_at, s3_key, size, prefix, session, expires, name, plays = (
                fields
            )
            grant = cls(
                media_id,
                user_id,
                int(issued_at),
                check_object_key(s3_key),
                int(size),
                prefix,
                session,
                int(expires),
                name,
                _flag(plays),
            )
        except (UnicodeDecodeError, ValueError, InvalidObjectKey):
            return None
        if grant.size_bytes < 0 or not _PREFIX.fullmatch(grant.object_prefix):
            return None
        if not _DOWNLOAD_NAME.fullmatch(grant.download_name):
            return None
        return grant if _SESSION.fullmatch(grant.session) else None

    def key_of(self, path: str) -> str | None:
        """The media-bucket key of ``path`` under the grant's prefix, or None when the
        grant has no prefix or ``path`` is not a servable file name (see :data:`FILE_PATH`).
        """
        if not self.object_prefix or len(path) > MAX_FILE_PATH or not FILE_PATH.fullmatch(path):
            return None
        try:
            return check_object_key(self.object_prefix + path)
        except InvalidObjectKey:
            return None


def _flag(text: str) -> bool:
    """``"1"`` or ``"0"`` as written by :meth:`StreamGrant.encode`; ValueError otherwise."""
    if text not in ("0", "1"):
        raise ValueError(f"not a flag: {text!r}")
    return text == "1"


class Seen(msgspec.Struct, frozen=True, array_like=True):
    """The latest known of one item: hidden or shown since ``at`` (epoch seconds);
    ``lasting`` when it holds until the next event (an unpublished item)."""

    hidden: bool
    at: float
    lasting: bool
