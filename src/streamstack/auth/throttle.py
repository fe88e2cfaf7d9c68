"""Login throttling: failures counted per email and per client address, in a KV bucket.

The counters live in the key-value store so that every replica sees them. After a number
of free failures each further failure locks the key for twice as long as the previous
one, up to a cap; attempts made while locked are answered 429 without checking the
password and without being counted, so an attacker cannot push a lock beyond the cap,
and the owner's next successful login clears the email's counter.

If the key-value store is down, sign-in goes on unthrottled (and says so in the log):
passwords are checked against the database alone, so an outage of the store must not
lock everyone out, nor slow every sign-in down by the store's timeouts: after a failure
the store is left alone for a few seconds.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import math
import time
from collections.abc import Callable, Iterator

import msgspec
import structlog

from streamstack.kernel.errors import ServiceUnavailable, TooManyRequests
from streamstack.kernel.kv import KeyValueStore

log = structlog.get_logger(__name__)

#: KV bucket of the counters, and how long an idle counter is remembered.
THROTTLE_BUCKET = "login-throttle"
THROTTLE_TTL_SECONDS = 3600
#: After the store failed, how long sign-ins skip it instead of waiting on it again.
STORE_RETRY_SECONDS = 5.0


class LoginThrottled(TooManyRequests):
    """Too many failed logins for this email or from this address."""

    code = "login_throttled"


class FailureCount(msgspec.Struct, frozen=True):
    """Stored per key: consecutive failures and the end of the current lock (epoch s)."""

    failures: int = 0
    locked_until: float = 0.0


class LoginThrottle:
    """Counts failed logins and refuses attempts during the backoff that follows."""

    def __init__(
        self,
        store: KeyValueStore,
        secret: str,
        *,
        email_attempts: int,
        address_attempts: int,
        max_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._clock = clock
        self._secret = secret.encode()
        self._free = {"email": email_attempts, "addr": address_attempts}
        self._max_seconds = max_seconds
        self._store_down_until = 0.0

    async def check(self, email: str, address: str) -> None:
        """Raise :class:`LoginThrottled` with Retry-After while either key is locked."""
        now = self._clock()
        waits = [(await self._load(key)).locked_until - now for key in self._keys(email, address)]
        wait = max(waits)
        if wait > 0:
            raise LoginThrottled(
                "too many failed sign-in attempts; try again later",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )

    async def record_failure(self, email: str, address: str) -> None:
        """Count a failed attempt against both keys, locking them past the free attempts."""
        now = self._clock()
        for kind, key in zip(("email", "addr"), self._keys(email, address), strict=True):
            failures = (await self._load(key)).failures + 1
            over = failures - self._free[kind]
            # The exponent is bounded so that years of failures cannot overflow a float.
            delay = min(2.0 ** min(over, 32), self._max_seconds)
            locked_until = now + delay if over >= 0 else 0.0
            with self._store_may_be_down("record_failure") as usable:
                if usable:
                    await self._store.put(
                        key, msgspec.json.encode(FailureCount(failures, locked_until))
                    )

    async def record_success(self, email: str) -> None:
        """Forget the email's failures (the address keeps its count until it decays)."""
        key = self._keys(email, "")[0]
        with self._store_may_be_down("record_success") as usable:
            # Most sign-ins have nothing to forget: read before writing a deletion.
            if usable and await self._store.get(key) is not None:
                await self._store.delete(key)

    async def _load(self, key: str) -> FailureCount:
        raw = None
        with self._store_may_be_down("check") as usable:
            if usable:
                raw = await self._store.get(key)
        if raw is None:
            return FailureCount()
        try:
            return msgspec.json.decode(raw, type=FailureCount)
        except msgspec.DecodeError:
            return FailureCount()

    @contextlib.contextmanager
    def _store_may_be_down(self, step: str) -> Iterator[bool]:
        """Yield whether to use the store now; a failure turns it off for a while."""
        if self._clock() < self._store_down_until:
            yield False
            return
        try:
            yield True
        except ServiceUnavailable as exc:
            self._store_down_until = self._clock() + STORE_RETRY_SECONDS
            log.warning("login_throttle_unavailable", step=step, error=exc.code)

    def _keys(self, email: str, address: str) -> tuple[str, str]:
        # Keyed hashes: the bucket holds no emails or addresses in clear.
        def digest(value: str) -> str:
            return hmac.new(self._secret, value.encode(), hashlib.sha256).hexdigest()[:40]

        return f"email.{digest(email)}", f"addr.{digest(address)}"
