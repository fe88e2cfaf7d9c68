"""The containers ingest accepts, recognised from their first bytes rather than a name.

Video families: ISO base media (MP4/MOV, a ``ftyp`` box first), Matroska (WebM/MKV, the
EBML magic ``1A 45 DF A3`` first), AVI (``RIFF`` … ``AVI ``), MPEG transport streams
(camcorders' ``.mts``/``.m2ts``, broadcast ``.ts``: the sync byte ``0x47`` every 188, 192 or
204 bytes), Ogg (``OggS``), and the older forms browsers never played, which only reach a
viewer through the transcoder: MPEG program streams (``.mpg``, DVDs' ``.vob``, camcorders'
``.mod``/``.tod``: packs, each a pack header ``00 00 01 BA`` of the MPEG-1 or MPEG-2 form),
ASF (``.wmv``/``.wma``: its header object's GUID) and FLV (``FLV``, version 1). Files of
sound alone: MP3 (an MPEG audio frame header of layer II or III first), AAC in ADTS
(``.aac``: consecutive frames, each with an ADTS header), FLAC (``fLaC``), WAV (``RIFF``, or
``RF64``/``BW64`` for large ones, … ``WAVE``) and AIFF (``FORM`` … ``AIFF``/``AIFC``); an
``ID3`` tag may come first, and what
follows it decides: a tag carrying a cover picture is larger than the bytes sniffed, so
:func:`sniff_length` says how many to gather (FFmpeg skips the tag before any demuxer reads,
so FLAC and Ogg behind one open as usual). Everything else, whatever it is called, is
refused before more than a few kilobytes are stored. Each opens with its one FFmpeg
demuxer, in the media sandbox.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Literal

#: How many leading bytes :func:`sniff_container` wants (fewer only at the end of a file):
#: three transport stream packets of the largest size, or an ID3 tag without a picture
#: (a title, an artist) and what follows it. Behind a larger tag, :func:`sniff_length`.
SNIFF_BYTES = 4096

#: Top-level MP4 boxes walked looking for ``moov`` before giving up.
MAX_TOP_LEVEL_BOXES = 4096

_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_TS_SYNC = 0x47
#: Transport stream packet sizes (plain, with a 4-byte timestamp first, with FEC) and
#: where the first sync byte stands.
_TS_PACKETS = ((188, 0), (192, 4), (204, 0))

ReadAt = Callable[[int, int], bytes]
#: Whether a form of a container holds pictures (with their sound) or sound alone.
FormKind = Literal["video", "sound"]


@dataclasses.dataclass(frozen=True, slots=True)
class Form:
    """A kind of file people know a container by: the 415 message, the upload page's file
    picker and ``GET /api/v1/ingest/formats`` all name what ingest takes from these."""

    kind: FormKind
    label: str
    """What people call it, with its usual extensions where the name does not say them:
    "Matroska (MKV)", "WMA"."""
    extensions: tuple[str, ...]
    """Every ending such files have, lower case, without the dot."""


def video(label: str, *extensions: str) -> Form:
    """The form of a container that people upload as a video."""
    return Form("video", label, extensions)


def sound(label: str, *extensions: str) -> Form:
    """The form of a container that people upload as a sound file."""
    return Form("sound", label, extensions)


@dataclasses.dataclass(frozen=True, slots=True)
class Container:
    """One accepted container format, how it is stored and opened, and what people call it."""

    name: str
    """Short name reported to users: mp4, mov, webm, matroska, avi, mpegts, ogg, mpegps, asf,
    flv, mp3, aac, flac, wav or aiff."""
    extension: str
    """Extension of the stored object's key."""
    demuxer: str
    """The only FFmpeg demuxer allowed to open it."""
    video_type: str
    """Content type when it carries video."""
    audio_type: str
    """Content type when it carries audio only."""
    forms: tuple[Form, ...]
    """What people upload in it: a video, a sound file, or either under different names
    (ASF's sound alone is WMA). Any form may carry sound alone; its name says what is usual."""

    def content_type(self, has_video: bool) -> str:
        """The content type for a file with (or without) a video stream."""
        return self.video_type if has_video else self.audio_type

    def form_types(self, form: Form) -> tuple[str, ...]:
        """The content types a file of ``form`` (one of :attr:`forms`) is stored with, the
        usual one first: a video of sound alone is stored as sound, and a sound file with a
        picture as video."""
        usual = self.content_type(form.kind == "video")
        return tuple(dict.fromkeys((usual, self.video_type, self.audio_type)))


