"""Per-key request budgets (token buckets): how often one client may do something costly.

Each key (an account, an address) gets a bucket of ``burst`` spends, refilled by one every
``refill_seconds``; a spend from an empty bucket raises the module's own
:class:`~streamstack.kernel.errors.TooManyRequests` subclass with ``Retry-After`` (the
seconds until the next spend is allowed), before any work is done. Kept in memory per
process, the least recently seen keys forgotten past :data:`MAX_REMEMBERED` (a forgotten
key starts full again): a bound on one client's rate, not an exact global count.
"""

from __future__ import annotations

import dataclasses
import math

from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.errors import TooManyRequests
from streamstack.kernel.recently_used import RecentlyUsed

#: Keys remembered at most, least recently seen out (a forgotten one starts full).
MAX_REMEMBERED = 100_000


@dataclasses.dataclass(slots=True)
class Budgets:
    """Per key: the spends left and when that count was taken (app clock)."""

    #: How many spends a key has at first, and at most.
    burst: int
    #: One spend comes back every this many seconds.
    refill_seconds: float
    #: What an empty bucket raises (the module's code; its message, its ``budget_detail``).
    refused: type[TooManyRequests]
    clock: Clock = utcnow
    _left: RecentlyUsed[str, tuple[float, float]] = dataclasses.field(
        default_factory=lambda: RecentlyUsed(MAX_REMEMBERED)
    )

    def spend(self, key: str) -> None:
        """Take one spend from ``key``'s budget, or raise :attr:`refused` with
        ``Retry-After``."""
        now = self.clock().timestamp()
        left, counted_at = self._left.get(key, (float(self.burst), now))
        left = min(float(self.burst), left + max(0.0, now - counted_at) / self.refill_seconds)
        if left < 1:
            self._left.put(key, (left, now))
            wait = math.ceil((1 - left) * self.refill_seconds)
            raise self.refused(self.refused.budget_detail, headers={"Retry-After": str(wait)})
        self._left.put(key, (left - 1, now))

    def give_back(self, key: str) -> None:
        """Return the spend ``key`` took for work that was refused (nothing was done)."""
        if key in self._left:
            left, counted_at = self._left[key]
            self._left[key] = (min(float(self.burst), left + 1), counted_at)
