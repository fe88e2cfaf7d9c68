"""Real media generated with PyAV for the ingest tests, and hostile files that are not.

Every generator returns the file's bytes. Sizes are kept small (tens of KiB) unless a
test needs a large object, which :func:`padded` makes cheaply by appending a ``free``
box that every MP4 reader skips.
"""

from __future__ import annotations

import functools
import io
import math
import os
import struct
import tempfile
import zlib
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

WIDTH, HEIGHT = 320, 240


def _video_frame(index: int, width: int, height: int) -> av.VideoFrame:
    frame = av.VideoFrame(width, height, "yuv420p")
    for plane_number, plane in enumerate(frame.planes):
        plane.update(bytes([(index * 9 + plane_number * 70) % 256]) * plane.buffer_size)
    return frame


def _audio_frame(samples: int, start: int, rate: int) -> av.AudioFrame:
    frame = av.AudioFrame(format="fltp", layout="mono", samples=samples)
    tone = b"".join(struct.pack("<f", 0.2 * math.sin((start + i) / 8.0)) for i in range(samples))
    frame.planes[0].update(tone)
    frame.sample_rate = rate
    frame.pts = start
    return frame


def encode(
    *,
    container: str = "mp4",
    seconds: float = 2.0,
    video: str | None = "libx264",
    audio: str | None = "aac",
    faststart: bool = True,
    fps: int = 25,
    width: int = WIDTH,
    height: int = HEIGHT,
    frames: int | None = None,
    chapters: Sequence[tuple[float, str | None]] = (),
    audio_options: dict[str, str] | None = None,
    sample_rate: int = 48000,
    start_seconds: float = 0.0,
) -> bytes:
    """A real file: ``video``/``audio`` codecs (None to leave out) in ``container``, with
    ``chapters`` (start in seconds, title) marked; ``audio_options`` for the audio encoder
    (WMA's refuse to open without a bit rate, ``{"b": "64000"}``); mono sound at
    ``sample_rate`` (AMR's is 8,000); timestamps from ``start_seconds`` (ffmpeg's
    ``-output_ts_offset``, as cutting with ``-copyts`` and some recorders leave them)."""
    options = {"movflags": "faststart"} if faststart and container == "mp4" else {}
    if start_seconds:
        options["output_ts_offset"] = str(start_seconds)
    # A named file: the MP4 muxer reopens its output by name to move the index first.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"media.{container}"
        with av.open(str(path), "w", format=container, options=options) as target:
            target.set_chapters(_chapter_marks(chapters))
            sound = (audio, sample_rate, audio_options)
            _write(target, seconds, (video, sound), fps, width, height, frames)
        return path.read_bytes()


def _chapter_marks(chapters: Sequence[tuple[float, str | None]]) -> list[dict[str, Any]]:
    """PyAV's chapter dictionaries, in milliseconds, each to the next one's start."""
    marks = []
    for number, (start, title) in enumerate(chapters):
        end = chapters[number + 1][0] if number + 1 < len(chapters) else start + 1.0
        marks.append(
            {
                "id": number + 1,
                "start": round(start * 1000),
                "end": round(max(end, start) * 1000),
                "time_base": Fraction(1, 1000),
                "metadata": {"title": title} if title is not None else {},
            }
        )
    return marks


def _write(
    target: av.container.OutputContainer,
    seconds: float,
    codecs: tuple[str | None, tuple[str | None, int, dict[str, str] | None]],
    fps: int,
    width: int,
    height: int,
    frames: int | None,
) -> None:
    video, (audio, rate, audio_options) = codecs
    video_stream = audio_stream = None
    if video is not None:
        video_stream = target.add_stream(video, rate=fps)
        video_stream.width, video_stream.height = width, height
        video_stream.pix_fmt = "yuv420p"
    if audio is not None:
        audio_stream = target.add_stream(audio, rate=rate, options=audio_options or {})
        audio_stream.layout = "mono"
    if video_stream is not None:
        for index in range(frames if frames is not None else round(seconds * fps)):
            target.mux(video_stream.encode(_video_frame(index, width, height)))
        target.mux(video_stream.encode(None))
    if audio_stream is not None:
        samples = audio_stream.codec_context.frame_size or 1024
        for start in range(0, round(seconds * rate), samples):
            target.mux(audio_stream.encode(_audio_frame(samples, start, rate)))
        target.mux(audio_stream.encode(None))


