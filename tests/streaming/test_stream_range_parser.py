"""The pure RFC 9110 range parser and the conditional-request rules, without any I/O."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamstack.kernel import conditions as cond
from streamstack.kernel.http import http_date
from streamstack.streaming.ranges import (
    COALESCE_GAP,
    MAX_PARTS,
    UNSATISFIABLE,
    ByteRange,
    coalesce,
    parse_range,
    select_ranges,
)

# --- examples ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-499", (ByteRange(0, 499),)),
        ("bytes=500-", (ByteRange(500, 999),)),
        ("bytes=500-99999", (ByteRange(500, 999),)),
        ("bytes=-200", (ByteRange(800, 999),)),
        ("bytes=-5000", (ByteRange(0, 999),)),
        ("bytes=0-0", (ByteRange(0, 0),)),
        ("bytes=999-999", (ByteRange(999, 999),)),
        ("BYTES=1-2", (ByteRange(1, 2),)),
        ("bytes=1-2, 5-6", (ByteRange(1, 2), ByteRange(5, 6))),
        ("bytes=5-6,1-2", (ByteRange(5, 6), ByteRange(1, 2))),
        ("bytes=1-2,,3-4,", (ByteRange(1, 2), ByteRange(3, 4))),
        ("bytes=1-2,2000-3000", (ByteRange(1, 2),)),
    ],
)
def test_satisfiable_ranges(header: str, expected: tuple[ByteRange, ...]) -> None:
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=-0", "bytes=1000-2000,-0", "bytes=5000-"])
def test_unsatisfiable_ranges(header: str) -> None:
    assert parse_range(header, 1000) is UNSATISFIABLE


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "bytes",
        "bytes=",
        "bytes=,",
        "bytes=5-4",
        "bytes=0--1",
        "bytes=--1",
        "bytes=-",
        "bytes=a-b",
        "bytes=1-2-3",
        "bytes=+1-2",
        "bytes=1 -2",
        "bytes=0x10-",
        "bytes=١-٢",  # noqa: RUF001 - non-ASCII digits are not DIGIT
        "items=0-5",
        "bytes 0-5",
        "bytes=0-5,5-4",
        "bytes=0-" + "9" * 21,
        "bytes=" + ",".join(["0-0"] * 5000),
    ],
)
def test_headers_that_are_ignored(header: str | None) -> None:
    assert parse_range(header, 1000) is None


def test_a_zero_length_object_satisfies_nothing() -> None:
    assert parse_range("bytes=0-", 0) is UNSATISFIABLE
    assert parse_range("bytes=-5", 0) is UNSATISFIABLE


def test_content_range_values() -> None:
    assert ByteRange(0, 499).content_range(1000) == "bytes 0-499/1000"
    assert ByteRange(0, 499).length == 500


def test_overlapping_ranges_coalesce_in_request_order() -> None:
    ranges = (ByteRange(500, 600), ByteRange(0, 10), ByteRange(550, 700), ByteRange(5, 20))
    assert coalesce(ranges) == (ByteRange(500, 700), ByteRange(0, 20))


def test_two_hundred_overlapping_ranges_become_one() -> None:
    header = "bytes=" + ",".join(f"{i}-{i + 100}" for i in range(200))
    assert select_ranges(header, 1000) == (ByteRange(0, 299),)


def test_too_many_distinct_parts_mean_the_whole_object() -> None:
    spaced = ",".join(f"{i * 200}-{i * 200}" for i in range(MAX_PARTS + 1))
    assert select_ranges(f"bytes={spaced}", 100_000) is None
    assert select_ranges(f"bytes={spaced.rsplit(',', 1)[0]}", 100_000) is not None


# --- properties -------------------------------------------------------------------------

sizes = st.integers(min_value=0, max_value=5000)
positions = st.integers(min_value=0, max_value=7000)


@st.composite
def range_specs(draw: st.DrawFn) -> tuple[str, int | None, int | None]:
    """A well-formed range-spec: (text, first, last) with None for the missing side."""
    kind = draw(st.sampled_from(["closed", "open", "suffix"]))
    if kind == "suffix":
        suffix = draw(positions)
        return f"-{suffix}", None, suffix
    first = draw(positions)
    if kind == "open":
        return f"{first}-", first, None
    last = draw(st.integers(min_value=first, max_value=first + 3000))
    return f"{first}-{last}", first, last


def model(spec: tuple[str, int | None, int | None], size: int) -> ByteRange | None:
    """RFC 9110 §14.1.2 spelled out for one spec: its range, or None if unsatisfiable."""
    _, first, last = spec
    if size == 0:
        return None
    if first is None:  # suffix
        assert last is not None
        return ByteRange(max(0, size - last), size - 1) if last > 0 else None
    if first >= size:
        return None
    return ByteRange(first, size - 1 if last is None else min(last, size - 1))


@given(st.text(max_size=200), sizes)
def test_any_header_parses_to_ranges_inside_the_object(header: str, size: int) -> None:
    parsed = parse_range(header, size)
    if isinstance(parsed, tuple):
        assert parsed
        assert all(0 <= r.start <= r.end < size for r in parsed)


@given(st.lists(range_specs(), min_size=1, max_size=8), sizes, st.sampled_from([",", ", ", " ,\t"]))
def test_well_formed_headers_match_the_rfc_model(
    specs: list[tuple[str, int | None, int | None]], size: int, separator: str
) -> None:
    header = "bytes=" + separator.join(spec[0] for spec in specs)
    expected = tuple(r for r in (model(spec, size) for spec in specs) if r is not None)

    assert parse_range(header, size) == (expected or UNSATISFIABLE)


@given(st.lists(st.tuples(positions, st.integers(0, 400)), min_size=1, max_size=30))
def test_coalescing_keeps_every_requested_byte_and_adds_only_small_gaps(
    pairs: list[tuple[int, int]],
) -> None:
    ranges = tuple(ByteRange(start, start + extra) for start, extra in pairs)

    merged = coalesce(ranges)

    wanted = {b for r in ranges for b in range(r.start, r.end + 1)}
    covered = {b for r in merged for b in range(r.start, r.end + 1)}
    assert wanted <= covered
    assert {r.start for r in merged} <= {r.start for r in ranges}
    assert {r.end for r in merged} <= {r.end for r in ranges}
    ordered = sorted(merged)
    for before, after in itertools.pairwise(ordered):
        assert after.start > before.end + 1 + COALESCE_GAP  # disjoint and far apart
    assert sum(r.length for r in merged) <= len(wanted) + COALESCE_GAP * (len(ranges) - 1)


@given(st.lists(range_specs(), min_size=1, max_size=300), sizes)
def test_selected_parts_are_few_and_disjoint(
    specs: list[tuple[str, int | None, int | None]], size: int
) -> None:
    selected = select_ranges("bytes=" + ",".join(spec[0] for spec in specs), size)

    if isinstance(selected, tuple):
        assert 1 <= len(selected) <= MAX_PARTS
        ordered = sorted(selected)
        assert all(a.end < b.start for a, b in itertools.pairwise(ordered))


# --- conditional requests ---------------------------------------------------------------

ETAG = '"abc123"'
MODIFIED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
DATE = http_date(MODIFIED)


def test_http_dates_round_trip() -> None:
    assert DATE == "Fri, 02 Jan 2026 03:04:05 GMT"
    assert cond.parse_http_date(DATE) == MODIFIED
    assert cond.parse_http_date("Friday, 02-Jan-26 03:04:05 GMT") == MODIFIED  # RFC 850
    assert cond.parse_http_date("yesterday") is None
    assert cond.parse_http_date("") is None


@pytest.mark.parametrize(
    ("conditions", "outcome"),
    [
        (cond.Conditions(), None),
        (cond.Conditions(if_none_match=ETAG), 304),
        (cond.Conditions(if_none_match=f"W/{ETAG}"), 304),  # weak comparison
        (cond.Conditions(if_none_match=f'"x", {ETAG}'), 304),
        (cond.Conditions(if_none_match="*"), 304),
        (cond.Conditions(if_none_match='"other"'), None),
        (cond.Conditions(if_none_match="garbage"), None),
        (cond.Conditions(if_match=ETAG), None),
        (cond.Conditions(if_match="*"), None),
        (cond.Conditions(if_match='"other"'), 412),
        (cond.Conditions(if_match=f"W/{ETAG}"), 412),  # strong comparison
        (cond.Conditions(if_modified_since=DATE), 304),
        (cond.Conditions(if_modified_since=http_date(MODIFIED - timedelta(1))), None),
        (cond.Conditions(if_modified_since="not a date"), None),
        (cond.Conditions(if_none_match='"other"', if_modified_since=DATE), None),
        (cond.Conditions(if_unmodified_since=DATE), None),
        (cond.Conditions(if_unmodified_since=http_date(MODIFIED - timedelta(1))), 412),
        (cond.Conditions(if_match='"other"', if_none_match=ETAG), 412),  # If-Match first
    ],
)
def test_preconditions(conditions: cond.Conditions, outcome: int | None) -> None:
    assert cond.evaluate(conditions, ETAG, MODIFIED) == outcome


@pytest.mark.parametrize(
    ("if_range", "holds"),
    [
        (ETAG, True),
        ('"stale"', False),
        (f"W/{ETAG}", False),
        (DATE, True),
        (http_date(MODIFIED + timedelta(seconds=1)), False),
        (http_date(MODIFIED - timedelta(seconds=1)), False),
        ("nonsense", False),
    ],
)
def test_if_range(if_range: str, holds: bool) -> None:
    assert cond.if_range_holds(if_range, ETAG, MODIFIED) is holds
