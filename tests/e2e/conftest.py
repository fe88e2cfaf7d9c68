"""Fixtures of the end-to-end tests (the rig itself is ``e2e.spa_rig``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.spa_rig import DevServer, running_dev_server


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[DevServer]:
    """``streamstack dev --port <free> --data-dir <tmp>`` serving the built SPA, ready."""
    with running_dev_server(tmp_path) as server:
        yield server
