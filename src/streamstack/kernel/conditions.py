"""RFC 9110 §13 conditional requests, evaluated against a representation's ETag and Last-Modified.

Pure functions, no I/O. :func:`evaluate` applies If-Match, If-Unmodified-Since,
If-None-Match and If-Modified-Since in the order §13.2.2 prescribes; :func:`if_range_holds`
decides whether a Range may be honoured (§13.1.5).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

# entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE ; etagc = %x21 / %x23-7E / obs-text
_ENTITY_TAG = re.compile(r'(W/)?"[\x21\x23-\x7e\x80-\xff]*"')
_LIST_SEPARATOR = re.compile(r"[ \t]*,[ \t]*")


@dataclasses.dataclass(frozen=True, slots=True)
class Conditions:
    """The request headers that make a GET or HEAD conditional or partial."""

    range: str | None = None
    if_range: str | None = None
    if_match: str | None = None
    if_none_match: str | None = None
    if_modified_since: str | None = None
    if_unmodified_since: str | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Conditions:
        """Pick the relevant headers out of a case-insensitive header mapping."""
        return cls(
            range=headers.get("range"),
            if_range=headers.get("if-range"),
            if_match=headers.get("if-match"),
            if_none_match=headers.get("if-none-match"),
            if_modified_since=headers.get("if-modified-since"),
            if_unmodified_since=headers.get("if-unmodified-since"),
        )


def parse_http_date(value: str | None) -> datetime | None:
    """The moment an HTTP-date names, or None when it is not a valid date."""
    if not value or len(value) > 64:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:  # "-0000": RFC 5322 for "unknown zone"; HTTP dates are GMT
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def is_strong(etag: str) -> bool:
    """Whether ``etag`` is a well-formed strong entity tag."""
    return _ENTITY_TAG.fullmatch(etag) is not None and not etag.startswith("W/")


def entity_tags(header: str) -> tuple[str, ...] | None:
    """The entity tags of an If-Match / If-None-Match header, ``("*",)`` for ``*``; None
    when it is no comma-separated list of quoted entity tags, or an empty one (RFC 9110
    §13.1.1: what a request's guarded write answers 400, a GET's condition ignores)."""
    if header.strip() == "*":
        return ("*",)
    # empty list elements are allowed (RFC 9110 §5.6.1.2)
    tags = tuple(item for item in _LIST_SEPARATOR.split(header.strip()) if item)
    if not tags or not all(_ENTITY_TAG.fullmatch(tag) for tag in tags):
        return None
    return tags


def tags_match(tags: tuple[str, ...], etag: str, *, weak: bool) -> bool:
    """Whether the :func:`entity_tags` ``tags`` name ``etag`` (``*`` names any).

    ``weak`` selects weak comparison (If-None-Match) over strong (If-Match, where a weak
    tag never matches; RFC 9110 §8.8.3.2).
    """
    if "*" in tags:
        return True
    if weak:
        opaque = etag.removeprefix("W/")
        return any(tag.removeprefix("W/") == opaque for tag in tags)
    return is_strong(etag) and etag in tags


def etag_list_matches(header: str, etag: str, *, weak: bool) -> bool:
    """Whether the If-Match / If-None-Match list ``header`` matches ``etag``
    (:func:`tags_match`). A malformed list matches nothing."""
    tags = entity_tags(header)
    return tags is not None and tags_match(tags, etag, weak=weak)


def evaluate(
    conditions: Conditions, etag: str, last_modified: datetime
) -> Literal[412, 304] | None:
    """412, 304, or None (carry on) for a GET/HEAD of an object with these validators."""
    modified = last_modified.replace(microsecond=0)
    if conditions.if_match is not None:
        if not etag_list_matches(conditions.if_match, etag, weak=False):
            return 412
    else:
        since = parse_http_date(conditions.if_unmodified_since)
        if since is not None and modified > since:
            return 412
    if conditions.if_none_match is not None:
        if etag_list_matches(conditions.if_none_match, etag, weak=True):
            return 304
    else:
        since = parse_http_date(conditions.if_modified_since)
        if since is not None and modified <= since:
            return 304
    return None


def if_range_holds(value: str, etag: str, last_modified: datetime) -> bool:
    """Whether ``If-Range: value`` lets the Range apply (RFC 9110 §13.1.5).

    An entity tag must be strong and equal the current strong ETag; a date must equal
    Last-Modified exactly. Anything else, malformed values included, means "send it all".
    """
    candidate = value.strip()
    if candidate.startswith(('"', "W/")):
        return is_strong(candidate) and is_strong(etag) and candidate == etag
    date = parse_http_date(candidate)
    return date is not None and date == last_modified.replace(microsecond=0)


def if_range_etag(conditions: Conditions) -> str | None:
    """The strong entity tag of If-Range, if that is what it holds."""
    value = (conditions.if_range or "").strip()
    return value if is_strong(value) else None
