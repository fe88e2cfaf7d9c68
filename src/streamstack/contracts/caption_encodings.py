"""The encodings a caption file may be said to be saved in, defined once.

Many ``.srt`` files are saved in a Windows code page, not UTF-8, and guessing which one is
unreliable on short files, so an admin says which (as VLC and Subtitle Edit ask). Each is
a WHATWG encoding label, the one a browser's ``TextDecoder`` takes (the SPA previews the
file in it before sending), with the Python codec that reads the same characters and a
name for people. The route's ``encoding`` parameter states the labels and names in the
OpenAPI, from which the SPA's list is generated.

The codecs are the ones that read as Chromium's ``TextDecoder`` does, compared byte by byte
(every single byte, every two-byte pair; tests/e2e/test_caption_encodings_agree.py): the
Windows code pages alike, except that a byte a code page leaves undefined (0x81 in
Windows-1252), which a browser reads as a C1 control, is refused here (and by the SPA's
preview), and Windows-1255's 0xCA (a Hebrew point Python does not read) is refused here
alone; ``shift_jis`` is Windows'
cp932 and ``euc-kr`` its Unified Hangul Code (cp949), both read alike (Python reads
Shift_JIS's 0xA0 and 0xFD-0xFF as private-use characters, which a browser refuses);
``gbk`` is the GB18030 decoder, where Python reads some twenty pairs as private-use
characters that GB18030-2022 made vertical punctuation, and refuses 0x80 (€);
``big5`` is Big5 with the Hong Kong additions (big5hkscs), of which Python lacks about two
hundred of the rarer characters. ``utf-8`` named is read as a file without a name is.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from streamstack.kernel.patterns import whole


class CaptionEncoding(NamedTuple):
    """One encoding a caption file may be saved in."""

    label: str
    """The WHATWG label: what the API takes and the browser's ``TextDecoder`` reads."""
    name: str
    """What a person chooses from: "Cyrillic (Windows-1251)"."""
    codec: str
    """The Python codec that reads the same characters."""


CAPTION_ENCODINGS: tuple[CaptionEncoding, ...] = (
    CaptionEncoding("utf-8", "Unicode (UTF-8)", "utf-8"),
    CaptionEncoding("windows-1252", "Western European (Windows-1252)", "cp1252"),
    CaptionEncoding("windows-1250", "Central European (Windows-1250)", "cp1250"),
    CaptionEncoding("windows-1251", "Cyrillic (Windows-1251)", "cp1251"),
    CaptionEncoding("windows-1253", "Greek (Windows-1253)", "cp1253"),
    CaptionEncoding("windows-1254", "Turkish (Windows-1254)", "cp1254"),
    CaptionEncoding("windows-1255", "Hebrew (Windows-1255)", "cp1255"),
    CaptionEncoding("windows-1256", "Arabic (Windows-1256)", "cp1256"),
    CaptionEncoding("windows-1257", "Baltic (Windows-1257)", "cp1257"),
    CaptionEncoding("windows-1258", "Vietnamese (Windows-1258)", "cp1258"),
    CaptionEncoding("shift_jis", "Japanese (Shift_JIS)", "cp932"),
    CaptionEncoding("gbk", "Simplified Chinese (GBK, GB18030)", "gb18030"),
    CaptionEncoding("big5", "Traditional Chinese (Big5)", "big5hkscs"),
    CaptionEncoding("euc-kr", "Korean (EUC-KR)", "cp949"),
)
#: The encodings by label.
CAPTION_ENCODING_BY_LABEL = {encoding.label: encoding for encoding in CAPTION_ENCODINGS}
#: The labels, as a pattern the route's parameter must match.
CAPTION_ENCODING_LABEL = whole(
    "(" + "|".join(re.escape(label) for label in CAPTION_ENCODING_BY_LABEL) + ")",
    "one of the caption encodings " + ", ".join(CAPTION_ENCODING_BY_LABEL),
)
