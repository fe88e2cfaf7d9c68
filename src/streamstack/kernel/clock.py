"""The time, as every module stores and compares it: timezone-aware UTC."""

from __future__ import annotations

import datetime


def utcnow() -> datetime.datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.datetime.now(datetime.UTC)
