"""The transcoder on real sources of every accepted kind: ladder, segments, playlists.

Each source (made by :mod:`transcode_media` in a fraction of a second) is transcoded with
1 s segments and x264 ``ultrafast``; then the package is checked the way a player would
use it: the master playlist parses with the ``m3u8`` library and says what the files
are, every segment decodes after its init segment, key frames sit at the same instants in
every rung, and the durations add up to the source's within one frame per segment. Sound
is its own rendition per source track (``hls/audio_<n>/``), named in the master playlist's
audio group, which every variant refers to.
"""

from __future__ import annotations

import array
import bisect
import io
import itertools
import math
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import m3u8  # type: ignore[import-untyped]
import msgspec
import pytest
import transcode_media
from transcode_media import Track

from streamstack.ingest.transcoding.errors import ORIGINAL_UNREADABLE, TranscodeError
from streamstack.ingest.transcoding.pipeline import transcode
from streamstack.ingest.transcoding.results import Progress, TranscodeOptions, TranscodeResult
from streamstack.ingest.transcoding.soundtracks import MAX_PENDING_FRAMES, pick_audio
from streamstack.ingest.transcoding.timeline import AudioTimeline, VideoTimeline

FAST = TranscodeOptions(segment_seconds=1.0, preset="ultrafast")
FPS = transcode_media.FPS
FRAME = 1 / FPS


@dataclass
class SegmentFacts:
    """What decoding one segment (after its init segment) showed."""

    duration: float
    key_times: list[float]
    starts: float
    """Where it starts (s), as players read it: its ``tfdt``, the first (key) frame's time
    (FFmpeg's demuxer moves a segment read alone by its B-frames' reordering)."""
    first_packet_is_key: bool
    shown_seconds: float
    """How long its frames play: a held picture is one frame lasting seconds."""
    coded: int
    """Its frames as coded."""

    def frames(self, fps: float = FPS) -> int:
        """The frames of the rung's rate it plays."""
        return round(self.shown_seconds * fps)


@dataclass
class RungFacts:
    """One rendition, read back from disk."""

    name: str
    segments: list[SegmentFacts] = field(default_factory=list)
    has_audio_track: bool = False
    avcc: str = ""


def read_rung(directory: Path) -> RungFacts:
    """Parse a media playlist with ``m3u8`` and decode every segment it lists."""
    media = m3u8.load(str(directory / "index.m3u8"))
    assert media.version == 7
    assert media.is_endlist
    assert media.playlist_type == "vod"
    assert media.segment_map[0].uri == "init.mp4"
    init = (directory / "init.mp4").read_bytes()
    avcc = init[init.find(b"avcC") + 5 : init.find(b"avcC") + 8].hex()
    facts = RungFacts(directory.name, avcc=avcc)
    for segment in media.segments:
        assert "/" not in segment.uri and ":" not in segment.uri  # relative, same directory
        assert segment.duration <= media.target_duration
        facts.segments.append(
            decode_segment(init + (directory / segment.uri).read_bytes(), segment.duration)
        )
    with av.open(io.BytesIO(init), "r") as container:
        facts.has_audio_track = bool(container.streams.audio)
    return facts


def decode_segment(data: bytes, duration: float) -> SegmentFacts:
    """Decode every frame of one init+segment; fail on any decoding error."""
    with av.open(io.BytesIO(data), "r") as container:
        video = container.streams.video[0]
        packets = [p for p in container.demux(video) if p.size]
        keys = [float(p.pts * p.time_base) for p in packets if p.is_keyframe and p.pts is not None]
        shown = sum(float(p.duration * p.time_base) for p in packets if p.time_base is not None)
    with av.open(io.BytesIO(data), "r") as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == len(packets)
    starts = _decode_time(data)
    return SegmentFacts(duration, keys, starts, packets[0].is_keyframe, shown, frames)


def _decode_time(data: bytes) -> float:
    """The ``tfdt`` of an init segment and one media segment, in seconds (``mdhd``'s scale)."""
    mdhd = data.find(b"mdhd")
    version = data[mdhd + 4]
    scale_at = mdhd + 8 + (16 if version else 8)
    (scale,) = struct.unpack(">I", data[scale_at : scale_at + 4])
    tfdt = data.find(b"tfdt")
    size = 8 if data[tfdt + 4] else 4
    return int.from_bytes(data[tfdt + 8 : tfdt + 8 + size], "big") / scale


def sound_seconds(directory: Path) -> float:
    """Decode every segment of an audio rendition: how long its sound lasts (48 kHz)."""
    media = m3u8.load(str(directory / "index.m3u8"))
    assert media.is_endlist and media.segment_map[0].uri == "init.mp4"
    init = (directory / "init.mp4").read_bytes()
    samples = 0
    for segment in media.segments:
        assert segment.duration <= media.target_duration
        with av.open(io.BytesIO(init + (directory / segment.uri).read_bytes()), "r") as container:
            assert not container.streams.video
            samples += sum(frame.samples for frame in container.decode(audio=0))
    return samples / 48000


def check_audio(out: Path, result: TranscodeResult, master: m3u8.M3U8, seconds: float) -> None:
    """Each audio track: a group entry naming its playlist, and sound as long as the picture
    (give or take a few AAC frames: the encoder's priming, and the last source frame kept
    whole, 26 ms for MP3)."""
    media = [m for m in master.media if m.type == "AUDIO"]
    assert [m.uri for m in media] == [f"{a.name}/index.m3u8" for a in result.audio]
    assert all(m.group_id == "audio" and m.channels == "2" for m in media)
    assert [m.default == "YES" for m in media] == [i == 0 for i in range(len(media))]
    for track in result.audio:
        assert track.codecs == "mp4a.40.2"
        assert 0 < track.average_bandwidth <= track.bandwidth
        assert abs(sound_seconds(out / "hls" / track.name) - seconds) <= 0.1


