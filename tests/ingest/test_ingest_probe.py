"""The probe worker: ranged reads, and the limits that contain a hostile file.

These drive :class:`MediaProber` directly over a local-directory object store; the
object-store port itself is proven equal on S3 by the kernel's port tests, and the
upload tests run the same probe against S3.
"""

from __future__ import annotations

import io
import multiprocessing.forkserver
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import av
import ingest_media
import msgspec
import pytest
import transcode_media
from transcode_media import Track

from streamstack.ingest.containers import (
    AVI,
    MATROSKA,
    MP3,
    MP4,
    MPEG_TS,
    SNIFF_BYTES,
    WAV,
    Container,
    is_faststart,
    sniff_container,
    sniff_length,
)
from streamstack.ingest.jobs import browser_safe, original_plays
from streamstack.ingest.probe import MediaProber, ProbeFailed
from streamstack.ingest.probe_messages import BLOCK_BYTES, MediaReport
from streamstack.kernel.storage import ObjectInfo
from streamstack.kernel.storage.local import LocalObjectStore

MIB = 1024 * 1024


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), MIB):
        yield data[start : start + MIB]


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "objects", "media")


def prober(**limits: Any) -> MediaProber:
    settings: dict[str, Any] = {
        "timeout_seconds": 60.0,
        "memory_bytes": 1024**3,
        "concurrency": 1,
        **limits,
    }
    return MediaProber(**settings)


async def stored(store: LocalObjectStore, data: bytes, key: str = "clip.mp4") -> ObjectInfo:
    return await store.write(key, _chunks(data))


async def test_a_large_object_is_probed_with_a_few_ranged_reads(store: LocalObjectStore) -> None:
    data = ingest_media.padded(ingest_media.mp4(), 24 * MIB)
    outcome = await prober().probe(store, await stored(store, data), MP4)
    report = outcome.report
    assert (report.video_codec, report.audio_codec, report.width) == ("h264", "aac", 320)
    assert report.thumbnail is not None and report.thumbnail.startswith(b"\xff\xd8")
    assert not report.moov_at_end
    # Never a full download: the index and the first seconds are in the first block.
    assert 1 <= outcome.range_reads <= 2
    assert outcome.bytes_read <= 2 * BLOCK_BYTES < len(data)


async def test_moov_at_the_end_is_found_and_faststart_copies_it_first(
    store: LocalObjectStore,
) -> None:
    data = ingest_media.mp4(faststart=False)
    info = await stored(store, data)
    media = prober()
    outcome = await media.probe(store, info, MP4)
    assert outcome.report.moov_at_end
    rewritten = await media.faststart(store, info, MP4)
    assert rewritten.key == info.key
    content = store.local_path(info.key).read_bytes()
    assert rewritten.size == len(content)
    assert is_faststart(lambda at, n: content[at : at + n], len(content))
    assert not (await media.probe(store, rewritten, MP4)).report.moov_at_end


async def test_faststart_keeps_the_tags_chapters_and_cover_of_the_original(
    store: LocalObjectStore,
) -> None:
    info = await stored(store, ingest_media.audiobook(), "book.m4a")
    media = prober()
    assert (await media.probe(store, info, MP4)).report.moov_at_end
    rewritten = await media.faststart(store, info, MP4)
    with av.open(str(store.local_path(rewritten.key))) as copy:
        assert (copy.metadata["title"], copy.metadata["artist"]) == ("A book", "Someone")
        assert [c["metadata"]["title"] for c in copy.chapters()] == ["One", "Two"]
        (cover,) = copy.streams.video
        assert cover.disposition & av.stream.Disposition.attached_pic
        assert [s.type for s in copy.streams.audio] == ["audio"]
    assert not (await media.probe(store, rewritten, MP4)).report.moov_at_end


async def test_sound_alone_is_reported_by_the_track_a_player_plays(
    store: LocalObjectStore, tmp_path: Path
) -> None:
    # A nearly empty first track: the item's codec and length are the main track's.
    source = transcode_media.sound_tracks(
        tmp_path, Track("flac", 0.05), Track("libopus", 4.0, layout="stereo")
    )
    info = await stored(store, source.read_bytes(), "tracks.mkv")
    report = (await prober().probe(store, info, MATROSKA)).report
    assert (report.audio_codec, report.video_codec) == ("opus", None)
    assert report.duration_seconds == pytest.approx(4.0, abs=0.02)


