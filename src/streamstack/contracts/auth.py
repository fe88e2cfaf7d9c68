"""The auth module's published language.

Nothing here is called: other modules learn who is calling from the kernel's one
authenticator, which verifies the token and reads the revoked-tokens list that auth writes
(:mod:`streamstack.auth.contract`). The list itself is the kernel's
(:mod:`streamstack.kernel.revocation`); these names stay importable from here for the
tests that still use them.
"""

from __future__ import annotations

from streamstack.kernel.revocation import REVOCATION_TTL_SECONDS, REVOKED_TOKENS_BUCKET

__all__ = ["REVOCATION_TTL_SECONDS", "REVOKED_TOKENS_BUCKET"]
