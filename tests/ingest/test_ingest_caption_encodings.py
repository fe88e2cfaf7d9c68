"""Caption files saved in an encoding their uploader names: read as the browser reads them,
to the same cues as the file saved as UTF-8; a byte not in the encoding refused."""

from __future__ import annotations

import codecs

import pytest

from streamstack.contracts.caption_encodings import (
    CAPTION_ENCODING_BY_LABEL,
    CAPTION_ENCODINGS,
)
from streamstack.ingest.captions import CaptionRefused, parse_caption_file

#: A line of each encoding's language, every character of it in the encoding.
SAMPLES = {
    "utf-8": "Ünïcödé ✓ 😀",
    "windows-1252": "Où est la bibliothèque ? Ça coûte 5 € — « déjà »",
    "windows-1250": "Příliš žluťoučký kůň úpěl ďábelské ódy; Zażółć gęślą jaźń",
    "windows-1251": "Съешь же ещё этих мягких французских булок, да выпей чаю",
    "windows-1253": "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία",
    "windows-1254": "Pijamalı hasta yağız şoföre çabucak güvendi",  # noqa: RUF001
    "windows-1255": "דג סקרן שט בים מאוכזב ולפתע מצא חברה",
    "windows-1256": "صِف خلقَ خودِ كمثلِ الشمسِ إذ بزغت",
    "windows-1257": "Įlinkdama fechtuotojo špaga sublykčiojusi; Ģēģis",
    "windows-1258": "Tôi yêu tiếng nước tôi từ khi mới ra đời",
    "shift_jis": "いろはにほへと ちりぬるを カタカナ 漢字・①",
    "gbk": "我能吞下玻璃而不伤身体。€",
    "big5": "我能吞下玻璃而不傷身體。",
    "euc-kr": "나는 유리를 먹을 수 있어요. 똠방각하",
}


def subrip(text: str) -> str:
    return f"1\r\n00:00:01,000 --> 00:00:02,500\r\n{text}\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\n<i>{text}</i>\r\n"


def test_every_encoding_has_a_sample() -> None:
    assert set(SAMPLES) == {encoding.label for encoding in CAPTION_ENCODINGS}
    for encoding in CAPTION_ENCODINGS:
        codecs.lookup(encoding.codec)  # a codec Python has


@pytest.mark.parametrize("label", list(SAMPLES))
def test_a_file_in_its_encoding_reads_as_the_utf8_file_does(label: str) -> None:
    encoding = CAPTION_ENCODING_BY_LABEL[label]
    text = subrip(SAMPLES[label])
    if label == "windows-1258":  # Vietnamese in 1258 is written with combining marks
        text = text.replace("ế", "ê\u0301").replace("ừ", "ư\u0300").replace("ớ", "ơ\u0301")
        text = text.replace("ờ", "ơ\u0300").replace("ư\u0301", "ứ")
    data = text.encode(encoding.codec)
    assert data != text.encode("utf-8") or label == "utf-8"
    expected = parse_caption_file(text.encode("utf-8"))
    assert parse_caption_file(data, encoding) == expected
    assert expected[0].text.endswith(text.split("\r\n")[2][-3:])


def test_without_an_encoding_a_code_page_file_is_refused_with_the_choice_named() -> None:
    data = subrip(SAMPLES["windows-1251"]).encode("cp1251")
    with pytest.raises(CaptionRefused) as refused:
        parse_caption_file(data)
    assert refused.value.code == "caption_encoding"
    assert "choose the encoding it was saved in" in refused.value.detail


@pytest.mark.parametrize(
    ("label", "data"),
    [
        # Undefined in Windows-1252: a browser reads a C1 control, which no caption holds.
        ("windows-1252", b"1\n00:00:01,000 --> 00:00:02,000\ncaf\x81\n"),
        ("windows-1251", b"1\n00:00:01,000 --> 00:00:02,000\n\x98\n"),
        ("shift_jis", b"1\n00:00:01,000 --> 00:00:02,000\n\x82\n"),  # a lead byte alone
        ("gbk", b"1\n00:00:01,000 --> 00:00:02,000\n\xfe\x39\n"),
        ("euc-kr", b"1\n00:00:01,000 --> 00:00:02,000\n\xc9\n"),
    ],
)
def test_a_byte_not_in_the_encoding_is_refused_by_name(label: str, data: bytes) -> None:
    encoding = CAPTION_ENCODING_BY_LABEL[label]
    with pytest.raises(CaptionRefused) as refused:
        parse_caption_file(data, encoding)
    assert refused.value.code == "caption_encoding"
    assert refused.value.detail.startswith(f"this file is not {encoding.name}: byte ")


@pytest.mark.parametrize("label", [e.label for e in CAPTION_ENCODINGS if e.label != "utf-8"])
def test_single_bytes_a_browser_reads_as_controls_are_refused(label: str) -> None:
    """WHATWG reads a byte a Windows code page leaves undefined as a C1 control (U+0080 …
    U+009F), and Shift_JIS's 0x80 as U+0080: no caption holds one, so the file is not in
    that encoding (the SPA's preview says the same)."""
    encoding = CAPTION_ENCODING_BY_LABEL[label]
    for byte in range(0x80, 0xA0):
        data = b"1\n00:00:01,000 --> 00:00:02,000\na" + bytes([byte]) + b"\n"
        try:
            text = parse_caption_file(data, encoding)[0].text
        except CaptionRefused as refused:
            code = refused.code
        else:
            code = "read"
            assert not any("\x80" <= char <= "\x9f" for char in text), (label, hex(byte))
        assert code in {"caption_encoding", "caption_syntax", "read"}, (label, hex(byte))


def test_controls_in_a_code_page_file_are_still_refused() -> None:
    data = b"1\n00:00:01,000 --> 00:00:02,000\n\xe0\x1b\n"
    with pytest.raises(CaptionRefused) as refused:
        parse_caption_file(data, CAPTION_ENCODING_BY_LABEL["windows-1251"])
    assert refused.value.code == "caption_binary"


@pytest.mark.parametrize(
    "data",
    [
        subrip(SAMPLES["windows-1251"]).encode("utf-8"),
        b"\xef\xbb\xbf" + subrip(SAMPLES["windows-1251"]).encode("utf-8"),
        b"\xff\xfe" + subrip(SAMPLES["windows-1251"]).encode("utf-16-le"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-bom"],
)
def test_a_file_that_can_only_be_unicode_is_read_so_whatever_was_chosen(data: bytes) -> None:
    """The CLI shows no preview: a UTF-8 file added with ``--encoding windows-1251`` was
    stored garbled, and one with a byte-order mark refused as no caption."""
    expected = parse_caption_file(subrip(SAMPLES["windows-1251"]).encode("utf-8"))
    assert parse_caption_file(data, CAPTION_ENCODING_BY_LABEL["windows-1251"]) == expected
