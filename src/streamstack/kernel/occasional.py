"""A warning logged at most once an interval: a setting that differs between services (the
service secret, the JWT key pair) refuses every call until it is mended, and one line a
minute names it without a line per request drowning the log.

Only the standard library at import: the token verifier, which the command line loads,
logs through it (structlog is loaded at the first warning, ``tests/app/test_import_weight.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

#: How often the same warning may be logged.
WARNING_INTERVAL_SECONDS = 60.0


class OccasionalWarning:
    """Logs ``event`` at warning level at most once per ``interval_seconds``, counting in
    ``suppressed`` the occurrences left out since the last line."""

    def __init__(
        self,
        event: str,
        logger_name: str,
        interval_seconds: float = WARNING_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.event = event
        self._logger_name = logger_name
        self._interval = interval_seconds
        self._clock = clock
        self._last: float | None = None
        self._suppressed = 0

    def occurred(self, **fields: Any) -> None:
        """One occurrence: logged with ``fields`` unless one was logged within the interval."""
        now = self._clock()
        if self._last is not None and now - self._last < self._interval:
            self._suppressed += 1
            return
        import structlog

        suppressed, self._suppressed, self._last = self._suppressed, 0, now
        structlog.get_logger(self._logger_name).warning(self.event, **fields, suppressed=suppressed)
