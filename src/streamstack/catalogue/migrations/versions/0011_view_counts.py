"""View counts: how often signed-in people started watching each item, and the indexes
that list the most viewed first (``sort=popular``) for admins and viewers."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "catalogue_0011"
down_revision: str | None = "catalogue_0010"

INDEXES = {
    "ix_media_items_status_view_count": ["status", "view_count", "id"],
    "ix_media_items_viewers_view_count": ["status", "playable", "view_count", "id"],
}


def upgrade() -> None:
    # A plain ADD COLUMN with a constant default: no table rebuild on SQLite.
    op.add_column(
        "media_items",
        sa.Column("view_count", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
    )
    for name, columns in INDEXES.items():
        op.create_index(name, "media_items", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="media_items")
    # In place, not a batch: see catalogue_0019's downgrade.
    op.drop_column("media_items", "view_count")
