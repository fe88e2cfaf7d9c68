"""Fixtures for tests that run an app on either backend kind.

``backend_kind`` is parametrized, so a test using ``settings_factory`` runs twice: on the
embedded backends and on the real servers the session started.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from streamstack.settings import Settings
from support.apps import BACKEND_KINDS, BackendKind, make_settings

SettingsFactory = Callable[..., Settings]


@pytest.fixture(params=BACKEND_KINDS)
def backend_kind(request: pytest.FixtureRequest) -> BackendKind:
    """Which backends the test runs on."""
    kind: BackendKind = request.param
    return kind


@pytest.fixture
def settings_factory(
    backend_kind: BackendKind, tmp_path: Path, request: pytest.FixtureRequest
) -> SettingsFactory:
    """Build settings for this test's backend kind; servers start only when needed."""

    def factory(**overrides: Any) -> Settings:
        return settings_for(backend_kind, tmp_path, request, **overrides)

    return factory


def settings_for(
    kind: BackendKind, tmp_path: Path, request: pytest.FixtureRequest, **overrides: Any
) -> Settings:
    """Settings for ``kind``: embedded in ``tmp_path``, or the session's servers (started now)."""
    if kind == "embedded":
        return make_settings("embedded", tmp_path / "data", **overrides)
    return make_settings(
        "production",
        tmp_path / "data",
        database_url=request.getfixturevalue("fresh_database_url"),
        nats_url=request.getfixturevalue("nats_url"),
        s3=request.getfixturevalue("s3_endpoint"),
        buckets=request.getfixturevalue("fresh_buckets"),
        **overrides,
    )
