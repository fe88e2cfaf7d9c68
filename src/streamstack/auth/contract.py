"""Auth's side of its contract with every other module: the revoked-tokens list.

No module calls auth. What the others rely on is what auth writes: the ``jti`` of every
access token that must stop working (sign-out, sign-out everywhere, a role change, a
refresh-token theft) goes into the kernel's revocation list, which the one authenticator
reads on every request and operation of every module. This is the in-process
implementation of that promise.
"""

from __future__ import annotations

from collections.abc import Iterable

from streamstack.kernel.revocation import RevocationList


class TokenRevocations:
    """Writes revoked access-token ids where every module's authenticator looks."""

    def __init__(self, revocations: RevocationList) -> None:
        self._revocations = revocations

    async def revoke(self, jtis: Iterable[str]) -> None:
        """Revoke these token ids; each stays revoked for the longest token lifetime.

        Called before the database change that goes with it commits: if that commit then
        fails, tokens are revoked that need not be, never the other way round.
        """
        for jti in jtis:
            await self._revocations.revoke(jti)

    async def is_revoked(self, jti: str) -> bool:
        """Whether this token id is revoked (read back by auth's own use cases)."""
        return await self._revocations.is_revoked(jti)
