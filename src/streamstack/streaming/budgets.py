"""Issue budgets: how many stream tokens one account may still have issued.

Every issued token is a value in the ``stream-tokens`` KV bucket for the bucket's TTL (an
hour), so an unbounded issue rate would let one signed-in client fill the store. Each
account (the access token's subject, so that refreshing for new access tokens, or signing
in again, gains nothing) gets a bucket of :data:`STREAM_TOKEN_BURST` issues, refilled by
one every :data:`STREAM_TOKEN_REFILL_SECONDS`; a request past it is 429 with
``Retry-After``, before anything is stored. Kept in memory per process: players, a few
tabs of them included, ask on load and to renew, far inside the budget.
"""

from __future__ import annotations

import dataclasses
import math
from collections import OrderedDict

from streamstack.contracts.limits import STREAM_TOKEN_BURST, STREAM_TOKEN_REFILL_SECONDS
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.errors import TooManyRequests

#: Accounts remembered at most, least recently seen out (a forgotten one starts full).
MAX_REMEMBERED = 100_000


class StreamTokensThrottled(TooManyRequests, code="stream_tokens_throttled"):
    """This account asked for stream tokens faster than players do."""


@dataclasses.dataclass(slots=True)
class IssueBudgets:
    """Per account: the issues left and when that count was taken (app clock)."""

    clock: Clock = utcnow
    burst: int = STREAM_TOKEN_BURST
    refill_seconds: float = STREAM_TOKEN_REFILL_SECONDS
    _left: OrderedDict[str, tuple[float, float]] = dataclasses.field(default_factory=OrderedDict)

    def spend(self, account: str) -> None:
        """Take one issue from ``account``'s budget, or raise :class:`StreamTokensThrottled`."""
        now = self.clock().timestamp()
        left, counted_at = self._left.pop(account, (float(self.burst), now))
        left = min(float(self.burst), left + max(0.0, now - counted_at) / self.refill_seconds)
        if left < 1:
            self._left[account] = (left, now)
            wait = math.ceil((1 - left) * self.refill_seconds)
            raise StreamTokensThrottled(
                "too many stream tokens asked for; try again shortly",
                headers={"Retry-After": str(wait)},
            )
        self._left[account] = (left - 1, now)
        while len(self._left) > MAX_REMEMBERED:
            self._left.popitem(last=False)