# Cached: x264 and AAC give the same bytes for the same pictures and sound, and the same
# few clips were encoded again by hundreds of tests (0.5 s each).
@functools.cache
def mp4(*, faststart: bool = True, seconds: float = 2.0) -> bytes:
    """H.264/AAC in MP4, ``moov`` first (faststart) or last."""
    return encode(faststart=faststart, seconds=seconds)


def webm() -> bytes:
    """VP9/Opus in WebM."""
    return encode(container="webm", video="libvpx-vp9", audio="libopus")


def avi() -> bytes:
    """MPEG-4 Part 2 with MP3 in AVI, as old cameras and rips have it."""
    return encode(container="avi", video="mpeg4", audio="libmp3lame")


def transport_stream() -> bytes:
    """H.264/AAC in an MPEG transport stream, as camcorders (``.mts``) write it."""
    return encode(container="mpegts")


def audio_only() -> bytes:
    """AAC alone in MP4: no video, so no thumbnail."""
    return encode(video=None)


def sound(container: str, codec: str) -> bytes:
    """``codec`` alone in ``container``: ``mp3``, ``flac``, ``wav``, ``ogg``, ``matroska`` …"""
    return encode(container=container, video=None, audio=codec)


def broadcast_wave() -> bytes:
    """A WAV as field recorders write it (a ``.bwf``): a ``bext`` chunk of the EBU's
    broadcast metadata (description, originator, time reference) before the sound."""
    wav = sound("wav", "pcm_s16le")
    # Description, originator, its reference, date, time, then 8 + 2 + 64 + 10 + 180 bytes
    # (time reference, version, UMID, loudness, reserved): EBU Tech 3285's 602 bytes.
    fields = [(b"Scene 4, take 2", 256), (b"StreamStack tests", 32), (b"", 32)]
    fields += [(b"2026-12-03", 10), (b"12:00:00", 8), (b"", 264)]
    body = b"".join(text.ljust(size, b"\x00") for text, size in fields)
    bext = b"bext" + struct.pack("<I", len(body)) + body
    # The chunk goes after RIFF's header and ``WAVE`` (before ``fmt ``), as recorders put it.
    riff_size = struct.unpack("<I", wav[4:8])[0] + len(bext)
    return b"RIFF" + struct.pack("<I", riff_size) + b"WAVE" + bext + wav[12:]


def mp3_with_pictures(pictures: list[tuple[int, str]]) -> bytes:
    """A second of MP3 carrying square pictures of these sides, each tagged with its ID3
    picture type (FFmpeg's ``comment``: "Cover (front)", "Other" …), in order."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "music.mp3"
        with av.open(str(path), "w", format="mp3") as out:
            sound = out.add_stream("libmp3lame", rate=48000)
            sound.layout = "mono"
            streams = []  # every stream is added before the first packet writes the header
            for side, kind in pictures:
                picture = out.add_stream("mjpeg", rate=1)
                picture.width = picture.height = side
                picture.pix_fmt = "yuvj420p"
                picture.disposition = av.stream.Disposition.attached_pic
                picture.metadata["comment"] = kind
                streams.append((picture, side))
            for picture, side in streams:
                frame = _video_frame(side, side, side).reformat(format="yuvj420p")
                frame.pts = 0
                out.mux([*picture.encode(frame), *picture.encode(None)])
            for start in range(0, 48000, 1152):
                out.mux(sound.encode(_audio_frame(1152, start, 48000)))
            out.mux(sound.encode(None))
        return path.read_bytes()


def audiobook() -> bytes:
    """Two seconds of AAC in MP4 as an audiobook or album track has it: tags, two chapters,
    a cover picture, and (as FFmpeg writes by default) its index after the sound."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "book.m4a"
        with av.open(str(path), "w", format="mp4") as out:
            out.metadata.update({"title": "A book", "artist": "Someone"})
            out.set_chapters(_chapter_marks([(0, "One"), (1, "Two")]))
            cover = out.add_stream("mjpeg", rate=1)
            cover.width = cover.height = 64
            cover.pix_fmt = "yuvj420p"
            cover.disposition = av.stream.Disposition.attached_pic
            sound = out.add_stream("aac", rate=48000)
            sound.layout = "mono"
            art = _video_frame(1, 64, 64).reformat(format="yuvj420p")
            art.pts = 0
            out.mux([*cover.encode(art), *cover.encode(None)])
            for start in range(0, 2 * 48000, 1024):
                out.mux(sound.encode(_audio_frame(1024, start, 48000)))
            out.mux(sound.encode(None))
        return path.read_bytes()


