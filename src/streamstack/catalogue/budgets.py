"""Search budgets: how many searches one client address may have the catalogue run; and
share-link token budgets: how many stream tokens one address may have issued by links.

The list and its search are public. Most searches read about as many items as their page
shows, but some cannot be narrowed by the trigram index (a word of one or two letters, or
of five letters, whose typo variants hold no piece of three: ``ab?de``; common words that
every item holds, whose ranked tier is read whole) and read every item: a few hundred
milliseconds of the database each at 100,000 items. Unbounded, a handful of such requests
a second from one address would take the database from every viewer. So each address
gets ``search_burst`` searches, then one more every ``search_refill_seconds`` (the
kernel's token buckets), a search past it being 429 ``searches_throttled`` with
``Retry-After`` before anything is read. Only searches the database runs are counted:
pages from the viewers' cache cost nothing, and admins (signed in, trusted) are never
counted. A person typing (the SPA waits for a 300 ms pause) and paging stays far inside.
"""

from __future__ import annotations

from streamstack.kernel.errors import TooManyRequests


class SearchesThrottled(TooManyRequests, code="searches_throttled"):
    """This address searched the catalogue faster than people do."""

    budget_detail = "too many searches from this address; try again shortly"


class SharedTokensThrottled(TooManyRequests, code="stream_tokens_throttled"):
    """This address asked for share links' stream tokens faster than players do (the code
    a signed-in viewer's stream-token route answers)."""

    budget_detail = "too many stream tokens asked for from this address; try again shortly"
