"""Real processes for the system tests: ``streamstack`` services and Debian's nginx.

Every process writes to its own log file, is started in its own session (and, from the
main thread, dies with pytest), and is stopped by the fixture that started it.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from harness.servers import _child_preexec, free_port, log_tail
from support.processes import clean_environment as clean_environment
from support.processes import streamstack_command as streamstack_command

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_DIR = ROOT / "compose"
# compose/nginx_template.py renders the one nginx template; it is a script, not a package.
if str(COMPOSE_DIR) not in sys.path:
    sys.path.insert(0, str(COMPOSE_DIR))

import nginx_template  # noqa: E402

MODULES = ("auth", "catalogue", "streaming", "ingest")
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0


def run_streamstack(
    args: Sequence[str], env: Mapping[str, str], log: Path, stdin: str | None = None
) -> str:
    """Run a one-shot ``streamstack`` command to completion; its output, or AssertionError."""
    result = subprocess.run(
        streamstack_command(*args),
        env=dict(env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    log.write_text(result.stdout + result.stderr)
    assert result.returncode == 0, f"streamstack {' '.join(args)}: {result.stderr[-2000:]}"
    return result.stdout


@dataclass
class ChildProcess:
    """One long-running child process with its output in ``log_path``."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        """Launch it (returns at once; see :meth:`wait_until`)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_child_preexec(),
            )

    @property
    def running(self) -> bool:
        """Started and not exited yet."""
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int:
        """Its process id."""
        assert self.process is not None
        return self.process.pid

    def failure(self, what: str) -> AssertionError:
        """An assertion error that carries the end of the log."""
        return AssertionError(
            f"{self.name}: {what}\n--- {self.log_path}\n{log_tail(self.log_path)}"
        )

    def wait_until(self, url: str, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        """Block until ``GET url`` answers 200 (the process must stay alive meanwhile)."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                code = self.process.returncode if self.process else None
                raise self.failure(f"exited with {code} before {url} answered")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=2.0).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise self.failure(f"{url} did not answer 200 within {timeout:.0f} s")
            time.sleep(0.1)

    def signal(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the process itself."""
        if self.running:
            os.kill(self.pid, sig)

    def wait_exit(self, timeout: float = STOP_TIMEOUT_SECONDS) -> int:
        """Wait for the process to end by itself (no signal); its exit status."""
        assert self.process is not None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise self.failure(f"still running after {timeout:.0f} s") from None

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> int:
        """SIGTERM and wait; SIGKILL (and a failure) if it outlives ``timeout``."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise self.failure(f"still running {timeout:.0f} s after SIGTERM") from None
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL the whole session (the process and anything it spawned)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            self.process.wait()


@dataclass
class Service(ChildProcess):
    """``streamstack serve --module M`` on a loopback port."""

    port: int = 0

    @classmethod
    def create(
        cls, modules: Sequence[str], name: str, env: Mapping[str, str], logs: Path
    ) -> Service:
        """A process serving ``modules`` on a free loopback port (not started yet)."""
        port = free_port()
        argv = streamstack_command("serve", "--host", "127.0.0.1", "--port", str(port))
        for module in modules:
            argv += ["--module", module]
        return cls(name=name, argv=argv, env=dict(env), log_path=logs / f"{name}.log", port=port)

    @property
    def address(self) -> str:
        """``127.0.0.1:PORT``."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """Its base URL."""
        return f"http://{self.address}"

    def wait_ready(self) -> None:
        """Block until ``/ready`` answers 200: every backend it uses answers."""
        self.wait_until(f"{self.url}/ready")


def start_all(processes: Sequence[Service]) -> None:
    """Start every service at once, then wait for each to be ready."""
    for process in processes:
        process.start()
    for process in processes:
        process.wait_ready()


def stop_all(processes: Sequence[ChildProcess]) -> None:
    """Stop every process that still runs; kill what does not stop."""
    for process in processes:
        process.signal(signal.SIGTERM)
    for process in processes:
        with contextlib.suppress(AssertionError):
            process.stop()


def web_root(directory: Path) -> Path:
    """The built SPA (web/dist), or a stand-in with the same shape when it is not built."""
    dist = ROOT / "web" / "dist"
    if (dist / "index.html").is_file() and any((dist / "assets").glob("*.js")):
        return dist
    (directory / "assets").mkdir(parents=True, exist_ok=True)
    (directory / "index.html").write_text(
        '<!doctype html><html><head><script type="module" src="/assets/index-0a1b2c3d.js">'
        "</script></head><body><div id=root></div></body></html>\n"
    )
    script = "".join(f"export const line{i} = 'StreamStack stand-in bundle';\n" for i in range(200))
    (directory / "assets" / "index-0a1b2c3d.js").write_text(script)
    return directory


@dataclass
class Nginx(ChildProcess):
    """Debian's nginx running compose/nginx.conf rendered for local processes."""

    public_port: int = 0
    internal_port: int = 0
    directory: Path = Path()

    @classmethod
    def create(
        cls,
        binary: str,
        directory: Path,
        *,
        servers: Mapping[str, Sequence[str]],
        web: Path,
        objects_dir: Path,
        s3_endpoint: str,
        max_upload_bytes: int,
        max_request_body_bytes: int,
        internal_port: int | None = None,
    ) -> Nginx:
        """Render the template into ``directory`` and check it with ``nginx -t``.

        ``internal_port`` may be chosen beforehand: the services are told it (their
        STREAMSTACK_<MODULE>_URL) before nginx, which lists their ports, can be rendered.
        """
        public_port = free_port()
        internal_port = internal_port or free_port()
        values = nginx_template.local_values(
            directory,
            public_listen=f"127.0.0.1:{public_port}",
            internal_listen=f"127.0.0.1:{internal_port}",
            servers=servers,
            web_root=web,
            objects_dir=objects_dir,
            s3_endpoint=s3_endpoint,
            max_upload_bytes=max_upload_bytes,
            max_request_body_bytes=max_request_body_bytes,
        )
        conf = directory / "nginx.conf"
        conf.write_text(nginx_template.render(values))
        # Workers run as this user: as root they would be "nobody", who cannot read pytest's
        # private temporary directories. (Not root: nginx ignores the directive.)
        argv = [binary, "-p", str(directory), "-c", str(conf), "-e", str(directory / "error.log")]
        argv += ["-g", f"daemon off; user {getpass.getuser()};"]
        checked = subprocess.run([*argv, "-t"], capture_output=True, text=True, check=False)
        assert checked.returncode == 0, f"nginx -t refused the rendered template:\n{checked.stderr}"
        return cls(
            name="nginx",
            argv=argv,
            env=clean_environment(),
            log_path=directory / "nginx.out",
            public_port=public_port,
            internal_port=internal_port,
            directory=directory,
        )

    @property
    def public_url(self) -> str:
        """What browsers reach."""
        return f"http://127.0.0.1:{self.public_port}"

    @property
    def internal_url(self) -> str:
        """What the modules call each other through."""
        return f"http://127.0.0.1:{self.internal_port}"

    def wait_ready(self) -> None:
        """Block until the public listener answers its own health location."""
        self.wait_until(f"{self.public_url}/nginx-health", timeout=15)

    def access_log(self) -> str:
        """Everything nginx logged as access lines so far."""
        path = self.directory / "access.log"
        return path.read_text() if path.exists() else ""

    def access_log_with(self, *lines: str, timeout: float = 10.0) -> str:
        """The access log once it holds every one of ``lines`` (nginx logs a request after it
        ends, and requests answered by different workers end in any order)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.access_log()
            if all(line in log for line in lines):
                break
            time.sleep(0.05)
        return log


@contextlib.contextmanager
def running(processes: Sequence[ChildProcess]) -> Iterator[None]:
    """Stop ``processes`` however the block ends; print their logs' ends (shown on failure)."""
    try:
        yield
    finally:
        stop_all(processes)
        for process in processes:
            print(f"--- {process.name} ({process.log_path})\n{log_tail(process.log_path, 15)}")
