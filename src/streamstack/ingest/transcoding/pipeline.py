"""The entry point: one local source file in, one HLS package and storyboard out.

``transcode(source, output, options, progress)`` is a plain function of picklable values,
made to run in the worker's sandboxed child process. It reads the source in one pass
(bounded: PyAV reads it in 256 KiB blocks; a few frames wait per rung, ``QUEUE_FRAMES``),
feeds every rung and the storyboard from the same decoded frames, and publishes::

    hls/master.m3u8
    hls/<rung>/index.m3u8, init.mp4, seg_00001.m4s ...   (pictures)
    hls/audio_<n>/index.m3u8, init.mp4, seg_00001.m4s ... (each audio track; see .soundtracks)
    storyboard/storyboard.vtt, sheet_001.jpg ...
    captions/<language>.vtt (the source's text subtitle streams; see :mod:`.subtitles`)

A source of sound alone (a podcast in FLAC, a concert in AC3) becomes an audio-only
package: its first audio track as ``hls/audio_1/``, the one variant of its master
playlist, and no storyboard.

The source is opened through a Python file object with no protocol whitelisted and every
nested open refused, so a crafted file cannot make FFmpeg read anything else (the
playlist-in-AVI local file disclosure); ``options.demuxer`` pins the demuxer ingest saw.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

import av
import msgspec

from streamstack.ingest.transcoding import hdr, staging
from streamstack.ingest.transcoding.errors import TranscodeError
from streamstack.ingest.transcoding.ladder import (
    AUDIO_SAMPLE_RATE,
    MIN_PICTURE_SIDE,
    gop_frames,
    output_rate,
    plan_ladder,
)
from streamstack.ingest.transcoding.packaging import package
from streamstack.ingest.transcoding.rendition import (
    AudioRendition,
    EncoderThread,
    Rendition,
    RenditionFailed,
    SoundEncoder,
)
from streamstack.ingest.transcoding.results import Progress, TranscodeOptions, TranscodeResult
from streamstack.ingest.transcoding.soundtracks import Soundtrack, describe_track, pick_audio
from streamstack.ingest.transcoding.storyboard import (
    MAX_TILES,
    MIN_INTERVAL_SECONDS,
    Storyboard,
    tile_interval,
)
from streamstack.ingest.transcoding.subtitles import SubtitleExtractor
from streamstack.ingest.transcoding.timeline import (
    AAC_FRAME_SAMPLES,
    MIN_READ_SECONDS,
    ContinuousTimes,
    VideoTimeline,
    captured_rate,
    display_size,
    picture_stream,
    playing_seconds,
    shown_rate,
    unread_seconds,
)

ProgressCallback = Callable[[Progress], None]
_READ_BLOCK = 256 * 1024
#: Corrupt packets skipped before the source counts as unreadable.
_MAX_DECODE_ERRORS = 100
#: Progress is reported whenever it moved by this much, or moved at all after this long
#: (a long film moves 1 % in a minute; a worker may renew its job's lease on each report).
_PROGRESS_STEP = 0.01
_PROGRESS_SECONDS = 1.0
#: Seconds of sound before the first picture kept at most (see ``_origin``).
_MAX_SOUND_LEAD = Fraction(60)
_PACKAGE = re.compile(r"[a-z0-9]{0,32}")


def transcode(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    options: TranscodeOptions | None = None,
    progress: ProgressCallback | None = None,
) -> TranscodeResult:
    """Transcode ``source`` into an HLS ladder and storyboard under ``output``.

    Raises :class:`TranscodeError` for inputs that can never succeed (neither picture nor
    sound, no decodable frame, unreadable, too large); other exceptions (a full disk, say) are
    worth a retry. A rerun into the same ``output`` replaces the previous package.
    """
    options = options or TranscodeOptions()
    if not _PACKAGE.fullmatch(options.package):  # a directory name, never a path
        raise ValueError(f"invalid package name {options.package!r}")
    output_dir = Path(output).absolute()
    if "%" in str(output_dir):
        # FFmpeg's hls muxer expands patterns in the names it derives (the init segment's
        # directory comes from the segment pattern), so a '%' cannot be escaped reliably.
        raise ValueError(f"the output directory may not contain '%': {output_dir}")
    staging.clear_debris(output_dir)
    work = staging.staging_directory(output_dir)
    try:
        with Path(source).open("rb") as file:
            run = _Run(file, work, options, progress)
            result = run.execute()
        staging.publish(work, output_dir, result_directories(result))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if progress is not None:
        progress(Progress(1.0, "done"))
    return result


def result_directories(result: TranscodeResult) -> list[str]:
    """The top-level directories a result's files (and subtitle tracks) live in."""
    paths = [*result.files, *(s.vtt for s in result.subtitles if s.vtt is not None)]
    return sorted({path.split("/", 1)[0] for path in paths})


