"""Background tasks stop when told to, even when woken in the same moment.

On Python 3.11 ``asyncio.wait_for`` loses a cancellation that arrives as the awaited thing
finishes (CPython gh-86296). A write wakes the outbox relay; an app stopped right after
cancelled the woken relay, which ran on, and every such shut-down waited out its 10 s bound.
"""

from __future__ import annotations

import asyncio

import pytest

from streamstack.kernel.tasks import BackgroundTask, wait_at_most


async def test_a_cancellation_arriving_as_the_wait_ends_is_kept() -> None:
    woken = asyncio.Event()
    waiting = asyncio.create_task(wait_at_most(3600, woken.wait()))
    await asyncio.sleep(0)  # the task now waits for the event
    woken.set()
    waiting.cancel()  # in the same moment: both are delivered on the next turn
    with pytest.raises(asyncio.CancelledError):
        await waiting


async def test_the_wait_ends_when_its_seconds_pass() -> None:
    await wait_at_most(0.01, asyncio.Event().wait())  # returns: no TimeoutError escapes


async def test_a_task_woken_and_stopped_at_once_stops() -> None:
    steps = 0

    async def step() -> None:
        nonlocal steps
        steps += 1

    task = BackgroundTask("woken-then-stopped", step, interval_seconds=3600)
    await task.start()
    while steps == 0:
        await asyncio.sleep(0)
    await asyncio.sleep(0)  # the first step is over: the loop waits out its interval
    (loop,) = [t for t in asyncio.all_tasks() if t.get_name() == "woken-then-stopped"]
    task.wake()
    await task.stop(timeout_seconds=0.5)
    assert loop.done(), "the loop ran on after its stop (another step, another interval)"
    assert steps == 1


@pytest.mark.parametrize("swallowed_as", ["a return", "an error"])
async def test_a_task_whose_step_swallows_its_cancellation_still_stops(swallowed_as: str) -> None:
    """A step cancelled mid-way that returns, or fails, instead of raising CancelledError (a
    database driver did, now and then, as an app shut down) must not keep the loop alive: the
    relay ran on, and the shut-down waited out its 10 s bound and left it running."""
    running = asyncio.Event()
    steps = 0

    async def step() -> None:
        nonlocal steps
        steps += 1
        if steps > 1:
            return
        running.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:  # what the driver did
            if swallowed_as == "an error":
                raise RuntimeError("the connection was closed") from None

    task = BackgroundTask("swallowing-step", step, interval_seconds=0.01)
    await task.start()
    await running.wait()
    (loop,) = [t for t in asyncio.all_tasks() if t.get_name() == "swallowing-step"]
    await task.stop(timeout_seconds=5)
    assert loop.done(), "the loop ran on after its stop, its cancellation swallowed by a step"
    assert steps == 1
