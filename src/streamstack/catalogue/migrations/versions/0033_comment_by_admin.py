"""Admins' comments carry a badge: ``catalogue_comments.by_admin``, whether the author was
an admin when they posted it (false for every comment before this revision: which of
them an admin wrote is not known here, so none claims to be).

A plain ADD COLUMN with a server default: no table is rebuilt, so the reports and replies
hanging off comments stay (see catalogue_0020), and the release before this one reads
and writes comments as it did (its comments are not an admin's). The downgrade drops the
column in place.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "catalogue_0033"
down_revision: str | None = "catalogue_0032"


def upgrade() -> None:
    """The column, false for the comments there are."""
    op.add_column(
        "catalogue_comments",
        sa.Column("by_admin", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    """The column goes, in place (not a batch: see catalogue_0020)."""
    op.drop_column("catalogue_comments", "by_admin")
