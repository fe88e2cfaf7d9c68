"""``streamstack dev``, ``serve``, ``migrate`` and ``create-admin``, and running the server."""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from streamstack.cli.data_directory import (
    data_directory_setting,
    held_data_directory,
    held_for_its_database,
    make_data_directory,
    refuse_non_directory,
    refuse_taken_port,
)
from streamstack.cli.database import (
    apply_migrations,
    check_database,
    database_named,
    sqlite_folder,
    what_migrate_did,
)
from streamstack.cli.login import password_from_stdin
from streamstack.settings import PREFIX, Settings, SettingsError, dev_defaults, unknown_variables

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from streamstack.kernel.module import ModuleDefinition


def load_settings(
    env: Mapping[str, str] | None = None,
    *,
    only: Collection[str] | None = None,
    **overrides: Any,
) -> Settings:
    """Settings from the process environment plus CLI flags (with ``only``, those fields
    alone); a warning on stderr for each ``STREAMSTACK_*`` variable nothing reads (a
    misspelled one would keep its default)."""
    variables = os.environ if env is None else env
    for line in unknown_variables(variables):
        print(f"streamstack: warning: {line}", file=sys.stderr)
    return Settings.from_env(variables, only=only, **overrides)


def server_settings(**overrides: Any) -> Settings:
    """Settings of ``serve`` and ``worker``: production unless ``STREAMSTACK_ENVIRONMENT``
    says dev (which then invents its internal secret, as ``streamstack dev`` does)."""
    environment = os.environ.get("STREAMSTACK_ENVIRONMENT", "production")
    settings = load_settings(environment=environment, **overrides)
    return dev_defaults(settings) if settings.environment == "dev" else settings


def default_web_dist() -> Path | None:
    """``web/dist`` of the checkout this package runs from, or of the working directory."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[3]):
        candidate = base / "web" / "dist"
        if (candidate / "index.html").is_file():
            return candidate
    return None


def dev_settings(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> Settings:
    """Settings of ``streamstack dev``: the environment's (``env``, else the process's),
    with dev's own defaults where it says nothing."""
    variables = os.environ if env is None else env
    settings = load_settings(
        variables, environment="dev", host=args.host, port=args.port, data_dir=args.data_dir
    )
    if settings.web_dist_dir is None:
        settings = settings.replace(web_dist_dir=default_web_dist())
    # One transcoding worker runs in the dev process (production runs `streamstack worker`),
    # unless told otherwise: `=false` shows what an admin sees when no worker runs.
    if f"{PREFIX}WORKER_IN_PROCESS" not in variables:
        settings = settings.replace(worker_in_process=True)
    if not settings.public_url:
        # Reset links in the dev mails (written to <data dir>/mail) open this server.
        host = "localhost" if settings.host in ("127.0.0.1", "0.0.0.0", "::") else settings.host
        settings = settings.replace(public_url=f"http://{host}:{settings.port}")
    return settings


def run_dev(args: argparse.Namespace) -> int:
    """``streamstack dev``: refused before it changes anything (no secret, key or migration)
    when another StreamStack runs on its data directory or its port is taken."""
    settings = dev_settings(args)
    make_data_directory(settings.data_dir, data_directory_setting(args.data_dir))
    with held_data_directory(settings.data_dir):
        refuse_taken_port(settings.host, settings.port)
        dev_keys(settings)
        settings = dev_defaults(settings)
        asyncio.run(apply_migrations(settings, settings.modules))
        say_start_notes(settings)
        # Reached directly, not through a proxy: X-Forwarded-For is anyone's to write, even
        # from this machine, and would choose the address the sign-in throttle counts.
        serve_app(settings, behind_proxy=False)
    return 0


def dev_keys(settings: Settings) -> None:
    """Before dev migrates: its signing and sealing keys, made on the first start, or a key
    path set but missing refused in one line (the app loads them again as it starts)."""
    from streamstack.auth.module import sealing_keys
    from streamstack.kernel.jwt import ensure_dev_keys

    ensure_dev_keys(settings)
    sealing_keys(settings)


def run_serve(args: argparse.Namespace) -> int:
    """``streamstack serve``: on the data directory's SQLite database, beside the other
    ``serve`` processes there, never beside a ``dev`` or ``migrate``."""
    modules = tuple(args.modules) if args.modules else None
    settings = server_settings(modules=modules, host=args.host, port=args.port)
    with held_for_its_database(settings, shared=True):
        asyncio.run(check_database(settings))
        say_start_notes(settings)
        serve_app(settings)
    return 0


def say_start_notes(settings: Settings) -> None:
    """Say on stderr, one plain line each, what the server's settings do that its operator
    may not expect (:func:`start_notes`)."""
    for line in start_notes(settings, os.environ):
        print(f"streamstack: {line}", file=sys.stderr)


def start_notes(settings: Settings, variables: Mapping[str, str]) -> list[str]:
    """What a server running auth says at start beside its log. Registration by invite when
    ``variables`` leave its mode unset: releases before 2026-12-05 let anyone register
    then, so an upgrade closed it unsaid. In dev, where mail goes: ``dev`` writes it to
    files (a developer's convenience, the README's Quick start) while the web app offers
    "Forgot your password?" to everyone, so an operator running it for real people is
    told that no one receives it."""
    notes = _uploads_notes(settings)
    if "auth" not in settings.modules:
        return notes
    if f"{PREFIX}REGISTRATION_MODE" not in variables:
        notes.append(
            f"registration: by invite ({PREFIX}REGISTRATION_MODE is unset; set it to open "
            "to let anyone register)"
        )
    if settings.environment == "dev":
        from streamstack.auth.module import mail_sender

        sender = mail_sender(settings)
        if sender is not None:  # None: no mail offered (serve in dev without a public URL)
            to_send = f"; set {PREFIX}SMTP_URL and {PREFIX}PUBLIC_URL to send it"
            how = f" ({PREFIX}SMTP_URL)" if settings.smtp_url else to_send
            notes.append(f"mail: {sender.where()}{how}")
    return notes


