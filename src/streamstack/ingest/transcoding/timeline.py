"""The output timeline: decoded frames in, upright constant-rate frames and clean audio out.

Video: interlaced frames are deinterlaced (``bwdif``), HDR is mapped to SDR (:mod:`.hdr`),
the display matrix is applied (a phone's portrait clip comes out portrait, as
FFmpeg's own ``autorotate`` does), anamorphic pixels are noted so the ladder sizes come
out right, and FFmpeg's ``fps`` filter maps every frame onto a constant-rate grid by its
timestamp, duplicating or dropping frames where a variable-rate source is early or late;
output frame ``n`` is shown at ``n / rate`` seconds (a slide held for seconds repeats on
that grid); the last picture is held until the sound ends when that outlasts it
(:meth:`VideoTimeline.finish`). A decoded frame with no timestamp (a
B-frame an MPEG program stream left unstamped, the last WMA frame the decoder flushes)
follows the one before it, on both timelines. Audio: the same origin (the video's
first instant) is subtracted, ``aresample`` pads gaps and trims overlaps by timestamp so
sound and picture stay together, and the result is stereo, 48 kHz, planar float in
frames of 1024 samples -- exactly what the AAC encoder takes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import av
import av.filter
from av.filter.context import FilterContext
from av.video.frame import PictureType

from streamstack.ingest.transcoding import hdr
from streamstack.ingest.transcoding.holds import same_pixels
from streamstack.ingest.transcoding.ladder import AUDIO_SAMPLE_RATE, MAX_FRAME_RATE

#: AAC-LC codes 1024 samples per frame.
AAC_FRAME_SAMPLES = 1024
#: Which field a stream shows first, by its ``field_order`` (FFmpeg's AVFieldOrder: top
#: coded and shown first, bottom and bottom, top coded but bottom shown, bottom coded but
#: top shown); others (progressive, unknown) leave it to each frame's flag.
_PARITY = {2: "tff", 3: "bff", 4: "bff", 5: "tff"}


def deinterlacer(field_order: int | None = None) -> tuple[str, str]:
    """The filter making interlaced pictures (camcorders, broadcast recordings) progressive
    as frames flagged interlaced come (progressive ones pass untouched): one frame per frame,
    or with the stream's ``field_order`` one frame per field, in the order it says they are
    shown (50i is 50 instants a second, as a television shows it; a frame's own flag is
    unreliable where no picture timing is sent: H.264 without SEI said bottom first)."""
    if field_order is None:
        return ("bwdif", "mode=send_frame:parity=auto:deint=interlaced")
    parity = _PARITY.get(field_order, "auto")
    return ("bwdif", f"mode=send_field:parity={parity}:deint=interlaced")


#: A jump this long (s) in a transport stream's times is a discontinuity, not a gap.
TIME_JUMP_SECONDS = Fraction(10)
#: FFmpeg's AVFMT_TS_DISCONT: formats whose timestamps may jump (MPEG TS and PS).
_TS_DISCONT = 0x0200
#: A jump in the sound's timestamps this long (s) is a hole, not a muxer's rounding.
SOUND_HOLE_SECONDS = Fraction(1, 4)
#: Sound past the last picture's end by less than this (s) is its encoder's last frame
#: padded out (1024 to 2048 samples, for AAC or WMA), cut as before, not a picture to hold.
SOUND_TAIL_SECONDS = Fraction(1, 4)
#: A picture held until the sound ends goes into the graph this much (s) at a time.
_HOLD_STEP_SECONDS = Fraction(1)
#: The length Matroska muxers (FFmpeg's, mkvmerge) tag each track with: ``00:03:25.120000000``.
_TAGGED_LENGTH = re.compile(r"([0-9]+):([0-5][0-9]):([0-5][0-9](?:\.[0-9]+)?)")


def picture_stream(container: av.container.InputContainer) -> av.video.stream.VideoStream | None:
    """The moving picture: FFmpeg's best video stream, never cover art (an attached picture,
    as music files carry); None for sound only."""
    pictures = [
        stream
        for stream in container.streams.video
        if not stream.disposition & av.stream.Disposition.attached_pic
    ]
    best = container.streams.best("video")
    if isinstance(best, av.video.stream.VideoStream) and best in pictures:
        return best
    return pictures[0] if pictures else None


def stream_seconds(stream: av.stream.Stream) -> float | None:
    """How long ``stream`` lasts by the file's headers: its own duration, else the
    ``DURATION`` tag a Matroska muxer writes per track (Matroska has no track duration
    field); None when neither says."""
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    tagged = _TAGGED_LENGTH.fullmatch(stream.metadata.get("DURATION", "").strip())
    if tagged is None:
        return None
    hours, minutes, seconds = tagged.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds) or None


#: How much shorter than its headers say a file may read and still count as whole (s), or
#: :data:`UNREAD_SHARE` of its length if more: headers round, and a last frame's length is
#: counted or not.
UNREAD_SLACK_SECONDS = 1.0
UNREAD_SHARE = 1 / 50


#: Less than this much read (s) of a file whose headers promise more is nothing to publish:
#: not a frame or a word a viewer could make out (a file that is noise past its headers).
MIN_READ_SECONDS = 0.5


def unread_seconds(promised: float | None, read: float) -> float:
    """How much of the ``promised`` length (the headers', s) was not read: 0 within
    :data:`UNREAD_SLACK_SECONDS` or :data:`UNREAD_SHARE`. One rule for the probe, which
    plays an original only when it reads to its end, and the package's note."""
    if promised is None or promised - read <= max(UNREAD_SLACK_SECONDS, promised * UNREAD_SHARE):
        return 0.0
    return round(promised - read, 3)


def playing_seconds(
    container: av.container.InputContainer, *streams: av.stream.Stream
) -> float | None:
    """How long a package made from ``streams`` plays by the headers: the longest one's own
    length (the picture is held until the sound ends), else the file's; None when neither
    is known."""
    lengths = [seconds for stream in streams if (seconds := stream_seconds(stream)) is not None]
    if lengths:
        return max(lengths)
    if container.duration is not None and container.duration > 0:
        return float(container.duration / av.time_base)
    return None


def captured_rate(video: av.video.stream.VideoStream) -> Fraction | None:
    """The rate ``video`` was captured at (None: unknown): FFmpeg's guessed rate, which its
    own tools time their output by, not the average, which a variable rate lowers (a phone
    slowing in low light, a screen recording holding still)."""
    return video.guessed_rate or video.average_rate


def shown_rate(rate: Fraction, first: av.VideoFrame) -> Fraction:
    """The rate a package shows a stream captured at ``rate`` whose first picture is
    ``first``: a frame per field for interlaced pictures (1080i50 plays at 50 fps, as on a
    television; see :func:`deinterlacer`), where that stays within the ladder's rates."""
    if first.interlaced_frame and rate * 2 <= MAX_FRAME_RATE:
        return rate * 2
    return rate


def rotation_filters(rotation: float) -> list[tuple[str, str]]:
    """The filters that turn a frame with this display rotation (degrees, ccw) upright."""
    quarter = round(rotation / 90) % 4
    if quarter == 1:  # 90 ccw
        return [("transpose", "cclock")]
    if quarter == 3:  # 90 clockwise: what phones held upright record
        return [("transpose", "clock")]
    if quarter == 2:
        return [("hflip", ""), ("vflip", "")]
    return []


def as_shown(
    frame: av.VideoFrame, before: av.VideoFrame | None = None, after: av.VideoFrame | None = None
) -> av.VideoFrame:
    """A still (a thumbnail's frame) as a viewer sees the ladder's pictures: deinterlaced
    as playback is, from the frames ``before`` and ``after`` it when the decode had them;
    turned as its display matrix says (a phone's portrait clip) and HDR mapped to SDR;
    ``frame`` itself when it needs none of these."""
    filters = rotation_filters(frame.rotation)
    if frame.interlaced_frame:
        filters.insert(0, deinterlacer())
    transfer = frame.color_trc if frame.color_trc in hdr.HDR_TRANSFERS else None
    if not filters and transfer is None:
        return frame
    graph = av.filter.Graph()
    source = _source(graph, frame, Fraction(1))
    chain = [source, *(graph.add(name, args or None) for name, args in filters)]
    mapping = SdrMapping(graph, transfer) if transfer is not None else None
    if mapping is not None:
        chain += mapping.filters
    sink = graph.add("buffersink")
    graph.link_nodes(*chain, sink)
    graph.configure()
    if mapping is not None:
        mapping.start()
    frames = [frame]
    if frame.interlaced_frame:
        # The deinterlacer weighs a picture's fields against its neighbours' (alone, it
        # leaves them woven); one of another size would not fit the graph's source.
        frames = [
            each
            for each in (before, frame, after)
            if each is frame or (each is not None and _shape(each) == _shape(frame))
        ]
    for pts, each in enumerate(frames):
        each.pts = pts  # from 0 on: haldclut maps frames at or after the table's instant
        source.push(each)
    source.push(None)  # the deinterlacer holds its last frame back until the end
    shown = list(_pulled(sink))[frames.index(frame)]
    assert isinstance(shown, av.VideoFrame)
    return shown


#: Bytes of a picture's plane compared first, from its middle: pictures that differ
#: (motion) mostly differ there, and the whole plane (2 MB at 1080p) is not copied.
_SAMPLE_BYTES = 64 * 1024


def same_picture(one: av.VideoFrame, other: av.VideoFrame) -> bool:
    """Whether two decoded pictures are the same, pixel for pixel (the same buffer, or
    equal bytes in every plane)."""
    if one.interlaced_frame != other.interlaced_frame or _shape(one) != _shape(other):
        return False
    if same_pixels(one, other):
        return True
    pairs = list(zip(one.planes, other.planes, strict=True))
    if any(a.line_size != b.line_size or a.buffer_size != b.buffer_size for a, b in pairs):
        return False
    for a, b in pairs:
        middle = max(0, a.buffer_size // 2 - _SAMPLE_BYTES // 2)
        window = slice(middle, middle + _SAMPLE_BYTES)
        if bytes(memoryview(a)[window]) != bytes(memoryview(b)[window]):
            return False
    return all(bytes(a) == bytes(b) for a, b in pairs)


def _shape(frame: av.VideoFrame) -> tuple[int, int, str]:
    return frame.width, frame.height, frame.format.name


class SdrMapping:
    """HDR (BT.2020, PQ or HLG) to SDR BT.709: filters for a graph's chain, mapping through
    the Hald CLUT of :mod:`.hdr`, which enters by a source of its own."""

    def __init__(self, graph: av.filter.Graph, transfer: int) -> None:
        self._transfer = transfer
        side = hdr.HALD_SIDE
        self._clut = graph.add(
            "buffer", f"video_size={side}x{side}:pix_fmt=rgb48le:time_base=1/1:pixel_aspect=1/1"
        )
        add = graph.add
        table = add("haldclut")
        self.filters = [
            add("scale", in_color_matrix="bt2020", in_range="tv"),
            add("format", "rgb48le"),
            table,
            add("scale", out_color_matrix="bt709", out_range="tv"),
            add("format", "yuv420p"),
            add("setparams", color_primaries="bt709", color_trc="bt709", colorspace="bt709"),
        ]
        self._clut.link_to(table, 0, 1)

    def start(self) -> None:
        """Give the configured graph its table: one picture at instant 0, then its end, so
        every frame from instant 0 on is mapped by it."""
        side, row = hdr.HALD_SIDE, hdr.HALD_SIDE * 6
        picture = av.VideoFrame(side, side, "rgb48le")
        plane = picture.planes[0]
        padding = bytes(plane.line_size - row)
        table = hdr.hald_clut(self._transfer)
        plane.update(b"".join(table[y * row : (y + 1) * row] + padding for y in range(side)))
        picture.pts = 0
        self._clut.push(picture)
        self._clut.push(None)


def _source(
    graph: av.filter.Graph, like: av.VideoFrame, time_base: Fraction
) -> av.filter.context.FilterContext:
    """A ``buffer`` filter taking frames of ``like``'s size and format (square pixels: the
    ladder accounts for the source's own shape)."""
    return graph.add(
        "buffer",
        f"video_size={like.width}x{like.height}:pix_fmt={like.format.name}"
        f":time_base={time_base.numerator}/{time_base.denominator}:pixel_aspect=1/1",
    )


def _pulled(sink: av.filter.context.FilterContext) -> Iterator[av.frame.Frame]:
    while True:
        try:
            yield sink.pull()
        except (BlockingIOError, av.error.EOFError):
            return


def display_size(first: av.VideoFrame, sample_aspect: Fraction | None) -> tuple[int, int]:
    """The picture's size as displayed: square pixels, rotation applied."""
    width = first.width * (sample_aspect if sample_aspect and sample_aspect > 0 else 1)
    shown = (round(width), first.height)
    return (shown[1], shown[0]) if round(first.rotation / 90) % 2 == 1 else shown


class VideoTimeline:
    """Upright, constant-rate frames from decoded ones (frame ``n`` has ``pts == n``).

    Each output instant comes as ``outputs`` frames: one per consumer (a rung, the
    storyboard), all sharing the picture's pixels (reference-counted, not copied) but each
    its own ``AVFrame``. PyAV's scaler writes to its input frame's colour fields while it
    works, so rungs scaling one shared frame in parallel would race on them.
    """

    def __init__(
        self,
        first: av.VideoFrame,
        time_base: Fraction,
        rate: Fraction,
        origin: Fraction,
        outputs: int,
        hdr_transfer: int | None = None,
        *,
        field_order: int | None = None,
    ) -> None:
        self.width, self.height, self.format = first.width, first.height, first.format.name
        self.rate = rate
        # With a ``field_order``, each field of an interlaced frame becomes a frame: a source
        # frame lasts two output frames.
        per_field = field_order is not None
        self._stamps = Stamps(time_base, origin, (2 if per_field else 1) / rate)
        self._time_base, self._origin = time_base, origin
        self._last: av.VideoFrame | None = None
        """The last picture pushed, which :meth:`finish` may hold."""
        self._graph = av.filter.Graph()
        chain = [_source(self._graph, first, time_base)]
        chain.append(self._graph.add(*deinterlacer(field_order)))
        for name, args in rotation_filters(first.rotation):
            chain.append(self._graph.add(name, args or None))
        start = float(origin)
        chain.append(
            self._graph.add("fps", f"fps={rate.numerator}/{rate.denominator}:start_time={start}")
        )
        # Frame numbers as timestamps: the encoders' time base is 1/rate.
        chain.append(self._graph.add("setpts", "N"))
        # After setpts: every frame is at or after the HDR table's instant 0.
        mapping = SdrMapping(self._graph, hdr_transfer) if hdr_transfer is not None else None
        if mapping is not None:
            chain += mapping.filters
        split = self._graph.add("split", str(outputs))
        chain.append(split)
        self._graph.link_nodes(*chain)
        self._source = chain[0]
        self._sinks = []
        for index in range(outputs):
            sink = self._graph.add("buffersink")
            split.link_to(sink, output_idx=index)
            self._sinks.append(sink)
        self._graph.configure()
        if mapping is not None:
            mapping.start()
        #: Per picture shape other than the first: a graph fitting it into the first's.
        self._fitters: dict[
            tuple[int, int, str], tuple[av.filter.Graph, FilterContext, FilterContext]
        ] = {}

    def push(self, frame: av.VideoFrame | None) -> Iterator[tuple[av.VideoFrame, ...]]:
        """Feed one decoded frame (None at the end); yield the output instants now ready."""
        if frame is not None:
            self._stamps.stamp(frame, frame.duration)
        if frame is not None and (
            frame.width != self.width
            or frame.height != self.height
            or frame.format.name != self.format
        ):
            frame = self._fitted(frame)
        if frame is not None and self._last is not None and same_picture(frame, self._last):
            # A still coded at a constant rate (a podcast made with ``-loop 1``): the picture
            # before it again, whose pixels the rungs then recognise as held (see .holds).
            self._last.pts, self._last.duration = frame.pts, frame.duration
            frame = self._last
        self._last = frame
        self._source.push(frame)
        yield from self._ready()

    def _ready(self) -> Iterator[tuple[av.VideoFrame, ...]]:
        """The output instants ready, a frame from each sink in turn: pulled sink by sink,
        every repeat of a slide held for minutes waited in the other sinks at once."""
        while True:
            instant = []
            for sink in self._sinks:
                try:
                    instant.append(self._prepared(sink.pull()))
                except (BlockingIOError, av.error.EOFError):
                    if instant:
                        raise RuntimeError("the timeline's outputs fell out of step") from None
                    return
            yield tuple(instant)

    def finish(self, until: Fraction | None = None) -> Iterator[tuple[av.VideoFrame, ...]]:
        """End the source; yield the output instants still held back. With ``until``
        (seconds from the origin: where the sound ends), a last picture ending before it
        is held until then, as FFmpeg's ``tpad=stop_mode=clone`` holds it: a podcast's one
        still, slides whose sound outlasts the last one, came out a few frames long. Sound
        within :data:`SOUND_TAIL_SECONDS` of its end is padding, not worth a frame more."""
        last = self._last
        if last is not None and until is not None:
            ends = self._stamps.next_pts
            held = round((self._origin + until) / self._time_base) - ends
            if held * self._time_base > SOUND_TAIL_SECONDS:
                # The same picture again from where it ended: ``fps`` repeats it on its
                # grid up to the end of its duration, as it repeats any long-held frame. A
                # second at a time: all at once, every repeat of an hour's still waited in
                # the sinks at once (a frame each, 1.6 KB: an hour at 30 fps, 1 GB).
                step = max(1, round(_HOLD_STEP_SECONDS / self._time_base))
                for start in range(ends, ends + held, step):
                    last.pts, last.duration = start, min(step, ends + held - start)
                    yield from self.push(last)
        yield from self.push(None)

    def _fitted(self, frame: av.VideoFrame) -> av.VideoFrame:
        """A picture of another size than the first (a recording whose resolution changed
        midway) in the graph's input size, which the ladder was planned from: scaled to
        fit, its shape kept, black bars filling the rest (stretched, a 4:3 part looked
        squashed in a 16:9 video)."""
        shape = (frame.width, frame.height, frame.format.name)
        if shape not in self._fitters:
            graph = av.filter.Graph()
            chain = [
                _source(graph, frame, Fraction(1)),
                graph.add(
                    "scale",
                    f"{self.width}:{self.height}:force_original_aspect_ratio=decrease"
                    ":force_divisible_by=2",
                ),
                graph.add("pad", f"{self.width}:{self.height}:(ow-iw)/2:(oh-ih)/2:black"),
                graph.add("format", self.format),
                graph.add("buffersink"),
            ]
            graph.link_nodes(*chain)
            graph.configure()
            # The graph is kept with its ends: its filters die with it.
            self._fitters[shape] = (graph, chain[0], chain[-1])
        _, source, sink = self._fitters[shape]
        pts, time_base = frame.pts, frame.time_base
        source.push(frame)
        fitted = sink.pull()
        assert isinstance(fitted, av.VideoFrame)
        fitted.pts = pts
        if time_base is not None:
            fitted.time_base = time_base
        return fitted

    def _prepared(self, frame: av.frame.Frame) -> av.VideoFrame:
        assert isinstance(frame, av.VideoFrame)
        # The source's key frames must not force key frames into the ladder.
        frame.pict_type = PictureType.NONE
        frame.time_base = Fraction(1) / self.rate
        return frame


class AudioTimeline:
    """Stereo 48 kHz AAC-sized frames on the video's timeline (``pts`` in samples)."""

    def __init__(self, first: av.AudioFrame, time_base: Fraction, origin: Fraction) -> None:
        self._graph = av.filter.Graph()
        source = self._graph.add_abuffer(
            sample_rate=first.sample_rate,
            format=first.format.name,
            layout=first.layout.name,
            time_base=time_base,
        )
        shift = self._graph.add("asetpts", f"PTS-{float(origin)}/TB")
        resample = self._graph.add("aresample", f"{AUDIO_SAMPLE_RATE}:async=1:first_pts=0")
        shape = self._graph.add(
            "aformat", f"sample_fmts=fltp:channel_layouts=stereo:sample_rates={AUDIO_SAMPLE_RATE}"
        )
        chain = [source, shift, resample, shape]
        if first.layout.nb_channels > 2:
            # Surround mixed down sums up to five channels into each side: a film's loud
            # scene went to twice full scale and clipped. Its peaks are held under -2 dBFS
            # (AAC overshoots a little); the rest keeps its level, which a smaller mix-down
            # matrix would have lowered by 8 dB throughout. Delay compensated. The limiter
            # works in doubles: its frames are made planar floats again, as every other
            # frame the encoder takes (the silence filling a gap) is.
            chain.append(self._graph.add("alimiter", "limit=0.8:level=false:latency=true"))
            chain.append(self._graph.add("aformat", "sample_fmts=fltp"))
        self._sink = self._graph.add("abuffersink")
        self._graph.link_nodes(*chain, self._sink)
        self._graph.configure()
        self._graph.set_audio_frame_size(AAC_FRAME_SAMPLES)
        self._shape = _sound_shape(first)
        self._time_base = time_base
        self._stamps = Stamps(time_base, origin)
        self._converters: dict[tuple[str, str, int], av.AudioResampler] = {}
        self.missing = Fraction(0)
        """Seconds of holes in the sound (each over ``SOUND_HOLE_SECONDS``), filled with
        silence: sound is continuous, so a hole is data the demuxer could not read."""

    def push(self, frame: av.AudioFrame | None) -> Iterator[av.AudioFrame]:
        """Feed one decoded frame (None at the end); yield the output frames now ready."""
        if frame is not None:
            hole = self._stamps.stamp(
                frame, round(Fraction(frame.samples, frame.sample_rate) / self._time_base)
            )
            self.missing += hole if hole > SOUND_HOLE_SECONDS else 0
        for alike in self._alike(frame):
            self._sink.graph.push(alike)
        for out in _pulled(self._sink):
            assert isinstance(out, av.AudioFrame)
            yield out

    def _alike(self, frame: av.AudioFrame | None) -> list[av.AudioFrame | None]:
        """``frame`` in the first frame's format, layout and rate, which the graph's source
        was built for: a stream that changes them midway (MP3 from 48 kHz mono to 44.1 kHz
        stereo, say) is converted rather than cut to silence."""
        if frame is None or _sound_shape(frame) == self._shape:
            return [frame]
        converter = self._converters.get(_sound_shape(frame))
        if converter is None:
            sample_format, layout, rate = self._shape
            converter = av.AudioResampler(format=sample_format, layout=layout, rate=rate)
            self._converters[_sound_shape(frame)] = converter
        converted: list[av.AudioFrame | None] = []
        frame.time_base = self._time_base  # what the graph's source reads its pts in
        for out in converter.resample(frame):
            # The converter counts in samples of the first rate; the source, in the stream's.
            if out.pts is not None and out.time_base is not None:
                out.pts = round(out.pts * out.time_base / self._time_base)
            out.time_base = self._time_base
            converted.append(out)
        return converted


class ContinuousTimes:
    """A transport or program stream's timestamps made continuous across its jumps.

    A broadcast recording spans a channel change or a spliced advert, cameras restart their
    clocks between clips: the times jump (by minutes, or back). A 6 s recording with a jump
    of 10 minutes became a 10-minute package of one frozen picture and silence. As FFmpeg's
    own tools do for these formats (``-dts_delta_threshold``), a packet of sound or picture
    more than :data:`TIME_JUMP_SECONDS` from where its stream was is moved back beside it,
    and every packet after it by as much; other containers' timestamps are left as they are
    (a screen recording's still stretch is no jump).
    """

    def __init__(self, container: av.container.InputContainer) -> None:
        self.enabled = bool(container.format.flags & _TS_DISCONT)
        self.shift = Fraction(0)
        """Seconds added to every timestamp so far (negative after a jump forward)."""
        self._next: dict[int, Fraction] = {}

    def place(self, packet: av.Packet[Any]) -> None:
        """Move ``packet``'s timestamps by the jumps before it (and its own, if it jumps)."""
        base = packet.time_base
        if not self.enabled or packet.dts is None or base is None:
            return
        at = packet.dts * base + self.shift
        expected = self._next.get(packet.stream.index)
        timed = packet.stream.type in ("video", "audio")  # subtitles are sparse
        if expected is not None and timed and abs(at - expected) > TIME_JUMP_SECONDS:
            self.shift += expected - at
            at = expected
        moved = round(self.shift / base)
        packet.dts += moved
        if packet.pts is not None:
            packet.pts += moved
        self._next[packet.stream.index] = at + (packet.duration or 0) * base


class Stamps:
    """Where each decoded frame of a stream starts: its own timestamp, or for a frame that
    has none, where the one before it ended (the first at the timeline's origin). Filters
    cannot place a frame without one: ``fps`` ran on without end, and the AAC encoder's
    made-up timestamps went backwards, which the muxer refused."""

    def __init__(
        self, time_base: Fraction, origin: Fraction, frame_seconds: Fraction | None = None
    ) -> None:
        self._time_base = time_base
        self._next = round(origin / time_base)
        self._stamped = False
        #: A frame's length when the decoder does not say (a picture's: one at the rate).
        self._usual = round(frame_seconds / time_base) if frame_seconds else 0

    def stamp(self, frame: av.frame.Frame, length: int | None) -> Fraction:
        """Give ``frame`` a timestamp if it has none; note where it ends (``length``, in the
        stream's time base, or none known). How far (seconds) it starts past where the
        frame before it ended: a hole, such as damage the demuxer skipped (0 for the first)."""
        hole = Fraction(0)
        if frame.pts is None:
            frame.pts = self._next
        elif self._stamped:
            hole = max(Fraction(0), (frame.pts - self._next) * self._time_base)
        self._stamped = True
        self._next = frame.pts + (length or self._usual)
        return hole

    @property
    def next_pts(self) -> int:
        """Where the last frame stamped ends (the stream's time base): the next one's start."""
        return self._next


def _sound_shape(frame: av.AudioFrame) -> tuple[str, str, int]:
    return frame.format.name, frame.layout.name, frame.sample_rate
