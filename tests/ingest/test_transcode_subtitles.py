"""Subtitle streams of an upload become caption tracks (issue 16.2).

Real files made with FFmpeg's own encoders (mov_text in MP4, SubRip in Matroska, WebVTT in
WebM) go through :func:`transcode`; the WebVTT it writes for each stream is parsed back
with the caption parser, so the cues' times and text are what a player will show. Hostile
streams (undecodable, huge packets, thousands of cues, endless cues, bitmap subtitles)
are cut or skipped, each saying why, and the video transcodes all the same.

End to end (an app with its in-process worker, on both backend kinds): an uploaded MKV's
SubRip stream becomes an ``embedded`` caption track, served under the stream token and
listed by the master playlist; an uploaded track of the same language wins over it.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import ingest_media
import pytest
import transcode_media
from ingest_rig import CATALOGUE, Rig, RigFactory, fast_transcoding, wait_for_state
from transcode_media import Subtitles

from streamstack.contracts.languages import language_name
from streamstack.contracts.limits import CAPTION_CUE_TEXT_MAX, CAPTION_MAX_BYTES, MAX_CAPTION_CUES
from streamstack.ingest.captions import Cue, parse_caption_file
from streamstack.ingest.embedded_captions import UNDETERMINED_LABEL, extracted_tracks
from streamstack.ingest.jobs import subtitle_losses
from streamstack.ingest.transcoding.languages import language_tag, track_label
from streamstack.ingest.transcoding.pipeline import transcode
from streamstack.ingest.transcoding.results import (
    SubtitleResult,
    TranscodeOptions,
    TranscodeResult,
)
from streamstack.ingest.transcoding.subtitles import cue_text
from support.waiting import eventually

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

    many, huge, endless, bulky, bitmap = result.subtitles
    assert many.cues == MAX_CAPTION_CUES
    assert many.note == f"cut after {MAX_CAPTION_CUES} cues (the caption limits)"
    assert len(cues_of(output, many)) == MAX_CAPTION_CUES
    assert cues_of(output, many)[:2] == [Cue(0.0, 0.001, "c0"), Cue(0.002, 0.003, "c1")]
    assert huge.vtt is None
    assert huge.note is not None and huge.note.startswith("dropped after 21 packets")
    (cue,) = cues_of(output, endless)
    assert len(cue.text) <= CAPTION_CUE_TEXT_MAX
    assert long_text.startswith(cue.text)
    assert bulky.vtt is not None and bulky.note is not None and bulky.note.startswith("cut after")
    assert (output / bulky.vtt).stat().st_size <= CAPTION_MAX_BYTES
    assert len(cues_of(output, bulky)) == bulky.cues < 700
    assert (bitmap.codec, bitmap.vtt) == ("dvdsub", None)
    assert bitmap.note == "dvdsub subtitles have no text to keep"
    # What the admin is told each stream's viewers lose.
    assert [t.lost for t in (many, huge, endless, bulky, bitmap)] == [
        "cut",
        "unreadable",
        None,
        "cut",
        "pictures",
    ]


def test_subrip_text_saved_on_windows_is_read_as_windows_1252(tmp_path: Path) -> None:
    # FFmpeg refuses text that is not UTF-8, and SubRip files made on Windows often are in
    # Windows-1252: muxed as they were, the whole track was lost without a word.
    lines = ["Été à la plage, ça va? Noël", "Deuxième ligne «guillemets» \u2013 fin"]
    tracks = [
        Subtitles(
            "subrip",
            packets=[(100 + 500 * i, line.encode("cp1252")) for i, line in enumerate(lines)],
            language="fre",
        ),
        Subtitles("subrip", packets=[(100, "Grüße aus Köln".encode())], language="ger"),
    ]
    source = transcode_media.subtitled(tmp_path / "cp1252.mkv", container="matroska", tracks=tracks)
    output = tmp_path / "out"

    french, german = run(source, output).subtitles

    assert [cue.text for cue in cues_of(output, french)] == lines
    assert french.note == "read as Windows-1252: its text is not UTF-8"
    # UTF-8 text is left as it is, and said nothing of.
    assert [cue.text for cue in cues_of(output, german)] == ["Grüße aus Köln"]
    assert german.note is None


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


def latin1_title_mkv(directory: Path) -> Path:
    """An MKV whose subtitle title is Latin-1, not UTF-8 (old files have such tags)."""
    track = Subtitles("subrip", cues=[(0.1, 0.5, "hi")], language="eng", title="Cafe TITLE")
    path = transcode_media.subtitled(directory / "latin1.mkv", container="matroska", tracks=[track])
    data = path.read_bytes()
    assert data.count(b"Cafe TITLE") == 1
    path.write_bytes(data.replace(b"Cafe TITLE", "Café TITLE".encode("latin-1")))
    return path


def test_tags_in_another_encoding_do_not_stop_the_transcode(tmp_path: Path) -> None:
    result = run(latin1_title_mkv(tmp_path), tmp_path / "out")

    (subtitle,) = result.subtitles
    assert subtitle.language == "en"
    assert subtitle.label == "Caf\ufffd TITLE"
    assert cues_of(tmp_path / "out", subtitle) == [Cue(0.1, 0.5, "hi")]


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


def test_the_job_trusts_no_track_the_sandboxed_transcoder_reports(tmp_path: Path) -> None:
    vtt = b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nok\n"
    output = tmp_path / "out"
    captions = output / "captions"
    captions.mkdir(parents=True)
    for name in ("en", "und", "it", "EN!"):
        (captions / f"{name}.vtt").write_bytes(vtt)
    (tmp_path / "secret.vtt").write_bytes(vtt)
    (captions / "de.vtt").symlink_to(tmp_path / "secret.vtt")
    (captions / "fr.vtt").write_bytes(b"not a caption file")
    (captions / "es.vtt").write_bytes(vtt + b"x" * CAPTION_MAX_BYTES)
    reports = [
        SubtitleResult(1, "srt", "en", vtt="captions/en.vtt"),
        SubtitleResult(2, "srt", "de", vtt="captions/de.vtt"),  # a link out of the output
        SubtitleResult(3, "srt", "fr", vtt="captions/fr.vtt"),  # not WebVTT
        SubtitleResult(4, "srt", "en", vtt="../secret.vtt"),  # not its own file
        SubtitleResult(5, "srt", "EN!", vtt="captions/EN!.vtt"),  # not a language tag
        SubtitleResult(6, "srt", "it", label="two\nlines", vtt="captions/it.vtt"),
        SubtitleResult(7, "srt", "es", vtt="captions/es.vtt"),  # larger than allowed
        SubtitleResult(8, "dvdsub", "ja", note="dvdsub subtitles have no text to keep"),
        SubtitleResult(9, "webvtt", "und", vtt="captions/und.vtt"),
    ]

    tracks = extracted_tracks(str(uuid.uuid4()), output, reports)

    assert [(track.language, track.label, track.cues) for track in tracks] == [
        ("en", None, [Cue(0.0, 1.0, "ok")]),
        ("und", UNDETERMINED_LABEL, [Cue(0.0, 1.0, "ok")]),
    ]


#: The upload of every end-to-end test: a SubRip stream in French, titled.
FRENCH = Subtitles("subrip", cues=SOURCE_CUES, language="fre", title="Français")
ENGLISH = Subtitles("subrip", cues=[(0.2, 0.8, "Hi")], language="eng")


async def upload_source(rig: Rig, source: Path) -> str:
    """Upload ``source``; its item's id (a transcode is queued for it)."""
    uploaded = await rig.upload(source.read_bytes(), filename=source.name)
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["processing_state"] == "queued"
    return str(uploaded.json()["id"])