# One container a line pair: what it is stored and opened as, then what people call it.
# fmt: off
MP4 = Container("mp4", "mp4", "mov", "video/mp4", "audio/mp4",
    (video("MP4", "mp4", "m4v"), video("3GPP (3GP, 3G2)", "3gp", "3g2"),
     sound("MPEG-4 audio (M4A, M4B)", "m4a", "m4b")))
MOV = Container("mov", "mov", "mov", "video/quicktime", "audio/mp4",
    (video("MOV", "mov", "qt"),))
WEBM = Container("webm", "webm", "matroska", "video/webm", "audio/webm",
    (video("WebM", "webm"), sound("WebM audio (WEBA)", "weba")))
MATROSKA = Container("matroska", "mkv", "matroska", "video/x-matroska", "audio/x-matroska",
    (video("Matroska (MKV)", "mkv"), sound("Matroska audio (MKA)", "mka")))
AVI = Container("avi", "avi", "avi", "video/x-msvideo", "audio/x-msvideo",
    (video("AVI", "avi"),))
MPEG_TS = Container("mpegts", "ts", "mpegts", "video/mp2t", "audio/mp2t",
    (video("MPEG transport stream (TS, MTS, M2TS)", "ts", "mts", "m2ts"),))
OGG = Container("ogg", "ogg", "ogg", "video/ogg", "audio/ogg",
    (video("Ogg", "ogv", "ogg"), sound("Ogg audio (OGG, OGA, OPUS)", "ogg", "oga", "opus")))
# A program stream of sound alone is still a program stream: ``audio/mpeg`` is MP3's, and
# the content type names the demuxer an item's original is opened with again.
MPEG_PS = Container("mpegps", "mpg", "mpeg", "video/mpeg", "video/mpeg",
    (video("MPEG program stream (MPG, VOB, MOD, TOD)", "mpg", "mpeg", "m2p", "vob", "mod", "tod"),))
ASF = Container("asf", "asf", "asf", "video/x-ms-asf", "audio/x-ms-wma",
    (video("Windows Media (WMV, ASF)", "wmv", "asf"), sound("WMA", "wma")))
FLV = Container("flv", "flv", "flv", "video/x-flv", "audio/x-flv",
    (video("Flash video (FLV)", "flv"),))
MP3 = Container("mp3", "mp3", "mp3", "audio/mpeg", "audio/mpeg",
    (sound("MP3", "mp3"),))
AAC = Container("aac", "aac", "aac", "audio/aac", "audio/aac",
    (sound("AAC", "aac"),))
FLAC = Container("flac", "flac", "flac", "audio/flac", "audio/flac",
    (sound("FLAC", "flac"),))
WAV = Container("wav", "wav", "wav", "audio/wav", "audio/wav",
    (sound("WAV, Broadcast WAV (BWF)", "wav", "bwf"),))
AIFF = Container("aiff", "aiff", "aiff", "audio/aiff", "audio/aiff",
    (sound("AIFF", "aiff", "aif", "aifc"),))
#: Every accepted container: those that may hold a picture, then sound's alone. What ingest
#: tells people it takes is read from here, so a container added is named everywhere.
ACCEPTED = (MP4, MOV, WEBM, MATROSKA, AVI, MPEG_TS, OGG, MPEG_PS, ASF, FLV,
            MP3, AAC, FLAC, WAV, AIFF)
