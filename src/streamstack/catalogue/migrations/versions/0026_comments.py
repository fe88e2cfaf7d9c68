"""Comments on items: ``media_items.comments_enabled`` (true, as every item allows them
until an admin turns them off) and ``media_items.comment_count`` (kept in the transaction
of each post and delete, so a list shows it without counting); ``catalogue_comments`` (one
row per comment, going with its item) and ``catalogue_commenters`` (the display name shown
with an account's comments, the newest by ``named_at``).

The two columns are plain ADD COLUMNs with defaults: no table is rebuilt on SQLite (see
catalogue_0020), and the release before this one reads and writes items as it did.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "catalogue_0026"
down_revision: str | None = "catalogue_0025"


def upgrade() -> None:
    """The items' two columns, then the comments and their authors' names."""
    op.add_column(
        "media_items",
        sa.Column("comments_enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column(
        "media_items",
        sa.Column("comment_count", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.create_table(
        "catalogue_comments",
        ddl.uuid_column("id"),
        ddl.uuid_column("item_id"),
        ddl.uuid_column("user_id"),
        ddl.column("body", sa.Text()),
        ddl.timestamp("created_at"),
        ddl.timestamp("edited_at", nullable=True),
        ddl.primary_key("catalogue_comments", "id"),
        ddl.foreign_key("catalogue_comments", "item_id", "media_items", ondelete="CASCADE"),
    )
    # An item's comments newest first, a page at a time from a cursor (and its deletion).
    op.create_index(
        "ix_catalogue_comments_item_created",
        "catalogue_comments",
        ["item_id", "created_at", "id"],
    )
    # A deleted account's comments, without a scan.
    op.create_index("ix_catalogue_comments_user_id", "catalogue_comments", ["user_id"])
    op.create_table(
        "catalogue_commenters",
        ddl.uuid_column("user_id"),
        ddl.column("display_name", sa.String(100), nullable=True),
        ddl.timestamp("named_at"),
        ddl.primary_key("catalogue_commenters", "user_id"),
    )


def downgrade() -> None:
    """The tables, then the columns, in place (not a batch: see catalogue_0020)."""
    op.drop_table("catalogue_commenters")
    op.drop_table("catalogue_comments")
    op.drop_column("media_items", "comment_count")
    op.drop_column("media_items", "comments_enabled")