async def test_the_chapters_a_file_marks_are_reported_as_a_player_counts(
    store: LocalObjectStore,
) -> None:
    marks = [
        (0.0, "Opening"),
        (1.0, "A title\nover  two lines"),
        (2.0, None),  # untitled: named by its number
        (2.0, "Twice at 2 s"),  # one chapter per start: the first kept
        (9.0, "Past the end"),
    ]
    data = ingest_media.encode(container="matroska", seconds=3.0, chapters=marks)
    report = (await prober().probe(store, await stored(store, data, "film.mkv"), MATROSKA)).report
    assert [(c.start_seconds, c.title) for c in report.chapters] == [
        (0.0, "Opening"),
        (1.0, "A title over two lines"),
        (2.0, "Chapter 3"),
    ]
    book = await stored(store, ingest_media.audiobook(), "book.m4a")
    chapters = (await prober().probe(store, book, MP4)).report.chapters
    assert [(c.start_seconds, c.title) for c in chapters] == [(0.0, "One"), (1.0, "Two")]


@pytest.mark.parametrize("marks", [[], [(0.0, "The only one")]], ids=["none", "one"])
async def test_fewer_than_two_chapters_are_none(
    store: LocalObjectStore, marks: list[tuple[float, str]]
) -> None:
    data = ingest_media.encode(container="matroska", seconds=2.0, chapters=marks)
    report = (await prober().probe(store, await stored(store, data, "film.mkv"), MATROSKA)).report
    assert report.chapters == []


async def test_thumbnail_of_a_longer_video_is_the_frame_at_one_second(
    store: LocalObjectStore,
) -> None:
    # Frame n is a flat colour that changes with n: the first and the 25th differ.
    data = ingest_media.encode(audio=None, seconds=3.0)
    outcome = await prober().probe(store, await stored(store, data), MP4)
    one_frame = await prober().probe(
        store, await stored(store, ingest_media.one_frame(), "first.mp4"), MP4
    )
    assert outcome.report.thumbnail is not None and one_frame.report.thumbnail is not None
    assert outcome.report.thumbnail != one_frame.report.thumbnail


async def test_a_variable_rate_video_reports_the_rate_it_was_captured_at(
    store: LocalObjectStore, tmp_path: Path
) -> None:
    # A screen recording: 30 fps while something moves, nothing between (5 on average).
    times = [i / 30 for i in range(10)] + [2.0 + i / 30 for i in range(10)]
    source = transcode_media.x264(tmp_path / "screen.mp4", frame_times=times)
    outcome = await prober().probe(store, await stored(store, source.read_bytes()), MP4)
    assert outcome.report.fps == 30


@pytest.mark.parametrize(
    ("name", "container"),
    [("portrait.mp4", MP4), ("sar.mkv", MATROSKA), ("music.mp3", MP3)],
)
async def test_a_probe_without_stills_reads_the_same_facts_and_makes_none(
    store: LocalObjectStore, tmp_path: Path, name: str, container: Container
) -> None:
    # A phone's turned clip and anamorphic pixels (both measured on a decoded frame), and
    # music with a cover (its one still).
    files = {
        "portrait.mp4": lambda: transcode_media.portrait_mp4(tmp_path).read_bytes(),
        "sar.mkv": lambda: transcode_media.sar_mkv(tmp_path).read_bytes(),
        "music.mp3": lambda: ingest_media.mp3_with_pictures([(96, "Cover (front)")]),
    }
    info = await stored(store, files[name](), name)
    media = prober()
    full = (await media.probe(store, info, container)).report
    facts_only = (await media.probe(store, info, container, stills=False)).report
    assert full.thumbnail is not None
    assert (facts_only.thumbnail, facts_only.poster) == (None, None)
    assert msgspec.structs.replace(full, thumbnail=None, poster=None) == facts_only


