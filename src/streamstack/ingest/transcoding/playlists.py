"""HLS playlists: reading the muxer's media playlists, writing the master playlist and the
caption tracks' subtitle playlists.

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
from typing import Protocol, TypeVar

import msgspec

from streamstack.ingest.transcoding.languages import UNDETERMINED
from streamstack.ingest.transcoding.results import AudioResult, AudioTrack, RenditionResult

#: RFC 6381 name of AAC-LC (MPEG-4 audio object type 2).
AAC_LC = "mp4a.40.2"
_H264_SPS = 7
#: The master playlist's one group of audio renditions (``GROUP-ID``).
AUDIO_GROUP = "audio"
#: The master playlist's one group of subtitle renditions (``GROUP-ID``).
SUBTITLES_GROUP = "subs"
_SUBTITLES_ATTRIBUTE = f',SUBTITLES="{SUBTITLES_GROUP}"'
_SUBTITLES_MEDIA = f'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="{SUBTITLES_GROUP}",'


class NamedTrack(Protocol):
    """A caption or audio track as the master playlist names it (``CaptionTrack`` is one)."""

    @property
    def language(self) -> str:
        """Its BCP 47 tag (a caption track's files are ``captions/<language>.vtt``, ``.m3u8``)."""
        ...

    @property
    def label(self) -> str:
        """What a player's menu shows."""
        ...


T = TypeVar("T", bound=NamedTrack)


class Segment(msgspec.Struct, frozen=True):
    """One media segment listed by a media playlist."""

    uri: str
    duration: float


def at_least_one_second(playlist: Path) -> None:
    """Give a media playlist of segments all under half a second (a clip of a frame or
    two) a target duration of 1: FFmpeg rounds it to 0, which some players take as no
    duration at all (RFC 8216 asks only that no segment, rounded, exceed it)."""
    text = playlist.read_text(encoding="utf-8")
    if "\n#EXT-X-TARGETDURATION:0\n" in text:
        fixed = text.replace("\n#EXT-X-TARGETDURATION:0\n", "\n#EXT-X-TARGETDURATION:1\n")
        playlist.write_text(fixed, encoding="utf-8")


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


def master_playlist(
    variants: Sequence[tuple[str, RenditionResult]],
    audio: Sequence[tuple[str, AudioTrack]] = (),
) -> str:
    """The master playlist listing each rendition at its URI (lowest first, as given) and,
    when there is sound, the audio tracks as one group every variant names."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    names = _unique_names([track for _, track in audio])
    lines += [
        _audio_media(uri, track, name) for (uri, _), (track, name) in zip(audio, names, strict=True)
    ]
    group = f',AUDIO="{AUDIO_GROUP}"' if audio else ""
    for uri, variant in variants:
        lines.append(
            "#EXT-X-STREAM-INF:"
            f"BANDWIDTH={variant.bandwidth},"
            f"AVERAGE-BANDWIDTH={variant.average_bandwidth},"
            f"RESOLUTION={variant.width}x{variant.height},"
            f'CODECS="{variant.codecs}",'
            f"FRAME-RATE={variant.frame_rate:.3f}{group}"
        )
        lines.append(uri)
    return "\n".join(lines) + "\n"


def sound_alone_master(uri: str, audio: AudioResult) -> str:
    """The master playlist of a package of sound alone: one variant, the audio rendition
    at ``uri``, whose ``CODECS`` names no picture (so a player makes no video buffer)."""
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        f"#EXT-X-STREAM-INF:BANDWIDTH={audio.bandwidth},"
        f'AVERAGE-BANDWIDTH={audio.average_bandwidth},CODECS="{audio.codecs}"',
        uri,
    ]
    return "\n".join(lines) + "\n"


def _audio_media(uri: str, track: AudioTrack, name: str) -> str:
    """The ``#EXT-X-MEDIA`` line of one audio track (every track is stereo AAC)."""
    language = f'LANGUAGE="{track.language}",' if track.language != UNDETERMINED else ""
    return (
        f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="{AUDIO_GROUP}",NAME="{name}",{language}'
        f'DEFAULT={"YES" if track.default else "NO"},AUTOSELECT=YES,CHANNELS="2",URI="{uri}"'
    )


def with_subtitles(master: str, tracks: Sequence[NamedTrack]) -> str:
    """``master`` listing exactly ``tracks`` as its subtitles group (none: no group).

    Each track is an ``#EXT-X-MEDIA:TYPE=SUBTITLES`` line whose URI is its subtitle playlist
    (``../captions/<language>.m3u8``, beside the ``hls/`` folder the master is in), and every
    variant names the group. Whatever subtitles ``master`` listed before are replaced, so
    the function may be applied to a stored master again whenever the tracks change.
    """
    lines = [
        line.replace(_SUBTITLES_ATTRIBUTE, "")
        # Lines end at "\n" alone (RFC 8216 4.1, CR-LF aside): splitlines() would also cut
        # at a U+2028 inside a quoted name, and the name's tail would become a line.
        for line in master.rstrip("\n").replace("\r\n", "\n").split("\n")
        if not line.startswith(_SUBTITLES_MEDIA)
    ]
    if not tracks:
        return "\n".join(lines) + "\n"
    first_variant = next(
        (index for index, line in enumerate(lines) if line.startswith("#EXT-X-STREAM-INF:")),
        len(lines),
    )
    media = [_subtitles_media(track, name) for track, name in _unique_names(tracks)]
    variants = [
        line + _SUBTITLES_ATTRIBUTE if line.startswith("#EXT-X-STREAM-INF:") else line
        for line in lines[first_variant:]
    ]
    return "\n".join([*lines[:first_variant], *media, *variants]) + "\n"


def _unique_names(tracks: Sequence[T]) -> list[tuple[T, str]]:
    """Each track with its ``NAME``: its label, made unique in the group (RFC 8216 4.3.4.1)
    by its language, or else a number, when two share a label; ``"`` is not allowed in a
    quoted string."""
    named: list[tuple[T, str]] = []
    seen: set[str] = set()
    for track in tracks:
        # One line, whatever the label holds (whitespace of any kind, line breaks included,
        # becomes a space), and no '"'.
        label = " ".join(track.label.replace('"', "'").split())
        name = label
        if name in seen and track.language != label:
            name = f"{label} ({track.language})"
        number = 1
        while name in seen:
            number += 1
            name = f"{label} {number}"
        seen.add(name)
        named.append((track, name))
    return named


def _subtitles_media(track: NamedTrack, name: str) -> str:
    """The ``#EXT-X-MEDIA`` line of one caption track."""
    return (
        f'{_SUBTITLES_MEDIA}NAME="{name}",LANGUAGE="{track.language}",'
        "DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,"
        f'URI="../captions/{track.language}.m3u8"'
    )


def subtitle_playlist(language: str, duration: float) -> str:
    """The media playlist of one caption track: its whole WebVTT (``<language>.vtt``, beside
    it) as one segment of ``duration`` seconds (the item's, or its last cue's end)."""
    seconds = max(duration, 1.0)
    return (
        "\n".join(
            [
                "#EXTM3U",
                "#EXT-X-VERSION:3",
                f"#EXT-X-TARGETDURATION:{math.ceil(seconds)}",
                "#EXT-X-MEDIA-SEQUENCE:0",
                "#EXT-X-PLAYLIST-TYPE:VOD",
                f"#EXTINF:{seconds:.3f},",
                f"{language}.vtt",
                "#EXT-X-ENDLIST",
            ]
        )
        + "\n"
    )
