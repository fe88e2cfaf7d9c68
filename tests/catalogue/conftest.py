"""Fixtures of the catalogue tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from catalogue_testing import AppClient, running_in_this_loop

from support.fixtures import SettingsFactory, backend_kind, settings_factory

__all__ = ["backend_kind", "catalogue_client", "settings_factory"]


@pytest.fixture
async def catalogue_client(settings_factory: SettingsFactory) -> AsyncIterator[AppClient]:
    """Catalogue with streaming (for stream tokens), on this test's backend kind."""
    async with running_in_this_loop(settings_factory(modules=("catalogue", "streaming"))) as client:
        yield client