def _uploads_notes(settings: Settings) -> list[str]:
    """That uploads are refused, when ingest keeps its media in the data directory on a disk
    with less free than the reserve: every upload is refused "for room" while ``df`` shows
    the disk nearly empty, and only the reserve's setting explains it."""
    if "ingest" not in settings.modules or settings.s3_endpoint_url:
        return []
    from streamstack.kernel.storage.local import free_bytes_at
    from streamstack.kernel.text import mib

    reserve = settings.ingest_free_space_reserve_bytes
    free = free_bytes_at(settings.data_dir)
    if free > reserve:
        return []
    return [
        f"uploads: refused, the media disk has {mib(free)} free and "
        f"{PREFIX}INGEST_FREE_SPACE_RESERVE_BYTES keeps {mib(reserve)} of it free; "
        "lower it on a small disk"
    ]


#: What ``migrate`` uses of the settings: the others, even wrong, are not its business.
MIGRATE_SETTINGS = frozenset({"database_url", "data_dir", "modules", "log_format", "log_level"})


def run_migrate(args: argparse.Namespace) -> int:
    """``streamstack migrate``."""
    modules = tuple(args.modules) if args.modules else None
    settings = load_settings(only=MIGRATE_SETTINGS, modules=modules, data_dir=args.data_dir)
    refuse_no_data(settings, args.data_dir)
    with held_for_its_database(settings, shared=False):
        revisions = asyncio.run(apply_migrations(settings, settings.modules))
    print(f"migrated {database_named(settings.effective_database_url)}")
    for revision in revisions:
        print(f"  {what_migrate_did(revision)}")
    return 0


def refuse_no_data(settings: Settings, data_dir_flag: Path | None) -> None:
    """Refuse in one line a SQLite database whose folder is not there: migrating makes it
    and a new empty database, which a typo'd --data-dir (or none) should not."""
    if settings.database_url:
        named = f"{PREFIX}DATABASE_URL"
    else:
        named = data_directory_setting(data_dir_flag)
        refuse_non_directory(settings.data_dir, named)
    folder = sqlite_folder(settings.effective_database_url)
    if folder is not None and not folder.is_dir():
        raise SettingsError(
            f"no StreamStack data in {folder} (no such directory): check {named}; "
            "`streamstack dev` or `create-admin` makes a new one"
        )


def run_create_admin(args: argparse.Namespace) -> int:
    """``streamstack create-admin``: then say where the account is, so that the app that
    should sign it in is started on the same data directory (or database)."""
    from streamstack.auth.bootstrap import create_admin_command

    password = password_from_stdin() if args.password_stdin else None
    settings = load_settings(data_dir=args.data_dir)
    new_data_dir = not settings.database_url and not settings.data_dir.exists()
    if not settings.database_url or settings.environment == "dev":
        make_data_directory(settings.data_dir, data_directory_setting(args.data_dir))
    if settings.environment == "dev":
        settings = dev_defaults(settings)
    asyncio.run(apply_migrations(settings, ("auth",)))
    code = asyncio.run(create_admin_command(settings, args.email, password))
    if code == 0:
        print(account_location(settings, new_data_dir=new_data_dir), file=sys.stderr)
    return code


def account_location(settings: Settings, *, new_data_dir: bool) -> str:
    """Where create-admin wrote the account, and which app signs it in."""
    if settings.database_url:
        return "the account is in the database of STREAMSTACK_DATABASE_URL"
    data_dir = settings.data_dir.resolve()
    where = (
        f"the account is in {data_dir / 'streamstack.sqlite3'}: sign in on "
        f"`streamstack dev --data-dir {data_dir}` (the same data directory)"
    )
    if new_data_dir:
        where += f"\nnote: {data_dir} is a new data directory; it has no videos yet"
    return where


def serve_app(
    settings: Settings,
    definitions: Mapping[str, ModuleDefinition] | None = None,
    *,
    behind_proxy: bool = True,
) -> None:
    """Run uvicorn on the app for ``settings`` until SIGTERM or Ctrl+C.

    ``definitions`` replaces the modules' definitions (``streamstack worker`` mounts
    ingest's workers-only definition). ``behind_proxy``: the client's address is the one
    ``X-Forwarded-For`` names when the proxy sending it is trusted (``FORWARDED_ALLOW_IPS``,
    this machine by default), else the connection's.

    On SIGTERM uvicorn closes the listening socket at once, lets in-flight responses and
    request bodies (streams, uploads) finish for up to ``shutdown_timeout_seconds``, runs
    the modules' shutdown hooks and returns; the process then exits 0.
    """
    import uvicorn

    from streamstack.app import create_app
    from streamstack.kernel.response_writes import HeadWithBodyProtocol

    app = create_app(settings, definitions)
    # Litestar runs on_startup hooks after the lifespan has prepared the backends (botocore's
    # models, the pools): those objects live as long as the process, so the cyclic collector
    # stops walking them on every collection (7-11 % of a stream request's CPU on S3).
    app.on_startup.append(gc.freeze)
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
        proxy_headers=behind_proxy,
        server_header=False,
        http=HeadWithBodyProtocol,  # a response's head leaves with its body's first bytes
    )


def _acknowledge_sigterm(signum: int, frame: FrameType | None) -> None:
    """SIGTERM once uvicorn has finished: the graceful stop is complete, nothing to do."""
