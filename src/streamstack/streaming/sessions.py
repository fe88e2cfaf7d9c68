"""Signed-out sessions: a grant ends with the access token it was issued to.

A stream token is issued to one access token (the grant keeps its ``jti`` and expiry) and
never outlives it. Auth puts a live access token on the revocation list when its user signs
out (here or everywhere), changes role, is disabled or deleted, or has a session revoked;
its grants then stop too. The list is read at most once every :data:`RECHECK_SECONDS` per
access token, so a byte-range request costs no KV lookup in the common case, and a
sign-out reaches the streams of that session within that time.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from streamstack.kernel.revocation import RevocationList

#: How long an answer of the revocation list is trusted (a revoked token stays revoked).
RECHECK_SECONDS = 5.0
#: Answers remembered at most; beyond it, the outdated ones are dropped.
MAX_REMEMBERED = 10_000


@dataclasses.dataclass(slots=True)
class SignedOutSessions:
    """Whether the access token behind a grant was revoked, asked of the revocation list
    no more than once per ``recheck_seconds`` per token."""

    revocations: RevocationList
    recheck_seconds: float = RECHECK_SECONDS
    monotonic: Callable[[], float] = time.monotonic
    _answers: dict[str, tuple[bool, float]] = dataclasses.field(default_factory=dict)
    """Each token id asked about: whether it was revoked, and when that was read."""

    async def revoked(self, jti: str) -> bool:
        """Whether ``jti`` was revoked (503 when the list cannot be read: fail closed)."""
        now = self.monotonic()
        answer = self._answers.get(jti)
        if answer is not None and (answer[0] or now - answer[1] < self.recheck_seconds):
            return answer[0]
        revoked = await self.revocations.is_revoked(jti)
        if len(self._answers) >= MAX_REMEMBERED:
            self._answers = {
                key: value
                for key, value in self._answers.items()
                if value[0] or now - value[1] < self.recheck_seconds
            }
        self._answers[jti] = (revoked, now)
        return revoked
