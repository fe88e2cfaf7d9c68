"""NATS busy, not away: a request that waited out the timeout is one 503, not everyone's.

The server is frozen (SIGSTOP) while one KV call waits out its timeout, and answers again
by the time the circuit breaker asks it whether it is there (the probe thaws it first): as a
busy NATS that answered one request late. Before the breaker asked, that one call opened it
and every KV call after it was refused with 503 until the probe saw NATS again (in CI, a
playlist's create under load).

The timeout is ``STREAMSTACK_NATS_TIMEOUT_SECONDS``: a request to a NATS that does not
answer gives up after it, not after a fixed time. A ping that gave up (the breaker's probe,
``/ready``) leaves the connection serving once NATS answers again.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import nats
import pytest
from fault_rig import frozen

from harness.servers import NatsServer
from harness.tools import skip_or_fail
from streamstack.kernel.backends import Backends
from streamstack.kernel.kv import KeyValueUnavailable
from streamstack.kernel.kv.nats import NatsKeyValueStore, nats_breaker
from streamstack.kernel.nats import NatsConnection, NatsUnavailable
from support.apps import make_settings

pytestmark = pytest.mark.slow


@pytest.fixture
def server(own_nats_server: NatsServer | None) -> NatsServer:
    if own_nats_server is None:
        skip_or_fail("needs a NATS server the test can freeze (STREAMSTACK_TEST_NATS_URL is set)")
    return own_nats_server


@pytest.fixture
async def connection(server: NatsServer) -> AsyncIterator[NatsConnection]:
    connection = NatsConnection(server.url, timeout=0.5)
    yield connection
    await connection.close()


def thawed_first(
    server: NatsServer, probe: Callable[[], Awaitable[object]]
) -> Callable[[], Awaitable[object]]:
    """``probe``, asked once the server answers again (SIGCONT)."""

    async def thawed_probe() -> object:
        assert server.pid is not None
        os.killpg(server.pid, signal.SIGCONT)
        return await probe()

    return thawed_probe


async def test_one_late_answer_from_a_nats_that_still_answers_refuses_no_other_call(
    server: NatsServer, connection: NatsConnection
) -> None:
    breaker = nats_breaker(connection)
    store = NatsKeyValueStore(connection, f"slow-{uuid.uuid4().hex[:8]}", 60, breaker=breaker)
    await store.put("greeting", b"hello")
    breaker.probe = thawed_first(server, breaker.probe)
    with frozen(server):
        with pytest.raises(KeyValueUnavailable):
            await store.get("greeting")  # waits out its 0.5 s: NATS answers late
        assert not breaker.is_open
        assert await store.get("greeting") == b"hello"
    await breaker.close()


async def test_a_request_to_a_nats_that_does_not_answer_waits_the_configured_timeout(
    server: NatsServer, tmp_path: Path
) -> None:
    # Longer than the 2 s every request had before the setting: a timeout never fires
    # early, so the bound below holds on a loaded machine too.
    settings = make_settings(
        "embedded", tmp_path / "data", nats_url=server.url, nats_timeout_seconds=3.0
    )
    backends = Backends(settings)
    jetstream = await backends.nats.jetstream()
    await jetstream.account_info()
    with frozen(server):
        began = time.monotonic()
        with pytest.raises(nats.errors.TimeoutError):
            await jetstream.account_info()
        waited = time.monotonic() - began
    await backends.close()
    assert waited >= 3.0


async def test_a_ping_nats_answered_too_late_leaves_the_connection_serving(
    server: NatsServer, connection: NatsConnection
) -> None:
    store = NatsKeyValueStore(connection, f"late-{uuid.uuid4().hex[:8]}", 60)
    await store.put("greeting", b"hello")
    with frozen(server), pytest.raises(NatsUnavailable):
        await connection.ping()  # waits out its 0.5 s; the answer comes after the thaw
    assert await store.get("greeting") == b"hello"
