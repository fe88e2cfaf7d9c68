"""The ``streamstack`` command: dev, serve, migrate and the operator commands."""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import math
import mimetypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from streamstack.settings import MODULE_NAMES, Settings, SettingsError, dev_defaults

Command = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: parse, run, and turn configuration problems into one-line errors."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command: Command = args.command
    try:
        code = command(args)
    except SettingsError as exc:
        print(f"streamstack: error: {exc}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="streamstack", description="StreamStack, a self-hostable video platform."
    )
    sub = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    dev = sub.add_parser(
        "dev",
        help="all modules in one process on embedded backends, with the SPA",
        description="Run every module in one process on embedded backends (SQLite, local "
        "directory, in-process KV and events) and serve the built SPA from web/dist.",
    )
    dev.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    dev.add_argument("--port", type=int, default=None, help="port (default 8000)")
    dev.add_argument("--data-dir", type=Path, default=None, help="data directory (.streamstack)")
    dev.set_defaults(command=run_dev)

    serve = sub.add_parser(
        "serve",
        help="one or more modules on the production backends",
        description="Run the named modules against Postgres, NATS and S3 as configured by "
        "STREAMSTACK_* variables; other modules are reached at STREAMSTACK_<MODULE>_URL.",
    )
    serve.add_argument(
        "--module",
        action="append",
        dest="modules",
        metavar="NAME",
        help=f"module to mount, repeatable ({', '.join(MODULE_NAMES)})",
    )
    serve.add_argument("--host", default=None, help="address to listen on")
    serve.add_argument("--port", type=int, default=None, help="port")
    serve.set_defaults(command=run_serve)

    migrate = sub.add_parser(
        "migrate",
        help="apply database migrations",
        description="Apply every module's migrations to STREAMSTACK_DATABASE_URL.",
    )
    migrate.add_argument("--module", action="append", dest="modules", metavar="NAME")
    migrate.add_argument("--data-dir", type=Path, default=None)
    migrate.set_defaults(command=run_migrate)

    create_admin = sub.add_parser(
        "create-admin",
        help="create an admin account, or promote an existing one",
        description="Create an admin with this email, or make the existing account an admin. "
        "Without --password-stdin a new account gets a generated password, printed once; "
        "an existing account keeps its password.",
    )
    create_admin.add_argument("--email", required=True, help="the admin's email")
    create_admin.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    create_admin.add_argument("--data-dir", type=Path, default=None)
    create_admin.set_defaults(command=run_create_admin)

    upload = sub.add_parser(
        "upload",
        help="upload a video through the resumable (tus) endpoint",
        description="Upload FILE to a running StreamStack as an admin, with a progress line "
        "on stderr. An interrupted upload resumes where it stopped when the same command "
        "is run again. Prints the created item as JSON.",
    )
    upload.add_argument("file", type=Path, metavar="FILE", help="the video to upload")
    upload.add_argument("--title", required=True, help="the item's title")
    upload.add_argument("--description", default="", help="the item's description")
    upload.add_argument("--tags", default="", help="comma-separated tags")
    upload.add_argument("--draft", action="store_true", help="register it unpublished")
    upload.add_argument(
        "--server",
        default=os.environ.get("STREAMSTACK_SERVER", "http://127.0.0.1:8000"),
        help="base URL of StreamStack (default $STREAMSTACK_SERVER or http://127.0.0.1:8000)",
    )
    upload.add_argument(
        "--token",
        default=os.environ.get("STREAMSTACK_TOKEN"),
        help="an admin access token (default $STREAMSTACK_TOKEN)",
    )
    upload.add_argument("--chunk-mib", type=int, default=8, help="MiB sent per request (default 8)")
    upload.add_argument(
        "--retries", type=int, default=5, help="attempts to resume after a network error"
    )
    upload.set_defaults(command=run_upload)
    return parser


