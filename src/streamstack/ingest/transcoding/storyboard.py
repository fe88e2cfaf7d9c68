"""Seek-preview storyboards: JPEG sprite sheets and a WebVTT whose cues point into them.

A tile (:data:`TILE_WIDTH` pixels wide, the picture's aspect ratio, at most
:data:`MAX_TILE_HEIGHT` high) is taken from the
shared output frames every ``interval`` seconds: the configured minimum (2 s), or longer
for long videos so there are never more than :data:`MAX_TILES` (300). FFmpeg's
``tile`` filter lays :data:`COLUMNS` x :data:`ROWS` of them out on a sheet (the last
sheet is only partly filled) and each sheet is one JPEG. Cue ``i`` covers
``[i * interval, (i + 1) * interval)`` and names its sheet and rectangle
(``sheet_001.jpg#xywh=160,0,160,90``), relative to the VTT, as players expect.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import av.filter

from streamstack.ingest.transcoding.ladder import even
from streamstack.ingest.transcoding.results import StoryboardResult

TILE_WIDTH = 160
#: A portrait phone clip's tile (160x284) fits; a picture taller than that is narrowed
#: instead, or a sheet of a 16x4000 video would be 400,000 pixels high.
MAX_TILE_HEIGHT = 288
COLUMNS = 10
ROWS = 10
VTT_NAME = "storyboard.vtt"
#: Seconds between tiles, at least; long videos space them further.
MIN_INTERVAL_SECONDS = 2.0
#: At most this many tiles per video.
MAX_TILES = 300
#: JPEG quantiser scale (FFmpeg's ``-q:v``; 2 best, 31 worst): small sheets, sharp enough.
JPEG_QUALITY = 5
_LAMBDA_PER_QP = 118  # FFmpeg's FF_QP2LAMBDA


def sheet_name(index: int) -> str:
    """The file name of sheet ``index`` (0-based), numbered from 1."""
    return f"sheet_{index + 1:03d}.jpg"


def tile_interval(duration: float | None, min_interval: float, max_tiles: int) -> float:
    """Seconds between tiles: ``min_interval``, or whole seconds enough to stay under the cap."""
    if duration is None or duration <= min_interval * max_tiles:
        return min_interval
    return float(math.ceil(duration / max_tiles))


def tile_size(display: tuple[int, int]) -> tuple[int, int]:
    """A tile's width and height for a picture shown at ``display`` (width, height)."""
    width, height = display
    if TILE_WIDTH * height / width <= MAX_TILE_HEIGHT:
        return TILE_WIDTH, even(TILE_WIDTH * height / width)
    return even(MAX_TILE_HEIGHT * width / height), MAX_TILE_HEIGHT


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


class Storyboard:
    """Samples the output frames and writes the sheets as they fill, then the VTT."""

    def __init__(
        self,
        directory: Path,
        display: tuple[int, int],
        *,
        rate: Fraction,
        interval: float,
        max_tiles: int,
    ) -> None:
        self.directory = directory
        self.tile_width, self.tile_height = tile_size(display)
        self.rate = rate
        self.interval = interval
        self.max_tiles = max_tiles
        self.tiles = 0
        self.sheets: list[str] = []
        self._graph: av.filter.Graph | None = None
        self._source: av.filter.context.FilterContext | None = None
        self._sink: av.filter.context.FilterContext | None = None

    def _build(self, frame: av.VideoFrame) -> None:
        graph = av.filter.Graph()
        tb = frame.time_base or Fraction(1) / self.rate
        self._source = graph.add(
            "buffer",
            f"video_size={frame.width}x{frame.height}:pix_fmt={frame.format.name}"
            f":time_base={tb.numerator}/{tb.denominator}:pixel_aspect=1/1",
        )
        scale = graph.add("scale", f"{self.tile_width}:{self.tile_height}")
        tile = graph.add("tile", f"layout={COLUMNS}x{ROWS}")
        shape = graph.add("format", "yuvj420p")  # full-range 4:2:0, what JPEG stores
        self._sink = graph.add("buffersink")
        graph.link_nodes(self._source, scale, tile, shape, self._sink)
        graph.configure()
        self._graph = graph

    def offer(self, frame: av.VideoFrame) -> None:
        """Look at one output frame; keep it as a tile when the next tile is due."""
        if self.tiles >= self.max_tiles or frame.pts is None:
            return
        due = self.tiles * self.interval
        # Half a frame early counts: the frame nearest the tile's instant is the one shown.
        if frame.pts / self.rate + Fraction(1, 2) / self.rate < due:
            return
        if self._graph is None:
            self._build(frame)
        assert self._source is not None
        self._source.push(frame)
        self.tiles += 1
        self._write_sheets()

    def finish(self, duration: float) -> StoryboardResult | None:
        """Write the last (partial) sheet and the VTT; None when no tile was taken."""
        if self._source is None or self.tiles == 0:
            return None
        self._source.push(None)
        self._write_sheets()
        vtt = self.directory / VTT_NAME
        vtt.write_text(self._vtt(duration), encoding="utf-8")
        return StoryboardResult(
            vtt=VTT_NAME,
            sheets=tuple(self.sheets),
            tile_width=self.tile_width,
            tile_height=self.tile_height,
            columns=COLUMNS,
            rows=ROWS,
            interval_seconds=self.interval,
            tile_count=self.tiles,
        )

    def _vtt(self, duration: float) -> str:
        lines = ["WEBVTT", ""]
        for index in range(self.tiles):
            start = index * self.interval
            end = min((index + 1) * self.interval, duration)
            if end <= start:
                end = start + 1 / float(self.rate)
            sheet, position = divmod(index, COLUMNS * ROWS)
            row, column = divmod(position, COLUMNS)
            x, y = column * self.tile_width, row * self.tile_height
            lines.append(f"{_timestamp(start)} --> {_timestamp(end)}")
            lines.append(f"{sheet_name(sheet)}#xywh={x},{y},{self.tile_width},{self.tile_height}")
            lines.append("")
        return "\n".join(lines)

    def _write_sheets(self) -> None:
        for sheet in self._pulled():
            name = sheet_name(len(self.sheets))
            (self.directory / name).write_bytes(_jpeg(sheet))
            self.sheets.append(name)

    def _pulled(self) -> Iterator[av.VideoFrame]:
        assert self._sink is not None
        while True:
            try:
                frame = self._sink.pull()
            except (BlockingIOError, av.error.EOFError):
                return
            assert isinstance(frame, av.VideoFrame)
            yield frame


def _jpeg(sheet: av.VideoFrame) -> bytes:
    codec = av.CodecContext.create("mjpeg", "w")
    assert isinstance(codec, av.VideoCodecContext)
    codec.width, codec.height, codec.pix_fmt = sheet.width, sheet.height, "yuvj420p"
    codec.time_base = Fraction(1, 1)
    codec.flags |= av.codec.context.Flags.qscale
    codec.global_quality = JPEG_QUALITY * _LAMBDA_PER_QP
    sheet.pts = 0
    packets = [*codec.encode(sheet), *codec.encode(None)]
    return b"".join(bytes(packet) for packet in packets)
