"""Search that finds what people type: every word, anywhere, with one typo forgiven.

Both sides are folded alike (:func:`fold`): the stored ``search_text`` (title, description
and tags) and the query, so case and accents never decide a match ("cafe" finds "Café",
"strasse" finds "Straße"). A query is split into words; an item matches when its text
contains every word, anywhere (inside a longer word too: "transcod"). A word of
:data:`FUZZY_MIN` to :data:`FUZZY_MAX` letters also matches with one typo — one letter
replaced, added, dropped, or two neighbours swapped ("glaicer" finds "glacier") — but only
at the start of a word (:data:`WORD_SEPARATORS`), so a variant does not land inside an
unrelated longer word ("creme" less its "c" is in "extremely"); :func:`edits` lists those
variants. Both backends answer from a trigram index:
- PostgreSQL: each word is ONE regular expression (the word, or a variant after a word
  start, ``~``) tested on the items ``pg_trgm``'s GIN index on ``search_text`` finds;
- SQLite: the FTS5 table with the trigram tokenizer (:data:`FTS_TABLE`) first finds the
  items holding a literal piece of each word; only those items, reached by primary key,
  are then tested with the word's ``GLOB`` patterns.
Results are ranked by relevance: an exact word in the title counts most (more as a whole
word of it than as part of one: "1" finds "Episode 1" before "Episode 100"; most of all
when the title is the query itself), then an exact word elsewhere, then a forgiven typo.
A whole word of the title is told by ``title_words`` (:func:`title_words`: " the cat sat "),
where it stands between two spaces, which one ``LIKE '% cat %'`` finds and both trigram
indexes answer (a space is a character of their trigrams).

A page is filled tier by tier (:meth:`SearchQuery.tiers`), so a search reads about as many
items as its page shows, not every item that matches: within a tier every item ranks
alike (or, for a tier of several words, few items are in it), so the tier is read in the
list's own order and the reading stops once the page is full.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    Uuid,
    and_,
    bindparam,
    case,
    column,
    false,
    literal,
    literal_column,
    not_,
    or_,
    select,
    table,
    text,
    true,
)
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import BindParameter, TextClause

from streamstack.catalogue.models import MediaItemRow
from streamstack.kernel.db import escape_like
from streamstack.kernel.text import fold

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
#: Its integer row keys, one per item (catalogue_0008): the FTS5 table is contentless.
FTS_KEYS = "media_search_keys"
#: PostgreSQL's trigram index on ``media_items.search_text``.
TRIGRAM_INDEX = "ix_media_items_search_text_trgm"
#: PostgreSQL's trigram index on ``media_items.title_key`` (catalogue_0008).
TITLE_TRIGRAM_INDEX = "ix_media_items_title_key_trgm"
#: PostgreSQL's trigram index on ``media_items.title_words`` (catalogue_0024).
WORDS_TRIGRAM_INDEX = "ix_media_items_title_words_trgm"

#: What ends a word before another starts, as code point ranges: ASCII's blanks and
#: punctuation, Latin-1's (« » ¿ …), and the general and CJK punctuation blocks (— “ 、).
#: Everything else (letters and digits of every script, emoji) is inside a word.
WORD_SEPARATORS = (
    ("\t", "\r"),
    (" ", "/"),
    (":", "@"),
    ("[", "`"),
    ("{", "~"),
    ("\u00a0", "\u00bf"),
    ("\u2000", "\u206f"),
    ("\u3000", "\u3004"),
    ("\u3008", "\u3020"),
)

_WORD = re.compile(r"\S+")


def title_order(key: str) -> str:
    """A title's :func:`fold`-ed key (``catalogue.items.title_key``) as lists sort it: each
    run of digits led by its length in two digits, so that numbers sort by their value, as
    people count ("part 5" before "part 10", which characters alone put first). A
    200-character key has at most 100 runs: the order is at most 400 characters."""
    return DIGITS.sub(lambda digits: counted_number(digits[0]), key)


#: A run of digits of a title (ASCII: a folded title's other digits sort as letters).
DIGITS = re.compile(r"[0-9]+")


def title_words(key: str) -> str:
    """A title's :func:`fold`-ed key (``catalogue.items.title_key``) as search tells its
    whole words: every one of :data:`WORD_SEPARATORS` a space, and a space at each end
    (" the cat flap fixes " for "The cat-flap fixes"). A word the title holds whole is then
    exactly one that stands between two spaces: ``LIKE '% cat %'``, which a trigram index
    answers, where the separators' class needs a regular expression (or ``GLOB``) no
    index narrows. Two characters longer than the key."""
    return f" {_separators().sub(' ', key)} "


def counted_number(digits: str) -> str:
    """A run of digits as :func:`title_order` writes it: its length, then the number."""
    number = digits.lstrip("0") or "0"
    return f"{min(len(number), 99):02d}{number}"


def edits(word: str) -> list[tuple[str, ...]]:
    """``word`` and its one-edit variants, exact first, each as the literal pieces that
    one unknown letter separates (``("gla", "cer")`` is gla?cer).

    Every variant keeps the word's first letter: a typo there reads as another word, and
    such variants met words that merely share the rest ("creme" less its "c" is the
    start of "remedy"). A letter the query lacks after its last is left out: a variant
    matches the beginning of a word, and a word beginning ``glacier?`` begins with
    ``glacier``, which the word itself finds.
    """
    if not forgives_typos(word):
        return [(word,)]
    found: set[tuple[str, ...]] = set()
    for i in range(1, len(word)):
        head, rest = word[:i], word[i + 1 :]
        found.add((head + rest,))  # a letter too many
        found.add((head, word[i:]))  # a letter the query lacks
        found.add((head, rest))  # a wrong letter
        if rest:
            found.add((head + rest[0] + word[i] + rest[1:],))  # two neighbours swapped
    found.discard((word,))
    return [(word,), *sorted(found)]


def forgives_typos(word: str) -> bool:
    """Whether a typo of ``word`` is forgiven: a word of :data:`FUZZY_MIN` to
    :data:`FUZZY_MAX` letters without a digit. A number is not a typo of another number
    ("under-12" is not "under-14", "2024" not "2025"), and a code like "u12" is typed as
    it is meant."""
    return FUZZY_MIN <= len(word) <= FUZZY_MAX and not any(c.isdigit() for c in word)


def globs(word: str) -> list[str]:
    """SQLite's ``GLOB`` patterns of ``word``: the word itself anywhere, then each of its
    one-edit variants as the start of a word (a short one as a whole word)."""
    typos = (pattern for edit in edits(word)[1:] for pattern in _variant_globs(edit, word))
    return [f"*{_glob_literal(word)}*", *typos]


def _variant_globs(edit: tuple[str, ...], word: str) -> list[str]:
    """The ``GLOB`` patterns of one variant: at the text's start or after a separator,
    and followed by one too (or the text's end) if it matches whole words only."""
    variant = "?".join(_glob_literal(piece) for piece in edit)
    if not _whole(edit, word):
        return [f"{variant}*", f"*{_glob_separator()}{variant}*"]
    return _whole_word_globs(variant)


def _sqlite_match(column: QueryableAttribute[str], word: str) -> ColumnElement[bool]:
    """What :func:`globs` match, as SQLite runs it fast: the word anywhere, else a variant
    its ``LIKE`` finds anywhere, then placed (after a space, by ``LIKE`` too, else by its
    ``GLOB`` patterns).

    A ``GLOB`` whose class follows its ``*`` tries the class at every character (a
    search no index narrows took 8 s at 100,000 items, not 50 ms), while ``LIKE`` skips
    ahead to its first letter. CASE keeps that order: SQLite 3.40 evaluates every side
    of an AND or OR inside a value.
    """
    variants = [_sqlite_variant(column, edit, word) for edit in edits(word)[1:]]
    if not variants:  # a word that forgives no typo
        return _holds(column, word, postgresql=False)
    anywhere = or_(*(somewhere for somewhere, _ in variants))
    placed = or_(*(case((somewhere, at_start), else_=false()) for somewhere, at_start in variants))
    # The word itself first: a text holding it (most of those a search reads) is spared
    # its variants, several of which (glacie, glaci?r) it holds too.
    return case((_contains(column, word), true()), (not_(anywhere), false()), else_=placed)


def _sqlite_variant(
    column: QueryableAttribute[str], edit: tuple[str, ...], word: str
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Whether a text holds ``edit`` anywhere (``LIKE``), and, for a text that does,
    whether it holds it as :func:`_variant_globs` place it."""
    pattern = "_".join(map(escape_like, edit))
    somewhere = column.like(_inline(f"%{pattern}%"), "\\")
    placed = or_(*(column.bool_op("GLOB")(_inline(p)) for p in _variant_globs(edit, word)))
    if _whole(edit, word):
        return somewhere, placed
    # Most words start after a space, which LIKE finds without the GLOB's class.
    after_space = column.like(_inline(f"% {pattern}%"), "\\")
    return somewhere, case((after_space, true()), else_=placed)


def regex(word: str) -> str:
    """One POSIX regular expression (PostgreSQL's ``~``) matching what :func:`globs`
    match: a single condition per word, instead of one per variant."""
    exact, *typos = edits(word)
    if not typos:
        return _regex_variant(exact)
    starts = "|".join(_regex_variant(edit) for edit in typos if not _whole(edit, word))
    wholes = "|".join(_regex_variant(edit) for edit in typos if _whole(edit, word))
    separator = _regex_separator()
    if wholes:
        starts = f"{starts}|(?:{wholes})(?:$|{separator})"
    return f"{_regex_variant(exact)}|(?:^|{separator})(?:{starts})"


def _whole(edit: tuple[str, ...], word: str) -> bool:
    """Whether a variant matches whole words only: one shorter than :data:`FUZZY_MIN`
    (a five-letter word less a letter) as the start of longer words is another word's
    start ("creme" less its "m" would find "creek"); and one that changes only the
    word's last letter, dropped or another in its place: as a start it is a shorter
    search than the one typed ("goals" as "goal?" found every "Goalkeeper", "meetings"
    as "meeting" every "meetinghouse"), whole it is the typo or the plural meant."""
    short = sum(map(len, edit)) + len(edit) - 1 < FUZZY_MIN
    return short or "?".join(edit) in (word[:-1], word[:-1] + "?")


def _regex_variant(edit: tuple[str, ...]) -> str:
    return ".".join(_regex_literal(piece) for piece in edit)


def _regex_literal(text_: str) -> str:
    """``text_`` matching itself: ASCII punctuation escaped (a backslash before a letter
    or digit would be a class escape)."""
    return "".join("\\" + c if c.isascii() and not c.isalnum() else c for c in text_)


def _glob_literal(text_: str) -> str:
    """``text_`` matching itself in a ``GLOB`` pattern (which has no escape character:
    its wildcards stand alone in a class)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text_)


@functools.cache
def _glob_separator() -> str:
    """A ``GLOB`` class of :data:`WORD_SEPARATORS` (none is ``^`` or ``]`` at its start,
    where they would mean something else)."""
    return "[" + "".join(a if a == b else f"{a}-{b}" for a, b in WORD_SEPARATORS) + "]"


@functools.cache
def _separators() -> re.Pattern[str]:
    """Each one of :data:`WORD_SEPARATORS`."""
    return re.compile(_regex_separator())


@functools.cache
def _regex_separator() -> str:
    """A regular expression class of :data:`WORD_SEPARATORS`, in four-digit ``\\u`` escapes
    (``\\u00a0``), which PostgreSQL's and Python's expressions both read."""
    ranges = (
        f"\\u{ord(a):04x}" + ("" if a == b else f"-\\u{ord(b):04x}") for a, b in WORD_SEPARATORS
    )
    return "[" + "".join(ranges) + "]"


def fts_pieces(word: str) -> list[str]:
    """Literal pieces of ``word`` such that every item matching one of its variants holds
    at least one of them; empty when no such set of ≥3-letter pieces exists."""
    if not forgives_typos(word):
        return _literal(word)
    # One edit spans at most two neighbouring letters; what lies before or after it is
    # intact, and one of the two is at least half of the rest (long pieces: few items).
    pieces: set[str] = set()
    for start in range(len(word)):
        before, after = word[:start], word[start + 2 :]
        longest = before if len(before) >= len(after) else after
        if len(longest) >= TRIGRAM:
            pieces.add(longest)
    # Every variant must hold one: in a word of six letters, an edit of its middle two
    # leaves no intact side of three, yet the variant itself has a piece that long (two
    # neighbours swapped: the whole variant). Without one (five letters: "ab?de"), no
    # trigram narrows the word and the search reads every item.
    for edit in edits(word):
        if not any(piece in part for piece in pieces for part in edit):
            longest = max(edit, key=len)
            if len(longest) < TRIGRAM:
                return []
            pieces.add(longest)
    # An item holding a piece holds every piece inside it: the shortest ones suffice.
    return sorted(p for p in pieces if not any(q != p and q in p for q in pieces))


@dataclasses.dataclass(frozen=True, slots=True)
class SearchTier:
    """Items of one rank band: the page shows every item of a tier before the next one's."""

    #: Which matching items are in this tier (beside the list's own filters).
    conditions: tuple[ColumnElement[bool], ...]
    #: The relevance of every item of the tier, or its expression when items differ.
    relevance: int | ColumnElement[int]
    #: An FTS5 MATCH expression every item of the tier satisfies (SQLite's index finds
    #: them), or None when the trigram index cannot narrow the tier.
    fts: str | None
    #: Whether the next tier is told dense or sparse by the same walk of the list's head
    #: as this one (the two title tiers: one walk counts both).
    shares_sample: bool = False
    #: Whether later tiers are read only if this one leaves the page short. Not for a tier
    #: of a few items (the title that is the query itself): each tier a later one waits on
    #: is a reference to it in the later one's SQL, and SQLite prepares every reference
    #: anew, with those it holds (five tiers each waiting on all above took 120 ms to
    #: prepare, four 12 ms: every new search is a statement of its own).
    fills_pages: bool = True

    @property
    def ranked(self) -> bool:
        """Whether items of this tier differ in relevance (read whole, then ranked)."""
        return not isinstance(self.relevance, int)


@dataclasses.dataclass(frozen=True, slots=True)
class SearchQuery:
    """The words of one search, and the SQL they become."""

    words: tuple[str, ...]

    @classmethod
    def parse(cls, text_: str) -> SearchQuery:
        """The distinct words of what was typed, :func:`fold`-ed, in order."""
        words = dict.fromkeys(w for w in _WORD.findall(fold(text_)) if "\x00" not in w)
        return cls(tuple(words))

    def __bool__(self) -> bool:
        return bool(self.words)

    def conditions(self, dialect: str = "sqlite") -> list[ColumnElement[bool]]:
        """Every word is in ``search_text`` (or, for long ones, a one-typo variant begins
        one of its words): one regular expression per word on PostgreSQL, ``GLOB``
        patterns on SQLite, each tested only on items holding one of the word's pieces."""
        return list(_tested(self.words, dialect == "postgresql"))

    def relevance(self, dialect: str = "sqlite") -> ColumnElement[int]:
        """Per word: 5 a whole word of the title, 4 part of one, 2 exactly elsewhere, 1 for
        a forgiven typo; and 1 more if the title is the query (:meth:`title`)."""
        return _relevance(self.words, dialect == "postgresql")

    @property
    def title(self) -> str:
        """The title (as :func:`~streamstack.catalogue.items.title_key` keeps it) that is
        this query itself: its words, one space apart."""
        return " ".join(self.words)

    def tiers(self, dialect: str = "sqlite") -> tuple[SearchTier, ...]:
        """The rank bands of this search, best first; together they hold every match once.

        One word: the title itself (6), a whole word of another title (5), part of a word
        of one (4), exactly elsewhere (2), only with a typo (1).
        Several words: those with some word exact (ranked by :meth:`relevance`; every
        word must match, so they are few), then those where every word needed its typo
        forgiven.
        """
        return _tiers(self.words, dialect == "postgresql")

    def fts_match(self) -> str | None:
        """An FTS5 MATCH expression every matching item satisfies (SQLite's index): each
        word with pieces the trigram index can look up holds one of them; None when no
        word has such pieces."""
        clauses = []
        for index, word in enumerate(self.words):
            pieces = _word_pieces(index, word)
            if pieces:
                clauses.append("(" + " OR ".join(_quoted(piece) for piece in pieces) + ")")
        return " AND ".join(clauses) or None


def fts_hits(match: str) -> Select[tuple[Any]]:
    """The ids of the items the FTS5 expression ``match`` finds, from the index alone
    (the hits' row keys, then each key's item id)."""
    rows: Select[Any] = select(literal_column("rowid")).select_from(_fts())
    rows = rows.where(_fts_match(match))
    return select(_KEYS.c.media_id).where(_KEYS.c.key.in_(rows))


# The SQL of a search is built once per distinct query (SQLAlchemy's expressions are
# immutable and may be shared): building dozens of patterns cost a millisecond a request.
@functools.lru_cache(maxsize=256)
def _conditions(words: tuple[str, ...], postgresql: bool) -> tuple[ColumnElement[bool], ...]:
    column = MediaItemRow.search_text
    found: list[ColumnElement[bool]] = []
    for index, word in enumerate(words):
        fuzzy = index < FUZZY_WORDS
        if postgresql:
            found.append(_postgresql_match(column, word) if fuzzy else _holds(column, word, True))
            continue
        # GLOB for the variants: a word's start is a character class, which LIKE lacks
        # (and the text is folded, so GLOB's case-sensitivity loses nothing).
        found.append(_sqlite_match(column, word) if fuzzy else _holds(column, word, False))
    return tuple(found)


def _postgresql_match(column: QueryableAttribute[str], word: str) -> ColumnElement[bool]:
    """What :func:`regex` matches, the word itself tested first (as on SQLite): a text
    holding it (most of those a search reads) is spared a regular expression of its
    many variants."""
    if len(edits(word)) == 1:  # a word that forgives no typo
        return _holds(column, word, postgresql=True)
    return case((_contains(column, word), true()), else_=column.regexp_match(_inline(regex(word))))


@functools.lru_cache(maxsize=256)
def _relevance(words: tuple[str, ...], postgresql: bool) -> ColumnElement[int]:
    title = MediaItemRow.title_key
    itself = _inline(SearchQuery(words).title)
    score: ColumnElement[int] = case((title == itself, 1), else_=0)
    for word in words:
        score = score + case(
            (
                _holds(title, word, postgresql),
                case((_whole_in_title(word, postgresql), 5), else_=4),
            ),
            (_holds(MediaItemRow.search_text, word, postgresql), 2),
            else_=1,
        )
    return score


def whole_word_regex(word: str) -> str:
    """A regular expression (PostgreSQL's and Python's) finding ``word`` as a whole word:
    between :data:`WORD_SEPARATORS` or the text's ends."""
    separator = _regex_separator()
    return f"(?:^|{separator}){_regex_literal(word)}(?:$|{separator})"


def _whole_in_title(word: str, postgresql: bool) -> ColumnElement[bool]:
    """Whether the title holds ``word`` as a whole word (:func:`whole_word_regex`): it
    stands between two spaces in ``title_words`` (one ``LIKE``, which the trigram index
    answers; ``GLOB`` on SQLite, which costs less there than ``LIKE``, folding no case).

    A word that holds separators itself ("cat-flap": "% cat flap %") is tested on the
    title too: "cat flap" holds those spaces, and another place of the title the word
    (hardly ever ranked apart: the two tests in turn keep it exact)."""
    spaced = title_words(word)
    column = MediaItemRow.title_words
    if postgresql:
        between_spaces = column.like(_inline(f"%{escape_like(spaced)}%"), escape="\\")
    else:
        between_spaces = column.bool_op("GLOB")(_inline(f"*{_glob_literal(spaced)}*"))
    if spaced == f" {word} ":
        return between_spaces
    return and_(between_spaces, _whole_word(MediaItemRow.title_key, word, postgresql))


def _whole_word(
    column: QueryableAttribute[str], word: str, postgresql: bool
) -> ColumnElement[bool]:
    """Whether ``column`` holds ``word`` as a whole word (:func:`whole_word_regex`).

    Most words stand between spaces, which one LIKE finds (the text between two more);
    only a text that does not have it so is tested by the regular expression, or by
    SQLite's ``GLOB`` patterns (whose class is tried at every character). CASE keeps
    that order (see :func:`_sqlite_match`)."""
    spaced = literal(" ", String).concat(column).concat(literal(" ", String))
    if postgresql:
        between_spaces = spaced.like(_inline(f"% {escape_like(word)} %"), escape="\\")
        placed = column.regexp_match(_inline(whole_word_regex(word)))
    else:
        # GLOB (the text is folded: its case-sensitivity loses nothing) costs less than
        # LIKE, which folds case as it compares.
        between_spaces = spaced.bool_op("GLOB")(_inline(f"* {_glob_literal(word)} *"))
        patterns = _whole_word_globs(_glob_literal(word))
        placed = or_(*(column.bool_op("GLOB")(_inline(pattern)) for pattern in patterns))
    return case((between_spaces, true()), else_=placed)


def _whole_word_globs(pattern: str) -> list[str]:
    """The ``GLOB`` patterns finding what ``pattern`` matches as a whole word."""
    separator = _glob_separator()
    starts = (f"*{separator}", "")
    return [f"{start}{pattern}{end}" for start in starts for end in (f"{separator}*", "")]


@functools.lru_cache(maxsize=256)
def _tested(words: tuple[str, ...], postgresql: bool) -> tuple[ColumnElement[bool], ...]:
    guards = _guards(words)
    # Each word's full test runs only on items holding one of its pieces (CASE: the
    # planner keeps that order; it would run a regular expression first, as cheap).
    matched = [
        match if guard is None else case((guard, match), else_=false())
        for guard, match in zip(guards, _conditions(words, postgresql), strict=True)
    ]
    # The guards again as terms of their own: what PostgreSQL's trigram index answers
    # precisely (a word's regular expression of many variants it answers loosely).
    return (*(guard for guard in guards if guard is not None), *matched)


@functools.lru_cache(maxsize=256)
def _tiers(words: tuple[str, ...], postgresql: bool) -> tuple[SearchTier, ...]:
    tested = _tested(words, postgresql)
    exact = [_holds(MediaItemRow.search_text, word, postgresql) for word in words]
    fts = SearchQuery(words).fts_match()
    if len(words) > 1:
        return (
            SearchTier((*tested, or_(*exact)), _relevance(words, postgresql), fts),
            SearchTier((*tested, not_(or_(*exact))), len(words), fts),
        )
    word = words[0]
    title = MediaItemRow.title_key
    in_title = _holds(title, word, postgresql)
    # The title that is the word itself, found by its sort key on the title indexes (the
    # trigram indexes would read every title holding the word to find it).
    itself = title == _inline(word)
    # A whole word of a title before part of one ("The cat sat" before "Concatenate"),
    # each tier found through its own index column: " cat " in title_words holds the
    # spaces that only whole words have, so a word few titles hold whole (search as you
    # type sends "vid") finds those few, not every title holding it inside a word.
    whole = _whole_in_title(word, postgresql)
    tiers = [
        SearchTier(
            (MediaItemRow.title_order == _inline(title_order(word)), itself),
            6,
            None,
            shares_sample=True,
            fills_pages=False,
        ),
        SearchTier((whole, not_(itself)), 5, _fts_whole_words(word), shares_sample=True),
        SearchTier((in_title, not_(whole)), 4, _fts_in_titles(word)),
        SearchTier((exact[0], not_(in_title)), 2, _fts_phrase(word)),
    ]
    if len(edits(word)) > 1:  # a word that forgives a typo
        tiers.append(SearchTier((*tested, not_(exact[0])), 1, fts))
    return tuple(tiers)


def _contains(column: QueryableAttribute[str], word: str) -> ColumnElement[bool]:
    return column.like(_inline(f"%{escape_like(word)}%"), escape="\\")


def _holds(column: QueryableAttribute[str], word: str, postgresql: bool) -> ColumnElement[bool]:
    """Whether ``column`` holds ``word`` as it is: anywhere, but a word that begins with a
    digit only where a number begins (:func:`number_start_regex`: "12" is not in "#412"
    or "2012", other numbers; it is in "12th", "u12" and "120", as typing it finds).
    The ``LIKE`` first: the placed test (a class after ``*`` on SQLite) runs only on a
    text holding the word. CASE keeps that order (see :func:`_sqlite_match`)."""
    contains = _contains(column, word)
    if not DIGITS.match(word):
        return contains
    if postgresql:
        placed = column.regexp_match(_inline(number_start_regex(word)))
    else:
        literal_ = _glob_literal(word)
        # GLOB negates a class with "^" (not "!", as a shell does).
        patterns = (f"{literal_}*", f"*[^0-9]{literal_}*")
        placed = or_(*(column.bool_op("GLOB")(_inline(pattern)) for pattern in patterns))
    return case((contains, placed), else_=false())


def number_start_regex(word: str) -> str:
    """A regular expression (PostgreSQL's and Python's) finding ``word``, which begins
    with a digit, where no digit stands before it: at the start of a number."""
    return f"(?:^|[^0-9]){_regex_literal(word)}"


def _inline(pattern: str) -> BindParameter[str]:
    """``pattern`` written into the SQL as a quoted literal when the statement runs.

    SQLite ran the tiered search 4-8 times slower with its LIKE patterns bound as
    parameters than written out (same plan; 7 ms against 1.2 ms), and PostgreSQL
    estimates a literal pattern's selectivity from its statistics where a parameter in
    a generic plan gets a default guess. The words are part of the statement's shape
    (each distinct search is its own cached statement), so nothing is lost; SQLAlchemy
    quotes the value for the dialect.
    """
    return bindparam(None, pattern, type_=String, literal_execute=True)


def _word_pieces(index: int, word: str) -> list[str]:
    """Literal pieces one of which every item matching ``word`` holds ([] if none can
    be named): what the index looks up, and a cheap test before the full one."""
    return fts_pieces(word) if index < FUZZY_WORDS else _literal(word)


def _guards(words: tuple[str, ...]) -> list[ColumnElement[bool] | None]:
    """Per word, whether ``search_text`` holds one of its pieces (None if it has none):
    a few short LIKEs that turn most items away before the word's full test (dozens of
    patterns, or a regular expression) runs."""
    guards: list[ColumnElement[bool] | None] = []
    for index, word in enumerate(words):
        pieces = _word_pieces(index, word)
        contains = [_contains(MediaItemRow.search_text, piece) for piece in pieces]
        guards.append(or_(*contains) if contains else None)
    return guards


def _fts_phrase(word: str) -> str | None:
    """An FTS5 query for ``word`` as it is."""
    return _quoted(word) if len(word) >= TRIGRAM else None


def _fts_in_titles(word: str) -> str | None:
    """An FTS5 query for titles holding ``word``, as their ``title_words`` hold it (its
    separators spaces: a title holding "cat-flap" holds "cat flap" there). The index
    holds titles only so (catalogue_0024): a second copy of every title made the index a
    sixth larger, and each lookup with it."""
    phrase = title_words(word)[1:-1]
    return f"title_words : {_quoted(phrase)}" if len(phrase) >= TRIGRAM else None


def _fts_whole_words(word: str) -> str:
    """An FTS5 query for titles holding ``word`` whole (``title_words``: the word between
    spaces, three characters at least, so even a word of one letter has a trigram)."""
    return f"title_words : {_quoted(title_words(word))}"


def _literal(word: str) -> list[str]:
    return [word] if len(word) >= TRIGRAM else []


def _fts() -> TextClause:
    return text(FTS_TABLE)


def _fts_match(expression: str) -> TextClause:
    # Several lookups may share a statement: each binds its expression under its own name.
    match = bindparam("fts_match", expression, type_=String, unique=True)
    return text(f"{FTS_TABLE} MATCH :fts_match").bindparams(match)


def _quoted(piece: str) -> str:
    return '"' + piece.replace('"', '""') + '"'


_KEYS = table(FTS_KEYS, column("key", Integer), column("media_id", Uuid))
