"""A held picture handed to x264 once: a podcast's still, a slide shown for minutes.

The timeline puts every picture on a constant-rate grid, so a picture held for an hour
came to each rung as 108,000 frames (at 30 fps), each scaled and encoded: an hour's still
cost as much as an hour of motion. :class:`HeldPictures` hands a rung such a picture once,
lasting as long as it is held (variable frame rate, as fMP4 carries it: a sample's
duration), with a key frame where every segment starts (the same picture again), so the
segments, their lengths and the key frames a player switches rungs at stay where they
were. Pictures that change, and short repeats, go as they came: moving video is encoded
frame for frame as before. :class:`PacketTiming` times the packets x264 hands back, which
it cannot do itself for such frames.

A decoder holds back as many frames as the stream may reorder (``has_b_frames``: 2 with
x264's B-pyramid) and hands them on only when more come or the stream ends. A segment
that was one held frame showed nothing on its own: a player seeking into a still's last
segments before it first played (hls.js ends the stream only once playback has started,
with an audio group) waited for good (outside walk 49, F1). So a held stretch ends with
that many copies of its picture, a frame each: its long frame comes out of the decoder
with the stretch's own frames, as a moving picture's frames do.
"""

from __future__ import annotations

import collections
import math
import re
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import msgspec
from av.video.frame import PictureType

from streamstack.ingest.transcoding.playlists import media_segments

#: A picture repeated on the grid for at least this long (s) is handed on once, lasting as
#: long; shorter repeats (a variable-rate clip's filled gaps) go as they came.
HOLD_SECONDS = Fraction(1, 2)


class Shown(msgspec.Struct, frozen=True):
    """A picture for x264: as it came (``lasts`` None), or lasting ``lasts`` frames of the
    grid; ``picture_type`` forces how it is coded (None: as x264 decides)."""

    picture: av.VideoFrame
    lasts: int | None = None
    picture_type: PictureType | None = None


class HeldPictures:
    """A rung's grid of pictures (frame ``n`` at ``pts == n``), a held one handed on once.

    What the grid repeats for ``hold_frames`` or more is one frame lasting that long. A
    repeat is the very same pixels (the ``fps`` filter's duplicate, the last picture held
    until the sound ends), not a lookalike. Where a segment starts the held picture comes
    again, and a key frame is forced where fewer than ``gop`` frames went since the last
    one (x264 counts frames, not time). A held picture is coded as a P frame: no B frame
    reaches across it, so :class:`PacketTiming` can time decoding by the pictures' order.
    It lasts until ``reorder`` grid frames before its stretch ends, and its last
    ``reorder`` repeats follow, a frame each and P frames too: ``reorder`` is how many
    frames the stream says a decoder may hold back (the encoder's ``has_b_frames``).
    The first segment goes as it came: x264 measures its B frames' delay on its first
    frames, and a held one among them made it seconds long.
    """

    def __init__(self, gop: int, hold_frames: int, reorder: int) -> None:
        self._gop, self._hold, self._reorder = gop, hold_frames, reorder
        self._pending: av.VideoFrame | None = None
        """The last picture that was not a repeat, not yet handed on: how long it lasts is
        known when the next one comes (holding it also keeps its pixels from being reused
        for another picture, which would then look like a repeat)."""
        self._repeats: list[av.VideoFrame] = []
        self._starts = self._key = False
        """Whether the pending picture starts a segment, and must be forced a key frame."""
        self._sent = 0
        """Frames handed on since the last segment start."""
        self.frames = 0
        """The grid's frames offered so far."""
        self.held = False
        """Whether any picture was handed on once for its repeats."""

    def offer(self, picture: av.VideoFrame) -> Iterator[Shown]:
        """Take the grid's next picture; yield what x264 may now encode, in order."""
        at = _grid(picture)
        self.frames = at + 1
        starts_segment = at % self._gop == 0
        holding = at > self._gop and not starts_segment
        if holding and self._pending is not None and same_pixels(picture, self._pending):
            self._repeats.append(picture)
            return
        yield from self._flush(at)
        self._starts = starts_segment
        if starts_segment:
            self._key, self._sent = at > 0 and self._sent != self._gop, 0
        self._pending = picture

    def finish(self) -> Iterator[Shown]:
        """What is still held back at the end of the grid."""
        if self._pending is not None:
            last = self._repeats[-1] if self._repeats else self._pending
            yield from self._flush(_grid(last) + 1)

    def _flush(self, until: int) -> Iterator[Shown]:
        pending = self._pending
        if pending is None:
            return
        repeats, self._repeats = self._repeats, []
        key, self._key = self._key, False
        if len(repeats) >= max(self._hold, self._reorder):
            tail = repeats[len(repeats) - self._reorder :]
            self._sent, self.held = self._sent + 1 + len(tail), True
            # Where a segment starts, x264 makes its own key frame unless forced.
            coded = PictureType.I if key else None if self._starts else PictureType.P
            lasts = until - len(tail) - _grid(pending)
            yield Shown(pending, lasts=lasts, picture_type=coded)
            yield from (Shown(copy, lasts=1, picture_type=PictureType.P) for copy in tail)
            return
        self._sent += 1 + len(repeats)
        yield Shown(pending, picture_type=PictureType.I if key else None)
        yield from (Shown(repeat) for repeat in repeats)


