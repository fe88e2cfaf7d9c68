"""Functions a sandboxed child runs in the stall tests: a child unpickles its function by
name, so they live in an importable module (the test directory is on the fork server's
path, which it takes from the process that starts it)."""

from __future__ import annotations

import time
from collections.abc import Callable


def moves_then_stalls(moves: int, *, progress: Callable[[int], None]) -> None:
    """Report progress ``moves`` times, 0.1 s apart, then hang: a transcoder that stopped."""
    for step in range(moves):
        progress(step)
        time.sleep(0.1)
    time.sleep(600)


def moves_then_returns(moves: int, *, progress: Callable[[int], None]) -> int:
    """Report progress ``moves`` times, 0.1 s apart, then answer how many."""
    for step in range(moves):
        progress(step)
        time.sleep(0.1)
    return moves


def stopped_by_all_then_returns() -> int:
    """Be sent what stopping the whole app sends each of its processes (SIGTERM, a
    terminal's SIGINT), as the fork server is, then answer the fork server's pid."""
    import os
    import signal

    server = os.getppid()
    for pid in (os.getpid(), server):
        os.kill(pid, signal.SIGTERM)
        os.kill(pid, signal.SIGINT)
    time.sleep(0.3)
    return server
