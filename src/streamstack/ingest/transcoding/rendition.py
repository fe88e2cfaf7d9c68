"""One rendition (a rung of the ladder, or an audio track), encoded in its own thread.

The decoder hands every rung the same upright, constant-rate pictures (its own frame
reference to the shared pixels) through a bounded queue, so a slow encoder holds the
decoder back instead of frames piling up in memory; each rung scales them (swscale,
bicubic), encodes H.264 with libx264, and muxes it into FFmpeg's ``hls`` muxer with
``hls_segment_type=fmp4``; a picture the grid holds still goes to x264 once for as long as
it holds, once more where each segment starts, and as many times more, a frame each, as a
decoder may hold frames back (:mod:`.holds`). Each audio track of the source is likewise
one AAC rendition of its own (:class:`AudioRendition`): the sound is encoded once, not
once per rung, and a player picks the track it wants beside the rung it can carry. All
the tracks are encoded by one thread (:class:`SoundEncoder`): AAC is cheap, and every
thread costs address space in the sandbox (a stack and a malloc arena, about 100 MiB
measured).

Measured against the ``mp4`` muxer with ``frag_keyframe+empty_moov+default_base_moof``:
that one also cuts one fragment per key frame, but writes a single stream (``ftyp`` +
``moov``, then ``moof`` + ``mdat`` pairs, then an ``mfra`` index) that we would have to
split into files and describe in a playlist ourselves. The ``hls`` muxer writes
``init.mp4`` (``ftyp`` + ``moov``), CMAF segments (``styp``, ``sidx``, ``moof``, ``mdat``)
cut exactly at our key frames, and a version-7 VOD playlist with ``#EXT-X-MAP`` and
relative URIs. One trap, found on the way: a decoded frame keeps its source picture type,
and libx264 turns a source I-frame into an extra key frame (segments of 57 frames instead
of 60), so the timeline clears it. PyAV releases the GIL while scaling, encoding and
muxing, so the renditions really run side by side.
"""

from __future__ import annotations

import abc
import contextlib
import queue
import threading
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import av
import msgspec
from av.video.reformatter import Interpolation, VideoReformatter

from streamstack.ingest.transcoding.holds import (
    HOLD_SECONDS,
    HeldPictures,
    PacketTiming,
    Shown,
    grid_durations,
)
from streamstack.ingest.transcoding.ladder import (
    AUDIO_BITRATE,
    AUDIO_SAMPLE_RATE,
    Rung,
    x264_options,
)
from streamstack.ingest.transcoding.results import AudioTrack

#: What an encoder's queue carries in decoding order: a rung's picture, or a block of sound
#: with the index of its track; None ends it.
Frame = av.VideoFrame | tuple[int, av.AudioFrame]
QueueItem = Frame | None
PLAYLIST = "index.m3u8"
INIT_SEGMENT = "init.mp4"
SEGMENT_PATTERN = "seg_%05d.m4s"
#: Frames waiting per rendition at most (bounds memory between the decoder and the encoders).
QUEUE_FRAMES = 8
#: How often a blocked producer looks whether the rendition has failed meanwhile.
_PUT_POLL_SECONDS = 0.2


class RenditionFailed(Exception):
    """A rendition's encoder or muxer failed; the cause is chained."""


class EncoderThread(abc.ABC):
    """HLS renditions written into ``directories`` by a thread of its own.

    Subclasses say what the outputs hold (:meth:`_encode`); this class owns the queue,
    the thread and how a failure on either side reaches the other.
    """

    def __init__(
        self, name: str, directories: Sequence[Path], *, segment_seconds: Fraction
    ) -> None:
        self.name = name
        self.directories = directories
        self.segment_seconds = segment_seconds
        self._queue: queue.Queue[QueueItem] = queue.Queue(maxsize=QUEUE_FRAMES)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"rendition-{name}", daemon=True)

    def start(self) -> None:
        """Make the output directories and start encoding what the queue brings."""
        for directory in self.directories:
            directory.mkdir(parents=True, exist_ok=True)
        try:
            self._thread.start()
        except RuntimeError as exc:  # "can't start new thread": out of address space
            raise MemoryError(str(exc)) from exc

    def put(self, item: QueueItem) -> None:
        """Hand the rendition a frame (blocks while its queue is full); None ends it."""
        while True:
            if self._error is not None:
                raise RenditionFailed(f"rendition {self.name} failed") from self._error
            try:
                self._queue.put(item, timeout=_PUT_POLL_SECONDS)
                return
            except queue.Full:
                continue

    def finish(self) -> None:
        """End the rendition and wait until its files are complete (or raise its failure)."""
        self.put(None)
        self._thread.join()
        if self._error is not None:
            raise RenditionFailed(f"rendition {self.name} failed") from self._error

    def abandon(self) -> None:
        """Stop the thread without finishing the files (after a failure elsewhere)."""
        if self._thread.is_alive():
            self._error = self._error or RuntimeError("abandoned")
            while self._thread.is_alive():
                try:
                    self._queue.put(None, timeout=_PUT_POLL_SECONDS)
                except queue.Full:
                    continue
                self._thread.join(timeout=_PUT_POLL_SECONDS)

    def frames(self) -> Iterator[Frame]:
        """What the queue brings, until the end (or a failure elsewhere)."""
        while (item := self._queue.get()) is not None and self._error is None:
            yield item

    def _run(self) -> None:
        try:
            self._encode()
        except BaseException as exc:  # the producer raises it from put()/finish()
            self._error = exc
            # Unblock a producer waiting on a full queue.
            while True:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break

    @abc.abstractmethod
    def _encode(self) -> None:
        """Open the outputs, encode and mux what :meth:`frames` brings, then flush."""

    def _open(self, directory: Path) -> av.container.OutputContainer:
        """The ``hls`` muxer writing one rendition's playlist, init segment and segments."""
        options = {
            "hls_time": f"{float(self.segment_seconds):.6f}",
            "hls_segment_type": "fmp4",
            "hls_playlist_type": "vod",
            "hls_fmp4_init_filename": INIT_SEGMENT,
            "hls_segment_filename": str(directory / SEGMENT_PATTERN),
            "start_number": "1",
            "hls_flags": "independent_segments",
            # B-frames make a segment's first frame shown after its first decoded one. By
            # default the MP4 muxer shifts that away with an edit list, which Media Source
            # Extensions ignore: Chromium then buffered a 0.12 s hole after every segment
            # (tested). Negative composition offsets start each segment at its tfdt, as
            # CMAF wants, and leave nothing for an edit list to fix.
            "hls_segment_options": "movflags=+negative_cts_offsets",
        }
        return av.open(str(directory / PLAYLIST), "w", format="hls", options=options)


