"""An upload may replace an existing item's video file: ``replaces`` names the item (None
for an upload that becomes a new item), indexed to find a replacement under way.

A plain ADD COLUMN and an index: no table rebuild on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "ingest_0005"
down_revision: str | None = "ingest_0004"


def upgrade() -> None:
    op.add_column("ingest_uploads", sa.Column("replaces", sa.String(36), nullable=True))
    op.create_index("ix_ingest_uploads_replaces", "ingest_uploads", ["replaces"])


def downgrade() -> None:
    op.drop_index("ix_ingest_uploads_replaces", "ingest_uploads")
    op.drop_column("ingest_uploads", "replaces")
