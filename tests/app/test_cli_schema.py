"""A release and its database's schema, with the real commands an operator runs: ``serve``
refuses a schema behind the code (one line a mounted module) and serves one ahead of it (a
rolling upgrade's old replicas); ``migrate`` and ``dev`` refuse one newer than they know
(a rollback) in one line, and log each module they moved. Both backends."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from streamstack.auth.models import AuthBase
from streamstack.auth.module import MODULE as AUTH
from streamstack.catalogue.models import CatalogueBase
from streamstack.catalogue.module import MODULE as CATALOGUE
from streamstack.cli import apply_migrations
from streamstack.cli.database import database_named
from streamstack.ingest.models import IngestBase
from streamstack.ingest.module import MODULE as INGEST
from streamstack.kernel.db import Database
from streamstack.settings import Settings
from support.apps import free_port
from support.fixtures import SettingsFactory
from support.migrations import Revisions
from support.processes import ServeProcess, clean_environment, settings_env, streamstack_command

NEWER_AUTH = "UPDATE alembic_version_auth SET version_num = 'auth_0099'"
#: The newest auth revision this release knows, which the refusals name.
AUTH_HEAD = Revisions(AUTH, AuthBase.metadata).head


def streamstack(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """``streamstack ARGS`` on ``settings``' backends, logging JSON lines at INFO."""
    logging = {"STREAMSTACK_LOG_LEVEL": "INFO", "STREAMSTACK_LOG_FORMAT": "json"}
    env = clean_environment(**{**settings_env(settings), **logging})
    return subprocess.run(
        streamstack_command(*args), capture_output=True, text=True, env=env, timeout=90, check=False
    )


