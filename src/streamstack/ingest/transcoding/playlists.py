"""HLS playlists: reading the muxer's media playlists, writing the master playlist.

``BANDWIDTH`` is the peak bitrate of any one segment and ``AVERAGE-BANDWIDTH`` the mean
over the rendition (RFC 8216 4.3.4.2), both measured from the files written, container
overhead included, so players choose rungs from what really goes over the wire. ``CODECS``
comes from the SPS the encoder actually wrote (``avc1.PPCCLL``: profile, constraint flags,
level), not from what was asked for: ``ultrafast`` turns High into Constrained Baseline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import msgspec

from streamstack.ingest.transcoding.results import RenditionResult

#: RFC 6381 name of AAC-LC (MPEG-4 audio object type 2).
AAC_LC = "mp4a.40.2"
_H264_SPS = 7


class Segment(msgspec.Struct, frozen=True):
    """One media segment listed by a media playlist."""

    uri: str
    duration: float


def media_segments(playlist: Path) -> list[Segment]:
    """The segments a media playlist lists, in order (``#EXTINF`` durations)."""
    segments = []
    duration: float | None = None
    for line in playlist.read_text(encoding="utf-8").splitlines():
        if line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:") :].split(",", 1)[0])
        elif line and not line.startswith("#") and duration is not None:
            segments.append(Segment(line.strip(), duration))
            duration = None
    return segments


def avc_codec(extradata: bytes) -> str:
    """``avc1.PPCCLL`` from H.264 extradata: Annex B SPS/PPS or an ``avcC`` record."""
    if len(extradata) >= 4 and extradata[0] == 1:  # avcC: version 1, then the three bytes
        return f"avc1.{extradata[1:4].hex()}"
    position = 0
    while (start := extradata.find(b"\x00\x00\x01", position)) >= 0:
        nal = start + 3
        if nal + 4 <= len(extradata) and extradata[nal] & 0x1F == _H264_SPS:
            return f"avc1.{extradata[nal + 1 : nal + 4].hex()}"
        position = nal
    raise ValueError("no H.264 sequence parameter set in the encoder's extradata")


def bandwidths(directory: Path, segments: Sequence[Segment]) -> tuple[int, int]:
    """``(peak, average)`` bitrate of a rendition's segments, bit/s, rounded up."""
    total_bytes = 0
    total_seconds = 0.0
    peak = 0.0
    for segment in segments:
        size = (directory / segment.uri).stat().st_size
        total_bytes += size
        total_seconds += segment.duration
        if segment.duration > 0:
            peak = max(peak, size * 8 / segment.duration)
    average = total_bytes * 8 / total_seconds if total_seconds > 0 else 0.0
    return math.ceil(peak), math.ceil(average)


def master_playlist(variants: Sequence[tuple[str, RenditionResult]]) -> str:
    """The master playlist listing each rendition at its URI (lowest first, as given)."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for uri, variant in variants:
        lines.append(
            "#EXT-X-STREAM-INF:"
            f"BANDWIDTH={variant.bandwidth},"
            f"AVERAGE-BANDWIDTH={variant.average_bandwidth},"
            f"RESOLUTION={variant.width}x{variant.height},"
            f'CODECS="{variant.codecs}",'
            f"FRAME-RATE={variant.frame_rate:.3f}"
        )
        lines.append(uri)
    return "\n".join(lines) + "\n"