def check_package(
    out: Path,
    result: TranscodeResult,
    *,
    rungs: list[tuple[str, int, int]],
    seconds: float,
    audio: bool,
    tracks: int = 1,
    fps: float = FPS,
) -> dict[str, RungFacts]:
    """Everything the issue's Proof section asks of one transcoded source (made at
    ``fps``)."""
    assert [(r.name, r.width, r.height) for r in result.renditions] == rungs
    assert (result.skipped_packets, result.missing_sound_seconds, result.unread_seconds) == (
        0,
        0,
        0,
    )
    assert result.has_audio is audio
    assert len(result.audio) == (tracks if audio else 0)
    for path in result.files:
        assert (out / path).is_file(), path
    master = m3u8.load(str(out / "hls" / "master.m3u8"))
    assert master.is_variant
    assert len(master.playlists) == len(result.renditions)
    check_audio(out, result, master, seconds)
    costliest = max((a.bandwidth for a in result.audio), default=0)
    facts = {}
    for variant, rung in zip(master.playlists, result.renditions, strict=True):
        info = variant.stream_info
        assert variant.uri == f"{rung.name}/index.m3u8"
        assert (info.bandwidth, info.average_bandwidth) == (rung.bandwidth, rung.average_bandwidth)
        assert 0 < info.average_bandwidth <= info.bandwidth
        assert info.resolution == (rung.width, rung.height)
        assert info.frame_rate == pytest.approx(fps)
        assert info.codecs == rung.codecs
        assert re.fullmatch(r"avc1\.[0-9a-f]{6}" + (r",mp4a\.40\.2" if audio else ""), info.codecs)
        assert info.audio == ("audio" if audio else None)
        rung_facts = read_rung(out / "hls" / rung.name)
        assert info.codecs.startswith(f"avc1.{rung_facts.avcc}")  # what the init segment says
        assert not rung_facts.has_audio_track  # the sound is in the audio renditions
        assert len(rung_facts.segments) == rung.segment_count
        assert rung.bandwidth > costliest  # the variant's peak counts its sound too
        check_segments(rung_facts, seconds, 1 / fps)
        facts[rung.name] = rung_facts
    check_alignment(list(facts.values()))
    check_storyboard(out, result)
    return facts


def check_segments(rung: RungFacts, seconds: float, frame: float) -> None:
    """Each segment: one key frame, first; its frames (``frame`` s each, a held one
    longer) fill its duration."""
    total = sum(s.duration for s in rung.segments)
    assert abs(total - seconds) <= len(rung.segments) * frame + 1e-6
    for segment in rung.segments:
        assert segment.first_packet_is_key
        assert len(segment.key_times) == 1
        assert abs(segment.shown_seconds - segment.duration) <= frame + 1e-6


def check_alignment(rungs: list[RungFacts]) -> None:
    """The n-th segment of every rung starts with a key frame at the same instant."""
    starts = [[s.starts for s in rung.segments] for rung in rungs]
    assert all(times == starts[0] for times in starts), starts
    spacing = [b - a for a, b in zip(starts[0], starts[0][1:], strict=False)]
    assert all(gap == pytest.approx(FAST.segment_seconds, abs=1e-3) for gap in spacing)


_CUE = re.compile(
    r"(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})\n(sheet_\d{3}\.jpg)#xywh=(\d+),(\d+),(\d+),(\d+)"
)


def _seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def check_storyboard(out: Path, result: TranscodeResult) -> None:
    """The VTT's cues cover the video in order and point inside sheets that exist."""
    board = result.storyboard
    assert board is not None
    text = (out / board.vtt).read_text()
    assert text.startswith("WEBVTT\n")
    cues = _CUE.findall(text)
    assert len(cues) == board.tile_count >= 1
    previous_end = 0.0
    for cue in cues:
        start, end = _seconds(*cue[0:4]), _seconds(*cue[4:8])
        assert start == pytest.approx(previous_end) and end > start
        previous_end = end
        x, y, w, h = map(int, cue[9:13])
        assert (w, h) == (board.tile_width, board.tile_height) and w == 160
        with av.open(str(out / "storyboard" / cue[8]), "r") as sheet:
            picture = next(sheet.decode(video=0))
        assert x + w <= picture.width and y + h <= picture.height
    assert previous_end == pytest.approx(result.duration_seconds, abs=0.01)


Source = Callable[[Path], Path]
LANDSCAPE = [("240p", 320, 240)]
#: 352x288 with 16:11 pixels, shown 512x288: 288 is more than 5 % above 240.
ANAMORPHIC = [("240p", 426, 240), ("288p", 512, 288)]


@pytest.mark.parametrize(
    ("make", "rungs", "audio", "fps"),
    [
        pytest.param(transcode_media.h264_mp4, LANDSCAPE, True, FPS, id="h264-mp4"),
        pytest.param(transcode_media.hevc_mkv, LANDSCAPE, True, FPS, id="hevc10-mkv"),
        pytest.param(transcode_media.mpeg4_avi, LANDSCAPE, True, FPS, id="mpeg4-avi"),
        pytest.param(transcode_media.h264_ts, LANDSCAPE, True, FPS, id="h264-ts"),
        pytest.param(transcode_media.vp9_webm, LANDSCAPE, True, FPS, id="vp9-webm"),
        pytest.param(transcode_media.silent_mp4, LANDSCAPE, False, FPS, id="no-audio"),
        pytest.param(transcode_media.odd_size_mkv, [("238p", 320, 238)], True, FPS, id="odd-size"),
        pytest.param(transcode_media.cover_art_mp4, LANDSCAPE, True, FPS, id="cover-art"),
        pytest.param(transcode_media.sar_mkv, ANAMORPHIC, False, FPS, id="anamorphic"),
        # Interlaced (50 fields a second: 50 frames), anamorphic, B-frames, starting past
        # 0.5 s: a DVD's program stream.
        pytest.param(transcode_media.mpeg2_vob, ANAMORPHIC, True, 2 * FPS, id="mpeg2-vob"),
        # WMA's decoder flushes its last frame with no timestamp.
        pytest.param(transcode_media.wmv_asf, LANDSCAPE, True, FPS, id="wmv-asf"),
        pytest.param(transcode_media.flv, LANDSCAPE, True, FPS, id="flv1-flv"),
    ],
)
def test_every_source_kind_becomes_a_playable_ladder(
    tmp_path: Path, make: Source, rungs: list[tuple[str, int, int]], audio: bool, fps: int
) -> None:
    source = make(tmp_path)
    out = tmp_path / "out"
    result = transcode(source, out, FAST)
    check_package(out, result, rungs=rungs, seconds=transcode_media.SECONDS, audio=audio, fps=fps)


