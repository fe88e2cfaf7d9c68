"""The probe worker: runs in its own process and opens one untrusted file with PyAV.

It is started per task in a :mod:`.sandbox` child with a socket to the app and nothing
else: no object-store credentials, no network, an address-space limit, a file-size limit
and few file descriptors. It reads the object only through :class:`RangeReader`, which asks the app
for 1 MiB blocks over the socket; the app decides what it may read. FFmpeg may open
nothing by itself: the demuxer is fixed to the sniffed container family, nested opens
(playlists, data references) are refused, and no protocol is whitelisted.

Everything here is synchronous and runs in the worker only; :mod:`.probe` is the app side.
"""

from __future__ import annotations

import contextlib
import fractions
import math
import os
import socket
from typing import Any

import av
import av.subtitles.stream  # PyAV imports it lazily, when the memory cap may forbid it
import msgspec

from streamstack.contracts.limits import (
    CHAPTER_TITLE_MAX,
    MAX_CHAPTERS,
    STILL_IMAGE_MAX_SIDE,
    THUMBNAIL_BOX,
    fitted_in,
)
from streamstack.contracts.media import Chapter
from streamstack.ingest.containers import moov_after_mdat
from streamstack.ingest.probe_messages import (
    BLOCK_BYTES,
    Failed,
    FailureReason,
    MediaReport,
    ReadRange,
    Remuxed,
    Stills,
    Task,
    decode_task,
    encode,
    receive_frame,
    send_frame,
)
from streamstack.ingest.transcoding.ladder import MIN_PICTURE_SIDE
from streamstack.ingest.transcoding.languages import one_line
from streamstack.ingest.transcoding.soundtracks import pick_audio
from streamstack.ingest.transcoding.timeline import (
    UNREAD_SLACK_SECONDS,
    as_shown,
    captured_rate,
    display_size,
    picture_stream,
    playing_seconds,
    shown_rate,
    unread_seconds,
)
from streamstack.kernel.recently_used import RecentlyUsed

#: Posters (the same frame, for the watch page and 2x screens) fit in this box; a frame that
#: fits in the thumbnail's box gets no poster (never upscaled: it would be the thumbnail).
POSTER_BOX = (1280, 2560)
#: A frame at this time makes the thumbnail of a longer video (the first frame is often black).
THUMBNAIL_AT_SECONDS = 1.0
#: How far before a still's moment (s) its decode starts, tried in turn until the first
#: picture decoded is not past the moment: where the index says (an MP4's key frame at or
#: before it), then further back for containers that seek by timestamps alone, and last
#: from the file's beginning.
SEEK_LEADS = (0.0, 1.0, 5.0)
#: A frame this close after a moment (s) is the moment's: timestamps in seconds are rounded.
MOMENT_SLACK = 0.001
#: Blocks the reader keeps: the index at the end and the first packets at the start fit.
CACHED_BLOCKS = 8

_DEMUXER_OPTIONS: dict[str, dict[str, str]] = {
    "mov": {"enable_drefs": "0", "use_absolute_path": "0"},
    "matroska": {},
    "avi": {},
    "mpegts": {},
}


