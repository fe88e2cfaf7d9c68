"""Caption tracks: one row per (item, language), deleted with the item."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel.migrations import foreign_key, primary_key, timestamp, uuid_column

revision: str = "catalogue_0005"
down_revision: str | None = "catalogue_0004"


def upgrade() -> None:
    op.create_table(
        "media_captions",
        uuid_column("media_id"),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        timestamp("updated_at"),
        primary_key("media_captions", "media_id", "language"),
        foreign_key("media_captions", "media_id", "media_items", ondelete="CASCADE"),
        sa.CheckConstraint("source IN ('upload', 'embedded')", name="ck_media_captions_source"),
    )


def downgrade() -> None:
    op.drop_table("media_captions")
