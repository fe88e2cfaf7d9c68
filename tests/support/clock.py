"""A clock a test holds and moves, for apps built with ``create_app(..., clock=...)``."""

from __future__ import annotations

import datetime

from streamstack.kernel.clock import utcnow


class HeldClock:
    """The time stands still at ``now`` until the test moves it (no sleeping for time to
    pass, and no race with the machine's speed)."""

    def __init__(self, start: datetime.datetime | None = None) -> None:
        self.now = start or utcnow()

    def __call__(self) -> datetime.datetime:
        return self.now

    def advance(self, seconds: float) -> datetime.datetime:
        """Move the time on by ``seconds``; the new time."""
        self.now += datetime.timedelta(seconds=seconds)
        return self.now
