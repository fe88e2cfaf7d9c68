"""The search's typo variants: fewer patterns than a plain expansion, the same matches, and
PostgreSQL's one regular expression per word meaning exactly what SQLite's ``GLOB``
patterns mean; how both sides of a search are folded.

Pure functions (no database); the backends' own answers are in test_catalogue_listing.py.
"""

from __future__ import annotations

import random
import re

import pytest

from streamstack.catalogue.search import (
    FUZZY_MAX,
    FUZZY_MIN,
    TRIGRAM,
    WORD_SEPARATORS,
    SearchQuery,
    edits,
    fts_pieces,
    globs,
    regex,
    title_words,
    whole_word_regex,
)
from streamstack.kernel.text import fold

#: Letters, GLOB's and regular expressions' special characters, a separator of each kind
#: (ASCII, Latin-1, general punctuation) and a non-ASCII letter.
ALPHABET = "abcg.%_\\*+?()[]{}|^$- «\u2013ж"


def separator(c: str) -> bool:
    return any(a <= c <= b for a, b in WORD_SEPARATORS)


def one_edit(word: str) -> set[str]:
    """Every string one edit away from ``word`` (or ``word`` itself), by the definition."""
    found = {word}
    for i in range(len(word) + 1):
        for c in ALPHABET + "xyz":
            found.add(word[:i] + c + word[i:])
            if i < len(word):
                found.add(word[:i] + c + word[i + 1 :])
        if i < len(word):
            found.add(word[:i] + word[i + 1 :])
        if i + 1 < len(word):
            found.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    return found


def typo_of(word: str, candidate: str) -> bool:
    """Whether ``candidate`` is ``word`` with one typo (or none) that keeps its first letter."""
    if candidate[:1] != word[:1]:
        return False
    shorter, longer = sorted((word, candidate), key=len)
    if len(longer) - len(shorter) == 1:
        return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))
    if len(longer) != len(shorter):
        return False
    wrong = [i for i in range(len(word)) if word[i] != candidate[i]]
    swapped = len(wrong) == 2 and wrong[1] == wrong[0] + 1
    return len(wrong) <= 1 or (
        swapped and word[wrong[0]] == candidate[wrong[1]] and word[wrong[1]] == candidate[wrong[0]]
    )


def found_by_definition(word: str, text: str) -> bool:
    """The rule: the word anywhere, or (5-32 letters) a typo of it beginning a word of
    the text, a typo shorter than five letters, or of the last letter alone (dropped or
    another), being the whole word."""
    if word in text:
        return True
    if len(edits(word)) == 1:
        return False
    for start in range(len(text)):
        if start and not separator(text[start - 1]):
            continue
        for size in (len(word) - 1, len(word), len(word) + 1):
            end = start + size
            whole = end == len(text) or (end < len(text) and separator(text[end]))
            candidate = text[start:end]
            typo = end <= len(text) and typo_of(word, candidate)
            last_only = candidate[: len(word) - 1] == word[:-1] and size <= len(word)
            if typo and ((size >= FUZZY_MIN and not last_only) or whole):
                return True
    return False


def glob(pattern: str) -> re.Pattern[str]:
    """What SQLite's ``text GLOB pattern`` matches, as a Python expression."""
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if c == "[":
            end = pattern.index("]", i + 2)
            members = pattern[i + 1 : end]
            parts = re.split(r"(?<=.)-(?=.)", members) if "-" in members[1:-1] else [members]
            out += "[" + "-".join(re.escape(part) for part in parts) + "]"
            i = end + 1
            continue
        out += {"*": ".*", "?": "."}.get(c, re.escape(c))
        i += 1
    return re.compile(f"^{out}$", re.DOTALL)


def matches_glob(word: str, text: str) -> bool:
    return any(glob(pattern).match(text) for pattern in globs(word))


def matches_regex(word: str) -> re.Pattern[str]:
    # PostgreSQL's ARE and Python agree on what is used here: literal characters,
    # backslash before punctuation, "." for any character (newlines included), "|",
    # (?:) groups, ^ and $ at the text's ends, classes of \uXXXX ranges.
    return re.compile(regex(word), re.DOTALL)


def random_text(rng: random.Random, word: str) -> str:
    """A text around one of ``word``'s near misses: after a letter, a separator, nothing."""
    variant = rng.choice(sorted(one_edit(word)))
    return rng.choice(["", "x", " ab", "«"]) + variant + rng.choice(["", "y", ". ", "\u2013z"])


@pytest.mark.parametrize("seed", range(3))
def test_the_patterns_and_the_expression_find_what_the_rule_finds(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(40):
        word = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(FUZZY_MIN, 8)))
        word = rng.choice("abcgж") + word[1:]  # words start with a letter
        pattern = matches_regex(word)
        for _ in range(20):
            text = random_text(rng, word)
            expected = found_by_definition(word, text)
            assert matches_glob(word, text) == expected, (word, text)
            assert bool(pattern.search(text)) == expected, (word, text)


