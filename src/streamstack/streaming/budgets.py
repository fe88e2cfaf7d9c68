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

from streamstack.contracts.limits import STREAM_TOKEN_BURST, STREAM_TOKEN_REFILL_SECONDS
from streamstack.kernel.budgets import Budgets
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.errors import TooManyRequests


class StreamTokensThrottled(TooManyRequests, code="stream_tokens_throttled"):
    """This account asked for stream tokens faster than players do."""

    budget_detail = "too many stream tokens asked for; try again shortly"


def issue_budgets(clock: Clock = utcnow) -> Budgets:
    """Per account: the stream tokens it may still have issued (the kernel's buckets)."""
    return Budgets(STREAM_TOKEN_BURST, STREAM_TOKEN_REFILL_SECONDS, StreamTokensThrottled, clock)
