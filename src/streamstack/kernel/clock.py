"""The time, as every module stores and compares it: timezone-aware UTC."""

from __future__ import annotations

import datetime
from collections.abc import Callable

#: Where a use case reads the time: :func:`utcnow`, or a test's held or moved clock, given
#: to the app factory and handed to each module in its ``ModuleContext``.
Clock = Callable[[], datetime.datetime]


def utcnow() -> datetime.datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.datetime.now(datetime.UTC)
