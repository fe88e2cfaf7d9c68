"""The finished package: per-rung facts measured from the files, the master playlist last."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import msgspec

from streamstack.ingest.transcoding.playlists import (
    AAC_LC,
    at_least_one_second,
    avc_codec,
    bandwidths,
    master_playlist,
    media_segments,
    sound_alone_master,
)
from streamstack.ingest.transcoding.rendition import (
    INIT_SEGMENT,
    PLAYLIST,
    AudioRendition,
    Rendition,
)
from streamstack.ingest.transcoding.results import (
    AudioResult,
    RenditionResult,
    StoryboardResult,
    SubtitleResult,
    TranscodeResult,
)

MASTER_PLAYLIST = "hls/master.m3u8"


class Measured(msgspec.Struct, frozen=True):
    """One finished rendition's files (relative to the work directory, in upload order)
    and bitrates."""

    files: list[str]
    playlist: str
    segment_count: int
    bandwidth: int
    average_bandwidth: int


def measure(work: Path, directory: Path) -> Measured:
    """What one finished rendition wrote in ``directory``, and its peak and average bitrates
    (its playlist's target duration made at least 1 s first)."""
    at_least_one_second(directory / PLAYLIST)
    segments = media_segments(directory / PLAYLIST)
    peak, average = bandwidths(directory, segments)
    prefix = directory.relative_to(work).as_posix()
    files = [f"{prefix}/{INIT_SEGMENT}", *(f"{prefix}/{s.uri}" for s in segments)]
    files.append(f"{prefix}/{PLAYLIST}")
    return Measured(files, f"{prefix}/{PLAYLIST}", len(segments), peak, average)


def describe_audio(work: Path, rendition: AudioRendition) -> tuple[AudioResult, list[str]]:
    """What one finished audio rendition is, and its files."""
    measured = measure(work, rendition.directory)
    result = AudioResult(
        name=rendition.name,
        track=rendition.track,
        bandwidth=measured.bandwidth,
        average_bandwidth=measured.average_bandwidth,
        codecs=AAC_LC,
        segment_count=measured.segment_count,
        playlist=measured.playlist,
    )
    return result, measured.files


def describe(
    work: Path, rendition: Rendition, audio: Sequence[AudioResult]
) -> tuple[RenditionResult, list[str]]:
    """What one finished rung is as a variant with ``audio`` (its costliest track's
    bitrates added, as HLS wants), and its files."""
    measured = measure(work, rendition.directory)
    codecs = avc_codec(rendition.sps)
    if audio:
        codecs = f"{codecs},{AAC_LC}"
    result = RenditionResult(
        name=rendition.rung.name,
        width=rendition.rung.width,
        height=rendition.rung.height,
        bandwidth=measured.bandwidth + max((a.bandwidth for a in audio), default=0),
        average_bandwidth=measured.average_bandwidth
        + max((a.average_bandwidth for a in audio), default=0),
        codecs=codecs,
        frame_rate=round(float(rendition.rate), 3),
        segment_count=measured.segment_count,
        playlist=measured.playlist,
    )
    return result, measured.files


def package(
    work: Path,
    renditions: Sequence[Rendition],
    audio_renditions: Sequence[AudioRendition],
    storyboard: StoryboardResult | None,
    duration: float,
    *,
    subtitles: tuple[SubtitleResult, ...] = (),
) -> TranscodeResult:
    """Measure every rendition, write the master playlist, and list every file written
    (``subtitles`` are the caption tracks written, which the job stores itself)."""
    files: list[str] = []
    if storyboard is not None:
        files += [f"storyboard/{sheet}" for sheet in storyboard.sheets]
        files.append(f"storyboard/{storyboard.vtt}")
        storyboard = _prefixed(storyboard)
    audio: list[AudioResult] = []
    for audio_rendition in audio_renditions:  # every rung needs the sound to play
        audio_result, audio_files = describe_audio(work, audio_rendition)
        audio.append(audio_result)
        files += audio_files
    results = []
    for rendition in renditions:  # lowest first: the first playable rung uploads first
        result, rung_files = describe(work, rendition, audio)
        results.append(result)
        files += rung_files
    if results:
        variants = [(_beside_master(r.playlist), r) for r in results]
        tracks = [(_beside_master(a.playlist), a.track) for a in audio]
        master = master_playlist(variants, tracks)
    else:  # sound alone
        master = sound_alone_master(_beside_master(audio[0].playlist), audio[0])
    (work / MASTER_PLAYLIST).write_text(master, encoding="utf-8")
    files.append(MASTER_PLAYLIST)
    return TranscodeResult(
        master_playlist=MASTER_PLAYLIST,
        duration_seconds=round(duration, 3),
        has_audio=bool(audio),
        renditions=tuple(results),
        audio=tuple(audio),
        storyboard=storyboard,
        files=tuple(files),
        subtitles=subtitles,
    )


def _beside_master(playlist: str) -> str:
    """A media playlist's URI as the master playlist beside it names it (``240p/index.m3u8``)."""
    return PurePosixPath(playlist).relative_to(PurePosixPath(MASTER_PLAYLIST).parent).as_posix()


def _prefixed(storyboard: StoryboardResult) -> StoryboardResult:
    return msgspec.structs.replace(
        storyboard,
        vtt=f"storyboard/{storyboard.vtt}",
        sheets=tuple(f"storyboard/{sheet}" for sheet in storyboard.sheets),
    )
