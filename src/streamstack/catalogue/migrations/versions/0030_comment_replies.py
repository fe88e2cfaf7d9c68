"""Replies to comments: ``catalogue_comments.parent_id`` (the top-level comment a reply
answers, null for a top-level one; a reply goes with its comment, the foreign key
cascading), ``reply_count`` (kept in the transaction of each reply and deletion, so a page
shows it without counting) and the index that reads a comment's replies oldest first.

Plain ADD COLUMNs (the key inline on SQLite, which cannot add a constraint to a table):
no table is rebuilt, so the reports hanging off comments stay (see catalogue_0020), and
the release before this one reads and writes comments as it did (replies read as
comments). The downgrade drops the columns in place: replies stay, as comments.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "catalogue_0030"
down_revision: str | None = "catalogue_0029"


def upgrade() -> None:
    """The two columns, then the replies' index."""
    parent = sa.ForeignKey(
        "catalogue_comments.id",
        ondelete="CASCADE",
        name="fk_catalogue_comments_parent_id_catalogue_comments",
    )
    op.add_column(
        "catalogue_comments",
        sa.Column("parent_id", sa.Uuid(), parent, nullable=True),
        inline_references=op.get_context().dialect.name == "sqlite",
    )
    op.add_column(
        "catalogue_comments",
        sa.Column("reply_count", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    # A comment's replies oldest first, a page at a time from a cursor.
    op.create_index(
        "ix_catalogue_comments_parent_created",
        "catalogue_comments",
        ["parent_id", "created_at", "id"],
    )


def downgrade() -> None:
    """The index, then the columns, in place (not a batch: see catalogue_0020)."""
    op.drop_index("ix_catalogue_comments_parent_created", table_name="catalogue_comments")
    op.drop_column("catalogue_comments", "reply_count")
    op.drop_column("catalogue_comments", "parent_id")