def load_settings(env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from the process environment plus CLI flags."""
    return Settings.from_env(os.environ if env is None else env, **overrides)


def default_web_dist() -> Path | None:
    """``web/dist`` of the checkout this package runs from, or of the working directory."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        candidate = base / "web" / "dist"
        if (candidate / "index.html").is_file():
            return candidate
    return None


def run_dev(args: argparse.Namespace) -> int:
    """``streamstack dev``."""
    settings = load_settings(
        environment="dev", host=args.host, port=args.port, data_dir=args.data_dir
    )
    if settings.web_dist_dir is None:
        settings = settings.replace(web_dist_dir=default_web_dist())
    settings = dev_defaults(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(apply_migrations(settings, settings.modules))
    serve_app(settings)
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """``streamstack serve``."""
    modules = tuple(args.modules) if args.modules else None
    settings = load_settings(
        environment=os.environ.get("STREAMSTACK_ENVIRONMENT", "production"),
        modules=modules,
        host=args.host,
        port=args.port,
    )
    if settings.environment == "dev":
        settings = dev_defaults(settings)
    asyncio.run(check_database(settings))
    serve_app(settings)
    return 0


def run_migrate(args: argparse.Namespace) -> int:
    """``streamstack migrate``."""
    modules = tuple(args.modules) if args.modules else None
    settings = load_settings(modules=modules, data_dir=args.data_dir)
    asyncio.run(apply_migrations(settings, settings.modules))
    print(f"migrated: {', '.join(settings.modules)}")
    return 0


def run_create_admin(args: argparse.Namespace) -> int:
    """``streamstack create-admin``."""
    from streamstack.auth.bootstrap import create_admin_command

    password = None
    if args.password_stdin:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    settings = load_settings(data_dir=args.data_dir)
    if settings.environment == "dev":
        settings = dev_defaults(settings)
    asyncio.run(apply_migrations(settings, ("auth",)))
    return asyncio.run(create_admin_command(settings, args.email, password))


async def apply_migrations(settings: Settings, modules: Sequence[str]) -> None:
    """Run the migrations of ``modules`` that have any."""
    from streamstack.app import module_definitions
    from streamstack.kernel.db import DatabaseUnavailable, migrate

    definitions = module_definitions()
    folders = {
        name: definitions[name].migrations
        for name in modules
        if definitions[name].migrations is not None
    }
    if not folders:
        return
    try:
        await migrate(settings.effective_database_url, folders)  # type: ignore[arg-type]
    except (OSError, DatabaseUnavailable) as exc:
        raise SettingsError(f"STREAMSTACK_DATABASE_URL: database unreachable ({exc})") from None
    except Exception as exc:
        if exc.__class__.__module__.startswith(("sqlalchemy", "asyncpg")):
            raise SettingsError(
                f"STREAMSTACK_DATABASE_URL: database unreachable ({exc.__class__.__name__})"
            ) from None
        raise


async def check_database(settings: Settings) -> None:
    """Fail at start, in one line, if a mounted module needs a database that is not there."""
    from streamstack.app import module_definitions
    from streamstack.kernel.db import Database

    definitions = module_definitions()
    if not any(definitions[name].migrations for name in settings.modules):
        return
    database = Database(settings.effective_database_url)
    try:
        await database.ping()
    except Exception as exc:
        raise SettingsError(f"STREAMSTACK_DATABASE_URL: {getattr(exc, 'detail', exc)}") from None
    finally:
        await database.close()


def serve_app(settings: Settings) -> None:
    """Run uvicorn on the app for ``settings`` until SIGTERM or Ctrl+C.

    On SIGTERM uvicorn closes the listening socket at once, lets in-flight responses and
    request bodies (streams, uploads) finish for up to ``shutdown_timeout_seconds``, runs
    the modules' shutdown hooks and returns; the process then exits 0.
    """
    import uvicorn

    from streamstack.app import create_app

    app = create_app(settings)
    if threading.current_thread() is threading.main_thread():
        # After a graceful stop uvicorn re-raises the signal it stopped for; under the
        # default SIGTERM action that would kill the finished process (status 143).
        signal.signal(signal.SIGTERM, _acknowledge_sigterm)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=math.ceil(settings.shutdown_timeout_seconds),
        proxy_headers=True,
        server_header=False,
    )


def _acknowledge_sigterm(signum: int, frame: FrameType | None) -> None:
    """SIGTERM once uvicorn has finished: the graceful stop is complete, nothing to do."""


# --- streamstack upload: a tus 1.0 client --------------------------------------------------

UPLOADS_PATH = "/api/v1/ingest/uploads"
TUS_VERSION = "1.0.0"


class UploadFailed(Exception):
    """The upload cannot go on; the message says why, in the server's words when it gave any."""

    def __init__(self, message: str, *, resumable: bool = False) -> None:
        super().__init__(message)
        self.resumable = resumable


def run_upload(args: argparse.Namespace) -> int:
    """``streamstack upload``."""
    if not args.token:
        raise SettingsError(
            "upload: an admin access token is required (--token or STREAMSTACK_TOKEN)"
        )
    if not args.file.is_file():
        raise SettingsError(f"upload: {args.file} is not a file")
    if not 1 <= args.chunk_mib <= 1024 or args.retries < 0:
        raise SettingsError("upload: --chunk-mib must be 1..1024 and --retries at least 0")
    uploader = ResumableUploader(
        args.server.rstrip("/"),
        args.token,
        chunk_bytes=args.chunk_mib * 1024 * 1024,
        retries=args.retries,
    )
    try:
        item = uploader.upload(
            args.file,
            {
                "filename": args.file.name,
                "filetype": mimetypes.guess_type(args.file.name)[0] or "application/octet-stream",
                "title": args.title,
                "description": args.description,
                "tags": args.tags,
                "publish": "false" if args.draft else "true",
            },
        )
    except UploadFailed as exc:
        print(f"\nstreamstack: upload failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstreamstack: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    finally:
        uploader.close()
    print(json.dumps(item, indent=2))
    return 0


class ResumableUploader:
    """Sends one file through the tus endpoint, resuming across errors and across runs.

    Each file's upload URL is remembered (by server, path, size and modification time) in
    ``$XDG_CACHE_HOME/streamstack/uploads.json`` until it finishes, so running the same
    command after an interruption continues where the server says the upload stands.
    """

    def __init__(self, server: str, token: str, *, chunk_bytes: int, retries: int) -> None:
        import httpx

        self.server = server
        self.chunk_bytes = chunk_bytes
        self.retries = retries
        # The last PATCH waits while the server probes and registers the video.
        self._http = httpx.Client(
            base_url=server,
            headers={"Authorization": f"Bearer {token}", "Tus-Resumable": TUS_VERSION},
            timeout=httpx.Timeout(30.0, read=600.0),
        )
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        self._state_file = cache / "streamstack" / "uploads.json"
        self._progress = ProgressLine(sys.stderr)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def upload(self, path: Path, metadata: dict[str, str]) -> Any:
        """Upload ``path`` (or finish its earlier upload) and return the item as JSON data."""
        fingerprint = self._fingerprint(path)
        try:
            item = self._upload(path, fingerprint, metadata)
        except _Retryable as exc:
            raise UploadFailed(str(exc), resumable=True) from None
        except UploadFailed as exc:
            if not exc.resumable:
                self._remember(fingerprint, None)
            raise
        self._remember(fingerprint, None)
        return item

    def _upload(self, path: Path, fingerprint: str, metadata: dict[str, str]) -> Any:
        size = path.stat().st_size
        url = self._remembered().get(fingerprint)
        offset = self._offset(url) if url else None
        if url is None or offset is None:
            url, offset = self._create(size, metadata), 0
            self._remember(fingerprint, url)
        elif offset:
            print(f"resuming {path.name} at {offset} of {size} bytes", file=sys.stderr)
        try:
            with path.open("rb") as file:
                self._send(url, file, offset, size)
        finally:
            self._progress.done()
        return self._outcome(url)

    def _send(self, url: str, file: Any, offset: int, size: int) -> None:
        failures = 0
        self._progress.show(offset, size)
        while offset < size:
            file.seek(offset)
            try:
                offset = self._patch(url, offset, file.read(self.chunk_bytes))
                failures = 0
            except _Retryable as exc:
                failures += 1
                if failures > self.retries:
                    raise UploadFailed(
                        f"{exc}; {offset} of {size} bytes are stored, "
                        "run the same command again to resume",
                        resumable=True,
                    ) from None
                time.sleep(min(30.0, 0.5 * 2**failures))
                with contextlib.suppress(_Retryable):
                    offset = self._offset(url) or offset
            self._progress.show(offset, size)

    def _create(self, size: int, metadata: dict[str, str]) -> str:
        encoded = ",".join(
            f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in metadata.items()
        )
        response = self._request(
            "POST", UPLOADS_PATH, headers={"Upload-Length": str(size), "Upload-Metadata": encoded}
        )
        if response.status_code != 201:
            raise UploadFailed(_error_detail(response))
        return str(response.headers["Location"])

    def _offset(self, url: str) -> int | None:
        """Where the server says the upload stands; None when it no longer knows it."""
        response = self._request("HEAD", url)
        if response.status_code in (404, 410):
            return None
        if response.status_code != 200:
            raise UploadFailed(_error_detail(response))
        return int(response.headers["Upload-Offset"])

    def _patch(self, url: str, offset: int, data: bytes) -> int:
        response = self._request(
            "PATCH",
            url,
            content=data,
            headers={
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            },
        )
        if response.status_code == 204:
            return int(response.headers["Upload-Offset"])
        if response.status_code in (409, 423) or response.status_code >= 500:
            raise _Retryable(_error_detail(response))
        raise UploadFailed(_error_detail(response))

    def _outcome(self, url: str) -> Any:
        upload_id = url.rstrip("/").rsplit("/", 1)[-1]
        for _ in range(600):
            response = self._request("GET", f"/api/v1/ingest/jobs/{upload_id}")
            if response.status_code != 200:
                raise UploadFailed(_error_detail(response))
            job = response.json()
            if job["state"] == "done":
                return job["item"]
            if job["state"] == "failed":
                raise UploadFailed(job["error"] or "processing failed")
            time.sleep(1.0)
        raise UploadFailed("the server is still processing the video; check the library later")

    def _request(self, method: str, url: str, **kwargs: Any) -> Any:
        import httpx

        try:
            return self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise _Retryable(f"{self.server} unreachable ({exc.__class__.__name__})") from exc

    def _fingerprint(self, path: Path) -> str:
        stat = path.stat()
        return f"{self.server} {path.resolve()} {stat.st_size} {stat.st_mtime_ns}"

    def _remembered(self) -> dict[str, str]:
        try:
            data = json.loads(self._state_file.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _remember(self, fingerprint: str, url: str | None) -> None:
        state = self._remembered()
        if url is None:
            state.pop(fingerprint, None)
        else:
            state[fingerprint] = url
        self._state_file.parent.mkdir(parents=True, exist_ok=True)
        self._state_file.write_text(json.dumps(state, indent=1))


class _Retryable(Exception):
    """A failure worth asking the server where the upload stands, and trying again."""


def _error_detail(response: Any) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    return f"HTTP {response.status_code}: {detail or response.reason_phrase}"


class ProgressLine:
    """``[#####-----]  48%  12.0/25.0 MiB  3.1 MiB/s`` on stderr; redrawn in place on a TTY."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._tty = bool(getattr(stream, "isatty", lambda: False)())
        self._started = time.monotonic()
        self._first: int | None = None
        self._last_percent = -1

    def show(self, sent: int, total: int) -> None:
        """Report ``sent`` of ``total`` bytes."""
        if self._first is None:
            self._first = sent
        percent = 100 if total == 0 else sent * 100 // total
        if not self._tty and percent // 10 == self._last_percent // 10 and percent != 100:
            return  # a log, not a terminal: one line per tenth
        self._last_percent = percent
        elapsed = max(time.monotonic() - self._started, 1e-6)
        rate = (sent - self._first) / elapsed / 2**20
        bar = "#" * (percent // 5) + "-" * (20 - percent // 5)
        line = (
            f"[{bar}] {percent:3d}%  {sent / 2**20:.1f}/{total / 2**20:.1f} MiB  {rate:.1f} MiB/s"
        )
        self._stream.write(f"\r{line}" if self._tty else f"{line}\n")
        self._stream.flush()

    def done(self) -> None:
        """End the line."""
        if self._tty:
            self._stream.write("\n")
            self._stream.flush()