async def ready(rig: Rig, media_id: str) -> dict[str, Any]:
    """The item once its transcode is done (failing the test if it failed)."""
    item, _ = await wait_for_state(rig, media_id, {"ready", "failed"})
    assert item["processing_state"] == "ready", item["processing_detail"]
    # The job lists the item's tracks in the master playlist right after it reports ready.
    languages = {track["language"] for track in item["captions"]}

    def listed() -> bool:
        master = rig.object_bytes("media", f"{media_id}/hls/master.m3u8").decode()
        return set(subtitles_media(master)) == languages

    await eventually(listed, "the master playlist listing the item's caption tracks")
    return item


async def get_ok(rig: Rig, url: str, content_type: str) -> str:
    """A file under the stream token, checked for its type."""
    response = await rig.client.get(url)
    assert response.status_code == 200, (url, response.text)
    assert response.headers["content-type"].startswith(content_type), url
    return response.text


def subtitles_media(master: str) -> dict[str, str]:
    """The master playlist's subtitle renditions by language; every variant names them."""
    media = {
        line.split('LANGUAGE="', 1)[1].split('"', 1)[0]: line
        for line in master.splitlines()
        if line.startswith("#EXT-X-MEDIA:TYPE=SUBTITLES,")
    }
    variants = [line for line in master.splitlines() if line.startswith("#EXT-X-STREAM-INF:")]
    assert variants
    assert all(line.endswith(',SUBTITLES="subs"') for line in variants) == bool(media)
    return media


