"""One rung of the ladder: scale, encode and package the shared frames, in its own thread.

The decoder hands every rung the same upright, constant-rate pictures (its own frame
reference to the shared pixels) through a bounded queue, so a slow encoder holds the
decoder back instead of frames piling up in memory; each rung scales them (swscale, bicubic), encodes H.264 with libx264 and AAC, and muxes
both into FFmpeg's ``hls`` muxer with ``hls_segment_type=fmp4``.

Measured against the ``mp4`` muxer with ``frag_keyframe+empty_moov+default_base_moof``:
that one also cuts one fragment per key frame, but writes a single stream (``ftyp`` +
``moov``, then ``moof`` + ``mdat`` pairs, then an ``mfra`` index) that we would have to
split into files and describe in a playlist ourselves. The ``hls`` muxer writes
``init.mp4`` (``ftyp`` + ``moov``), CMAF segments (``styp``, ``sidx``, ``moof``, ``mdat``)
cut exactly at our key frames, and a version-7 VOD playlist with ``#EXT-X-MAP`` and
relative URIs. One trap, found on the way: a decoded frame keeps its source picture type,
and libx264 turns a source I-frame into an extra key frame (segments of 57 frames instead
of 60), so the timeline clears it. PyAV releases the GIL while scaling, encoding and
muxing, so the rungs really run side by side.
"""

from __future__ import annotations

import queue
import threading
from fractions import Fraction
from pathlib import Path

import av
from av.video.reformatter import Interpolation, VideoReformatter

from streamstack.ingest.transcoding.ladder import (
    AUDIO_BITRATE,
    AUDIO_SAMPLE_RATE,
    Rung,
    x264_options,
)

#: A rung's queue carries video and audio frames in decoding order; None ends it.
QueueItem = av.VideoFrame | av.AudioFrame | None
PLAYLIST = "index.m3u8"
INIT_SEGMENT = "init.mp4"
SEGMENT_PATTERN = "seg_%05d.m4s"
#: Frames waiting per rung at most (bounds memory between the decoder and the encoders).
QUEUE_FRAMES = 8
#: How often a blocked producer looks whether the rung has failed meanwhile.
_PUT_POLL_SECONDS = 0.2


class RenditionFailed(Exception):
    """A rung's encoder or muxer failed; the cause is chained."""


class Rendition:
    """One rung's encoder thread, writing its HLS rendition into ``directory``."""

    def __init__(
        self,
        rung: Rung,
        directory: Path,
        *,
        rate: Fraction,
        gop: int,
        has_audio: bool,
        preset: str,
    ) -> None:
        self.rung = rung
        self.directory = directory
        self.rate = rate
        self.gop = gop
        self.has_audio = has_audio
        self._options = x264_options(rung, preset=preset, gop=gop)
        self._queue: queue.Queue[QueueItem] = queue.Queue(maxsize=QUEUE_FRAMES)
        self._error: BaseException | None = None
        self.sps: bytes = b""
        """The encoder's extradata (SPS/PPS), read after the last frame for ``CODECS``."""
        self._thread = threading.Thread(target=self._run, name=f"rung-{rung.name}", daemon=True)

    def start(self) -> None:
        """Open the output and start encoding what the queue brings."""
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            self._thread.start()
        except RuntimeError as exc:  # "can't start new thread": out of address space
            raise MemoryError(str(exc)) from exc

    def put(self, item: QueueItem) -> None:
        """Hand the rung a frame (blocks while its queue is full); None ends the rendition."""
        while True:
            if self._error is not None:
                raise RenditionFailed(f"rung {self.rung.name} failed") from self._error
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
            raise RenditionFailed(f"rung {self.rung.name} failed") from self._error

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

    def _hls_options(self) -> dict[str, str]:
        gop_seconds = self.gop / self.rate
        return {
            # Half a frame under the GOP: every key frame (and only those: no scene cuts)
            # starts a segment, whatever the rounding of the muxer's arithmetic.
            "hls_time": f"{float(gop_seconds - Fraction(1, 2) / self.rate):.6f}",
            "hls_segment_type": "fmp4",
            "hls_playlist_type": "vod",
            "hls_fmp4_init_filename": INIT_SEGMENT,
            "hls_segment_filename": str(self.directory / SEGMENT_PATTERN),
            "start_number": "1",
            "hls_flags": "independent_segments",
            # B-frames make a segment's first frame shown after its first decoded one. By
            # default the MP4 muxer shifts that away with an edit list, which Media Source
            # Extensions ignore: Chromium then buffered a 0.12 s hole after every segment
            # (tested). Negative composition offsets start each segment at its tfdt, as
            # CMAF wants, and leave nothing for an edit list to fix.
            "hls_segment_options": "movflags=+negative_cts_offsets",
        }

    def _encode(self) -> None:
        rung = self.rung
        with av.open(
            str(self.directory / PLAYLIST), "w", format="hls", options=self._hls_options()
        ) as output:
            video = output.add_stream("libx264", rate=self.rate, options=self._options)
            video.width, video.height, video.pix_fmt = rung.width, rung.height, "yuv420p"
            video.codec_context.gop_size = self.gop
            audio = None
            if self.has_audio:
                audio = output.add_stream("aac", rate=AUDIO_SAMPLE_RATE)
                audio.layout = "stereo"
                audio.bit_rate = AUDIO_BITRATE
            scaler = VideoReformatter()
            while (item := self._queue.get()) is not None and self._error is None:
                if isinstance(item, av.VideoFrame):
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
                    output.mux(video.encode(frame))
                elif audio is not None:
                    output.mux(audio.encode(item))
            if self._error is not None:
                return
            output.mux(video.encode(None))
            if audio is not None:
                output.mux(audio.encode(None))
            self.sps = bytes(video.codec_context.extradata or b"")