@pytest.mark.parametrize("seed", range(3))
def test_a_whole_word_of_a_title_stands_between_spaces_in_its_title_words(seed: int) -> None:
    """A word without separators is a whole word of a title exactly when it stands between
    two spaces in the title's ``title_words`` (one ``LIKE``, which the index answers); any
    word that is whole stands so there (the index never misses one)."""
    rng = random.Random(seed)
    for _ in range(400):
        word = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 3)))
        title = "".join(rng.choice([word, *ALPHABET]) for _ in range(rng.randint(0, 6)))
        whole = bool(re.search(whole_word_regex(word), title))
        between_spaces = title_words(word) in title_words(title)
        if not any(map(separator, word)):
            assert between_spaces == whole, (word, title)
        assert between_spaces or not whole, (word, title)


def test_title_words_make_every_separator_a_space() -> None:
    assert title_words("the cat-flap, «fixed»\u2013again") == " the cat flap   fixed  again "
    assert title_words("") == "  "


def test_a_typo_is_forgiven_at_a_word_start_only() -> None:
    assert found_by_definition("glaicer", "the glacier lagoon")
    assert found_by_definition("glaicer", "(glaciers)")
    assert not found_by_definition("glaicer", "theglacier")  # inside a longer word
    assert found_by_definition("creme", "cafe creme a paris")
    assert not found_by_definition("creme", "an extremely long title")  # "reme" of it
    assert not found_by_definition("creme", "a remedy")  # the first letter is kept
    assert not found_by_definition("creme", "the creek")  # "cree" is a whole word only
    assert found_by_definition("creme", "cree")
    assert found_by_definition("meetng", "team meeting")
    assert found_by_definition("lectrue", "lecture notes")
    assert found_by_definition("birthdy", "birthday party")
    for word, text in (("creme", "an extremely long title"), ("creme", "the creek")):
        assert not matches_glob(word, text) and not matches_regex(word).search(text)


def test_variants_are_fewer_than_a_plain_expansion_and_exact_first() -> None:
    # 7 letters, the first kept: 6 deletions + 6 insertions + 6 replacements + 5 swaps
    # before merging; a letter lacking after the last adds nothing the word lacks.
    assert len(edits("glaicer")) == 24
    assert globs("glaicer")[0] == "*glaicer*"
    assert edits("glaicer")[0] == ("glaicer",)
    assert ("gla", "cer") in edits("glaicer")
    assert all(edit[0][:1] == "g" for edit in edits("glaicer"))


def test_short_and_very_long_words_match_exactly() -> None:
    assert globs("sand") == ["*sand*"]
    long = "a" * (FUZZY_MAX + 1)
    assert globs(long) == [f"*{long}*"]
    assert regex(long) == long
    assert regex("a.%_") == "a\\.\\%\\_"  # four letters: exact, punctuation escaped
    assert globs("*?[]") == ["*[*][?][[]]*"]


@pytest.mark.parametrize("seed", range(3))
def test_every_match_holds_a_piece_the_index_looks_up(seed: int) -> None:
    """The trigram index finds the candidates by :func:`fts_pieces`: every one-edit
    variant must hold one. Six letters and more always have such pieces (an edit of a
    six-letter word's middle two letters leaves no intact side of three, so the pieces
    include that variant's own); five letters have none (``ab?de``: the index cannot
    narrow them, the search budget bounds them)."""
    rng = random.Random(seed)
    for _ in range(40):
        word = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(FUZZY_MIN, 9)))
        pieces = fts_pieces(word)
        if len(word) == FUZZY_MIN:
            assert pieces == [], word
            continue
        assert pieces and all(len(piece) >= TRIGRAM for piece in pieces), word
        for variant in one_edit(word):
            if typo_of(word, variant):
                assert any(piece in variant for piece in pieces), (word, variant, pieces)


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Café crème à Paris", "cafe creme a paris"),
        ("naïve résumé", "naive resume"),
        ("Straße STRASSE", "strasse strasse"),
        ("Zürich Œuvre Ærø Łódź", "zurich oeuvre aero lodz"),
        ("ﬁnale ² Ⅻ", "finale 2 xii"),
        ("Привет Ёлка", "привет елка"),
        ("ΣΟΦΊΑ σοφία", "σοφια σοφια"),
        ("東京タワー ｶﾞｲﾄﾞ", "東京タワー ガイド"),
        ("서울 مرحبا", "서울 مرحبا"),
        ("🎉 👨\u200d👩\u200d👧 1️⃣", "🎉 👨\u200d👩\u200d👧 1️⃣"),
    ],
)
def test_text_and_queries_fold_alike(typed: str, folded: str) -> None:
    assert fold(typed) == folded
    assert fold(folded) == folded
    assert fold(typed.lower()) == folded  # what the stored text was before: lower-cased
    assert SearchQuery.parse(typed).words == tuple(dict.fromkeys(folded.split()))
