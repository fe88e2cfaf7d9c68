"""The shared NATS connection stops trying to connect when it is closed.

nats-py's first connect retries for ever while NATS is away; on Python 3.11 its
``asyncio.wait_for`` loses a cancellation that arrives as an attempt ends (gh-86296), so the
connect ran on and ``close()`` waited for it until the app's 10 s shut-down bound.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from streamstack.kernel import nats as kernel_nats
from streamstack.kernel.nats import NatsConnection, NatsUnavailable


async def test_close_ends_a_connect_that_lost_its_cancellation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attempts = 0

    async def connect_losing_one_cancellation(**options: Any) -> Any:
        nonlocal attempts
        while True:  # retries for ever, as nats-py does while NATS is away
            attempts += 1
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if attempts > 1:
                    raise
                # lost, as wait_for loses it: the next attempt starts

    monkeypatch.setattr(kernel_nats.nats, "connect", connect_losing_one_cancellation)
    connection = NatsConnection("nats://127.0.0.1:9", timeout=0.01)
    with pytest.raises(NatsUnavailable):
        await connection.client()
    (connecting,) = [t for t in asyncio.all_tasks() if t.get_coro().__name__ == "_connect"]
    closing = asyncio.create_task(connection.close())
    await asyncio.wait({closing}, timeout=30)  # a bound only: it ran on for ever
    if not closing.done():
        closing.cancel()  # which ends the connect too: no task is left behind
    assert closing.done() and not closing.cancelled(), "close() waited on the connect"
    assert connecting.done()
    assert attempts == 2