# fmt: on
_BY_NAME = {c.name: c for c in ACCEPTED}
#: The RIFF-like forms accepted: (first four bytes, the four after the chunk size).
_RIFF_FORMS = {
    (b"RIFF", b"AVI "): AVI,
    (b"RIFF", b"WAVE"): WAV,
    (b"RF64", b"WAVE"): WAV,  # a WAV over 4 GiB, as recorders and FFmpeg write it
    (b"BW64", b"WAVE"): WAV,
    (b"FORM", b"AIFF"): AIFF,
    (b"FORM", b"AIFC"): AIFF,
}
#: An ID3v2 tag's header: "ID3", version, flags, then its size in four 7-bit bytes.
_ID3_HEADER = 10
#: The GUID of an ASF file's header object, which every ASF file starts with.
_ASF_HEADER_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
#: The smallest ASF header object: GUID, size, object count and two reserved bytes.
_ASF_HEADER_BYTES = 30
#: FLV tag types: audio, video, script data (``onMetaData``).
_FLV_TAGS = (8, 9, 18)
#: An MPEG program stream's start code prefix, and the codes a stream's units start with.
_START_CODE = b"\x00\x00\x01"
_PACK, _END, _SYSTEM_HEADER = 0xBA, 0xB9, 0xBB
#: Units (packs, a system header, PES packets) a program stream must start with, each
#: found where the one before it ends: noise that happens to start ``00 00 01 BA`` does not.
PROGRAM_STREAM_UNITS = 3
#: Consecutive ADTS frames an AAC file must start with (a frame is a few hundred bytes).
ADTS_FRAMES = 3
#: ADTS sampling frequency indexes 13 to 15 are reserved.
_ADTS_RATES = 13


def by_name(name: str) -> Container:
    """The accepted container called ``name`` (KeyError for any other)."""
    return _BY_NAME[name]


def by_content_type(content_type: str) -> Container | None:
    """The container an item of ``content_type`` was stored in (of sound alone too: MP4 and
    MOV share ``audio/mp4`` and their demuxer)."""
    return next(
        (c for c in _BY_NAME.values() if content_type in (c.video_type, c.audio_type)), None
    )


def accepted_forms() -> list[tuple[Container, Form]]:
    """Every form of every accepted container, in the order people read a list of them: the
    videos, then the sound files, those of containers of sound alone (MP3, FLAC …) before
    the sound forms of containers that may hold a picture (M4A, WMA …)."""
    forms = [(c, form) for c in ACCEPTED for form in c.forms]
    videos = [(c, form) for c, form in forms if form.kind == "video"]
    sounds = [(c, form) for c, form in forms if form.kind == "sound"]
    sounds.sort(key=lambda pair: any(form.kind == "video" for form in pair[0].forms))
    return videos + sounds


def named(kind: FormKind) -> str:
    """The forms of ``kind`` ingest takes, listed as a sentence: "MP4, MOV, … or Flash
    video (FLV)"."""
    labels = [form.label for _, form in accepted_forms() if form.kind == kind]
    return f"{', '.join(labels[:-1])} or {labels[-1]}"


def sniff_length(head: bytes | bytearray) -> int:
    """How many leading bytes :func:`sniff_container` needs to decide for a file that starts
    with ``head`` (its first :data:`SNIFF_BYTES`, or more): those, or its ``ID3`` tags and the
    :data:`SNIFF_BYTES` after them, which are sniffed as a file's start. A tag may follow a
    tag, so more of the file may need more again."""
    end = id3_tag_end(head)
    return SNIFF_BYTES if end is None else max(SNIFF_BYTES, end + SNIFF_BYTES)


def id3_tag_end(head: bytes | bytearray) -> int | None:
    """Where the ID3v2 tags ``head`` starts with end (each one's header, frames, padding and
    footer; FFmpeg skips consecutive tags, as a tagger that adds one leaves them), as far as
    ``head`` shows them; None when it starts with none."""
    end = 0
    while head.startswith(b"ID3", end) and len(head) >= end + _ID3_HEADER:
        footer = _ID3_HEADER if head[end + 5] & 0x10 else 0
        end += _ID3_HEADER + _syncsafe(head[end + 6 : end + 10]) + footer
    return end or None


