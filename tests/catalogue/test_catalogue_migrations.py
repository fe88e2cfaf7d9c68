"""The hand-written migration builds exactly the tables the models describe, on both backends."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from streamstack.catalogue.models import CatalogueBase
from streamstack.cli import apply_migrations
from streamstack.kernel.db import Database
from support.fixtures import SettingsFactory


def differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "version_table": "alembic_version_catalogue"}
    )
    diffs: list[Any] = compare_metadata(context, CatalogueBase.metadata)
    return diffs


def index_names(connection: Connection) -> dict[str, set[str]]:
    inspector = inspect(connection)
    return {
        table: {index["name"] or "" for index in inspector.get_indexes(table)}
        for table in ("media_items", "media_tags", "catalogue_outbox")
    }


async def test_the_migration_matches_the_models(settings_factory: SettingsFactory) -> None:
    settings = settings_factory(modules=("catalogue",))
    await apply_migrations(settings, settings.modules)
    await apply_migrations(settings, settings.modules)  # a second run is a no-op
    database = Database(settings.effective_database_url)
    try:
        async with database.engine.connect() as connection:
            assert await connection.run_sync(differences) == []
            indexes = await connection.run_sync(index_names)
    finally:
        await database.close()
    assert {
        "ix_media_items_status_published_at",
        "ix_media_items_status_created_at",
        "ix_media_items_status_title_key",
        "ix_media_items_status_duration",
    } <= indexes["media_items"]
    assert "ix_media_tags_tag_media_id" in indexes["media_tags"]
    assert "ix_catalogue_outbox_pending" in indexes["catalogue_outbox"]
