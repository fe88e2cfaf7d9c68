"""The ladder: which renditions a source gets, their sizes, bitrate caps and x264 settings.

A rung is named by the short side of the picture as displayed: ``720p`` is 1280x720 for
landscape video and 720x1280 for portrait (rotation applied), as YouTube names them, so
a portrait phone clip gets the same ladder as its landscape twin. Rungs are taken from
:data:`RUNG_HEIGHTS` up to the source's short side, never upscaled; a source whose short
side is under 240 gets one rung at its own size. A source whose short side lies 5 % or
more above the rung under it (a PAL DVD's 576, a laptop screen's 768 or 800) also gets a
top rung at its own size: topped at the rung under it, it lost that detail (a recorded
screen's text went soft). Sizes keep the displayed aspect ratio (square pixels out) and are
rounded down to even numbers, as 4:2:0 chroma needs. An own-size rung's cap lies between
its neighbours', by its height.

Bitrate caps (video only; kbit/s, the VBV ``maxrate``; ``bufsize`` is twice the cap):

=======  ===========  ===============  ==================
rung     16:9 size    cap up to 30 fps  cap above 30 fps
=======  ===========  ===============  ==================
240p     426x240      400              600
360p     640x360      800              1200
480p     854x480      1400             2100
720p     1280x720     2800             4200
1080p    1920x1080    5000             7500
1440p    2560x1440    10000            15000
2160p    3840x2160    16000            24000
=======  ===========  ===============  ==================

Rate control is capped CRF: x264 spends what the picture needs (CRF 23 by default) and
never more than the cap, so a still slide show costs little and a football match stays
within what the rung's viewers' networks carry. Audio is AAC-LC, stereo, 48 kHz,
128 kbit/s, one rendition per source track beside the rungs (downmixed or upmixed from the
source; see :mod:`.soundtracks`).

Codec: H.264 High profile, yuv420p (8 bit), level chosen by x264 from frame size, rate
and VBV: at most 4.2 up to 1080p60 (3.x and below for the small rungs), which every
current browser plays (Chrome, Edge, Firefox, Safari on macOS and iOS, Android's
WebView); 1440p and 2160p need 5.1/5.2, which the same browsers decode on current
hardware, and a player that cannot chooses a lower rung from the ``CODECS`` attribute.

Frame rate: the source's, up to 60 (a faster source is divided down: 120 -> 60,
100 -> 50); nearly standard rates snap to the standard (29.96 -> 30000/1001). Key
frames: a fixed GOP of ``segment_seconds x rate`` frames, no scene-cut key frames
(``scenecut=0``, ``keyint=min-keyint``, closed GOPs), so every rung has key frames at
the same instants and a player can switch rung at any segment boundary.
"""

from __future__ import annotations

import math
import os
from fractions import Fraction

import msgspec

#: The standard rungs (short side of the displayed picture, pixels).
RUNG_HEIGHTS = (240, 360, 480, 720, 1080, 1440, 2160)
#: A short side this much above the rung under it gets a rung of its own size too.
OWN_SIZE_ABOVE = 1.05
#: The shortest side a picture may have: FFmpeg's deinterlacer refuses pictures of two
#: rows or columns, and nothing smaller than an icon is a video anyone uploads to watch.
MIN_PICTURE_SIDE = 16
#: Video bitrate cap per rung up to 30 fps, kbit/s (see the table above).
BITRATE_CAPS_KBPS = {
    240: 400,
    360: 800,
    480: 1400,
    720: 2800,
    1080: 5000,
    1440: 10000,
    2160: 16000,
}
#: Above 30 fps a rung may spend this much more.
HIGH_RATE_FACTOR = 1.5
#: The highest output frame rate.
MAX_FRAME_RATE = 60
#: Audio bitrate of every rung, bit/s.
AUDIO_BITRATE = 128_000
AUDIO_SAMPLE_RATE = 48_000
#: Audio tracks kept at most (a Blu-ray rip has a handful; each costs an encoder thread).
MAX_AUDIO_TRACKS = 8
#: Rates a measured average snaps to when within 0.5 % (phones record 29.97 as 29.96).
STANDARD_RATES = tuple(
    Fraction(n, d)
    for n, d in (
        (24000, 1001),
        (24, 1),
        (25, 1),
        (30000, 1001),
        (30, 1),
        (48, 1),
        (50, 1),
        (60000, 1001),
        (60, 1),
    )
)
#: Output rate when the source does not say (still images, broken headers).
DEFAULT_RATE = Fraction(30)
#: x264 constant rate factor, capped per rung by the bitrate caps.
CRF = 23
#: x264 ``rc-lookahead`` frames: the main memory cost (see :func:`x264_options`).
LOOKAHEAD = 5


class Rung(msgspec.Struct, frozen=True):
    """One rendition to encode: its name, output size and bitrate cap."""

    name: str
    """``<short side>p``, also the rendition's directory."""
    width: int
    height: int
    max_kbps: int
    """The VBV cap of the video stream."""


def even(size: float) -> int:
    """``size`` rounded down to an even number of pixels (at least 2)."""
    whole = math.floor(size)
    return max(2, whole - whole % 2)


