"""The entry point: parse the command line, run the command, one-line configuration errors."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeAlias

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


#: What ``add_subparsers`` returns (generic for type checkers only, hence the string).
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _command(
    sub: Subcommands, name: str, run: Command, *, help: str, description: str
) -> argparse.ArgumentParser:
    """Declare subcommand ``name``, which runs ``run`` with the parsed arguments."""
    parser = sub.add_parser(name, help=help, description=description)
    parser.set_defaults(command=run)
    return parser


def _data_dir_argument(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--data-dir", type=data_directory, default=None, help=help)


def _listen_arguments(parser: argparse.ArgumentParser, host_help: str, port_help: str) -> None:
    parser.add_argument("--host", default=None, help=host_help)
    parser.add_argument("--port", type=int, default=None, help=port_help)


def _add_dev(sub: Subcommands) -> None:
    dev = _command(
        sub,
        "dev",
        run_dev,
        help="all modules in one process on embedded backends, with the SPA",
        description="Run every module in one process on embedded backends (SQLite, local "
        "directory, in-process KV and events) and serve the built SPA from web/dist.",
    )
    _listen_arguments(dev, "address to listen on (default 127.0.0.1)", "port (default 8000)")
    _data_dir_argument(
        dev,
        "data directory: database, keys, media (default $STREAMSTACK_DATA_DIR or "
        ".streamstack); give `create-admin` the same one",
    )


def _add_serve(sub: Subcommands) -> None:
    serve = _command(
        sub,
        "serve",
        run_serve,
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
    _listen_arguments(serve, "address to listen on", "port")


def _add_worker(sub: Subcommands) -> None:
    worker = _command(
        sub,
        "worker",
        run_worker,
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
    _listen_arguments(
        worker, "address of /health, /ready, /metrics", "port of /health, /ready, /metrics"
    )
    _data_dir_argument(worker, "data directory (dev)")


def _add_migrate(sub: Subcommands) -> None:
    migrate = _command(
        sub,
        "migrate",
        run_migrate,
        help="apply database migrations",
        description="Apply every module's migrations to STREAMSTACK_DATABASE_URL.",
    )
    migrate.add_argument("--module", action="append", dest="modules", metavar="NAME")
    _data_dir_argument(
        migrate, "data directory whose SQLite database to migrate (without a database URL)"
    )


def _add_create_admin(sub: Subcommands) -> None:
    create_admin = _command(
        sub,
        "create-admin",
        run_create_admin,
        help="create an admin account, or promote an existing one",
        description="Create an admin with this email, or make the existing account an admin. "
        "Without --password-stdin a new account gets a generated password, printed once; "
        "an existing account keeps its password.",
    )
    create_admin.add_argument("--email", required=True, help="the admin's email")
    create_admin.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    _data_dir_argument(
        create_admin,
        "the data directory of `streamstack dev` (default $STREAMSTACK_DATA_DIR or "
        ".streamstack in the current directory): the account goes into its SQLite database, "
        "so pass the same --data-dir to `streamstack dev`. Ignored for the database when "
        "STREAMSTACK_DATABASE_URL is set (production: that database)",
    )


def _server_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        default=os.environ.get("STREAMSTACK_SERVER", "http://127.0.0.1:8000"),
        help="base URL of StreamStack (default $STREAMSTACK_SERVER or http://127.0.0.1:8000)",
    )


def _add_login(sub: Subcommands) -> None:
    login = _command(
        sub,
        "login",
        run_login,
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


def _add_logout(sub: Subcommands) -> None:
    logout = _command(
        sub,
        "logout",
        run_logout,
        help="end the sign-in of `streamstack login`",
        description="End the session on the server (when it can be reached) and remove the "
        "stored sign-in for --server.",
    )
    _server_argument(logout)


def _add_upload(sub: Subcommands) -> None:
    upload = _command(
        sub,
        "upload",
        run_upload,
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
