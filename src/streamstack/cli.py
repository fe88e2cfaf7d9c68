"""The ``streamstack`` command: dev, serve, migrate and the operator commands."""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import signal
import sys
import threading
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
