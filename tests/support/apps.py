"""Build settings for a backend kind, run the app, mint tokens: what every test area shares.

Running an app in a test has one shape: :func:`running_app` (migrated, lifespan running,
a client on it, all in the test's own event loop). Its two building blocks are public for
the few tests that need only one of them: :func:`live_app` (the app with its lifespan
running, no client) and :func:`served_app` (behind a real uvicorn listener in a thread,
for what only real sockets show: HTTP transports, disconnects, outages).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import shutil
import sqlite3
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import httpx
import uvicorn
from jose import jwk, jwt
from litestar import Litestar

from harness.servers import adrop_database, asyncpg_connect_kwargs, unique_name, with_database
from harness.servers import free_port as free_port  # the one free_port, re-exported
from streamstack.app import create_app
from streamstack.cli import apply_migrations
from streamstack.cli.database import migration_folders
from streamstack.kernel.clock import Clock, utcnow
from streamstack.kernel.jwt import ensure_dev_keypair, key_id
from streamstack.kernel.module import ModuleDefinition
from streamstack.kernel.response_writes import HeadWithBodyProtocol
from streamstack.kernel.sealing import ensure_dev_sealing_keys
from streamstack.kernel.storage.private_files import private_file
from streamstack.settings import MODULE_NAMES, Settings

BackendKind = Literal["embedded", "production"]
#: The one embedded/production parametrization: every two-backend fixture uses these ids.
BACKEND_KINDS: tuple[BackendKind, ...] = ("embedded", "production")
INTERNAL_SECRET = "test-internal-secret-0123456789"
#: The sealing keys file's name beside the shared key pair.
SEALING_KEYS = "sealing-keys"
#: The base URL of an app run in-process.
IN_PROCESS_URL = "http://testserver.local"


#: Cheap argon2id for test apps: tests hash passwords as a means (the default's 19 MiB and
#: ~24 ms of CPU a hash, on every sign-up and sign-in of the suite, added up). The production
#: default's cost is checked in tests/auth/test_auth_login.py.
FAST_ARGON2 = {"argon2_memory_kib": 1024, "argon2_time_cost": 1, "argon2_parallelism": 1}


#: The database timeout of test apps and processes: the old asyncpg bound. The 5 s default
#: is for a server; a 2-core CI machine running four test processes at once stalls a
#: statement past it now and then (one sign-in's SELECT, once in a fresh-clone run). The
#: timeout's own tests (tests/kernel/test_db_timeouts.py, tests/app/test_hung_database.py)
#: set theirs.
TEST_DATABASE_TIMEOUT_SECONDS = 30.0


def make_settings(
    kind: BackendKind,
    data_dir: Path,
    *,
    database_url: str = "",
    nats_url: str = "",
    s3: Any = None,
    buckets: tuple[str, str] | None = None,
    modules: Sequence[str] = MODULE_NAMES,
    **overrides: Any,
) -> Settings:
    """Settings for one test: embedded backends in ``data_dir``, or the given servers."""
    keys = data_dir / "jwt"
    if not all((keys / name).exists() for name in ("private.pem", "public.pem", SEALING_KEYS)):
        shutil.copytree(shared_keypair(), keys, dirs_exist_ok=True)
    base: dict[str, Any] = {
        "environment": "dev",
        "modules": tuple(modules),
        "data_dir": data_dir,
        "internal_secret": INTERNAL_SECRET,
        "jwt_private_key_path": keys / "private.pem",
        "jwt_public_key_path": keys / "public.pem",
        "sealing_keys_path": keys / SEALING_KEYS,
        "log_level": "WARNING",
        # Tests make accounts as a means, not their subject; the default (invite) is tested
        # where registration is (tests/auth, tests/kernel/test_settings.py, the system journey).
        "registration_mode": "open",
        "database_timeout_seconds": TEST_DATABASE_TIMEOUT_SECONDS,
        **FAST_ARGON2,
    }
    base.update({k: v for k, v in (("database_url", database_url), ("nats_url", nats_url)) if v})
    if kind == "production":
        assert database_url and nats_url and s3 is not None and buckets is not None
        base.update(
            environment="production",
            log_format="console",
            database_url=database_url,
            nats_url=nats_url,
            s3_endpoint_url=s3.url,
            s3_access_key_id=s3.access_key_id,
            s3_secret_access_key=s3.secret_access_key,
            s3_region=s3.region,
            media_bucket=buckets[0],
            thumbnails_bucket=buckets[1],
        )
    base.update(overrides)
    return Settings(**base).replace()


@functools.cache
def _process_scratch() -> Path:
    """A folder of this test process's own, deleted at exit."""
    root = Path(tempfile.mkdtemp(prefix="streamstack-test-process-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


@functools.cache
def shared_keypair() -> Path:
    """The folder of one RSA key pair and sealing keys file per test process, made by the
    app's own generators.

    Generating an RSA-2048 key costs 0.1 to 0.3 s of CPU, and hundreds of tests build settings;
    each copies this pair instead (``copytree`` keeps the 0700 folder and 0600 private file).
    A test about distinct keys makes its own with ``ensure_dev_keypair``.
    """
    keys = _process_scratch() / "jwt"
    ensure_dev_keypair(keys / "private.pem", keys / "public.pem")
    ensure_dev_sealing_keys(keys / SEALING_KEYS)
    return keys


#: The first fresh SQLite database migrated for each module list, kept as it was then.
_MIGRATED_SQLITE: dict[tuple[str, ...], Path] = {}


async def migrate_for_app(settings: Settings) -> None:
    """``apply_migrations`` before an app starts; a fresh database comes faster.

    Alembic loads every revision script on each run and runs them (a few tenths of a second
    per app). The first fresh database of each module list is migrated for real and kept;
    the next fresh ones get a copy of it: SQLite's through its backup API, PostgreSQL's as a
    database made from it as a template (0.02 s where migrating took 0.2 s). The same
    migrated schema, made by the same migrations, in this process. A database that already
    holds tables (an app started again on the same data) is migrated for real.
    """
    url = settings.effective_database_url
    if url.startswith("postgresql"):
        await _migrate_postgres(settings, url)
        return
    target = Path(url.split("///", 1)[1]) if url.startswith("sqlite") else None
    if target is None or target.exists():
        await apply_migrations(settings, settings.modules)
        return
    key = tuple(settings.modules)
    migrated = _MIGRATED_SQLITE.get(key)
    if migrated is not None:
        _copy_sqlite(migrated, private_file(target))  # created 0600, as the app creates it
        return
    await apply_migrations(settings, settings.modules)
    if target.exists():  # modules without migrations leave no file
        kept = _process_scratch() / f"migrated-{len(_MIGRATED_SQLITE)}.sqlite3"
        _MIGRATED_SQLITE[key] = _copy_sqlite(target, kept)


#: The template database of the first fresh PostgreSQL database migrated for each server
#: and module list (dropped at exit: a server named by URL outlives the session).
_MIGRATED_POSTGRES: dict[tuple[str, tuple[str, ...]], str] = {}
#: Whether a database holds no table of its own yet.
_HOLDS_NO_TABLE = """SELECT NOT EXISTS (SELECT 1 FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_%')"""


async def _migrate_postgres(settings: Settings, url: str) -> None:
    """:func:`migrate_for_app` on PostgreSQL: a fresh database becomes a copy of the
    template of its module list, made from the first one migrated."""
    import asyncpg

    if not migration_folders(settings.modules):
        return  # nothing to migrate: the database is not even reached
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    server = with_database(url, "postgres")
    key = (server, tuple(settings.modules))
    connection = await asyncpg.connect(**asyncpg_connect_kwargs(url), timeout=10)
    try:
        fresh = await connection.fetchval(_HOLDS_NO_TABLE)
    finally:
        await connection.close()
    template = _MIGRATED_POSTGRES.get(key)
    if not fresh or template is None:
        await apply_migrations(settings, settings.modules)
        if fresh:
            template = unique_name("migrated_template", length=48)
            await _create_database(server, template, template=name)
            _MIGRATED_POSTGRES[key] = template
        return
    try:
        await _create_database(server, name, template=template, replacing=True)
    except asyncpg.InvalidCatalogNameError:  # another server now answers at that address
        del _MIGRATED_POSTGRES[key]
        await _migrate_postgres(settings, url)


@atexit.register
def _drop_templates() -> None:
    """Drop the templates, best effort: the session's own server may be gone already."""
    for (server, _), template in _MIGRATED_POSTGRES.items():
        with contextlib.suppress(Exception):
            asyncio.run(adrop_database(server, template))


async def _create_database(
    server: str, name: str, *, template: str, replacing: bool = False
) -> None:
    """Create ``name`` (dropped first if ``replacing``) as a copy of ``template``."""
    import asyncpg

    connection = await asyncpg.connect(**asyncpg_connect_kwargs(server), timeout=10)
    try:
        if replacing:
            await connection.execute(f'DROP DATABASE "{name}"')
        try:
            await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        except asyncpg.InvalidCatalogNameError:
            await connection.execute(f'CREATE DATABASE "{name}"')  # as it was: fresh
            raise
    finally:
        await connection.close()


def _copy_sqlite(source: Path, target: Path) -> Path:
    """Copy a SQLite database with its backup API (consistent, WAL content included)."""
    with (
        contextlib.closing(sqlite3.connect(source)) as reading,
        contextlib.closing(sqlite3.connect(target)) as writing,
    ):
        reading.backup(writing)
    return target


@asynccontextmanager
async def live_app(
    settings: Settings,
    definitions: Mapping[str, ModuleDefinition] | None = None,
    *,
    migrate: bool = True,
    clock: Clock = utcnow,
) -> AsyncIterator[Litestar]:
    """Migrate, build the app (its modules reading the time from ``clock``) and run its
    lifespan in the test's own event loop.

    Litestar's ``AsyncTestClient`` runs the lifespan (background tasks such as the outbox
    relay or the upload sweeper) in a thread with its own loop while requests run in the
    test's loop; a database pool or NATS connection shared by both loops breaks. Pair this
    with ``httpx.ASGITransport(app=...)`` to keep everything in one loop, as under uvicorn
    (:func:`running_app` does).
    """
    if migrate:
        await migrate_for_app(settings)
    app = create_app(settings, definitions, clock=clock)
    started, stopping = asyncio.Event(), asyncio.Event()

    # The lifespan enters and exits anyio cancel scopes: one task must do both, and a
    # fixture's set-up and tear-down run in different tasks.
    async def live() -> None:
        async with app.lifespan():
            started.set()
            await stopping.wait()

    lifespan = asyncio.create_task(live())
    waiting = asyncio.create_task(started.wait())
    await asyncio.wait({lifespan, waiting}, return_when=asyncio.FIRST_COMPLETED)
    if not started.is_set():
        waiting.cancel()
        await lifespan  # start-up failed: raise its error
    try:
        yield app
    finally:
        stopping.set()
        await lifespan


@asynccontextmanager
async def served_app(
    settings: Settings,
    definitions: Mapping[str, ModuleDefinition] | None = None,
    *,
    port: int | None = None,
    migrate: bool = True,
    clock: Clock = utcnow,
) -> AsyncIterator[str]:
    """Serve the app with uvicorn in a background thread; yield its base URL.

    For what only a real server shows (HTTP transports, disconnects, outages). The wait
    does not block the test's event loop, which may run a proxy the app talks to. The
    modules read the time from ``clock`` (a test may hold it still).
    """
    if migrate:
        await migrate_for_app(settings)
    app = create_app(settings, definitions, clock=clock)
    async with uvicorn_server(app, port) as server:
        yield server_url(server)


@asynccontextmanager
async def uvicorn_server(app: Litestar, port: int | None = None) -> AsyncIterator[uvicorn.Server]:
    """``app`` behind uvicorn in a background thread (lifespan on), started; stopped after.

    The building block of :func:`served_app`, for a test that also needs the app or the
    server's own event loop (``server.servers[0].get_loop()``).
    """
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=3,
            http=HeadWithBodyProtocol,  # as `streamstack serve` runs it
        )
    )
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # under a second here; far longer on a loaded CI host
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn on port {port} did not start")
        await asyncio.sleep(0.02)
    try:
        yield server
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 20)


