"""The language and title of a source's stream (subtitle or audio), as our tracks name them.

Languages come from the stream's ``language`` tag in its canonical spelling
(:func:`~streamstack.contracts.languages.canonical_language`: ``fre`` → ``fr``, ``pt_br`` →
``pt-BR``, so an upload of ``fr`` is the same caption track), and a missing or malformed tag
is ``und``. A title becomes a label only when it is one printable line.
"""

from __future__ import annotations

from streamstack.contracts.languages import canonical_language
from streamstack.contracts.limits import CAPTION_LABEL_MAX

UNDETERMINED = "und"


def language_tag(raw: str | None) -> str:
    """A caption language tag (``CaptionLanguage``) for a stream's ``language`` metadata."""
    return canonical_language((raw or "").strip()) or UNDETERMINED


def one_line(raw: str | None, limit: int) -> str | None:
    """A file's title for something (a stream, a chapter) as one printable line of at most
    ``limit`` characters, its runs of white space made one space; None if nothing is left
    or it holds other control characters."""
    line = " ".join((raw or "").split())[:limit].strip()
    return line if line.isprintable() and line else None


def track_label(raw: str | None) -> str | None:
    """A caption label (``CaptionLabel``) from a stream's ``title``: one line, or None."""
    return one_line(raw, CAPTION_LABEL_MAX)