def plan_ladder(display_width: int, display_height: int, rate: Fraction) -> list[Rung]:
    """The rungs for a picture displayed at ``display_width x display_height``, lowest first."""
    short, long_ = sorted((display_width, display_height))
    portrait = display_height > display_width
    sizes = [h for h in RUNG_HEIGHTS if h <= short] or [even(short)]
    own = even(short)
    if own <= RUNG_HEIGHTS[-1] and own >= sizes[-1] * OWN_SIZE_ABOVE:
        sizes.append(own)
    factor = HIGH_RATE_FACTOR if rate > 30 else 1.0
    rungs = []
    for size in sizes:
        # At the source's own size the long side is only made even, not rescaled; scaled,
        # it is the nearest even width (a DVD's 853.3 x 480 gives 640 x 360, not 638).
        scaled = min(even(long_), 2 * round(long_ * size / short / 2))
        other = even(long_) if size >= short - 1 else max(2, scaled)
        width, height = (size, other) if portrait else (other, size)
        width, height = even(width), even(height)
        rungs.append(Rung(f"{size}p", width, height, round(bitrate_cap(size) * factor)))
    return rungs


def bitrate_cap(size: int) -> float:
    """The cap (kbit/s, up to 30 fps) of a rung of this short side: the table's, between
    two of its rungs by height for an own-size rung, the lowest for a tiny one."""
    if size in BITRATE_CAPS_KBPS or size < RUNG_HEIGHTS[0]:
        return BITRATE_CAPS_KBPS.get(size, BITRATE_CAPS_KBPS[RUNG_HEIGHTS[0]])
    below = max(h for h in RUNG_HEIGHTS if h < size)
    above = min(h for h in RUNG_HEIGHTS if h > size)
    share = (size - below) / (above - below)
    return BITRATE_CAPS_KBPS[below] + share * (BITRATE_CAPS_KBPS[above] - BITRATE_CAPS_KBPS[below])


def output_rate(source_rate: Fraction | None) -> Fraction:
    """The constant output frame rate for a source averaging ``source_rate`` frames/s."""
    if source_rate is None or source_rate <= 0 or source_rate > 1000:
        return DEFAULT_RATE
    rate = source_rate
    if rate > MAX_FRAME_RATE:
        rate = rate / math.ceil(rate / MAX_FRAME_RATE)
    nearest = min(STANDARD_RATES, key=lambda standard: abs(rate - standard))
    if abs(rate - nearest) <= nearest * Fraction(5, 1000):
        return nearest
    return Fraction(max(1, round(rate)))


def gop_frames(segment_seconds: float, rate: Fraction) -> int:
    """Frames per GOP: one key frame at the start of every segment."""
    return max(1, round(segment_seconds * rate))


def x264_options(
    rung: Rung, *, preset: str, gop: int, crf: int = CRF, lookahead: int = LOOKAHEAD
) -> dict[str, str]:
    """libx264 options for ``rung``: capped CRF, fixed closed GOP, no scene cuts.

    ``lookahead`` (x264 ``rc-lookahead``) is what memory mostly goes on: measured on a
    1080p source, the five-rung ladder peaks at 425 MiB with ``veryfast``'s default of 10
    frames, about 360 MiB with 5 (the ``ffmpeg`` CLI doing the same ladder: 538 MiB).
    """
    return {
        "preset": preset,
        "profile": "high",
        "crf": str(crf),
        "maxrate": f"{rung.max_kbps}k",
        "bufsize": f"{2 * rung.max_kbps}k",
        "x264-params": (
            f"keyint={gop}:min-keyint={gop}:scenecut=0:open-gop=0:rc-lookahead={lookahead}"
        ),
    }


#: Address space a transcode needs besides its encoders (PyAV's libraries, the decoder,
#: queues) and what each encoded megapixel and each thread stack adds. Measured with the
#: five-rung 1080p ladder on 2 CPUs: it runs in 1.5 GiB of ``RLIMIT_AS`` (peak RSS about
#: 360 MiB; threads and glibc's per-thread arenas reserve far more than they touch) and
#: fails to start its encoders in 1 GiB.
_BASE_ADDRESS_SPACE = 896 * 2**20
_ADDRESS_SPACE_PER_MEGAPIXEL = 200 * 2**20
_THREAD_STACK = 8 * 2**20
#: An audio track's decoder, resampler, AAC encoder and muxer (measured: a 640x480 source
#: with 8 tracks needed 320 MiB more than with one; all share one encoder thread).
_ADDRESS_SPACE_PER_AUDIO_TRACK = 48 * 2**20


def address_space_bytes(
    display_width: int, display_height: int, rate: Fraction = Fraction(30), cpus: int | None = None
) -> int:
    """The ``RLIMIT_AS`` a sandbox should give the transcode of a source this size.

    Grows with the pixels of the whole ladder and with the encoder threads (x264 starts
    about 1.5 threads per CPU for each rung, and each reserves a stack), and leaves room for
    as many audio tracks as are kept (the source is not opened to count them).
    """
    ladder = plan_ladder(display_width, display_height, rate)
    megapixels = sum(rung.width * rung.height for rung in ladder) / 1e6
    threads = len(ladder) * (3 * (cpus or os.cpu_count() or 1) // 2 + 2)
    return round(
        _BASE_ADDRESS_SPACE
        + megapixels * _ADDRESS_SPACE_PER_MEGAPIXEL
        + threads * _THREAD_STACK
        + MAX_AUDIO_TRACKS * _ADDRESS_SPACE_PER_AUDIO_TRACK
    )
