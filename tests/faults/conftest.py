"""Fixtures of the fault tests that more than one of their files uses."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.servers import NatsServer


@pytest.fixture
def own_nats_server(tmp_path: Path) -> Iterator[NatsServer | None]:
    """A NATS server of the test's own, which it may stop and restart; None when
    STREAMSTACK_TEST_NATS_URL names an external server (the test then skips or fails).

    Not the session's: a restart of that one recovers every stream the earlier tests of its
    worker left, a number that depends on test order (pytest-xdist), and under load that
    outlasted a 3 s ack wait, so a job was redelivered. One stream restarts in well under it.
    """
    if os.environ.get("STREAMSTACK_TEST_NATS_URL"):
        yield None
        return
    server = NatsServer(tmp_path / "nats")
    try:
        server.start()
        yield server
    finally:
        server.kill()