def test_a_larger_source_gets_every_rung_up_to_its_height_with_high_profile(tmp_path: Path) -> None:
    source = transcode_media.h264_mp4(tmp_path, width=640, height=480)
    out = tmp_path / "out"
    result = transcode(source, out, TranscodeOptions(segment_seconds=1.0, preset="veryfast"))
    rungs = [("240p", 320, 240), ("360p", 480, 360), ("480p", 640, 480)]
    check_package(out, result, rungs=rungs, seconds=transcode_media.SECONDS, audio=True)
    for rung in result.renditions:
        profile, level = rung.codecs[5:7], int(rung.codecs[9:11], 16)
        assert profile == "64"  # High
        assert level <= 42  # at most 4.2 up to 1080p


def _luma(frame: av.VideoFrame, x: int, y: int) -> int:
    plane = frame.planes[0]
    return bytes(plane)[y * plane.line_size + x]


def test_a_portrait_phone_clip_comes_out_portrait_and_upright(tmp_path: Path) -> None:
    source = transcode_media.portrait_mp4(tmp_path)
    out = tmp_path / "out"
    result = transcode(source, out, FAST)
    check_package(
        out, result, rungs=[("240p", 240, 320)], seconds=transcode_media.SECONDS, audio=True
    )
    data = (out / "hls/240p/init.mp4").read_bytes() + (out / "hls/240p/seg_00001.m4s").read_bytes()
    with av.open(io.BytesIO(data), "r") as container:
        frame = next(container.decode(video=0))
    assert (frame.width, frame.height, frame.rotation) == (240, 320, 0)
    # Stored -90 (a clockwise quarter turn, as FFmpeg's autorotate shows it): the coded
    # picture's bright top-left corner is now top-right.
    assert _luma(frame, 180, 60) > 200
    assert _luma(frame, 60, 60) < 180
    assert _luma(frame, 180, 260) < 180


def _shown(out: Path, rung: str = "240p", fps: float = FPS) -> list[int]:
    """The grey level (which source picture: ``transcode_media.picture``) of every frame
    the rung plays at its rate, in order (a held picture for each frame it lasts)."""
    playlist = m3u8.load(str(out / "hls" / rung / "index.m3u8"))
    init = (out / "hls" / rung / "init.mp4").read_bytes()
    shown: list[int] = []
    for segment in playlist.segments:
        data = init + (out / "hls" / rung / segment.uri).read_bytes()
        with av.open(io.BytesIO(data), "r") as container:
            for frame in container.decode(video=0):
                lasts = max(1, round(float(frame.duration * frame.time_base) * fps))
                shown += [_luma(frame, 240, 200)] * lasts
    return shown


def test_a_variable_frame_rate_clip_is_resampled_in_sync(tmp_path: Path) -> None:
    source = transcode_media.vfr_mp4(tmp_path)
    out = tmp_path / "out"
    result = transcode(source, out, FAST)
    # Frames 20 then 60 ms apart: the rate that shows every one is 50 fps (25 on average).
    seconds = transcode_media.SECONDS
    facts = check_package(out, result, rungs=LANDSCAPE, seconds=seconds, audio=True, fps=50)
    with av.open(str(source), "r") as original:
        instants = [float(f.time) for f in original.decode(video=0) if f.time is not None]
    # Pictures repeated by the rate's grid for a frame are coded as they came.
    assert all(s.coded == s.frames(50) for s in facts["240p"].segments)
    shown = _shown(out)
    # Output frame n is shown at n/50 s and must carry the source picture of that instant
    # (the grey level tells which one: 40 + 7 x index); a neighbour counts (rounding).
    for n in range(0, len(shown), 5):
        current = max(i for i, t in enumerate(instants) if t <= n / 50 + 1e-6)
        candidates = {40 + (i * 7) % 120 for i in (current - 1, current, current + 1)}
        assert min(abs(shown[n] - level) for level in candidates) <= 3, (n, shown[n], candidates)


def test_a_clip_slowing_down_in_low_light_keeps_its_capture_rate(tmp_path: Path) -> None:
    # A phone's 30 fps, at 15 fps from 1 s to 1.6 s (longer exposures): 27 fps on average.
    # Timed at its average, a frame in ten was dropped where it ran at full speed.
    times = [i / 30 for i in range(30)] + [1 + i / 15 for i in range(9)]
    times += [1.6 + i / 30 for i in range(42)]
    source = transcode_media.x264(tmp_path / "low_light.mp4", frame_times=times)
    out = tmp_path / "out"
    result = transcode(source, out, FAST)
    check_package(out, result, rungs=LANDSCAPE, seconds=3.0, audio=True, fps=30)
    shown = _shown(out)
    assert len(shown) == 90
    # At full speed every frame played is the next picture (its grey level 7 on, mod 120).
    for n in [*range(29), *range(48, 89)]:
        assert (shown[n + 1] - shown[n]) % 120 in range(4, 11), (n, shown[n : n + 2])


def test_sound_before_the_first_picture_is_kept_while_the_picture_waits(tmp_path: Path) -> None:
    # A recorder whose picture starts 1.5 s after its sound: the package began at the
    # picture, and the first 1.5 s of sound were cut.
    times = [1.5 + i / FPS for i in range(round(1.5 * FPS))]
    source = transcode_media.x264(tmp_path / "late_picture.mp4", frame_times=times)
    out = tmp_path / "out"
    result = transcode(source, out, FAST)
    check_package(out, result, rungs=LANDSCAPE, seconds=transcode_media.SECONDS, audio=True)
    assert result.duration_seconds == pytest.approx(transcode_media.SECONDS, abs=2 * FRAME)
    shown = _shown(out)
    # Until it starts, its first picture (grey 40) shows; then the next ones, in turn.
    assert all(abs(level - 40) <= 3 for level in shown[: round(1.5 * FPS)]), shown
    assert abs(shown[round(1.5 * FPS) + 1] - 47) <= 3, shown
    track = out / "hls" / result.audio[0].name
    init = (track / "init.mp4").read_bytes()
    first = m3u8.load(str(track / "index.m3u8")).segments[0].uri
    with av.open(io.BytesIO(init + (track / first).read_bytes()), "r") as container:
        frames = list(container.decode(audio=0))
    loudest = max(max(map(abs, array.array("f", bytes(f.planes[0])))) for f in frames)
    assert loudest > 0.1  # the tone from the first second on, not silence