def server_url(server: uvicorn.Server) -> str:
    """The base URL of a server from :func:`uvicorn_server`."""
    return f"http://127.0.0.1:{server.config.port}"


class AppClient(httpx.AsyncClient):
    """An HTTP client of one running app, with the app at hand (``client.app``)."""

    def __init__(self, app: Litestar, base_url: str = IN_PROCESS_URL) -> None:
        in_process = base_url == IN_PROCESS_URL
        super().__init__(
            transport=httpx.ASGITransport(app=app) if in_process else None,
            base_url=base_url,
            timeout=60,
        )
        self.app = app


@asynccontextmanager
async def running_app(
    settings: Settings,
    definitions: Mapping[str, ModuleDefinition] | None = None,
    *,
    migrate: bool = True,
    clock: Clock = utcnow,
) -> AsyncIterator[AppClient]:
    """THE way to run an app in a test: migrated, lifespan running, and a client on it.

    Everything runs in the test's own event loop (see :func:`live_app`), so the test may use
    the app's backends directly (``client.app.state.backends``). The modules read the time
    from ``clock``.
    """
    live = live_app(settings, definitions, migrate=migrate, clock=clock)
    async with live as app, AppClient(app) as client:
        yield client


def token_claims(
    settings: Settings,
    *,
    user_id: str | None = None,
    role: str = "viewer",
    typ: str = "access",
    ttl_seconds: int = 1800,
    **claims: Any,
) -> dict[str, Any]:
    """The claims auth puts in a token, with ``claims`` on top; ``None`` drops a claim."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "sub": user_id or str(uuid.uuid4()),
        "role": role,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + ttl_seconds,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "typ": typ,
    }
    payload.update(claims)
    return {k: v for k, v in payload.items() if v is not None}


def mint_token(
    settings: Settings,
    *,
    user_id: str | None = None,
    role: str = "viewer",
    typ: str = "access",
    ttl_seconds: int = 1800,
    headers: dict[str, Any] | None = None,
    **claims: Any,
) -> str:
    """A token signed with the test private key, as auth would sign it."""
    payload = token_claims(
        settings, user_id=user_id, role=role, typ=typ, ttl_seconds=ttl_seconds, **claims
    )
    keys = (settings.private_key_path.read_bytes(), settings.public_key_path.read_bytes())
    private, kid = _signing_key(*keys)
    return str(
        jwt.encode(payload, private, algorithm="RS256", headers={"kid": kid, **(headers or {})})
    )


@functools.lru_cache(maxsize=64)
def _signing_key(private_pem: bytes, public_pem: bytes) -> tuple[Any, str]:
    """The parsed private key and the kid: python-jose validates a PEM slowly, once is enough."""
    return jwk.construct(private_pem.decode(), "RS256"), key_id(public_pem)


def bearer(token: str) -> dict[str, str]:
    """An Authorization header."""
    return {"Authorization": f"Bearer {token}"}
