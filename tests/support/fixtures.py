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


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind: a SQLite file, and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    url: str = request.getfixturevalue("fresh_database_url")
    return url


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


@pytest.fixture(scope="module", params=BACKEND_KINDS)
def module_backend_kind(request: pytest.FixtureRequest) -> BackendKind:
    """``backend_kind`` for a module's shared app: the same ids, one app per module and kind."""
    kind: BackendKind = request.param
    return kind


@pytest.fixture(scope="module")
def module_settings_factory(
    module_backend_kind: BackendKind,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> SettingsFactory:
    """``settings_factory`` for one app shared by a module's tests that only read (seeded
    once per module and backend kind): its data folder, database and buckets are the
    module's (``module_database_url``, ``module_buckets``). A test that writes keeps
    ``settings_factory`` and its own app.

    Such an app runs until the module ends, beside the apps of the module's other tests.
    On the production kind they share the session's NATS, where apps of one module follow
    a durable subscription as one queue group: the shared app may take an event another
    test's app waits for (the catalogue follows auth's account events). A module whose
    tests wait for such events, or for jobs, shares no app."""
    tmp_path = tmp_path_factory.mktemp(request.node.name.removesuffix(".py"))

    def factory(**overrides: Any) -> Settings:
        return settings_for(
            module_backend_kind, tmp_path, request, shared_by_module=True, **overrides
        )

    return factory


def settings_for(
    kind: BackendKind,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    *,
    shared_by_module: bool = False,
    **overrides: Any,
) -> Settings:
    """Settings for ``kind``: embedded in ``tmp_path``, or the session's servers (started now)
    with a database and buckets of the test's own (of the module's if ``shared_by_module``)."""
    if kind == "embedded":
        return make_settings("embedded", tmp_path / "data", **overrides)
    database, buckets = (
        ("module_database_url", "module_buckets")
        if shared_by_module
        else ("fresh_database_url", "fresh_buckets")
    )
    return make_settings(
        "production",
        tmp_path / "data",
        database_url=request.getfixturevalue(database),
        nats_url=request.getfixturevalue("nats_url"),
        s3=request.getfixturevalue("s3_endpoint"),
        buckets=request.getfixturevalue(buckets),
        **overrides,
    )
