"""A circuit breaker: while a backend is known to be down, its callers fail at once.

Without one, every request during an outage waits out the backend's own timeout (2 s for
a NATS request; connect timeouts and retries for S3) before its 503, and requests pile up
meanwhile. After the first failure the breaker opens: callers get the backend's
"unavailable" error immediately, and one background probe asks the backend every
:data:`PROBE_INTERVAL_SECONDS` whether it is back; its first answer closes the breaker.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)

#: How often the probe asks a backend that is down whether it is back.
PROBE_INTERVAL_SECONDS = 0.1
#: A probe that takes longer than this counts as "still down".
PROBE_TIMEOUT_SECONDS = 2.0


@dataclasses.dataclass(eq=False, slots=True)
class CircuitBreaker:
    """Open on a backend failure, closed again by the first successful background probe.

    ``probe`` asks the backend whether it answers; ``unavailable`` makes the error callers
    get while the breaker is open, from a message.
    """

    name: str
    probe: Callable[[], Awaitable[object]]
    unavailable: Callable[[str], Exception]
    _: dataclasses.KW_ONLY
    probe_interval: float = PROBE_INTERVAL_SECONDS
    probe_timeout: float = PROBE_TIMEOUT_SECONDS
    _probing: asyncio.Task[None] | None = dataclasses.field(default=None, init=False)
    _stopped: bool = dataclasses.field(default=False, init=False)
    _last_success: float = dataclasses.field(default=0.0, init=False)

    @property
    def is_open(self) -> bool:
        """True while the backend is known to be down."""
        return self._probing is not None and not self._probing.done()

    def check(self) -> None:
        """Raise the backend's unavailable error at once while the breaker is open."""
        if self.is_open:
            raise self.unavailable(f"{self.name} is unavailable")

    @staticmethod
    def clock() -> float:
        """Now, on the clock :meth:`trip` and :meth:`succeeded` compare."""
        return time.monotonic()

    def succeeded(self) -> None:
        """Record that the backend answered a call."""
        self._last_success = time.monotonic()

    def trip(self, started: float | None = None) -> None:
        """Record a failure that means the backend is down: open, and start probing.

        A call that ``started`` before the backend last answered another one is stale (it
        waited through an outage that is already over) and opens nothing.
        """
        if self.is_open or self._stopped:
            return
        if started is not None and started <= self._last_success:
            return
        log.warning("backend.circuit_open", backend=self.name)
        self._probing = asyncio.get_running_loop().create_task(self._probe_until_back())

    async def close(self) -> None:
        """Stop probing (at shut-down)."""
        self._stopped = True
        if self._probing is not None and not self._probing.done():
            self._probing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probing

    async def _probe_until_back(self) -> None:
        while True:
            try:
                async with asyncio.timeout(self.probe_timeout):
                    await self.probe()
            except Exception as exc:  # still down: any failure means "ask again later"
                log.debug("backend.still_down", backend=self.name, error=repr(exc))
                await asyncio.sleep(self.probe_interval)
                continue
            self.succeeded()
            log.info("backend.circuit_closed", backend=self.name)
            return
