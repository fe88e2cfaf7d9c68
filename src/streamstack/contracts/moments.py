"""A link's start time: the ``t`` of ``/s/<secret>?t=1m30s`` and ``/embed/s/<secret>?t=90``.

The same forms the SPA's players read (web/src/lib/moment.ts ``parseMoment``): ``90``,
``179.9``, ``90s``, ``1m30s``, ``1h2m3s``, ``1:30`` or ``1:02:03``. Anything else is no
start time, which the player ignores (it starts at 0:00), so a writer of links drops it.
"""

from __future__ import annotations

import re

#: "1:23", "12:05", "1:02:03": minutes and seconds 00-59, hours at most two digits.
_CLOCK = re.compile(r"(?:(\d{1,2}):([0-5]\d):([0-5]\d)|([0-5]?\d):([0-5]\d))")
#: Each unit optional, in this order; a bare number is seconds only on its own.
_UNITS = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", re.IGNORECASE)
_BARE = re.compile(r"\d+(?:\.\d+)?")
#: The player's own limit: a time JavaScript's numbers hold exactly (Number.isSafeInteger).
_SAFE = 2**53 - 1


def _seconds(hours: str | None, minutes: str | None, seconds: str | None) -> int | None:
    total = int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
    return total if total <= _SAFE else None


def parse_moment(value: str | None) -> float | None:
    """The start time ``value`` asks for, in seconds; None for anything the player ignores
    (empty, negative, ``1:75``, ``abc``). Whether the video is that long is the caller's
    question (:func:`start_of`)."""
    if not value:
        return None
    if clock := _CLOCK.fullmatch(value):
        hours, hour_minutes, hour_seconds, minutes, seconds = clock.groups()
        if hours is not None:
            return _seconds(hours, hour_minutes, hour_seconds)
        return _seconds(None, minutes, seconds)
    if _BARE.fullmatch(value):
        return None if _seconds(None, None, value.split(".")[0]) is None else float(value)
    units = _UNITS.fullmatch(value)
    if units is None or all(part is None for part in units.groups()):
        return None
    return _seconds(*units.groups())


def start_of(value: str | None, duration: float | None) -> float | None:
    """``value``'s start time when a video of ``duration`` seconds (None: unknown, any
    length) has it: the end itself is not one. None otherwise."""
    time = parse_moment(value)
    if time is None or (duration is not None and duration > 0 and time >= duration):
        return None
    return time


def moment_text(time: float) -> str:
    """``time`` as a link's ``t``: whole seconds bare (``90``), a fraction as it is."""
    return str(int(time)) if time == int(time) else repr(time)