def test_a_source_damaged_midway_is_transcoded_past_the_damage_which_is_counted(
    tmp_path: Path,
) -> None:
    source = transcode_media.damaged(transcode_media.x264(tmp_path / "clip.mp4"))
    result = transcode(source, tmp_path / "out", FAST)
    assert result.skipped_packets > 0
    assert result.duration_seconds == pytest.approx(transcode_media.SECONDS)
    assert result.unread_seconds == 0


@pytest.mark.parametrize("jump", [600, -600], ids=["forward", "back"])
def test_a_transport_streams_clock_jumping_is_made_continuous(tmp_path: Path, jump: int) -> None:
    # A 3 s recording across a channel change became 10 minutes of one frozen picture.
    source = transcode_media.restarted_clock_ts(tmp_path, jump)
    result = transcode(source, tmp_path / "out", FAST)
    assert result.duration_seconds == pytest.approx(3.0, abs=0.1)
    assert (result.missing_sound_seconds, result.unread_seconds) == (0, 0)
    shown = _shown(tmp_path / "out")
    assert len(shown) == pytest.approx(76, abs=2)
    # Each frame the next picture (its grey level 7 on, mod 120), across the jump too.
    steps = {(b - a) % 120 for a, b in itertools.pairwise(shown)}
    assert steps <= set(range(4, 11)), sorted(steps)


def test_a_hole_in_the_sound_is_filled_with_silence_and_measured(tmp_path: Path) -> None:
    # A Matroska cluster lost to damage: the demuxer reads on past it, and nothing said so.
    result = transcode(transcode_media.sound_with_a_hole_mkv(tmp_path), tmp_path / "out", FAST)
    assert sound_seconds(tmp_path / "out" / "hls" / result.audio[0].name) == pytest.approx(
        3.0, abs=0.1
    )
    assert result.missing_sound_seconds == pytest.approx(1.0, abs=0.05)
    clean = transcode(transcode_media.x264(tmp_path / "clean.mkv"), tmp_path / "clean", FAST)
    assert clean.missing_sound_seconds == 0


def test_a_source_whose_damage_ends_it_early_says_how_much_was_not_read(tmp_path: Path) -> None:
    # The Matroska demuxer finds no cluster past the noise: the package is its first half.
    source = transcode_media.damaged(transcode_media.vp9_webm(tmp_path))
    result = transcode(source, tmp_path / "out", FAST)
    assert result.duration_seconds < transcode_media.SECONDS - 1
    assert result.unread_seconds == pytest.approx(
        transcode_media.SECONDS - result.duration_seconds, abs=0.05
    )


def test_a_source_of_which_almost_nothing_reads_is_refused(tmp_path: Path) -> None:
    # Its package was 0.16 s of the 3 s its headers promise: published, it never played.
    source = transcode_media.noise_after_header_mkv(tmp_path)
    with pytest.raises(TranscodeError) as refused:
        transcode(source, tmp_path / "out", FAST)
    assert refused.value.reason in ORIGINAL_UNREADABLE
    assert "of the 3.0 s it says it lasts could be read" in refused.value.message


def test_loud_surround_sound_mixed_to_stereo_stays_within_full_scale(tmp_path: Path) -> None:
    # Summed as is, each stereo side peaked at +6.6 dBFS: a fifth of the samples clipped.
    result = transcode(transcode_media.loud_surround_mkv(tmp_path), tmp_path / "out", FAST)
    track = tmp_path / "out" / "hls" / result.audio[0].name
    init = (track / "init.mp4").read_bytes()
    peak = 0.0
    for segment in m3u8.load(str(track / "index.m3u8")).segments:
        with av.open(io.BytesIO(init + (track / segment.uri).read_bytes()), "r") as container:
            for frame in container.decode(audio=0):
                for plane in frame.planes:
                    samples = array.array("f", bytes(plane))[: frame.samples]
                    peak = max(peak, max(map(abs, samples)))
    assert 0.7 < peak <= 1.0  # limited, not merely made quieter


def test_a_quick_first_pass_encodes_only_the_lowest_rung(tmp_path: Path) -> None:
    # A worker may publish the lowest rung first (playable early), then the whole ladder.
    source = transcode_media.h264_mp4(tmp_path, width=640, height=480)
    out = tmp_path / "out"
    quick = TranscodeOptions(segment_seconds=1.0, preset="ultrafast", max_rungs=1)
    first = transcode(source, out, quick)
    check_package(out, first, rungs=LANDSCAPE, seconds=transcode_media.SECONDS, audio=True)
    whole = transcode(source, out, FAST)
    assert [r.name for r in whole.renditions] == ["240p", "360p", "480p"]
    assert len(m3u8.load(str(out / "hls/master.m3u8")).playlists) == 3


