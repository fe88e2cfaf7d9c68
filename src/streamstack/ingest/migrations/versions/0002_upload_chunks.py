"""Resumable uploads keep their tail as appended chunk rows, not one rewritten column.

Every PATCH used to rewrite the whole buffered tail (up to a part, 8 MiB or more), so an
upload in small chunks cost quadratic time. Existing tails move into one chunk each.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "ingest_0002"
down_revision: str | None = "ingest_0001"


def upgrade() -> None:
    uploads = sa.table(
        "ingest_uploads",
        sa.column("id", sa.Uuid()),
        sa.column("received", sa.BigInteger()),
        sa.column("tail", sa.LargeBinary()),
    )
    tail_bytes = sa.func.length(uploads.c.tail)
    # Read the tails before the table changes: on SQLite the column is dropped by copying
    # the table, and dropping the old copy would cascade to chunks already inserted.
    tails = op.get_bind().execute(
        sa.select(uploads.c.id, uploads.c.received - tail_bytes, uploads.c.tail).where(
            tail_bytes > 0
        )
    )
    chunks = [{"upload_id": i, "offset": offset, "data": tail} for i, offset, tail in tails]
    with op.batch_alter_table("ingest_uploads") as batch:
        batch.drop_column("tail")
    table = op.create_table(
        "ingest_upload_chunks",
        ddl.uuid_column("upload_id"),
        ddl.column("offset", sa.BigInteger()),
        ddl.column("data", sa.LargeBinary()),
        ddl.primary_key("ingest_upload_chunks", "upload_id", "offset"),
        ddl.foreign_key("ingest_upload_chunks", "upload_id", "ingest_uploads", ondelete="CASCADE"),
    )
    if chunks:
        op.bulk_insert(table, chunks)


def downgrade() -> None:
    with op.batch_alter_table("ingest_uploads") as batch:
        batch.add_column(ddl.column("tail", sa.LargeBinary(), server_default=sa.text("''")))
    op.drop_table("ingest_upload_chunks")
