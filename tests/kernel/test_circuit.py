"""The circuit breaker: open on a costly failure, fail at once, closed by its probe."""

from __future__ import annotations

import asyncio

import pytest

from streamstack.kernel.circuit import CircuitBreaker
from streamstack.kernel.errors import ServiceUnavailable


class Backend:
    """A backend the probe asks; ``up`` decides its answer."""

    def __init__(self) -> None:
        self.up = False
        self.probes = 0

    async def probe(self) -> None:
        self.probes += 1
        if not self.up:
            raise ConnectionRefusedError


async def closed(breaker: CircuitBreaker) -> None:
    async with asyncio.timeout(20):
        while breaker.is_open:
            await asyncio.sleep(0.01)


async def test_a_trip_fails_callers_at_once_until_the_probe_gets_an_answer() -> None:
    backend = Backend()
    breaker = CircuitBreaker("test backend", backend.probe, ServiceUnavailable, probe_interval=0.01)
    breaker.check()  # closed: nothing raised
    breaker.trip()
    with pytest.raises(ServiceUnavailable, match="test backend is unavailable"):
        breaker.check()
    async with asyncio.timeout(20):
        while backend.probes < 3:
            await asyncio.sleep(0.01)
    assert breaker.is_open  # still down: still failing fast
    backend.up = True
    await closed(breaker)
    breaker.check()
    await breaker.close()


async def test_a_failure_older_than_the_last_answer_opens_nothing() -> None:
    backend = Backend()
    breaker = CircuitBreaker("test backend", backend.probe, ServiceUnavailable)
    started = breaker.clock()
    breaker.succeeded()  # another call got an answer after this one began
    breaker.trip(started)
    assert not breaker.is_open
    breaker.trip(breaker.clock())
    assert breaker.is_open
    await breaker.close()


async def test_a_closed_breaker_stops_probing_and_never_opens_again() -> None:
    backend = Backend()
    breaker = CircuitBreaker("test backend", backend.probe, ServiceUnavailable)
    breaker.trip()
    await breaker.close()
    assert not breaker.is_open
    breaker.trip()
    assert not breaker.is_open


async def test_a_call_that_waited_out_its_timeout_opens_nothing_while_the_probe_gets_answers() -> (
    None
):
    backend = Backend()
    backend.up = True  # slow for one call, answering the next
    breaker = CircuitBreaker("test backend", backend.probe, ServiceUnavailable)
    await breaker.waited_out(breaker.clock())
    assert not breaker.is_open
    assert backend.probes == 1
    breaker.check()
    await breaker.close()


async def test_a_call_that_waited_out_its_timeout_opens_when_the_probe_gets_no_answer() -> None:
    backend = Backend()
    breaker = CircuitBreaker("test backend", backend.probe, ServiceUnavailable)
    await breaker.waited_out(breaker.clock())
    assert breaker.is_open
    with pytest.raises(ServiceUnavailable):
        breaker.check()
    await breaker.close()


async def test_calls_that_waited_out_their_timeouts_together_ask_the_backend_once() -> None:
    backend = Backend()
    backend.up = True
    breaker = CircuitBreaker("test backend", backend.probe, ServiceUnavailable)
    started = breaker.clock()
    await asyncio.gather(*(breaker.waited_out(started) for _ in range(5)))
    assert backend.probes == 1
    await breaker.close()
