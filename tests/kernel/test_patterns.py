"""Whole-string patterns, and their refusals said in words."""

from __future__ import annotations

import re
from typing import Annotated

import msgspec
import pytest

from streamstack.kernel.patterns import in_words, whole

SHOUT = whole("[A-Z]+", "capital letters only")
NAMELESS = whole("[a-z]+")


@pytest.mark.parametrize("text", ["", "ab\n", "a\nb"])
def test_a_final_newline_or_nothing_is_no_match(text: str) -> None:
    assert re.search(NAMELESS, text) is None
    assert re.search(NAMELESS, "ab") is not None


def test_a_refusal_by_a_pattern_with_a_meaning_says_the_meaning() -> None:
    class Shout(msgspec.Struct):
        word: Annotated[str, msgspec.Meta(pattern=SHOUT)]
        quiet: Annotated[str, msgspec.Meta(pattern=NAMELESS)] = "a"

    with pytest.raises(msgspec.ValidationError) as loud:
        msgspec.convert({"word": "hush"}, Shout)
    assert in_words(str(loud.value)) == "Expected capital letters only - at `$.word`"
    # A pattern given no meaning is still named by its expression.
    with pytest.raises(msgspec.ValidationError) as quiet:
        msgspec.convert({"word": "HEY", "quiet": "NO"}, Shout)
    assert in_words(str(quiet.value)) == str(quiet.value)
    assert repr(NAMELESS) in str(quiet.value)
