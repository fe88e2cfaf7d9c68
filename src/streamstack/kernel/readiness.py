"""The readiness checks behind ``GET /ready``: one per backend, each bounded in time.

An orchestrator's probe gives up after a second or so; a check that waits out a hung
backend's own timeouts (a frozen PostgreSQL held requests 30 s and more) leaves the probe
with no answer instead of one that names the backend. So each check has its own bound,
and probes arriving while a check runs wait for that same check rather than start more:
a hung backend costs one pending ping, not one per probe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from streamstack.kernel.tasks import HEALTHY

#: The bound of a check that asks its server for no work (a round trip, ``SELECT 1``): one
#: that does not answer in this time is hung or swamped.
PING_SECONDS = 1.0
#: The bound of a check that does I/O of its own (a bucket's HEAD, a disk's free space).
IO_SECONDS = 3.0

Check = Callable[[], Coroutine[Any, Any, None]]


class ReadinessCheck:
    """One backend's check, waited for at most ``seconds`` by each probe.

    A check that outlives its bound goes on in the background (cutting a connection's
    clean-up short can leave it broken in the pool) and is what the next probes wait for.
    """

    def __init__(self, check: Check, seconds: float) -> None:
        self._check = check
        self.seconds = seconds
        self._running: asyncio.Task[None] | None = None

    async def run(self) -> str:
        """``ok``, ``timeout``, or the check's failure."""
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._check())
            # Retrieved here: a failure no probe waited for is no "never retrieved" error.
            self._running.add_done_callback(lambda task: task.cancelled() or task.exception())
        try:
            async with asyncio.timeout(self.seconds):
                await asyncio.shield(self._running)
        except TimeoutError:
            return "timeout"
        except Exception as exc:
            return getattr(exc, "detail", None) or exc.__class__.__name__
        return HEALTHY

    def cancel(self) -> None:
        """Stop a check still running (the backend is being closed)."""
        if self._running is not None:
            self._running.cancel()


class ReadinessChecks:
    """The checks of every backend a process opened, by name."""

    def __init__(self) -> None:
        self._checks: dict[str, ReadinessCheck] = {}

    def add(self, name: str, check: Check, seconds: float = IO_SECONDS) -> None:
        """Check ``name`` with ``check`` (a backend asked for twice keeps its first)."""
        self._checks.setdefault(name, ReadinessCheck(check, seconds))

    async def run(self) -> dict[str, str]:
        """Run every check concurrently: name -> ``ok`` or the failure."""
        names = sorted(self._checks)
        results = await asyncio.gather(*(self._checks[n].run() for n in names))
        return dict(zip(names, results, strict=True))

    async def close(self) -> None:
        """Stop the checks still running."""
        for check in self._checks.values():
            check.cancel()
