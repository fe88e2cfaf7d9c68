"""Fixtures of the catalogue tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from catalogue_testing import CatalogueDeployment, stand_in_caller

from streamstack.catalogue import module as catalogue
from streamstack.contracts.catalogue import CatalogueClient
from streamstack.kernel.clock import utcnow
from streamstack.kernel.operation import Transport
from streamstack.kernel.transport import HttpTransport
from support.apps import INTERNAL_SECRET, AppClient, running_app, served_app
from support.clock import HeldClock
from support.fixtures import SettingsFactory

__all__ = ["catalogue_client", "deployment", "module_catalogue_client", "module_clock"]


@pytest.fixture
async def catalogue_client(settings_factory: SettingsFactory) -> AsyncIterator[AppClient]:
    """Catalogue with streaming (for stream tokens), on this test's backend kind."""
    async with running_app(settings_factory(modules=("catalogue", "streaming"))) as client:
        yield client


@pytest.fixture(scope="module")
async def module_catalogue_client(
    module_settings_factory: SettingsFactory,
) -> AsyncIterator[AppClient]:
    """``catalogue_client`` shared by a module's tests, one per backend kind: for tests that
    only read what the module seeded once (a test that writes keeps ``catalogue_client``)."""
    async with running_app(module_settings_factory(modules=("catalogue", "streaming"))) as client:
        yield client


@pytest.fixture(scope="module")
def module_clock() -> HeldClock:
    """The held clock of an app a module's tests share: never moved on by them (a test that
    moves time keeps an app and a clock of its own)."""
    return HeldClock(utcnow().replace(microsecond=0))


@pytest.fixture(params=["in-process", "http"])
async def deployment(
    request: pytest.FixtureRequest, settings_factory: SettingsFactory
) -> AsyncIterator[CatalogueDeployment]:
    """Catalogue behind each transport: in-process (a stand-in ingest beside it), and HTTP."""
    if request.param == "in-process":
        captured: list[Transport] = []
        definitions = {"catalogue": catalogue.MODULE, "ingest": stand_in_caller(captured)}
        settings = settings_factory(modules=("catalogue", "ingest"))
        async with running_app(settings, definitions) as app:
            yield CatalogueDeployment(CatalogueClient(captured[0]), app, settings, "in-process")
        return
    settings = settings_factory(modules=("catalogue",))
    async with served_app(settings) as url:
        transport = HttpTransport("catalogue", url, INTERNAL_SECRET)
        try:
            async with httpx.AsyncClient(base_url=url, timeout=30) as public:
                yield CatalogueDeployment(CatalogueClient(transport), public, settings, "http")
        finally:
            await transport.close()
