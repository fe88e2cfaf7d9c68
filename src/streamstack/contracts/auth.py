"""The auth module's published language: where revocations are kept."""

from __future__ import annotations

#: KV bucket whose keys are revoked token ids (``jti``); written by auth, read by others.
REVOKED_TOKENS_BUCKET = "revoked-tokens"
#: How long a revocation is kept: the longest token lifetime (refresh, 7 days).
REVOCATION_TTL_SECONDS = 7 * 24 * 3600