def id3_tagged(data: bytes, *, cover_side: int = 360) -> bytes:
    """``data`` behind an ID3v2.3 tag carrying a front cover (an ``APIC`` frame) of a noisy
    ``cover_side``-pixel JPEG (about 100 KiB at 360), as taggers put before FLAC too."""
    frame = av.VideoFrame(cover_side, cover_side, "yuvj420p")
    for plane in frame.planes:
        plane.update(os.urandom(plane.buffer_size))  # noise: a JPEG as large as a photo's
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width = encoder.height = cover_side
    encoder.pix_fmt = "yuvj420p"
    encoder.time_base = Fraction(1, 25)
    encoder.options = {"q": "2"}
    cover = b"".join(bytes(p) for p in [*encoder.encode(frame), *encoder.encode(None)])
    # Text encoding, MIME type, picture type 3 (front cover), an empty description.
    body = b"\x00image/jpeg\x00\x03\x00" + cover
    apic = b"APIC" + struct.pack(">I", len(body)) + b"\x00\x00" + body
    return id3_header(len(apic)) + apic + data


def id3_header(size: int) -> bytes:
    """An ID3v2.3 tag's header announcing ``size`` bytes of frames (a syncsafe size)."""
    return b"ID3\x03\x00\x00" + bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))


@functools.cache  # the same bytes every time, as mp4's
def one_frame() -> bytes:
    """A video of a single H.264 frame and no audio."""
    return encode(audio=None, frames=1)


def padded(data: bytes, size: int) -> bytes:
    """``data`` (an MP4) grown to ``size`` bytes with a trailing ``free`` box."""
    missing = size - len(data)
    assert missing >= 8
    return data + struct.pack(">I", missing) + b"free" + os.urandom(missing - 8)


def top_level_boxes(data: bytes) -> list[bytes]:
    """The types of an MP4's top-level boxes, in order."""
    boxes, position = [], 0
    while position + 8 <= len(data):
        size = struct.unpack(">I", data[position : position + 4])[0]
        boxes.append(data[position + 4 : position + 8])
        if size < 8:
            break
        position += size
    return boxes


# --- hostile files ---------------------------------------------------------------------


def hls_playlist(target: Path) -> bytes:
    """An HLS playlist whose only segment is a local file."""
    return (
        b"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n"
        b"#EXTINF:10.0,\n" + f"file://{target}\n".encode() + b"#EXT-X-ENDLIST\n"
    )


def avi_with_playlist(target: Path) -> bytes:
    """An AVI whose GAB2 subtitle chunk carries an HLS playlist pointing at a local file.

    The shape of the well-known FFmpeg local-file disclosure: the AVI demuxer probes the
    embedded subtitle, finds a playlist, and would read ``target`` into the video.
    """
    playlist = hls_playlist(target)
    gab2 = (
        b"GAB2\x00\x02\x00"
        + struct.pack("<I", 0)
        + b"\x04\x00"
        + struct.pack("<I", len(playlist))
        + playlist
    )
    stream_header = b"strh" + struct.pack("<I", 56) + b"txts" + b"\x00" * 52
    stream_list = b"LIST" + struct.pack("<I", 4 + len(stream_header)) + b"strl" + stream_header
    header_list = b"LIST" + struct.pack("<I", 4 + len(stream_list)) + b"hdrl" + stream_list
    chunk = b"00tx" + struct.pack("<I", len(gab2)) + gab2
    movi = b"LIST" + struct.pack("<I", 4 + len(chunk)) + b"movi" + chunk
    body = b"AVI " + header_list + movi
    return b"RIFF" + struct.pack("<I", len(body)) + body