async def test_thumbnails_are_at_most_640_pixels_wide(store: LocalObjectStore) -> None:
    data = ingest_media.encode(audio=None, width=1280, height=720, frames=3)
    report = (await prober().probe(store, await stored(store, data), MP4)).report
    assert (report.width, report.height) == (1280, 720)
    assert report.thumbnail is not None
    with av.open(io.BytesIO(report.thumbnail)) as image:
        frame = next(image.decode(video=0))
        assert (frame.width, frame.height) == (640, 360)


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"timeout_seconds": 0.001}, "took longer than"),
        ({"memory_bytes": 16 * MIB}, ""),
        ({"max_pixels": 320 * 240 - 1}, "frame size is larger than allowed"),
        ({"max_packets": 0}, "no video frame could be decoded"),
    ],
)
async def test_limits_fail_the_probe_with_422(
    store: LocalObjectStore, limits: dict[str, Any], message: str
) -> None:
    info = await stored(store, ingest_media.mp4())
    with pytest.raises(ProbeFailed) as failure:
        await prober(**limits).probe(store, info, MP4)
    assert failure.value.status == 422
    assert message in failure.value.detail


#: A WAV of no samples: its format, then a data chunk of 0 bytes.
EMPTY_WAV = (
    b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x80\xbb\x00\x00"
    b"\x00\x77\x01\x00\x02\x00\x10\x00data\x00\x00\x00\x00"
)


@pytest.mark.parametrize(
    ("data", "container"),
    [
        # An MPEG frame header, then noise: the demuxer opens it, nothing decodes.
        (b"\xff\xfb\x90\x64" + bytes(range(256)) * 200, MP3),
        (EMPTY_WAV, WAV),
    ],
    ids=["noise", "no-samples"],
)
async def test_sound_that_does_not_decode_is_refused_with_422(
    store: LocalObjectStore, data: bytes, container: Container
) -> None:
    assert sniff_container(data) is container
    with pytest.raises(ProbeFailed) as failure:
        await prober().probe(store, await stored(store, data, "sound.bin"), container)
    assert failure.value.status == 422
    assert failure.value.detail.startswith(("no sound could be decoded", "the file could not"))


@pytest.mark.parametrize("padding", [100, 3000])
async def test_an_mp3_with_zeros_before_its_first_frame_is_sound(
    store: LocalObjectStore, padding: int
) -> None:
    tagged = ingest_media.sound("mp3", "libmp3lame")
    tag_size = 10 + int.from_bytes(tagged[6:10], "big")  # ffmpeg's tag: no byte over 0x7f
    data = tagged[:tag_size] + bytes(padding) + tagged[tag_size:]
    assert sniff_container(data[:SNIFF_BYTES]) is MP3
    report = (await prober().probe(store, await stored(store, data, "padded.mp3"), MP3)).report
    assert (report.audio_codec, report.video_codec) == ("mp3", None)
    assert report.duration_seconds == pytest.approx(2.0, abs=0.1)


async def test_a_music_files_front_cover_is_its_still(store: LocalObjectStore) -> None:
    # An icon first, the front cover after it: the cover wins, and is no video.
    data = ingest_media.mp3_with_pictures([(32, "Other"), (96, "Cover (front)"), (128, "Other")])
    report = (await prober().probe(store, await stored(store, data, "music.mp3"), MP3)).report
    assert (report.video_codec, report.audio_codec, report.width) == (None, "mp3", None)
    assert report.thumbnail is not None
    with av.open(io.BytesIO(report.thumbnail)) as image:
        assert image.streams.video[0].width == 96
    # Without a front cover, the largest picture.
    data = ingest_media.mp3_with_pictures([(32, "Other"), (128, "Other")])
    report = (await prober().probe(store, await stored(store, data, "other.mp3"), MP3)).report
    assert report.thumbnail is not None
    with av.open(io.BytesIO(report.thumbnail)) as image:
        assert image.streams.video[0].width == 128


@pytest.mark.parametrize(("width", "height"), [(2, 2), (4, 240), (320, 8)])
async def test_a_picture_smaller_than_16_pixels_a_side_is_refused_with_422(
    store: LocalObjectStore, width: int, height: int
) -> None:
    # FFmpeg's deinterlacer cannot take it: the transcode would fail, whatever the retries.
    data = ingest_media.encode(audio=None, width=width, height=height, frames=2)
    with pytest.raises(ProbeFailed) as failure:
        await prober().probe(store, await stored(store, data), MP4)
    assert failure.value.status == 422
    assert failure.value.detail == "the video's picture is too small: at least 16 pixels a side"
    sixteen = ingest_media.encode(audio=None, width=16, height=16, frames=2)
    report = (await prober().probe(store, await stored(store, sixteen, "ok.mp4"), MP4)).report
    assert (report.width, report.height) == (16, 16)


