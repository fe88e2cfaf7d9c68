"""Fixtures of the ingest tests: the app on either backend kind, and what it stored.

``rig`` is one app per test module and backend kind (starting an app costs seconds):
tests on it compare what is stored before and after, never assume an empty store. A
module that needs other settings for it (a transcoding worker) overrides ``rig_settings``.
``rig_factory`` starts a fresh app with setting overrides, for one test.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from ingest_rig import Rig, RigFactory

from harness.servers import create_database, drop_database, unique_name
from support.apps import BACKEND_KINDS, make_settings
from support.fixtures import SettingsFactory

__all__ = ["rig", "rig_factory", "rig_settings"]


@pytest.fixture
def rig_factory(settings_factory: SettingsFactory, request: pytest.FixtureRequest) -> RigFactory:
    """``async with rig_factory(**setting_overrides) as rig``: a fresh app and its storage."""

    def build(**overrides: Any) -> Any:
        settings = settings_factory(**overrides)
        s3 = request.getfixturevalue("s3_client") if settings.s3_endpoint_url else None
        return Rig.running(settings, s3)

    return build


@pytest.fixture(scope="module")
def rig_settings() -> dict[str, Any]:
    """Setting overrides of a test module's ``rig``: none, unless the module says."""
    return {}


@pytest.fixture(scope="module", params=BACKEND_KINDS)
async def rig(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    rig_settings: dict[str, Any],
) -> AsyncIterator[Rig]:
    """All four modules with default settings (or ``rig_settings``), shared by a test
    module, per backend kind."""
    data_dir: Path = tmp_path_factory.mktemp("ingest") / "data"
    if request.param == "embedded":
        async with Rig.running(make_settings("embedded", data_dir, **rig_settings)) as running:
            yield running
        return
    s3 = request.getfixturevalue("s3_client")
    # Throwaway servers need no tidying; servers named by environment variables do.
    shared_postgres = request.getfixturevalue("postgres_server") is None
    shared_s3 = request.getfixturevalue("s3_server") is None
    suffix = uuid.uuid4().hex[:12]
    buckets = (f"media-{suffix}", f"thumbnails-{suffix}")
    for bucket in buckets:
        s3.create_bucket(Bucket=bucket)
    postgres_url = request.getfixturevalue("postgres_url")
    database = unique_name("ingest")
    settings = make_settings(
        "production",
        data_dir,
        database_url=create_database(postgres_url, database),
        nats_url=request.getfixturevalue("nats_url"),
        s3=request.getfixturevalue("s3_endpoint"),
        buckets=buckets,
        **rig_settings,
    )
    async with Rig.running(settings, s3) as running:
        yield running
    if shared_postgres:
        drop_database(postgres_url, database)
    if shared_s3:
        for bucket in buckets:
            empty_bucket(s3, bucket)
            s3.delete_bucket(Bucket=bucket)


def empty_bucket(s3: Any, bucket: str) -> None:
    """Delete every object and unfinished multipart upload of ``bucket``."""
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"])
    for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