def ftyp_then_playlist(target: Path) -> bytes:
    """A playlist behind an MP4 ``ftyp`` box: gets past sniffing, must fail the probe."""
    ftyp = struct.pack(">I", 24) + b"ftypisom" + b"\x00\x00\x02\x00" + b"isomiso2"
    return ftyp + hls_playlist(target)


def truncated_mp4() -> bytes:
    """An MP4 with ``moov`` last, cut before its index: no way to read it."""
    whole = mp4(faststart=False)
    return whole[: len(whole) // 2]


def cut_short_mp4(share: float, seconds: float = 6.0) -> bytes:
    """A faststart MP4 of ``seconds`` cut to its first ``share`` of bytes (``head -c``, an
    upload stopped early): its index is whole and names data past its end."""
    whole = encode(seconds=seconds)
    return whole[: round(len(whole) * share)]


def random_bytes() -> bytes:
    """Noise, to be named ``.mp4`` (its first byte is never one a container starts with:
    noise starting with an MPEG audio frame header would be sniffed as MP3)."""
    return b"\x00" + os.urandom(64 * 1024 - 1)


def id3_then_playlist(target: Path) -> bytes:
    """An MP3's ID3 tag, then an HLS playlist pointing at a local file."""
    return b"ID3\x04\x00\x00\x00\x00\x00\x00" + hls_playlist(target)


#: ``encode`` arguments for a file in each older container (the sniffer's name for it, then
#: ``-`` and the form when it is one of several of a container).
LEGACY_FILES: dict[str, dict[str, Any]] = {
    "mpegps": dict(container="vob", video="mpeg2video", audio="mp2"),  # a DVD's
    "asf": dict(container="asf", video="wmv2", audio="wmav2", audio_options={"b": "64000"}),
    "flv": dict(container="flv", video="flv", audio="libmp3lame"),
    "aac": dict(container="adts", video=None, audio="aac"),
}

#: An old phone's file: 3GP, H.263 at QCIF (176 x 144), 15 frames a second, AMR narrow-band
#: sound at 12.2 kb/s, 2 s. Kept as a file, not encoded per run: PyAV's wheels from 18.1.1 on
#: carry FFmpeg's AMR decoders (all ingest needs) but no AMR encoder. Made by PyAV 18.1.0 from
#: ``encode(container="3gp", video="h263", audio="amr_nb", width=176, height=144, fps=15,
#: sample_rate=8000, audio_options={"b": "12200"})``.
OLD_PHONE_3GP = Path(__file__).with_name("media") / "old-phone.3gp"


# --- still images an admin uploads as a thumbnail ---

#: The encoder and its pixel format of each kind of still image, by Content-Type.
IMAGE_ENCODERS = {
    "image/png": ("png", "rgb24"),
    "image/jpeg": ("mjpeg", "yuvj420p"),
    "image/webp": ("libwebp", "yuv420p"),
}


def still_image(
    content_type: str, width: int = 800, height: int = 600, *, luma: int = 200, noise: bool = False
) -> bytes:
    """One picture encoded as a JPEG, PNG or WebP file (an encoder's packet is the whole
    file), flat grey of ``luma`` (0-255), or random pixels with ``noise`` (incompressible:
    a file cut short loses picture, not padding)."""
    codec, pixel_format = IMAGE_ENCODERS[content_type]
    encoder = av.CodecContext.create(codec, "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, pixel_format
    encoder.time_base = Fraction(1, 25)
    frame = av.VideoFrame(width, height, "gray")
    plane = frame.planes[0]
    plane.update(os.urandom(plane.buffer_size) if noise else bytes([luma]) * plane.buffer_size)
    packets = [*encoder.encode(frame.reformat(format=pixel_format)), *encoder.encode(None)]
    return b"".join(bytes(packet) for packet in packets)


def logo_image(content_type: str, luma: int, width: int = 800, height: int = 600) -> bytes:
    """A PNG or WebP picture, transparent but for an opaque grey square of ``luma`` (0-255)
    in its middle half: a logo."""
    codec, pixel_format = {"image/png": ("png", "rgba"), "image/webp": ("libwebp", "yuva420p")}[
        content_type
    ]
    frame = av.VideoFrame(width, height, "rgba")
    plane = frame.planes[0]
    clear, square = bytes(4), bytes([luma, luma, luma, 255])
    rows = (
        b"".join(
            square
            if width // 4 <= x < width * 3 // 4 and height // 4 <= y < height * 3 // 4
            else clear
            for x in range(width)
        ).ljust(plane.line_size, b"\0")
        for y in range(height)
    )
    plane.update(b"".join(rows))
    encoder = av.CodecContext.create(codec, "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, pixel_format
    encoder.time_base = Fraction(1, 25)
    packets = [*encoder.encode(frame.reformat(format=pixel_format)), *encoder.encode(None)]
    return b"".join(bytes(packet) for packet in packets)


def corner_luma(jpeg: bytes) -> int:
    """The brightness of a JPEG's top left pixel."""
    with av.open(io.BytesIO(jpeg)) as image:
        return bytes(next(image.decode(video=0)).reformat(format="gray").planes[0])[0]


def exif_oriented(jpeg: bytes, orientation: int) -> bytes:
    """``jpeg`` with an EXIF segment saying how to turn it (6: a quarter turn clockwise, as a
    phone held upright writes a photo taken with its sensor sideways)."""
    entry = struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0)  # Orientation, one SHORT
    tiff = b"II*\x00" + struct.pack("<IH", 8, 1) + entry + struct.pack("<I", 0)
    body = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + jpeg[2:]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side: int = 30000) -> bytes:
    """A decompression bomb: a valid black-and-white PNG of ``side`` x ``side`` pixels in
    about 100 KB (its rows of zeros compress a thousandfold), gigabytes once decoded."""
    squeeze = zlib.compressobj(9)
    row = bytes(1 + (side + 7) // 8)  # a filter byte, then a bit a pixel
    data = b"".join(squeeze.compress(row) for _ in range(side)) + squeeze.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", data),
            _png_chunk(b"IEND", b""),
        )
    )


