"""The HLS side of captions, without I/O: the master playlist's subtitles group and the
one-segment subtitle playlist of a track."""

from __future__ import annotations

from streamstack.contracts.catalogue import CaptionTrack
from streamstack.ingest.transcoding.playlists import subtitle_playlist, with_subtitles

MASTER = (
    "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=426x240,"
    'CODECS="avc1.42c015,mp4a.40.2"\n240p/index.m3u8\n'
    "#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=854x480,"
    'CODECS="avc1.4d401e,mp4a.40.2"\n480p/index.m3u8\n'
)


def test_the_group_lists_each_track_and_every_variant_names_it() -> None:
    tracks = [CaptionTrack("de", "Deutsch"), CaptionTrack("en", "English", "embedded")]
    lines = with_subtitles(MASTER, tracks).splitlines()
    media = [line for line in lines if line.startswith("#EXT-X-MEDIA:")]
    assert media == [
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Deutsch",LANGUAGE="de",'
        'DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="../captions/de.m3u8"',
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",'
        'DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="../captions/en.m3u8"',
    ]
    # The group is declared before the variants that refer to it.
    assert lines.index(media[-1]) < min(
        index for index, line in enumerate(lines) if line.startswith("#EXT-X-STREAM-INF:")
    )
    variants = [line for line in lines if line.startswith("#EXT-X-STREAM-INF:")]
    assert len(variants) == 2
    assert all(line.endswith(',SUBTITLES="subs"') for line in variants)


def test_rewriting_replaces_the_group_and_no_tracks_remove_it() -> None:
    once = with_subtitles(MASTER, [CaptionTrack("en", "English")])
    assert with_subtitles(once, [CaptionTrack("en", "English")]) == once
    changed = with_subtitles(once, [CaptionTrack("fr", "Français")])
    assert "en.m3u8" not in changed and changed.count("#EXT-X-MEDIA:") == 1
    assert changed.count('SUBTITLES="subs"') == 2
    assert with_subtitles(changed, []) == MASTER


def test_names_are_unique_and_quoted_safely() -> None:
    tracks = [CaptionTrack("en", 'Say "hi"'), CaptionTrack("en-GB", 'Say "hi"')]
    master = with_subtitles(MASTER, tracks)
    assert 'NAME="Say \'hi\'",LANGUAGE="en"' in master
    assert 'NAME="Say \'hi\' (en-GB)",LANGUAGE="en-GB"' in master


def test_a_label_with_a_line_break_of_any_kind_stays_on_its_line() -> None:
    # A name stored before labels were checked for them; each rewrite re-reads the master.
    hostile = "a\u2028#EXT-X-STREAM-INF:BANDWIDTH=1\u2029https://evil.example/p.m3u8\x85x"
    master = with_subtitles(MASTER, [CaptionTrack("fr", hostile)])
    again = with_subtitles(master, [CaptionTrack("fr", hostile), CaptionTrack("de", "Deutsch")])
    for text in (master, again):
        variants = [line for line in text.split("\n") if line.startswith("#EXT-X-STREAM-INF:")]
        assert len(variants) == 2 and "evil" not in "".join(variants)
        assert not any(line.startswith("https://") for line in text.split("\n"))
        assert all(separator not in text for separator in ("\u2028", "\u2029", "\x85"))
    assert with_subtitles(again, []) == MASTER


def test_a_subtitle_playlist_is_one_segment() -> None:
    assert subtitle_playlist("pt-BR", 61.5) == (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:62\n#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:61.500,\npt-BR.vtt\n#EXT-X-ENDLIST\n"
    )
    assert "#EXT-X-TARGETDURATION:1\n" in subtitle_playlist("en", 0.0)
