"""Search that finds what people type: every word, anywhere, with one typo forgiven.

A query is split into words; an item matches when its ``search_text`` (title, description
and tags, lower-cased) contains every word. A word of :data:`FUZZY_MIN` to
:data:`FUZZY_MAX` letters also matches with one typo — one letter replaced, added, dropped,
or two neighbours swapped ("glaicer" finds "glacier"); :func:`edits` lists those variants.
Both backends answer from a trigram index:
- PostgreSQL: each word is ONE regular expression (the variants' alternation, ``~``) that
  ``pg_trgm``'s GIN index on ``search_text`` answers and rechecks in a single pass;
- SQLite: the FTS5 table with the trigram tokenizer (:data:`FTS_TABLE`) first finds the
  items holding a literal piece of each word; only those items, reached by primary key,
  are then tested with the variants' ``LIKE`` patterns.
Results are ranked by relevance: an exact word in the title counts most, then an exact
word elsewhere, then a forgiven typo.
"""

from __future__ import annotations

import dataclasses
import functools
import re

from sqlalchemy import ColumnElement, Integer, case, literal, or_, select, text
from sqlalchemy.sql.elements import TextClause

from streamstack.catalogue.models import MediaItemRow
from streamstack.kernel.db import escape_like

#: Words shorter than this must match exactly: one typo in four letters is another word.
FUZZY_MIN = 5
#: Longer words must match exactly too (a word that long is a name or a code; this also
#: bounds the size of the SQL and of PostgreSQL's regular expression).
FUZZY_MAX = 32
#: Only the first words are typo-tolerant; later ones must match exactly (bounds the SQL).
FUZZY_WORDS = 6
#: The trigram tokenizer indexes runs of three characters: shorter pieces cannot use it.
TRIGRAM = 3
#: SQLite's FTS5 table (trigram tokenizer) mirroring ``media_items.search_text``.
FTS_TABLE = "media_search"
#: PostgreSQL's trigram index on ``media_items.search_text``.
TRIGRAM_INDEX = "ix_media_items_search_text_trgm"

_WORD = re.compile(r"\S+")


def edits(word: str) -> list[tuple[str, ...]]:
    """``word`` and its one-edit variants, exact first, each as the literal pieces that
    one unknown letter separates (``("gla", "cer")`` is gla?cer).

    A variant whose unknown letter would stand first or last is left out: every text
    holding it holds a shorter variant already (``?laicer`` holds ``laicer``).
    """
    if len(word) < FUZZY_MIN or len(word) > FUZZY_MAX:
        return [(word,)]
    found: set[tuple[str, ...]] = set()
    for i in range(len(word)):
        head, rest = word[:i], word[i + 1 :]
        found.add((head + rest,))  # a letter too many
        if i > 0:
            found.add((head, word[i:]))  # a letter the query lacks
            if rest:
                found.add((head, rest))  # a wrong letter
        if rest:
            found.add((word[:i] + rest[0] + word[i] + rest[1:],))  # two neighbours swapped
    found.discard((word,))
    return [(word,), *sorted(found)]


def variants(word: str) -> list[str]:
    """``LIKE`` patterns (unanchored, escaped) of ``word`` and of every one-edit variant."""
    return ["%" + "_".join(escape_like(piece) for piece in edit) + "%" for edit in edits(word)]


def regex(word: str) -> str:
    """One POSIX regular expression (PostgreSQL's ``~``) matching what :func:`variants`
    match: a single condition the trigram index answers, instead of one per variant."""
    return "|".join(".".join(_regex_literal(piece) for piece in edit) for edit in edits(word))


def _regex_literal(text_: str) -> str:
    """``text_`` matching itself: ASCII punctuation escaped (a backslash before a letter
    or digit would be a class escape)."""
    return "".join("\\" + c if c.isascii() and not c.isalnum() else c for c in text_)


def fts_pieces(word: str) -> list[str]:
    """Literal pieces of ``word`` such that every item matching one of its variants holds
    at least one of them; empty when no such set of ≥3-letter pieces exists."""
    if len(word) < FUZZY_MIN or len(word) > FUZZY_MAX:
        return _literal(word)
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

    def conditions(self, dialect: str = "sqlite") -> list[ColumnElement[bool]]:
        """Every word (or, for long ones, a one-typo variant) is in ``search_text``: one
        regular expression per word on PostgreSQL, ``LIKE`` patterns elsewhere."""
        return list(_conditions(self.words, dialect == "postgresql"))

    def relevance(self) -> ColumnElement[int]:
        """Per word: 4 in the title, 2 exactly elsewhere, 1 for a forgiven typo."""
        return _relevance(self.words)

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


# The SQL of a search is built once per distinct query (SQLAlchemy's expressions are
# immutable and may be shared): building dozens of patterns cost a millisecond a request.
@functools.lru_cache(maxsize=256)
def _conditions(words: tuple[str, ...], postgresql: bool) -> tuple[ColumnElement[bool], ...]:
    column = MediaItemRow.search_text
    found: list[ColumnElement[bool]] = []
    for index, word in enumerate(words):
        fuzzy = index < FUZZY_WORDS
        if postgresql:
            found.append(column.regexp_match(regex(word) if fuzzy else _regex_literal(word)))
            continue
        patterns = variants(word) if fuzzy else [f"%{escape_like(word)}%"]
        found.append(or_(*(column.like(p, escape="\\") for p in patterns)))
    return tuple(found)


@functools.lru_cache(maxsize=256)
def _relevance(words: tuple[str, ...]) -> ColumnElement[int]:
    score: ColumnElement[int] = literal(0, Integer)
    for word in words:
        exact = f"%{escape_like(word)}%"
        score = score + case(
            (MediaItemRow.title_key.like(exact, escape="\\"), 4),
            (MediaItemRow.search_text.like(exact, escape="\\"), 2),
            else_=1,
        )
    return score


def _literal(word: str) -> list[str]:
    return [word] if len(word) >= TRIGRAM else []


def _fts() -> TextClause:
    return text(FTS_TABLE)


def _fts_match(expression: str) -> TextClause:
    return text(f"{FTS_TABLE} MATCH :fts_match").bindparams(fts_match=expression)
