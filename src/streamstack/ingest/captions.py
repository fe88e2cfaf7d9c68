"""Caption files: WebVTT or SubRip in, cues out; cues in, WebVTT we wrote ourselves out.

An uploaded caption file is untrusted text a browser will parse, so it is checked before
anything of it is kept: its size before a byte is parsed, then UTF-8 (an optional BOM),
UTF-16 with its BOM, or the encoding the uploader says it was saved in (one of
``contracts.caption_encodings``: another encoding is refused rather than guessed), no NUL or
other control bytes, every timestamp well formed and in range, every cue ending after it
starts, and the number of cues and the length of each cue's text capped. A refusal of a cue
names the line of its timing line, as an editor counts lines; a file of another subtitle
format (ASS/SSA, TTML, SAMI …) is refused by the format it looks like, saying which formats
are read. Nothing uses a regular expression that can backtrack: the patterns are linear and
only ever see one bounded token. What is stored is never the uploader's bytes but
:func:`render_webvtt` of the parsed cues, so the file a player reads is always WebVTT in the
one shape this module writes.

Cue text is WebVTT cue text: WebVTT's own markup (``<i>``, ``<b>``, ``<v Name>`` …) is kept,
as the browser renders only its fixed set of elements; SubRip's ``<i>``, ``<b>`` and ``<u>``
are kept, its other tags (``<font …>``) and ``{\\an8}`` overrides dropped, and its text
escaped. Cue settings (position, alignment) are not kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence

import msgspec

from streamstack.contracts.caption_encodings import CaptionEncoding
from streamstack.contracts.limits import (
    CAPTION_CUE_TEXT_MAX,
    CAPTION_MAX_BYTES,
    CAPTION_TIME_MAX,
    MAX_CAPTION_CUES,
)

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
#: C0 controls but tab, line feed and carriage return, and DEL: never in a caption.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]")
#: C1 controls: what a byte a code page leaves undefined reads as (WHATWG).
_C1_CONTROL = re.compile(r"[\x80-\x9f]")
_ARROW = "-->"
#: The longest timestamp token read (``99999:59:59.999``): longer ones are refused unread.
_TIMESTAMP_MAX = 16
#: ``[hh:]mm:ss.ttt`` (WebVTT: hours two digits or more) and ``hh:mm:ss,ttt`` (SubRip).
_VTT_TIME = re.compile(r"(?:([0-9]{2,5}):)?([0-9]{2}):([0-9]{2})\.([0-9]{3})")
_SRT_TIME = re.compile(r"([0-9]{1,5}):([0-9]{2}):([0-9]{2})[,.]([0-9]{3})")
_SRT_COUNTER = re.compile(r"[0-9]{1,9}")
#: One SubRip tag or one ``{\...}`` override: no nesting, no backtracking.
_SRT_MARKUP = re.compile(r"(</?[A-Za-z][^<>\n]*>|\{\\[^{}\n]*\})")
_SRT_KEPT_TAGS = frozenset({"<i>", "</i>", "<b>", "</b>", "<u>", "</u>"})
#: How much of a file's first line tells its format.
_SNIFFED = 64
#: ``0:00:01.000,0:00:03.000``: the timing line of YouTube's SBV.
_SBV_TIMING = re.compile(
    r"[0-9]{1,2}:[0-9]{2}:[0-9]{2}\.[0-9]{3},[0-9]{1,2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}"
)
#: ``{1}{25}``: a MicroDVD cue's frame numbers.
_MICRODVD_FRAMES = re.compile(r"\{[0-9]{1,9}\}\{[0-9]{0,9}\}")
#: Subtitle formats people upload that are neither WebVTT nor SubRip, by their first line.
_OTHER_FORMATS: tuple[tuple[Callable[[str], bool], str], ...] = (
    (
        lambda line: line.lower() in {"[script info]", "[v4+ styles]", "[v4 styles]", "[events]"},
        "an ASS/SSA (Advanced SubStation Alpha) file",
    ),
    (lambda line: line.lower().startswith(("<?xml", "<tt")), "a TTML/DFXP (XML) file"),
    (lambda line: line.lower().startswith("<sami"), "a SAMI (.smi) file"),
    (lambda line: line.startswith("Scenarist_SCC"), "a Scenarist (.scc) file"),
    (lambda line: line.upper() == "[INFORMATION]", "a SubViewer (.sub) file"),
    (lambda line: _MICRODVD_FRAMES.match(line) is not None, "a MicroDVD (.sub) file"),
    (lambda line: _SBV_TIMING.fullmatch(line) is not None, "a YouTube SBV (.sbv) file"),
)


class Cue(msgspec.Struct, frozen=True):
    """One caption: shown from ``start`` to ``end`` (seconds), ``text`` as WebVTT cue text."""

    start: float
    end: float
    text: str


class CaptionRefused(Exception):
    """A caption file that is not accepted: ``code`` for programs, ``detail`` for people.

    ``too_large`` is the one refusal about size (HTTP 413); every other code is about the
    content (HTTP 422).
    """

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail

    @property
    def status(self) -> int:
        """The HTTP status this refusal answers with."""
        return 413 if self.code == "caption_too_large" else 422


def parse_caption_file(data: bytes, encoding: CaptionEncoding | None = None) -> list[Cue]:
    """The cues of a WebVTT or SubRip file (sniffed from its first line), in file order;
    its bytes read in ``encoding``, else as UTF-8 or UTF-16 with its BOM.

    Raises :class:`CaptionRefused` for anything else; never another exception.
    """
    lines = _caption_lines(data, encoding)
    first = lines[0] if lines else ""
    if first == "WEBVTT" or first.startswith(("WEBVTT ", "WEBVTT\t")):
        cues = list(_webvtt_cues(lines))
    else:
        _refuse_other_formats(lines)
        cues = list(_subrip_cues(lines))
    if not cues:
        raise CaptionRefused("caption_empty", "the caption file has no cues")
    return cues


def render_webvtt(cues: Iterable[Cue]) -> bytes:
    """A WebVTT file of ``cues``, in the order given, UTF-8 without a BOM.

    Control characters and blank text lines are dropped and ``-->`` is escaped, as WebVTT
    cue text may hold none of them (cues decoded from an upload's subtitle stream may); the
    result parses back (:func:`parse_caption_file`) to the same cues when their text
    already followed those rules and their times are whole milliseconds.
    """
    blocks = ["WEBVTT"]
    for cue in cues:
        lines = cue.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        cleaned = (_CONTROL.sub("", line).replace(_ARROW, "--&gt;") for line in lines)
        text = "\n".join(line for line in cleaned if line.strip())
        timing = f"{_vtt_timestamp(cue.start)} {_ARROW} {_vtt_timestamp(cue.end)}"
        blocks.append(f"{timing}\n{text}" if text else timing)
    return ("\n\n".join(blocks) + "\n").encode("utf-8", "replace")


def _vtt_timestamp(seconds: float) -> str:
    """``hh:mm:ss.ttt`` of a time in seconds, rounded to the millisecond."""
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    whole, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{whole:02d}.{millis:03d}"


def _caption_lines(data: bytes, encoding: CaptionEncoding | None) -> list[str]:
    """The file's lines, after the size, encoding and control-character checks."""
    if len(data) > CAPTION_MAX_BYTES:
        raise CaptionRefused(
            "caption_too_large",
            f"a caption file may have at most {CAPTION_MAX_BYTES} bytes; this one has {len(data)}",
        )
    if encoding is None or encoding.label == "utf-8" or _says_its_unicode(data):
        text = _caption_text(data)
    else:
        text = _text_in(data, encoding)
    if _CONTROL.search(text) is not None:
        raise CaptionRefused(
            "caption_binary", "this is not a text file (it contains control characters)"
        )
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _says_its_unicode(data: bytes) -> bool:
    """Whether the file names its encoding or can only be UTF-8, whatever its uploader
    chose: a byte-order mark, or text beyond ASCII that is valid UTF-8 (a code page's
    accented letters almost never are; read in the code page it came out garbled, with
    no preview on the command line to show it)."""
    if data.startswith((_UTF8_BOM, *_UTF16_BOMS)):
        return True
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _caption_text(data: bytes) -> str:
    """The file's text: UTF-8 (an optional BOM), or UTF-16 said by its BOM (Windows
    Notepad's "Unicode", which names its byte order, so nothing is guessed)."""
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise CaptionRefused(
                "caption_encoding",
                "the file starts as UTF-16 but is not UTF-16 text (save the file as UTF-8)",
            ) from None
    if b"\x00" in data:
        raise CaptionRefused("caption_binary", "this is not a text file (it contains NUL bytes)")
    try:
        return data.removeprefix(_UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError as error:
        raise CaptionRefused(
            "caption_encoding",
            f"this file is not UTF-8 (byte {error.start} is not): choose the encoding it was "
            "saved in, such as Windows-1252, or save it as UTF-8",
        ) from None


def _text_in(data: bytes, encoding: CaptionEncoding) -> str:
    """The file's text read in the encoding its uploader named (not UTF-8, which is read
    as a file without one is)."""
    try:
        text = data.decode(encoding.codec)
    except UnicodeDecodeError as error:
        raise CaptionRefused(
            "caption_encoding",
            f"this file is not {encoding.name}: byte {error.start} is not a character in "
            "it (choose the encoding the file was saved in)",
        ) from None
    # A browser reads bytes a code page leaves undefined as C1 controls; Python refuses
    # most, and a few (Shift_JIS's 0x80) it reads alike: none is in a caption.
    if (control := _C1_CONTROL.search(text)) is not None:
        raise CaptionRefused(
            "caption_encoding",
            f"this file is not {encoding.name}: character {control.start()} is a control "
            "character in it (choose the encoding the file was saved in)",
        )
    return text


def _refuse_other_formats(lines: Sequence[str]) -> None:
    """Refuse a subtitle file of a format we do not read (``caption_format``), named by
    what its first line looks like, rather than as a SubRip file with no timing line."""
    first = next((line.strip() for line in lines if line.strip()), "")
    apparent = next(
        (name for looks_like, name in _OTHER_FORMATS if looks_like(first[:_SNIFFED])), None
    )
    if apparent is not None:
        raise CaptionRefused(
            "caption_format",
            f"this looks like {apparent}, which is not read here: caption files must be "
            "WebVTT (.vtt) or SRT (.srt), and ASS/SSA styling is not supported. Convert it "
            "first (ffmpeg -i captions.ass captions.srt keeps the text and times)",
        )


def _blocks(lines: Sequence[str]) -> Iterator[tuple[int, list[str]]]:
    """Runs of non-blank lines, each with the 1-based number of its first line."""
    block: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not block:
                start = number
            block.append(line)
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def _webvtt_cues(lines: Sequence[str]) -> Iterator[Cue]:
    """The cues of a WebVTT file (its header block, notes, styles and regions skipped)."""
    blocks = _blocks(lines)
    next(blocks, None)  # the WEBVTT line and any header lines under it
    count = 0
    for number, block in blocks:
        if block[0].split(maxsplit=1)[0] in {"NOTE", "STYLE", "REGION"}:
            continue
        timing_at = 0 if _ARROW in block[0] else 1
        if timing_at >= len(block) or _ARROW not in block[timing_at]:
            raise CaptionRefused(
                "caption_syntax", f"line {number}: a cue needs a timing line (start --> end)"
            )
        timing_line = number + timing_at  # what a refusal of the cue names
        text_lines = block[timing_at + 1 :]
        arrow = next((at for at, line in enumerate(text_lines, 1) if _ARROW in line), None)
        if arrow is not None:
            raise CaptionRefused(
                "caption_syntax", f"line {timing_line + arrow}: cue text may not contain '-->'"
            )
        start, end = _timing(block[timing_at], _VTT_TIME, timing_line)
        count = _counted(count)
        yield _checked_cue(start, end, "\n".join(text_lines), timing_line)


def _subrip_cues(lines: Sequence[str]) -> Iterator[Cue]:
    """The cues of a SubRip file: counter line, timing line, text lines, blank line."""
    count = 0
    for number, block in _blocks(lines):
        timing_at = 1 if _SRT_COUNTER.fullmatch(block[0].strip()) else 0
        if timing_at >= len(block) or _ARROW not in block[timing_at]:
            raise CaptionRefused(
                "caption_syntax",
                f"line {number}: not a caption file: caption files must be WebVTT (a first "
                "line WEBVTT) or SRT (a cue number, then a line 'start --> end')",
            )
        timing_line = number + timing_at  # what a refusal of the cue names
        start, end = _timing(block[timing_at], _SRT_TIME, timing_line)
        text = "\n".join(_subrip_text(line) for line in block[timing_at + 1 :])
        count = _counted(count)
        yield _checked_cue(start, end, text, timing_line)


def _subrip_text(line: str) -> str:
    """One SubRip text line as WebVTT cue text: i/b/u kept, other markup dropped, escaped."""
    parts = []
    for index, part in enumerate(_SRT_MARKUP.split(line)):
        if index % 2 == 1:  # a tag or override (split keeps the captured separators)
            tag = part.lower().replace(" ", "")
            parts.append(tag if tag in _SRT_KEPT_TAGS else "")
        else:
            parts.append(part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    return "".join(parts)


def _timing(line: str, pattern: re.Pattern[str], number: int) -> tuple[float, float]:
    """``(start, end)`` of a timing line; cue settings after the end time are ignored."""
    left, _, right = line.partition(_ARROW)
    right_tokens = right.split(maxsplit=1)
    if not right_tokens:
        raise CaptionRefused("caption_timing", f"line {number}: the cue has no end time")
    return _seconds(left.strip(), pattern, number), _seconds(right_tokens[0], pattern, number)


def _seconds(token: str, pattern: re.Pattern[str], number: int) -> float:
    """A timestamp token in seconds, or :class:`CaptionRefused` naming the line."""
    match = pattern.fullmatch(token) if len(token) <= _TIMESTAMP_MAX else None
    if match is None:
        shown = token if len(token) <= _TIMESTAMP_MAX else token[:_TIMESTAMP_MAX] + "…"
        raise CaptionRefused("caption_timing", f"line {number}: {shown!r} is not a timestamp")
    hours, minutes, seconds, millis = (int(group or 0) for group in match.groups())
    if minutes > 59 or seconds > 59:
        raise CaptionRefused(
            "caption_timing", f"line {number}: minutes and seconds go up to 59 in {token!r}"
        )
    return (hours * 3_600_000 + minutes * 60_000 + seconds * 1000 + millis) / 1000


def _counted(count: int) -> int:
    """One more cue, refused past :data:`MAX_CAPTION_CUES`."""
    if count >= MAX_CAPTION_CUES:
        raise CaptionRefused(
            "caption_too_many_cues", f"a caption file may have at most {MAX_CAPTION_CUES} cues"
        )
    return count + 1


def _checked_cue(start: float, end: float, text: str, number: int) -> Cue:
    """The cue, once its times are in order and in range and its text within the cap;
    ``number`` is the line of its timing line, which a refusal names."""
    if end <= start:
        raise CaptionRefused("caption_timing", f"line {number}: a cue must end after it starts")
    if end > CAPTION_TIME_MAX:
        raise CaptionRefused(
            "caption_timing", f"line {number}: cues end at {CAPTION_TIME_MAX} s at the latest"
        )
    if len(text) > CAPTION_CUE_TEXT_MAX:
        raise CaptionRefused(
            "caption_cue_too_long",
            f"line {number}: a cue's text may have at most {CAPTION_CUE_TEXT_MAX} characters",
        )
    return Cue(start, end, text)
