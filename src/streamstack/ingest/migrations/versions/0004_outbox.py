"""Transcoding jobs the queue has not taken become rows of an outbox the kernel relays.

``ingest_unqueued_jobs`` and its own relay restated the kernel's transactional outbox;
``ingest_outbox`` has the kernel's outbox columns, with ``attempts`` and ``due_at``. The
jobs still owed move over (job id -> event id, kind -> subject); their last error is not
kept (the relay reports failures on ``/ready``). The downgrade moves the unsent rows back.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "ingest_0004"
down_revision: str | None = "ingest_0003"

TO_OUTBOX = """
INSERT INTO ingest_outbox (event_id, subject, payload, created_at, attempts, due_at)
SELECT id, kind, payload, created_at, attempts, due_at FROM ingest_unqueued_jobs
ORDER BY created_at
"""
TO_UNQUEUED = """
INSERT INTO ingest_unqueued_jobs (id, kind, payload, attempts, due_at, created_at)
SELECT event_id, subject, payload, attempts, due_at, created_at FROM ingest_outbox
WHERE sent_at IS NULL
"""


def upgrade() -> None:
    extra = [ddl.column("attempts", sa.Integer()), ddl.timestamp("due_at")]
    items = ddl.outbox_table(
        "ingest_outbox", event_id_length=128, subject_length=64, extra=extra, pending_on="due_at"
    )
    op.create_table("ingest_outbox", *items)
    op.execute(TO_OUTBOX)
    op.drop_table("ingest_unqueued_jobs")


def downgrade() -> None:
    # ingest_unqueued_jobs as ingest_0003 made it: its own statements.
    ddl.earlier_revision(__file__, "0003_unqueued_jobs.py").upgrade()
    op.execute(TO_UNQUEUED)
    op.drop_table("ingest_outbox")