class Rendition(EncoderThread):
    """One rung of the ladder: H.264 pictures, no sound (the audio renditions carry it)."""

    def __init__(
        self, rung: Rung, directory: Path, *, rate: Fraction, gop: int, preset: str
    ) -> None:
        # Half a frame under the GOP: every key frame (and only those: no scene cuts)
        # starts a segment, whatever the rounding of the muxer's arithmetic.
        super().__init__(rung.name, [directory], segment_seconds=(gop - Fraction(1, 2)) / rate)
        self.directory = directory
        self.rung = rung
        self.rate = rate
        self.gop = gop
        self._options = x264_options(rung, preset=preset, gop=gop)
        self.sps: bytes = b""
        """The encoder's extradata (SPS/PPS), read after the last frame for ``CODECS``."""

    def _encode(self) -> None:
        rung = self.rung
        with self._open(self.directory) as output:
            video = output.add_stream("libx264", rate=self.rate, options=self._options)
            video.width, video.height, video.pix_fmt = rung.width, rung.height, "yuv420p"
            video.codec_context.gop_size = self.gop
            # Opened now, not at the first frame, to read how many frames its stream lets
            # a decoder hold back (x264 sets it from bframes and b-pyramid as it opens).
            video.codec_context.open()
            reorder = video.codec_context.reorder_depth
            scaler = VideoReformatter()
            held = HeldPictures(self.gop, max(2, round(HOLD_SECONDS * self.rate)), reorder)
            timing = PacketTiming(self.rate)
            for item in self.frames():
                assert isinstance(item, av.VideoFrame)
                for shown in held.offer(item):
                    frame = self._scaled(scaler, shown, timing)
                    output.mux(timing.timed(video.encode(frame)))
            if self._error is not None:
                return
            for shown in held.finish():
                frame = self._scaled(scaler, shown, timing)
                output.mux(timing.timed(video.encode(frame)))
            output.mux(timing.timed(video.encode(None)))
            self.sps = bytes(video.codec_context.extradata or b"")
        if held.held:  # the playlist is written as the muxer closes
            grid_durations(self.directory / PLAYLIST, held.frames, self.gop, self.rate)

    def _scaled(
        self, scaler: VideoReformatter, shown: Shown, timing: PacketTiming
    ) -> av.VideoFrame:
        """``shown``'s picture in the rung's size and format, typed as it must be coded."""
        item, rung = shown.picture, self.rung
        frame = scaler.reformat(
            item,
            rung.width,
            rung.height,
            "yuv420p",
            interpolation=Interpolation.BICUBIC,
            dst_color_range="MPEG",
        )
        if frame is not item:
            frame.pts, frame.time_base = item.pts, item.time_base
        if shown.picture_type is not None:
            frame.pict_type = shown.picture_type
        assert item.pts is not None  # the timeline stamps every frame of the grid
        timing.fed(item.pts, shown.lasts)
        return frame


class AudioRendition(msgspec.Struct, frozen=True):
    """One audio track of the source as a rendition: AAC-LC, stereo, 48 kHz, in ``directory``."""

    track: AudioTrack
    directory: Path

    @property
    def name(self) -> str:
        """``audio_1`` ...: the directory's name under ``hls/``."""
        return self.directory.name


class SoundEncoder(EncoderThread):
    """Every audio track's AAC encoder and muxer, in one thread; an item is ``(index, sound)``."""

    def __init__(self, renditions: Sequence[AudioRendition], *, segment_seconds: Fraction) -> None:
        directories = [rendition.directory for rendition in renditions]
        super().__init__("audio", directories, segment_seconds=segment_seconds)
        self.renditions = renditions

    def _encode(self) -> None:
        with contextlib.ExitStack() as stack:
            outputs = [stack.enter_context(self._open(path)) for path in self.directories]
            streams = [output.add_stream("aac", rate=AUDIO_SAMPLE_RATE) for output in outputs]
            for stream in streams:
                stream.layout = "stereo"
                stream.bit_rate = AUDIO_BITRATE
            for item in self.frames():
                assert isinstance(item, tuple)
                index, sound = item
                outputs[index].mux(streams[index].encode(sound))
            if self._error is not None:
                return
            for output, stream in zip(outputs, streams, strict=True):
                output.mux(stream.encode(None))