def animated_png() -> bytes:
    """An animated PNG: a still PNG with the ``acTL`` chunk (two frames) after its header."""
    still = still_image("image/png", 64, 64)
    control = _png_chunk(b"acTL", struct.pack(">II", 2, 0))
    header_end = 8 + 12 + 13  # the signature, then IHDR's length, type, data and CRC
    return still[:header_end] + control + still[header_end:]


def animated_webp() -> bytes:
    """The start of an animated WebP: its extended header with the animation flag, then
    an ``ANIM`` chunk."""
    flags = bytes([0x02, 0, 0, 0]) + (63).to_bytes(3, "little") + (63).to_bytes(3, "little")
    chunks = b"VP8X" + struct.pack("<I", 10) + flags + b"ANIM" + struct.pack("<I", 6) + bytes(6)
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + chunks


# --- chapters of the audiobook, and what a still looks like decoded ---

BOOK_CHAPTERS = [{"start_seconds": 0.0, "title": "One"}, {"start_seconds": 1.0, "title": "Two"}]


def decoded_size(jpeg: bytes) -> tuple[int, int]:
    """Width and height of a JPEG, as a browser would decode it."""
    with av.open(io.BytesIO(jpeg)) as image:
        frame = next(image.decode(video=0))
        return frame.width, frame.height


def mean_luma(jpeg: bytes) -> float:
    """The average brightness of a JPEG (the same frame scaled stays about the same)."""
    with av.open(io.BytesIO(jpeg)) as image:
        frame = next(image.decode(video=0)).reformat(format="gray")
        plane = frame.planes[0]
        rows = [bytes(plane)[row * plane.line_size :][: frame.width] for row in range(frame.height)]
        return sum(sum(row) for row in rows) / (frame.width * frame.height)
