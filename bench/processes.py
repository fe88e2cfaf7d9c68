"""The processes a benchmark runs: ``streamstack`` services, nginx, and the test servers.

Services are real ``streamstack serve``/``dev`` subprocesses on free loopback ports, set up
through ``STREAMSTACK_*`` variables exactly as an operator would. NATS, S3 (moto) and
PostgreSQL come from the test harness (``tests/harness/servers.py``), so the bench starts
them the same way the test suite does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from streamstack.kernel.jwt import ensure_dev_keypair
from streamstack.kernel.sealing import ensure_dev_sealing_keys
from streamstack.kernel.transport import SECRET_HEADER

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
INTERNAL_SECRET = "bench-internal-secret-0123456789"
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def test_harness() -> ModuleType:
    """``tests/harness/servers.py`` (NatsServer, S3Server, PostgresServer ...)."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    import harness.servers

    return harness.servers


def free_port() -> int:
    """A free TCP port on loopback (the test harness's one finder)."""
    port: int = test_harness().free_port()
    return port


# --- memory of a process tree ------------------------------------------------------------


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` now (0 if it is gone)."""
    return _status_kib(pid, "VmRSS") * 1024


def peak_rss_bytes(pid: int) -> int:
    """The highest resident set size ``pid`` has had (``VmHWM``)."""
    return _status_kib(pid, "VmHWM") * 1024


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children, grandchildren ...)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        children = parents.get(pending.pop(), [])
        found += children
        pending += children
    return found


# --- streamstack services ---------------------------------------------------------------------


class BenchKeys:
    """The RSA key pair every bench service verifies with, tokens signed with it, and the
    keys auth seals two-factor secrets with."""

    def __init__(self, directory: Path) -> None:
        self.private_path = directory / "private.pem"
        self.public_path = directory / "public.pem"
        self.sealing_path = directory / "sealing-keys"
        ensure_dev_keypair(self.private_path, self.public_path)
        ensure_dev_sealing_keys(self.sealing_path)

    def env(self) -> dict[str, str]:
        return {
            "STREAMSTACK_JWT_PRIVATE_KEY_PATH": str(self.private_path),
            "STREAMSTACK_JWT_PUBLIC_KEY_PATH": str(self.public_path),
            "STREAMSTACK_SEALING_KEYS_PATH": str(self.sealing_path),
        }

    def access_token(self, *, role: str = "viewer", user_id: str | None = None) -> str:
        """An access token signed as auth signs them (``tests/support/apps.py``)."""
        if str(TESTS) not in sys.path:
            sys.path.insert(0, str(TESTS))
        from streamstack.settings import Settings
        from support.apps import mint_token

        settings = Settings(
            jwt_private_key_path=self.private_path, jwt_public_key_path=self.public_path
        )
        return mint_token(settings, role=role, user_id=user_id)


class Service:
    """One ``streamstack`` process (``serve`` or ``dev``) on a free loopback port."""

    def __init__(
        self,
        name: str,
        workdir: Path,
        keys: BenchKeys,
        *,
        command: str = "serve",
        modules: tuple[str, ...] = (),
        settings: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = workdir / name
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / f"{name}.log"
        self.keys = keys
        argv = [sys.executable, "-m", "streamstack", command, "--port", str(self.port)]
        if command == "dev":
            argv += ["--data-dir", str(self.data_dir)]
        for module in modules:
            argv += ["--module", module]
        self.argv = argv
        self.modules = modules
        base = {k: v for k, v in os.environ.items() if not k.startswith("STREAMSTACK_")}
        self.env = {
            **base,
            "PYTHONUNBUFFERED": "1",
            "STREAMSTACK_ENVIRONMENT": "production" if command == "serve" else "dev",
            "STREAMSTACK_DATA_DIR": str(self.data_dir),
            "STREAMSTACK_INTERNAL_SECRET": INTERNAL_SECRET,
            "STREAMSTACK_LOG_FORMAT": "json",
            **keys.env(),
            **(settings or {}),
        }
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None, f"{self.name} is not running"
        return self._process.pid

    def migrate(self) -> Service:
        """``streamstack migrate`` for this service's modules, as an operator runs it first."""
        argv = [sys.executable, "-m", "streamstack", "migrate"]
        for module in self.modules:
            argv += ["--module", module]
        subprocess.run(argv, env=self.env, cwd=self.data_dir, check=True, capture_output=True)
        return self

    def start(self, timeout: float = 60.0) -> Service:
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.data_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/ready", timeout=2).status_code == 200:
                    return self
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} was not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def issue_stream_url(self, key: str, size: int, *, media_id: str = "bench-media") -> str:
        """Ask this service's streaming module for a token, as the catalogue would."""
        response = httpx.post(
            f"{self.url}/internal/v1/stream/token",
            json={"media_id": media_id, "s3_key": key, "size_bytes": size},
            headers={
                SECRET_HEADER: INTERNAL_SECRET,
                "Authorization": f"Bearer {self.keys.access_token()}",
            },
            timeout=10,
        )
        response.raise_for_status()
        url: str = response.json()["stream_url"]
        return url

    def __enter__(self) -> Service:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- nginx ---------------------------------------------------------------------------------

#: What every bench nginx config has: its own prefix for every file, one http block with
#: long keep-alives (wrk reuses connections), and ``{http}`` inside that block.
NGINX_FRAME = """
{user}
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    keepalive_timeout 65s;
    keepalive_requests 1000000;
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{http}
}}
"""

#: The http block of :class:`Nginx`: sendfile, a proxy to streaming and X-Accel locations.
BENCH_HTTP = """
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;

    upstream streaming {{
        server {upstream};
        keepalive 32;
    }}

    server {{
        listen 127.0.0.1:{port};
        # The baseline: nginx sending the object's file itself, with sendfile.
        location ^~ /files/ {{
            alias {objects}/;
        }}
        # Playback through a streaming service, as compose/nginx.conf proxies it.
        location ^~ /api/v1/stream/ {{
            proxy_pass http://streaming;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }}
        # STREAMSTACK_STREAMING_DELIVERY=nginx: the service answers X-Accel-Redirect here.
        location ^~ /_streamstack/local/ {{
            internal;
            alias {objects}/;
            add_header Accept-Ranges bytes;
        }}
    }}
"""


def nginx_config(prefix: Path, *, workers: int, http: str) -> str:
    """A whole config for nginx in ``prefix`` with ``http`` (formatted) in its http block."""
    return NGINX_FRAME.format(
        prefix=prefix,
        workers=workers,
        http=http,
        # The data directory is private (0700/0600): workers running as ``nobody`` could
        # not read the objects, so they run as the bench's own user.
        user="user root;" if os.geteuid() == 0 else "",
    )


def nginx_path() -> str:
    for candidate in ("/usr/sbin/nginx", "/usr/local/sbin/nginx"):
        if os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError("nginx is not installed: apt-get install nginx")


def nginx_version() -> str:
    run = subprocess.run([nginx_path(), "-v"], capture_output=True, text=True, check=False)
    return (run.stderr or run.stdout).strip().removeprefix("nginx version: ")


class Nginx:
    """nginx with the bench's own minimal config: sendfile, proxy and X-Accel locations."""

    def __init__(self, workdir: Path, *, objects: Path, upstream: str, workers: int = 1) -> None:
        self.prefix = workdir / "nginx"
        self.prefix.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = self.prefix / "nginx.conf"
        http = BENCH_HTTP.format(port=self.port, objects=objects.resolve(), upstream=upstream)
        self.config.write_text(nginx_config(self.prefix, workers=workers, http=http))
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> Nginx:
        argv = [nginx_path(), "-p", str(self.prefix), "-c", str(self.config), "-g", "daemon off;"]
        check = subprocess.run([*argv, "-t"], capture_output=True, text=True, check=False)
        if check.returncode != 0:
            raise RuntimeError(f"nginx config rejected:\n{check.stderr}")
        self._process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return self
            time.sleep(0.05)
        raise RuntimeError("nginx did not start listening")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGQUIT)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def harness_server(kind: str, workdir: Path) -> Iterator[Any]:
    """A started NATS (``"nats"``), moto S3 (``"s3"``) or PostgreSQL (``"postgres"``)."""
    servers = test_harness()
    if kind == "nats":
        server = servers.NatsServer(workdir / "nats")
    elif kind == "s3":
        server = servers.S3Server(workdir / "s3")
    elif kind == "postgres":
        server = servers.PostgresServer(servers.scratch_dir("streamstack-bench-postgres-"))
    else:
        raise ValueError(kind)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        if kind == "postgres":
            import shutil

            shutil.rmtree(server.data_dir, ignore_errors=True)