def _refuse_nested_open(url: str, flags: int, options: dict[str, Any]) -> Any:
    """FFmpeg asked to open another resource (a playlist entry, a data reference): no."""
    raise PermissionError("opening other resources is not allowed")


def open_source(file: BinaryIO, demuxer: str | None) -> av.container.InputContainer:
    """The source container, able to read ``file`` and nothing else."""
    try:
        return av.open(
            file,
            "r",
            format=demuxer,
            container_options={"protocol_whitelist": "none", "max_streams": "32"},
            io_open=_refuse_nested_open,
            buffer_size=_READ_BLOCK,
            # Tags in another encoding (Latin-1 titles in old files) are not worth a refusal.
            metadata_errors="replace",
        )
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise TranscodeError("unreadable", str(exc)) from exc


class _Run:
    """One transcode: the decode loop and everything it feeds."""

    def __init__(
        self,
        file: BinaryIO,
        work: Path,
        options: TranscodeOptions,
        progress: ProgressCallback | None,
    ) -> None:
        self.file = file
        self.size = os.fstat(file.fileno()).st_size
        self.work = work
        self.options = options
        self.renditions_directory = work / "hls" / options.package
        self.progress = progress
        self.reported = -1.0
        self.reported_at = 0.0
        self.video_timeline: VideoTimeline | None = None
        self.renditions: list[Rendition] = []
        self.sound: SoundEncoder | None = None
        self.soundtracks: list[Soundtrack] = []
        self.storyboard: Storyboard | None = None
        self.subtitles: SubtitleExtractor | None = None
        self.frames_out = 0
        self.decode_errors = 0
        self.sound_alone = False
        """No picture: the package is the first audio track alone."""

    def execute(self) -> TranscodeResult:
        """Decode, encode every rung, package; the renditions are stopped on any failure."""
        with open_source(self.file, self.options.demuxer) as container:
            video = picture_stream(container)
            if video is not None:
                video.thread_type = "AUTO"
            self.prepare(container, video)
            if self.options.subtitles:
                self.subtitles = SubtitleExtractor(container, self.origin)
            try:
                if self.sound is not None:
                    # From the start, not with the ladder: a decoder may hold a picture back
                    # until the end (one still), and the sound waiting for it is bounded.
                    self.sound.start()
                self.decode_all(container, video)
                for encoder in self.encoders():
                    encoder.finish()
            except BaseException as exc:
                for encoder in self.encoders():
                    encoder.abandon()
                failure = _failure(exc)
                if failure is exc:
                    raise
                raise failure from exc
        self.report(0.99, "packaging")
        duration = float(self.played())
        if (unread := unread_seconds(self.duration, duration)) and duration < MIN_READ_SECONDS:
            raise TranscodeError(
                "unreadable",
                f"only {duration:.1f} s of the {duration + unread:.1f} s it says it lasts "
                "could be read",
            )
        board = self.storyboard.finish(duration) if self.storyboard is not None else None
        subtitles = self.subtitles.finish(self.work) if self.subtitles is not None else ()
        result = package(
            self.work,
            self.renditions,
            self.sound.renditions if self.sound is not None else (),
            board,
            duration,
            subtitles=subtitles,
        )
        missing = self.soundtracks[0].missing_seconds if self.soundtracks else 0
        return msgspec.structs.replace(
            result,
            skipped_packets=self.decode_errors,
            missing_sound_seconds=round(float(missing), 3),
            unread_seconds=unread,
        )

    def encoders(self) -> list[EncoderThread]:
        """Every encoder started so far: the rungs' and the sound's."""
        return [*self.renditions, *([self.sound] if self.sound is not None else [])]

    def prepare(
        self, container: av.container.InputContainer, video: av.video.stream.VideoStream | None
    ) -> None:
        """Read the facts the timeline needs from the container's headers; name the audio
        tracks to keep (their encoders start with the rungs, or now for sound alone)."""
        streams = pick_audio(container)
        if video is not None:
            self.prepare_picture(video)
            self.origin = _origin(video, streams)
        elif streams:
            streams = streams[:1]  # one variant: an audio-only master has no track menu
            self.sound_alone = True
            self.origin = _start(streams[0])
        else:
            raise TranscodeError("no_video")
        kept: list[av.stream.Stream] = [video, *streams] if video is not None else [*streams]
        self.duration = playing_seconds(container, *kept)
        # One AAC frame under the target: a segment is cut at the first frame past it,
        # so none lasts longer than the playlist's target duration.
        segment = Fraction(self.options.segment_seconds).limit_denominator(1000) - Fraction(
            AAC_FRAME_SAMPLES, AUDIO_SAMPLE_RATE
        )
        if streams:
            renditions = [
                AudioRendition(describe_track(stream, n), self.renditions_directory / f"audio_{n}")
                for n, stream in enumerate(streams, start=1)
            ]
            self.sound = SoundEncoder(renditions, segment_seconds=segment)
            self.soundtracks = [
                Soundtrack(stream, index, self.sound, self.origin)
                for index, stream in enumerate(streams)
            ]

    def oversize(self, width: int, height: int) -> str:
        """A frame too large, with the limit and the setting that raises it: the size alone
        left the admin without a way to act."""
        limit = self.options.max_pixels
        return f"{width}x{height} is {width * height} pixels; STREAMSTACK_TRANSCODE_MAX_PIXELS allows {limit}"

    def prepare_picture(self, video: av.video.stream.VideoStream) -> None:
        """Refuse a picture too large or too small before decoding it; note its rate and
        pixel shape."""
        width, height = video.codec_context.width, video.codec_context.height
        if width * height > self.options.max_pixels:  # refused before decoding a frame
            raise TranscodeError("too_large", self.oversize(width, height))
        if min(width, height) < MIN_PICTURE_SIDE:
            raise TranscodeError("too_small", f"{width}x{height}")
        # Timed at its average, a phone's clip slowing down in low light (30 fps averaging
        # 28) lost a frame in 15, a screen recording (30 fps averaging 5) its movements.
        self.rate = output_rate(captured_rate(video))
        self.sample_aspect = video.sample_aspect_ratio
        self.field_order = int(video.codec_context.field_order or 0)

    def played(self) -> Fraction:
        """How long the package plays so far: the pictures handed on, or for sound alone
        the sound."""
        if self.sound_alone:
            return self.soundtracks[0].sent_seconds
        return Fraction(self.frames_out) / self.rate

    def decode_all(
        self, container: av.container.InputContainer, video: av.video.stream.VideoStream | None
    ) -> None:
        """The one pass: demux, decode, and hand every frame on."""
        sound = {soundtrack.stream.index: soundtrack for soundtrack in self.soundtracks}
        streams: list[av.stream.Stream] = [s.stream for s in self.soundtracks]
        if video is not None:
            streams.insert(0, video)
        if self.subtitles is not None:
            streams += self.subtitles.streams
        times = ContinuousTimes(container)
        for packet in container.demux(streams):
            times.place(packet)
            if self.subtitles is not None and self.subtitles.offer(packet):
                continue
            try:
                frames = packet.decode()
            except av.error.FFmpegError as exc:
                # A damaged packet, whatever the decoder calls it (noise made one answer
                # EPERM): skipped, and too many make the input unreadable, not a crash
                # retried five times. Running out of memory is not the input's fault.
                if isinstance(exc, MemoryError):
                    raise
                self.decode_errors += 1
                if self.decode_errors > _MAX_DECODE_ERRORS:
                    raise TranscodeError("unreadable", "too many corrupt packets") from None
                continue
            for frame in frames:
                if isinstance(frame, av.VideoFrame) and video is not None:
                    self.on_video(frame, video.time_base)
                elif isinstance(frame, av.AudioFrame) and packet.stream.index in sound:
                    sound[packet.stream.index].push(frame)
                    self.release_audio()
            if packet.pos is not None and packet.pos >= 0 and self.duration is None:
                self.report(packet.pos / max(1, self.size), "encoding")
        if self.duration is not None:  # the headers counted the jumps taken out
            self.duration = max(0.0, self.duration + float(times.shift))
        self.end_of_source()

    def end_of_source(self) -> None:
        """Flush the timelines: the last picture held until the longest track's sound ends
        (the mirror of the silence below), then every track filled with silence to the
        picture's end. The package lasts as long as its longest kept stream."""
        for soundtrack in self.soundtracks:
            soundtrack.push(None)
        if self.video_timeline is not None:
            sound_ends = max((s.ends_seconds for s in self.soundtracks), default=None)
            for out in self.video_timeline.finish(sound_ends):
                self.dispatch_video(out)
        elif not self.sound_alone:
            raise TranscodeError("no_frame")
        self.release_audio(end=True)
        if self.sound_alone:
            if not self.played():
                raise TranscodeError("no_frame", "no sound could be decoded")
            return
        for soundtrack in self.soundtracks:
            soundtrack.fill(self.played())

    def on_video(self, frame: av.VideoFrame, time_base: Fraction | None) -> None:
        """A decoded picture: start the ladder at the first, then hand it on."""
        if self.video_timeline is None:
            self.start_ladder(frame, time_base or Fraction(1, 90000))
        assert self.video_timeline is not None
        for out in self.video_timeline.push(frame):
            self.dispatch_video(out)

    def start_ladder(self, first: av.VideoFrame, time_base: Fraction) -> None:
        """Plan the rungs from the first picture (its size and rotation) and start them."""
        if first.width * first.height > self.options.max_pixels:
            raise TranscodeError("too_large", self.oversize(first.width, first.height))
        display = display_size(first, self.sample_aspect)
        shown = shown_rate(self.rate, first)
        field_order = self.field_order if shown != self.rate else None
        self.rate = shown
        gop = gop_frames(self.options.segment_seconds, self.rate)
        ladder = plan_ladder(*display, self.rate)
        ladder = ladder[: self.options.max_rungs or len(ladder)]
        # One output per rung and one for the storyboard.
        transfer = first.color_trc if first.color_trc in hdr.HDR_TRANSFERS else None
        self.video_timeline = VideoTimeline(
            first,
            time_base,
            self.rate,
            self.origin,
            outputs=len(ladder) + 1,
            hdr_transfer=transfer,
            field_order=field_order,
        )
        for rung in ladder:
            rendition = Rendition(
                rung,
                self.renditions_directory / rung.name,
                rate=self.rate,
                gop=gop,
                preset=self.options.preset,
            )
            self.renditions.append(rendition)
            rendition.start()
        interval = tile_interval(self.duration, MIN_INTERVAL_SECONDS, MAX_TILES)
        directory = self.work / "storyboard"
        directory.mkdir(parents=True, exist_ok=True)
        self.storyboard = Storyboard(
            directory,
            display,
            rate=self.rate,
            interval=interval,
            max_tiles=MAX_TILES,
        )

    def release_audio(self, *, end: bool = False) -> None:
        """Hand every audio track the sound that starts before the last picture handed on
        (sound alone, all of it)."""
        if self.sound_alone:
            self.soundtracks[0].release(None, end=end)
            if self.duration:
                self.report(float(self.played()) / self.duration, "encoding")
            return
        shown = self.played() if self.renditions else Fraction(0)
        for soundtrack in self.soundtracks:
            soundtrack.release(shown, end=end)

    def dispatch_video(self, frames: tuple[av.VideoFrame, ...]) -> None:
        """Hand one output instant to every rung and the storyboard (a frame each)."""
        *for_rungs, for_storyboard = frames
        for rendition, frame in zip(self.renditions, for_rungs, strict=True):
            rendition.put(frame)
        assert self.storyboard is not None
        self.storyboard.offer(for_storyboard)
        self.frames_out += 1
        self.release_audio()
        if self.duration:
            self.report(float(self.played()) / self.duration, "encoding")

    def report(self, fraction: float, stage: str) -> None:
        """Call the progress callback when the fraction moved enough (or the stage ends)."""
        if self.progress is None:
            return
        fraction = min(max(fraction, 0.0), 0.99)
        moved, now = fraction - self.reported, time.monotonic()
        if stage == "encoding" and (
            moved <= 0 or (moved < _PROGRESS_STEP and now - self.reported_at < _PROGRESS_SECONDS)
        ):
            return
        self.reported, self.reported_at = fraction, now
        names = tuple(rendition.rung.name for rendition in self.renditions)
        self.progress(Progress(fraction, stage, names))


