"""Small real sources for the transcoding tests, made with PyAV in a fraction of a second.

Each generator writes a file of ``seconds`` seconds at ``fps`` and returns its path. The
pictures change every frame (so encoders cannot skip them) and carry a bright top-left
quadrant (so a test can tell where the picture's corner went after rotation).
"""

from __future__ import annotations

import dataclasses
import io
import math
import random
import struct
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.subtitles.codeccontext
import av.subtitles.subtitle
from ingest_media import LEGACY_FILES

SECONDS = 3.0
FPS = 25
#: DVD and DV's 16:9 picture: 352x288 with 16:11 pixels, shown 512x288.
ANAMORPHIC: dict[str, Any] = {"width": 352, "height": 288, "sample_aspect_ratio": Fraction(16, 11)}


def picture(index: int, width: int, height: int, pix_fmt: str = "yuv420p") -> av.VideoFrame:
    """Frame ``index``: a moving grey level with a bright top-left quadrant."""
    frame = av.VideoFrame(width, height, "yuv420p")
    luma, *chroma = frame.planes
    level = 40 + (index * 7) % 120
    bright = (width // 2) * b"\xeb"
    rest = bytes([level]) * (luma.line_size - width // 2)
    dark_row = bytes([level]) * luma.line_size
    luma.update((bright + rest) * (height // 2) + dark_row * (height - height // 2))
    for plane in chroma:
        plane.update(bytes([128]) * plane.buffer_size)
    return frame if pix_fmt == "yuv420p" else frame.reformat(format=pix_fmt)


def flat_luma(index: int) -> int:
    """The studio-range brightness of :func:`flat_picture` ``index``: 9 levels from the
    picture before it (16 after 232), so pictures up to 23 apart are told apart."""
    return 16 + (index * 9) % 220


def flat_picture(index: int, width: int, height: int) -> av.VideoFrame:
    """Picture ``index``: a flat grey of :func:`flat_luma`, which tells which one it is."""
    frame = av.VideoFrame(width, height, "yuv420p")
    luma, *chroma = frame.planes
    luma.update(bytes([flat_luma(index)]) * luma.buffer_size)
    for plane in chroma:
        plane.update(bytes([128]) * plane.buffer_size)
    return frame


def _tone(samples: int, start: int, rate: int, period: float = 9.0) -> av.AudioFrame:
    """A sine of ``2 pi period`` samples (the default: 780 Hz at 44.1 kHz)."""
    frame = av.AudioFrame(format="fltp", layout="mono", samples=samples)
    frame.planes[0].update(
        b"".join(struct.pack("<f", 0.2 * math.sin((start + i) / period)) for i in range(samples))
    )
    frame.sample_rate = rate
    frame.pts = start
    return frame


class _Unseekable(io.RawIOBase):
    """A write-only stream: the Matroska muxer cannot go back to write the duration."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.data += data
        return len(data)


def write(
    path: Path,
    *,
    container: str,
    video: str,
    audio: str | None = "aac",
    width: int = 320,
    height: int = 240,
    seconds: float = SECONDS,
    fps: int = FPS,
    pix_fmt: str = "yuv420p",
    rotation: int | None = None,
    frame_times: Sequence[float] | None = None,
    video_options: dict[str, str] | None = None,
    audio_options: dict[str, str] | None = None,
    audio_rate: int = 44100,
    audio_seconds: float | Sequence[float] | None = None,
    sample_aspect_ratio: Fraction | None = None,
    live: bool = False,
    audio_tags: Sequence[dict[str, str]] = ({},),
    draw: Callable[[int, int, int], av.VideoFrame] | None = None,
    starts_at: int | None = None,
    muxer_options: dict[str, str] | None = None,
) -> Path:
    """A source file: ``video``/``audio`` encoders in ``container``.

    ``draw(index, width, height)`` makes picture ``index`` (:func:`picture` unless told).

    ``audio_tags`` makes one audio track per entry, with that metadata (``language``,
    ``title``); track ``n`` is a tone of period ``9 + 6n`` samples, so each can be told apart.
    ``audio_seconds`` (all tracks, or one value per track) lets sound end before or after
    the picture.
    ``frame_times`` (seconds) gives every picture its own instant: a variable frame rate.
    ``rotation`` stores a display matrix (degrees counter-clockwise, as FFmpeg reads it).
    ``starts_at`` (seconds) sets the clock its timestamps start from (a muxer's offset).
    ``live`` writes it as a live stream would: through an unseekable sink, so the muxer
    cannot go back to fill in the duration.
    """
    sink = _Unseekable() if live else None
    clock = {"output_ts_offset": str(starts_at)} if starts_at is not None else {}
    options = {**clock, **(muxer_options or {})}
    with av.open(
        str(path) if sink is None else sink, "w", format=container, options=options
    ) as out:
        stream = out.add_stream(video, rate=fps, options=video_options or {})
        assert isinstance(stream, av.video.stream.VideoStream)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        if sample_aspect_ratio is not None:
            stream.codec_context.sample_aspect_ratio = sample_aspect_ratio
        if rotation is not None:
            stream.set_display_rotation(rotation)
        sounds: list[av.audio.stream.AudioStream] = []
        for tags in audio_tags if audio is not None else ():
            added = out.add_stream(audio, rate=audio_rate, options=audio_options or {})
            assert isinstance(added, av.audio.stream.AudioStream)
            added.layout = "mono"
            added.metadata.update(tags)
            sounds.append(added)
        times = frame_times or [i / fps for i in range(round(seconds * fps))]
        if frame_times is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        for index, instant in enumerate(times):
            frame = (
                picture(index, width, height, pix_fmt)
                if draw is None
                else draw(index, width, height).reformat(format=pix_fmt)
            )
            frame.pts = round(instant * 1000) if frame_times is not None else index
            if frame_times is not None:
                frame.time_base = Fraction(1, 1000)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
        lengths = audio_seconds if isinstance(audio_seconds, Sequence) else None
        for number, sound in enumerate(sounds):
            size = sound.codec_context.frame_size or 1152
            length = lengths[number] if lengths else audio_seconds or seconds
            for start in range(0, round(length * audio_rate), size):
                out.mux(sound.encode(_tone(size, start, audio_rate, 9.0 + 6 * number)))
            out.mux(sound.encode(None))
    if sink is not None:
        path.write_bytes(bytes(sink.data))
    return path


def x264(path: Path, *, container: str = "mp4", **options: Any) -> Path:
    """:func:`write` with the fastest H.264 encoder (MP4 unless told)."""
    return write(
        path, container=container, video="libx264", video_options={"preset": "ultrafast"}, **options
    )


def h264_mp4(directory: Path, *, width: int = 320, height: int = 240) -> Path:
    """H.264/AAC in MP4, 320x240 unless told."""
    return x264(directory / "h264.mp4", width=width, height=height)


def dubbed_mkv(directory: Path) -> Path:
    """H.264 with three AAC tracks in Matroska: English (titled), French, and an unnamed one."""
    tags = ({"language": "eng", "title": "English"}, {"language": "fre"}, {})
    return x264(directory / "dubbed.mkv", container="matroska", audio_tags=tags)


def alien_track_mkv(directory: Path) -> Path:
    """H.264 with two AAC tracks in Matroska, the second ("Alien") renamed to a codec no
    FFmpeg knows (its CodecID ``A_AAC`` overwritten by ``A_ZZZ``, the same length)."""
    path = x264(
        directory / "alien.mkv",
        container="matroska",
        audio_tags=({"title": "Good"}, {"title": "Alien"}),
    )
    data = bytearray(path.read_bytes())
    second = data.find(b"A_AAC", data.find(b"A_AAC") + 1)
    assert second > 0, "no second AAC track"
    data[second : second + 5] = b"A_ZZZ"
    path.write_bytes(bytes(data))
    return path


def hevc_mkv(directory: Path) -> Path:
    """10-bit HEVC with AAC in Matroska."""
    return write(
        directory / "hevc.mkv",
        container="matroska",
        video="libx265",
        pix_fmt="yuv420p10le",
        video_options={"preset": "ultrafast", "x265-params": "log-level=error"},
    )


def mpeg4_avi(directory: Path) -> Path:
    """MPEG-4 Part 2 with MP3 in AVI."""
    return write(directory / "mpeg4.avi", container="avi", video="mpeg4", audio="libmp3lame")


def h264_ts(directory: Path) -> Path:
    """H.264/AAC in an MPEG transport stream (a camcorder's ``.mts``)."""
    return x264(directory / "camcorder.ts", container="mpegts")


def mpeg2_vob(directory: Path) -> Path:
    """A DVD's or a camcorder's MPEG-2 with MP2 in a program stream: interlaced (field
    coded), B-frames, anamorphic like :func:`sar_mkv`, and timestamps that start past 0.5 s,
    as the ``vob`` muxer writes them."""
    coding = {"bf": "2", "g": "12", "flags": "+ilme+ildct"}
    shape = dict(ANAMORPHIC, audio="mp2", audio_rate=48000, video_options=coding)
    return write(directory / "dvd.vob", container="vob", video="mpeg2video", **shape)


def wmv_asf(directory: Path) -> Path:
    """Windows Media Video 8 with WMA 2 in ASF (a ``.wmv``), as the upload tests make it."""
    return write(directory / "a.wmv", **LEGACY_FILES["asf"])


def flv(directory: Path) -> Path:
    """Sorenson Spark (FLV1) with MP3 in FLV, as video sites served them."""
    return write(directory / "clip.flv", **LEGACY_FILES["flv"])


def loud_surround_mkv(directory: Path) -> Path:
    """A 3 s picture with 2 s of 5.1 sound at 0.9 of full scale in every channel at once (a
    film's loudest scene: mixed down to stereo as is, about twice full scale), the last
    second filled with silence."""
    path, rate = directory / "surround.mkv", 48000
    with av.open(str(path), "w") as out:
        sound = out.add_stream("pcm_s16le", rate=rate, layout="5.1")
        assert isinstance(sound, av.audio.stream.AudioStream)
        _pictures(out, 3.0)
        for start in range(0, 2 * rate, 1024):
            chunk = av.AudioFrame(format="s16", layout="5.1", samples=1024)
            wave = [round(0.9 * 32767 * math.sin((start + i) / 9.0)) for i in range(1024)]
            chunk.planes[0].update(
                struct.pack(f"<{6 * 1024}h", *(v for v in wave for _ in range(6)))
            )
            chunk.sample_rate, chunk.pts = rate, start
            out.mux(sound.encode(chunk))
        out.mux(sound.encode(None))
    return path


def sound_with_a_hole_mkv(directory: Path) -> Path:
    """A 3 s picture whose sound has no frames from 1 s to 2 s, as the timestamps of a file
    show a stretch the demuxer skipped for damage (sound never pauses of itself)."""
    path, rate = directory / "hole.mkv", 44100
    with av.open(str(path), "w") as out:
        sound = out.add_stream("aac", rate=rate)
        assert isinstance(sound, av.audio.stream.AudioStream)
        sound.layout = "mono"
        _pictures(out, 3.0)
        for start in range(0, 3 * rate, 1024):
            if not rate <= start < 2 * rate:
                out.mux(sound.encode(_tone(1024, start, rate)))
        out.mux(sound.encode(None))
    return path


def _pictures(out: av.container.OutputContainer, seconds: float) -> None:
    """``seconds`` of :func:`picture` in H.264 (320x240) into ``out``, its other streams
    added already (the header is written at the first packet)."""
    video = out.add_stream("libx264", rate=FPS, options={"preset": "ultrafast"})
    assert isinstance(video, av.video.stream.VideoStream)
    video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
    for index in range(round(seconds * FPS)):
        frame = picture(index, 320, 240)
        frame.pts = index
        out.mux(video.encode(frame))
    out.mux(video.encode(None))


def restarted_clock_ts(directory: Path, jump: int) -> Path:
    """Two 1.5 s recordings in one MPEG transport stream (a broadcast recording across a
    channel change): the second's clock starts ``jump`` seconds after the first's (earlier
    when negative), its pictures going on from the first's (grey levels 40 + 7n)."""
    first, second = (
        write(
            directory / f"part{n}.ts",
            container="mpegts",
            video="mpeg2video",
            audio="mp2",
            audio_rate=48000,
            seconds=1.5,
            starts_at=start,
            draw=lambda index, width, height, n=n: picture(index + n * 38, width, height),
        )
        for n, start in enumerate((max(0, -jump), max(0, jump)))
    )
    joined = directory / "restarted.ts"
    joined.write_bytes(first.read_bytes() + second.read_bytes())
    return joined


def damaged(source: Path) -> Path:
    """``source`` with noise over a twentieth of it from its middle (a bad sector, a broken
    download): its index intact, some packets in the middle undecodable."""
    data = bytearray(source.read_bytes())
    noise = random.Random(7)
    middle = len(data) // 2
    for at in range(middle, middle + len(data) // 20):
        data[at] = noise.randrange(256)
    source.write_bytes(bytes(data))
    return source


def ruined_mp4(directory: Path) -> Path:
    """H.264/AAC in MP4 with its index first (``+faststart``, as a web export) and noise over
    all but its first fifth: it opens and its headers read well (the upload's probe takes
    it, and browsers would start it), but hardly a packet past its first second decodes."""
    source = x264(directory / "ruined.mp4", muxer_options={"movflags": "+faststart"})
    data = bytearray(source.read_bytes())
    noise = random.Random(7)
    for at in range(len(data) // 5, len(data)):
        data[at] = noise.randrange(256)
    source.write_bytes(bytes(data))
    return source


def noise_after_header_mkv(directory: Path) -> Path:
    """H.264/AAC in Matroska with noise over all but its first 4 KiB: its headers name both
    streams and its length (the upload's probe takes it), but not a tenth of a second of it
    can be read."""
    source = x264(directory / "noise.mkv", container="matroska")
    data = bytearray(source.read_bytes())
    noise = random.Random(7)
    for at in range(4096, len(data)):
        data[at] = noise.randrange(256)
    source.write_bytes(bytes(data))
    return source


def vp9_webm(directory: Path, **options: Any) -> Path:
    """VP9 with Opus in WebM (``options`` as :func:`write` takes them: its size, length)."""
    sound: dict[str, Any] = {"audio": "libopus", "audio_rate": 48000}
    return write(
        directory / "vp9.webm",
        container="webm",
        video="libvpx-vp9",
        video_options={"deadline": "realtime", "cpu-used": "8"},
        **(sound | options),
    )


def portrait_mp4(directory: Path) -> Path:
    """A landscape-coded H.264 clip with a display matrix: shown 240x320, as phones do."""
    return x264(directory / "portrait.mp4", rotation=-90)


def vfr_mp4(directory: Path, seconds: float = SECONDS) -> Path:
    """Variable frame rate: frames 20 ms then 60 ms apart in turn (25 fps on average)."""
    times: list[float] = []
    instant = 0.0
    while instant < seconds - 0.001:
        times.append(instant)
        instant += 0.02 if len(times) % 2 else 0.06
    return x264(directory / "vfr.mp4", frame_times=times, seconds=seconds)


def silent_mp4(directory: Path) -> Path:
    """H.264 without any audio stream."""
    return x264(directory / "silent.mp4", audio=None)


def odd_size_mkv(directory: Path) -> Path:
    """321x239 H.264 4:4:4 (odd sizes need a format without chroma subsampling)."""
    return x264(
        directory / "odd.mkv", container="matroska", width=321, height=239, pix_fmt="yuv444p"
    )


def audio_only_mp4(directory: Path, *, cover_art: bool = False) -> Path:
    """AAC alone (which plays as uploaded); with ``cover_art``, as a music file: a cover
    picture first (an attached, one-frame video stream), then the sound."""
    path = directory / "audio.mp4"
    with av.open(str(path), "w", format="mp4") as out:
        cover = out.add_stream("mjpeg", rate=1) if cover_art else None
        sound = out.add_stream("aac", rate=48000)
        sound.layout = "mono"
        if cover is not None:
            assert isinstance(cover, av.video.stream.VideoStream)
            cover.width, cover.height, cover.pix_fmt = 64, 64, "yuvj420p"
            cover.disposition = av.stream.Disposition.attached_pic
            art = av.VideoFrame(64, 64, "yuvj420p")
            art.pts = 0
            out.mux([*cover.encode(art), *cover.encode(None)])
        for start in range(0, 48000, 1024):
            out.mux(sound.encode(_tone(1024, start, 48000)))
        out.mux(sound.encode(None))
    return path


def sound_alone(directory: Path, *, container: str, codec: str) -> Path:
    """:data:`SECONDS` of a tone in ``codec`` alone in ``container`` (no picture)."""
    path = directory / f"sound.{container}"
    with av.open(str(path), "w", format=container) as out:
        sound = out.add_stream(codec, rate=48000)
        sound.layout = "mono"
        samples = sound.codec_context.frame_size or 1024
        for start in range(0, round(SECONDS * 48000), samples):
            out.mux(sound.encode(_tone(samples, start, 48000)))
        out.mux(sound.encode(None))
    return path


@dataclasses.dataclass(frozen=True)
class Track:
    """One audio track of :func:`sound_tracks`."""

    codec: str
    seconds: float
    layout: str = "mono"
    default: bool = False
    """Marked as the one to play (Matroska's FlagDefault)."""


def sound_tracks(directory: Path, *tracks: Track) -> Path:
    """Sound alone in Matroska (MKA), one tone per track in file order, track ``n`` of
    period ``9 + 6n`` samples so each can be told apart."""
    path = directory / "tracks.mka"
    with av.open(str(path), "w", format="matroska") as out:
        streams = []
        for track in tracks:
            sound = out.add_stream(track.codec, rate=48000)
            assert isinstance(sound, av.audio.stream.AudioStream)
            sound.layout = track.layout
            sound.disposition = av.stream.Disposition.default if track.default else 0
            streams.append(sound)
        for number, (track, sound) in enumerate(zip(tracks, streams, strict=True)):
            size = sound.codec_context.frame_size or 1024
            channels = sound.codec_context.channels
            for start in range(0, round(track.seconds * 48000), size):
                tone = _tone(size, start, 48000, 9.0 + 6 * number)
                mixed = tone if channels == 1 else _spread(tone, track.layout)
                out.mux(sound.encode(mixed))
            out.mux(sound.encode(None))
    return path


def _spread(tone: av.AudioFrame, layout: str) -> av.AudioFrame:
    """A mono frame on every channel of ``layout``."""
    frame = av.AudioFrame(format="fltp", layout=layout, samples=tone.samples)
    for plane in frame.planes:
        plane.update(bytes(tone.planes[0])[: plane.buffer_size])
    frame.sample_rate, frame.pts = tone.sample_rate, tone.pts
    return frame


def subtitles_alone(directory: Path) -> Path:
    """A Matroska file holding one subtitle track and nothing else: neither picture nor sound."""
    path = directory / "subtitles.mkv"
    track = Subtitles("subrip", cues=[(0.0, 1.0, "Hello")])
    with av.open(str(path), "w", format="matroska") as out:
        stream = _subtitle_stream(out, track)
        _write_subtitles(out, stream, track)
    return path


def long_sound_mp4(directory: Path) -> Path:
    """H.264/AAC whose sound lasts 2 s longer than its picture."""
    return x264(directory / "long-sound.mp4", audio_seconds=SECONDS + 2)


def cover_art_mp4(directory: Path) -> Path:
    """H.264/AAC plus an attached cover picture (a second, one-frame video stream)."""
    path = x264(directory / "cover.mp4")
    target = directory / "with-cover.mp4"
    with av.open(str(path), "r") as source, av.open(str(target), "w", format="mp4") as out:
        cover = out.add_stream("mjpeg", rate=1)
        assert isinstance(cover, av.video.stream.VideoStream)
        cover.width, cover.height, cover.pix_fmt = 64, 64, "yuvj420p"
        cover.disposition = av.stream.Disposition.attached_pic
        copies = {s.index: out.add_stream_from_template(s) for s in source.streams}
        picture_frame = av.VideoFrame(64, 64, "yuvj420p")
        picture_frame.pts = 0
        out.mux([*cover.encode(picture_frame), *cover.encode(None)])
        for packet in source.demux():
            if packet.dts is not None:
                packet.stream = copies[packet.stream.index]
                out.mux(packet)
    return target


def interlaced_mp4(directory: Path) -> Path:
    """Interlaced H.264 of :func:`woven_square`."""
    return write(
        directory / "interlaced.mp4",
        container="mp4",
        video="libx264",
        audio=None,
        video_options={"preset": "ultrafast", "x264-params": "interlaced=1:tff=1"},
        draw=woven_square,
    )


def interlaced_ts(directory: Path) -> Path:
    """Interlaced (field-coded) MPEG-2 of :func:`woven_square` in an MPEG transport stream,
    as an HDV camcorder's 1080i ``.m2t`` has it: groups of 12 pictures, B-frames."""
    return write(
        directory / "interlaced.ts",
        container="mpegts",
        video="mpeg2video",
        audio=None,
        video_options={"g": "12", "bf": "2", "flags": "+ilme+ildct"},
        draw=woven_square,
    )


def woven_square(index: int, width: int, height: int) -> av.VideoFrame:
    """A light square moving right, each field caught at its own instant (a 320x240 picture).

    The bottom field is taken half a frame after the top one, so the square's edges are
    8 pixels further right on odd lines (rows 80 to 160): woven together the edges comb.
    """
    frame = av.VideoFrame(width, height, "yuv420p")
    luma, *chroma = frame.planes
    rows = []
    for y in range(height):
        left = (16 * index + (8 if y % 2 else 0)) % 240
        row = bytearray(b"\x20" * luma.line_size)
        if 80 <= y < 160:
            row[left : left + 64] = b"\xe0" * 64
        rows.append(bytes(row))
    luma.update(b"".join(rows))
    for plane in chroma:
        plane.update(bytes([128]) * plane.buffer_size)
    return frame


def sar_mkv(directory: Path) -> Path:
    """352x288 with 16:11 pixels: shown 512x288, 16:9 (anamorphic, like DVD and DV)."""
    return x264(directory / "anamorphic.mkv", container="matroska", audio=None, **ANAMORPHIC)


def hdr_mkv(directory: Path, transfer: int) -> Path:
    """10-bit HEVC tagged BT.2020 with ``transfer`` (16 PQ, 18 HLG), all HDR reference white.

    Reference white (203 nits, ITU-R BT.2408) is signal 0.58 in PQ and 0.75 in HLG.
    """
    signal = 0.58 if transfer == 16 else 0.75
    code = round(64 + signal * 876)  # 10-bit limited range
    path = directory / f"hdr-{transfer}.mkv"
    with av.open(str(path), "w", format="matroska") as out:
        stream = out.add_stream(
            "libx265", rate=FPS, options={"preset": "ultrafast", "x265-params": "log-level=error"}
        )
        assert isinstance(stream, av.video.stream.VideoStream)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p10le"
        context = stream.codec_context
        context.color_trc, context.color_primaries, context.colorspace = transfer, 9, 9
        context.color_range = 1
        for index in range(round(SECONDS * FPS)):
            frame = av.VideoFrame(320, 240, "yuv420p10le")
            luma, *chroma = frame.planes
            luma.update(struct.pack("<H", code) * (luma.buffer_size // 2))
            for plane in chroma:
                plane.update(struct.pack("<H", 512) * (plane.buffer_size // 2))
            frame.pts = index
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def unknown_duration_mkv(directory: Path) -> Path:
    """H.264 in Matroska written as a live stream: no duration anywhere in its headers."""
    return x264(directory / "live.mkv", container="matroska", audio=None, live=True)


#: The ASS header FFmpeg's text subtitle encoders start from (their input is ASS events).
ASS_HEADER = b"""[Script Info]
ScriptType: v4.00+
PlayResX: 384
PlayResY: 288

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, \
Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, \
Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""


@dataclasses.dataclass(frozen=True)
class Subtitles:
    """One subtitle stream to write: ``cues`` (start, end in seconds, ASS text) go through
    FFmpeg's ``codec`` encoder; ``packets`` (pts in ms, payload) are written as they are,
    each shown for 1 ms (hostile streams: bytes no encoder would make)."""

    codec: str
    cues: Sequence[tuple[float, float, str]] = ()
    packets: Sequence[tuple[int, bytes]] = ()
    language: str | None = None
    title: str | None = None
    forced: bool = False


def subtitled(
    path: Path, *, container: str, tracks: Sequence[Subtitles], seconds: float = 2.0
) -> Path:
    """A small silent video (VP9 in WebM, H.264 elsewhere) with subtitle ``tracks``."""
    webm = container == "webm"
    options = {"deadline": "realtime", "cpu-used": "8"} if webm else {"preset": "ultrafast"}
    with av.open(str(path), "w", format=container) as out:
        video = out.add_stream("libvpx-vp9" if webm else "libx264", rate=FPS, options=options)
        assert isinstance(video, av.video.stream.VideoStream)
        video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
        streams = [_subtitle_stream(out, track) for track in tracks]
        for index in range(round(seconds * FPS)):
            frame = picture(index, 320, 240)
            frame.pts = index
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        for stream, track in zip(streams, tracks, strict=True):
            _write_subtitles(out, stream, track)
    return path


def _subtitle_stream(out: av.container.OutputContainer, track: Subtitles) -> av.stream.Stream:
    stream = out.add_stream(track.codec)
    context = stream.codec_context
    assert isinstance(context, av.subtitles.codeccontext.SubtitleCodecContext)
    context.subtitle_header = ASS_HEADER  # the text encoders refuse to open without it
    context.time_base = Fraction(1, 1000)
    if track.language is not None:
        stream.metadata["language"] = track.language
    if track.title is not None:
        stream.metadata["title"] = track.title
    if track.forced:
        stream.disposition = av.stream.Disposition.forced
    return stream


def _write_subtitles(
    out: av.container.OutputContainer, stream: av.stream.Stream, track: Subtitles
) -> None:
    context = stream.codec_context
    timed: list[tuple[int, int, bytes]] = [(pts, 1, data) for pts, data in track.packets]
    for order, (start, end, text) in enumerate(track.cues):
        assert isinstance(context, av.subtitles.codeccontext.SubtitleCodecContext)
        start_ms, end_ms = round(start * 1000), round(end * 1000)
        event = f"{order},0,Default,,0,0,0,,{text}".encode()
        subtitle = av.subtitles.subtitle.SubtitleSet.create(
            text=event, start=0, end=end_ms - start_ms, pts=start_ms
        )
        timed.append((start_ms, end_ms - start_ms, bytes(context.encode_subtitle(subtitle))))
    for pts, duration, data in sorted(timed, key=lambda entry: entry[0]):
        packet = av.Packet(data)
        packet.stream = stream
        packet.time_base = Fraction(1, 1000)
        packet.pts = packet.dts = pts
        packet.duration = duration
        out.mux(packet)