def test_sniffing_reads_bytes_not_names() -> None:
    assert sniff_container(ingest_media.mp4()[:64]) is MP4
    webm = sniff_container(ingest_media.webm()[:64])
    assert webm is not None and webm.name == "webm"
    assert sniff_container(b"RIFF\x00\x00\x00\x00AVI LIST") is AVI
    for size, first in ((188, 0), (192, 4), (204, 0)):
        packets = bytearray(SNIFF_BYTES)
        for start in range(first, SNIFF_BYTES, size):
            packets[start] = 0x47
        assert sniff_container(bytes(packets)) is MPEG_TS, size
        assert sniff_container(bytes(packets[: first + 2 * size])) is None  # two packets: not yet
    one_sync = b"G" + b"\x00" * (SNIFF_BYTES - 1)
    for data in (b"", b"\x00" * 64, b"RIFF\x00\x00\x00\x00WAVX", b"#EXTM3U\n", one_sync):
        assert sniff_container(data) is None


@pytest.mark.parametrize(
    ("head", "name"),
    [
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "wav"),
        (b"fLaC\x00\x00\x00\x22", "flac"),
        (b"OggS\x00\x02", "ogg"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x23", None),  # a file that ends in its tag
        (b"\xff\xfb\x90\x64", "mp3"),  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz
        (b"\xff\xf3\x48\xc4", "mp3"),  # MPEG-2 layer III
        (b"\xff\xf1\x50\x80", None),  # one ADTS header alone: a coincidence, not AAC
        (b"\xff\xfb\xf0\x64", None),  # bit rate index 15 does not exist
        (b"\xff\xfb\x9c\x64", None),  # nor sample rate index 3
        (b"\xff\xeb\x90\x64", None),  # nor MPEG version 01
        (b"\xff\xfb", None),  # too short to tell
        (b"\xff\xfe\x48\x00", None),  # layer I: a UTF-16 text's byte order mark and "H"
        (b"RF64\xff\xff\xff\xffWAVEds64", "wav"),  # a WAV over 4 GiB
        (b"BW64\xff\xff\xff\xffWAVEds64", "wav"),
        (b"FORM\x00\x00\x10\x00AIFFCOMM", "aiff"),
        (b"FORM\x00\x00\x10\x00AIFCFVER", "aiff"),
        (b"FORM\x00\x00\x10\x00ILBMBMHD", None),  # an Amiga picture
    ],
)
def test_sniffing_files_of_sound_alone(head: bytes, name: str | None) -> None:
    found = sniff_container(head)
    assert (found.name if found is not None else None) == name


def test_an_id3_tag_is_looked_past() -> None:
    # Taggers put ID3 before FLAC and ADTS AAC too: what follows the tag decides.
    tag = b"ID3\x03\x00\x00\x00\x00\x07\x7e" + bytes(1022)  # 1,022 bytes, syncsafe
    flac = sniff_container(tag + b"fLaC\x00\x00\x00\x22")
    mp3 = sniff_container(tag + b"\xff\xfb\x90\x64")
    assert (flac and flac.name, mp3 and mp3.name) == ("flac", "mp3")
    assert sniff_container(tag + b"\xff\xf1\x50\x80") is None  # one ADTS header: not AAC
    # Zeros between the tag and the first frame, or before a frame with no tag: padding.
    for padded in (tag + bytes(700) + b"\xff\xfb\x90\x64", bytes(2000) + b"\xff\xfb\x90\x64"):
        found = sniff_container(padded)
        assert found is not None and found.name == "mp3"
    assert sniff_container(tag + bytes(700) + b"fLaC\x00\x00\x00\x22") is None  # FLAC: no
    assert sniff_container(bytes(SNIFF_BYTES)) is None


