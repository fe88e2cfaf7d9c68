"""The one parser of If-Match / If-None-Match lists (RFC 9110 §13.1.1-2), which the
streaming module's conditional reads and the catalogue's guarded writes share."""

from __future__ import annotations

import pytest

from streamstack.kernel.conditions import entity_tags, tags_match


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        ('"a"', ('"a"',)),
        (' "a" , W/"b",, "" ', ('"a"', 'W/"b"', '""')),  # empty elements are allowed
        ('"a"\t,\t"b"', ('"a"', '"b"')),
        (" * ", ("*",)),
        ("", None),
        (", ,", None),
        ("abc", None),  # unquoted
        ('"a', None),
        ('"a", *', None),  # "*" stands alone
        ('"a b"', None),  # a space is no etagc
        ("2024-05-01T10:00:00Z", None),
    ],
)
def test_a_list_header_is_its_entity_tags_or_none_when_malformed(
    header: str, tags: tuple[str, ...] | None
) -> None:
    assert entity_tags(header) == tags


@pytest.mark.parametrize(
    ("tags", "etag", "weak", "matches"),
    [
        (('"a"',), '"a"', False, True),
        (('W/"a"',), '"a"', False, False),  # strong comparison: a weak tag never matches
        (('"a"',), 'W/"a"', False, False),
        (('W/"a"',), '"a"', True, True),  # weak comparison: the opaque tags alike
        (('"b"', '"a"'), '"a"', False, True),
        (('"b"',), '"a"', True, False),
        (("*",), '"a"', False, True),
    ],
)
def test_tags_match_compares_strongly_or_weakly(
    tags: tuple[str, ...], etag: str, weak: bool, matches: bool
) -> None:
    assert tags_match(tags, etag, weak=weak) is matches
