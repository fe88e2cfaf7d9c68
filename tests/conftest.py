"""Root conftest: throwaway real servers for the session, and no green CI through skips.

Servers start lazily, the first time a test asks for one of their fixtures, so
``pytest tests/unit`` starts nothing. Each can be replaced by an existing server:

* ``STREAMSTACK_TEST_DATABASE_URL``: a PostgreSQL URL (any driver prefix; the role needs
  CREATEDB). ``postgres_server`` is then None.
* ``STREAMSTACK_TEST_NATS_URL``: a NATS URL with JetStream enabled. ``nats_server`` is None.
* ``STREAMSTACK_TEST_S3_URL`` (+ ``STREAMSTACK_TEST_S3_ACCESS_KEY_ID``,
  ``STREAMSTACK_TEST_S3_SECRET_ACCESS_KEY``, ``STREAMSTACK_TEST_S3_REGION``): an S3 endpoint.
  ``s3_server`` is then None.

Fault tests get the server objects (``postgres_server``, ``nats_server``, ``s3_server``) and
should skip (``harness.tools.skip_or_fail``) when those are None. See ``harness.servers`` for
``stop()``/``restart()``/``kill()``/``arestart()``/``stopped()``.

At the session's end its servers are killed, not stopped: their data is thrown away with
them, and a graceful stop only writes it out first. NATS's grows with its streams (every
test makes its own; 150 took 1.7 s to stop), and CI's last test spent 10.5 s in teardown,
the servers' 10 s stop timeout.

``STREAMSTACK_REQUIRE_ALL=1`` turns every skip into a failure.

Under pytest-xdist (``-n 4`` on 2 cores, as the nox ``tests`` session runs) every worker is
its own session: it starts its own servers on free ports with private directories, and a
fault test that stops or kills one stops its own worker's. ``--dist loadfile`` keeps a file's tests,
and so its module-scoped fixtures, in one worker.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Generator, Iterator
from pathlib import PurePosixPath
from typing import Any

import pytest

from harness.servers import (
    NatsServer,
    PostgresServer,
    S3Endpoint,
    S3Server,
    fresh_database,
    normalize_database_url,
    reap_orphaned_postgres,
    scratch_dir,
)
from harness.tools import REQUIRE_ALL_ENV, require_all

#: Shared fixtures (``backend_kind``, ``settings_factory``) for every test.
pytest_plugins = ["support.fixtures", "support.job_queues", "support.mail"]

DATABASE_URL_ENV = "STREAMSTACK_TEST_DATABASE_URL"
NATS_URL_ENV = "STREAMSTACK_TEST_NATS_URL"
S3_URL_ENV = "STREAMSTACK_TEST_S3_URL"


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer | None]:
    """The session's PostgreSQL server, or None when STREAMSTACK_TEST_DATABASE_URL is set."""
    if os.environ.get(DATABASE_URL_ENV):
        yield None
        return
    reap_orphaned_postgres()  # servers left behind by killed sessions
    data_dir = scratch_dir("streamstack-test-postgres-")  # not under tmp_path: see scratch_dir
    server = PostgresServer(data_dir)
    try:
        server.start()
        yield server
    finally:
        server.kill()  # not stop(): see the module docstring
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer | None) -> str:
    """SQLAlchemy async URL (``postgresql+asyncpg://...``) of the server's ``postgres`` DB."""
    if postgres_server is None:
        return normalize_database_url(os.environ[DATABASE_URL_ENV])
    return postgres_server.sqlalchemy_url


@pytest.fixture
def fresh_database_url(
    request: pytest.FixtureRequest,
    postgres_server: PostgresServer | None,
    postgres_url: str,
) -> Iterator[str]:
    """SQLAlchemy async URL of a brand-new empty database, for this test only (dropped
    after it: see ``harness.servers.fresh_database``)."""
    with fresh_database(postgres_server, postgres_url, request.node.name) as url:
        yield url


@pytest.fixture(scope="module")
def module_database_url(
    request: pytest.FixtureRequest,
    postgres_server: PostgresServer | None,
    postgres_url: str,
) -> Iterator[str]:
    """``fresh_database_url`` shared by a module's tests (``module_settings_factory``'s)."""
    with fresh_database(postgres_server, postgres_url, request.node.name) as url:
        yield url


# --------------------------------------------------------------------------------------------
# NATS
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer | None]:
    """The session's NATS JetStream server, or None when STREAMSTACK_TEST_NATS_URL is set."""
    if os.environ.get(NATS_URL_ENV):
        yield None
        return
    server = NatsServer(tmp_path_factory.mktemp("nats"))
    try:
        server.start()
        yield server
    finally:
        server.kill()  # not stop(): see the module docstring


@pytest.fixture(scope="session")
def nats_url(nats_server: NatsServer | None) -> str:
    """``nats://127.0.0.1:PORT`` of a JetStream-enabled NATS server."""
    if nats_server is None:
        return os.environ[NATS_URL_ENV]
    return nats_server.url


