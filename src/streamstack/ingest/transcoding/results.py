"""What a transcode is asked to do and what it reports: plain msgspec values (picklable)."""

from __future__ import annotations

from typing import Literal

import msgspec


class TranscodeOptions(msgspec.Struct, frozen=True):
    """How to transcode; the defaults are production's."""

    segment_seconds: float = 4.0
    """Target HLS segment length; every segment starts with a key frame."""
    preset: str = "veryfast"
    """x264 preset (tests use ``ultrafast``)."""
    demuxer: str | None = None
    """The only FFmpeg demuxer allowed to open the source (ingest knows it); None probes."""
    max_pixels: int = 7680 * 4320
    """Largest decoded frame accepted (8K UHD)."""
    max_rungs: int | None = None
    """Encode only the lowest this many rungs (None: the whole ladder). A worker can run
    ``max_rungs=1`` first, so an item is playable early, then the whole ladder, whose
    package replaces the first one in a single rename."""
    subtitles: bool = True
    """Extract the source's text subtitle streams as ``captions/<language>.vtt``."""
    package: str = ""
    """A name for this package's renditions (``hls/<package>/<rung>/…``; empty:
    ``hls/<rung>/…``), so a new package of an item that plays is written beside the old
    one, whose viewers go on playing it, until the master playlist switches."""


class Progress(msgspec.Struct, frozen=True):
    """How far a transcode is: for a progress bar and the item's status."""

    fraction: float
    """0 to 1."""
    stage: str
    """``encoding`` (every rung at once), ``packaging`` or ``done``."""
    rungs: tuple[str, ...] = ()
    """The rungs being written (all of them at once: one decode feeds them all)."""


class RenditionResult(msgspec.Struct, frozen=True):
    """One finished rung of the ladder."""

    name: str
    """``240p`` ... ``2160p``; also the directory under ``hls/``."""
    width: int
    height: int
    bandwidth: int
    """Peak segment bitrate (bit/s, container included) with the costliest audio track's
    added, as HLS defines a variant's ``BANDWIDTH``."""
    average_bandwidth: int
    """Mean bitrate over the whole rendition with the costliest audio track's, bit/s."""
    codecs: str
    """RFC 6381 codecs, e.g. ``avc1.64001f,mp4a.40.2``."""
    frame_rate: float
    segment_count: int
    playlist: str
    """The media playlist, relative to the output directory."""


class AudioTrack(msgspec.Struct, frozen=True):
    """One audio stream of the source, as the package's audio group names it."""

    stream: int
    """Its index in the source."""
    language: str
    """BCP 47 tag from the stream's ``language`` (``und`` when it named none)."""
    label: str
    """What a player's menu shows: the stream's title, else its language, else its number."""
    default: bool
    """The track a player starts with: FFmpeg's best for the picture, listed first."""


class AudioResult(msgspec.Struct, frozen=True):
    """One finished audio rendition (``hls/audio_<n>/``)."""

    name: str
    """``audio_1`` ...; also the directory under ``hls/``."""
    track: AudioTrack
    bandwidth: int
    """Peak segment bitrate, bit/s."""
    average_bandwidth: int
    codecs: str
    """RFC 6381 codecs: ``mp4a.40.2``."""
    segment_count: int
    playlist: str
    """The media playlist, relative to the output directory."""


class StoryboardResult(msgspec.Struct, frozen=True):
    """The seek-preview sprite sheets and the WebVTT that points into them."""

    vtt: str
    """Relative to the output directory."""
    sheets: tuple[str, ...]
    tile_width: int
    tile_height: int
    columns: int
    rows: int
    interval_seconds: float
    tile_count: int


class SubtitleResult(msgspec.Struct, frozen=True):
    """One subtitle stream of the source: the caption track made of it, or why none was."""

    stream: int
    """Its index in the source."""
    codec: str
    language: str
    """The caption language tag chosen for it (``und`` when the source named none)."""
    label: str | None = None
    """Its title in the source, if it had one."""
    vtt: str | None = None
    """The WebVTT written (``captions/<language>.vtt``), or None: the stream was skipped."""
    cues: int = 0
    note: str | None = None
    """Why it was skipped, or where it was cut (for the job's log)."""
    lost: Literal["pictures", "unreadable", "cut"] | None = None
    """What its viewers lose, for the admin to be told: a stream of pictures, not text
    (DVD, Blu-ray), or one that could not be read, left out; one cut at the caption
    limits. None when it was kept whole or left out by choice (a language taken already)."""


class TranscodeResult(msgspec.Struct, frozen=True):
    """Everything a transcode wrote; paths are relative to the output directory."""

    master_playlist: str
    duration_seconds: float
    has_audio: bool
    renditions: tuple[RenditionResult, ...]
    audio: tuple[AudioResult, ...]
    """The audio renditions, the default first; none for a silent source."""
    storyboard: StoryboardResult | None
    files: tuple[str, ...]
    """Every file written, in the order to upload them (master playlist last)."""
    subtitles: tuple[SubtitleResult, ...] = ()
    """The source's subtitle streams; their WebVTT files are not in ``files``: the job
    stores them as the item's caption tracks, which an upload of the same language wins."""
    skipped_packets: int = 0
    """Damaged packets of the source that did not decode and were left out: where they
    were, the package freezes or breaks up as the original does."""
    missing_sound_seconds: float = 0.0
    """Holes in the main track's sound (damage the demuxer skipped), filled with silence."""
    unread_seconds: float = 0.0
    """How much shorter the package is than the source's headers say (damage the demuxer
    could not read past ends it early); 0 when it is as long, within a second."""
