"""Ingest's hand-written migrations build exactly the tables the models describe, and
upgrading keeps the bytes an upload had buffered (issue 13.13 moved the tail to chunk rows)
and the transcoding jobs the queue had not taken (ingest_0004 moved them into the outbox).
Both backends."""

from __future__ import annotations

import datetime
import uuid

from sqlalchemy import DateTime, LargeBinary, Uuid, bindparam, select, text, update

from streamstack.ingest.models import IngestBase, IngestOutboxRow, UploadChunk
from streamstack.ingest.module import MODULE
from streamstack.kernel.db import Database
from support.fixtures import SettingsFactory
from support.migrations import Revisions

REVISIONS = Revisions(MODULE, IngestBase.metadata)

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
            await connection.run_sync(REVISIONS.upgrade, "ingest_0001")
            await connection.execute(
                OLD_UPLOAD, {"id": buffered, "received": 30, "tail": b"t" * 10, "now": now}
            )
            await connection.execute(
                OLD_UPLOAD, {"id": empty, "received": 0, "tail": b"", "now": now}
            )
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "head")
            rows = await connection.execute(
                select(UploadChunk.upload_id, UploadChunk.offset, UploadChunk.data)
            )
            chunks = [tuple(row) for row in rows]
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()
    assert chunks == [(buffered, 20, b"t" * 10)]


OLD_JOB = text(
    "INSERT INTO ingest_unqueued_jobs (id, kind, payload, attempts, due_at, last_error,"
    " created_at) VALUES (:id, 'transcode', :payload, :attempts, :due, 'down', :due)"
).bindparams(
    bindparam("payload", type_=LargeBinary()),
    bindparam("due", type_=DateTime(timezone=True)),
)


async def test_jobs_still_owed_move_into_the_outbox_and_back(
    settings_factory: SettingsFactory,
) -> None:
    database = Database(settings_factory(modules=("ingest",)).effective_database_url)
    owed, sent = str(uuid.uuid4()), str(uuid.uuid4())
    due = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    outbox = select(
        IngestOutboxRow.event_id,
        IngestOutboxRow.subject,
        IngestOutboxRow.payload,
        IngestOutboxRow.attempts,
        IngestOutboxRow.due_at,
        IngestOutboxRow.sent_at,
    ).order_by(IngestOutboxRow.seq)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "ingest_0003")
            for job_id, attempts in ((owed, 3), (sent, 0)):
                await connection.execute(
                    OLD_JOB, {"id": job_id, "payload": b"{}", "attempts": attempts, "due": due}
                )
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "head")
            moved = [tuple(row) for row in await connection.execute(outbox)]
            await connection.execute(
                update(IngestOutboxRow).where(IngestOutboxRow.event_id == sent).values(sent_at=due)
            )
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.downgrade, "ingest_0003")
            back = await connection.execute(
                text("SELECT id, kind, payload, attempts FROM ingest_unqueued_jobs")
            )
            returned = [tuple(row) for row in back]
        async with database.engine.begin() as connection:
            await connection.run_sync(REVISIONS.upgrade, "head")
            assert await connection.run_sync(REVISIONS.differences) == []
    finally:
        await database.close()
    assert sorted(moved) == sorted(
        [(owed, "transcode", b"{}", 3, due, None), (sent, "transcode", b"{}", 0, due, None)]
    )
    # Only what the queue still had not taken goes back.
    assert returned == [(owed, "transcode", b"{}", 3)]
