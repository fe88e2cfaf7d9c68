"""A circuit breaker: while a backend is known to be down, its callers fail at once.

Without one, every request during an outage waits out the backend's own timeout (5 s for
a NATS request by default; connect timeouts and retries for S3) before its 503, and
requests pile up meanwhile. After the first failure the breaker opens: callers get the
backend's "unavailable" error immediately, and one background probe asks the backend every
:data:`PROBE_INTERVAL_SECONDS` whether it is back; its first answer closes the breaker.

One call that waited out its timeout is weak evidence: a busy backend may answer one
request late and the next in time. :meth:`CircuitBreaker.waited_out` first asks the probe
once; only when that gets no answer either (within :data:`PROBE_TIMEOUT_SECONDS`) does the
breaker open. The call that found the trouble pays for the question; the others are not
refused for a backend that is only slow.
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
    _asking: asyncio.Task[bool] | None = dataclasses.field(default=None, init=False)
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
        if self.is_open or self._stopped or self._is_stale(started):
            return
        log.warning("backend.circuit_open", backend=self.name)
        self._probing = asyncio.get_running_loop().create_task(self._probe_until_back())

    async def waited_out(self, started: float | None = None) -> None:
        """Record a call that waited out its timeout: open (:meth:`trip`) unless the probe,
        asked now, gets an answer, which means the backend is slow, not away.

        Calls that wait out their timeouts together share one question.
        """
        if self.is_open or self._stopped or self._is_stale(started):
            return
        if self._asking is None or self._asking.done():
            self._asking = asyncio.get_running_loop().create_task(self._answers())
        if await asyncio.shield(self._asking):
            log.warning("backend.slow_answer", backend=self.name)
            return
        self.trip(started)

    async def close(self) -> None:
        """Stop probing (at shut-down)."""
        self._stopped = True
        for task in (self._probing, self._asking):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def _is_stale(self, started: float | None) -> bool:
        return started is not None and started <= self._last_success

    async def _answers(self) -> bool:
        """Whether the backend answers the probe within its timeout (recorded if so)."""
        try:
            async with asyncio.timeout(self.probe_timeout):
                await self.probe()
        except Exception as exc:  # any failure means "no answer"
            log.debug("backend.still_down", backend=self.name, error=repr(exc))
            return False
        self.succeeded()
        return True

    async def _probe_until_back(self) -> None:
        while True:
            if await self._answers():
                log.info("backend.circuit_closed", backend=self.name)
                return
            await asyncio.sleep(self.probe_interval)
