"""Comment reports: ``catalogue_comment_reports``, one row per account that reported a
comment (the first report kept, with its optional reason), going with the comment (the
foreign key cascades); and an index of all comments newest first, across items, for the
admins' list of every video's comments.

A new table and an index: the release before this one never reads the table, and writes
comments as it did.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamstack.kernel import migrations as ddl

revision: str = "catalogue_0028"
down_revision: str | None = "catalogue_0027"


def upgrade() -> None:
    """The reports and their indexes, then the comments' index across items."""
    op.create_table(
        "catalogue_comment_reports",
        ddl.uuid_column("comment_id"),
        ddl.uuid_column("user_id"),
        ddl.column("reason", sa.Text(), nullable=True),
        ddl.timestamp("created_at"),
        ddl.primary_key("catalogue_comment_reports", "comment_id", "user_id"),
        ddl.foreign_key(
            "catalogue_comment_reports", "comment_id", "catalogue_comments", ondelete="CASCADE"
        ),
    )
    # Reported comments, the most recently reported first: each comment's newest report
    # read from the index alone (and a page's counts and reasons).
    op.create_index(
        "ix_catalogue_comment_reports_comment_created",
        "catalogue_comment_reports",
        ["comment_id", "created_at"],
    )
    # A deleted account's reports, without a scan.
    op.create_index(
        "ix_catalogue_comment_reports_user_id", "catalogue_comment_reports", ["user_id"]
    )
    # Every item's comments newest first, a page at a time from a cursor (admins' list).
    op.create_index("ix_catalogue_comments_created", "catalogue_comments", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_catalogue_comments_created", table_name="catalogue_comments")
    op.drop_table("catalogue_comment_reports")
