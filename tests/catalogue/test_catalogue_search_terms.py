"""The search's typo variants: fewer patterns than a plain expansion, the same matches, and
PostgreSQL's one regular expression per word meaning exactly what the ``LIKE`` patterns mean.

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
    edits,
    fts_pieces,
    regex,
    variants,
)

#: Letters, LIKE's and regular expressions' special characters, and a non-ASCII letter.
ALPHABET = "abcg.%_\\*+?()[]{}|^$-é"


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


def like(pattern: str) -> re.Pattern[str]:
    """What SQL's ``LIKE pattern ESCAPE '\\'`` matches, as a Python expression."""
    out, i = "", 0
    while i < len(pattern):
        if pattern[i] == "\\":
            out, i = out + re.escape(pattern[i + 1]), i + 2
            continue
        out += {"%": ".*", "_": "."}.get(pattern[i], re.escape(pattern[i]))
        i += 1
    return re.compile(f"^{out}$", re.DOTALL)


def matches_like(word: str, text: str) -> bool:
    return any(like(pattern).match(text) for pattern in variants(word))


def matches_regex(word: str) -> re.Pattern[str]:
    # PostgreSQL's ARE and Python agree on what is used here: literal characters,
    # backslash before punctuation, "." for any character (newlines included), "|".
    return re.compile(regex(word), re.DOTALL)


@pytest.mark.parametrize("seed", range(3))
def test_every_one_edit_variant_is_found_and_nothing_further(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(12):
        word = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(FUZZY_MIN, 8)))
        pattern = matches_regex(word)
        for variant in one_edit(word):
            text = f"{rng.choice(['', 'x', ' ab'])}{variant}{rng.choice(['', 'y', '. '])}"
            assert matches_like(word, text), (word, text)
            assert pattern.search(text), (word, text)
        # Two edits away is not found (unless that is one edit from another spot too).
        far = "q" + word[2:] + "zz"
        assert matches_like(word, far) == bool(pattern.search(far))


def test_the_regular_expression_agrees_with_the_patterns_on_near_misses() -> None:
    rng = random.Random(7)
    for _ in range(120):
        word = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(FUZZY_MIN, 8)))
        pattern = matches_regex(word)
        for _ in range(10):
            text = list(word)
            for _ in range(rng.randint(1, 3)):
                text.insert(rng.randrange(len(text) + 1), rng.choice(ALPHABET))
                del text[rng.randrange(len(text))]
            joined = "".join(text)
            assert matches_like(word, joined) == bool(pattern.search(joined)), (word, joined)


def test_variants_are_fewer_than_a_plain_expansion_and_exact_first() -> None:
    # 7 letters: 8 insertions + 7 replacements + 7 deletions + 6 swaps before merging;
    # a wildcard first or last adds nothing that a deletion or the word itself lacks.
    assert len(variants("glaicer")) == 25
    assert variants("glaicer")[0] == "%glaicer%"
    assert edits("glaicer")[0] == ("glaicer",)
    assert ("gla", "cer") in edits("glaicer")


def test_short_and_very_long_words_match_exactly() -> None:
    assert variants("sand") == ["%sand%"]
    long = "a" * (FUZZY_MAX + 1)
    assert variants(long) == [f"%{long}%"]
    assert regex(long) == long
    assert regex("a.%_") == "a\\.\\%\\_"  # four letters: exact, punctuation escaped


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
            assert any(piece in variant for piece in pieces), (word, variant, pieces)
