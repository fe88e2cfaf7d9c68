"""Key-value port: small values with a per-bucket time to live.

Two adapters implement :class:`KeyValueStore`: NATS JetStream KV in production
(:mod:`.nats`) and an embedded store persisted to the data directory (:mod:`.embedded`).
Both pass the same test suite in ``tests/kernel/test_kv_port.py``.
"""

from __future__ import annotations

import re
from typing import Protocol

from streamstack.kernel.errors import BadRequest, Conflict, ServiceUnavailable

# The NATS KV key alphabet, which the embedded store enforces too so both behave alike.
_KEY = re.compile(r"[A-Za-z0-9_=\-][A-Za-z0-9_=\-./]{0,254}")
_BUCKET = re.compile(r"[A-Za-z0-9_\-]{1,64}")


class KeyExists(Conflict, code="key_exists"):
    """``create`` found the key already present."""


class KeyValueUnavailable(ServiceUnavailable, code="kv_unavailable"):
    """The key-value backend did not answer."""


class InvalidKey(BadRequest, code="invalid_key"):
    """A key outside the allowed alphabet."""


def check_key(key: str) -> str:
    """Return ``key`` if it is a valid key, else raise :class:`InvalidKey`."""
    if not _KEY.fullmatch(key) or key.endswith(".") or ".." in key:
        raise InvalidKey(f"invalid key {key[:64]!r}")
    return key


def check_bucket(bucket: str) -> str:
    """Return ``bucket`` if it is a valid bucket name, else raise ValueError."""
    if not _BUCKET.fullmatch(bucket):
        raise ValueError(f"invalid key-value bucket name {bucket!r}")
    return bucket


class KeyValueStore(Protocol):
    """A bucket of keys whose values expire ``ttl_seconds`` after they were written."""

    bucket: str
    ttl_seconds: int

    async def get(self, key: str) -> bytes | None:
        """The value, or None when absent, deleted or expired."""
        ...

    async def put(self, key: str, value: bytes) -> None:
        """Write ``value``, replacing any previous one (restarts the TTL)."""
        ...

    async def create(self, key: str, value: bytes) -> None:
        """Write ``value`` only if the key is absent; raise :class:`KeyExists` otherwise."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the key; absent keys are fine."""
        ...

    async def ping(self) -> None:
        """Raise :class:`KeyValueUnavailable` unless the backend answers."""
        ...