def test_a_tag_larger_than_the_bytes_sniffed_is_looked_past() -> None:
    # A cover picture makes the tag far larger than the first bytes: what follows it, once
    # gathered, decides, as for a small tag; a file that ends in its tag has no sound.
    flac = ingest_media.sound("flac", "flac")
    tagged = ingest_media.id3_tagged(flac)
    needed = sniff_length(tagged[:SNIFF_BYTES])
    assert needed == len(tagged) - len(flac) + SNIFF_BYTES > 64 * 1024
    found = sniff_container(tagged[:needed])
    assert found is not None and found.name == "flac"
    # A tag after a tag (a tagger's before the one FFmpeg's MP3 writer puts first): each is
    # seen once the bytes before it are there.
    mp3 = ingest_media.id3_tagged(ingest_media.sound("mp3", "libmp3lame"))
    found = sniff_container(mp3[: sniff_length(mp3[:SNIFF_BYTES])])
    assert found is not None and found.name == "mp3"
    twice = ingest_media.id3_tagged(tagged)
    first = sniff_length(twice[:SNIFF_BYTES])
    assert sniff_container(twice[:first]) is None
    found = sniff_container(twice[: sniff_length(twice[:first])])
    assert found is not None and found.name == "flac"
    assert sniff_container(tagged[: needed - SNIFF_BYTES]) is None
    assert sniff_length(flac[:SNIFF_BYTES]) == SNIFF_BYTES


def test_files_of_sound_alone_that_ffmpeg_writes_are_sniffed() -> None:
    codecs = {
        "mp3": "libmp3lame",
        "flac": "flac",
        "wav": "pcm_s16le",
        "ogg": "libopus",
        "aiff": "pcm_s16be",
    }
    for container, codec in codecs.items():
        found = sniff_container(ingest_media.sound(container, codec)[:SNIFF_BYTES])
        assert found is not None and found.name == container


def test_the_legacy_forms_ffmpeg_writes_are_sniffed() -> None:
    # MPEG-1 program streams too (VCDs, the ``mpeg`` muxer), and ADTS behind an ID3 tag.
    files = {
        name: ingest_media.encode(**shape) for name, shape in ingest_media.LEGACY_FILES.items()
    }
    files["mp4-3gp"] = ingest_media.OLD_PHONE_3GP.read_bytes()
    files["mpegps-1"] = ingest_media.encode(container="mpeg", video="mpeg1video", audio="mp2")
    files["aac-tagged"] = ingest_media.id3_tagged(files["aac"])
    for name, data in files.items():
        found = sniff_container(data[: sniff_length(data[:SNIFF_BYTES])])
        assert found is not None and found.name == name.split("-")[0], name


def test_the_legacy_forms_are_not_taken_from_what_merely_starts_like_them() -> None:
    program_stream = ingest_media.encode(**ingest_media.LEGACY_FILES["mpegps"])[:SNIFF_BYTES]
    adts = ingest_media.encode(**ingest_media.LEGACY_FILES["aac"])[:SNIFF_BYTES]
    flv = ingest_media.encode(**ingest_media.LEGACY_FILES["flv"])[:SNIFF_BYTES]
    noise = os.urandom(SNIFF_BYTES)
    lookalikes = {
        "a pack header, then noise": b"\x00\x00\x01\xba" + noise,
        # A well-formed pack header and a system header, then no unit where they end.
        "two units, then noise": program_stream[:32] + noise,
        "a pack header with a marker bit cleared": program_stream[:4]
        + bytes([program_stream[4] & ~0x04])
        + program_stream[5:],
        "a text about FLV": b"FLV\x01 is how videos were served\n" * 100,
        "an FLV header, then noise": flv[:9] + b"\x01" + noise,
        "one ADTS frame, then noise": adts[: _adts_end(adts, 1)] + b"\x01" + noise,
        "two ADTS frames, then noise": adts[: _adts_end(adts, 2)] + b"\x01" + noise,
        "ADTS frames, the first of another rate": adts[:2] + bytes([adts[2] ^ 0x04]) + adts[3:],
        "the ASF GUID, then noise": bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c") + noise,
    }
    for name, data in lookalikes.items():
        assert sniff_container(data[:SNIFF_BYTES]) is None, name
    mp3 = sniff_container(ingest_media.sound("mp3", "libmp3lame")[:SNIFF_BYTES])
    assert mp3 is MP3  # an MPEG audio frame is MP3's, never ADTS


