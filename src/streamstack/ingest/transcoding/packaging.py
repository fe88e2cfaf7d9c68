"""The finished package: per-rung facts measured from the files, the master playlist last."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import msgspec

from streamstack.ingest.transcoding.playlists import (
    AAC_LC,
    avc_codec,
    bandwidths,
    master_playlist,
    media_segments,
)
from streamstack.ingest.transcoding.rendition import INIT_SEGMENT, PLAYLIST, Rendition
from streamstack.ingest.transcoding.results import (
    RenditionResult,
    StoryboardResult,
    SubtitleResult,
    TranscodeResult,
)

MASTER_PLAYLIST = "hls/master.m3u8"


def describe(work: Path, rendition: Rendition) -> tuple[RenditionResult, list[str]]:
    """What one finished rung is, and its files (relative to ``work``) in upload order."""
    directory = rendition.directory
    segments = media_segments(directory / PLAYLIST)
    peak, average = bandwidths(directory, segments)
    codecs = avc_codec(rendition.sps)
    if rendition.has_audio:
        codecs = f"{codecs},{AAC_LC}"
    prefix = directory.relative_to(work).as_posix()
    files = [f"{prefix}/{INIT_SEGMENT}", *(f"{prefix}/{s.uri}" for s in segments)]
    files.append(f"{prefix}/{PLAYLIST}")
    result = RenditionResult(
        name=rendition.rung.name,
        width=rendition.rung.width,
        height=rendition.rung.height,
        bandwidth=peak,
        average_bandwidth=average,
        codecs=codecs,
        frame_rate=round(float(rendition.rate), 3),
        segment_count=len(segments),
        playlist=f"{prefix}/{PLAYLIST}",
    )
    return result, files


def package(
    work: Path,
    renditions: Sequence[Rendition],
    storyboard: StoryboardResult | None,
    duration: float,
    *,
    has_audio: bool,
    subtitles: tuple[SubtitleResult, ...] = (),
) -> TranscodeResult:
    """Measure every rung, write the master playlist, and list every file written
    (``subtitles`` are the caption tracks written, which the job stores itself)."""
    results = []
    files: list[str] = []
    if storyboard is not None:
        files += [f"storyboard/{sheet}" for sheet in storyboard.sheets]
        files.append(f"storyboard/{storyboard.vtt}")
        storyboard = _prefixed(storyboard)
    for rendition in renditions:  # lowest first: the first playable rung uploads first
        result, rung_files = describe(work, rendition)
        results.append(result)
        files += rung_files
    variants = [(f"{r.name}/{PLAYLIST}", r) for r in results]  # relative to hls/
    (work / MASTER_PLAYLIST).write_text(master_playlist(variants), encoding="utf-8")
    files.append(MASTER_PLAYLIST)
    return TranscodeResult(
        master_playlist=MASTER_PLAYLIST,
        duration_seconds=round(duration, 3),
        has_audio=has_audio,
        renditions=tuple(results),
        storyboard=storyboard,
        files=tuple(files),
        subtitles=subtitles,
    )


def _prefixed(storyboard: StoryboardResult) -> StoryboardResult:
    return msgspec.structs.replace(
        storyboard,
        vtt=f"storyboard/{storyboard.vtt}",
        sheets=tuple(f"storyboard/{sheet}" for sheet in storyboard.sheets),
    )