def errors(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The ``streamstack: error:`` lines, with no traceback beside them."""
    assert "Traceback" not in result.stderr, result.stderr
    prefix = "streamstack: error: "
    return [line.removeprefix(prefix) for line in result.stderr.splitlines() if prefix in line]


def logged(result: subprocess.CompletedProcess[str], event: str) -> list[dict[str, object]]:
    """The JSON log lines of ``event``."""
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    return [line for line in lines if line["event"] == event]


async def move_to(settings: Settings, revisions: Revisions, revision: str) -> None:
    """Downgrade one module's tables to ``revision``, as an older release left them."""
    database = Database(settings.effective_database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(revisions.downgrade, revision)
    finally:
        await database.close()


async def mark_auth_newer(settings: Settings) -> None:
    """Name auth_0099 in auth's version table, as a newer release would have."""
    database = Database(settings.effective_database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text(NEWER_AUTH))
    finally:
        await database.close()


async def test_serve_refuses_a_schema_behind_it(settings_factory: SettingsFactory) -> None:
    """Started on catalogue_0008 it answered 500 on the catalogue; ingest's schema, behind
    too, is not checked by a process that does not mount ingest."""
    settings = settings_factory()
    await apply_migrations(settings, settings.modules)
    catalogue = Revisions(CATALOGUE, CatalogueBase.metadata)
    await move_to(settings, catalogue, "catalogue_0008")
    await move_to(settings, Revisions(INGEST, IngestBase.metadata), "ingest_0003")
    args = ("serve", "--port", str(free_port()), "--module", "catalogue", "--module", "auth")
    refused = streamstack(settings, *args)
    assert refused.returncode == 2, refused.stderr
    assert errors(refused) == [
        f"the catalogue schema is at catalogue_0008; this version needs {catalogue.head}:"
        " run streamstack migrate"
    ]


async def test_serve_on_a_newer_schema_serves_and_warns(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    """An old replica during a rolling upgrade: migrate has run for the new release."""
    settings = settings_factory(modules=("auth",))
    await apply_migrations(settings, settings.modules)
    await mark_auth_newer(settings)
    env = clean_environment(**{**settings_env(settings), "STREAMSTACK_LOG_LEVEL": "INFO"})
    log = tmp_path / "serve.log"
    process = ServeProcess(["auth"], free_port(), env, log)
    try:
        await process.wait_ready()
    finally:
        process.stop()
    warning = next(line for line in log.read_text().splitlines() if "schema.newer" in line)
    assert "auth_0099" in warning and AUTH_HEAD in warning, warning


async def test_migrate_refuses_a_newer_schema_in_one_line(
    settings_factory: SettingsFactory,
) -> None:
    """A rollback: it printed alembic's 92-line traceback (Can't locate revision)."""
    settings = settings_factory()
    await apply_migrations(settings, settings.modules)
    await mark_auth_newer(settings)
    commands = [("migrate",)]
    if not settings.database_url:  # dev migrates its data directory's database itself
        commands.append(("dev", "--port", str(free_port()), "--data-dir", str(settings.data_dir)))
    for command in commands:
        refused = streamstack(settings, *command)
        assert refused.returncode == 2, refused.stderr
        assert errors(refused) == [
            "the database's auth schema is at auth_0099, newer than this version knows (its"
            f" newest is {AUTH_HEAD}): run the release that wrote it, or restore the backup"
            " taken before the upgrade"
        ], command


async def test_migrate_logs_each_module_it_moved(settings_factory: SettingsFactory) -> None:
    settings = settings_factory()
    await apply_migrations(settings, settings.modules)
    catalogue = Revisions(CATALOGUE, CatalogueBase.metadata)
    await move_to(settings, catalogue, "catalogue_0008")
    moved = streamstack(settings, "migrate")
    assert moved.returncode == 0, moved.stderr
    assert [
        (line["module"], line["from_revision"], line["to_revision"])
        for line in logged(moved, "schema.migrated")
    ] == [("catalogue", "catalogue_0008", catalogue.head)]
    assert "Running upgrade" not in moved.stderr  # alembic's own line a revision
    again = streamstack(settings, "migrate")
    assert again.returncode == 0, again.stderr
    assert logged(again, "schema.migrated") == []


async def test_migrate_names_the_database_and_says_what_it_did(
    settings_factory: SettingsFactory,
) -> None:
    """It printed "migrated: auth, catalogue, streaming, ingest" whatever it did, even
    for a new empty database; streaming has no schema (walk 44 F3, F12)."""
    settings = settings_factory()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    heads = {
        module.name: Revisions(module, base.metadata).head
        for module, base in ((AUTH, AuthBase), (CATALOGUE, CatalogueBase), (INGEST, IngestBase))
    }
    made = streamstack(settings, "migrate")  # compose's first migrate, or a new data dir
    assert made.returncode == 0, made.stderr
    where, *done = made.stdout.splitlines()
    url = make_url(settings.effective_database_url)
    if url.get_backend_name() == "sqlite":
        assert where == f"migrated {url.database}"
    else:  # where, without user or password (the test server's may have none: no "@")
        assert where.startswith("migrated postgresql+asyncpg://"), where
        assert f"/{url.database}" in where and "@" not in where, where
    assert done == [f"  {name}: new schema at {head}" for name, head in heads.items()]
    await move_to(settings, Revisions(CATALOGUE, CatalogueBase.metadata), "catalogue_0008")
    moved = streamstack(settings, "migrate")
    assert moved.stdout.splitlines() == [
        where,
        f"  auth: already at {heads['auth']}",
        f"  catalogue: catalogue_0008 → {heads['catalogue']}",
        f"  ingest: already at {heads['ingest']}",
    ]


def test_the_database_is_named_without_any_password() -> None:
    """asyncpg also takes a password in the query (``?password=``): the summary line printed
    it when only the user and password part was dropped."""
    url = "postgresql+asyncpg://app:one@db.example:5433/streamstack?password=two&ssl=require"
    named = database_named(url)
    assert named == "postgresql+asyncpg://db.example:5433/streamstack"
    assert database_named("sqlite+aiosqlite:////srv/data/streamstack.sqlite3") == (
        "/srv/data/streamstack.sqlite3"
    )
