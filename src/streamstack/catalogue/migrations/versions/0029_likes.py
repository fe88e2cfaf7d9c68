"""Likes: ``media_items.like_count`` (kept in the transaction of each like and unlike, so
an item shows it without counting) and ``catalogue_likes``, one row per account that likes
an item (going with the item: the foreign key cascades), indexed for an account's list of
liked videos, the most recently liked first.

A plain ADD COLUMN with a default and a new table: no table is rebuilt on SQLite (see
catalogue_0020), and the release before this one reads and writes items as it did.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "catalogue_0029"
down_revision: str | None = "catalogue_0028"


def upgrade() -> None:
    """The items' count, then the likes and their index."""
    op.add_column(
        "media_items",
        sa.Column("like_count", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.create_table(
        "catalogue_likes",
        ddl.uuid_column("user_id"),
        ddl.uuid_column("item_id"),
        ddl.timestamp("liked_at"),
        ddl.primary_key("catalogue_likes", "user_id", "item_id"),
        ddl.foreign_key("catalogue_likes", "item_id", "media_items", ondelete="CASCADE"),
    )
    # An account's liked videos, the most recently liked first (and its deletion).
    op.create_index("ix_catalogue_likes_user_liked", "catalogue_likes", ["user_id", "liked_at"])
    # An item's likes, deleted with it, without a scan.
    op.create_index("ix_catalogue_likes_item_id", "catalogue_likes", ["item_id"])


def downgrade() -> None:
    """The table, then the column, in place (not a batch: see catalogue_0020)."""
    op.drop_table("catalogue_likes")
    op.drop_column("media_items", "like_count")
