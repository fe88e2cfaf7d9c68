"""Database steps of the CLI: apply every module's migrations, check the database is there
and its schema is the one this version needs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from streamstack.settings import Settings, SettingsError

if TYPE_CHECKING:
    from streamstack.kernel.db import SchemaRevision


async def apply_migrations(settings: Settings, modules: Sequence[str]) -> list[SchemaRevision]:
    """Run the migrations of ``modules`` that have any (logging each module that moved) and
    return where each was before; refuse, one line a module, a database whose schema is
    newer than this version."""
    from streamstack.kernel.db import DatabaseUnavailable, SchemaAhead, migrate
    from streamstack.kernel.logging import configure_logging

    folders = migration_folders(modules)
    if not folders:
        return []
    configure_logging(settings.log_format, settings.log_level)
    try:
        return await migrate(settings.effective_database_url, folders)
    except SchemaAhead as exc:
        raise SettingsError("\n".join(map(newer_schema, exc.revisions))) from None
    except (OSError, DatabaseUnavailable) as exc:
        raise SettingsError(
            f"STREAMSTACK_DATABASE_URL: database unreachable ({why(exc)})"
        ) from None
    except Exception as exc:
        if exc.__class__.__module__.startswith(("sqlalchemy", "asyncpg")):
            # Reached, but a statement failed: it was said to be unreachable all the same.
            failed = f"{exc.__class__.__name__}: {why(getattr(exc, 'orig', None) or exc)}"
            raise SettingsError(f"STREAMSTACK_DATABASE_URL: cannot migrate ({failed})") from None
        raise


def why(exc: BaseException) -> str:
    """What went wrong, in a line: the error under a wrapper (``DatabaseUnavailable`` names
    only the class of what it wraps, for /ready), else its class when it says nothing."""
    cause = exc.__cause__ if isinstance(exc.__cause__, Exception) else exc
    text = str(cause).strip().splitlines()
    return text[0] if text else cause.__class__.__name__


async def check_database(settings: Settings) -> None:
    """Fail at start, in one line, if a mounted module needs a database that is not there,
    or one line a module whose schema is behind this version (a schema ahead of it, which
    an older replica meets in a rolling upgrade, is logged and served)."""
    from streamstack.kernel.db import Database

    folders = migration_folders(settings.modules)
    if not folders:
        return
    database = Database(settings.effective_database_url, timeout=settings.database_timeout_seconds)
    try:
        await database.ping()
    except Exception as exc:
        raise SettingsError(
            f"STREAMSTACK_DATABASE_URL: database unreachable ({why(exc)})"
        ) from None
    finally:
        await database.close()
    await check_schema(settings, folders)


async def check_schema(settings: Settings, folders: dict[str, Path]) -> None:
    """Refuse, one line a module, schemas behind this version; log those ahead of it."""
    import structlog

    from streamstack.kernel.db import schema_revisions
    from streamstack.kernel.logging import configure_logging

    configure_logging(settings.log_format, settings.log_level)
    revisions = await schema_revisions(settings.effective_database_url, folders)
    for revision in revisions:
        if not revision.known:
            structlog.get_logger(__name__).warning(
                "schema.newer_than_code",
                module=revision.module,
                revision=revision.current,
                newest_known=revision.head,
            )
    behind = [behind_schema(revision) for revision in revisions if revision.behind]
    if behind:
        raise SettingsError("\n".join(behind))


def migration_folders(modules: Sequence[str]) -> dict[str, Path]:
    """The alembic script folder of each of ``modules`` that has migrations."""
    from streamstack.app import module_definitions

    definitions = module_definitions()
    return {
        name: folder for name in modules if (folder := definitions[name].migrations) is not None
    }


def behind_schema(revision: SchemaRevision) -> str:
    """The line refusing to serve on ``revision``, behind what this version needs."""
    where = f"at {revision.current}" if revision.current else "empty"
    return (
        f"the {revision.module} schema is {where}; this version needs {revision.head}:"
        " run streamstack migrate"
    )


def what_migrate_did(revision: SchemaRevision) -> str:
    """One module's line of ``migrate``'s summary, from where it was before."""
    if revision.current is None:
        return f"{revision.module}: new schema at {revision.head}"
    if revision.current == revision.head:
        return f"{revision.module}: already at {revision.head}"
    return f"{revision.module}: {revision.current} → {revision.head}"


def database_named(url: str) -> str:
    """The database of ``url`` as an operator names it: a SQLite file's path, or Postgres'
    host and database (never the user or password, nor the query, where a password or
    an SSL key's path may be given too)."""
    from sqlalchemy.engine import URL, make_url

    parts = make_url(url)
    if parts.get_backend_name() == "sqlite":
        return str(parts.database)
    # URL.set leaves a part given as None as it was: a new URL of the parts to show.
    shown = URL.create(parts.drivername, host=parts.host, port=parts.port, database=parts.database)
    return shown.render_as_string(hide_password=False)


def sqlite_folder(url: str) -> Path | None:
    """The folder of the SQLite file ``url`` names (None: not SQLite, or in memory)."""
    from sqlalchemy.engine import make_url

    parts = make_url(url)
    if parts.get_backend_name() != "sqlite" or parts.database in (None, "", ":memory:"):
        return None
    return Path(str(parts.database)).parent


def newer_schema(revision: SchemaRevision) -> str:
    """The line refusing to migrate ``revision``, newer than this version knows."""
    return (
        f"the database's {revision.module} schema is at {revision.current}, newer than this"
        f" version knows (its newest is {revision.head}): run the release that wrote it, or"
        " restore the backup taken before the upgrade"
    )
