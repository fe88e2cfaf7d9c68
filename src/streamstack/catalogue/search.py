"""Search that finds what people type: every word, anywhere, with one typo forgiven.

A query is split into words; an item matches when its ``search_text`` (title, description
and tags, lower-cased) contains every word. A word of :data:`FUZZY_MIN` letters or more
also matches with one typo — one letter replaced, added, dropped, or two neighbours
swapped ("glaicer" finds "glacier") — by expanding it into the ``LIKE`` patterns of its
one-edit variants. Both backends answer those patterns from a trigram index: PostgreSQL's
``pg_trgm`` GIN index on ``search_text``, SQLite's FTS5 table with the trigram tokenizer
(:data:`FTS_TABLE`), which first narrows the items to those holding a literal piece of
each word. Results are ranked by relevance: an exact word in the title counts most, then
an exact word elsewhere, then a forgiven typo.
"""

from __future__ import annotations

import dataclasses
import re

from sqlalchemy import ColumnElement, Integer, case, literal, or_, select, text
from sqlalchemy.sql.elements import TextClause

from streamstack.catalogue.models import MediaItemRow
from streamstack.kernel.db import escape_like

#: Words shorter than this must match exactly: one typo in four letters is another word.
FUZZY_MIN = 5
#: Only the first words are typo-tolerant; later ones must match exactly (bounds the SQL).
FUZZY_WORDS = 6
#: The trigram tokenizer indexes runs of three characters: shorter pieces cannot use it.
TRIGRAM = 3
#: SQLite's FTS5 table (trigram tokenizer) mirroring ``media_items.search_text``.
FTS_TABLE = "media_search"
#: PostgreSQL's trigram index on ``media_items.search_text``.
TRIGRAM_INDEX = "ix_media_items_search_text_trgm"

_WORD = re.compile(r"\S+")


def variants(word: str) -> list[str]:
    """``LIKE`` patterns (unanchored, escaped) of ``word`` and of every one-edit variant."""
    exact = escape_like(word)
    if len(word) < FUZZY_MIN:
        return [f"%{exact}%"]
    found = {exact}
    for i in range(len(word) + 1):
        head, tail = escape_like(word[:i]), escape_like(word[i:])
        found.add(f"{head}_{tail}")  # a letter the query lacks
        if i < len(word):
            found.add(f"{head}_{escape_like(word[i + 1 :])}")  # a wrong letter
            found.add(f"{head}{escape_like(word[i + 1 :])}")  # a letter too many
        if i + 1 < len(word):
            swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            found.add(escape_like(swapped))  # two neighbours swapped
    return [f"%{pattern}%" for pattern in sorted(found)]


def fts_pieces(word: str) -> list[str]:
    """Literal pieces of ``word`` such that every item matching one of its variants holds
    at least one of them; empty when no such set of ≥3-letter pieces exists."""
    if len(word) < FUZZY_MIN:
        return [word] if len(word) >= TRIGRAM else []
    # One edit spans at most two neighbouring letters; what lies before or after it is
    # intact, and one of the two is at least half of the rest.
    pieces: set[str] = set()
    for start in range(len(word)):
        before, after = word[:start], word[start + 2 :]
        longest = before if len(before) >= len(after) else after
        if len(longest) < TRIGRAM:
            return []
        pieces.add(longest)
    # An item holding a piece holds every piece inside it: the shortest ones suffice.
    return sorted(p for p in pieces if not any(q != p and q in p for q in pieces))


@dataclasses.dataclass(frozen=True, slots=True)
class SearchQuery:
    """The words of one search, and the SQL they become."""

    words: tuple[str, ...]

    @classmethod
    def parse(cls, text_: str) -> SearchQuery:
        """The distinct lower-cased words of what was typed, in order."""
        words = dict.fromkeys(w for w in _WORD.findall(text_.lower()) if "\x00" not in w)
        return cls(tuple(words))

    def __bool__(self) -> bool:
        return bool(self.words)

    def _patterns(self, index: int, word: str) -> list[str]:
        return variants(word) if index < FUZZY_WORDS else [f"%{escape_like(word)}%"]

    def conditions(self) -> list[ColumnElement[bool]]:
        """Every word (or, for long ones, a one-typo variant) is in ``search_text``."""
        column = MediaItemRow.search_text
        return [
            or_(*(column.like(p, escape="\\") for p in self._patterns(i, w)))
            for i, w in enumerate(self.words)
        ]

    def relevance(self) -> ColumnElement[int]:
        """Per word: 4 in the title, 2 exactly elsewhere, 1 for a forgiven typo."""
        score: ColumnElement[int] = literal(0, Integer)
        for word in self.words:
            exact = f"%{escape_like(word)}%"
            score = score + case(
                (MediaItemRow.title_key.like(exact, escape="\\"), 4),
                (MediaItemRow.search_text.like(exact, escape="\\"), 2),
                else_=1,
            )
        return score

    def fts_match(self) -> str | None:
        """An FTS5 MATCH expression every matching item satisfies (SQLite's index), or
        None when some word has no piece the trigram index can look up."""
        clauses = []
        for index, word in enumerate(self.words):
            pieces = fts_pieces(word) if index < FUZZY_WORDS else _literal(word)
            if not pieces:
                return None
            quoted = " OR ".join('"' + piece.replace('"', '""') + '"' for piece in pieces)
            clauses.append(f"({quoted})")
        return " AND ".join(clauses)

    def sqlite_prefilter(self) -> ColumnElement[bool] | None:
        """``media_items.id`` among the FTS5 hits, when the index can narrow the search."""
        match = self.fts_match()
        if match is None:
            return None
        hits = select(text("media_id")).select_from(_fts()).where(_fts_match(match))
        return MediaItemRow.id.in_(hits)


def _literal(word: str) -> list[str]:
    return [word] if len(word) >= TRIGRAM else []


def _fts() -> TextClause:
    return text(FTS_TABLE)


def _fts_match(expression: str) -> TextClause:
    return text(f"{FTS_TABLE} MATCH :fts_match").bindparams(fts_match=expression)
