"""Caption tracks: one row per (item, language), deleted with the item."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel.migrations import timestamp

revision: str = "catalogue_0005"
down_revision: str | None = "catalogue_0004"


def upgrade() -> None:
    op.create_table(
        "media_captions",
        sa.Column("media_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        timestamp("updated_at"),
        sa.PrimaryKeyConstraint("media_id", "language", name="pk_media_captions"),
        sa.ForeignKeyConstraint(
            ["media_id"],
            ["media_items.id"],
            name="fk_media_captions_media_id_media_items",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("source IN ('upload', 'embedded')", name="ck_media_captions_source"),
    )


def downgrade() -> None:
    op.drop_table("media_captions")
