"""Ingest's hand-written migrations build exactly the tables the models describe, and
upgrading keeps the bytes an upload had buffered (issue 13.13 moved the tail to chunk rows).
Both backends."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import DateTime, LargeBinary, Uuid, bindparam, select, text
from sqlalchemy.engine import Connection

from streamstack.ingest.models import IngestBase, UploadChunk
from streamstack.ingest.module import MODULE
from streamstack.kernel.db import Database
from support.fixtures import SettingsFactory

VERSION_TABLE = "alembic_version_ingest"


def upgrade_to(connection: Connection, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MODULE.migrations))
    config.attributes["connection"] = connection
    config.attributes["version_table"] = VERSION_TABLE
    command.upgrade(config, revision)


def differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "version_table": VERSION_TABLE}
    )
    diffs: list[Any] = compare_metadata(context, IngestBase.metadata)
    return diffs


OLD_UPLOAD = text(
    "INSERT INTO ingest_uploads (id, kind, state, created_by, length, received, part_bytes,"
    " parts, tail, upload_metadata, title, description, tags, publish, created_at, updated_at,"
    " expires_at) VALUES (:id, 'tus', 'uploading', 'u', 100, :received, 8388608, '[]', :tail,"
    " '', 't', '', '[]', true, :now, :now, :now)"
).bindparams(
    bindparam("id", type_=Uuid()),
    bindparam("tail", type_=LargeBinary()),
    bindparam("now", type_=DateTime(timezone=True)),
)


async def test_upgrading_keeps_buffered_tails_and_matches_the_models(
    settings_factory: SettingsFactory,
) -> None:
    database = Database(settings_factory(modules=("ingest",)).effective_database_url)
    buffered, empty = uuid.uuid4(), uuid.uuid4()
    now = datetime.datetime.now(datetime.UTC)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(upgrade_to, "ingest_0001")
            await connection.execute(
                OLD_UPLOAD, {"id": buffered, "received": 30, "tail": b"t" * 10, "now": now}
            )
            await connection.execute(
                OLD_UPLOAD, {"id": empty, "received": 0, "tail": b"", "now": now}
            )
        async with database.engine.begin() as connection:
            await connection.run_sync(upgrade_to, "head")
            rows = await connection.execute(
                select(UploadChunk.upload_id, UploadChunk.offset, UploadChunk.data)
            )
            chunks = [tuple(row) for row in rows]
            assert await connection.run_sync(differences) == []
    finally:
        await database.close()
    assert chunks == [(buffered, 20, b"t" * 10)]
