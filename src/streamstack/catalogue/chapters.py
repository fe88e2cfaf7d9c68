"""Chapters from a description, as YouTube reads them, and which chapters an item has.

Lines that start (or end) with a timestamp name the part of the video from there on:
"0:00 Intro", "- 1:23 - The chorus", "(12:05) Outro", "Credits 14:10". The list counts only
as YouTube's does, so a description that merely mentions a few moments has no chapters: the
first at 0:00, at least three, in ascending order, each at least ten seconds long, all
before the end. An item's chapters are its description's when it lists them (what the
uploader wrote), else those its file marks (an audiobook's, a film's): one rule for the API,
the CLI and the player.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from streamstack.contracts.limits import CHAPTER_TITLE_MAX, MAX_CHAPTERS
from streamstack.contracts.media import Chapter

#: The fewest chapters a list may have, and the shortest chapter (s): YouTube's rules.
MIN_CHAPTERS = 3
MIN_CHAPTER_SECONDS = 10

#: "1:23", "12:05", "1:02:03": minutes and seconds 00-59, hours at most two digits.
_CLOCK = r"(?:([0-9]{1,2}):([0-5][0-9]):([0-5][0-9])|([0-5]?[0-9]):([0-5][0-9]))"
#: A list bullet, a bracket, a dash or a colon between the timestamp and the title.
_BULLET = r"[-*•·▶►]"
_SEPARATOR = r"[-\u2013\u2014:|.]"  # hyphen, en and em dashes, colon, bar, full stop
_LEADING = re.compile(rf"\s*(?:{_BULLET}\s*)?[(\[]?{_CLOCK}[)\]]?\s*(?:{_SEPARATOR}\s*)?(\S.*?)\s*")
_TRAILING = re.compile(
    rf"\s*(?:{_BULLET}\s*)?(\S.*?)\s*(?:{_SEPARATOR}\s*)?[(\[]?{_CLOCK}[)\]]?\s*"
)
#: What a chapter's title may not hold (one line of text): replaced by a space.
_NOT_ON_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\s]+")


def chapters_in(description: str | None, duration: float | None) -> list[Chapter]:
    """The description's chapters, or none when its timestamped lines make no chapter list
    for a video of ``duration`` seconds (unknown: any length)."""
    if not description:
        return []
    chapters = [c for c in map(_chapter_line, description.split("\n")) if c is not None]
    return chapters if _is_chapter_list(chapters, duration) else []


def item_chapters(
    description: str | None, duration: float | None, marked: Sequence[Chapter]
) -> list[Chapter]:
    """The chapters a player marks: the description's when it lists them, else ``marked``
    (the file's)."""
    return chapters_in(description, duration) or list(marked)


def _chapter_line(line: str) -> Chapter | None:
    """The chapter ``line`` names, or None when it starts and ends with no timestamp."""
    leading = _LEADING.fullmatch(line)
    if leading is not None:
        return _chapter(_seconds(*leading.groups()[:5]), leading.group(6))
    trailing = _TRAILING.fullmatch(line)
    if trailing is not None:
        return _chapter(_seconds(*trailing.groups()[1:]), trailing.group(1))
    return None


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


def _is_chapter_list(chapters: Sequence[Chapter], duration: float | None) -> bool:
    """Whether ``chapters`` follow YouTube's rules (see the module docstring)."""
    if not MIN_CHAPTERS <= len(chapters) <= MAX_CHAPTERS or chapters[0].start_seconds != 0:
        return False
    end = (
        duration if duration is not None and math.isfinite(duration) and duration > 0 else math.inf
    )
    ends = [c.start_seconds for c in chapters[1:]] + [end]
    return all(
        after - c.start_seconds >= MIN_CHAPTER_SECONDS
        for c, after in zip(chapters, ends, strict=True)
    )
