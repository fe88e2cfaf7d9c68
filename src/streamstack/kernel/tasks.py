"""Background work that lives as long as the app: one shape for every loop.

A :class:`BackgroundTask` runs one *step* again and again (the outbox relay's "publish a
batch", the upload sweeper's "sweep once", a job worker's "take and run one job"):

* a step that returns ``True`` ("more is waiting") is run again at once; otherwise the
  task waits ``interval_seconds``, or less if :meth:`BackgroundTask.wake` is called;
* a step that raises is logged and retried after an exponential backoff
  (``retry_min_seconds`` doubling up to ``retry_max_seconds``): a database or bus outage
  never ends the loop;
* :meth:`health` is what ``GET /ready`` reports for it.

A module returns its tasks in ``MountedModule.tasks``; the app starts them after the
start-up hooks and stops them (bounded) before anything else at shut-down.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Awaitable, Callable

import structlog

from streamstack.kernel.backoff import backoff_seconds

log = structlog.get_logger(__name__)

Step = Callable[[], Awaitable[bool | None]]

#: What :meth:`BackgroundTask.health` says of a task that runs and whose last step worked.
HEALTHY = "ok"


async def wait_at_most(seconds: float, waiting: Awaitable[object]) -> None:
    """Wait for ``waiting`` to finish, or ``seconds`` to pass, whichever comes first.

    Not ``asyncio.wait_for``: on Python 3.11 it loses a cancellation that arrives as the
    awaited thing finishes (CPython gh-86296, fixed in 3.12). A task woken and stopped at
    once then ran on, and its stop waited out its whole bound (10 s at every app shut-down
    that followed a write).
    """
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await waiting


@dataclasses.dataclass(eq=False, slots=True)
class BackgroundTask:
    """A named step run in a loop from :meth:`start` until :meth:`stop`."""

    name: str
    step: Step
    _: dataclasses.KW_ONLY
    interval_seconds: float
    retry_min_seconds: float = 0.2
    retry_max_seconds: float = 30.0
    failures: int = dataclasses.field(default=0, init=False)
    """Consecutive failed steps (0 after a step that worked)."""
    last_error: str | None = dataclasses.field(default=None, init=False)
    _wake: asyncio.Event = dataclasses.field(default_factory=asyncio.Event, init=False)
    _task: asyncio.Task[None] | None = dataclasses.field(default=None, init=False)

    @property
    def running(self) -> bool:
        """Whether the loop is alive."""
        return self._task is not None and not self._task.done()

    def health(self) -> str:
        """``"ok"``, or why not: not running, or failing since N steps (with the error)."""
        if not self.running:
            return "not running"
        if self.failures:
            return f"failing ({self.failures}x {self.last_error})"
        return HEALTHY

    def wake(self) -> None:
        """Run the next step now rather than after the interval."""
        self._wake.set()

    async def start(self) -> None:
        """Start the loop (a no-op while it runs)."""
        if not self.running:
            self._wake.set()  # the first step runs at once
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self, timeout_seconds: float = 10.0) -> None:
        """Cancel the loop and wait up to ``timeout_seconds`` for the step to unwind."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=timeout_seconds)
        if not done:
            log.warning("task.stop_abandoned", task=self.name)
        elif not task.cancelled() and task.exception() is not None:
            log.warning("task.ended_with_error", task=self.name, error=repr(task.exception()))

    async def run_once(self) -> bool | None:
        """Run one step now, outside the loop (tests, operator commands)."""
        return await self.step()

    async def _run(self) -> None:
        while True:
            _end_if_stopped()
            self._wake.clear()
            try:
                more = await self.step()
            except Exception as exc:  # a backend outage must not end the loop: back off
                _end_if_stopped()
                self.failures += 1
                self.last_error = str(exc) or exc.__class__.__name__
                delay = backoff_seconds(
                    self.failures, self.retry_min_seconds, self.retry_max_seconds
                )
                log.warning(
                    "task.step_failed",
                    task=self.name,
                    error=self.last_error,
                    failures=self.failures,
                    retry_in_seconds=delay,
                )
                await asyncio.sleep(delay)
                continue
            if self.failures:
                log.info("task.recovered", task=self.name, after_failures=self.failures)
                self.failures, self.last_error = 0, None
            if more:
                continue
            await wait_at_most(self.interval_seconds, self._wake.wait())


def _end_if_stopped() -> None:
    """Raise CancelledError if this task was cancelled (by :meth:`BackgroundTask.stop`) and
    the cancellation was lost: a step cancelled mid-way that returned or failed instead of
    raising it (a database driver swallowed it, now and then, as an app shut down). The loop
    ran on, and the shut-down waited out its 10 s bound and left it running."""
    this = asyncio.current_task()
    if this is not None and this.cancelling():
        raise asyncio.CancelledError
