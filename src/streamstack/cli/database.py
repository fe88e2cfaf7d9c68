"""Database steps of the CLI: apply every module's migrations, check the database is there."""

from __future__ import annotations

from collections.abc import Sequence

from streamstack.settings import Settings, SettingsError


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
