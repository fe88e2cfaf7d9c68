"""An upload may say when its new item, a draft, goes public: ``publish_at`` (None: no
schedule), kept until the upload is in and the item registered with it.

A plain ADD COLUMN: no table rebuild on SQLite.
"""

from __future__ import annotations

from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "ingest_0006"
down_revision: str | None = "ingest_0005"


def upgrade() -> None:
    op.add_column("ingest_uploads", ddl.timestamp("publish_at", nullable=True))


def downgrade() -> None:
    op.drop_column("ingest_uploads", "publish_at")