def _grid(picture: av.VideoFrame) -> int:
    """Which frame of the grid ``picture`` is (the timeline stamps every one)."""
    assert picture.pts is not None
    return picture.pts


def same_pixels(one: av.VideoFrame, other: av.VideoFrame) -> bool:
    """Whether two frames hold the very same pixels (one buffer, shared)."""
    shape = (one.width, one.height, one.format.name)
    if shape != (other.width, other.height, other.format.name):
        return False
    return all(a.buffer_ptr == b.buffer_ptr for a, b in zip(one.planes, other.planes, strict=True))


class PacketTiming:
    """Durations and decoding times of the packets x264 makes of :class:`HeldPictures`.

    libx264 leaves a packet's duration unset (the muxer takes the gap to the next one), so
    a held picture's packet is given how long it lasts. x264 times decoding by the frames
    it was given ``delay`` frames before (its B frames' reordering): behind a held picture
    that put decoding seconds behind showing, and fMP4 sample durations (decoding's steps)
    said a held picture lasted a frame. Decoding is timed instead by the pictures' own
    order, ``delay`` grid frames early, which for pictures a frame apart is what x264 says.
    """

    def __init__(self, rate: Fraction) -> None:
        self._frame = 1 / rate
        self._shown: collections.deque[Fraction] = collections.deque()
        self._lasting: dict[Fraction, Fraction] = {}
        self._delay: Fraction | None = None

    def fed(self, pts: int, lasts: int | None) -> None:
        """Note a frame handed to x264 at grid frame ``pts``, lasting ``lasts`` if held."""
        self._shown.append(pts * self._frame)
        if lasts is not None:
            self._lasting[pts * self._frame] = lasts * self._frame

    def timed(self, packets: Iterable[av.Packet[Any]]) -> list[av.Packet[Any]]:
        """``packets`` (in decoding order) with their durations and decoding times set."""
        timed = list(packets)
        for packet in timed:
            base = packet.time_base
            assert base is not None and packet.pts is not None and packet.dts is not None
            shown = self._shown.popleft()
            if self._delay is None:
                self._delay = shown - packet.dts * base
            packet.dts = round((shown - self._delay) / base)
            lasts = self._lasting.pop(packet.pts * base, None)
            if lasts is not None:
                packet.duration = round(lasts / base)
        return timed


_EXTINF = re.compile(r"^#EXTINF:[^,\n]*,", re.MULTILINE)
_TARGET = re.compile(r"^#EXT-X-TARGETDURATION:[0-9]+$", re.MULTILINE)


def grid_durations(playlist: Path, frames: int, gop: int, rate: Fraction) -> None:
    """Write a rung's segment durations as the grid has them: ``gop`` frames each, the last
    what is left of ``frames``. FFmpeg's ``hls`` muxer adds a packet's duration, when it
    has one, to the segment it starts (a held key frame counted twice) and gives the last
    segment one frame past its last packet's start (a held picture's seconds lost)."""
    text = playlist.read_text(encoding="utf-8")
    count = len(media_segments(playlist))
    if count != math.ceil(frames / gop):
        raise RuntimeError(f"{playlist}: {count} segments for {frames} frames of {gop}")
    lengths = [Fraction(gop)] * (count - 1) + [Fraction(frames - gop * (count - 1))]
    seconds = iter(length / rate for length in lengths)
    text = _EXTINF.sub(lambda _: f"#EXTINF:{float(next(seconds)):.6f},", text)
    target = max(math.floor(length / rate + Fraction(1, 2)) for length in lengths)
    text = _TARGET.sub(f"#EXT-X-TARGETDURATION:{target}", text, count=1)
    playlist.write_text(text, encoding="utf-8")