@pytest.mark.parametrize(
    ("name", "options", "rungs"),
    [
        # A podcast's episode: one still (640x360, as the tester's) and its sound.
        pytest.param(
            "still.mp4",
            {"seconds": 1 / FPS, "width": 640, "height": 360},
            [("240p", 426, 240), ("360p", 640, 360)],
            id="one-still-mp4",
        ),
        pytest.param("talk.mp4", {"seconds": 1.0}, LANDSCAPE, id="picture-ends-early-mp4"),
        pytest.param(
            "talk.mkv",
            {"seconds": 1.0, "container": "matroska", "audio": "libopus", "audio_rate": 48000},
            LANDSCAPE,
            id="picture-ends-early-opus-mkv",
        ),
    ],
)
def test_a_picture_that_ends_before_its_sound_is_held_until_the_sound_ends(
    tmp_path: Path, name: str, options: dict[str, Any], rungs: list[tuple[str, int, int]]
) -> None:
    # The package stopped with the picture: a podcast's one still made 0.04 s that never
    # played, and a talk whose picture stopped early lost the rest of its sound.
    source = transcode_media.x264(tmp_path / name, audio_seconds=3.0, **options)
    out = tmp_path / "out"
    result = transcode(source, out, FAST)
    assert result.duration_seconds == pytest.approx(3.0, abs=0.01)
    # Every rung's frames and the whole sound (check_audio) last 3 s, the storyboard too.
    facts = check_package(out, result, rungs=rungs, seconds=3.0, audio=True)
    assert all(sum(s.frames() for s in rung.segments) == 3 * FPS for rung in facts.values())
    shown = _shown(out)
    last = round(options["seconds"] * FPS) - 1
    assert all(abs(level - (40 + 7 * last % 120)) <= 3 for level in shown[last:]), shown


def test_a_still_the_decoder_holds_back_does_not_stop_the_sound_waiting_for_it(
    tmp_path: Path,
) -> None:
    # The decoder hands a lone picture on only at the end of the file; the sound waiting
    # for it ran past its bound (about 21 s) and a podcast of any length failed as having
    # "no picture".
    seconds = 25.0
    assert seconds * 48000 > MAX_PENDING_FRAMES * 1024
    source = transcode_media.x264(tmp_path / "still.mp4", seconds=1 / FPS, audio_seconds=seconds)
    out = tmp_path / "out"
    result = transcode(source, out, TranscodeOptions(segment_seconds=5.0, preset="ultrafast"))
    assert result.duration_seconds == pytest.approx(seconds, abs=0.01)
    assert abs(sound_seconds(out / "hls" / result.audio[0].name) - seconds) <= 0.1
    assert len(_shown(out)) == seconds * FPS


