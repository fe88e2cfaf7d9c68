"""Chapters from a description, as YouTube reads them, and which chapters an item has.

Lines that start with a timestamp (after a list's bullet or number) name the part of the
video from there on: "0:00 Intro", "- 1:23 - The chorus", "2) 12:05: Outro", "(1:02:03)
Credits". The list counts only as YouTube's does, so a description that merely mentions a
few moments has no chapters: the first at 0:00, at least three, in ascending order, each at
least ten seconds long, all before the end (the first :data:`MAX_CHAPTERS` kept, as of a
file's). An item's chapters are its description's when it lists them (what the uploader
wrote), else those its file marks (an audiobook's, a film's): one rule for the API, the CLI
and the player, applied as the one item is read (:func:`item_chapters`).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence

from streamstack.contracts.catalogue import ChaptersFrom
from streamstack.contracts.limits import CHAPTER_TITLE_MAX, MAX_CHAPTERS
from streamstack.contracts.media import Chapter

#: The fewest chapters a list may have, and the shortest chapter (s): YouTube's rules.
MIN_CHAPTERS = 3
MIN_CHAPTER_SECONDS = 10

#: "1:23", "12:05", "1:02:03": minutes and seconds 00-59, hours at most two digits; not
#: followed by a digit or a colon and a digit ("1:234", "1:23:45:67" are no timestamps).
_CLOCK = r"(?:([0-9]{1,2}):([0-5][0-9]):([0-5][0-9])|([0-5]?[0-9]):([0-5][0-9]))(?![0-9]|:[0-9])"
#: A list's bullet, or its number ("2)", "2."), before the timestamp.
_MARKER = r"(?:[-*•·▶►]|[0-9]{1,3}[.)])"
_SEPARATOR = r"[-\u2013\u2014:|.]"  # hyphen, en and em dashes, colon, bar, full stop
_LINE = re.compile(rf"\s*(?:{_MARKER}\s*)?[(\[]?{_CLOCK}[)\]]?\s*(?:{_SEPARATOR}\s*)?(\S.*?)\s*")
#: What a chapter's title may not hold (one line of text): replaced by a space.
_NOT_ON_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\s]+")


def chapters_in(description: str | None, duration: float | None) -> list[Chapter]:
    """The description's chapters (its first :data:`MAX_CHAPTERS`), or none when its
    timestamped lines make no chapter list for a video of ``duration`` seconds (unknown:
    any length)."""
    return described_chapters(description, duration)[0]


def described_chapters(
    description: str | None, duration: float | None
) -> tuple[list[Chapter], str | None]:
    """What :func:`chapters_in` makes of ``description``, and why its timestamped lines make
    no chapters when they do not (a phrase, such as "each chapter must last at least 10
    seconds"; None when they do or there are none), for the forms that edit it."""
    if not description:
        return [], None
    # splitlines: a description typed on Windows ends its lines with CRLF.
    chapters = [c for c in map(_chapter_line, description.splitlines()) if c is not None]
    if not chapters:
        return [], None
    unused = _why_no_chapter_list(chapters, duration)
    return ([], unused) if unused else (chapters[:MAX_CHAPTERS], None)


def item_chapters(
    description: str | None, duration: float | None, marked: Sequence[Chapter]
) -> tuple[list[Chapter], ChaptersFrom | None]:
    """The chapters a player marks and where they come from: the description's when it
    lists them, else ``marked`` (the file's); None for no chapters."""
    if described := chapters_in(description, duration):
        return described, "description"
    return list(marked), "file" if marked else None


def _chapter_line(line: str) -> Chapter | None:
    """The chapter ``line`` names, or None when it does not start with a timestamp and a
    title."""
    match = _LINE.fullmatch(line)
    return None if match is None else _chapter(_seconds(*match.groups()[:5]), match.group(6))


def _seconds(
    hours: str | None,
    minutes: str | None,
    seconds: str | None,
    short_m: str | None,
    short_s: str | None,
) -> int:
    if hours is not None:
        return int(hours) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
    return int(short_m or 0) * 60 + int(short_s or 0)


def _chapter(start: int, title: str) -> Chapter | None:
    """A chapter of ``title`` made one line and cut to the contract's length; None if blank."""
    title = _NOT_ON_ONE_LINE.sub(" ", title).strip()[:CHAPTER_TITLE_MAX].rstrip()
    return Chapter(float(start), title) if title else None


def _why_no_chapter_list(chapters: Sequence[Chapter], duration: float | None) -> str | None:
    """Which of YouTube's rules (see the module docstring) ``chapters`` break, in words;
    None when they follow them all."""
    if len(chapters) < MIN_CHAPTERS:
        return f"there must be at least {MIN_CHAPTERS}"
    if chapters[0].start_seconds != 0:
        return "the first must be at 0:00"
    starts = [c.start_seconds for c in chapters]
    if any(after <= before for before, after in itertools.pairwise(starts)):
        return "they must be in order, earliest first"
    end = (
        duration if duration is not None and math.isfinite(duration) and duration > 0 else math.inf
    )
    if starts[-1] >= end:
        return "one is at or after the end of the video"
    if any(
        after - before < MIN_CHAPTER_SECONDS for before, after in itertools.pairwise([*starts, end])
    ):
        return f"each chapter must last at least {MIN_CHAPTER_SECONDS} seconds"
    return None
