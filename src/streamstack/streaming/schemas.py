"""Streaming's HTTP shapes: the answers of its routes as OpenAPI documents them.

Media and thumbnails are bytes, not JSON; what has a shape is each status a route can
answer and the one error body (``{status, code, detail, request_id}``) of its failures.
The token-issue operation's shapes are the contract's (:mod:`streamstack.contracts.streaming`).
"""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec

from streamstack.contracts.streaming import STILLS_PASS_COOKIE
from streamstack.kernel.errors import ErrorBody


def _error(description: str) -> ResponseSpec:
    return ResponseSpec(ErrorBody, description=description, generate_examples=False)


_NO_BODY = ResponseSpec(None, description="Not modified: the client's copy is current")
STREAM_RESPONSES = {
    206: ResponseSpec(
        None,
        description="One range (Content-Range) or several (multipart/byteranges)",
        media_type="application/octet-stream",
    ),
    304: _NO_BODY,
    404: _error(
        "Unknown, expired or taken-down token, a path outside its item's prefix, or its object is gone"
    ),
    412: _error("If-Match or If-Unmodified-Since failed"),
    416: _error("No requested range overlaps the object (Content-Range: bytes */size)"),
    503: _error("The key-value or object store is unreachable (Retry-After)"),
}
THUMBNAIL_RESPONSES = {
    304: _NO_BODY,
    404: _error(
        "No such thumbnail, a name other than '<media uuid>[-poster].jpg', or an unpublished "
        f"item's without an admin's stills pass (the {STILLS_PASS_COOKIE} cookie)"
    ),
    503: _error(
        "The object store, or the revocation list for a pass, is unreachable; or which items "
        "are hidden is not known yet (Retry-After)"
    ),
}