async def test_a_subrip_stream_becomes_a_caption_track_the_master_playlist_lists(
    rig_factory: RigFactory, tmp_path: Path
) -> None:
    source = transcode_media.subtitled(tmp_path / "film.mkv", container="matroska", tracks=[FRENCH])
    async with rig_factory(worker_in_process=True, **fast_transcoding()) as rig:
        media_id = await upload_source(rig, source)

        item = await ready(rig, media_id)

        assert item["captions"] == [{"language": "fr", "label": "Français", "source": "embedded"}]
        token = await rig.client.post(f"{CATALOGUE}/{media_id}/stream-token", headers=rig.viewer())
        assert token.status_code == 200, token.text
        grant = token.json()
        url = f"{grant['stream_url']}/captions/fr.vtt"
        assert grant["captions"] == [{"language": "fr", "label": "Français", "url": url}]
        vtt = await get_ok(rig, url, "text/vtt")
        assert parse_caption_file(vtt.encode()) == EXPECTED_CUES
        master = await get_ok(rig, grant["hls_url"], "application/vnd.apple.mpegurl")
        french = subtitles_media(master)["fr"]
        assert 'NAME="Français"' in french and 'URI="../captions/fr.m3u8"' in french
        playlist_url = urljoin(grant["hls_url"], "../captions/fr.m3u8")
        playlist = await get_ok(rig, playlist_url, "application/vnd.apple.mpegurl")
        assert "fr.vtt" in playlist.splitlines()
        assert await get_ok(rig, urljoin(playlist_url, "fr.vtt"), "text/vtt") == vtt


async def test_the_admin_is_told_which_of_the_files_subtitles_were_not_kept(
    rig_factory: RigFactory, tmp_path: Path
) -> None:
    # A DVD's subtitles are pictures: the item is ready and plays, but its admin must know
    # the Japanese track is not there, and how to give its viewers one.
    bitmap = Subtitles("dvdsub", packets=[(100, b"\x00\x10garbage")], language="jpn")
    source = transcode_media.subtitled(
        tmp_path / "dvd.mkv", container="matroska", tracks=[FRENCH, bitmap]
    )
    async with rig_factory(worker_in_process=True, **fast_transcoding()) as rig:
        media_id = await upload_source(rig, source)

        item = await ready(rig, media_id)

        assert [track["language"] for track in item["captions"]] == ["fr"]
        assert item["processing_detail"] == (
            f"the file's subtitles in {language_name('ja')} are pictures, not text (DVD or "
            "Blu-ray): add them as a caption file"
        )


