"""RFC 9110 §14 byte ranges: parse a ``Range`` header against a representation's size.

Pure functions, no I/O. :func:`parse_range` answers one of three things:

* ``None``: ignore the header and send the whole representation (no header, another range
  unit, or a malformed range set: RFC 9110 §14.2 lets a server ignore such a header);
* :data:`UNSATISFIABLE`: every range lies past the end (416 with ``Content-Range: */size``);
* a tuple of :class:`ByteRange`: the satisfiable ranges, clamped to the representation, in
  the order they were asked for.

:func:`select_ranges` then coalesces overlapping or nearly adjacent ranges and falls back to
the whole representation when too many distinct parts remain, so the work a request causes
stays bounded however many ranges it lists.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from typing import Final, Literal

#: A Range header longer than this is not one a player sends; it is ignored outright.
MAX_HEADER_CHARS: Final = 8192
#: Positions with more digits than this exceed any object we store; such a header is ignored.
MAX_DIGITS: Final = 20
#: More distinct parts than this (after coalescing) and the whole representation is sent.
MAX_PARTS: Final = 16
#: Ranges closer than this are merged: a multipart boundary costs about as many bytes.
COALESCE_GAP: Final = 80

_DIGITS = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")
_UNIT = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 token


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class ByteRange:
    """The bytes ``start`` to ``end`` inclusive (``0 <= start <= end``)."""

    start: int
    end: int

    @property
    def length(self) -> int:
        """How many bytes the range covers."""
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        """The ``Content-Range`` value for this range of a ``size``-byte representation."""
        return f"bytes {self.start}-{self.end}/{size}"


class Unsatisfiable(enum.Enum):
    """No range of the header overlaps the representation."""

    UNSATISFIABLE = "unsatisfiable"


UNSATISFIABLE: Final = Unsatisfiable.UNSATISFIABLE
ParsedRange = tuple[ByteRange, ...] | Literal[Unsatisfiable.UNSATISFIABLE] | None


def unsatisfiable_content_range(size: int) -> str:
    """The ``Content-Range`` value of a 416 answer."""
    return f"bytes */{size}"


def parse_range(header: str | None, size: int) -> ParsedRange:
    """Parse ``Range: <header>`` for a representation of ``size`` bytes (RFC 9110 §14.1.2).

    ``bytes=0-499``, ``bytes=500-``, ``bytes=-200`` and comma-separated lists of them are
    understood; the unit is case-insensitive and empty list elements are skipped (§5.6.1).
    Any malformed element (``5-4``, ``0--1``, ``abc``) makes the whole header ignored.
    A zero-length representation satisfies no range, so nothing ever yields an empty 206.
    """
    if header is None or size < 0 or len(header) > MAX_HEADER_CHARS:
        return None
    unit, equals, range_set = header.strip().partition("=")
    if not equals or not _UNIT.fullmatch(unit) or unit.lower() != "bytes":
        return None
    satisfiable: list[ByteRange] = []
    seen_any = False
    for raw in range_set.split(","):
        spec = raw.strip(" \t")
        if not spec:
            continue
        seen_any = True
        first, dash, last = spec.partition("-")
        if not dash:
            return None
        if first:
            if not _DIGITS.fullmatch(first) or (last and not _DIGITS.fullmatch(last)):
                return None
            start = int(first)
            end = int(last) if last else None
            if end is not None and end < start:
                return None
            if start < size:
                satisfiable.append(
                    ByteRange(start, size - 1 if end is None else min(end, size - 1))
                )
        else:
            if not _DIGITS.fullmatch(last):
                return None
            suffix = int(last)
            if suffix > 0 and size > 0:
                satisfiable.append(ByteRange(max(0, size - suffix), size - 1))
    if not seen_any:
        return None
    return tuple(satisfiable) if satisfiable else UNSATISFIABLE


def coalesce(ranges: tuple[ByteRange, ...], gap: int = COALESCE_GAP) -> tuple[ByteRange, ...]:
    """Merge ranges that overlap or lie within ``gap`` bytes of each other (RFC 9110 §15.3.7.2).

    The merged ranges keep the order in which their earliest member was asked for, as the
    RFC recommends; the bytes they cover are exactly those asked for plus the small gaps.
    """
    order = sorted(range(len(ranges)), key=lambda i: ranges[i])
    groups: list[tuple[ByteRange, int]] = []  # (merged range, earliest request index)
    for i in order:
        current = ranges[i]
        if groups and current.start <= groups[-1][0].end + 1 + gap:
            merged, first_index = groups[-1]
            groups[-1] = (
                ByteRange(merged.start, max(merged.end, current.end)),
                min(first_index, i),
            )
        else:
            groups.append((current, i))
    groups.sort(key=lambda group: group[1])
    return tuple(group[0] for group in groups)


def select_ranges(header: str | None, size: int, max_parts: int = MAX_PARTS) -> ParsedRange:
    """What to send for ``header``: the whole thing (None), a 416, or the parts to send.

    Like :func:`parse_range`, but coalesced, and ``None`` when more than ``max_parts``
    distinct parts would remain (nginx's ``max_ranges`` behaves the same way).
    """
    parsed = parse_range(header, size)
    if parsed is None or parsed is UNSATISFIABLE:
        return parsed
    parts = coalesce(parsed)
    return parts if len(parts) <= max_parts else None
