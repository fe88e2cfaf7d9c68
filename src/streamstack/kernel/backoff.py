"""Exponential backoff: how long to wait before trying again after failures in a row."""

from __future__ import annotations

#: Doublings beyond this add nothing any cap needs (2**32 x the first wait), and keep the
#: float finite however long an outage lasts (``2 ** 1024`` overflows a float).
_MAX_DOUBLINGS = 32


def backoff_seconds(failures: int, first: float, most: float) -> float:
    """``first`` after one failure, doubled for each further one, never above ``most``."""
    return min(most, first * 2.0 ** min(max(failures - 1, 0), _MAX_DOUBLINGS))
