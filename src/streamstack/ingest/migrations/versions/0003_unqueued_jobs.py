"""Transcoding jobs the job queue has not taken yet, so that a failed enqueue is retried.

Before, an upload whose enqueue failed (NATS down for a moment) left its item ``queued``
for ever; now the job is recorded before the item is registered and deleted once queued.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "ingest_0003"
down_revision: str | None = "ingest_0002"


def upgrade() -> None:
    op.create_table(
        "ingest_unqueued_jobs",
        ddl.column("id", sa.String(128)),
        ddl.column("kind", sa.String(64)),
        ddl.column("payload", sa.LargeBinary()),
        ddl.column("attempts", sa.Integer()),
        ddl.timestamp("due_at"),
        ddl.column("last_error", sa.Text(), nullable=True),
        ddl.timestamp("created_at"),
        ddl.primary_key("ingest_unqueued_jobs", "id"),
    )
    op.create_index("ix_ingest_unqueued_jobs_due_at", "ingest_unqueued_jobs", ["due_at"])


def downgrade() -> None:
    op.drop_table("ingest_unqueued_jobs")