def test_losses_are_told_one_line_a_kind_named_by_language() -> None:
    subtitles = [
        SubtitleResult(0, "dvdsub", "de", lost="pictures"),
        SubtitleResult(1, "hdmv_pgs_subtitle", "en", lost="pictures"),
        SubtitleResult(2, "subrip", "fr", vtt="captions/fr.vtt", lost="cut"),
        SubtitleResult(3, "subrip", "it", vtt="captions/it.vtt"),
        SubtitleResult(4, "subrip", "en", note="another subtitle stream has the language en"),
    ]
    assert subtitle_losses(subtitles) == [
        "the file's subtitles in Deutsch, English are pictures, not text (DVD or Blu-ray): "
        "add them as a caption file",
        "the file's subtitles in Français were cut short at the caption limits",
    ]
    assert subtitle_losses(subtitles[3:]) == []


async def test_an_uploaded_track_of_the_language_wins_over_the_embedded_one(
    rig_factory: RigFactory, tmp_path: Path
) -> None:
    source = transcode_media.subtitled(
        tmp_path / "film.mkv", container="matroska", tracks=[FRENCH, ENGLISH]
    )
    settings = fast_transcoding()  # both apps share the queue: the second one's worker runs the job
    async with rig_factory(**settings) as rig:  # no worker: the job waits in the queue
        media_id = await upload_source(rig, source)
        put = await rig.client.put(
            f"/api/v1/ingest/items/{media_id}/captions/fr",
            params={"label": "Mine"},
            content=b"1\n00:00:00,100 --> 00:00:00,900\nMon texte\n",
            headers={**rig.admin(), "Content-Type": "application/x-subrip"},
        )
        assert put.status_code == 200, put.text

    async with rig_factory(worker_in_process=True, **settings) as rig:
        item = await ready(rig, media_id)

        tracks = {track["language"]: track for track in item["captions"]}
        assert tracks == {
            "fr": {"language": "fr", "label": "Mine", "source": "upload"},
            "en": {"language": "en", "label": "English", "source": "embedded"},
        }
        stored = rig.object_bytes("media", f"{media_id}/captions/fr.vtt")
        assert parse_caption_file(stored) == [Cue(0.1, 0.9, "Mon texte")]
        english = rig.object_bytes("media", f"{media_id}/captions/en.vtt")
        assert parse_caption_file(english) == [Cue(0.2, 0.8, "Hi")]
        master = rig.object_bytes("media", f"{media_id}/hls/master.m3u8").decode()
        assert set(subtitles_media(master)) == {"fr", "en"}


async def test_an_mp4_indexed_at_its_end_keeps_its_mov_text_through_faststart(
    rig_factory: RigFactory, tmp_path: Path
) -> None:
    track = Subtitles("mov_text", cues=SOURCE_CUES, language="eng")
    source = transcode_media.subtitled(tmp_path / "clip.mp4", container="mp4", tracks=[track])
    boxes = ingest_media.top_level_boxes(source.read_bytes())
    assert boxes.index(b"mdat") < boxes.index(b"moov")  # ingest rewrites it, index first
    async with rig_factory(worker_in_process=True, **fast_transcoding()) as rig:
        media_id = await upload_source(rig, source)

        item = await ready(rig, media_id)

        original = rig.object_bytes("media", item["s3_key"])
        boxes = ingest_media.top_level_boxes(original)
        assert boxes.index(b"moov") < boxes.index(b"mdat")
        assert item["captions"] == [{"language": "en", "label": "English", "source": "embedded"}]
        english = rig.object_bytes("media", f"{media_id}/captions/en.vtt")
        assert parse_caption_file(english) == EXPECTED_CUES


async def test_an_upload_with_tags_in_another_encoding_is_accepted(
    rig_factory: RigFactory, tmp_path: Path
) -> None:
    async with rig_factory(**fast_transcoding()) as rig:
        await upload_source(rig, latin1_title_mkv(tmp_path))
