"""Still images an admin uploads as an item's thumbnail: which kind a body is, and the size
and animation its header states, read from its first bytes before anything decodes it.

JPEG (``FF D8 FF``, its size in the first start-of-frame segment), PNG (the PNG signature,
then ``IHDR``; an ``acTL`` chunk before the image data makes it an animated PNG) and WebP
(``RIFF`` … ``WEBP``, then a ``VP8 ``, ``VP8L`` or ``VP8X`` chunk, the last with its
animation flag). Anything else (an SVG drawing, a GIF, a text) is refused here, and so is a
header naming a picture outside the contract's sides (a decompression bomb: a few KB of PNG
that claims 30000 x 30000 pixels) or an animation. What passes is decoded in the probe's
sandbox (:meth:`~.probe.MediaProber.image_stills`), which checks the decoded picture again:
a header may lie.
"""

from __future__ import annotations

import dataclasses

from streamstack.contracts.limits import STILL_IMAGE_MAX_SIDE
from streamstack.ingest.transcoding.ladder import MIN_PICTURE_SIDE
from streamstack.kernel.errors import Unprocessable

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Chunks or segments walked looking for a header's facts before giving up on it.
_MAX_SEGMENTS = 1024
#: JPEG markers that stand alone (no length): TEM and the restart markers.
_STANDALONE = {0x01, *range(0xD0, 0xD8)}
#: JPEG start-of-frame markers (C4 defines Huffman tables, C8 is reserved, CC arithmetic
#: coding conditioning: not frames).
_START_OF_FRAME = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_START_OF_SCAN = 0xDA
#: The VP8X flag of an animated WebP.
_WEBP_ANIMATED = 0x02


@dataclasses.dataclass(frozen=True, slots=True)
class ImageKind:
    """A kind of still image ingest takes, and the FFmpeg demuxer that alone opens it."""

    name: str
    content_type: str
    demuxer: str


JPEG = ImageKind("JPEG", "image/jpeg", "jpeg_pipe")
PNG = ImageKind("PNG", "image/png", "png_pipe")
WEBP = ImageKind("WebP", "image/webp", "webp_pipe")
IMAGE_KINDS = (JPEG, PNG, WEBP)
#: The Content-Types an image is sent with.
IMAGE_CONTENT_TYPES = tuple(kind.content_type for kind in IMAGE_KINDS)


@dataclasses.dataclass(frozen=True, slots=True)
class ImageHeader:
    """What an image's header says: its kind and size (width, height in pixels)."""

    kind: ImageKind
    width: int
    height: int


class NotAnImage(Unprocessable):
    """The body is no JPEG, PNG or WebP image, or its header is damaged."""

    code = "not_an_image"


def image_header(data: bytes) -> ImageHeader:
    """The header of a still image an admin sent, checked: 422 ``not_an_image`` for any
    other file (or a damaged header), ``animated_image`` for an animation, ``image_size``
    for a picture with a side outside the limits."""
    if data.startswith(b"\xff\xd8\xff"):
        header = ImageHeader(JPEG, *_jpeg_size(data))
    elif data.startswith(_PNG_SIGNATURE):
        header = ImageHeader(PNG, *_png_size(data))
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        header = ImageHeader(WEBP, *_webp_size(data))
    else:
        raise NotAnImage(
            "the file is not a JPEG, PNG or WebP image (SVG drawings, GIFs and other "
            "files are not taken: save it as a PNG or JPEG)"
        )
    sides = (header.width, header.height)
    if max(sides) > STILL_IMAGE_MAX_SIDE or min(sides) < MIN_PICTURE_SIDE:
        raise Unprocessable(
            f"the image is {header.width}x{header.height} pixels: a thumbnail's image has "
            f"{MIN_PICTURE_SIDE} to {STILL_IMAGE_MAX_SIDE} pixels a side",
            code="image_size",
        )
    return header


def _damaged(kind: ImageKind) -> NotAnImage:
    return NotAnImage(f"the {kind.name} image's header is damaged or cut short")


def _animated(kind: ImageKind) -> Unprocessable:
    return Unprocessable(
        f"the {kind.name} image is an animation: send a still picture", code="animated_image"
    )


def _png_size(data: bytes) -> tuple[int, int]:
    """An ``IHDR``'s size; refused when an ``acTL`` chunk (an animated PNG) comes before the
    image data (the APNG rule: the animation control chunk precedes ``IDAT``)."""
    if data[12:16] != b"IHDR" or len(data) < 24:
        raise _damaged(PNG)
    at = len(_PNG_SIGNATURE)
    for _ in range(_MAX_SEGMENTS):
        chunk = data[at + 4 : at + 8]
        if chunk == b"acTL":
            raise _animated(PNG)
        if chunk in (b"IDAT", b"IEND", b""):
            break
        at += 12 + int.from_bytes(data[at : at + 4], "big")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """The size of a JPEG's first frame header, walking its segments from the start."""
    at = 2
    for _ in range(_MAX_SEGMENTS):
        while data[at : at + 2] == b"\xff\xff":  # fill bytes before a marker
            at += 1
        if len(data) < at + 4 or data[at] != 0xFF or data[at + 1] == _START_OF_SCAN:
            break
        marker = data[at + 1]
        if marker in _STANDALONE:
            at += 2
            continue
        if marker in _START_OF_FRAME and len(data) >= at + 9:
            height = int.from_bytes(data[at + 5 : at + 7], "big")
            return int.from_bytes(data[at + 7 : at + 9], "big"), height
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    raise _damaged(JPEG)


def _webp_size(data: bytes) -> tuple[int, int]:
    """The size of a WebP's first chunk: a lossy (``VP8 ``) or lossless (``VP8L``) picture,
    or the extended header (``VP8X``), whose flags say whether it is an animation."""
    chunk, body = data[12:16], data[20:30]
    if chunk == b"VP8 " and body[3:6] == b"\x9d\x01\x2a":
        width = int.from_bytes(body[6:8], "little") & 0x3FFF
        return width, int.from_bytes(body[8:10], "little") & 0x3FFF
    if chunk == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:
        bits = int.from_bytes(body[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(body) == 10:
        if body[0] & _WEBP_ANIMATED:
            raise _animated(WEBP)
        width = int.from_bytes(body[4:7], "little") + 1
        return width, int.from_bytes(body[7:10], "little") + 1
    raise _damaged(WEBP)
