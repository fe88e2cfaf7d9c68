"""Text as people search it: one folding of case and accents that every module compares
by (the catalogue's search, the admins' user list), so "cafe" finds "Café" everywhere."""

from __future__ import annotations

import re
import unicodedata

#: Combining marks that are accents (the combining diacritical marks blocks): a letter
#: without them is the letter people type. Other scripts' marks (kana voicing, Indic vowel
#: signs, Arabic vowels) make another letter, and stay.
_ACCENTS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\ufe20-\ufe2f]")
#: Latin letters no decomposition splits, as a keyboard without them writes them.
_UNSPLIT_LETTERS = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d"})


def fold(text_: str) -> str:
    """``text_`` as search compares it: compatibility forms decomposed (ﬁ → fi, ² → 2),
    case folded (ß → ss), accents dropped (é → e), what is left recomposed (Hangul,
    kana). Stored text and queries are folded alike; ``fold(fold(t)) == fold(t)``."""
    # NFKD again after casefold: folding can yield what decomposes further (İ → i̇).
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text_).casefold())
    bare = unicodedata.normalize("NFC", _ACCENTS.sub("", decomposed))
    return bare.translate(_UNSPLIT_LETTERS)


def mib(size: int) -> str:
    """``size`` bytes as messages about disk space say it: ``"1,024.0 MiB"``."""
    return f"{size / 2**20:,.1f} MiB"