# --------------------------------------------------------------------------------------------
# S3
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server | None]:
    """The session's moto S3 server, or None when STREAMSTACK_TEST_S3_URL is set."""
    if os.environ.get(S3_URL_ENV):
        yield None
        return
    server = S3Server(tmp_path_factory.mktemp("s3"))
    try:
        server.start()
        yield server
    finally:
        server.kill()  # not stop(): see the module docstring


@pytest.fixture(scope="session")
def s3_endpoint(s3_server: S3Server | None) -> S3Endpoint:
    """URL, credentials and region of the S3 server."""
    if s3_server is None:
        return S3Endpoint(
            url=os.environ[S3_URL_ENV],
            access_key_id=os.environ.get("STREAMSTACK_TEST_S3_ACCESS_KEY_ID", "test"),
            secret_access_key=os.environ.get("STREAMSTACK_TEST_S3_SECRET_ACCESS_KEY", "test"),
            region=os.environ.get("STREAMSTACK_TEST_S3_REGION", "us-east-1"),
        )
    return s3_server.endpoint


@pytest.fixture(scope="session")
def s3_client(s3_endpoint: S3Endpoint) -> Any:
    """A synchronous boto3 S3 client for the session's S3 server (path-style addressing)."""
    return s3_endpoint.client()


@pytest.fixture
def fresh_buckets(s3_server: S3Server | None, s3_client: Any) -> Iterator[tuple[str, str]]:
    """Two new, empty, uniquely named buckets: ``(media_bucket, thumbnails_bucket)``."""
    with _fresh_buckets(s3_server, s3_client) as buckets:
        yield buckets


@pytest.fixture(scope="module")
def module_buckets(s3_server: S3Server | None, s3_client: Any) -> Iterator[tuple[str, str]]:
    """``fresh_buckets`` shared by a module's tests (``module_settings_factory``'s)."""
    with _fresh_buckets(s3_server, s3_client) as buckets:
        yield buckets


@contextlib.contextmanager
def _fresh_buckets(s3_server: S3Server | None, s3_client: Any) -> Iterator[tuple[str, str]]:
    if s3_server is not None:
        s3_server.start()  # no-op when running; heals after a fault test left it down
    suffix = uuid.uuid4().hex[:12]
    buckets = (f"media-{suffix}", f"thumbnails-{suffix}")
    for bucket in buckets:
        s3_client.create_bucket(Bucket=bucket)
    yield buckets
    if s3_server is None:  # moto forgets everything at exit; a shared server must be tidied
        for bucket in buckets:
            _delete_bucket(s3_client, bucket)


def _delete_bucket(client: Any, bucket: str) -> None:
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys})
    uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    for upload in uploads:
        client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    client.delete_bucket(Bucket=bucket)


# --------------------------------------------------------------------------------------------
# Hooks
# --------------------------------------------------------------------------------------------

# Tests that use these fixtures (directly or through other fixtures) get the marker, so
# `pytest -m "not postgres"` deselects them.
_SERVER_MARKERS = {
    "postgres": {"postgres_server", "postgres_url", "fresh_database_url", "module_database_url"},
    "nats": {"nats_server", "nats_url"},
    "s3": {"s3_server", "s3_endpoint", "s3_client", "fresh_buckets", "module_buckets"},
}


#: Folders whose every test starts processes or a browser (seconds a test, where the rest
#: take a fraction of one): their files go first under pytest-xdist, see _heavy_files_first.
_HEAVY_FOLDERS = {"e2e", "faults", "system"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Server markers on the tests that use those servers; under xdist, heavy files first."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for marker, fixtures in _SERVER_MARKERS.items():
            if used & fixtures:
                item.add_marker(marker)
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items[:] = _heavy_files_first(items)


def _heavy_files_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """``items`` by file: the files of heavy folders or holding a test marked slow first,
    then the rest, each group's files by number of tests, most first (each file's own order
    kept). ``--dist loadfile`` hands files out in this order when run with
    ``--no-loadscope-reorder``: by number of tests alone (xdist's default) an end-to-end
    file's one test of 40 s went among the last, and the run's tail was such files."""
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::", 1)[0], []).append(item)

    def light(path: str) -> bool:
        slow = any(item.get_closest_marker("slow") for item in files[path])
        return not (PurePosixPath(path).parent.name in _HEAVY_FOLDERS or slow)

    ordered = sorted(files, key=lambda path: (light(path), -len(files[path])))
    return [item for path in ordered for item in files[path]]


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Under STREAMSTACK_REQUIRE_ALL=1 a skipped test fails (an xfail stays an xfail)."""
    report: pytest.TestReport = yield
    if require_all() and report.skipped and not hasattr(report, "wasxfail"):
        reason = _skip_reason(report)
        report.outcome = "failed"
        report.longrepr = f"{REQUIRE_ALL_ENV}=1 forbids skips; this test was skipped: {reason}"
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """Under STREAMSTACK_REQUIRE_ALL=1 a module skipped at collection (importorskip) fails."""
    report: pytest.CollectReport = yield
    if require_all() and report.skipped:
        reason = _skip_reason(report)
        report.outcome = "failed"
        report.longrepr = f"{REQUIRE_ALL_ENV}=1 forbids skips; this module was skipped: {reason}"
    return report
