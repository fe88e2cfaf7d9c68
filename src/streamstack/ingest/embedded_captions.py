"""Caption tracks from the upload's own subtitle streams: the transcoding job stores them.

The transcoder (in the media sandbox, :mod:`.transcoding.subtitles`) wrote one
``captions/<language>.vtt`` per text subtitle stream and said so in its result. What a
sandboxed child wrote and said is as untrusted as the upload, so each track is checked
again here before anything of it is kept: its language and label against the caption
limits, its file opened without following a link and read up to ``CAPTION_MAX_BYTES``,
then parsed with :func:`~streamstack.ingest.captions.parse_caption_file` (a track it
refuses is skipped). The cues go to :meth:`CaptionTracks.store_embedded`, which records
each track as ``embedded``, writes our own rendering of it, and keeps an uploaded track of
the same language instead.

A skipped or refused stream is a log line; the item transcodes all the same.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

import msgspec
import structlog

from streamstack.contracts.catalogue import MediaItem
from streamstack.contracts.limits import CAPTION_MAX_BYTES, CaptionLabel, CaptionLanguage
from streamstack.ingest.caption_tracks import CaptionTracks, EmbeddedTrack
from streamstack.ingest.captions import CaptionRefused, Cue, parse_caption_file
from streamstack.ingest.sandbox import open_output
from streamstack.ingest.transcoding.results import SubtitleResult

log = structlog.get_logger(__name__)


#: The label of a track whose stream named neither its language nor itself.
UNDETERMINED_LABEL = "Subtitles"


class _Reported(msgspec.Struct, frozen=True):
    """What the transcoder said of one track, checked against the caption limits."""

    language: CaptionLanguage
    label: CaptionLabel | None
    vtt: str


def checked_report(subtitle: SubtitleResult) -> _Reported | None:
    """The track of ``subtitle`` if it has a file and names it within the limits."""
    # Not imported with this module: the transcoder's subtitle module imports PyAV, which
    # the app side loads only once it has a transcoder's report to check.
    from streamstack.ingest.transcoding.subtitles import CAPTIONS_DIRECTORY

    if subtitle.vtt is None:
        return None
    try:
        report = msgspec.convert(
            {"language": subtitle.language, "label": subtitle.label, "vtt": subtitle.vtt},
            _Reported,
        )
    except msgspec.ValidationError:
        return None
    return report if report.vtt == f"{CAPTIONS_DIRECTORY}/{report.language}.vtt" else None


def read_cues(directory: Path, vtt: str) -> list[Cue]:
    """The cues of a track's file; raises :class:`CaptionRefused` or OSError."""
    fd = open_output(directory, vtt)
    try:
        data = os.read(fd, CAPTION_MAX_BYTES + 1)
    finally:
        os.close(fd)
    return parse_caption_file(data)


def extracted_tracks(
    media_id: str, directory: Path, subtitles: Sequence[SubtitleResult]
) -> list[EmbeddedTrack]:
    """The tracks of a transcode's subtitle streams that pass every check (blocking);
    each stream left out is a log line saying why."""
    tracks = []
    for subtitle in subtitles:
        report = checked_report(subtitle)
        if report is None:
            log.info(
                "transcode_subtitle_skipped",
                media_id=media_id,
                stream=subtitle.stream,
                codec=subtitle.codec,
                reason=subtitle.note or "not a caption track",
            )
            continue
        try:
            cues = read_cues(directory, report.vtt)
        except (CaptionRefused, OSError) as exc:
            log.warning("transcode_subtitle_refused", media_id=media_id, error=str(exc))
            continue
        if subtitle.note:
            log.info("transcode_subtitle_cut", media_id=media_id, note=subtitle.note)
        # A track of no named language needs some name in the menu ("und" says nothing).
        undetermined = report.language == "und" and report.label is None
        label = UNDETERMINED_LABEL if undetermined else report.label
        tracks.append(EmbeddedTrack(report.language, label, cues))
    return tracks


async def store_embedded_captions(
    captions: CaptionTracks,
    media_id: str,
    directory: Path,
    subtitles: Sequence[SubtitleResult],
) -> MediaItem | None:
    """Store a transcode's usable subtitle tracks as the item's ``embedded`` caption tracks
    (:meth:`CaptionTracks.store_embedded`); the item after the last, None without any.
    A 404 from catalogue (the item is gone) is raised."""
    tracks = await asyncio.to_thread(extracted_tracks, media_id, directory, subtitles)
    if not tracks:
        return None
    return await captions.store_embedded(media_id, tracks)
