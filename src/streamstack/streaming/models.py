"""Streaming's domain structs: what a live stream token grants.

Streaming has no database; a grant lives as one value of the ``stream-tokens`` KV bucket
(:mod:`.repository`), ``media_id|user_id|timestamp|s3_key|size_bytes``.
"""

from __future__ import annotations

import dataclasses

from streamstack.kernel.storage import InvalidObjectKey, check_object_key

#: Separates the fields of a grant's KV value; no field may contain it.
SEPARATOR = "|"


@dataclasses.dataclass(frozen=True, slots=True)
class StreamGrant:
    """What a live token grants: one object of the media bucket, to one user."""

    media_id: str
    user_id: str
    issued_at: int
    s3_key: str
    size_bytes: int

    def encode(self) -> bytes:
        """The KV value: ``media_id|user_id|timestamp|s3_key|size_bytes``."""
        fields = (self.media_id, self.user_id, self.issued_at, self.s3_key, self.size_bytes)
        return SEPARATOR.join(str(field) for field in fields).encode()

    @classmethod
    def decode(cls, raw: bytes) -> StreamGrant | None:
        """Parse a KV value; None if it is not one this module wrote."""
        try:
            media_id, user_id, issued_at, s3_key, size = raw.decode().split(SEPARATOR)
            grant = cls(media_id, user_id, int(issued_at), check_object_key(s3_key), int(size))
        except (UnicodeDecodeError, ValueError, InvalidObjectKey):
            return None
        return grant if grant.size_bytes >= 0 else None
