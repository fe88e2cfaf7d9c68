"""Subtitle streams of an upload become caption tracks (issue 16.2): the transcoder's part.

Real files made with FFmpeg's own encoders (mov_text in MP4, SubRip in Matroska, WebVTT in
WebM) go through :func:`transcode`; the WebVTT it writes for each stream is parsed back
with the caption parser, so the cues' times and text are what a player will show. Hostile
streams (undecodable, huge packets, thousands of cues, endless cues, bitmap subtitles)
are cut or skipped, each saying why, and the video transcodes all the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import transcode_media
from transcode_media import Subtitles

from streamstack.contracts.limits import CAPTION_CUE_TEXT_MAX, CAPTION_MAX_BYTES, MAX_CAPTION_CUES
from streamstack.ingest.captions import Cue, parse_caption_file
from streamstack.ingest.transcoding.pipeline import transcode
from streamstack.ingest.transcoding.results import (
    SubtitleResult,
    TranscodeOptions,
    TranscodeResult,
)
from streamstack.ingest.transcoding.subtitles import cue_text, language_tag, track_label

FAST = TranscodeOptions(preset="ultrafast", segment_seconds=1.0)
#: What the encoders are given: ASS events, with an override tag, a line break and markup
#: characters that WebVTT must see escaped.
SOURCE_CUES = [
    (0.5, 1.2, "{\\i1}Hello{\\i0} world"),
    (1.25, 1.9, "Line one\\Nline two"),
    (1.9, 2.0, "Tom & Jerry <3"),
]
EXPECTED_CUES = [
    Cue(0.5, 1.2, "Hello world"),
    Cue(1.25, 1.9, "Line one\nline two"),
    Cue(1.9, 2.0, "Tom &amp; Jerry &lt;3"),
]


def run(source: Path, output: Path, options: TranscodeOptions = FAST) -> TranscodeResult:
    """Transcode ``source``; the video must come out whatever its subtitles were."""
    result = transcode(source, output, options)
    assert result.renditions and (output / result.master_playlist).is_file()
    return result


def cues_of(output: Path, subtitle: SubtitleResult) -> list[Cue]:
    """The cues of a written track, as the job reads them back."""
    assert subtitle.vtt is not None, subtitle.note
    return parse_caption_file((output / subtitle.vtt).read_bytes())


@pytest.mark.parametrize(
    ("container", "codec", "language", "title", "expected_language"),
    [
        ("mp4", "mov_text", "eng", None, "en"),
        ("matroska", "subrip", "fre", "Français (SDH)", "fr"),
        ("webm", "webvtt", None, None, "und"),
    ],
)
def test_each_text_subtitle_format_becomes_a_webvtt_track(
    tmp_path: Path,
    container: str,
    codec: str,
    language: str | None,
    title: str | None,
    expected_language: str,
) -> None:
    track = Subtitles(codec, cues=SOURCE_CUES, language=language, title=title)
    source = transcode_media.subtitled(tmp_path / "in", container=container, tracks=[track])

    result = run(source, tmp_path / "out")

    (subtitle,) = result.subtitles
    assert subtitle.language == expected_language
    assert subtitle.label == title
    assert subtitle.vtt == f"captions/{expected_language}.vtt"
    assert (subtitle.cues, subtitle.note) == (3, None)
    expected = EXPECTED_CUES
    if codec == "webvtt":
        # FFmpeg's WebVTT encoder writes the "<" unescaped, so its decoder reads "<3" as a
        # tag and drops it: what the file holds, not what extraction does.
        expected = [*EXPECTED_CUES[:2], Cue(1.9, 2.0, "Tom &amp; Jerry")]
    assert cues_of(tmp_path / "out", subtitle) == expected
    # The job stores tracks itself (an uploaded one may win): not among the package's files.
    assert not [path for path in result.files if path.startswith("captions/")]


def test_several_languages_one_track_each_full_subtitles_before_forced(tmp_path: Path) -> None:
    tracks = [
        Subtitles("subrip", cues=[(0.1, 0.4, "Forced only")], language="eng", forced=True),
        Subtitles("subrip", cues=[(0.1, 0.4, "Everything")], language="eng", title="English"),
        Subtitles("subrip", cues=[(0.2, 0.5, "Alles")], language="ger"),
        Subtitles("subrip", cues=[(0.2, 0.5, "Again")], language="en"),
    ]
    source = transcode_media.subtitled(tmp_path / "many.mkv", container="matroska", tracks=tracks)

    result = run(source, tmp_path / "out")

    by_stream = {subtitle.stream: subtitle for subtitle in result.subtitles}
    assert [s.stream for s in result.subtitles] == [1, 2, 3, 4]
    assert by_stream[2].vtt == "captions/en.vtt"
    assert by_stream[2].label == "English"
    assert cues_of(tmp_path / "out", by_stream[2]) == [Cue(0.1, 0.4, "Everything")]
    assert cues_of(tmp_path / "out", by_stream[3]) == [Cue(0.2, 0.5, "Alles")]
    for skipped in (by_stream[1], by_stream[4]):
        assert skipped.vtt is None
        assert skipped.note == "another subtitle stream has the language en"


def test_hostile_subtitle_streams_are_cut_or_skipped_and_the_video_transcodes(
    tmp_path: Path,
) -> None:
    long_text = "word " * 1000
    tracks = [
        # Thousands of cues: the first MAX_CAPTION_CUES are kept.
        Subtitles(
            "subrip",
            packets=[(2 * i, b"c%d" % i) for i in range(MAX_CAPTION_CUES + 500)],
            language="eng",
        ),
        # Text that is not UTF-8: FFmpeg refuses every packet, the stream is dropped.
        Subtitles(
            "subrip", packets=[(10 * i, b"ok \xff\xfe bad") for i in range(30)], language="deu"
        ),
        # Packets far larger than any screenful of text: never decoded.
        Subtitles("subrip", packets=[(10 * i, b"x" * 70_000) for i in range(25)], language="ita"),
        # One endless cue: cut at the cue text limit.
        Subtitles("subrip", packets=[(100, long_text.encode())], language="spa"),
        # More text than a caption file may hold: cut at CAPTION_MAX_BYTES.
        Subtitles("subrip", packets=[(10 * i, b"y" * 990) for i in range(700)], language="por"),
        # A bitmap subtitle (DVD): no text to keep.
        Subtitles("dvdsub", packets=[(100, b"\x00\x10garbage")], language="jpn"),
    ]
    source = transcode_media.subtitled(
        tmp_path / "hostile.mkv", container="matroska", tracks=tracks
    )
    output = tmp_path / "out"

    result = run(source, output)

    many, not_utf8, huge, endless, bulky, bitmap = result.subtitles
    assert many.cues == MAX_CAPTION_CUES
    assert many.note == f"cut after {MAX_CAPTION_CUES} cues (the caption limits)"
    assert len(cues_of(output, many)) == MAX_CAPTION_CUES
    assert cues_of(output, many)[:2] == [Cue(0.0, 0.001, "c0"), Cue(0.002, 0.003, "c1")]
    for dropped in (not_utf8, huge):
        assert dropped.vtt is None
        assert dropped.note is not None and dropped.note.startswith("dropped after 21 packets")
    (cue,) = cues_of(output, endless)
    assert len(cue.text) <= CAPTION_CUE_TEXT_MAX
    assert long_text.startswith(cue.text)
    assert bulky.vtt is not None and bulky.note is not None and bulky.note.startswith("cut after")
    assert (output / bulky.vtt).stat().st_size <= CAPTION_MAX_BYTES
    assert len(cues_of(output, bulky)) == bulky.cues < 700
    assert (bitmap.codec, bitmap.vtt) == ("dvdsub", None)
    assert bitmap.note == "dvdsub subtitles have no text to keep"


def test_the_early_first_rung_pass_leaves_subtitles_alone(tmp_path: Path) -> None:
    track = Subtitles("subrip", cues=SOURCE_CUES, language="eng")
    source = transcode_media.subtitled(tmp_path / "s.mkv", container="matroska", tracks=[track])
    options = TranscodeOptions(preset="ultrafast", segment_seconds=1.0, subtitles=False)

    result = run(source, tmp_path / "out", options)

    assert result.subtitles == ()
    assert not (tmp_path / "out" / "captions").exists()


def test_a_rerun_without_subtitles_removes_the_old_tracks(tmp_path: Path) -> None:
    track = Subtitles("subrip", cues=SOURCE_CUES, language="eng")
    with_track = transcode_media.subtitled(tmp_path / "s.mkv", container="matroska", tracks=[track])
    without = transcode_media.subtitled(tmp_path / "n.mkv", container="matroska", tracks=[])
    output = tmp_path / "out"

    run(with_track, output)
    assert (output / "captions" / "en.vtt").is_file()
    assert run(without, output).subtitles == ()

    assert not (output / "captions").exists()


@pytest.mark.parametrize(
    ("raw", "tag"),
    [
        ("eng", "en"),
        ("fre", "fr"),
        ("fra", "fr"),
        ("ger", "de"),
        ("chi", "zh"),
        ("EN", "en"),
        ("pt-BR", "pt-BR"),
        ("pt_BR", "pt-BR"),
        ("zh-Hans-CN", "zh-Hans-CN"),
        ("fil", "fil"),
        ("und", "und"),
        (None, "und"),
        ("", "und"),
        ("english", "und"),
        ("e", "und"),
        ("en-" + "x" * 40, "und"),
        ("../en", "und"),
    ],
)
def test_stream_languages_become_caption_tags(raw: str | None, tag: str) -> None:
    assert language_tag(raw) == tag


def test_labels_are_one_printable_line_within_the_limit() -> None:
    assert track_label("  Français\n (SDH) ") == "Français (SDH)"
    assert track_label("x" * 100) == "x" * 64
    assert track_label(None) is None
    assert track_label("   ") is None
    assert track_label("bell\x07") is None


@pytest.mark.parametrize(
    ("event", "text"),
    [
        (b"0,0,Default,,0,0,0,,Plain", "Plain"),
        (b"0,0,Default,,0,0,0,,{\\an8}{\\i1}Top{\\i0}", "Top"),
        (b"0,0,Default,,0,0,0,,a, b, c", "a, b, c"),
        (b"0,0,Default,,0,0,0,,One\\NTwo\\nThree", "One\nTwo\nThree"),
        (b"0,0,Default,,0,0,0,,<b>x</b> & y", "&lt;b&gt;x&lt;/b&gt; &amp; y"),
        (b"0,0,Default,,0,0,0,,  \\N  ", ""),
        (b"0,0,Default,,0,0,0,,\xff\xfe", "\ufffd\ufffd"),
        (b"{unclosed", "{unclosed"),
    ],
)
def test_ass_events_become_webvtt_cue_text(event: bytes, text: str) -> None:
    assert cue_text(event) == text
