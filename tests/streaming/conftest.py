"""Fixtures for the streaming tests: the module alone, on the embedded and the real backends.

``rig`` is one running app per test module and backend kind (tests use fresh object keys
and tokens, so they do not see each other); ``stream_settings`` builds settings for a test
that needs an app of its own (fault tests, other delivery modes, small pools).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from streaming_rig import UNREACHABLE_DATABASE_URL, StreamRig, StreamSettings, stream_rig

from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.jwt import ensure_dev_keypair
from streamstack.settings import Settings
from support.apps import BACKEND_KINDS, make_settings


@pytest.fixture(scope="session")
def stream_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One JWT key pair for every streaming test (RSA key generation is slow)."""
    keys = tmp_path_factory.mktemp("stream-jwt")
    ensure_dev_keypair(keys / "private.pem", keys / "public.pem")
    return keys


@pytest.fixture(scope="module", params=BACKEND_KINDS)
def stream_backend(request: pytest.FixtureRequest) -> str:
    """Which backends the test runs on: embedded, or NATS + S3 (no Postgres: none needed)."""
    kind: str = request.param
    return kind


def _buckets(request: pytest.FixtureRequest) -> tuple[str, str]:
    """Two new buckets on the session's S3 server, removed when ``request`` ends."""
    s3_server = request.getfixturevalue("s3_server")
    if s3_server is not None:
        s3_server.start()  # heals a server a fault test left stopped
    client = request.getfixturevalue("s3_client")
    suffix = uuid.uuid4().hex[:12]
    buckets = (f"media-{suffix}", f"thumbnails-{suffix}")
    for bucket in buckets:
        client.create_bucket(Bucket=bucket)

    def remove() -> None:
        if s3_server is not None:
            return  # moto forgets everything when the session ends
        for bucket in buckets:
            listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
            for item in listed:
                client.delete_object(Bucket=bucket, Key=item["Key"])
            client.delete_bucket(Bucket=bucket)

    request.addfinalizer(remove)
    return buckets


def _settings(
    kind: str, data_dir: Path, keys: Path, request: pytest.FixtureRequest, **overrides: Any
) -> Settings:
    shutil.copytree(keys, data_dir / "jwt", dirs_exist_ok=True)
    overrides.setdefault("modules", ("streaming",))
    if kind == "embedded":
        return make_settings("embedded", data_dir, **overrides)
    if "nats_url" not in overrides:
        overrides["nats_url"] = request.getfixturevalue("nats_url")
    return make_settings(
        "production",
        data_dir,
        database_url=UNREACHABLE_DATABASE_URL,
        s3=request.getfixturevalue("s3_endpoint"),
        buckets=_buckets(request),
        **overrides,
    )


@pytest.fixture
def stream_settings(
    stream_backend: str, stream_keys: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> StreamSettings:
    """Build settings for an app of this test's own, on this test's backends."""
    return lambda **overrides: _settings(
        stream_backend, tmp_path / "data", stream_keys, request, **overrides
    )


@pytest.fixture(scope="module")
def module_settings(
    stream_backend: str,
    stream_keys: Path,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Settings:
    """Settings shared by the tests of one module on one backend kind."""
    return _settings(stream_backend, tmp_path_factory.mktemp("stream"), stream_keys, request)


@pytest.fixture(scope="module")
def rig_clock() -> Clock:
    """The clock of a module's shared app: the system's, unless the module overrides this."""
    return utcnow


@pytest.fixture(scope="module")
async def rig(module_settings: Settings, rig_clock: Clock) -> AsyncIterator[StreamRig]:
    """The streaming module running on this test's backends, shared within the module."""
    async with stream_rig(module_settings, clock=rig_clock) as running:
        yield running


@pytest.fixture
def production_stream_settings(
    stream_keys: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> StreamSettings:
    """Settings on NATS + S3 only, for fault tests that stop those servers."""
    return lambda **overrides: _settings(
        "production", tmp_path / "data", stream_keys, request, **overrides
    )
