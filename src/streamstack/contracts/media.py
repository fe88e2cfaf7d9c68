"""What probing a media file finds, said once for every module that speaks of it.

Its own module, importing nothing but the limits: ingest's sandboxed probe worker sends it,
and that process must not import the operations machinery (nor its JWT and crypto stack).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from streamstack.contracts.limits import (
    MAX_CHAPTERS,
    ChapterTitle,
    Codec,
    Dimension,
    DurationSeconds,
    FrameRate,
)


class Chapter(msgspec.Struct, frozen=True):
    """One chapter the file marks: where it starts, counted from the start as a player
    counts, and its title."""

    start_seconds: DurationSeconds
    title: ChapterTitle


#: A file's chapters in the order they start.
Chapters = Annotated[list[Chapter], msgspec.Meta(max_length=MAX_CHAPTERS)]


class MediaFacts(msgspec.Struct, frozen=True, kw_only=True):
    """A media file's length, codecs, picture size and frame rate, with their limits: the
    probe reports them and ingest registers the item with them. None where the file has no
    such thing (an audio file has no width) or the probe could not tell. The picture size
    is as a viewer sees it: a phone's portrait clip is taller than wide whatever its coded
    size, and anamorphic pixels are counted square."""

    duration_seconds: DurationSeconds | None = None
    video_codec: Codec | None = None
    audio_codec: Codec | None = None
    width: Dimension | None = None
    height: Dimension | None = None
    fps: FrameRate | None = None
    chapters: Chapters = []
    """The chapters the file marks (an audiobook's, a film's), none when it marks fewer
    than two."""
