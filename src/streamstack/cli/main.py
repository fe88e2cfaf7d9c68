"""The entry point: parse the command line, run the command, one-line configuration errors."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from streamstack.cli.commands import run_create_admin, run_dev, run_migrate, run_serve
from streamstack.cli.login import run_login, run_logout
from streamstack.cli.upload import run_upload
from streamstack.cli.worker import run_worker
from streamstack.settings import MODULE_NAMES, SettingsError

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
    for add in (
        _add_dev,
        _add_serve,
        _add_worker,
        _add_migrate,
        _add_create_admin,
        _add_login,
        _add_logout,
        _add_upload,
    ):
        add(sub)
    return parser


def data_directory(text: str) -> Path:
    """``--data-dir``: ``~`` expanded (``--data-dir=~/x`` reaches us unexpanded)."""
    return Path(text).expanduser()


def _add_dev(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dev = sub.add_parser(
        "dev",
        help="all modules in one process on embedded backends, with the SPA",
        description="Run every module in one process on embedded backends (SQLite, local "
        "directory, in-process KV and events) and serve the built SPA from web/dist.",
    )
    dev.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    dev.add_argument("--port", type=int, default=None, help="port (default 8000)")
    dev.add_argument(
        "--data-dir",
        type=data_directory,
        default=None,
        help="data directory: database, keys, media (default $STREAMSTACK_DATA_DIR or "
        ".streamstack); give `create-admin` the same one",
    )
    dev.set_defaults(command=run_dev)


def _add_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def _add_worker(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = sub.add_parser(
        "worker",
        help="transcoding workers on the shared job queue (no HTTP app)",
        description="Run transcoding workers on the job queue named by STREAMSTACK_* "
        "variables, serving only /health, /ready and /metrics. Start several, anywhere: "
        "they share the queue. Catalogue is reached at STREAMSTACK_CATALOGUE_URL.",
    )
    worker.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="jobs this process runs at once (default $STREAMSTACK_WORKER_CONCURRENCY or 1)",
    )
    worker.add_argument("--host", default=None, help="address of /health, /ready, /metrics")
    worker.add_argument("--port", type=int, default=None, help="port of /health, /ready, /metrics")
    worker.add_argument(
        "--data-dir", type=data_directory, default=None, help="data directory (dev)"
    )
    worker.set_defaults(command=run_worker)


def _add_migrate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    migrate = sub.add_parser(
        "migrate",
        help="apply database migrations",
        description="Apply every module's migrations to STREAMSTACK_DATABASE_URL.",
    )
    migrate.add_argument("--module", action="append", dest="modules", metavar="NAME")
    migrate.add_argument(
        "--data-dir",
        type=data_directory,
        default=None,
        help="data directory whose SQLite database to migrate (without a database URL)",
    )
    migrate.set_defaults(command=run_migrate)


def _add_create_admin(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    create_admin.add_argument(
        "--data-dir",
        type=data_directory,
        default=None,
        help="the data directory of `streamstack dev` (default $STREAMSTACK_DATA_DIR or "
        ".streamstack in the current directory): the account goes into its SQLite database, "
        "so pass the same --data-dir to `streamstack dev`. Ignored for the database when "
        "STREAMSTACK_DATABASE_URL is set (production: that database)",
    )
    create_admin.set_defaults(command=run_create_admin)


def _server_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        default=os.environ.get("STREAMSTACK_SERVER", "http://127.0.0.1:8000"),
        help="base URL of StreamStack (default $STREAMSTACK_SERVER or http://127.0.0.1:8000)",
    )


def _add_login(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    login = sub.add_parser(
        "login",
        help="sign in once; later commands (upload) use the sign-in",
        description="Sign in to a StreamStack server and keep the sign-in (a refresh token, "
        "never the password) in $XDG_CONFIG_HOME/streamstack/credentials.json (default "
        "~/.config/streamstack/), readable by you only. `streamstack upload` then needs no "
        "--token: it renews its access token from the sign-in, even mid-upload.",
    )
    _server_argument(login)
    login.add_argument("--email", default=None, help="your email (asked for when not given)")
    login.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of a prompt",
    )
    login.set_defaults(command=run_login)


def _add_logout(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    logout = sub.add_parser(
        "logout",
        help="end the sign-in of `streamstack login`",
        description="End the session on the server (when it can be reached) and remove the "
        "stored sign-in for --server.",
    )
    _server_argument(logout)
    logout.set_defaults(command=run_logout)


def _add_upload(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    _server_argument(upload)
    upload.add_argument(
        "--token",
        default=os.environ.get("STREAMSTACK_TOKEN"),
        help="an admin access token (default $STREAMSTACK_TOKEN; without one, the sign-in "
        "of `streamstack login --server URL`)",
    )
    upload.add_argument("--chunk-mib", type=int, default=8, help="MiB sent per request (default 8)")
    upload.add_argument(
        "--retries", type=int, default=5, help="attempts to resume after a network error"
    )
    upload.add_argument(
        "--limit-mib",
        type=float,
        default=None,
        metavar="MIB_PER_S",
        help="send at most this many MiB per second (default: as fast as the network goes)",
    )
    upload.set_defaults(command=run_upload)