def _failure(exc: BaseException) -> BaseException:
    """What to raise for ``exc``: a :class:`TranscodeError` when retrying cannot help."""
    cause = exc.__cause__ if isinstance(exc, RenditionFailed) else exc
    if isinstance(cause, MemoryError) or (
        isinstance(cause, av.FFmpegError) and cause.errno in (errno.ENOMEM, errno.EAGAIN)
    ):
        # Out of address space (RLIMIT_AS): no thread or buffer for the encoder.
        return TranscodeError("out_of_memory", str(cause))
    if isinstance(exc, RenditionFailed) and isinstance(cause, av.FFmpegError):
        # FFmpeg refused what this input made of it; a disk error stays retryable.
        return TranscodeError("encode_failed", str(cause))
    return exc


def _origin(video: av.video.stream.VideoStream, sounds: list[av.AudioStream]) -> Fraction:
    """The package's instant 0: where the picture starts, or the kept sound when it starts
    earlier (its first picture shows meanwhile, as players show it; the sound was cut). A
    lead over ``_MAX_SOUND_LEAD`` is taken for a broken timestamp, not a recording."""
    picture = _start(video)
    leads = [
        _start(sound)
        for sound in sounds
        if sound.start_time is not None and picture - _MAX_SOUND_LEAD <= _start(sound) < picture
    ]
    return min([picture, *leads])


def _start(stream: av.stream.Stream) -> Fraction:
    """Where ``stream`` starts, seconds: the package's instant 0."""
    start = stream.start_time if stream.start_time is not None else 0
    return Fraction(start) * stream.time_base if stream.time_base else Fraction(0)