def sniff_container(head: bytes) -> Container | None:
    """The container whose signature ``head`` (the first :func:`sniff_length` bytes of a
    file, or all of a shorter one) starts with."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        box_size = int.from_bytes(head[:4], "big")
        # A real ftyp box holds at least the major brand and minor version.
        if box_size < 16 and box_size != 1:
            return None
        return MOV if head[8:12] == b"qt  " else MP4
    if head.startswith(_EBML_MAGIC):
        # The EBML header names its DocType within its first few dozen bytes.
        if b"webm" in head[:SNIFF_BYTES]:
            return WEBM
        if b"matroska" in head[:SNIFF_BYTES]:
            return MATROSKA
    if (head[:4], head[8:12]) in _RIFF_FORMS:
        return _RIFF_FORMS[head[:4], head[8:12]]
    if _asf_header(head):
        return ASF
    if _flv_header(head):
        return FLV
    if _program_stream(head):
        return MPEG_PS
    if any(_synced(head, size, first) for size, first in _TS_PACKETS):
        return MPEG_TS
    return _sniff_sound(head)


def _sniff_sound(head: bytes) -> Container | None:
    """The Ogg, FLAC, MP3 or ADTS container ``head`` starts with (Ogg may hold a picture
    too), looking past ID3 tags: taggers put them before FLAC and AAC too."""
    end = id3_tag_end(head)
    if end is not None:
        head = head[end : end + SNIFF_BYTES]  # nothing after it: a tag and no sound
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"fLaC"):
        return FLAC
    # Zeros before the first frame (an editor's or a tagger's padding): FFmpeg's MP3 and
    # ADTS readers find the frame sync past them, as players do.
    frames = head.lstrip(b"\x00")
    if _mpeg_audio_header(frames[:4]):
        return MP3
    return AAC if _adts_frames(frames) else None


def _syncsafe(size: bytes | bytearray) -> int:
    """An ID3v2 size: seven bits of each byte."""
    value = 0
    for byte in size:
        value = value << 7 | byte & 0x7F
    return value


def _mpeg_audio_header(header: bytes) -> bool:
    """Whether ``header`` is an MPEG audio frame header of layer II or III (11 sync bits, a
    bit rate and a sample rate that exist). Not AAC's ADTS header (layer 0), nor layer I,
    which nobody uploads and whose header a UTF-16 text's byte order mark resembles."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return False
    version, layer = (header[1] >> 3) & 0b11, (header[1] >> 1) & 0b11
    bitrate, rate = header[2] >> 4, (header[2] >> 2) & 0b11
    return version != 0b01 and layer in (0b01, 0b10) and bitrate not in (0, 0b1111) and rate != 0b11


def _adts_frames(head: bytes) -> bool:
    """Whether ``head`` starts with :data:`ADTS_FRAMES` AAC frames, each where the one
    before it ends, with ADTS headers that agree on what the stream is (a lone header that
    looks right is a coincidence, not a file)."""
    position = 0
    for _ in range(ADTS_FRAMES):
        header = head[position : position + 7]
        if len(header) < 7 or not _adts_header(header):
            return False
        # The fixed header (version, profile, rate, channels) is the same in every frame.
        if (header[1], header[2] & 0xFD, header[3] & 0xC0) != (
            head[1],
            head[2] & 0xFD,
            head[3] & 0xC0,
        ):
            return False
        position += (header[3] & 0x03) << 11 | header[4] << 3 | header[5] >> 5
    return True


def _adts_header(header: bytes) -> bool:
    """Whether ``header`` is an ADTS header: 12 sync bits, layer 0 (MPEG audio's layers
    are 1 to 3), a sampling rate that exists, and a frame longer than its header."""
    if header[0] != 0xFF or header[1] & 0xF6 != 0xF0:
        return False
    rate = (header[2] >> 2) & 0x0F
    length = (header[3] & 0x03) << 11 | header[4] << 3 | header[5] >> 5
    header_bytes = 7 if header[1] & 0x01 else 9  # a CRC follows unless protection_absent
    return rate < _ADTS_RATES and length > header_bytes


def _asf_header(head: bytes) -> bool:
    """Whether ``head`` starts with an ASF header object: its GUID, a size that holds it,
    and the reserved byte the specification fixes at 2."""
    if not head.startswith(_ASF_HEADER_GUID) or len(head) < _ASF_HEADER_BYTES:
        return False
    return int.from_bytes(head[16:24], "little") >= _ASF_HEADER_BYTES and head[29] == 0x02


