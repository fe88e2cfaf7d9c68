"""Fixtures of the auth tests: the auth module alone, on either backend kind."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from streamstack.settings import Settings
from support.apps import running_app
from support.fixtures import SettingsFactory


@pytest.fixture
def auth_settings_factory(settings_factory: SettingsFactory) -> SettingsFactory:
    """Settings for the auth module alone on this test's backends."""
    return auth_factory(settings_factory)


@pytest.fixture(scope="module")
def module_auth_settings_factory(module_settings_factory: SettingsFactory) -> SettingsFactory:
    """``auth_settings_factory`` for an app shared by a module's tests that change nothing
    (``module_settings_factory``)."""
    return auth_factory(module_settings_factory)


def auth_factory(settings_factory: SettingsFactory) -> SettingsFactory:
    """``settings_factory`` for the auth module alone."""

    # A secret of its own per test keeps the login-throttle keys of tests apart, since
    # production-kind tests share one NATS server (and so one throttle bucket).
    secret = f"auth-test-secret-{uuid.uuid4().hex}"

    def factory(**overrides: Any) -> Settings:
        # No rotation grace by default: the reuse tests present a rotated token at once and
        # expect theft handling; test_auth_refresh_grace.py sets its own window.
        base = {
            "modules": ("auth",),
            "internal_secret": secret,
            "refresh_grace_seconds": 0,
        }
        return settings_factory(**{**base, **overrides})

    return factory


@pytest.fixture
def auth_settings(auth_settings_factory: SettingsFactory) -> Settings:
    """Default settings of an auth test."""
    return auth_settings_factory()


@pytest.fixture
async def client(auth_settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    """The auth module running on this test's backends."""
    async with running_app(auth_settings) as test_client:
        yield test_client
