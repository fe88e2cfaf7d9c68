"""Fixtures of the end-to-end tests (the rig itself is ``e2e.spa_rig``)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from e2e.spa_rig import DevServer, close_shared_chromium, running_dev_server


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[DevServer]:
    """``streamstack dev --port <free> --data-dir <tmp>`` serving the built SPA, ready."""
    with running_dev_server(tmp_path) as server:
        yield server


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tests' screenshots go: ``STREAMSTACK_SCREENSHOTS_DIR`` when set (the README's
    refresh command points it at ``docs/screenshots``), else a temporary folder, so that a
    test run leaves the checkout as it was."""
    chosen = os.environ.get("STREAMSTACK_SCREENSHOTS_DIR")
    folder = Path(chosen).resolve() if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session", autouse=True)
async def shared_chromium() -> AsyncIterator[None]:
    """Close the worker's one browser (``spa_rig.chromium``) when the session ends."""
    yield
    await close_shared_chromium()