def _adts_end(data: bytes, frames: int) -> int:
    """Where the first ``frames`` ADTS frames of ``data`` end (each header says its length)."""
    end = 0
    for _ in range(frames):
        end += (data[end + 3] & 0x03) << 11 | data[end + 4] << 3 | data[end + 5] >> 5
    return end


def test_workers_see_no_secrets_in_their_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers fork from a server started with only basic variables, not STREAMSTACK_*."""
    monkeypatch.setenv("STREAMSTACK_S3_SECRET_ACCESS_KEY", "do-not-leak")
    prober()
    pid = multiprocessing.forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]
    environ = Path(f"/proc/{pid}/environ").read_bytes()
    names = {entry.split(b"=", 1)[0].decode() for entry in environ.split(b"\0") if entry}
    allowed = {"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR"}
    assert names <= allowed
    assert set(os.environ) - allowed  # the test process has others: the check means something
    assert b"do-not-leak" not in environ


@pytest.mark.parametrize(
    ("pix_fmt", "safe"),
    [
        ("yuv420p", True),
        ("yuvj420p", True),
        # What Firefox, Safari and hardware decoders refuse: High 10, 4:2:2, 4:4:4.
        ("yuv420p10le", False),
        ("yuv422p", False),
        ("yuv444p", False),
    ],
)
async def test_only_h264_that_every_browser_decodes_plays_as_uploaded(
    store: LocalObjectStore, tmp_path: Path, pix_fmt: str, safe: bool
) -> None:
    # All H.264 + AAC in MP4: the codec's name played a 10-bit original at once, which
    # spun in Firefox and Safari while its package was made.
    source = transcode_media.x264(tmp_path / "clip.mp4", pix_fmt=pix_fmt, seconds=0.4)
    report = (await prober().probe(store, await stored(store, source.read_bytes()), MP4)).report
    assert (report.video_codec, report.audio_codec, report.pixel_format) == ("h264", "aac", pix_fmt)
    assert browser_safe(MP4, report) is safe
    assert original_plays(MP4, report) is safe  # else its package plays


@pytest.mark.parametrize(
    ("source", "start", "reads_to_end"),
    [
        (lambda: ingest_media.encode(seconds=6.0), 0.0, True),
        # Timestamps from 10 s: a browser's clock said 0:10 / 0:13 and seeking went wrong.
        (lambda: ingest_media.encode(seconds=4.0, start_seconds=10), 10.0, True),
        # Cut to 60 %: a browser froze at 3.3 s of the 6 s it claims.
        (lambda: ingest_media.cut_short_mp4(0.6), 0.0, False),
    ],
    ids=["whole", "starts-at-10s", "cut-short"],
)
async def test_only_an_mp4_that_starts_at_zero_and_reads_to_its_end_plays_as_uploaded(
    store: LocalObjectStore, source: Any, start: float, reads_to_end: bool
) -> None:
    report = (await prober().probe(store, await stored(store, source()), MP4)).report
    assert (report.video_codec, report.pixel_format, report.video_profile) == (
        "h264",
        "yuv420p",
        "High",
    )
    assert report.start_seconds == pytest.approx(start, abs=0.05)
    assert report.reads_to_end is reads_to_end
    safe = start == 0 and reads_to_end
    assert browser_safe(MP4, report) is safe
    assert original_plays(MP4, report) is safe  # else it waits for its package


@pytest.mark.parametrize(
    ("pixel_format", "profile"),
    [
        (None, None),  # a record from before the probe told them
        ("yuv420p", None),
        ("yuv420p", "High 10"),  # 8-bit pictures in a profile browsers refuse
        ("yuv420p", "High 4:4:4 Predictive"),
    ],
)
def test_h264_whose_picture_is_not_known_to_decode_everywhere_waits_for_its_package(
    pixel_format: str | None, profile: str | None
) -> None:
    report = MediaReport(
        video_codec="h264",
        audio_codec="aac",
        moov_at_end=False,
        thumbnail=None,
        pixel_format=pixel_format,
        video_profile=profile,
        start_seconds=0.0,
        reads_to_end=True,
    )
    assert not browser_safe(MP4, report)
    assert browser_safe(
        MP4, msgspec.structs.replace(report, pixel_format="yuv420p", video_profile="High")
    )