def test_a_slide_show_keeps_each_slide_its_time_and_the_last_until_the_sound_ends(
    tmp_path: Path,
) -> None:
    # A slide every 3 s, the last at 6 s (a frame long, by the file), the talk until 9 s.
    source = transcode_media.x264(
        tmp_path / "slides.mp4", frame_times=[0.0, 3.0, 6.0], audio_seconds=9.0
    )
    out = tmp_path / "out"
    result = transcode(source, out, FAST)
    assert result.duration_seconds == pytest.approx(9.0, abs=0.01)
    # A slide every 3 s is shown at 1 fps: each slide three times, in turn.
    check_package(out, result, rungs=LANDSCAPE, seconds=9.0, audio=True, fps=1)
    shown = _shown(out, fps=1)
    assert len(shown) == 9
    assert all(abs(level - (40 + 7 * (n // 3))) <= 3 for n, level in enumerate(shown)), shown


def test_a_held_still_is_coded_once_a_segment(tmp_path: Path) -> None:
    # A podcast's one still with 6 s of sound: every rung scaled and x264 coded all 150
    # frames of the grid, so an hour's still cost an hour of motion. Past the first segment
    # (as it came), each segment is the still once, a key frame lasting the segment.
    source = transcode_media.x264(tmp_path / "still.mp4", seconds=1 / FPS, audio_seconds=6.0)
    out = tmp_path / "out"
    result = transcode(source, out, FAST)
    assert result.duration_seconds == pytest.approx(6.0, abs=0.01)
    facts = check_package(out, result, rungs=LANDSCAPE, seconds=6.0, audio=True)
    assert [s.coded for s in facts["240p"].segments] == [FPS, 1, 1, 1, 1, 1]
    assert [s.duration for s in facts["240p"].segments] == [1.0] * 6
    shown = _shown(out)
    assert len(shown) == 6 * FPS and all(abs(level - 40) <= 3 for level in shown), shown


def test_a_still_coded_at_a_constant_rate_is_coded_once_a_segment(tmp_path: Path) -> None:
    # A podcast made as a video of its still (``ffmpeg -loop 1``): 25 decoded pictures a
    # second, each the same pixels; they were all scaled and coded again.
    def still(index: int, width: int, height: int) -> av.VideoFrame:
        return transcode_media.picture(0, width, height, "yuv420p")

    source = transcode_media.x264(tmp_path / "still.mp4", seconds=4.0, draw=still)
    out = tmp_path / "out"
    result = transcode(source, out, FAST)
    facts = check_package(out, result, rungs=LANDSCAPE, seconds=4.0, audio=True)
    assert [s.coded for s in facts["240p"].segments] == [FPS, 1, 1, 1]
    shown = _shown(out)
    assert len(shown) == 4 * FPS and all(abs(level - 40) <= 3 for level in shown), shown


def handed_on(init: bytes, segment: bytes) -> tuple[int, int, float]:
    """Decode one segment after its init segment, never flushed (no end of stream, as a
    player that has not begun playing holds it): how many frames the stream says a decoder
    may hold back, the segment's packets, and until when (s) the pictures the decoder hands
    on meanwhile last."""
    with av.open(io.BytesIO(init + segment), "r") as container:
        video = container.streams.video[0]
        packets = [p for p in container.demux(video) if p.size]
        decoder = video.codec_context
        pictures = [picture for p in packets for picture in decoder.decode(p)]
        shown_until = max((float(f.time + f.duration * f.time_base) for f in pictures), default=0)
        return decoder.reorder_depth, len(packets), shown_until


def test_each_segment_of_a_held_still_shows_its_picture_on_its_own(tmp_path: Path) -> None:
    # Outside walk 49 (F1): past the first segment, a still's segments were one frame each,
    # and the decoder (B-frames: it holds two back) showed nothing of them until the stream
    # ended, which hls.js did not say before playing: a seek into the last ones spun.
    source = transcode_media.x264(tmp_path / "still.mp4", seconds=1 / FPS, audio_seconds=4.0)
    out = tmp_path / "out"
    result = transcode(source, out, TranscodeOptions(segment_seconds=1.0, preset="veryfast"))
    facts = check_package(out, result, rungs=LANDSCAPE, seconds=4.0, audio=True)
    assert [s.duration for s in facts["240p"].segments] == [1.0] * 4
    rung = out / "hls" / "240p"
    init = (rung / "init.mp4").read_bytes()
    for n, segment in enumerate(m3u8.load(str(rung / "index.m3u8")).segments):
        reorder, packets, shown_until = handed_on(init, (rung / segment.uri).read_bytes())
        assert reorder == 2 and packets > reorder, (segment.uri, packets)
        # Shown on its own up to its last frames, as a moving picture's segment is.
        assert shown_until >= n + 1 - reorder * FRAME - 1e-6, (segment.uri, shown_until)
    shown = _shown(out)
    assert len(shown) == 4 * FPS and all(abs(level - 40) <= 3 for level in shown), shown


@pytest.mark.parametrize("preset", ["ultrafast", "veryfast"])  # veryfast: B-frames
def test_slides_held_within_segments_show_in_turn_with_fewer_frames(
    tmp_path: Path, preset: str
) -> None:
    # Two frames close together set the rate (17 fps, as FFmpeg guesses it); the slides
    # change at 1.3 s and 2.62 s, within segments, and the last is held until the sound
    # ends at 4 s.
    times = [0.0, 0.04, 1.3, 2.62]
    source = transcode_media.x264(tmp_path / "slides.mp4", frame_times=times, audio_seconds=4.0)
    out = tmp_path / "out"
    result = transcode(source, out, TranscodeOptions(segment_seconds=1.0, preset=preset))
    assert result.duration_seconds == pytest.approx(4.0, abs=0.01)
    fps = round(result.renditions[0].frame_rate)
    assert fps == 17
    facts = check_package(out, result, rungs=LANDSCAPE, seconds=4.0, audio=True, fps=fps)
    # The first segment as it came, then a frame for each held stretch of 8 frames or more
    # (half a second), the shorter ones as they came; with B-frames each held stretch ends
    # with two copies a frame long, as many as the decoder holds back.
    copies = {"ultrafast": 0, "veryfast": 2}[preset]
    coded = [fps, 6 + copies, 7 + copies, 1 + copies]
    assert [s.coded for s in facts["240p"].segments] == coded
    shown = _shown(out, fps=fps)
    changes = [round(t * fps) for t in times]
    expected = [40 + 7 * (bisect.bisect_right(changes, n) - 1) for n in range(4 * fps)]
    assert len(shown) == len(expected)
    assert all(abs(a - b) <= 3 for a, b in zip(shown, expected, strict=True)), shown


def tone_period(directory: Path) -> float:
    """The period (in 48 kHz samples) of the tone in an audio rendition's first segment."""
    data = (directory / "init.mp4").read_bytes() + (directory / "seg_00001.m4s").read_bytes()
    with av.open(io.BytesIO(data), "r") as container:
        planes = [
            bytes(frame.planes[0])[: frame.samples * 4] for frame in container.decode(audio=0)
        ]
    left = [value for (value,) in struct.iter_unpack("<f", b"".join(planes))]  # planar float
    middle = left[len(left) // 4 : len(left) * 3 // 4]  # past the encoder's priming
    crossings = sum(1 for a, b in itertools.pairwise(middle) if (a < 0) != (b < 0))
    return 2 * len(middle) / crossings


def test_every_audio_track_becomes_a_rendition_of_the_audio_group(tmp_path: Path) -> None:
    source = transcode_media.dubbed_mkv(tmp_path)
    out = tmp_path / "out"
    result = transcode(source, out, FAST)
    check_package(
        out, result, rungs=LANDSCAPE, seconds=transcode_media.SECONDS, audio=True, tracks=3
    )
    tracks = [(a.track.language, a.track.label, a.track.default) for a in result.audio]
    assert tracks == [
        ("en", "English", True),
        ("fr", "Français", False),  # no title: named in its language, as caption tracks
        ("und", "Track 3", False),
    ]
    media = [m for m in m3u8.load(str(out / "hls/master.m3u8")).media if m.type == "AUDIO"]
    assert [(m.name, m.language) for m in media] == [
        ("English", "en"),
        ("Français", "fr"),
        ("Track 3", None),
    ]
    # Each rendition carries its own source track: tones of 2 pi (9, 15, 21) samples at
    # 44.1 kHz, resampled to 48 kHz.
    periods = [tone_period(out / "hls" / a.name) for a in result.audio]
    expected = [2 * math.pi * p * 48000 / 44100 for p in (9, 15, 21)]
    assert periods == pytest.approx(expected, rel=0.05)


@pytest.mark.parametrize(
    ("container", "codec"),
    [("flac", "flac"), ("wav", "pcm_s16le"), ("matroska", "ac3"), ("adts", "aac")],
)
def test_sound_alone_becomes_an_audio_only_package(
    tmp_path: Path, container: str, codec: str
) -> None:
    source = transcode_media.sound_alone(tmp_path, container=container, codec=codec)
    out = tmp_path / "out"
    seen: list[Progress] = []
    result = transcode(source, out, FAST, seen.append)
    assert (result.renditions, result.storyboard, result.has_audio) == ((), None, True)
    assert [a.name for a in result.audio] == ["audio_1"]
    assert result.duration_seconds == pytest.approx(transcode_media.SECONDS, abs=0.03)
    assert abs(sound_seconds(out / "hls/audio_1") - transcode_media.SECONDS) <= 0.1
    assert tone_period(out / "hls/audio_1") == pytest.approx(2 * math.pi * 9, rel=0.05)
    master = m3u8.load(str(out / "hls/master.m3u8"))
    (variant,) = master.playlists
    info = variant.stream_info
    assert (variant.uri, info.codecs, info.resolution) == ("audio_1/index.m3u8", "mp4a.40.2", None)
    assert (info.bandwidth, not master.media) == (result.audio[0].bandwidth, True)
    assert not (out / "storyboard").exists()
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and seen[-1] == Progress(1.0, "done")
    assert any(p.stage == "encoding" and 0 < p.fraction < 0.99 for p in seen)


def test_sound_alone_is_the_track_a_player_plays_not_a_nearly_empty_first_one(
    tmp_path: Path,
) -> None:
    source = transcode_media.sound_tracks(
        tmp_path, Track("flac", 0.05), Track("libopus", 4.0), Track("flac", 1.0)
    )
    out = tmp_path / "out"
    result = transcode(source, out, FAST)
    assert [(a.name, a.track.stream) for a in result.audio] == [("audio_1", 1)]
    assert result.duration_seconds == pytest.approx(4.0, abs=0.03)
    assert abs(sound_seconds(out / "hls/audio_1") - 4.0) <= 0.1
    assert tone_period(out / "hls/audio_1") == pytest.approx(2 * math.pi * 15, rel=0.05)


@pytest.mark.parametrize(
    ("tracks", "played"),
    [
        ((Track("flac", 0.05), Track("libopus", 4.0)), 1),  # the longest
        ((Track("flac", 0.05, default=True), Track("libopus", 4.0)), 0),  # marked to play
        ((Track("flac", 4.0), Track("flac", 4.0, layout="stereo")), 1),  # more channels
        ((Track("flac", 2.0, layout="stereo"), Track("flac", 2.0, layout="stereo")), 0),
    ],
    ids=["longest", "marked-default", "more-channels", "first-of-equals"],
)
def test_the_sound_played_first_is_chosen_as_a_player_would(
    tmp_path: Path, tracks: tuple[Track, ...], played: int
) -> None:
    with av.open(str(transcode_media.sound_tracks(tmp_path, *tracks))) as container:
        assert pick_audio(container)[0].index == played


def test_a_video_defaults_to_its_main_sound_not_a_nearly_empty_first_track(
    tmp_path: Path,
) -> None:
    source = transcode_media.x264(
        tmp_path / "stub.mkv",
        container="matroska",
        audio_tags=({"title": "Stub"}, {"title": "Main"}),
        audio_seconds=(0.05, transcode_media.SECONDS),
    )
    out = tmp_path / "out"
    result = transcode(source, out, FAST)
    check_package(
        out, result, rungs=LANDSCAPE, seconds=transcode_media.SECONDS, audio=True, tracks=2
    )
    assert [(a.track.label, a.track.default) for a in result.audio] == [
        ("Main", True),
        ("Stub", False),
    ]


def test_an_audio_track_no_decoder_reads_is_left_out_and_the_others_kept(tmp_path: Path) -> None:
    source = transcode_media.alien_track_mkv(tmp_path)
    with av.open(str(source)) as probed:  # the demuxer still lists it, as audio
        assert [s.metadata.get("title") for s in probed.streams.audio] == ["Good", "Alien"]
    out = tmp_path / "out"
    result = transcode(source, out, FAST)
    check_package(
        out, result, rungs=LANDSCAPE, seconds=transcode_media.SECONDS, audio=True, tracks=1
    )
    assert [a.track.label for a in result.audio] == ["Good"]


def test_an_audio_track_shorter_than_the_picture_is_filled_with_silence(tmp_path: Path) -> None:
    # A commentary of the first second, and a track that holds no sound at all.
    source = transcode_media.x264(
        tmp_path / "short.mkv",
        container="matroska",
        audio_tags=({}, {}, {}),
        audio_seconds=(3, 1, 0),
    )
    out = tmp_path / "out"
    result = transcode(source, out, FAST)
    # check_audio: every track's sound lasts as long as the picture.
    check_package(
        out, result, rungs=LANDSCAPE, seconds=transcode_media.SECONDS, audio=True, tracks=3
    )


def test_a_clip_of_one_frame_has_a_target_duration_of_a_second(tmp_path: Path) -> None:
    source = transcode_media.x264(tmp_path / "one.mp4", seconds=1 / transcode_media.FPS)
    out = tmp_path / "out"
    result = transcode(source, out, FAST)
    for playlist in [r.playlist for r in result.renditions] + [a.playlist for a in result.audio]:
        lines = (out / playlist).read_text().splitlines()
        assert "#EXT-X-TARGETDURATION:1" in lines, playlist
        assert [line for line in lines if line.startswith("#EXTINF:")] != []


def _flat(width: int, height: int, luma: int, pts: int) -> av.VideoFrame:
    frame = av.VideoFrame(width, height, "yuv420p")
    y, *chroma = frame.planes
    y.update(bytes([luma]) * y.buffer_size)
    for plane in chroma:
        plane.update(bytes([128]) * plane.buffer_size)
    frame.pts = pts
    return frame


def test_a_picture_whose_size_changes_midway_keeps_its_shape() -> None:
    # A 4:3 recording that goes 16:9 (a screen share, a call): the rest is letterboxed.
    first = _flat(320, 240, 200, 0)
    timeline = VideoTimeline(first, Fraction(1, 25), Fraction(25), Fraction(0), outputs=1)
    frames = [first] + [_flat(320, 180, 200, n) for n in range(1, 10)] + [None]
    out = [instant[0] for frame in frames for instant in timeline.push(frame)]

    last = out[-1]
    assert (last.width, last.height) == (320, 240)
    # Bars of 30 rows above and below the 180-row picture: black there, the picture between.
    assert _luma(last, 160, 10) < 20 and _luma(last, 160, 229) < 20
    assert _luma(last, 160, 120) == pytest.approx(200, abs=3)


@pytest.mark.timeout(30)  # without timestamps, the fps filter ran on and on
def test_pictures_without_timestamps_follow_the_one_before() -> None:
    # A program stream's B-frames the demuxer left unstamped: two in three, here, from 0.5 s.
    start = 45000
    frames = [_flat(320, 240, 100, start + 3600 * n if n % 3 == 0 else None) for n in range(30)]
    for frame in frames:
        frame.time_base = Fraction(1, 90000)
    timeline = VideoTimeline(
        frames[0], Fraction(1, 90000), Fraction(25), Fraction(start, 90000), outputs=1
    )
    out = [instant[0] for frame in [*frames, None] for instant in timeline.push(frame)]

    # One output frame per picture, in order (the last has no length to show it for).
    assert [frame.pts for frame in out] == list(range(29))


def test_sound_without_timestamps_follows_the_sound_before() -> None:
    # WMA's decoder flushes its last frame with none: it is the end of the sound, not a
    # frame at 0 for the encoder to make timestamps up for (the muxer refused those).
    frames = _tone_ms(0, 1, 48000, "mono")
    frames[-1].pts = None
    timeline = AudioTimeline(frames[0], Fraction(1, 1000), Fraction(0))
    out = [f for frame in [*frames, None] for f in timeline.push(frame)]

    starts = [f.pts for f in out]
    assert None not in starts and starts == sorted(starts)
    assert sum(f.samples for f in out) == pytest.approx(len(frames) * 1152, abs=1024)


def _tone_ms(start_ms: int, seconds: int, rate: int, layout: str) -> list[av.AudioFrame]:
    """``seconds`` of a loud 1 kHz tone at ``rate`` in ``layout``, timed in milliseconds."""
    frames = []
    for first in range(0, seconds * rate, 1152):
        frame = av.AudioFrame(format="fltp", layout=layout, samples=1152)
        wave = b"".join(
            struct.pack("<f", 0.5 * math.sin(2 * math.pi * 1000 * (first + i) / rate))
            for i in range(1152)
        )
        for plane in frame.planes:
            plane.update(wave)
        frame.sample_rate = rate
        frame.pts = start_ms + first * 1000 // rate
        frames.append(frame)
    return frames


def test_sound_that_changes_its_format_midway_is_kept() -> None:
    # An MP3 stream going from 44.1 kHz mono to 48 kHz stereo, as concatenated files do.
    first = _tone_ms(0, 1, 44100, "mono")
    then = _tone_ms(1000, 1, 48000, "stereo")
    timeline = AudioTimeline(first[0], Fraction(1, 1000), Fraction(0))
    out = [f for frame in [*first, *then, None] for f in timeline.push(frame)]

    assert sum(f.samples for f in out) == pytest.approx(2 * 48000, abs=2048)
    # The second second is the tone, not the silence a dropped frame leaves behind.
    late = [f for f in out if (f.pts or 0) >= 48000 + 4800]
    assert late
    peak = max(
        abs(value)
        for f in late
        for value in struct.unpack(f"<{f.samples}f", bytes(f.planes[0])[: f.samples * 4])
    )
    assert peak > 0.4


def comb(frame: av.VideoFrame) -> float:
    """How much the square's rows disagree line to line, at the worst column (0-255)."""
    worst = 0.0
    for x in range(0, frame.width, 2):
        column = [_luma(frame, x, y) for y in range(84, 156)]
        worst = max(worst, sum(abs(a - b) for a, b in itertools.pairwise(column)) / len(column))
    return worst


def _left_edge(frame: av.VideoFrame) -> int:
    """Where the light square starts on row 120 (pixels from the left)."""
    return next(x for x in range(frame.width) if _luma(frame, x, 120) > 128)


def test_interlaced_pictures_are_deinterlaced_a_frame_per_field(tmp_path: Path) -> None:
    source = transcode_media.interlaced_mp4(tmp_path)
    out = tmp_path / "out"
    result = transcode(source, out, FAST)
    # 25 interlaced frames a second are 50 fields, each its own instant: 50 frames.
    fps = 2 * transcode_media.FPS
    check_package(
        out, result, rungs=LANDSCAPE, seconds=transcode_media.SECONDS, audio=False, fps=fps
    )
    data = (out / "hls/240p/init.mp4").read_bytes() + (out / "hls/240p/seg_00002.m4s").read_bytes()
    with av.open(io.BytesIO(data), "r") as container:
        frames = [f for _, f in zip(range(6), container.decode(video=0), strict=False)]
    # Woven, odd and even lines differ by ~190 levels along 8-pixel stripes at the
    # square's edges; deinterlaced, each line comes from one instant and neighbours agree.
    assert max(comb(frame) for frame in frames) < 40
    # The square moves 16 pixels a frame, 8 a field: each output frame is the next field.
    steps = [_left_edge(b) - _left_edge(a) for a, b in itertools.pairwise(frames)]
    assert all(abs(step - 8) <= 2 for step in steps), steps


@pytest.mark.parametrize("transfer", [16, 18], ids=["pq", "hlg"])
def test_hdr_reference_white_comes_out_sdr_white(tmp_path: Path, transfer: int) -> None:
    source = transcode_media.hdr_mkv(tmp_path, transfer)
    out = tmp_path / "out"
    result = transcode(source, out, FAST)
    check_package(out, result, rungs=LANDSCAPE, seconds=transcode_media.SECONDS, audio=False)
    data = (out / "hls/240p/init.mp4").read_bytes() + (out / "hls/240p/seg_00002.m4s").read_bytes()
    with av.open(io.BytesIO(data), "r") as container:
        frame = next(container.decode(video=0))
    # Read as plain BT.709 the grey would be 143 (PQ) or 180 (HLG) of 235: dim or grey.
    assert 215 <= _luma(frame, 160, 120) <= 235
    chroma = [bytes(plane)[plane.line_size * 60 + 80] for plane in frame.planes[1:]]
    assert all(abs(value - 128) <= 3 for value in chroma)  # still grey: no colour cast


def test_a_named_package_puts_its_renditions_in_a_directory_of_their_own(
    tmp_path: Path,
) -> None:
    # Uploaded beside an earlier package of the item, whose viewers go on playing it.
    source = transcode_media.h264_mp4(tmp_path)
    out = tmp_path / "out"
    again = transcode(source, out, msgspec.structs.replace(FAST, package="a1b2"))
    assert [r.playlist for r in again.renditions] == ["hls/a1b2/240p/index.m3u8"]
    assert [a.playlist for a in again.audio] == ["hls/a1b2/audio_1/index.m3u8"]
    assert all((out / path).is_file() for path in again.files)
    master = m3u8.load(str(out / "hls/master.m3u8"))
    assert [p.uri for p in master.playlists] == ["a1b2/240p/index.m3u8"]
    assert [m.uri for m in master.media] == ["a1b2/audio_1/index.m3u8"]
    with pytest.raises(ValueError, match="package"):
        transcode(source, out, msgspec.structs.replace(FAST, package="../x"))
