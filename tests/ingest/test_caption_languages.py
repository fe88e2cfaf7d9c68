"""Caption language tags: one canonical spelling of a tag written any way, and the name a
track of that language is shown by."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamstack.contracts.languages import (
    LANGUAGE_NAMES,
    canonical_language,
    language_name,
    shown_label,
)
from streamstack.contracts.limits import CAPTION_LANGUAGE, LANGUAGE_AS_WRITTEN


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("en", "en"),
        ("EN", "en"),
        ("Pt-br", "pt-BR"),
        ("pt_BR", "pt-BR"),
        ("en_us", "en-US"),
        ("zh-hant", "zh-Hant"),
        ("ZH_HANS_cn", "zh-Hans-CN"),
        ("es-419", "es-419"),
        ("sl-ROZAJ", "sl-rozaj"),  # a variant: lower case
        ("FRE", "fr"),  # ISO 639-2 codes become the two-letter code BCP 47 prefers
        ("fil", "fil"),
    ],
)
def test_tags_written_any_way_have_one_spelling(written: str, canonical: str) -> None:
    assert canonical_language(written) == canonical


@pytest.mark.parametrize(
    "written",
    ["", "e", "english", "en-", "en__us", "-en", "1en", "en-x", "en US", "en\n", "x" * 36],
)
def test_what_is_no_tag_has_no_spelling(written: str) -> None:
    assert canonical_language(written) is None


@given(st.from_regex(LANGUAGE_AS_WRITTEN))
def test_a_canonical_tag_is_stored_as_it_is_and_spelled_once(written: str) -> None:
    canonical = canonical_language(written)
    if len(written) > 35:
        assert canonical is None
        return
    assert canonical is not None
    assert re.search(CAPTION_LANGUAGE, canonical)
    assert canonical_language(canonical) == canonical
    assert canonical_language(written.swapcase()) == canonical


@pytest.mark.parametrize(
    ("tag", "name"),
    [
        ("fr", "Français"),
        ("FR", "Français"),
        ("en", "English"),
        ("pt-BR", "Português (Brasil)"),
        ("pt-br", "Português (Brasil)"),
        ("zh-Hant", "中文（繁體）"),  # noqa: RUF001
        ("de-AT", "Deutsch (AT)"),  # a region the table does not name: the language's
        ("xx", "xx"),  # no name known: the tag
        ("und", "und"),
        ("not a tag", "not a tag"),
    ],
)
def test_languages_are_named_in_themselves(tag: str, name: str) -> None:
    assert language_name(tag) == name


def test_every_named_tag_is_canonical() -> None:
    assert [tag for tag in LANGUAGE_NAMES if canonical_language(tag) != tag] == []


def test_only_a_label_that_is_its_tag_is_named() -> None:
    assert shown_label("fr", "fr") == "Français"
    assert shown_label("PT-BR", "pt-BR") == "Português (Brasil)"
    assert shown_label("French (SDH)", "fr") == "French (SDH)"
    assert shown_label("en", "fr") == "en"
