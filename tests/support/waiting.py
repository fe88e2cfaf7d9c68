"""Waiting in tests: poll a condition until it holds, or fail saying what never happened.

Background work (the outbox relay, a job worker, a backend coming back) finishes "soon";
tests wait for its effect with :func:`eventually` instead of sleeping a guessed time.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

#: How long a test waits for background work before it fails.
DEFAULT_SECONDS = 30.0
#: How often the condition is checked.
INTERVAL_SECONDS = 0.05


async def eventually(
    check: Callable[[], bool | Awaitable[bool]],
    what: str,
    seconds: float = DEFAULT_SECONDS,
    *,
    interval: float = INTERVAL_SECONDS,
) -> None:
    """Return once ``check()`` (sync or async) is true; fail naming ``what`` after ``seconds``."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds:g} s")
        await asyncio.sleep(interval)
