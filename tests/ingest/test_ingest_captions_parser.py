"""The caption parser and writer, without any I/O: what is accepted, what is refused and why."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamstack.contracts.limits import (
    CAPTION_CUE_TEXT_MAX,
    CAPTION_MAX_BYTES,
    MAX_CAPTION_CUES,
)
from streamstack.ingest.captions import CaptionRefused, Cue, parse_caption_file, render_webvtt

WEBVTT = b"""WEBVTT - a title

NOTE a comment
over two lines

STYLE
::cue { color: yellow }

intro
00:01.000 --> 00:02.500 align:start position:10%
Hello <i>there</i>
second line

01:00:00.000 --> 01:00:01.000
<v Roger>At an hour
"""

SUBRIP = b"""1
00:00:01,000 --> 00:00:02,500
Hello <i>there</i> & <font color="red">you</font>

2
00:00:03,000 --> 00:00:04,000 X1:10 X2:20
{\\an8}a < b > c

"""


def test_webvtt_cues_in_file_order() -> None:
    assert parse_caption_file(WEBVTT) == [
        Cue(1.0, 2.5, "Hello <i>there</i>\nsecond line"),
        Cue(3600.0, 3601.0, "<v Roger>At an hour"),
    ]


def test_subrip_is_converted_to_webvtt_text() -> None:
    assert parse_caption_file(SUBRIP) == [
        Cue(1.0, 2.5, "Hello <i>there</i> &amp; you"),
        Cue(3.0, 4.0, "a &lt; b &gt; c"),
    ]


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbf" + WEBVTT,
        WEBVTT.replace(b"\n", b"\r\n"),
        WEBVTT.replace(b"\n", b"\r"),
        # Windows Notepad's "Unicode" (little-endian) and "Unicode big endian": the BOM says it.
        b"\xff\xfe" + WEBVTT.decode().replace("\n", "\r\n").encode("utf-16-le"),
        b"\xfe\xff" + WEBVTT.decode().encode("utf-16-be"),
    ],
    ids=["bom", "crlf", "cr", "utf-16-le", "utf-16-be"],
)
def test_bom_and_line_endings(data: bytes) -> None:
    assert parse_caption_file(data) == parse_caption_file(WEBVTT)


def test_subrip_without_counters_and_with_dots() -> None:
    assert parse_caption_file(b"00:00:01.000 --> 00:00:02.000\nhi\n") == [Cue(1.0, 2.0, "hi")]


def test_cue_without_text() -> None:
    assert parse_caption_file(b"WEBVTT\n\n00:01.000 --> 00:02.000\n") == [Cue(1.0, 2.0, "")]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "caption_empty"),
        (b"WEBVTT\n", "caption_empty"),
        (b"WEBVTT\n\nNOTE only a note\n", "caption_empty"),
        (b"\xff\xfeW\x00E\x00\x00\xd8", "caption_encoding"),  # a lone surrogate: not UTF-16
        ("WEBVTT\n\n00:01.000 --> 00:02.000\na\x00b\n".encode("utf-16"), "caption_binary"),
        ("WEBVTT\n\n00:01.000 --> 00:02.000\ncaf\xe9\n".encode("latin-1"), "caption_encoding"),
        (b"WEBVTT\n\n00:01.000 --> 00:02.000\na\x00b\n", "caption_binary"),
        (b"WEBVTT\n\n00:01.000 --> 00:02.000\na\x1bb\n", "caption_binary"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "caption_binary"),
        (b"just some text\nand more\n", "caption_syntax"),
        (b"1\n00:00:01,000 -> 00:00:02,000\nhi\n", "caption_syntax"),
        (b"WEBVTT\n\nan id\nno timing here\n", "caption_syntax"),
        (b"WEBVTT\n\n00:01.000 --> 00:02.000\na --> b\n", "caption_syntax"),
        (b"WEBVTT\n\n00:02.000 --> 00:01.000\nbackwards\n", "caption_timing"),
        (b"WEBVTT\n\n00:01.000 --> 00:01.000\nempty span\n", "caption_timing"),
        (b"WEBVTT\n\n00:61.000 --> 01:02.000\nsixty-one\n", "caption_timing"),
        (b"WEBVTT\n\n0:01.000 --> 00:02.000\none digit\n", "caption_timing"),
        (b"WEBVTT\n\n00:01,000 --> 00:02,000\ncomma\n", "caption_timing"),
        (b"WEBVTT\n\n00:01.000 -->\nno end\n", "caption_timing"),
        (b"1\n00:00:01,000 --> 00:00:02\nno millis\n", "caption_timing"),
        (b"1\n" + b"9" * 5000 + b":00:01,000 --> 00:00:02,000\nhuge\n", "caption_timing"),
        (b"1\n99999:00:00,000 --> 99999:00:01,000\nlate\n", "caption_timing"),
        (b"WEBVTT\n\n" + b"x" * (CAPTION_MAX_BYTES + 1), "caption_too_large"),
    ],
)
def test_refused(data: bytes, code: str) -> None:
    with pytest.raises(CaptionRefused) as refused:
        parse_caption_file(data)
    assert refused.value.code == code
    assert refused.value.detail
    assert refused.value.status == (413 if code == "caption_too_large" else 422)


#: Files with one bad cue, as lines: the timing line a refusal must name is marked ``<<``.
BACKWARDS = {
    "srt numbered, blank lines": [
        "1",
        "00:00:01,000 --> 00:00:02,000",
        "one",
        "",
        "",
        "",
        "2",
        "00:00:05,000 --> 00:00:03,000 <<",
        "backwards",
        "",
    ],
    "srt unnumbered, two-line text": [
        "",
        "00:00:01,000 --> 00:00:02,000",
        "one",
        "two",
        "   ",
        "00:00:04,000 --> 00:00:04,000 <<",
        "empty span",
    ],
    "vtt with ids and a note": [
        "WEBVTT",
        "",
        "NOTE a note",
        "",
        "intro",
        "00:01.000 --> 00:02.000",
        "a",
        "",
        "",
        "cue-2",
        "00:05.000 --> 00:04.000 align:start <<",
        "backwards",
    ],
    "vtt without ids": [
        "WEBVTT",
        "",
        "00:01.000 --> 00:02.000",
        "a",
        "",
        "00:00:09.000 --> 00:00:08.000 <<",
    ],
}


@pytest.mark.parametrize("lines", BACKWARDS.values(), ids=BACKWARDS.keys())
@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "bom"])
def test_a_cue_ending_before_it_starts_is_refused_at_its_timing_line(
    lines: list[str], line_end: str, bom: bytes
) -> None:
    """The line an editor shows (1-based) of the bad cue's timing line, whatever comes
    before it: a cue number or id, blank lines, a BOM, CR LF line ends."""
    marked = next(number for number, line in enumerate(lines, 1) if line.endswith(" <<"))
    text = line_end.join(line.removesuffix(" <<") for line in lines)
    with pytest.raises(CaptionRefused) as refused:
        parse_caption_file(bom + text.encode())
    assert refused.value.code == "caption_timing"
    assert refused.value.detail == f"line {marked}: a cue must end after it starts"


def test_refusals_of_a_cue_name_its_lines() -> None:
    srt = b"1\r\n00:00:01,000 --> 00:00:02,000\r\n" + b"x" * (CAPTION_CUE_TEXT_MAX + 1)
    with pytest.raises(CaptionRefused, match=r"^line 2: a cue's text"):
        parse_caption_file(srt)
    vtt = b"WEBVTT\n\nid\n00:01.000 --> 00:02.000\nfine\na --> b\n"
    with pytest.raises(CaptionRefused, match=r"^line 6: cue text may not contain"):
        parse_caption_file(vtt)


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (b"[Script Info]\nTitle: x\nScriptType: v4.00+\n\n[Events]\n", "ASS/SSA"),
        (b"\xef\xbb\xbf\r\n[Script Info]\r\n; an SSA file\r\n", "ASS/SSA"),
        (b"[V4+ Styles]\nFormat: Name\n", "ASS/SSA"),
        (b'<?xml version="1.0"?>\n<tt xmlns="http://www.w3.org/ns/ttml">', "TTML"),
        (b"<SAMI>\n<BODY>\n", "SAMI"),
        (b"{1}{25}Hello|world\n", "MicroDVD"),
        (b"Scenarist_SCC V1.0\n\n00:00:00:22\t9420\n", "Scenarist"),
        (b"[INFORMATION]\n[TITLE]x\n", "SubViewer"),
        (b"0:00:01.000,0:00:02.000\nHello\n", "SBV"),
    ],
)
def test_other_subtitle_formats_are_named(data: bytes, named: str) -> None:
    with pytest.raises(CaptionRefused) as refused:
        parse_caption_file(data)
    assert refused.value.code == "caption_format"
    assert refused.value.status == 422
    assert named in refused.value.detail
    for accepted in ("WebVTT (.vtt)", "SRT (.srt)", "ASS/SSA styling is not supported"):
        assert accepted in refused.value.detail


def test_text_of_no_known_format_says_what_is_read() -> None:
    with pytest.raises(CaptionRefused) as refused:
        parse_caption_file(b"\n\njust some text\n")
    assert refused.value.code == "caption_syntax"
    assert refused.value.detail.startswith("line 3: not a caption file: ")
    assert "WebVTT" in refused.value.detail
    assert "SRT" in refused.value.detail


def test_cue_count_is_capped() -> None:
    cue = b"00:01.000 --> 00:02.000\n\n"
    data = b"WEBVTT\n\n" + cue * (MAX_CAPTION_CUES + 1)
    assert len(data) <= CAPTION_MAX_BYTES
    with pytest.raises(CaptionRefused) as refused:
        parse_caption_file(data)
    assert refused.value.code == "caption_too_many_cues"
    assert len(parse_caption_file(b"WEBVTT\n\n" + cue * MAX_CAPTION_CUES)) == MAX_CAPTION_CUES


def test_cue_text_is_capped() -> None:
    timing = b"WEBVTT\n\n00:01.000 --> 00:02.000\n"
    assert parse_caption_file(timing + b"x" * CAPTION_CUE_TEXT_MAX)[0].text
    with pytest.raises(CaptionRefused) as refused:
        parse_caption_file(timing + b"x" * (CAPTION_CUE_TEXT_MAX + 1))
    assert refused.value.code == "caption_cue_too_long"


def test_render_writes_the_one_shape() -> None:
    rendered = render_webvtt([Cue(1.0, 2.5, "a\n\n  \nb --> c\r\nd\x00"), Cue(3723.004, 3724, "")])
    assert rendered == (
        b"WEBVTT\n\n00:00:01.000 --> 00:00:02.500\na\nb --&gt; c\nd\n\n"
        b"01:02:03.004 --> 01:02:04.000\n"
    )


def test_subrip_round_trips_through_webvtt() -> None:
    cues = parse_caption_file(SUBRIP)
    assert parse_caption_file(render_webvtt(cues)) == cues


# --- properties -------------------------------------------------------------------------


@settings(max_examples=300)
@given(st.binary(max_size=2048))
def test_random_bytes_are_parsed_or_refused(data: bytes) -> None:
    try:
        parse_caption_file(data)
    except CaptionRefused as refused:
        code = refused.code
    else:
        code = "caption_accepted"
    assert code.startswith("caption_")


_PIECES = st.sampled_from(
    [
        b"WEBVTT\n",
        b"\n",
        b"\r\n",
        b"1\n",
        b"00:01.000",
        b"00:00:01,000",
        b" --> ",
        b"-->",
        b"NOTE ",
        b"<i>",
        b"</i>",
        b"{\\an8}",
        b"&",
        b"x",
        b"\xc3\xa9",
        b"\xff",
        b"99:59:59.999",
    ]
)


@settings(max_examples=300)
@given(st.lists(_PIECES, max_size=60))
def test_caption_shaped_bytes_are_parsed_or_refused(pieces: list[bytes]) -> None:
    try:
        cues = parse_caption_file(b"".join(pieces))
    except CaptionRefused:
        return
    assert all(cue.end > cue.start for cue in cues)


_LINE = st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=40).filter(
    lambda line: bool(line.strip()) and "-->" not in line and line.split("\n") == [line]
)


@st.composite
def _cues(draw: st.DrawFn) -> Cue:
    start = draw(st.integers(0, 10_000_000 - 1))
    end = draw(st.integers(start + 1, min(start + 100_000, 10_000_000)))
    text = "\n".join(draw(st.lists(_LINE, max_size=4)))
    return Cue(start / 1000, end / 1000, text)


@settings(max_examples=200)
@given(st.lists(_cues(), min_size=1, max_size=20))
def test_render_then_parse_is_the_same_cues(cues: list[Cue]) -> None:
    assert parse_caption_file(render_webvtt(cues)) == cues