def _flv_header(head: bytes) -> bool:
    """Whether ``head`` starts with an FLV header (``FLV``, version 1, flags with no bits but
    audio's and video's, its own length of at least 9) followed by the first tag (the zero
    size of a tag before it, then an audio, video or script tag)."""
    if len(head) < 9 or not head.startswith(b"FLV\x01") or head[4] & 0xFA:
        return False
    offset = int.from_bytes(head[5:9], "big")
    if offset < 9 or len(head) < offset + 5:
        return False
    return head[offset : offset + 4] == bytes(4) and head[offset + 4] & 0x1F in _FLV_TAGS


def _program_stream(head: bytes) -> bool:
    """Whether ``head`` starts with :data:`PROGRAM_STREAM_UNITS` units of an MPEG program
    stream, a pack header first, each unit where the one before it ends."""
    position = units = 0
    while units < PROGRAM_STREAM_UNITS:
        if head[position : position + 3] != _START_CODE or len(head) < position + 6:
            return False
        code = head[position + 3]
        if code == _PACK:
            length = _pack_header_length(head[position : position + 14])
        elif code >= _SYSTEM_HEADER and units:  # system header or PES packet, after a pack
            length = 6 + int.from_bytes(head[position + 4 : position + 6], "big")
        else:
            return code == _END and units > 1  # a stream as short as it can be
        if length is None:
            return False
        position += length
        units += 1
    return True


def _pack_header_length(header: bytes) -> int | None:
    """The length of the pack header ``header`` starts with, of the MPEG-2 form (14 bytes
    and up to 7 of stuffing) or the MPEG-1 form (12 bytes); None when its marker bits are
    not where the form puts them."""
    if len(header) >= 14 and header[4] >> 6 == 0b01:
        markers = header[4] & 0x04 and header[6] & 0x04 and header[8] & 0x04 and header[9] & 0x01
        return 14 + (header[13] & 0x07) if markers and header[12] & 0x03 == 0x03 else None
    if len(header) >= 12 and header[4] >> 4 == 0b0010:
        markers = header[4] & 0x01 and header[6] & 0x01 and header[8] & 0x01
        return 12 if markers and header[9] & 0x80 and header[11] & 0x01 else None
    return None


def _synced(head: bytes, size: int, first: int) -> bool:
    """Whether ``head`` holds three transport stream packets of ``size`` bytes."""
    starts = range(first, first + 3 * size, size)
    return len(head) > starts[-1] and all(head[start] == _TS_SYNC for start in starts)


def top_level_boxes(read_at: ReadAt, size: int) -> Iterator[tuple[bytes, int]]:
    """The ``(type, size)`` of each top-level box of an MP4/MOV file, in file order.

    ``read_at(position, n)`` returns ``n`` bytes of the file from ``position``. Only box
    headers are read, so walking costs a few small reads whatever the file size. The walk
    stops at the end of the file or at the first malformed header.
    """
    position = 0
    for _ in range(MAX_TOP_LEVEL_BOXES):
        if position + 8 > size:
            return
        header = read_at(position, 8)
        if len(header) < 8:
            return
        box_size = int.from_bytes(header[:4], "big")
        if box_size == 1:
            box_size = int.from_bytes(read_at(position + 8, 8), "big")
        elif box_size == 0:
            box_size = size - position
        if box_size < 8:
            return
        yield header[4:8], box_size
        position += box_size


def moov_after_mdat(read_at: ReadAt, size: int) -> bool:
    """Whether an MP4/MOV file's ``moov`` index comes after its ``mdat`` (not faststart)."""
    seen_mdat = False
    for box_type, _ in top_level_boxes(read_at, size):
        if box_type == b"moov":
            return seen_mdat
        seen_mdat = seen_mdat or box_type == b"mdat"
    return False


def is_faststart(read_at: ReadAt, size: int) -> bool:
    """Whether a file starts with ``ftyp`` and has ``moov`` before any ``mdat``."""
    boxes = [box_type for box_type, _ in top_level_boxes(read_at, size)]
    if not boxes or boxes[0] != b"ftyp" or b"moov" not in boxes:
        return False
    return b"mdat" not in boxes or boxes.index(b"moov") < boxes.index(b"mdat")