class WorkerFailure(Exception):
    """A task failed for one of the reasons the app knows how to explain."""

    def __init__(self, reason: FailureReason, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason: FailureReason = reason
        self.detail = detail


class RangeReader:
    """A read-only, seekable file over the app's ranged reads, in cached 1 MiB blocks."""

    def __init__(self, sock: socket.socket, size: int) -> None:
        self._sock = sock
        self._size = size
        self._pos = 0
        self._blocks: RecentlyUsed[int, bytes] = RecentlyUsed(CACHED_BLOCKS)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_SET:
            position = offset
        elif whence == os.SEEK_CUR:
            position = self._pos + offset
        elif whence == os.SEEK_END:
            position = self._size + offset
        else:
            raise OSError(f"unsupported whence {whence}")
        if position < 0:
            raise OSError("seek before the start of the file")
        self._pos = position
        return position

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes from the current position (never past the current block)."""
        remaining = self._size - self._pos
        if size < 0 or size > remaining:
            size = remaining
        if size <= 0:
            return b""
        index, start = divmod(self._pos, BLOCK_BYTES)
        data = self._block(index)[start : start + size]
        self._pos += len(data)
        return data

    def read_exactly(self, size: int) -> bytes:
        """``size`` bytes, or fewer only at the end of the file."""
        parts = []
        while size > 0 and (data := self.read(size)):
            parts.append(data)
            size -= len(data)
        return b"".join(parts)

    def read_at(self, position: int, size: int) -> bytes:
        """``size`` bytes from ``position`` (fewer only at the end of the file)."""
        self.seek(position)
        return self.read_exactly(size)

    def _block(self, index: int) -> bytes:
        block = self._blocks.recall(index)
        if block is not None:
            return block
        offset = index * BLOCK_BYTES
        length = min(BLOCK_BYTES, self._size - offset)
        send_frame(self._sock, encode(ReadRange(offset, length)))
        block = receive_frame(self._sock)
        if len(block) != length:
            raise OSError("short block from the object store")
        self._blocks.put(index, block)
        return block


class ShownFrame:
    """The frame a player shows at a moment, found by decoding frames in order: the last
    one whose time is not after the moment (the first one when none is before it), with
    the frames either side of it, which a deinterlacer looks at as it does in playback."""

    def __init__(self, at: float, frame_seconds: float) -> None:
        self.at = at
        self.before: av.VideoFrame | None = None
        self.frame: av.VideoFrame | None = None
        self.after: av.VideoFrame | None = None
        #: The frame's time; a frame without one follows it by a frame's length.
        self._time: float | None = None
        self._frame_seconds = frame_seconds

    @property
    def distance(self) -> float:
        """How far (s) the frame's time is from the moment; infinite when it has none."""
        return abs(self._time - self.at) if self._time is not None else math.inf

    @property
    def after_moment(self) -> bool:
        """Whether the frame is later than the moment (nothing before it was decoded)."""
        return self._time is not None and self._time > self.at + MOMENT_SLACK

    def take(self, frame: av.VideoFrame) -> bool:
        """Take the next decoded frame (they come in the order they are shown); whether
        the search is over: it is past the moment, or at it and needs no neighbour."""
        time = frame.time
        if time is None and self._time is not None:
            time = self._time + self._frame_seconds
        if self.frame is not None and (time is None or time > self.at + MOMENT_SLACK):
            self.after = frame
            return True
        self.before, self.frame, self._time = self.frame, frame, time
        # No later frame is shown at the moment: only a deinterlacer wants the next one.
        reached = time is None or time >= self.at - MOMENT_SLACK
        return reached and not frame.interlaced_frame


def run_worker(sock: socket.socket) -> None:
    """Process entry point (in a confined child): read the task, do it, report."""
    result: MediaReport | Stills | Remuxed | Failed
    try:
        task = decode_task(receive_frame(sock))
        result = _perform(task, RangeReader(sock, task.size))
    except (EOFError, ConnectionError, msgspec.DecodeError):
        return  # the app is gone or sent garbage: nobody to report to
    except WorkerFailure as failure:
        result = Failed(failure.reason, failure.detail[:500])
    except (MemoryError, BlockingIOError):
        # Under RLIMIT_AS a thread that cannot get its stack fails with EAGAIN.
        result = Failed("out_of_memory")
    except Exception as exc:
        result = Failed("unreadable", f"{exc.__class__.__name__}: {exc}"[:500])
    with contextlib.suppress(OSError):
        send_frame(sock, encode(result))
    sock.close()


def _perform(task: Task, reader: RangeReader) -> MediaReport | Stills | Remuxed:
    if task.kind == "faststart":
        return _faststart(task, reader)
    if task.kind == "image":
        return _image(task, reader)
    return _probe(task, reader)


def _refuse_nested_open(url: str, flags: int, options: dict[str, Any]) -> Any:
    """FFmpeg asked to open another resource (a playlist entry, a data reference): no."""
    raise PermissionError("opening other resources is not allowed")


def _open_input(reader: RangeReader, task: Task) -> av.container.InputContainer:
    options = {
        # Nothing is whitelisted: the custom IO is the only way in.
        "protocol_whitelist": "none",
        "max_streams": "16",
        **_DEMUXER_OPTIONS.get(task.demuxer, {}),
    }
    try:
        return av.open(
            reader,
            "r",
            format=task.demuxer,
            container_options=options,
            # One decoding thread while FFmpeg looks into the streams: bounded memory.
            options={"threads": "1"},
            io_open=_refuse_nested_open,
            buffer_size=64 * 1024,
            # Tags in another encoding (Latin-1 titles in old files) are not worth a refusal.
            metadata_errors="replace",
        )
    except MemoryError:
        raise
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise WorkerFailure("unreadable", str(exc)) from exc


def _probe(task: Task, reader: RangeReader) -> MediaReport:
    moov_at_end = task.demuxer == "mov" and moov_after_mdat(reader.read_at, task.size)
    reader.seek(0)
    with _open_input(reader, task) as container:
        video = picture_stream(container)
        # The sound the package plays first: what the item's audio codec names, and for
        # sound alone the item's length (the package holds that track alone).
        sounds = pick_audio(container)
        audio = sounds[0] if sounds else None
        if video is None and audio is None:
            raise WorkerFailure("no_streams")
        duration = _duration(container, None if video is not None else audio)
        if video is not None:
            picture = _picture(container, video, duration, task)
            # After the stills: their frame is decoded from where the file was opened.
            picture.update(_timing(container, video, duration, task.max_packets))
        else:
            assert audio is not None
            picture = _sound_alone(container, audio, task)
        return MediaReport(
            duration_seconds=duration,
            chapters=_chapters(container, duration),
            # The codec's own name, not its decoder's ("mp3", not "mp3float"; "av1", not
            # "libdav1d").
            video_codec=video.codec_context.codec.canonical_name if video is not None else None,
            audio_codec=audio.codec_context.codec.canonical_name if audio is not None else None,
            moov_at_end=moov_at_end,
            **picture,
        )


def _image(task: Task, reader: RangeReader) -> Stills:
    """The stills of an uploaded image (its first picture; the app refused animations by
    their headers), made as a video frame's are: turned upright as its orientation says,
    fitted into the same boxes. The decoder refuses a picture larger than the task allows
    whatever the header said, and a damaged or cut short one (by default FFmpeg shows a
    truncated JPEG grey below the cut)."""
    with _open_input(reader, task) as container:
        if len(container.streams.video) != 1:
            raise WorkerFailure("no_frame")
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        stream.codec_context.options = {
            "max_pixels": str(task.max_pixels),
            "err_detect": "explode",
        }
        try:
            frame = next(container.decode(stream), None)
        except av.FFmpegError as exc:
            raise WorkerFailure("unreadable", str(exc)) from exc
        if frame is None:
            raise WorkerFailure("no_frame")
        width, height = display_size(frame, None)
        if max(width, height) > STILL_IMAGE_MAX_SIDE:
            raise WorkerFailure("too_large", f"{width}x{height}")
        if min(width, height) < MIN_PICTURE_SIDE:
            raise WorkerFailure("too_small", f"{width}x{height}")
        thumbnail, poster = _stills(as_shown(frame), (width, height))
        return Stills(thumbnail=thumbnail, poster=poster, width=width, height=height)


def _picture(
    container: av.container.InputContainer,
    video: av.VideoStream,
    duration: float | None,
    task: Task,
) -> dict[str, Any]:
    """A video's picture size (as a viewer sees it), frame rate and stills."""
    width, height = video.codec_context.width, video.codec_context.height
    if width <= 0 or height <= 0 or width * height > task.max_pixels:
        raise WorkerFailure("too_large", f"{width}x{height}")
    if min(width, height) < MIN_PICTURE_SIDE:
        raise WorkerFailure("too_small", f"{width}x{height}")
    shown = _thumbnail_frame(container, video, duration, task)
    frame = shown.frame
    assert frame is not None
    rate = captured_rate(video)  # the rate the package plays at, as the ladder is made
    fps = round(float(shown_rate(rate, frame)), 3) if rate and 0 < rate <= 1000 else None
    # As a viewer sees it: a phone's portrait clip is portrait, anamorphic pixels are
    # square (the ladder is made the same way).
    width, height = display_size(frame, video.sample_aspect_ratio)
    stills: tuple[bytes | None, bytes | None] = (None, None)
    if task.stills:
        stills = _stills(as_shown(frame, shown.before, shown.after), (width, height))
    context = video.codec_context
    return {
        "width": width,
        "height": height,
        "fps": fps,
        # What browsers play is told by these, not by the codec's name (jobs.browser_safe).
        "pixel_format": context.pix_fmt,
        "video_profile": context.profile,
        "thumbnail": stills[0],
        "poster": stills[1],
    }


def _timing(
    container: av.container.InputContainer,
    video: av.VideoStream,
    duration: float | None,
    max_packets: int,
) -> dict[str, Any]:
    """Where a video's timestamps start, and whether its packets reach the end its headers
    state: what a browser playing it as uploaded needs (``jobs.browser_safe``)."""
    start = container.start_time / av.time_base if container.start_time is not None else 0.0
    return {
        "start_seconds": round(start, 3),
        "reads_to_end": _reads_to_end(container, video, start, duration, max_packets),
    }


def _reads_to_end(
    container: av.container.InputContainer,
    video: av.VideoStream,
    start: float,
    duration: float | None,
    max_packets: int,
) -> bool:
    """Whether packets can be read up to ``duration`` s after ``start``, within the rule's
    slack (:func:`unread_seconds`): from a seek to the last second's packets, not a read of
    the whole file. A cut-short MP4 keeps its whole index, which points past its end."""
    if duration is None or video.time_base is None:
        return False
    last = start + max(0.0, duration - UNREAD_SLACK_SECONDS)
    read_to = start
    # An error is where the data stops: what was read before it is what there is.
    with contextlib.suppress(av.FFmpegError):
        container.seek(round(last / video.time_base), stream=video, backward=True, any_frame=True)
        for count, packet in enumerate(container.demux()):
            if count >= max_packets or unread_seconds(duration, read_to - start) == 0:
                break
            if packet.pts is not None and packet.time_base is not None:
                end = packet.pts + (packet.duration or 0)
                read_to = max(read_to, float(end * packet.time_base))
    return unread_seconds(duration, read_to - start) == 0


def _sound_alone(
    container: av.container.InputContainer, audio: av.AudioStream, task: Task
) -> dict[str, Any]:
    """The stills of a file of sound alone (its front cover, if it has one), once its
    sound is known to decode: a header that merely looks right (noise after an MPEG frame
    header, a WAV of no samples) is refused here, not published as an item that never
    plays."""
    # Without stills the cover is not even decoded: it says nothing of the sound.
    cover = _cover_art(container, task) if task.stills else None
    stills = _stills(cover, (cover.width, cover.height)) if cover is not None else (None, None)
    if not _sound_decodes(container, audio, task.max_packets):
        raise WorkerFailure("no_sound")
    return {"thumbnail": stills[0], "poster": stills[1]}


def _sound_decodes(
    container: av.container.InputContainer, audio: av.AudioStream, max_packets: int
) -> bool:
    """Whether a frame of ``audio`` with samples in it decodes within ``max_packets``."""
    audio.codec_context.thread_count = 1
    for count, packet in enumerate(container.demux(audio)):
        if count >= max_packets:
            return False
        try:
            if any(frame.samples for frame in packet.decode()):
                return True
        except av.FFmpegError:
            continue  # a damaged packet: the next may decode
    return False


def _stills(frame: av.VideoFrame, size: tuple[int, int]) -> tuple[bytes, bytes | None]:
    """The thumbnail of ``frame`` shown at ``size``, and its poster when that is larger."""
    small, large = fitted_in(size, THUMBNAIL_BOX), fitted_in(size, POSTER_BOX)
    frame = _flattened(frame)
    return _jpeg(frame, small), _jpeg(frame, large) if large != small else None


def _flattened(frame: av.VideoFrame) -> av.VideoFrame:
    """``frame`` with its transparent parts laid over a backdrop (a JPEG keeps no
    transparency, and converting to one leaves them black: a dark logo vanished); ``frame``
    itself when its format has no transparency."""
    shape = frame.format
    if not (shape.has_palette or any(part.is_alpha for part in shape.components)):
        return frame
    graph = av.filter.Graph()
    size = f"{frame.width}x{frame.height}"
    source = graph.add(
        "buffer", f"video_size={size}:pix_fmt={shape.name}:time_base=1/1:pixel_aspect=1/1"
    )
    backdrop = graph.add("color", f"c={_backdrop(frame)}:s={size}:r=1")
    # Compositing in RGB: a palette or RGBA picture keeps its colours exactly.
    overlay = graph.add("overlay", "format=rgb:shortest=1")
    sink = graph.add("buffersink")
    backdrop.link_to(overlay, 0, 0)
    source.link_to(overlay, 0, 1)
    overlay.link_to(sink)
    graph.configure()
    frame.pts = 0
    source.push(frame)
    source.push(None)
    flat = sink.pull()
    assert isinstance(flat, av.VideoFrame)
    return flat


#: What transparency is laid over: white under a dark picture, the dark theme's thumbnail
#: colour under a light one, so the picture stands out on either.
LIGHT_BACKDROP, DARK_BACKDROP = "white", "0x1d212a"


def _backdrop(frame: av.VideoFrame) -> str:
    """The backdrop that contrasts with what shows of ``frame``: its visible pixels'
    brightness, weighed by their opacity, on a 16x16 copy."""
    small = frame.reformat(width=16, height=16, format="rgba")
    plane = small.planes[0]
    data = bytes(plane)
    pixels = [
        data[row * plane.line_size + column * 4 :][:4] for row in range(16) for column in range(16)
    ]
    opacity = sum(alpha for _, _, _, alpha in pixels)
    brightness = sum((2126 * r + 7152 * g + 722 * b) * a for r, g, b, a in pixels) / 10_000
    return DARK_BACKDROP if opacity and brightness / opacity > 128 else LIGHT_BACKDROP


def _cover_art(container: av.container.InputContainer, task: Task) -> av.VideoFrame | None:
    """A music file's front cover (an attached picture whose tag says so, else the largest
    one), decoded; None when it has none, or none that fits the size limits and decodes
    (the sound is what matters)."""
    covers = [
        stream
        for stream in container.streams.video
        if stream.disposition & av.stream.Disposition.attached_pic and _fits(stream, task)
    ]
    covers.sort(key=lambda stream: (_is_front_cover(stream), _area(stream)), reverse=True)
    for cover in covers:
        cover.codec_context.thread_count = 1
        with contextlib.suppress(av.FFmpegError):
            if (shown := _decode_frame(container, cover, 0.0, task.max_packets)) is not None:
                return shown.frame
    return None


def _area(stream: av.VideoStream) -> int:
    return stream.codec_context.width * stream.codec_context.height


def _fits(stream: av.VideoStream, task: Task) -> bool:
    """Whether a picture's size is within the probe's limits."""
    smaller = min(stream.codec_context.width, stream.codec_context.height)
    return smaller >= MIN_PICTURE_SIDE and _area(stream) <= task.max_pixels


def _is_front_cover(stream: av.VideoStream) -> bool:
    """FFmpeg names an ID3, FLAC or MP4 picture's type in its ``comment``."""
    return stream.metadata.get("comment") == "Cover (front)"


def _chapters(container: av.container.InputContainer, duration: float | None) -> list[Chapter]:
    """The file's chapters, counted from its start as a player counts, in order: those
    starting before the end, one per start, titled by the file (else by number); none
    when fewer than two are left (one chapter says nothing)."""
    origin = container.start_time / av.time_base if container.start_time else 0.0
    starts: dict[float, str | None] = {}
    for chapter in container.chapters():
        if chapter["time_base"] is None:
            continue
        start = round(max(0.0, float(chapter["start"] * chapter["time_base"]) - origin), 3)
        if duration is None or start < duration:
            title = one_line(chapter["metadata"].get("title"), CHAPTER_TITLE_MAX)
            starts.setdefault(start, title)
    ordered = sorted(starts.items())[:MAX_CHAPTERS]
    chapters = [
        Chapter(start_seconds=start, title=title or f"Chapter {number}")
        for number, (start, title) in enumerate(ordered, 1)
    ]
    return chapters if len(chapters) >= 2 else []


def _duration(container: av.container.InputContainer, sound: av.AudioStream | None) -> float | None:
    """The item's length by the headers: the ``sound`` a file of sound alone plays, else
    the file's (which counts sound past a picture's end), else its longest stream's."""
    if sound is not None and (seconds := playing_seconds(container, sound)) is not None:
        return round(seconds, 3)
    if container.duration is not None and container.duration > 0:
        return round(container.duration / av.time_base, 3)
    longest = 0.0
    for stream in container.streams:
        if stream.duration is not None and stream.time_base is not None:
            longest = max(longest, float(stream.duration * stream.time_base))
    return round(longest, 3) if longest > 0 else None


def _thumbnail_frame(
    container: av.container.InputContainer,
    video: av.VideoStream,
    duration: float | None,
    task: Task,
) -> ShownFrame:
    """The frame thumbnails and posters are made of: the one a player shows at the task's
    moment (1 s unless an admin chose one), or the first one when the video is shorter or
    cannot seek, or when no stills are made (the frame is only measured then: no seek for
    it)."""
    codec = video.codec_context
    codec.thread_count = 1
    # The decoder refuses frames larger than the cap even if the stream lies in its header.
    codec.options = {"max_pixels": str(task.max_pixels)}
    moment = task.still_at if task.stills else 0.0
    if moment is None:
        longer = duration is not None and duration > THUMBNAIL_AT_SECONDS
        moment = THUMBNAIL_AT_SECONDS if longer else 0.0
    shown = None
    if moment > 0 and video.time_base is not None:
        try:
            shown = _seek_shown(container, video, moment, task.max_packets)
        except av.FFmpegError:
            shown = None  # no index to seek with: fall back to the first frame
    if shown is None:
        shown = _decode_frame(container, video, 0.0, task.max_packets)
    if shown is None:
        raise WorkerFailure("no_frame")
    return shown


def _seek_shown(
    container: av.container.InputContainer, video: av.VideoStream, moment: float, max_packets: int
) -> ShownFrame | None:
    """The frame shown ``moment`` seconds into the video (counted from its start, as a
    player's clock is), decoded from a seek that lands before it; else the decoded frame
    nearest to it; None when nothing decodes (past the end)."""
    assert video.time_base is not None
    start = float((video.start_time or 0) * video.time_base)
    at = start + moment
    targets = [target for target in (at - lead for lead in SEEK_LEADS) if target > start]
    beginning = min(0, video.start_time or 0)
    candidates = []
    for target in [*targets, None]:
        # An MPEG transport or program stream seeks by decoding times, often into the middle
        # of a group of pictures, whose decoder shows nothing before the next key frame (none
        # in a short clip): then start earlier. Its first key frame decodes before the first
        # time shown (B-frames), so a seek to the video's start lands past it: the last try
        # is from the file's beginning.
        position = beginning if target is None else round(target / video.time_base)
        container.seek(position, stream=video, backward=True)
        found = _decode_frame(container, video, at, max_packets)
        if found is not None and not found.after_moment:
            return found
        candidates += [found] if found is not None else []
    return min(candidates, key=lambda found: found.distance, default=None)


def _decode_frame(
    container: av.container.InputContainer, video: av.VideoStream, at: float, max_packets: int
) -> ShownFrame | None:
    """The frame shown at ``at`` seconds (stream time), decoding on from where the
    container is: the last frame not after ``at`` (the first when all are after it), or the
    last before the packet cap; None when nothing decodes."""
    rate = captured_rate(video)
    shown = ShownFrame(at, 1 / float(rate) if rate else 0.0)
    for count, packet in enumerate(container.demux(video)):
        if count >= max_packets:
            break
        try:
            frames = packet.decode()
        except av.InvalidDataError:
            continue  # a damaged packet: the next keyframe may still decode
        for frame in frames:
            if shown.take(frame):
                return shown
    return shown if shown.frame is not None else None


def _jpeg(frame: av.VideoFrame, size: tuple[int, int]) -> bytes:
    """``frame`` as a JPEG of ``size`` (width, height)."""
    width, height = size
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width = width
    encoder.height = height
    encoder.pix_fmt = "yuvj420p"
    encoder.time_base = fractions.Fraction(1, 25)
    encoder.thread_count = 1
    encoder.options = {"q": "4"}
    scaled = frame.reformat(width=width, height=height, format="yuvj420p")
    packets = [*encoder.encode(scaled), *encoder.encode(None)]
    return b"".join(bytes(packet) for packet in packets)


def _kept_for_faststart(stream: av.stream.Stream) -> bool:
    """Audio, video, and the subtitles an MP4 can carry (the transcoding job extracts them)."""
    if stream.type == "subtitle":
        return stream.codec_context is not None and stream.codec_context.name == "mov_text"
    return stream.type in ("video", "audio")


def _copied_stream(
    target: av.container.OutputContainer, stream: av.stream.Stream
) -> av.stream.Stream:
    """A stream of ``target`` like ``stream``, with its tags (the template copies the codec
    only; caption tracks are named after their language and title) and dispositions (a
    cover stays an attached picture, ``forced`` subtitles give way to full ones)."""
    copy = target.add_stream_from_template(stream)
    copy.metadata.update(stream.metadata)
    copy.disposition = stream.disposition
    return copy


def _faststart(task: Task, reader: RangeReader) -> Remuxed:
    """Copy every audio, video and mov_text packet into a new file with ``moov`` first."""
    with _open_input(reader, task) as source:
        kept = [s for s in source.streams if _kept_for_faststart(s)]
        if not any(s.type in ("video", "audio") for s in kept):
            raise WorkerFailure("no_streams")
        with open(task.output_name, "xb+") as out:
            try:
                with av.open(
                    out, "w", format=task.output_format, options={"movflags": "faststart"}
                ) as target:
                    mapping = {s.index: _copied_stream(target, s) for s in kept}
                    # The file's own tags (title, artist, album) and chapters (an audiobook's)
                    # are the uploader's too: the copy keeps them.
                    target.metadata.update(source.metadata)
                    target.set_chapters(source.chapters())
                    for packet in source.demux(kept):
                        if not packet.size:
                            continue  # the flush packet at the end of each stream
                        packet.stream = mapping[packet.stream.index]
                        target.mux(packet)
            except MemoryError:
                raise
            except (av.FFmpegError, OSError, ValueError) as exc:
                raise WorkerFailure("remux_failed", str(exc)) from exc
            return Remuxed(os.fstat(out.fileno()).st_size)
