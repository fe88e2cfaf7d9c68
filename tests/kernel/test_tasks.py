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
