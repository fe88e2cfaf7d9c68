"""Caption tracks: one row per (item, language), deleted with the item."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "catalogue_0005"
down_revision: str | None = "catalogue_0004"


def upgrade() -> None:
    op.create_table(
        "media_captions",
        ddl.uuid_column("media_id"),
        ddl.column("language", sa.String(35)),
        ddl.column("label", sa.String(64)),
        ddl.column("source", sa.String(16)),
        ddl.timestamp("updated_at"),
        ddl.primary_key("media_captions", "media_id", "language"),
        ddl.foreign_key("media_captions", "media_id", "media_items", ondelete="CASCADE"),
        sa.CheckConstraint("source IN ('upload', 'embedded')", name="ck_media_captions_source"),
    )


def downgrade() -> None:
    op.drop_table("media_captions")
